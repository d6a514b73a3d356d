//! Reports (DESIGN §2): render a judged chain. Reports read the chain and the findings only;
//! they never fetch anything.

pub mod diagnostics;
pub mod json;
pub mod junit;
pub mod logs;
pub mod markdown;
pub mod plot;
pub mod probe;
pub mod rules;
pub mod sarif;
pub mod scan;
pub mod table;

use crate::model::{Chain, Layer, ProbeFacts, Seconds, SCHEMA_VERSION};
use crate::policy::{Finding, Severity, SuppressedFinding};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::borrow::Cow;

/// A layer's name as the reports show it: with the rewrite that led the request there, so a
/// reader sees why `/cable/x` is judged as `location /socket/`. `lib.title` in the rule pack
/// writes the same words into findings.
pub fn layer_title(layer: &Layer) -> Cow<'_, str> {
    if layer.reached_by_rewrite.is_none()
        && layer.rewrite_not_followed.is_none()
        && layer.reached_by_fallback.is_none()
    {
        return Cow::Borrowed(&layer.name);
    }
    let mut s = layer.name.clone();
    if let Some(at) = &layer.reached_by_rewrite {
        s += &format!(" (reached by the rewrite at {}:{})", at.file, at.line);
    }
    if let Some(at) = &layer.reached_by_fallback {
        s += &format!(" (reached by the fallback at {}:{})", at.file, at.line);
    }
    if let Some(at) = &layer.rewrite_not_followed {
        s += &format!(
            " (the rewrite at {}:{} depends on request data and is not followed)",
            at.file, at.line
        );
    }
    Cow::Owned(s)
}

/// The JSON report document: one object on standard output.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Report {
    pub schema_version: String,
    pub tool: Tool,
    pub chain: Chain,
    pub findings: Vec<Finding>,
    /// Findings a live suppression in wsaudit.toml set aside, with its reason.
    pub suppressed: Vec<SuppressedFinding>,
    /// Expired or unused suppressions and similar things to act on.
    pub notices: Vec<String>,
    pub summary: Summary,
    /// The live probe's facts, when one ran (also in `chain.probe`, or in the `chain.probe`
    /// of the route whose layers explain the cut it measured).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub probe: Option<ProbeFacts>,
    /// The other entry points the domain sends clients to (a Cloudflare load balancer's pool
    /// origins, Route 53 weighted, latency, failover, geolocation record sets), each judged as
    /// a chain of its own; `chain` is the
    /// one most clients get (`chain.route` names it). `summary` counts the findings of all of
    /// them, and its exit code is the worst; `effective_idle_s` and `cuts_first` stay
    /// `chain`'s, each route has its own summary.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub routes: Vec<RouteReport>,
    /// Rule ids that ran, for JUnit's rule × layer cases.
    #[serde(skip)]
    pub rules_evaluated: Vec<String>,
    /// Where `wsaudit logs --plot` wrote its SVG, for the Markdown report to link.
    #[serde(skip)]
    pub plot: Option<String>,
}

/// One more entry point of the same domain, judged on its own.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct RouteReport {
    /// Which pool origin or record set leads there (also `chain.route`).
    pub route: crate::model::RouteChoice,
    pub chain: Chain,
    pub findings: Vec<Finding>,
    pub suppressed: Vec<SuppressedFinding>,
    pub summary: Summary,
}

impl RouteReport {
    /// A judged chain that `chain.route` names.
    pub fn from_report(r: Report) -> Option<RouteReport> {
        Some(RouteReport {
            route: r.chain.route.clone()?,
            chain: r.chain,
            findings: r.findings,
            suppressed: r.suppressed,
            summary: r.summary,
        })
    }

    /// This route as a report of its own, for the renderers that show each route like a chain.
    pub fn as_report(&self, parent: &Report) -> Report {
        Report {
            schema_version: parent.schema_version.clone(),
            tool: parent.tool.clone(),
            chain: self.chain.clone(),
            findings: self.findings.clone(),
            suppressed: self.suppressed.clone(),
            notices: Vec::new(),
            summary: self.summary.clone(),
            probe: self.chain.probe.clone(),
            routes: Vec::new(),
            rules_evaluated: parent.rules_evaluated.clone(),
            plot: None,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Tool {
    pub name: String,
    pub version: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct SeverityCounts {
    pub critical: usize,
    pub high: usize,
    pub medium: usize,
    pub low: usize,
    pub info: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Summary {
    pub findings: SeverityCounts,
    pub total: usize,
    pub suppressed: usize,
    /// The chain's shortest known idle timeout.
    pub effective_idle_s: Option<Seconds>,
    /// The layer that cuts an idle WebSocket first.
    pub cuts_first: Option<String>,
    /// A layer could not be read: the verdict covers only what was.
    pub incomplete: bool,
    /// `info` … `critical`, or `never`.
    pub fail_on: String,
    /// A finding reached `fail_on`.
    pub failed: bool,
    /// The process exit code this report produced (DESIGN §1).
    pub exit_code: u8,
}

/// One setting behind several findings: one problem, one change.
pub struct RootCause<'a> {
    /// `alb.idle_timeout`, as the findings' `root_cause` key.
    pub key: &'a str,
    /// Its findings, most severe first (the report's order).
    pub findings: Vec<&'a Finding>,
}

impl<'a> RootCause<'a> {
    /// Where to change it and how: the most severe finding's locator and fix.
    pub fn lead(&self) -> &'a Finding {
        self.findings[0]
    }

    /// "WS401 (high), WS201 (medium), WS402 (medium)".
    pub fn rules(&self) -> String {
        self.findings
            .iter()
            .map(|f| format!("{} ({})", f.rule, f.severity))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl Report {
    /// The settings that more than one finding comes from, in the order of their most severe
    /// finding: reading the list of findings alone, the ALB's 60 s default would look like three
    /// problems.
    pub fn root_causes(&self) -> Vec<RootCause<'_>> {
        let mut groups: Vec<RootCause<'_>> = Vec::new();
        for f in &self.findings {
            let Some(key) = f.root_cause.as_deref() else {
                continue;
            };
            match groups.iter_mut().find(|g| g.key == key) {
                Some(g) => g.findings.push(f),
                None => groups.push(RootCause {
                    key,
                    findings: vec![f],
                }),
            }
        }
        groups.retain(|g| g.findings.len() > 1);
        groups
    }

    pub fn new(
        chain: Chain,
        findings: Vec<Finding>,
        suppressed: Vec<SuppressedFinding>,
        notices: Vec<String>,
        rules_evaluated: Vec<String>,
        fail_on: Option<Severity>,
    ) -> Report {
        let mut counts = SeverityCounts::default();
        for f in &findings {
            match f.severity {
                Severity::Critical => counts.critical += 1,
                Severity::High => counts.high += 1,
                Severity::Medium => counts.medium += 1,
                Severity::Low => counts.low += 1,
                Severity::Info => counts.info += 1,
            }
        }
        let failed = fail_on.is_some_and(|t| findings.iter().any(|f| f.severity >= t));
        let incomplete = !chain.gaps.is_empty();
        let exit_code = if failed {
            1
        } else if incomplete {
            3
        } else {
            0
        };
        let weakest = chain.weakest_link();
        let summary = Summary {
            findings: counts,
            total: findings.len(),
            suppressed: suppressed.len(),
            effective_idle_s: weakest.map(|(_, t)| t),
            cuts_first: weakest.map(|(i, _)| chain.layers[i].id.clone()),
            incomplete,
            fail_on: fail_on
                .map(|s| s.to_string())
                .unwrap_or_else(|| "never".into()),
            failed,
            exit_code,
        };
        Report {
            schema_version: SCHEMA_VERSION.to_string(),
            tool: Tool {
                name: "wsaudit".into(),
                version: env!("CARGO_PKG_VERSION").into(),
            },
            probe: chain.probe.clone(),
            chain,
            findings,
            suppressed,
            notices,
            summary,
            routes: Vec::new(),
            rules_evaluated,
            plot: None,
        }
    }

    /// Adds the other routes' judged chains: the summary then counts their findings too, and
    /// the exit code is the worst of all (a route that fails fails the run; one that could not
    /// be read makes it incomplete).
    pub fn add_routes(&mut self, routes: Vec<RouteReport>) {
        for r in &routes {
            let (s, o) = (&mut self.summary, &r.summary);
            s.findings.critical += o.findings.critical;
            s.findings.high += o.findings.high;
            s.findings.medium += o.findings.medium;
            s.findings.low += o.findings.low;
            s.findings.info += o.findings.info;
            s.total += o.total;
            s.suppressed += o.suppressed;
            s.failed |= o.failed;
            s.incomplete |= o.incomplete;
            if self.probe.is_none() {
                self.probe.clone_from(&r.chain.probe);
            }
        }
        let s = &mut self.summary;
        s.exit_code = if s.failed {
            1
        } else if s.incomplete {
            3
        } else {
            0
        };
        self.routes.extend(routes);
    }

    /// `wss://ws.example.com/ws/`
    pub fn target_url(&self) -> String {
        let t = &self.chain.target;
        let scheme = match t.scheme {
            crate::model::Scheme::Ws => "ws",
            crate::model::Scheme::Wss => "wss",
        };
        format!("{scheme}://{}{}", t.domain, t.path)
    }

    /// One sentence for the top of a table or ticket.
    pub fn headline(&self) -> String {
        let s = &self.summary;
        let mut parts = Vec::new();
        for (n, name) in [
            (s.findings.critical, "critical"),
            (s.findings.high, "high"),
            (s.findings.medium, "medium"),
            (s.findings.low, "low"),
            (s.findings.info, "info"),
        ] {
            if n > 0 {
                parts.push(format!("{n} {name}"));
            }
        }
        let counts = if parts.is_empty() && self.chain.layers.is_empty() {
            // "No findings" over nothing would read as a clean configuration.
            "nothing judged: the chain has no layer".to_string()
        } else if parts.is_empty() {
            "no findings".to_string()
        } else {
            format!(
                "{} finding{}: {}",
                s.total,
                if s.total == 1 { "" } else { "s" },
                parts.join(", ")
            )
        };
        let cut = match (&s.cuts_first, s.effective_idle_s) {
            (Some(id), Some(t)) => {
                let name = self
                    .chain
                    .layers
                    .iter()
                    .find(|l| &l.id == id)
                    .map(|l| format!("{} ({})", layer_title(l), l.provider.as_str()))
                    .unwrap_or_else(|| id.clone());
                format!("; idle WebSockets are cut first by {name} after {t}")
            }
            _ => "; no layer's idle timeout is known".to_string(),
        };
        let gaps = self.chain.gaps.len()
            + self
                .routes
                .iter()
                .map(|r| r.chain.gaps.len())
                .sum::<usize>();
        let incomplete = if s.incomplete {
            format!(
                "; INCOMPLETE: {} layer{} could not be read",
                gaps,
                if gaps == 1 { "" } else { "s" }
            )
        } else {
            String::new()
        };
        let routes = if self.routes.is_empty() {
            String::new()
        } else {
            let mut t = format!(
                "; DNS sends clients to {} entry points, each audited (counts cover all)",
                self.routes.len() + 1
            );
            // The primary's cut is not the one every client gets: say when a route cuts sooner.
            let sooner = self
                .routes
                .iter()
                .filter_map(|r| Some((r, r.summary.effective_idle_s?)))
                .filter(|(_, t)| s.effective_idle_s.is_none_or(|mine| *t < mine))
                .min_by(|a, b| a.1 .0.total_cmp(&b.1 .0));
            if let Some((r, t_s)) = sooner {
                let layer = r
                    .summary
                    .cuts_first
                    .as_deref()
                    .and_then(|id| r.chain.layers.iter().find(|l| l.id == id))
                    .map(|l| format!("{} ({})", layer_title(l), l.provider.as_str()))
                    .unwrap_or_default();
                t.push_str(&format!(
                    "; via {} they are cut sooner, by {layer} after {t_s}",
                    r.route.label()
                ));
            }
            t
        };
        format!("{counts}{cut}{routes}{incomplete}")
    }
}

pub struct RenderOptions {
    pub color: bool,
    /// Each finding's full message under its headline (`-v`).
    pub verbose: bool,
    /// Table width; `None` lets the terminal decide.
    pub width: Option<u16>,
}

/// The idle timeout of a layer for display: `60 s (default)`, `unknown`.
pub fn idle_cell(l: &crate::model::Layer) -> String {
    match l.idle_timeout.value {
        Some(v) => format!("{v} ({})", l.idle_timeout.origin.tag()),
        None => "unknown".to_string(),
    }
}
