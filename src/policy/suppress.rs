//! The user's suppressions (waivers in wsaudit.toml): which findings they move aside, and the
//! notices for waivers that expired or no longer match anything.

use super::config::{Config, Suppression};
use super::finding::{Evaluation, Finding, SuppressedFinding};

/// Evaluations of many chains reported together (every WebSocket location of an nginx tree):
/// findings in chain order, suppressions applied to the whole, so a suppression that matched in
/// one chain is not called unused because the others lacked the finding.
pub fn merge_evaluations(evaluations: Vec<Evaluation>, config: &Config) -> Evaluation {
    let mut all = Vec::new();
    let mut rules_evaluated = Vec::new();
    for ev in evaluations {
        all.extend(ev.findings);
        all.extend(ev.suppressed.into_iter().map(|s| s.finding));
        if rules_evaluated.is_empty() {
            rules_evaluated = ev.rules_evaluated;
        }
    }
    let (findings, suppressed, notices) = apply_suppressions(all, &config.suppressions, today());
    Evaluation {
        findings,
        suppressed,
        notices,
        rules_evaluated,
    }
}

pub(crate) fn today() -> time::Date {
    time::OffsetDateTime::now_utc().date()
}

/// Moves findings matched by a live suppression aside. An expired suppression stops
/// suppressing and says so; one that matched nothing is reported so waivers do not rot.
pub(crate) fn apply_suppressions(
    findings: Vec<Finding>,
    suppressions: &[Suppression],
    today: time::Date,
) -> (Vec<Finding>, Vec<SuppressedFinding>, Vec<String>) {
    let mut kept = Vec::new();
    let mut suppressed = Vec::new();
    let mut used = vec![false; suppressions.len()];
    for f in findings {
        let hit = suppressions.iter().position(|s| {
            s.rule.eq_ignore_ascii_case(&f.rule)
                && s.layer.as_ref().is_none_or(|l| *l == f.layer)
                && s.expires >= today
        });
        match hit {
            Some(i) => {
                used[i] = true;
                suppressed.push(SuppressedFinding {
                    reason: suppressions[i].reason.clone(),
                    expires: suppressions[i].expires.to_string(),
                    finding: f,
                });
            }
            None => kept.push(f),
        }
    }
    let mut notices = Vec::new();
    for (i, s) in suppressions.iter().enumerate() {
        let scope = match &s.layer {
            Some(l) => format!("{} on layer {l}", s.rule),
            None => s.rule.clone(),
        };
        if s.expires < today {
            notices.push(format!(
                "{}: the suppression of {scope} expired on {}; its findings are reported again",
                s.origin, s.expires
            ));
        } else if !used[i] {
            notices.push(format!(
                "{}: the suppression of {scope} matches no finding; remove it",
                s.origin
            ));
        }
    }
    (kept, suppressed, notices)
}

/// Suppressions applied to each chain's findings on its own (a scan keeps every target's
/// findings apart), with the notices about the suppressions themselves said once for the
/// whole run: one that matched a finding of any chain is used.
pub fn suppress_per_chain(
    evaluations: Vec<Evaluation>,
    config: &Config,
) -> (Vec<Evaluation>, Vec<String>) {
    let today = today();
    let mut all = Vec::new();
    let out = evaluations
        .into_iter()
        .map(|ev| {
            let mut findings = ev.findings;
            findings.extend(ev.suppressed.into_iter().map(|s| s.finding));
            all.extend(findings.iter().cloned());
            let (findings, suppressed, _) =
                apply_suppressions(findings, &config.suppressions, today);
            Evaluation {
                findings,
                suppressed,
                notices: ev.notices,
                rules_evaluated: ev.rules_evaluated,
            }
        })
        .collect();
    let (_, _, notices) = apply_suppressions(all, &config.suppressions, today);
    (out, notices)
}
