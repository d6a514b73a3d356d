//! Scan shard reports built by hand, the way `wsaudit scan --shard I/N --format json` writes
//! them: each target's chain judged by the real binary (`wsaudit audit`), wrapped in the scan
//! document. The merge tests read them without depending on `wsaudit scan` itself.
#![allow(dead_code)]

use super::run::{example_json, wsaudit_stdin};
use serde_json::{json, Value};
use std::path::Path;

/// The bundled example chain served at `domain` + `path`.
pub fn chain_for(domain: &str, path: &str) -> Value {
    let mut chain = example_json();
    chain["target"]["domain"] = json!(domain);
    chain["target"]["path"] = json!(path);
    chain
}

/// A target as a scan reports it: `chain` judged by `wsaudit audit` (with `args`, e.g. a
/// heartbeat), its findings with an empty fingerprint (the merge computes the real one).
pub fn target(chain: &Value, source: (&str, &str), args: &[&str]) -> Value {
    let mut argv = vec!["audit", "-", "--format", "json", "--fail-on", "never"];
    argv.extend_from_slice(args);
    let r = wsaudit_stdin(&argv, &chain.to_string());
    assert!(r.code == 0 || r.code == 3, "{}", r.stderr);
    let report: Value = serde_json::from_str(&r.stdout).unwrap();
    let findings: Vec<Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let mut f = f.clone();
            f["fingerprint"] = json!("");
            f
        })
        .collect();
    let t = &report["chain"]["target"];
    json!({
        "target": format!("{}{}", t["domain"].as_str().unwrap(), t["path"].as_str().unwrap()),
        "source": {"kind": source.0, "from": source.1},
        "chain": report["chain"],
        "findings": findings,
        "summary": report["summary"],
    })
}

/// A target that could not be resolved at all, listed with its reason.
pub fn unresolved(domain: &str, path: &str, why: &str) -> Value {
    json!({
        "target": format!("{domain}{path}"),
        "source": {"kind": "declared", "from": "wsaudit.toml:9"},
        "chain": {"schema_version": "1", "target": {"domain": domain, "path": path, "scheme": "wss"}, "layers": []},
        "findings": [],
        "summary": {
            "findings": {"critical": 0, "high": 0, "medium": 0, "low": 0, "info": 0},
            "total": 0, "suppressed": 0, "effective_idle_s": null, "cuts_first": null,
            "incomplete": true, "fail_on": "high", "failed": false, "exit_code": 3
        },
        "unresolved": why,
    })
}

/// The scan document of one shard (`spec` = `I/N`, or `None` for a whole scan). The summary
/// is a placeholder: merge recomputes it from the targets.
pub fn shard(spec: Option<&str>, targets: Vec<Value>, calls: &[(&str, u64)]) -> Value {
    let calls: serde_json::Map<String, Value> = calls
        .iter()
        .map(|(k, v)| (k.to_string(), json!(v)))
        .collect();
    let mut scan = json!({
        "targets": targets,
        "summary": {"targets": 0, "incomplete": 0, "findings": 0, "new": 0, "fixed": 0,
                    "worst": null, "failed": false, "exit_code": 0},
        "api_calls": calls,
    });
    if let Some(s) = spec {
        scan["shard"] = json!(s);
    }
    json!({
        "schema_version": "1",
        "tool": {"name": "wsaudit", "version": env!("CARGO_PKG_VERSION")},
        "scan": scan,
    })
}

/// Writes `doc` as `dir/name` and returns the path as a string for argv.
pub fn write(dir: &Path, name: &str, doc: &Value) -> String {
    let p = dir.join(name);
    std::fs::write(&p, serde_json::to_string_pretty(doc).unwrap()).unwrap();
    p.display().to_string()
}
