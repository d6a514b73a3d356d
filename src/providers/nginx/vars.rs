//! Evaluates a complex value (`$connection_upgrade`, `"upgrade"`, `$x$y`) for a WebSocket
//! handshake, following `map` blocks and `set` the way nginx would at request time. This is
//! what tells whether `Connection` reaches the upstream as `upgrade`, whatever the map's
//! variable is called.

use super::http_block::HttpModel;
use super::scope::Scope;
use super::tree::Dir;

/// The request being judged: a browser's WebSocket handshake.
#[derive(Debug, Clone, Copy)]
pub struct Request<'q> {
    pub host: &'q str,
    pub uri: &'q str,
    /// The URI as the client sent it (`$request_uri`), whatever rewrites made of `uri`.
    pub request_uri: &'q str,
    /// `https` when the handshake arrives on a `listen … ssl` socket (wss), else `http`.
    pub scheme: &'q str,
}

/// A value and the directives that produced it.
#[derive(Debug, Clone, Default)]
pub struct Evaluated {
    pub text: String,
    /// `map`/`set` directives consulted, outermost first.
    pub via: Vec<String>,
    /// Variables whose request-time value is not known statically.
    pub unknown: Vec<String>,
}

const MAX_DEPTH: usize = 16;

pub fn evaluate(
    value: &str,
    model: &HttpModel<'_>,
    scope: &Scope<'_, '_>,
    req: &Request<'_>,
) -> Evaluated {
    let mut e = Evaluated::default();
    e.text = eval_into(value, model, scope, req, &mut e, 0);
    e
}

fn eval_into(
    value: &str,
    model: &HttpModel<'_>,
    scope: &Scope<'_, '_>,
    req: &Request<'_>,
    e: &mut Evaluated,
    depth: usize,
) -> String {
    let mut out = String::new();
    let b = value.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'$' {
            let (name, len) = if b.get(i + 1) == Some(&b'{') {
                match value[i + 2..].find('}') {
                    Some(end) => (&value[i + 2..i + 2 + end], end + 3),
                    None => ("", 1),
                }
            } else {
                let n = value[i + 1..]
                    .bytes()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == b'_')
                    .count();
                (&value[i + 1..i + 1 + n], n + 1)
            };
            if name.is_empty() {
                out.push('$');
                i += 1;
                continue;
            }
            out.push_str(&variable(name, model, scope, req, e, depth));
            i += len;
        } else {
            let next = value[i..].find('$').map_or(b.len(), |n| i + n);
            out.push_str(&value[i..next]);
            i = next;
        }
    }
    out
}

fn variable(
    name: &str,
    model: &HttpModel<'_>,
    scope: &Scope<'_, '_>,
    req: &Request<'_>,
    e: &mut Evaluated,
    depth: usize,
) -> String {
    if depth > MAX_DEPTH {
        e.unknown.push(name.to_string());
        return String::new();
    }
    if let Some(set) = scope.set_var(name) {
        e.via
            .push(format!("{}:{} set ${name}", set.file(), set.line()));
        let v = set.arg(1).unwrap_or("");
        return eval_into(v, model, scope, req, e, depth + 1);
    }
    if let Some(map) = model.maps.get(name) {
        e.via
            .push(format!("{}:{} map ${name}", map.file(), map.line()));
        let src = map.arg(0).unwrap_or("");
        let key = eval_into(src, model, scope, req, e, depth + 1);
        let result = map_lookup(model, *map, &key);
        return eval_into(&result, model, scope, req, e, depth + 1);
    }
    match name {
        // A browser's handshake: `Upgrade: websocket`, `Connection: Upgrade`.
        "http_upgrade" => "websocket".into(),
        "http_connection" => "Upgrade".into(),
        "host" | "http_host" | "server_name" => req.host.into(),
        "uri" | "document_uri" => req.uri.into(),
        "request_uri" => req.request_uri.into(),
        "scheme" => req.scheme.into(),
        "request_method" => "GET".into(),
        _ => {
            e.unknown.push(name.to_string());
            format!("${name}")
        }
    }
}

/// nginx's map lookup: exact key (case-insensitive), then with `hostnames` the longest
/// wildcard, then regexes in order, then `default` (empty if none).
fn map_lookup(model: &HttpModel<'_>, map: Dir<'_>, key: &str) -> String {
    // Includes expanded once; the flags (`hostnames`, `volatile`) are the entries without a
    // value.
    let body = model.cfg.expanded(map.children());
    let hostnames = body
        .iter()
        .any(|d| d.name() == "hostnames" && d.nargs() == 0);
    let entries = body
        .iter()
        .filter(|d| d.nargs() == 1)
        .map(|d| (d.name(), d.arg(0).unwrap_or("")));
    let mut default = "";
    let lower = key.to_ascii_lowercase();
    let host = lower.trim_end_matches('.');
    let mut regexes = Vec::new();
    let mut masks = Vec::new();
    for (k, v) in entries {
        match k {
            "default" => default = v,
            _ if k.starts_with('~') => regexes.push((k, v)),
            _ => {
                let k = k.strip_prefix('\\').unwrap_or(k).to_ascii_lowercase();
                let exact = if hostnames {
                    // `.example.com` is both `example.com` and `*.example.com`.
                    k.strip_prefix('.').unwrap_or(&k) == host
                } else {
                    k == lower
                };
                if exact {
                    return v.to_string();
                }
                if hostnames {
                    masks.push((k, v));
                }
            }
        }
    }
    let longest = |f: fn(&str, &str) -> Option<usize>| {
        masks
            .iter()
            .filter_map(|(k, v)| Some((f(k, host)?, *v)))
            .max_by_key(|(len, _)| *len)
            .map(|(_, v)| v.to_string())
    };
    if let Some(v) = longest(super::select::leading_wildcard)
        .or_else(|| longest(super::select::trailing_wildcard))
    {
        return v;
    }
    for (k, v) in regexes {
        let (pat, caseless) = match k.strip_prefix("~*") {
            Some(p) => (p, true),
            None => (&k[1..], false),
        };
        if super::pcre::matches(pat, caseless, key) == Some(true) {
            return v.to_string();
        }
    }
    default.to_string()
}
