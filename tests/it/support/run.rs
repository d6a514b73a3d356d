//! Runs the real `wsaudit` binary, as a user would.
#![allow(dead_code)]

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

pub use super::repo;

pub fn wsaudit_in(dir: &Path, args: &[&str]) -> Run {
    wsaudit_full(dir, args, None, &[])
}

pub fn wsaudit(args: &[&str]) -> Run {
    wsaudit_full(&repo(), args, None, &[])
}

pub fn wsaudit_stdin(args: &[&str], stdin: &str) -> Run {
    wsaudit_full(&repo(), args, Some(stdin), &[])
}

pub fn wsaudit_full(dir: &Path, args: &[&str], stdin: Option<&str>, env: &[(&str, &str)]) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_wsaudit"));
    cmd.args(args)
        .current_dir(dir)
        .env_remove("NO_COLOR")
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("the wsaudit binary runs");
    if let Some(s) = stdin {
        child.stdin.take().unwrap().write_all(s.as_bytes()).unwrap();
    }
    let Output {
        status,
        stdout,
        stderr,
    } = child.wait_with_output().unwrap();
    Run {
        code: status.code().unwrap_or(-1),
        stdout: String::from_utf8(stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(stderr).expect("stderr is UTF-8"),
    }
}

/// An environment in which the AWS SDK finds no credentials, profile or instance metadata:
/// a chain run on a developer's machine cannot reach a real account.
pub const NO_AWS: &[(&str, &str)] = &[
    ("AWS_EC2_METADATA_DISABLED", "true"),
    ("AWS_CONFIG_FILE", "/nonexistent/x"),
    ("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/x"),
];

/// `wsaudit ARGS --format json` (the args carry the format) without AWS, from async tests
/// (the run blocks a worker thread, not the runtime), with the report parsed.
pub async fn wsaudit_json_no_aws(args: Vec<String>) -> (Run, serde_json::Value) {
    let r = tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        wsaudit_full(&repo(), &args, None, NO_AWS)
    })
    .await
    .unwrap();
    let v = serde_json::from_str(&r.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}\n{}", r.stdout, r.stderr));
    (r, v)
}

pub fn example() -> String {
    repo()
        .join("examples/incident-chain.json")
        .display()
        .to_string()
}

/// The bundled example with one layer's idle timeout replaced, for quick variants.
pub fn example_json() -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(example()).unwrap()).unwrap()
}
