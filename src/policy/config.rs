//! `wsaudit.toml`: thresholds for the rules, rule selection, severity overrides and
//! suppressions. Strict: an unknown key or a suppression without a reason is an error with the
//! file and line, because a silently ignored setting is how a compliance scan goes wrong.

use super::severity::Severity;
use crate::model::{parse_duration, HeartbeatDirection, Seconds, DEFAULT_EXPLAIN_TOLERANCE_S};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;
use thiserror::Error;
use time::Date;

#[derive(Debug, Error)]
pub enum ConfigError {
    #[error("{file}:{line}:{column}: {message}")]
    Invalid {
        file: String,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{file}: cannot read: {message}")]
    Unreadable { file: String, message: String },
}

/// The thresholds the rules see as `data.wsaudit.config`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Thresholds {
    /// WS201: an effective idle timeout below this is flagged.
    pub baseline_idle_s: f64,
    /// WS202: the heartbeat must be at most this fraction of the effective idle timeout.
    pub heartbeat_margin: f64,
    /// WS302: a drain/deregistration window shorter than this cuts sessions on deploys.
    pub min_drain_s: f64,
    /// WS502: certificates expiring within this many days are flagged.
    pub tls_expiry_warn_days: i64,
    /// WS203 and `chain --probe`: a measured idle cut this close (seconds) to a layer's
    /// timeout is explained by that layer.
    pub explain_tolerance_s: f64,
    /// WS301: backends (layer id, name or locator) that keep no per-connection state.
    pub stateless_backends: Vec<String>,
    /// WS107: the subprotocols the app negotiates (`Sec-WebSocket-Protocol`), so a layer that
    /// drops the header is a finding without a probe.
    pub subprotocols: Vec<String>,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            // A 5-minute floor: survives a quiet chat room or a dashboard with slow updates
            // without relying on every client's heartbeat; the longest common fixed CDN limit
            // (CloudFront 10 min, provider-facts §3) sits above it, ALB's 60 s default below.
            baseline_idle_s: 300.0,
            heartbeat_margin: 0.5,
            // AWS's own deregistration_delay default (provider-facts §1).
            min_drain_s: 300.0,
            tls_expiry_warn_days: 14,
            explain_tolerance_s: DEFAULT_EXPLAIN_TOLERANCE_S,
            stateless_backends: Vec::new(),
            subprotocols: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Suppression {
    pub rule: String,
    /// A layer id; `None` suppresses the rule on every layer.
    pub layer: Option<String>,
    pub reason: String,
    pub expires: Date,
    /// `file:line` of the `[[suppress]]` entry, for notices.
    pub origin: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct HeartbeatDecl {
    pub interval: Seconds,
    pub direction: HeartbeatDirection,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Config {
    pub thresholds: Thresholds,
    pub disabled_rules: Vec<String>,
    pub severity_overrides: BTreeMap<String, Severity>,
    pub suppressions: Vec<Suppression>,
    pub heartbeat: Option<HeartbeatDecl>,
    /// Paths clients open WebSockets on (`/cable`, `/hubs/chat`): `wsaudit nginx` without
    /// `--path` judges the locations nginx selects for them, whatever their names say.
    pub websocket_paths: Vec<String>,
    /// What `wsaudit scan` audits: declared targets, discovery, accounts.
    pub scan: super::scan_config::ScanConfig,
    /// Where it was read from, for messages.
    pub source: Option<String>,
}

// The file's shape. Spans let every later check point at a line.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    baseline_idle_s: Option<f64>,
    heartbeat_margin: Option<f64>,
    min_drain_s: Option<f64>,
    tls_expiry_warn_days: Option<i64>,
    explain_tolerance_s: Option<f64>,
    #[serde(default)]
    stateless_backends: Vec<String>,
    #[serde(default)]
    subprotocols: Vec<String>,
    #[serde(default)]
    websocket_paths: Vec<toml::Spanned<String>>,
    heartbeat: Option<RawHeartbeat>,
    #[serde(default)]
    rules: RawRules,
    #[serde(default)]
    suppress: Vec<toml::Spanned<RawSuppression>>,
    // `wsaudit scan`'s tables (scan_config.rs).
    scan: Option<toml::Spanned<super::scan_config::RawScan>>,
    #[serde(default)]
    target: Vec<toml::Spanned<super::scan_config::RawTarget>>,
    aws: Option<super::scan_config::RawAws>,
    cloudflare: Option<super::scan_config::RawCloudflare>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHeartbeat {
    interval: toml::Spanned<String>,
    #[serde(default)]
    direction: Option<HeartbeatDirection>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawRules {
    #[serde(default)]
    disable: Vec<toml::Spanned<String>>,
    #[serde(default)]
    severity: BTreeMap<String, toml::Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSuppression {
    rule: String,
    layer: Option<String>,
    reason: String,
    expires: toml::Spanned<String>,
}

/// A rule id referenced by the config, with where, so the caller can check it against the
/// loaded rule pack and point at the line.
#[derive(Debug, Clone)]
pub struct RuleRef {
    pub id: String,
    pub line: usize,
    pub column: usize,
}

impl Config {
    pub fn load(path: &Path) -> Result<(Config, Vec<RuleRef>), ConfigError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Unreadable {
            file: file.clone(),
            message: e.to_string(),
        })?;
        Self::parse(&text, &file)
    }

    pub fn parse(text: &str, file: &str) -> Result<(Config, Vec<RuleRef>), ConfigError> {
        let at = |offset: usize, message: String| {
            let (line, column) = line_col(text, offset);
            ConfigError::Invalid {
                file: file.to_string(),
                line,
                column,
                message,
            }
        };
        let raw: RawConfig = toml::from_str(text).map_err(|e| {
            let offset = e.span().map(|s| s.start).unwrap_or(0);
            at(offset, e.message().to_string())
        })?;

        let mut t = Thresholds::default();
        if let Some(v) = raw.baseline_idle_s {
            t.baseline_idle_s = v;
        }
        if let Some(v) = raw.heartbeat_margin {
            if !(v > 0.0 && v <= 1.0) {
                return Err(at(
                    find_key(text, "heartbeat_margin"),
                    format!("heartbeat_margin must be in (0, 1], got {v}"),
                ));
            }
            t.heartbeat_margin = v;
        }
        if let Some(v) = raw.min_drain_s {
            t.min_drain_s = v;
        }
        if let Some(v) = raw.tls_expiry_warn_days {
            t.tls_expiry_warn_days = v;
        }
        if let Some(v) = raw.explain_tolerance_s {
            // Negative would explain nothing, not even an exact match.
            if !(v.is_finite() && v >= 0.0) {
                return Err(at(
                    find_key(text, "explain_tolerance_s"),
                    format!("explain_tolerance_s must be a number of seconds, 0 or more, got {v}"),
                ));
            }
            t.explain_tolerance_s = v;
        }
        t.stateless_backends = raw.stateless_backends;
        t.subprotocols = raw.subprotocols;
        let mut websocket_paths = Vec::new();
        for p in raw.websocket_paths {
            // A path without its leading slash matches no location: said here, at its line.
            if !p.get_ref().starts_with('/') {
                return Err(at(
                    p.span().start,
                    format!(
                        "websocket_paths: {:?} must start with \"/\" (the path as the client sends it)",
                        p.get_ref()
                    ),
                ));
            }
            websocket_paths.push(p.into_inner());
        }

        let mut refs = Vec::new();
        let mut disabled = Vec::new();
        for d in raw.rules.disable {
            let (line, column) = line_col(text, d.span().start);
            refs.push(RuleRef {
                id: d.get_ref().clone(),
                line,
                column,
            });
            disabled.push(d.into_inner());
        }
        let mut overrides = BTreeMap::new();
        for (id, sev) in raw.rules.severity {
            let (line, column) = line_col(text, sev.span().start);
            let parsed: Severity = sev
                .get_ref()
                .parse()
                .map_err(|m: String| at(sev.span().start, m))?;
            refs.push(RuleRef {
                id: id.clone(),
                line,
                column,
            });
            overrides.insert(id, parsed);
        }
        let mut suppressions = Vec::new();
        for s in raw.suppress {
            let span = s.span();
            let (line, column) = line_col(text, span.start);
            let s = s.into_inner();
            if s.reason.trim().is_empty() {
                return Err(at(
                    span.start,
                    "a suppression needs a non-empty `reason`".into(),
                ));
            }
            let expires =
                parse_date(s.expires.get_ref()).map_err(|m| at(s.expires.span().start, m))?;
            refs.push(RuleRef {
                id: s.rule.clone(),
                line,
                column,
            });
            suppressions.push(Suppression {
                rule: s.rule,
                layer: s.layer,
                reason: s.reason,
                expires,
                origin: format!("{file}:{line}"),
            });
        }
        let scan = super::scan_config::build(
            super::scan_config::RawScanParts {
                scan: raw.scan,
                target: raw.target,
                aws: raw.aws,
                cloudflare: raw.cloudflare,
            },
            text,
            file,
        )?;
        let heartbeat = match raw.heartbeat {
            None => None,
            Some(h) => {
                let interval = parse_duration(h.interval.get_ref())
                    .map_err(|m| at(h.interval.span().start, format!("heartbeat.interval: {m}")))?;
                Some(HeartbeatDecl {
                    interval,
                    direction: h.direction.unwrap_or(HeartbeatDirection::ServerToClient),
                })
            }
        };
        Ok((
            Config {
                thresholds: t,
                disabled_rules: disabled,
                severity_overrides: overrides,
                suppressions,
                heartbeat,
                websocket_paths,
                scan,
                source: Some(file.to_string()),
            },
            refs,
        ))
    }
}

fn parse_date(s: &str) -> Result<Date, String> {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(s.trim(), &fmt).map_err(|_| format!("expires `{s}` is not a date (YYYY-MM-DD)"))
}

fn find_key(text: &str, key: &str) -> usize {
    text.find(key).unwrap_or(0)
}

/// 1-based line and column of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before
        .rsplit('\n')
        .next()
        .map(|l| l.chars().count())
        .unwrap_or(0)
        + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_key_points_at_its_line() {
        let err = Config::parse("baseline_idle_s = 300\nbasline = 2\n", "w.toml")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("w.toml:2:1:"), "{err}");
    }

    #[test]
    fn suppression_needs_reason_and_date() {
        let err = Config::parse(
            "[[suppress]]\nrule = \"WS401\"\nreason = \"\"\nexpires = \"2030-01-01\"\n",
            "w.toml",
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("reason"), "{err}");
        let err = Config::parse(
            "[[suppress]]\nrule = \"WS401\"\nreason = \"ok\"\nexpires = \"soon\"\n",
            "w.toml",
        )
        .unwrap_err()
        .to_string();
        assert!(err.starts_with("w.toml:4:"), "{err}");
        let err = Config::parse(
            "[[suppress]]\nrule = \"WS401\"\nreason = \"ok\"\n",
            "w.toml",
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("expires"), "{err}");
    }

    #[test]
    fn reads_everything() {
        let (c, refs) = Config::parse(
            r#"
baseline_idle_s = 600
heartbeat_margin = 0.4
explain_tolerance_s = 2.5
stateless_backends = ["api-tg"]
[heartbeat]
interval = "25s"
direction = "both"
[rules]
disable = ["WS601"]
severity = { WS701 = "info" }
[[suppress]]
rule = "WS401"
layer = "cloudfront"
reason = "fixed quota, tracked in OPS-12"
expires = "2099-12-31"
"#,
            "w.toml",
        )
        .unwrap();
        assert_eq!(c.thresholds.baseline_idle_s, 600.0);
        assert_eq!(c.thresholds.heartbeat_margin, 0.4);
        assert_eq!(c.disabled_rules, vec!["WS601"]);
        assert_eq!(c.severity_overrides["WS701"], Severity::Info);
        assert_eq!(c.thresholds.explain_tolerance_s, 2.5);
        assert_eq!(c.suppressions[0].origin, "w.toml:12");
        assert_eq!(c.heartbeat.unwrap().interval, Seconds(25.0));
        assert_eq!(refs.len(), 3);
    }

    #[test]
    fn the_explain_tolerance_defaults_to_the_probe_merges_and_may_not_be_negative() {
        let (c, _) = Config::parse("", "w.toml").unwrap();
        assert_eq!(
            c.thresholds.explain_tolerance_s,
            DEFAULT_EXPLAIN_TOLERANCE_S
        );
        let err = Config::parse("\nexplain_tolerance_s = -1\n", "w.toml")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("w.toml:2:1: explain_tolerance_s"), "{err}");
    }
}
