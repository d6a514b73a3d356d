//! Which listener rule an ALB applies to a WebSocket handshake for a host and path.
//!
//! ALB evaluates rules in ascending priority and the default rule last; a rule applies when
//! every condition matches, and a condition matches when any of its values does. Host headers
//! compare case-insensitively, path patterns case-sensitively, both with `*`/`?` wildcards.
//!
//! Host, path and header conditions may instead carry regular expressions (`RegexValues`,
//! 2025). AWS documents which features they lack (lookarounds, backreferences, …) but not the
//! anchoring; its own examples anchor explicitly (`^…$`) and operators write `^/api/` for a
//! prefix, so a pattern is searched anywhere in the value, as regex engines do unless told
//! otherwise. A host regex sees the `Host` header as sent, port included (the reason to use
//! one: `example.com:8443` is not a valid wildcard value) and lower-case, as browsers send it.
//! Regex values may stand in the condition's typed config (`PathPatternConfig.RegexValues`) or
//! at its top level (`RuleCondition.RegexValues`); both are read.
//!
//! Patterns are compiled by Rust's `regex` crate. ALB's dialect lacks lookarounds,
//! backreferences, atomic groups, possessive quantifiers, recursion and Unicode classes such
//! as `\p{L}`; `regex` lacks the same features except Unicode classes, so every pattern ALB
//! accepts compiles here with the same meaning, and one using a feature neither has (a
//! lookbehind) matches nothing, as a condition that cannot be decided. The one difference a
//! user can see: `regex` accepts `\p{L}`, which ALB rejects when the rule is written.
//!
//! A matched rule may rewrite the request before it is forwarded (`Transforms`, 2025): one
//! `host-header-rewrite` and one `url-rewrite`, each a regex and a replacement with `$1`
//! capture references. No match leaves the request as it was; the rewrite does not change
//! which rule matched, only what the targets (the next layer) see.

use crate::providers::aws_wildcard::wildcard_match;
use regex::RegexBuilder;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum RulePriority {
    Number(u32),
    /// The listener's default rule: evaluated after every numbered one.
    Default,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    Host(Vec<String>),
    /// `HostHeaderConfig.RegexValues`.
    HostRegex(Vec<String>),
    Path(Vec<String>),
    /// `PathPatternConfig.RegexValues`, matched against the path without the query string.
    PathRegex(Vec<String>),
    Method(Vec<String>),
    Header {
        name: String,
        values: Vec<String>,
    },
    /// `HttpHeaderConfig.RegexValues`.
    HeaderRegex {
        name: String,
        patterns: Vec<String>,
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
    /// `Transforms`: what the rule rewrites before forwarding (added with transforms; a
    /// snapshot built from elsewhere leaves it empty).
    pub transforms: Vec<Transform>,
    /// Authentication actions that run before the terminal action, in their order.
    pub auth: Vec<AuthAction>,
}

/// Which part of the request a transform rewrites.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransformKind {
    /// `host-header-rewrite`
    HostHeader,
    /// `url-rewrite`
    Url,
}

impl TransformKind {
    pub fn as_str(&self) -> &'static str {
        match self {
            TransformKind::HostHeader => "host-header-rewrite",
            TransformKind::Url => "url-rewrite",
        }
    }
}

/// One rule transform: its rewrites (a regex and its replacement) in order.
#[derive(Debug, Clone, PartialEq)]
pub struct Transform {
    pub kind: TransformKind,
    pub rewrites: Vec<(String, String)>,
}

/// An `authenticate-oidc`, `authenticate-cognito` or `jwt-validation` action.
#[derive(Debug, Clone, PartialEq)]
pub struct AuthAction {
    /// The action type as the API names it.
    pub kind: String,
    /// `OnUnauthenticatedRequest` (`authenticate` by default, `deny`, `allow`); `None` for
    /// JWT validation, which always answers 401 without a valid token.
    pub on_unauthenticated: Option<String>,
    /// The action's `Order`, when set.
    pub order: Option<i32>,
}

impl AuthAction {
    /// Whether a handshake with no session cookie or token is stopped here: `allow` lets it
    /// through unauthenticated.
    pub fn stops_anonymous(&self) -> bool {
        self.on_unauthenticated.as_deref() != Some("allow")
    }

    /// What such a handshake is answered, for a report.
    pub fn answer(&self) -> &'static str {
        match (self.kind.as_str(), self.on_unauthenticated.as_deref()) {
            ("jwt-validation", _) => "401 without a valid bearer token",
            (_, Some("deny")) => "401 without a session cookie",
            (_, Some("allow")) => "passed on unauthenticated",
            _ => "302 to the identity provider without a session cookie",
        }
    }
}

/// The host and path a rule's transforms send on, or `None` when they change neither.
pub fn apply_transforms(
    transforms: &[Transform],
    host: &str,
    path: &str,
) -> Option<(String, String)> {
    let mut out_host = host.to_string();
    let mut out_path = path.to_string();
    let mut changed = false;
    for t in transforms {
        let target = match t.kind {
            TransformKind::HostHeader => &mut out_host,
            TransformKind::Url => &mut out_path,
        };
        // The first rewrite whose regex matches applies; the rest are not tried.
        for (re, replace) in &t.rewrites {
            let Some(re) = compile(re) else { continue };
            if re.is_match(target) {
                let next = re
                    .replacen(target, 1, dollar_groups(replace).as_str())
                    .into_owned();
                changed |= next != *target;
                *target = next;
                break;
            }
        }
    }
    changed.then_some((out_host, out_path))
}

/// ALB's `$1` is always group 1; Rust's replacement syntax would read `$1a` as a group named
/// `1a`, so each `$N` is written `${N}`.
fn dollar_groups(replace: &str) -> String {
    let mut out = String::with_capacity(replace.len() + 4);
    let mut chars = replace.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '$' && chars.peek().is_some_and(char::is_ascii_digit) {
            out.push_str("${");
            while let Some(d) = chars.peek().copied().filter(char::is_ascii_digit) {
                out.push(d);
                chars.next();
            }
            out.push('}');
        } else if c == '$' {
            out.push_str("$$");
        } else {
            out.push(c);
        }
    }
    out
}

fn compile(pattern: &str) -> Option<regex::Regex> {
    RegexBuilder::new(pattern)
        // ALB caps patterns at 128 characters (rewrites at 1024); the limit only guards
        // against a hostile saved chain or API answer.
        .size_limit(1 << 20)
        .build()
        .ok()
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

/// The parts of a handshake request that conditions look at.
struct Request<'a> {
    /// The `Host` header as sent (lower-case, port included when there is one).
    host_header: &'a str,
    /// The host name alone, for wildcard values.
    host: &'a str,
    /// The path without the query string.
    path: &'a str,
}

impl Request<'_> {
    fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        if name == "host" {
            return Some(self.host_header);
        }
        HANDSHAKE_HEADERS
            .iter()
            .find(|(h, _)| *h == name)
            .map(|(_, v)| *v)
    }
}

/// Whether any pattern is found in `value`. A pattern this engine cannot compile matches
/// nothing, like any other condition that cannot be decided.
fn regex_found(patterns: &[String], value: &str) -> bool {
    patterns
        .iter()
        .any(|p| compile(p).is_some_and(|re| re.is_match(value)))
}

impl Condition {
    fn matches(&self, req: &Request) -> bool {
        match self {
            Condition::Host(v) => v.iter().any(|p| wildcard_match(p, req.host, true)),
            Condition::HostRegex(v) => regex_found(v, req.host_header),
            Condition::Path(v) => v.iter().any(|p| wildcard_match(p, req.path, false)),
            Condition::PathRegex(v) => regex_found(v, req.path),
            Condition::Method(v) => v.iter().any(|m| m.eq_ignore_ascii_case("GET")),
            Condition::Header { name, values } => req
                .header(name)
                .is_some_and(|a| values.iter().any(|p| wildcard_match(p, a, true))),
            Condition::HeaderRegex { name, patterns } => {
                req.header(name).is_some_and(|a| regex_found(patterns, a))
            }
            Condition::Undecidable { .. } => false,
        }
    }
}

/// The rule ALB would pick for a handshake to `host` and `path` (query string excluded).
pub fn pick_rule<'a>(rules: &'a [Rule], host: &str, path: &str) -> Option<&'a Rule> {
    let host_header = host.to_ascii_lowercase();
    let req = Request {
        host: host_header.split(':').next().unwrap_or(&host_header),
        host_header: &host_header,
        path: path.split('?').next().unwrap_or(path),
    };
    let mut ordered: Vec<&Rule> = rules.iter().collect();
    ordered.sort_by(|a, b| a.priority.cmp(&b.priority));
    ordered
        .into_iter()
        .find(|r| r.conditions.iter().all(|c| c.matches(&req)))
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
            transforms: vec![],
            auth: vec![],
        }
    }

    #[test]
    fn transforms_rewrite_the_first_matching_pattern_with_alb_group_references() {
        let url = |rewrites: &[(&str, &str)]| Transform {
            kind: TransformKind::Url,
            rewrites: rewrites
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect(),
        };
        let host = Transform {
            kind: TransformKind::HostHeader,
            rewrites: vec![(r"^ws-(.+)\.example\.com$".into(), "$1a.internal".into())],
        };
        assert_eq!(
            apply_transforms(
                &[
                    url(&[("^/nope", "/x"), ("^/ws/(.*)$", "/socket/$1")]),
                    host.clone()
                ],
                "ws-eu.example.com",
                "/ws/chat"
            ),
            Some(("eua.internal".into(), "/socket/chat".into()))
        );
        // No match, or a pattern neither dialect compiles: the request goes on unchanged.
        assert_eq!(
            apply_transforms(&[url(&[("^/api", "/v2")])], "h", "/ws/"),
            None
        );
        assert_eq!(
            apply_transforms(&[url(&[("(?<=x)/", "/y")])], "h", "x/"),
            None
        );
        assert_eq!(dollar_groups("$12$ x"), "${12}$$ x");
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
    fn regex_conditions_are_searched_with_aws_semantics() {
        let rules = vec![
            rule("default", RulePriority::Default, vec![]),
            rule(
                "numbered-room",
                RulePriority::Number(1),
                vec![Condition::PathRegex(vec!["^/ws/[0-9]+$".into()])],
            ),
            rule(
                "prefix",
                RulePriority::Number(2),
                vec![Condition::PathRegex(vec!["^/live/".into()])],
            ),
            rule(
                "anywhere",
                RulePriority::Number(3),
                vec![Condition::PathRegex(vec!["socket".into()])],
            ),
            rule(
                "tenant-hosts",
                RulePriority::Number(4),
                vec![
                    Condition::HostRegex(vec![r"^[a-z]+\.tenants\.example\.com$".into()]),
                    Condition::PathRegex(vec!["^/t/".into()]),
                ],
            ),
            rule(
                "odd-port",
                RulePriority::Number(5),
                vec![Condition::HostRegex(
                    vec![r"^ws\.example\.com:8443$".into()],
                )],
            ),
            rule(
                "upgrade-header",
                RulePriority::Number(6),
                vec![
                    Condition::HeaderRegex {
                        name: "Upgrade".into(),
                        patterns: vec!["^websocket$".into()],
                    },
                    Condition::PathRegex(vec!["^/u$".into()]),
                ],
            ),
            rule(
                "not-rust-syntax",
                RulePriority::Number(0),
                vec![Condition::PathRegex(vec!["(?<!x)/never".into()])],
            ),
        ];
        let pick = |h, p| pick_rule(&rules, h, p).map(|r| r.arn.as_str());
        assert_eq!(pick("ws.example.com", "/ws/42"), Some("numbered-room"));
        // Anchored at both ends: a trailing segment or a query string is not part of it.
        assert_eq!(pick("ws.example.com", "/ws/42/x"), Some("default"));
        assert_eq!(
            pick("ws.example.com", "/ws/42?token=1"),
            Some("numbered-room")
        );
        // `^/live/` alone is a prefix match; an unanchored pattern matches anywhere.
        assert_eq!(pick("ws.example.com", "/live/feed/1"), Some("prefix"));
        assert_eq!(pick("ws.example.com", "/app/socket.io/"), Some("anywhere"));
        // Path regexes are case-sensitive.
        assert_eq!(pick("ws.example.com", "/LIVE/feed"), Some("default"));
        // The Host as a browser sends it: lower-case.
        assert_eq!(
            pick("ACME.Tenants.example.com", "/t/1"),
            Some("tenant-hosts")
        );
        assert_eq!(pick("a.b.tenants.example.com", "/t/1"), Some("default"));
        // The port is part of the Host header a regex sees, and only a regex can name it.
        assert_eq!(pick("ws.example.com:8443", "/"), Some("odd-port"));
        assert_eq!(pick("ws.example.com", "/"), Some("default"));
        assert_eq!(pick("h", "/u"), Some("upgrade-header"));
        // A pattern the engine rejects (lookbehind; ALB rejects it too) never matches.
        assert_eq!(pick("h", "/never"), Some("default"));
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]

        /// Whatever an API answer or a saved snapshot holds, a rewrite never panics.
        #[test]
        fn transforms_never_panic(re in "\\PC{0,40}", replace in "\\PC{0,40}", path in "/\\PC{0,40}") {
            let t = Transform { kind: TransformKind::Url, rewrites: vec![(re, replace)] };
            let _ = apply_transforms(&[t], "h", &path);
        }

        /// A literal prefix rewrite keeps the rest of the path, and a replacement without `$`
        /// is inserted as written (nothing in it is read as a group).
        #[test]
        fn literal_prefix_rewrites_keep_the_rest(prefix in "/[a-z]{1,8}/", rest in "[a-z0-9/._-]{0,20}", to in "/[a-z{}]{1,8}/") {
            let t = Transform {
                kind: TransformKind::Url,
                rewrites: vec![(format!("^{}", regex::escape(&prefix)), to.clone())],
            };
            let path = format!("{prefix}{rest}");
            let got = apply_transforms(&[t], "h", &path).map(|(_, p)| p);
            let want = format!("{to}{rest}");
            proptest::prop_assert_eq!(got, (want != path).then_some(want));
        }
    }

    #[test]
    fn priorities_parse() {
        assert_eq!(parse_priority(Some("10"), false), RulePriority::Number(10));
        assert_eq!(parse_priority(Some("default"), true), RulePriority::Default);
        assert!(RulePriority::Number(50000) < RulePriority::Default);
    }
}
