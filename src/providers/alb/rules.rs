//! Which listener rule an ALB applies to a WebSocket handshake for a host and path.
//!
//! ALB evaluates rules in ascending priority and the default rule last; a rule applies when
//! every condition matches, and a condition matches when any of its values does. Host headers
//! compare case-insensitively, path patterns case-sensitively, both with `*`/`?` wildcards.

use crate::providers::pattern::wildcard_match;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum RulePriority {
    Number(u32),
    /// The listener's default rule: evaluated after every numbered one.
    Default,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    Host(Vec<String>),
    Path(Vec<String>),
    Method(Vec<String>),
    Header {
        name: String,
        values: Vec<String>,
    },
    /// A condition a handshake's host and path cannot decide (query string, source IP): it
    /// does not match, and the rule is skipped as ALB would for most clients.
    Undecidable {
        field: String,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct TargetGroupRef {
    pub arn: String,
    /// `None` for a plain forward; a weight for weighted target groups.
    pub weight: Option<i32>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Forward {
    pub target_groups: Vec<TargetGroupRef>,
    /// `TargetGroupStickinessConfig` of a weighted forward: (enabled, duration).
    pub group_stickiness: Option<(bool, Option<i32>)>,
}

impl Forward {
    /// The target groups that receive traffic (weight 0 receives none).
    pub fn active(&self) -> impl Iterator<Item = &TargetGroupRef> {
        self.target_groups.iter().filter(|t| t.weight != Some(0))
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    pub arn: String,
    pub priority: RulePriority,
    pub conditions: Vec<Condition>,
    /// The terminal action's type (`forward`, `redirect`, `fixed-response`).
    pub action: String,
    pub forward: Option<Forward>,
    /// Where a `redirect` action sends the client, e.g. `HTTPS:443 (HTTP_301)`: a WebSocket
    /// client does not follow it, so a report names it.
    pub redirect: Option<String>,
}

impl Rule {
    /// The field that holds this rule's actions: a listener's default rule is configured as
    /// the listener's `DefaultActions`.
    pub fn actions_field(&self) -> &'static str {
        match self.priority {
            RulePriority::Default => "DefaultActions",
            RulePriority::Number(_) => "Actions",
        }
    }
}

/// Headers every WebSocket handshake carries, for `http-header` conditions (a common way to
/// send WebSockets to their own target group is `Upgrade: websocket`).
const HANDSHAKE_HEADERS: &[(&str, &str)] = &[
    ("upgrade", "websocket"),
    ("connection", "Upgrade"),
    ("sec-websocket-version", "13"),
];

impl Condition {
    fn matches(&self, host: &str, path: &str) -> bool {
        match self {
            Condition::Host(v) => v.iter().any(|p| wildcard_match(p, host, true)),
            Condition::Path(v) => v.iter().any(|p| wildcard_match(p, path, false)),
            Condition::Method(v) => v.iter().any(|m| m.eq_ignore_ascii_case("GET")),
            Condition::Header { name, values } => {
                let name = name.to_ascii_lowercase();
                let actual = if name == "host" {
                    Some(host)
                } else {
                    HANDSHAKE_HEADERS
                        .iter()
                        .find(|(h, _)| *h == name)
                        .map(|(_, v)| *v)
                };
                actual.is_some_and(|a| values.iter().any(|p| wildcard_match(p, a, true)))
            }
            Condition::Undecidable { .. } => false,
        }
    }
}

/// The rule ALB would pick for a handshake to `host` and `path` (query string excluded).
pub fn pick_rule<'a>(rules: &'a [Rule], host: &str, path: &str) -> Option<&'a Rule> {
    let path = path.split('?').next().unwrap_or(path);
    let host = host.split(':').next().unwrap_or(host);
    let mut ordered: Vec<&Rule> = rules.iter().collect();
    ordered.sort_by(|a, b| a.priority.cmp(&b.priority));
    ordered
        .into_iter()
        .find(|r| r.conditions.iter().all(|c| c.matches(host, path)))
}

/// Parses the API's priority string (`"10"`, `"default"`).
pub fn parse_priority(p: Option<&str>, is_default: bool) -> RulePriority {
    match p.and_then(|s| s.parse::<u32>().ok()) {
        Some(n) if !is_default => RulePriority::Number(n),
        _ => RulePriority::Default,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(arn: &str, prio: RulePriority, conditions: Vec<Condition>) -> Rule {
        Rule {
            arn: arn.into(),
            priority: prio,
            conditions,
            action: "forward".into(),
            forward: None,
            redirect: None,
        }
    }

    #[test]
    fn priority_then_conditions_then_default() {
        let rules = vec![
            rule("default", RulePriority::Default, vec![]),
            rule(
                "api",
                RulePriority::Number(5),
                vec![Condition::Path(vec!["/api/*".into()])],
            ),
            rule(
                "ws-other-host",
                RulePriority::Number(1),
                vec![
                    Condition::Host(vec!["other.example.com".into()]),
                    Condition::Path(vec!["/ws/*".into()]),
                ],
            ),
            rule(
                "ws",
                RulePriority::Number(20),
                vec![
                    Condition::Host(vec!["*.EXAMPLE.com".into()]),
                    Condition::Path(vec!["/ws/*".into(), "/socket".into()]),
                ],
            ),
            rule(
                "ws-early-but-query",
                RulePriority::Number(2),
                vec![Condition::Undecidable {
                    field: "query-string".into(),
                }],
            ),
        ];
        let pick = |h, p| pick_rule(&rules, h, p).map(|r| r.arn.as_str());
        assert_eq!(pick("ws.example.com", "/ws/chat?x=1"), Some("ws"));
        assert_eq!(pick("ws.example.com:443", "/socket"), Some("ws"));
        assert_eq!(pick("other.example.com", "/ws/a"), Some("ws-other-host"));
        assert_eq!(pick("ws.example.com", "/api/x"), Some("api"));
        assert_eq!(pick("ws.example.com", "/WS/x"), Some("default"));
    }

    #[test]
    fn handshake_headers_and_method() {
        let rules = vec![
            rule("default", RulePriority::Default, vec![]),
            rule(
                "upgrade",
                RulePriority::Number(3),
                vec![
                    Condition::Header {
                        name: "Upgrade".into(),
                        values: vec!["WebSocket".into()],
                    },
                    Condition::Method(vec!["GET".into()]),
                ],
            ),
            rule(
                "post-only",
                RulePriority::Number(1),
                vec![Condition::Method(vec!["POST".into()])],
            ),
            rule(
                "x-header",
                RulePriority::Number(2),
                vec![Condition::Header {
                    name: "X-Tenant".into(),
                    values: vec!["*".into()],
                }],
            ),
        ];
        assert_eq!(pick_rule(&rules, "h", "/").unwrap().arn, "upgrade");
    }

    #[test]
    fn priorities_parse() {
        assert_eq!(parse_priority(Some("10"), false), RulePriority::Number(10));
        assert_eq!(parse_priority(Some("default"), true), RulePriority::Default);
        assert!(RulePriority::Number(50000) < RulePriority::Default);
    }
}
