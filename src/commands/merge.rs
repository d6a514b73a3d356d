//! `wsaudit merge`: the JSON reports of a scan's shards (`scan --shard I/N --format json`)
//! into one report, in any format. Shards are checked before anything is merged: each must be
//! a scan report of this binary's schema version (so shards of different versions are
//! refused, the first one that differs named), and together they must not overlap (one count,
//! each index once); a shard that is missing makes the merged report incomplete (exit 3),
//! never clean.

use super::run_context::fail_on_severity;
use super::{CommandError, Context};
use crate::cli::{GlobalArgs, MergeArgs};
use crate::model::SCHEMA_VERSION;
use crate::report::scan::ScanReport;
use std::collections::BTreeMap;
use std::path::Path;

pub fn run(global: &GlobalArgs, args: &MergeArgs) -> Result<u8, CommandError> {
    let ctx = Context::load(global)?;
    let mut shards = Vec::new();
    for path in &args.shards {
        shards.push((path.display().to_string(), read_scan(path)?));
    }
    let baseline = args.baseline.as_deref().map(read_scan).transpose()?;
    let mut missing = check_shards(&shards)?;
    // A merged report merged again (to render it in another format) keeps what it lacked.
    for (_, s) in &shards {
        for m in &s.scan.missing_shards {
            if !missing.contains(m) {
                missing.push(m.clone());
            }
        }
    }
    let with_statuses = shards
        .iter()
        .flat_map(|(_, s)| &s.scan.targets)
        .flat_map(|t| &t.findings)
        .any(|f| f.status.is_some());
    if args.fail_on_new && baseline.is_none() && !with_statuses {
        return Err(CommandError::Usage(
            "--fail-on-new needs a baseline: --baseline FILE, or shards scanned with \
             `wsaudit scan --baseline`"
                .into(),
        ));
    }
    for s in &missing {
        ctx.info(&format!(
            "shard {s} was not given: its targets are not in the report (exit 3 unless a finding fails it)"
        ));
    }
    let fail_on = fail_on_severity(global.fail_on);
    let mut merged = ScanReport::merge(
        shards.into_iter().map(|(_, s)| s).collect(),
        fail_on,
        args.fail_on_new,
    );
    if let Some(baseline) = &baseline {
        // Statuses are recomputed against this baseline: the shards' own (against whatever
        // each was scanned with) and their fixed lists give way to it.
        let mut targets = std::mem::take(&mut merged.scan.targets);
        for f in targets.iter_mut().flat_map(|t| t.findings.iter_mut()) {
            f.status = None;
        }
        let calls = std::mem::take(&mut merged.scan.api_calls);
        merged = ScanReport::new(
            targets,
            Some(baseline),
            fail_on,
            args.fail_on_new,
            calls,
            None,
        );
    }
    if !missing.is_empty() {
        merged.scan.missing_shards = missing;
        if !merged.scan.summary.failed {
            merged.scan.summary.exit_code = super::exit::INCOMPLETE;
        }
    }
    ctx.emit_scan(&merged)
}

/// One scan report from a file: JSON syntax and type errors at `file:line:column`, anything
/// else (a chain report, another version) said as what it is.
fn read_scan(path: &Path) -> Result<ScanReport, CommandError> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| CommandError::io(&name, e))?;
    // Parsed once on the way that succeeds (a shard of a large scan is tens of MB); only a
    // document that fails is looked at again, to say what it is instead.
    let typed_error = match serde_json::from_str::<ScanReport>(&text) {
        Ok(report) => {
            check_version(&name, Some(&report.schema_version))?;
            return Ok(report);
        }
        Err(e) => e,
    };
    let value: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| json_error(&name, &e, "not JSON"))?;
    let Some(object) = value.as_object() else {
        return Err(CommandError::Usage(format!(
            "{name}: not a scan report: the document is not a JSON object"
        )));
    };
    if !object.get("scan").is_some_and(|s| s.is_object()) {
        let what = if object.contains_key("chain") || object.contains_key("layers") {
            " (it is a single-chain report or chain)"
        } else {
            ""
        };
        return Err(CommandError::Usage(format!(
            "{name}: not a scan report: no `scan` object{what}; merge reads what \
             `wsaudit scan --format json` writes"
        )));
    }
    check_version(&name, object.get("schema_version").and_then(|v| v.as_str()))?;
    Err(json_error(&name, &typed_error, "not a scan report"))
}

fn check_version(name: &str, found: Option<&str>) -> Result<(), CommandError> {
    match found {
        Some(SCHEMA_VERSION) => Ok(()),
        Some(other) => Err(CommandError::Usage(format!(
            "{name}: schema_version {other:?} is not supported (this wsaudit reads {SCHEMA_VERSION:?})"
        ))),
        None => Err(CommandError::Usage(format!(
            "{name}: not a scan report: no `schema_version` string"
        ))),
    }
}

/// `shard-1.json:3:17: not a scan report: missing field `summary``.
fn json_error(name: &str, e: &serde_json::Error, what: &str) -> CommandError {
    let full = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    let message = full.strip_suffix(&suffix).unwrap_or(&full);
    CommandError::Usage(format!(
        "{name}:{}:{}: {what}: {message}",
        e.line(),
        e.column()
    ))
}

/// The shards do not overlap: one count, each index once, and a whole scan (no `--shard`)
/// only on its own. Returns the shards of that count that were not given (`3/4`).
fn check_shards(shards: &[(String, ScanReport)]) -> Result<Vec<String>, CommandError> {
    let mut seen: BTreeMap<u32, &str> = BTreeMap::new();
    let mut count: Option<(u32, &str, String)> = None;
    for (name, s) in shards {
        let Some(spec) = &s.scan.shard else {
            if shards.len() > 1 {
                let other = shards
                    .iter()
                    .map(|(n, _)| n.as_str())
                    .find(|n| *n != name)
                    .unwrap_or(name);
                return Err(CommandError::Usage(format!(
                    "{name} is a whole scan (no --shard): it overlaps {other}; merge the \
                     shards of one scan, or give a whole scan on its own"
                )));
            }
            continue;
        };
        let (i, n) = parse_spec(spec).ok_or_else(|| {
            CommandError::Usage(format!(
                "{name}: shard {spec:?} is not I/N with 1 <= I <= N"
            ))
        })?;
        match &count {
            Some((m, other, other_spec)) if *m != n => {
                return Err(CommandError::Usage(format!(
                    "{other} is shard {other_spec} but {name} is shard {spec}: shards of \
                     different counts overlap (each target is in one shard of each count)"
                )))
            }
            Some(_) => {}
            None => count = Some((n, name, spec.clone())),
        }
        if let Some(other) = seen.insert(i, name) {
            return Err(CommandError::Usage(format!(
                "{other} and {name} are both shard {spec}: each shard once"
            )));
        }
    }
    Ok(match count {
        Some((n, _, _)) => (1..=n)
            .filter(|i| !seen.contains_key(i))
            .map(|i| format!("{i}/{n}"))
            .collect(),
        None => Vec::new(),
    })
}

/// `2/4` → (2, 4), 1-based as `--shard` takes it.
fn parse_spec(spec: &str) -> Option<(u32, u32)> {
    let (i, n) = spec.split_once('/')?;
    let (i, n): (u32, u32) = (i.trim().parse().ok()?, n.trim().parse().ok()?);
    (i >= 1 && i <= n).then_some((i, n))
}

#[cfg(test)]
mod tests {
    use super::parse_spec;
    use proptest::prelude::*;

    proptest! {
        // Any text: no panic, and what is accepted is exactly `I/N` with 1 <= I <= N.
        #[test]
        fn a_shard_spec_is_i_of_n_or_refused(text in "\\PC{0,12}") {
            if let Some((i, n)) = parse_spec(&text) {
                prop_assert!(1 <= i && i <= n);
                prop_assert_eq!(parse_spec(&format!("{i}/{n}")), Some((i, n)));
            }
        }

        #[test]
        fn every_valid_spec_is_accepted(n in 1u32..10_000, k in 0u32..10_000) {
            let i = k % n + 1;
            prop_assert_eq!(parse_spec(&format!("{i}/{n}")), Some((i, n)));
            prop_assert_eq!(parse_spec(&format!("{}/{n}", n + 1)), None);
        }
    }

    #[test]
    fn shard_specs() {
        assert_eq!(parse_spec("2/4"), Some((2, 4)));
        assert_eq!(parse_spec("4/4"), Some((4, 4)));
        assert_eq!(parse_spec("0/4"), None);
        assert_eq!(parse_spec("3/2"), None);
        assert_eq!(parse_spec("x/2"), None);
        assert_eq!(parse_spec("2"), None);
    }
}
