//! nginx's rewrite phases as they run for a WebSocket handshake: the server's (before any
//! location is chosen), then the chosen location's.
//!
//! Directives run in order. A `return`, a redirecting `rewrite` whose regex matches, or a true
//! `if` whose block holds either answers the request itself; a true `if` holding `proxy_pass`
//! makes that the request's upstream (the configuration of the last true `if` wins).
//! Conditions on the handshake's own headers (`$http_upgrade`, `$http_connection`, maps over
//! them, `$request_method`, `$host`, `$uri`) are decided; any other condition (a file test, a
//! cookie, the client address) cannot be known statically and is left aside, so the level's
//! own directives are judged as if it were false.

use super::model::HttpModel;
use super::scope::Scope;
use super::tree::Dir;
use super::upstream::PASS_DIRECTIVES;
use super::vars::{evaluate, Request};

/// What the `if` blocks of one location do to the handshake.
#[derive(Debug, Default, Clone, Copy)]
pub struct HandshakeIfs<'a> {
    /// The handshake is answered by nginx itself (the layer refuses WebSockets): (the true
    /// `if`, or none for an unconditional server-level directive; the `return`/`rewrite`).
    pub answers: Option<(Option<Dir<'a>>, Dir<'a>)>,
    /// The `*_pass` of the last true `if` that proxies.
    pub pass: Option<Dir<'a>>,
}

/// Runs nginx's rewrite phase of one level (the server's, which comes before location
/// selection, or a location's own directives) for the handshake: a `return`, a redirecting
/// `rewrite` whose regex matches the URI, or a true `if` holding either answers it; a true `if`
/// holding a `*_pass` proxies it (only allowed in a location).
pub fn rewrite_phase<'a>(
    model: &HttpModel<'a>,
    scope: &Scope<'_, 'a>,
    req: &Request<'_>,
    level: &[Dir<'a>],
) -> HandshakeIfs<'a> {
    let mut out = HandshakeIfs::default();
    for d in level {
        match d.name() {
            "if" if d.is_block() => {
                if condition(d, model, scope, req) != Some(true) {
                    continue;
                }
                let body = model.cfg.expanded(d.children());
                if let Some(stop) = body.iter().find(|b| answers(b, req)) {
                    out.answers = Some((Some(*d), *stop));
                    return out;
                }
                if let Some(p) = body.iter().find(|b| PASS_DIRECTIVES.contains(&b.name())) {
                    out.pass = Some(*p);
                }
            }
            _ if answers(d, req) => {
                out.answers = Some((None, *d));
                return out;
            }
            _ => {}
        }
    }
    out
}

/// A `return`, or a redirecting `rewrite` whose regex matches the URI.
fn answers(d: &Dir<'_>, req: &Request<'_>) -> bool {
    answers_itself(d) && rewrite_matches(d, req)
}

/// A `rewrite` applies only when its regex matches the URI (`return` always does).
fn rewrite_matches(d: &Dir<'_>, req: &Request<'_>) -> bool {
    d.name() != "rewrite"
        || super::pcre::matches(d.arg(0).unwrap_or(""), false, req.uri) == Some(true)
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

/// `return …`, or a `rewrite` that redirects (`redirect`, `permanent`, or a replacement that
/// starts with a scheme): nginx answers without proxying.
fn answers_itself(d: &Dir<'_>) -> bool {
    match d.name() {
        "return" => true,
        "rewrite" => {
            let flag = d.arg(2).unwrap_or("");
            let to = d.arg(1).unwrap_or("");
            flag == "redirect"
                || flag == "permanent"
                || to.starts_with("http://")
                || to.starts_with("https://")
                || to.starts_with("$scheme")
        }
        _ => false,
    }
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
