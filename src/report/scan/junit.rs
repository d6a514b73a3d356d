//! The scan as JUnit XML: one `testsuite` per target (named by its id), a case per rule and
//! layer as for one chain, a layer that could not be read and a target that could not be
//! resolved as errors.

use super::render::target_report;
use super::ScanReport;
use crate::model::{Chain, Scheme, Target};
use crate::report::junit::{render_suites, SuiteInput};
use crate::report::Report;

pub fn render(report: &ScanReport, rules_evaluated: &[String]) -> String {
    let reports: Vec<_> = report
        .scan
        .targets
        .iter()
        .map(|t| target_report(t, rules_evaluated))
        .collect();
    // A shard that was not merged is a suite that errors: its targets were never audited,
    // and a dashboard of green suites must not say otherwise.
    let missing: Vec<(String, Report, String)> = report
        .scan
        .missing_shards
        .iter()
        .map(|s| {
            let chain = Chain::new(Target {
                domain: format!("shard {s}"),
                path: "/".into(),
                scheme: Scheme::Wss,
            });
            let r = Report::new(chain, Vec::new(), Vec::new(), Vec::new(), Vec::new(), None);
            (
                format!("shard {s}"),
                r,
                format!("shard {s} was not merged: its targets were not audited"),
            )
        })
        .collect();
    let inputs: Vec<SuiteInput<'_>> = report
        .scan
        .targets
        .iter()
        .zip(&reports)
        .map(|(t, r)| SuiteInput {
            name: t.target.clone(),
            report: r,
            unresolved: t.unresolved.as_deref(),
        })
        .chain(missing.iter().map(|(name, r, why)| SuiteInput {
            name: name.clone(),
            report: r,
            unresolved: Some(why.as_str()),
        }))
        .collect();
    render_suites(&inputs)
}
