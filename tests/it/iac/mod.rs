//! Infrastructure code before deploy: `wsaudit iac` on Terraform plan JSON (modules,
//! `for_each`, unknown values, references, both Cloudflare provider generations) and
//! CloudFormation templates (JSON and YAML with intrinsics), bad input, and the plan beside a
//! live read (`chain --terraform-plan`: drift against the AWS emulator, a planned layer with
//! a live nginx configuration).

mod cloudformation;
mod drift;
mod errors;
mod never_panics;
mod terraform;

use crate::support::run::Run;
use std::process::Command;

pub fn fixture(name: &str) -> String {
    crate::support::repo()
        .join("tests/fixtures/iac")
        .join(name)
        .display()
        .to_string()
}

/// Runs the binary with no cloud credentials in the environment (an empty HOME, no AWS or
/// Cloudflare variables), plus the variables given.
pub fn wsaudit_env(args: &[&str], env: &[(&str, &str)]) -> Run {
    let home = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_wsaudit"));
    cmd.args(args)
        .current_dir(crate::support::repo())
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", home.path())
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("NO_COLOR", "1");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run wsaudit");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

pub fn wsaudit(args: &[&str]) -> Run {
    wsaudit_env(args, &[])
}

/// `wsaudit iac FILE ARGS --format json`, parsed; the exit code beside it.
pub fn iac_json(file: &str, args: &[&str]) -> (i32, serde_json::Value) {
    let path = fixture(file);
    let mut all = vec!["iac", path.as_str(), "--format", "json"];
    all.extend_from_slice(args);
    let run = wsaudit(&all);
    let report = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("{e}: stdout {} stderr {}", run.stdout, run.stderr));
    (run.code, report)
}

/// The rules that fired, as `RULE layer` strings.
pub fn fired(report: &serde_json::Value) -> Vec<String> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            format!(
                "{} {}",
                f["rule"].as_str().unwrap(),
                f["layer"].as_str().unwrap()
            )
        })
        .collect()
}

pub fn layer<'a>(report: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    report["chain"]["layers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["id"] == id)
        .unwrap_or_else(|| panic!("no layer {id} in {}", report["chain"]["layers"]))
}
