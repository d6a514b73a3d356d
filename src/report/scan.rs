//! The report of a scan (`wsaudit scan`) or of shards merged (`wsaudit merge`): every target
//! with its chain, findings and summary, the scan's summary and its API calls. Findings carry a
//! stable fingerprint (rule + target + layer locator + setting) and, against a baseline, a
//! status (new / unchanged), with the baseline's findings that are gone listed as fixed.

mod json;
mod junit;
mod markdown;
mod render;
mod sarif;
mod table;

pub use json::{schema, write as write_json};
pub use render::{render_scan, write_scan, ScanRenderOptions};
pub use sarif::{GITHUB_MAX_GZIP_BYTES, GITHUB_MAX_RESULTS};

use super::{Report, Summary, Tool};
use crate::model::{Chain, SCHEMA_VERSION};
use crate::policy::{Finding, Severity};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct ScanReport {
    pub schema_version: String,
    pub tool: Tool,
    pub scan: Scan,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Scan {
    pub targets: Vec<ScanTarget>,
    pub summary: ScanSummary,
    /// Calls made per service (`elasticloadbalancing`, `cloudfront`, `route53`, `cloudflare`).
    #[serde(default)]
    pub api_calls: BTreeMap<String, u64>,
    /// `I/N` when this document is one shard of a scan.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<String>,
    /// Baseline findings no target has any more.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fixed: Vec<ScanFinding>,
    /// Shards of a merged scan that were not given to `wsaudit merge` (`3/4`): their targets
    /// were not audited, so the merged report is incomplete (exit 3 unless a finding fails it).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub missing_shards: Vec<String>,
    /// Accounts, tokens and scopes (a region's listing, CloudFront, Route 53, a zone) that
    /// could not be read: a gap on each target they could serve, and the scan incomplete.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unread: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct ScanTarget {
    /// `ws.example.com/ws/`: the domain and path, the target's id.
    pub target: String,
    pub source: TargetSource,
    pub chain: Chain,
    pub findings: Vec<ScanFinding>,
    pub summary: Summary,
    /// Why a target could not be audited at all (it is listed, never dropped).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unresolved: Option<String>,
}

/// Where a target came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct TargetSource {
    /// `declared` or `discovered`.
    pub kind: String,
    /// The `[[target]]`'s `file:line`, or what it was discovered from.
    pub from: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum FindingStatus {
    New,
    Unchanged,
    Fixed,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct ScanFinding {
    #[serde(flatten)]
    pub finding: Finding,
    pub fingerprint: String,
    /// Against `--baseline`; absent without one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<FindingStatus>,
    /// The target it belongs to (for fixed findings, which have no target any more).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct ScanSummary {
    pub targets: usize,
    /// Targets with a layer that could not be read, or that could not be resolved at all.
    pub incomplete: usize,
    pub findings: usize,
    pub new: usize,
    pub fixed: usize,
    /// The most severe finding of the scan.
    pub worst: Option<Severity>,
    pub failed: bool,
    pub exit_code: u8,
}

/// A finding's identity across runs: rule, target, the layer's locator (its ARN, file or
/// zone; the layer id when it has none) and the setting. Messages and values may change
/// between runs; this does not unless the problem moves.
pub fn fingerprint(target: &str, chain: &Chain, f: &Finding) -> String {
    use sha2::{Digest, Sha256};
    let layer = chain.layers.iter().find(|l| l.id == f.layer);
    let locator = layer
        .and_then(|l| l.locator.clone())
        .unwrap_or_else(|| f.layer.clone());
    let setting = f.root_cause.as_deref().unwrap_or("");
    let mut h = Sha256::new();
    for part in [f.rule.as_str(), target, &f.layer, &locator, setting] {
        h.update(part.as_bytes());
        h.update([0]);
    }
    h.finalize()
        .iter()
        .take(10)
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl ScanTarget {
    /// The target as a single-chain report, for the per-target renderers.
    pub fn report(&self, rules_evaluated: &[String]) -> Report {
        let mut r = Report::new(
            self.chain.clone(),
            self.findings.iter().map(|f| f.finding.clone()).collect(),
            Vec::new(),
            self.unresolved.iter().cloned().collect(),
            rules_evaluated.to_vec(),
            None,
        );
        r.summary = self.summary.clone();
        r
    }
}

impl ScanReport {
    /// What the scan could not read; unless a finding already fails it, the scan is then
    /// incomplete (exit 3) even if no target needed what is missing.
    pub fn set_unread(&mut self, unread: Vec<String>) {
        if !unread.is_empty() && self.scan.summary.exit_code == 0 {
            self.scan.summary.exit_code = 3;
        }
        self.scan.unread = unread;
    }

    /// Assembles the scan: fingerprints, the baseline's statuses, the summary and the exit
    /// code. With `fail_on_new`, only new findings (against the baseline) fail the scan.
    pub fn new(
        mut targets: Vec<ScanTarget>,
        baseline: Option<&ScanReport>,
        fail_on: Option<Severity>,
        fail_on_new: bool,
        api_calls: BTreeMap<String, u64>,
        shard: Option<String>,
    ) -> ScanReport {
        let before: BTreeMap<&str, &ScanFinding> = baseline
            .map(|b| {
                b.scan
                    .targets
                    .iter()
                    .flat_map(|t| t.findings.iter())
                    .map(|f| (f.fingerprint.as_str(), f))
                    .collect()
            })
            .unwrap_or_default();
        let mut seen = std::collections::BTreeSet::new();
        for t in &mut targets {
            for f in &mut t.findings {
                if f.fingerprint.is_empty() {
                    f.fingerprint = fingerprint(&t.target, &t.chain, &f.finding);
                }
                if baseline.is_some() {
                    f.status = Some(if before.contains_key(f.fingerprint.as_str()) {
                        FindingStatus::Unchanged
                    } else {
                        FindingStatus::New
                    });
                }
                seen.insert(f.fingerprint.clone());
            }
        }
        let fixed: Vec<ScanFinding> = baseline
            .map(|b| {
                b.scan
                    .targets
                    .iter()
                    .flat_map(|t| {
                        t.findings.iter().map(move |f| ScanFinding {
                            target: Some(t.target.clone()),
                            status: Some(FindingStatus::Fixed),
                            ..f.clone()
                        })
                    })
                    .filter(|f| !seen.contains(&f.fingerprint))
                    .collect()
            })
            .unwrap_or_default();
        let all = || targets.iter().flat_map(|t| t.findings.iter());
        let counted = |f: &&ScanFinding| !fail_on_new || f.status != Some(FindingStatus::Unchanged);
        let failed =
            fail_on.is_some_and(|t| all().filter(counted).any(|f| f.finding.severity >= t));
        let incomplete = targets
            .iter()
            .filter(|t| t.summary.incomplete || t.unresolved.is_some())
            .count();
        let summary = ScanSummary {
            targets: targets.len(),
            incomplete,
            findings: all().count(),
            new: all()
                .filter(|f| f.status == Some(FindingStatus::New))
                .count(),
            fixed: fixed.len(),
            worst: all().map(|f| f.finding.severity).max(),
            failed,
            exit_code: if failed {
                1
            } else if incomplete > 0 {
                3
            } else {
                0
            },
        };
        ScanReport {
            schema_version: SCHEMA_VERSION.to_string(),
            tool: Tool {
                name: "wsaudit".into(),
                version: env!("CARGO_PKG_VERSION").into(),
            },
            scan: Scan {
                targets,
                summary,
                api_calls,
                shard,
                fixed,
                missing_shards: Vec::new(),
                unread: Vec::new(),
            },
        }
    }

    /// Shards into one scan: targets in a stable order (by target id), calls added up.
    pub fn merge(
        shards: Vec<ScanReport>,
        fail_on: Option<Severity>,
        fail_on_new: bool,
    ) -> ScanReport {
        let mut targets = Vec::new();
        let mut calls: BTreeMap<String, u64> = BTreeMap::new();
        let mut fixed = Vec::new();
        let mut unread: Vec<String> = Vec::new();
        for s in shards {
            for u in s.scan.unread {
                if !unread.contains(&u) {
                    unread.push(u);
                }
            }
            for (k, v) in s.scan.api_calls {
                *calls.entry(k).or_default() += v;
            }
            targets.extend(s.scan.targets);
            fixed.extend(s.scan.fixed);
        }
        targets.sort_by(|a: &ScanTarget, b| a.target.cmp(&b.target));
        targets.dedup_by(|a, b| a.target == b.target);
        let mut merged = ScanReport::new(targets, None, fail_on, false, calls, None);
        // The shards' statuses against their baseline stand; the fail decision is recomputed
        // over them.
        let all = || merged.scan.targets.iter().flat_map(|t| t.findings.iter());
        merged.scan.summary.new = all()
            .filter(|f| f.status == Some(FindingStatus::New))
            .count();
        let failed = fail_on.is_some_and(|t| {
            all()
                .filter(|f| !fail_on_new || f.status != Some(FindingStatus::Unchanged))
                .any(|f| f.finding.severity >= t)
        });
        merged.scan.summary.failed = failed;
        merged.scan.summary.fixed = fixed.len();
        merged.scan.fixed = fixed;
        merged.scan.summary.exit_code = if failed {
            1
        } else if merged.scan.summary.incomplete > 0 {
            3
        } else {
            0
        };
        merged.set_unread(unread);
        merged
    }
}

/// The shard a target belongs to: a stable hash of its id (SHA-256, not the standard
/// library's hasher, whose output may change between Rust versions) modulo the count.
pub fn shard_of(target: &str, count: u32) -> u32 {
    use sha2::{Digest, Sha256};
    let d = Sha256::digest(target.as_bytes());
    let n = u64::from_be_bytes([d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7]]);
    (n % u64::from(count.max(1))) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    // SHA-256 of the id, its first 8 bytes big-endian, modulo the count (as `sha256sum` gives).
    const PINNED: (u32, u32) = (2, 5);

    #[test]
    fn shards_are_stable_and_cover_every_target() {
        let ids: Vec<String> = (0..1000).map(|i| format!("t{i}.example.com/ws/")).collect();
        let mut counts = [0u32; 4];
        for id in &ids {
            let s = shard_of(id, 4);
            assert_eq!(s, shard_of(id, 4));
            counts[s as usize] += 1;
        }
        assert!(counts.iter().all(|c| (200..300).contains(c)), "{counts:?}");
        // Fixed values: a change of hash (which would move every target to another shard
        // between two runs of a scheduled scan) fails here.
        assert_eq!(shard_of("ws.example.com/ws/", 1000), PINNED.0);
        assert_eq!(shard_of("api.example.com/cable", 7), PINNED.1);
    }
}
