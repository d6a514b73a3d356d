//! nginx's rewrite phases as they run for a WebSocket handshake: the server's (before any
//! location is chosen), then the chosen location's.
//!
//! Directives run in order. A `return`, a redirecting `rewrite` whose regex matches, or a true
//! `if` whose block holds either answers the request itself; a true `if` holding `proxy_pass`
//! makes that the request's upstream (the configuration of the last true `if` wins). An
//! internal `rewrite` changes the URI: at server level before locations are searched, in a
//! location with `last` (or no flag) nginx searches the locations again, with `break` the
//! request stays where it is.
//! Conditions on the handshake's own headers (`$http_upgrade`, `$http_connection`, maps over
//! them, `$request_method`, `$host`, `$uri`) are decided; any other condition (a file test, a
//! cookie, the client address) cannot be known statically and is left aside, so the level's
//! own directives are judged as if it were false.

use super::http_block::HttpModel;
use super::scope::Scope;
use super::tree::Dir;
use super::upstream::PASS_DIRECTIVES;
use super::vars::{evaluate, Request};

/// What one level's rewrite phase does to the handshake.
#[derive(Debug, Default, Clone)]
pub struct RewriteOutcome<'a> {
    /// The handshake is answered by nginx itself (the layer refuses WebSockets): (the true
    /// `if`, or none for an unconditional directive; the `return`/`rewrite`).
    pub answers: Option<(Option<Dir<'a>>, Dir<'a>)>,
    /// The `*_pass` of the last true `if` that proxies.
    pub pass: Option<Dir<'a>>,
    /// The URI after the level's internal (non-redirecting) rewrites, when one matched.
    pub rewritten: Option<Rewritten<'a>>,
    /// A matching `rewrite` whose replacement depends on something not known statically
    /// (a cookie, the client address): where the request goes from there is unknown.
    pub unresolved: Option<Dir<'a>>,
}

/// An internal rewrite: nginx changed the URI itself, without telling the client.
#[derive(Debug, Clone)]
pub struct Rewritten<'a> {
    pub uri: String,
    /// The last `rewrite` that changed it.
    pub by: Dir<'a>,
    /// `break`: the request stays in the location with the new URI. Otherwise (`last`, or
    /// no flag in a location) nginx searches the locations again with it.
    pub stays: bool,
}

/// Runs nginx's rewrite phase of one level (the server's, which comes before location
/// selection, or a location's own directives) for a handshake to `uri`, in order: a `return`,
/// a redirecting `rewrite` whose regex matches, or a true `if` holding either answers it; an
/// internal `rewrite` changes the URI (`last`/`break` and the `break` directive end the phase);
/// a true `if` holding a `*_pass` proxies it (only allowed in a location).
pub fn rewrite_phase<'a>(
    model: &HttpModel<'a>,
    scope: &Scope<'_, 'a>,
    req: &Request<'_>,
    level: &[Dir<'a>],
) -> RewriteOutcome<'a> {
    let mut phase = Phase {
        model,
        scope,
        base: *req,
        uri: req.uri.to_string(),
        out: RewriteOutcome::default(),
    };
    phase.run(level, None);
    phase.out
}

struct Phase<'p, 's, 'a> {
    model: &'p HttpModel<'a>,
    scope: &'p Scope<'s, 'a>,
    /// The handshake as the phase began (host, scheme, `$request_uri`).
    base: Request<'p>,
    /// The URI as the directives run so far have left it.
    uri: String,
    out: RewriteOutcome<'a>,
}

/// Whether the phase goes on after a directive.
#[derive(PartialEq)]
enum Flow {
    Next,
    Stop,
}

impl<'a> Phase<'_, '_, 'a> {
    fn run(&mut self, level: &[Dir<'a>], inside: Option<Dir<'a>>) -> Flow {
        for d in level {
            match d.name() {
                "if" if d.is_block() => {
                    let req = Request {
                        uri: &self.uri,
                        ..self.base
                    };
                    if condition(d, self.model, self.scope, &req) != Some(true) {
                        continue;
                    }
                    let body = self.model.cfg.expanded(d.children());
                    if self.run(&body, Some(*d)) == Flow::Stop {
                        return Flow::Stop;
                    }
                }
                "return" => {
                    self.out.answers = Some((inside, *d));
                    return Flow::Stop;
                }
                "break" => return Flow::Stop,
                "rewrite" => {
                    let Some(groups) = super::pcre::captures(d.arg(0).unwrap_or(""), &self.uri)
                    else {
                        continue;
                    };
                    if redirects(d) {
                        self.out.answers = Some((inside, *d));
                        return Flow::Stop;
                    }
                    let Some(to) = self.replacement(d.arg(1).unwrap_or(""), &groups) else {
                        self.out.unresolved = Some(*d);
                        return Flow::Stop;
                    };
                    let flag = d.arg(2).unwrap_or("");
                    self.uri = to;
                    self.out.rewritten = Some(Rewritten {
                        uri: self.uri.clone(),
                        by: *d,
                        stays: flag == "break",
                    });
                    if flag == "last" || flag == "break" {
                        return Flow::Stop;
                    }
                }
                name if inside.is_some() && PASS_DIRECTIVES.contains(&name) => {
                    self.out.pass = Some(*d);
                }
                _ => {}
            }
        }
        Flow::Next
    }

    /// A rewrite's new URI: `$1`…`$9` from the regex's groups, other variables as the handshake
    /// would have them, the query string (after `?`) dropped. `None` when a variable's value
    /// is not known statically.
    fn replacement(&self, to: &str, groups: &[String]) -> Option<String> {
        let mut with_groups = String::with_capacity(to.len());
        let mut rest = to;
        while let Some(i) = rest.find('$') {
            with_groups.push_str(&rest[..i]);
            let after = &rest[i + 1..];
            // `$1`…`$9` only: nginx reads `$12` as `$1` then "2", and `${1}` as a variable.
            match after.bytes().next().filter(u8::is_ascii_digit) {
                Some(d) => {
                    let n = usize::from(d - b'0');
                    with_groups.push_str(groups.get(n).map_or("", String::as_str));
                    rest = &after[1..];
                }
                None => {
                    with_groups.push('$');
                    rest = after;
                }
            }
        }
        with_groups.push_str(rest);
        let req = Request {
            uri: &self.uri,
            ..self.base
        };
        let e = evaluate(&with_groups, self.model, self.scope, &req);
        if !e.unknown.is_empty() {
            return None;
        }
        Some(e.text.split('?').next().unwrap_or("").to_string())
    }
}

/// Whether an `if` block of this location holds a `*_pass` (whatever its condition): such a
/// location proxies some requests and is audited.
pub fn passes_inside_if(model: &HttpModel<'_>, level: &[Dir<'_>]) -> bool {
    level.iter().any(|d| {
        d.name() == "if"
            && d.is_block()
            && model
                .cfg
                .expanded(d.children())
                .iter()
                .any(|b| PASS_DIRECTIVES.contains(&b.name()))
    })
}

/// A `rewrite` that redirects (`redirect`, `permanent`, or a replacement that starts with a
/// scheme): nginx answers the client instead of changing the URI.
fn redirects(d: &Dir<'_>) -> bool {
    let flag = d.arg(2).unwrap_or("");
    let to = d.arg(1).unwrap_or("");
    flag == "redirect"
        || flag == "permanent"
        || to.starts_with("http://")
        || to.starts_with("https://")
        || to.starts_with("$scheme")
}

/// The `if` condition for the handshake: `Some(true)`/`Some(false)` when decided, `None` when
/// it depends on something not known statically.
pub fn condition(
    d: &Dir<'_>,
    model: &HttpModel<'_>,
    scope: &Scope<'_, '_>,
    req: &Request<'_>,
) -> Option<bool> {
    let args: Vec<&str> = d.args().collect();
    let value = |s: &str| {
        let e = evaluate(s, model, scope, req);
        e.unknown.is_empty().then_some(e.text)
    };
    match args.as_slice() {
        [var] if var.starts_with('$') => {
            let v = value(var)?;
            Some(!(v.is_empty() || v == "0"))
        }
        [lhs, op, rhs] if lhs.starts_with('$') => {
            let l = value(lhs)?;
            match *op {
                "=" => Some(l == value(rhs)?),
                "!=" => Some(l != value(rhs)?),
                "~" | "~*" | "!~" | "!~*" => {
                    let hit = super::pcre::matches(rhs, op.ends_with('*'), &l)?;
                    Some(hit != op.starts_with('!'))
                }
                _ => None,
            }
        }
        _ => None,
    }
}
