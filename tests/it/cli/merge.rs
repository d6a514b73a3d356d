//! `wsaudit merge` through the real binary: shards built by hand (each target's chain judged
//! by `wsaudit audit`), merged into one report; the exit codes 0/1/2/3, the baseline's
//! statuses, `--fail-on-new`, and the refusals (malformed, not a scan, versions, overlaps).

use crate::support::run::*;
use crate::support::scan::*;
use serde_json::{json, Value};

fn merge_in(dir: &std::path::Path, args: &[&str]) -> Run {
    let mut argv = vec!["merge"];
    argv.extend_from_slice(args);
    wsaudit_in(dir, &argv)
}

fn json_of(r: &Run) -> Value {
    serde_json::from_str(&r.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}\n{}", r.stdout, r.stderr))
}

/// Two shards of a two-way scan: ws.example.com (the bundled incident: WS401 high) and
/// api.example.com (the same chain with a 25 s heartbeat: nothing high).
fn two_shards(dir: &std::path::Path) -> (String, String) {
    let ws = target(
        &chain_for("ws.example.com", "/ws/"),
        ("declared", "wsaudit.toml:3"),
        &[],
    );
    let api = target(
        &chain_for("api.example.com", "/cable/"),
        ("discovered", "cloudfront E2EXAMPLE1234 alias"),
        &["--heartbeat", "25s"],
    );
    let a = write(
        dir,
        "shard-1.json",
        &shard(
            Some("1/2"),
            vec![ws],
            &[("elasticloadbalancing", 7), ("cloudfront", 2)],
        ),
    );
    let b = write(
        dir,
        "shard-2.json",
        &shard(
            Some("2/2"),
            vec![api],
            &[("elasticloadbalancing", 5), ("route53", 1)],
        ),
    );
    (a, b)
}

#[test]
fn shards_merge_into_one_report_valid_against_the_published_schema() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = two_shards(dir.path());
    // Given in reverse: the merged report orders targets by id, whatever the order of files.
    let r = merge_in(dir.path(), &[&b, &a, "--format", "json"]);
    assert_eq!(r.code, 1, "WS401 is high: {}", r.stderr);
    let v = json_of(&r);
    let ids: Vec<&str> = v["scan"]["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["target"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["api.example.com/cable/", "ws.example.com/ws/"]);
    assert_eq!(
        v["scan"]["api_calls"],
        json!({"cloudfront": 2, "elasticloadbalancing": 12, "route53": 1})
    );
    assert_eq!(v["scan"]["summary"]["targets"], 2);
    assert_eq!(v["scan"]["summary"]["worst"], "high");
    assert_eq!(v["scan"]["summary"]["exit_code"], 1);
    assert!(
        v["scan"].get("shard").is_none(),
        "a merged report is no shard"
    );
    // Every finding has its stable fingerprint, and the same input gives the same ones.
    let fps = |v: &Value| -> Vec<String> {
        v["scan"]["targets"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|t| t["findings"].as_array().unwrap())
            .map(|f| f["fingerprint"].as_str().unwrap().to_string())
            .collect()
    };
    let first = fps(&v);
    assert!(first.iter().all(|f| f.len() == 20), "{first:?}");
    assert_eq!(
        fps(&json_of(&merge_in(
            dir.path(),
            &[&a, &b, "--format", "json"]
        ))),
        first
    );

    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(repo().join("schema/scan.schema.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).expect("the schema compiles");
    let errors: Vec<String> = validator.iter_errors(&v).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let mut broken = v.clone();
    broken["scan"]["targets"][0]["source"] = json!("declared");
    assert!(!validator.is_valid(&broken), "the check is not vacuous");
}

#[test]
fn published_scan_schema_is_current() {
    let r = wsaudit(&["schema", "--scan"]);
    assert_eq!(r.code, 0);
    let published = std::fs::read_to_string(repo().join("schema/scan.schema.json")).unwrap();
    assert!(
        published == r.stdout,
        "schema/scan.schema.json is stale: run `wsaudit schema --scan > schema/scan.schema.json`"
    );
    assert!(r.stdout.contains("\"api_calls\""), "{}", r.stdout);
}

#[test]
fn exit_codes_follow_the_scan() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = two_shards(dir.path());
    // Nothing at or above --fail-on, everything read: 0.
    let r = merge_in(
        dir.path(),
        &[&a, &b, "--fail-on", "critical", "--format", "json"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(json_of(&r)["scan"]["summary"]["exit_code"], 0);

    // A layer that could not be read: 3 unless a finding fails the scan.
    let mut gap = chain_for("edge.example.com", "/ws/");
    gap["gaps"] = json!([{"layer": "cloudflare", "provider": "cloudflare",
        "reason": "the token lacks Zone Read", "code": "access-denied"}]);
    let c = write(
        dir.path(),
        "gap.json",
        &shard(
            None,
            vec![target(&gap, ("declared", "wsaudit.toml:7"), &[])],
            &[],
        ),
    );
    let r = merge_in(
        dir.path(),
        &[&c, "--fail-on", "critical", "--format", "json"],
    );
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert_eq!(json_of(&r)["scan"]["summary"]["incomplete"], 1);
    assert_eq!(
        merge_in(dir.path(), &[&c]).code,
        1,
        "a high finding still fails it"
    );

    // A target that could not be resolved is listed with its reason, and the scan is
    // incomplete.
    let u = write(
        dir.path(),
        "unresolved.json",
        &shard(
            None,
            vec![unresolved("gone.example.com", "/ws/", "no DNS record")],
            &[],
        ),
    );
    let r = merge_in(dir.path(), &[&u, "--format", "json"]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    let v = json_of(&r);
    assert_eq!(v["scan"]["targets"][0]["unresolved"], "no DNS record");
}

#[test]
fn a_missing_shard_makes_the_merge_incomplete() {
    let dir = tempfile::tempdir().unwrap();
    let ws = target(
        &chain_for("ws.example.com", "/ws/"),
        ("declared", "wsaudit.toml:3"),
        &[],
    );
    let a = write(dir.path(), "s1.json", &shard(Some("1/3"), vec![ws], &[]));
    let b = write(dir.path(), "s3.json", &shard(Some("3/3"), vec![], &[]));
    let r = merge_in(
        dir.path(),
        &[&a, &b, "--fail-on", "never", "--format", "json"],
    );
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(r.stderr.contains("shard 2/3 was not given"), "{}", r.stderr);
    assert_eq!(json_of(&r)["scan"]["missing_shards"], json!(["2/3"]));
    // Merged again (to render the merged JSON in another format), it is still incomplete.
    let merged = merge_in(
        dir.path(),
        &[
            &a,
            &b,
            "--fail-on",
            "never",
            "--format",
            "json",
            "-o",
            "merged.json",
        ],
    );
    assert_eq!(merged.code, 3);
    let again = merge_in(
        dir.path(),
        &["merged.json", "--fail-on", "never", "--format", "sarif"],
    );
    assert_eq!(again.code, 3, "{}", again.stderr);
    assert!(
        again.stdout.contains("shard 2/3 was not merged"),
        "{}",
        again.stdout
    );
    let md = merge_in(
        dir.path(),
        &[&a, &b, "--fail-on", "never", "--format", "markdown"],
    );
    assert!(
        md.stdout.contains("**Shard 2/3 was not merged**"),
        "{}",
        md.stdout
    );
    let junit = merge_in(
        dir.path(),
        &[&a, &b, "--fail-on", "never", "--format", "junit"],
    );
    assert!(
        junit
            .stdout
            .contains("<testsuite name=\"shard 2/3\" tests=\"1\" failures=\"0\" errors=\"1\">"),
        "{}",
        junit.stdout
    );
}

#[test]
fn bad_shards_are_refused_with_the_file_and_position() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = two_shards(dir.path());
    let malformed = dir.path().join("broken.json");
    std::fs::write(
        &malformed,
        "{\n  \"schema_version\": \"1\",\n  \"scan\": {]\n}\n",
    )
    .unwrap();
    let malformed = malformed.display().to_string();
    let r = merge_in(dir.path(), &[&a, &malformed]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr
            .contains(&format!("{malformed}:3:12: not JSON: key must be a string")),
        "{}",
        r.stderr
    );

    // Valid JSON of the wrong shape: the field serde missed, at its position.
    let mut doc: Value = serde_json::from_str(&std::fs::read_to_string(&a).unwrap()).unwrap();
    doc["scan"]["targets"][0]
        .as_object_mut()
        .unwrap()
        .remove("source");
    let wrong = write(dir.path(), "wrong.json", &doc);
    let r = merge_in(dir.path(), &[&wrong]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains(&format!("{wrong}:"))
            && r.stderr
                .contains("not a scan report: missing field `source`"),
        "{}",
        r.stderr
    );

    // A single-chain report is not a scan.
    let chain_report = wsaudit(&["audit", &example(), "--format", "json"]);
    let single = dir.path().join("single.json");
    std::fs::write(&single, &chain_report.stdout).unwrap();
    let r = merge_in(dir.path(), &[single.to_str().unwrap()]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("single.json: not a scan report: no `scan` object (it is a single-chain report or chain)"),
        "{}",
        r.stderr
    );

    // Shards of different schema versions.
    let mut other: Value = serde_json::from_str(&std::fs::read_to_string(&b).unwrap()).unwrap();
    other["schema_version"] = json!("2");
    let v2 = write(dir.path(), "v2.json", &other);
    let r = merge_in(dir.path(), &[&a, &v2]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr
            .contains("v2.json: schema_version \"2\" is not supported (this wsaudit reads \"1\")"),
        "{}",
        r.stderr
    );

    // Overlaps: one shard twice, counts that differ, a whole scan with shards.
    let r = merge_in(dir.path(), &[&a, &a]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("are both shard 1/2"), "{}", r.stderr);
    let quarter = write(dir.path(), "q.json", &shard(Some("1/4"), vec![], &[]));
    let r = merge_in(dir.path(), &[&a, &quarter]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("is shard 1/2 but")
            && r.stderr.contains("shards of different counts overlap"),
        "{}",
        r.stderr
    );
    let whole = write(dir.path(), "whole.json", &shard(None, vec![], &[]));
    let r = merge_in(dir.path(), &[&whole, &a]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("whole.json is a whole scan (no --shard)"),
        "{}",
        r.stderr
    );
    let bad_spec = write(dir.path(), "spec.json", &shard(Some("3/2"), vec![], &[]));
    let r = merge_in(dir.path(), &[&bad_spec]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("shard \"3/2\" is not I/N"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("panicked"), "{}", r.stderr);

    // --fail-on-new with nothing to be new against.
    let r = merge_in(dir.path(), &[&a, &b, "--fail-on-new"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("--fail-on-new needs a baseline"),
        "{}",
        r.stderr
    );
}

#[test]
fn the_baseline_marks_new_unchanged_and_fixed_and_fail_on_new_fails_on_new_only() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = two_shards(dir.path());
    let base = merge_in(
        dir.path(),
        &[&a, &b, "--format", "json", "-o", "baseline.json"],
    );
    assert_eq!(base.code, 1);
    let baseline = dir.path().join("baseline.json").display().to_string();

    // Next run: same two targets, except the ALB's idle timeout on ws.example.com was raised
    // (WS401/WS201/WS402 on the ALB are fixed; WS401 moves to CloudFront: a new finding).
    let mut fixed_chain = chain_for("ws.example.com", "/ws/");
    fixed_chain["layers"][1]["idle_timeout"]["value"] = json!(3600);
    let ws = target(&fixed_chain, ("declared", "wsaudit.toml:3"), &[]);
    let api = target(
        &chain_for("api.example.com", "/cable/"),
        ("discovered", "cloudfront E2EXAMPLE1234 alias"),
        &["--heartbeat", "25s"],
    );
    let n1 = write(dir.path(), "n1.json", &shard(Some("1/2"), vec![ws], &[]));
    let n2 = write(
        dir.path(),
        "n2.json",
        &shard(Some("2/2"), vec![api.clone()], &[]),
    );
    let r = merge_in(
        dir.path(),
        &[&n1, &n2, "--baseline", &baseline, "--format", "json"],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    let v = json_of(&r);
    let status = |target: &str, rule: &str, layer: &str| -> Value {
        v["scan"]["targets"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["target"] == target)
            .unwrap()["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["rule"] == rule && f["layer"] == layer)
            .unwrap_or_else(|| panic!("{rule} on {layer} of {target}"))["status"]
            .clone()
    };
    assert_eq!(status("ws.example.com/ws/", "WS401", "cloudfront"), "new");
    assert_eq!(status("ws.example.com/ws/", "WS301", "alb"), "unchanged");
    assert_eq!(
        status("api.example.com/cable/", "WS301", "alb"),
        "unchanged"
    );
    let fixed: Vec<(String, String)> = v["scan"]["fixed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            assert_eq!(f["status"], "fixed");
            assert_eq!(f["target"], "ws.example.com/ws/");
            (
                f["rule"].as_str().unwrap().into(),
                f["layer"].as_str().unwrap().into(),
            )
        })
        .collect();
    for rule in ["WS401", "WS201", "WS402"] {
        assert!(
            fixed.contains(&(rule.into(), "alb".into())),
            "{rule}: {fixed:?}"
        );
    }
    assert_eq!(v["scan"]["summary"]["fixed"], fixed.len());
    assert!(v["scan"]["summary"]["new"].as_u64().unwrap() >= 1);

    // The new WS401 is high: --fail-on-new still fails.
    let r = merge_in(
        dir.path(),
        &[
            &n1,
            &n2,
            "--baseline",
            &baseline,
            "--fail-on-new",
            "--format",
            "json",
        ],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);

    // The baseline run again: its high WS401 is unchanged, so only --fail-on-new passes.
    let r = merge_in(dir.path(), &[&a, &b, "--baseline", &baseline]);
    assert_eq!(
        r.code, 1,
        "unchanged high findings fail without --fail-on-new"
    );
    let r = merge_in(
        dir.path(),
        &[
            &a,
            &b,
            "--baseline",
            &baseline,
            "--fail-on-new",
            "--format",
            "json",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v = json_of(&r);
    assert_eq!(v["scan"]["summary"]["new"], 0);
    assert_eq!(v["scan"]["summary"]["fixed"], 0);
    assert_eq!(v["scan"]["summary"]["failed"], false);

    // Statuses the shards carry (scanned with a baseline) stand without --baseline.
    let mut carried = shard(Some("1/1"), vec![api], &[]);
    for f in carried["scan"]["targets"][0]["findings"]
        .as_array_mut()
        .unwrap()
    {
        f["status"] = json!("unchanged");
    }
    let c = write(dir.path(), "carried.json", &carried);
    let r = merge_in(dir.path(), &[&c, "--fail-on", "low", "--fail-on-new"]);
    assert_eq!(r.code, 0, "only unchanged findings: {}", r.stderr);
    let r = merge_in(dir.path(), &[&c, "--fail-on", "low"]);
    assert_eq!(r.code, 1);
}
