//! CloudFormation templates through the binary: YAML with short-form intrinsics, JSON with
//! long-form ones (as `cdk synth` writes), every value at its line.

use super::{fired, iac_json, layer, wsaudit};

#[test]
fn a_yaml_template_links_getatt_and_ref_and_points_at_lines() {
    let (code, report) = iac_json("chat-stack.yaml", &[]);
    assert_eq!(
        code, 0,
        "no high finding: medium ones do not fail the default run"
    );
    assert_eq!(report["chain"]["target"]["domain"], "chat.example.org");
    assert_eq!(report["chain"]["target"]["path"], "/ws/");
    assert_eq!(
        crate::support::report_layer_ids(&report),
        ["cloudfront", "alb"]
    );
    let file = super::fixture("chat-stack.yaml");
    let alb = layer(&report, "alb");
    assert_eq!(
        alb["idle_timeout"]["origin"],
        serde_json::json!({"kind": "explicit", "locator": file, "line": 21, "column": 18,
            "field": "ChatLoadBalancer.LoadBalancerAttributes[idle_timeout.timeout_seconds]"})
    );
    assert_eq!(alb["targets"]["value"], 2);
    // !Ref of a parameter is set at deploy: unknown with the reason, not the 5 s default.
    let cf = layer(&report, "cloudfront");
    assert_eq!(cf["upstream_keepalive"]["value"], serde_json::Value::Null);
    assert!(cf["upstream_keepalive"]["origin"]["reason"]
        .as_str()
        .unwrap()
        .contains("Ref KeepaliveSeconds: a stack parameter, set at deploy"));
    // !Ref of the policy resource: its headers are read from the template.
    assert_eq!(cf["forwards_upgrade"]["value"], true);
    assert_eq!(cf["forwards_upgrade"]["origin"]["line"], 72);
    let f = fired(&report);
    for want in [
        "WS201 alb",
        "WS402 alb",
        "WS301 alb",
        "WS302 alb",
        "WS702 alb",
        "WS202 chain",
    ] {
        assert!(f.contains(&want.to_string()), "{want} missing from {f:?}");
    }
}

#[test]
fn a_json_template_with_long_form_intrinsics_and_an_import() {
    let (_, report) = iac_json("feed-stack.json", &[]);
    assert_eq!(
        crate::support::report_layer_ids(&report),
        ["cloudfront", "nlb"]
    );
    let nlb = layer(&report, "nlb");
    assert_eq!(nlb["idle_timeout"]["value"], 120);
    assert_eq!(nlb["idle_timeout"]["origin"]["line"], 20);
    assert!(nlb["drain_timeout"]["origin"]["reason"]
        .as_str()
        .unwrap()
        .contains("Fn::ImportValue platform-drain-seconds: exported by another stack"));
    let cf = layer(&report, "cloudfront");
    // The managed AllViewer policy, named by its ID.
    assert_eq!(cf["forwards_upgrade"]["value"], true);
    assert_eq!(cf["access_log"]["value"]["enabled"], true);
    let f = fired(&report);
    for want in ["WS503 cloudfront", "WS201 nlb", "WS402 nlb", "WS702 nlb"] {
        assert!(f.contains(&want.to_string()), "{want} missing from {f:?}");
    }
}

#[test]
fn sarif_of_a_template_points_at_the_file_and_line() {
    let path = super::fixture("chat-stack.yaml");
    let run = wsaudit(&["iac", &path, "--format", "sarif"]);
    let sarif: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let ws302 = results.iter().find(|r| r["ruleId"] == "WS302").unwrap();
    let loc = &ws302["locations"][0]["physicalLocation"];
    assert_eq!(loc["artifactLocation"]["uri"], path.as_str());
    assert_eq!(loc["region"]["startLine"], 63);
}

#[test]
fn a_template_on_standard_input() {
    let text = std::fs::read_to_string(super::fixture("chat-stack.yaml")).unwrap();
    let run = crate::support::run::wsaudit_stdin(&["iac", "-", "--format", "json"], &text);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("\"<stdin>\""), "origins name <stdin>");
}

#[test]
fn the_pipeline_example_runs_as_written() {
    let wf =
        std::fs::read_to_string(crate::support::repo().join("examples/iac/github-actions.yml"))
            .unwrap();
    for step in [
        "terraform plan -input=false -out=tfplan",
        "terraform show -json tfplan > plan.json",
        "github/codeql-action/upload-sarif",
        "security-events: write",
    ] {
        assert!(wf.contains(step), "the example lost {step:?}");
    }
    // The audit step's flags, on a plan of our own.
    let line = wf
        .lines()
        .find(|l| l.contains("run: wsaudit iac infra/plan.json") && l.contains("--format sarif"))
        .expect("the audit step");
    let args: Vec<&str> = line
        .trim()
        .trim_start_matches("run: wsaudit ")
        .split(' ')
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let infra = dir.path().join("infra");
    std::fs::create_dir(&infra).unwrap();
    std::fs::copy(
        super::fixture("cloudflare-v4.plan.json"),
        infra.join("plan.json"),
    )
    .unwrap();
    let run = crate::support::run::wsaudit_in(dir.path(), &args);
    assert_eq!(run.code, 1, "high findings fail the step: {}", run.stderr);
    let sarif: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("wsaudit.sarif")).unwrap())
            .unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    assert!(!sarif["runs"][0]["results"].as_array().unwrap().is_empty());
}
