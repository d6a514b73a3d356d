//! A location's `if` blocks as nginx's rewrite phase runs them for a WebSocket handshake.
//!
//! nginx evaluates the location's `if` directives in order. A true one whose block holds
//! `return` (or a redirecting `rewrite`) answers the request itself; a true one holding
//! `proxy_pass` makes that the request's upstream (the configuration of the last true `if`
//! wins). Conditions on the handshake's own headers (`$http_upgrade`, `$http_connection`, maps
//! over them, `$request_method`, `$host`, `$uri`) are decided; any other condition (a file
//! test, a cookie, the client address) cannot be known statically and is left aside, so the
//! location's own directives are judged as if it were false.

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

/// Runs the `if` directives of `level` (a location's own directives) for the handshake.
pub fn handshake_ifs<'a>(
    model: &HttpModel<'a>,
    scope: &Scope<'_, 'a>,
    req: &Request<'_>,
    level: &[Dir<'a>],
) -> HandshakeIfs<'a> {
    let mut out = HandshakeIfs::default();
    for d in level {
        if d.name() != "if" || !d.is_block() {
            continue;
        }
        if condition(d, model, scope, req) != Some(true) {
            continue;
        }
        let body = model.cfg.expanded(d.children());
        if let Some(stop) = body
            .iter()
            .find(|b| answers_itself(b) && rewrite_matches(b, req))
        {
            out.answers = Some((Some(*d), *stop));
            return out;
        }
        if let Some(p) = body.iter().find(|b| PASS_DIRECTIVES.contains(&b.name())) {
            out.pass = Some(*p);
        }
    }
    out
}

/// The server's own rewrite phase, which nginx runs before it picks a location: a server-level
/// `return`, a redirecting `rewrite` whose regex matches the URI, or a true `if` holding either
/// answers the handshake. (`proxy_pass` is not allowed at this level.)
pub fn server_rewrite<'a>(
    model: &HttpModel<'a>,
    scope: &Scope<'_, 'a>,
    req: &Request<'_>,
    level: &[Dir<'a>],
) -> HandshakeIfs<'a> {
    let mut out = HandshakeIfs::default();
    for d in level {
        let answer = match d.name() {
            "if" if d.is_block() => {
                if condition(d, model, scope, req) != Some(true) {
                    continue;
                }
                let body = model.cfg.expanded(d.children());
                body.iter()
                    .find(|b| answers_itself(b) && rewrite_matches(b, req))
                    .map(|stop| (Some(*d), *stop))
            }
            "return" | "rewrite" if answers_itself(d) && rewrite_matches(d, req) => {
                Some((None, *d))
            }
            _ => None,
        };
        if answer.is_some() {
            out.answers = answer;
            return out;
        }
    }
    out
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
