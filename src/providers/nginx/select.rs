//! Request routing as nginx does it: which `server` answers `Host: D` on a listen socket, and
//! which `location` of it handles path `P`.

use super::http_block::{HttpModel, Listen, Location, Modifier, Server};

/// Why a server was chosen, for the layer's name and for tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerMatch {
    Exact(String),
    LeadingWildcard(String),
    TrailingWildcard(String),
    Regex(String),
    /// No name matched: the default server of the socket.
    Default,
}

impl std::fmt::Display for ServerMatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ServerMatch::Exact(n) => write!(f, "server_name {n} (exact)"),
            ServerMatch::LeadingWildcard(n) => write!(f, "server_name {n} (leading wildcard)"),
            ServerMatch::TrailingWildcard(n) => write!(f, "server_name {n} (trailing wildcard)"),
            ServerMatch::Regex(n) => write!(f, "server_name {n} (regex)"),
            ServerMatch::Default => f.write_str("the default server (no server_name matched)"),
        }
    }
}

/// The listen socket nginx would accept the request on: `port` if given, else 443 when any
/// server listens there (wss), else 80, else the first port configured. Wildcard addresses
/// are preferred over specific ones because the client's destination address is unknown.
pub fn pick_socket(model: &HttpModel<'_>, port: Option<u16>) -> Option<(String, u16)> {
    let all: Vec<&Listen> = model.servers.iter().flat_map(|s| &s.listens).collect();
    let port = match port {
        Some(p) => p,
        None => {
            if all.iter().any(|l| l.port == 443) {
                443
            } else if all.iter().any(|l| l.port == 80) {
                80
            } else {
                all.first()?.port
            }
        }
    };
    let on_port: Vec<&&Listen> = all.iter().filter(|l| l.port == port).collect();
    let addr = ["*", "[::]"]
        .iter()
        .find(|a| on_port.iter().any(|l| l.addr == **a))
        .map(|a| a.to_string())
        .or_else(|| on_port.first().map(|l| l.addr.clone()))?;
    Some((addr, port))
}

/// The server for `host` on a socket, with how it matched.
pub fn select_server<'m, 'a>(
    model: &'m HttpModel<'a>,
    socket: &(String, u16),
    host: &str,
) -> Option<(&'m Server<'a>, ServerMatch)> {
    let group: Vec<&Server<'a>> = model
        .servers
        .iter()
        .filter(|s| {
            s.listens
                .iter()
                .any(|l| l.addr == socket.0 && l.port == socket.1)
        })
        .collect();
    let default = group
        .iter()
        .find(|s| {
            s.listens
                .iter()
                .any(|l| l.addr == socket.0 && l.port == socket.1 && l.default_server)
        })
        .or(group.first())
        .copied()?;
    let host = normalize_host(host);

    for s in &group {
        for n in &s.names {
            if *n == host || (n.starts_with('.') && n[1..] == host) {
                return Some((s, ServerMatch::Exact(n.clone())));
            }
        }
    }
    let mut best: Option<(&Server<'a>, &String, usize)> = None;
    for s in &group {
        for n in &s.names {
            if let Some(len) = leading_wildcard(n, &host) {
                if best.is_none_or(|b| len > b.2) {
                    best = Some((s, n, len));
                }
            }
        }
    }
    if let Some((s, n, _)) = best {
        return Some((s, ServerMatch::LeadingWildcard(n.clone())));
    }
    for s in &group {
        for n in &s.names {
            if let Some(len) = trailing_wildcard(n, &host) {
                if best.is_none_or(|b| len > b.2) {
                    best = Some((s, n, len));
                }
            }
        }
    }
    if let Some((s, n, _)) = best {
        return Some((s, ServerMatch::TrailingWildcard(n.clone())));
    }
    for s in &group {
        for n in &s.names {
            if let Some(re) = n.strip_prefix('~') {
                // server_name regexes are matched without regard to case.
                if super::pcre::matches(re, true, &host) == Some(true) {
                    return Some((s, ServerMatch::Regex(n.clone())));
                }
            }
        }
    }
    Some((default, ServerMatch::Default))
}

/// `*.example.com` or `.example.com` against a (lowercase) host: the length of the part that
/// matched when it does, so the longest mask can win.
pub(super) fn leading_wildcard(mask: &str, host: &str) -> Option<usize> {
    let suf = mask.strip_prefix("*.").or_else(|| mask.strip_prefix('.'))?;
    (host.len() > suf.len() + 1
        && host.ends_with(suf)
        && host.as_bytes()[host.len() - suf.len() - 1] == b'.')
        .then_some(suf.len())
}

/// `www.example.*` against a (lowercase) host, like [`leading_wildcard`].
pub(super) fn trailing_wildcard(mask: &str, host: &str) -> Option<usize> {
    let pre = mask.strip_suffix(".*")?;
    (host.len() > pre.len() + 1 && host.starts_with(pre) && host.as_bytes()[pre.len()] == b'.')
        .then_some(pre.len())
}

fn normalize_host(host: &str) -> String {
    let h = host.trim().to_ascii_lowercase();
    let h = if h.starts_with('[') {
        h.split(']').next().map(|x| format!("{x}]")).unwrap_or(h)
    } else {
        h.split(':').next().unwrap_or("").to_string()
    };
    h.trim_end_matches('.').to_string()
}

/// The path nginx matches locations against: no query, `%XX` decoded, `//` merged, `.` and
/// `..` resolved.
pub fn normalize_uri(path: &str) -> String {
    let p = path.split(['?', '#']).next().unwrap_or("");
    let bytes = p.as_bytes();
    let mut dec = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                dec.push(h * 16 + l);
                i += 3;
                continue;
            }
        }
        dec.push(bytes[i]);
        i += 1;
    }
    let s = String::from_utf8_lossy(&dec).into_owned();
    let mut parts: Vec<&str> = Vec::new();
    for seg in s.split('/').skip(1) {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            x => parts.push(x),
        }
    }
    let mut out = String::from("/");
    out.push_str(&parts.join("/"));
    if (s.ends_with('/') || s.ends_with("/.") || s.ends_with("/..")) && out.len() > 1 {
        out.push('/');
    }
    out
}

fn hex(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

/// nginx's `ngx_http_core_find_location`: exact match; else the longest prefix (searching
/// its nested locations); then, unless that prefix is `^~`, the regexes of this level in
/// order, the first match winning (with its own nested locations searched). Named locations
/// never match a request.
pub fn select_location<'m, 'a>(
    locations: &'m [Location<'a>],
    uri: &str,
) -> Option<&'m Location<'a>> {
    find(locations, uri).0
}

/// (the location, whether the search is final).
fn find<'m, 'a>(level: &'m [Location<'a>], uri: &str) -> (Option<&'m Location<'a>>, bool) {
    let mut best: Option<&'m Location<'a>> = None;
    for l in level {
        match l.modifier {
            Modifier::Exact if l.pattern == uri => return (Some(l), true),
            Modifier::Prefix | Modifier::NoRegex
                if uri.starts_with(l.pattern.as_str())
                    && best.is_none_or(|b| l.pattern.len() > b.pattern.len()) =>
            {
                best = Some(l)
            }
            _ => {}
        }
    }
    let mut result = best;
    if let Some(p) = best {
        let noregex = p.modifier == Modifier::NoRegex;
        if !p.nested.is_empty() {
            let (inner, done) = find(&p.nested, uri);
            if inner.is_some() {
                result = inner;
            }
            if done {
                return (result, true);
            }
        }
        if noregex {
            return (result, true);
        }
    }
    for l in level {
        let caseless = match l.modifier {
            Modifier::Regex => false,
            Modifier::RegexCaseless => true,
            _ => continue,
        };
        if super::pcre::matches(&l.pattern, caseless, uri) == Some(true) {
            let (inner, _) = find(&l.nested, uri);
            return (inner.or(Some(l)), true);
        }
    }
    (result, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uri_normalization() {
        assert_eq!(normalize_uri("/a//b/./c/../d?x=1"), "/a/b/d");
        assert_eq!(normalize_uri("/ws/"), "/ws/");
        assert_eq!(normalize_uri("/w%73/"), "/ws/");
        assert_eq!(normalize_uri("/"), "/");
        assert_eq!(normalize_uri("/%"), "/%");
    }
}
