//! Routing a handshake through Caddy's JSON config: the HTTP server that listens for the
//! scheme and port, then its routes in order (a route applies when every matcher set of its
//! `match` list… any one set matches, each set's matchers all), into `subroute` handlers, up
//! to the first terminal handler: `reverse_proxy` (the layer), or `static_response` /
//! `file_server` (Caddy answers the handshake itself).

use super::layer::{to_layer, Found};
use super::CaddyVersion;
use crate::model::{Layer, Scheme};
use serde_json::Value;
use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Error)]
pub enum CaddyError {
    #[error("{file}: {message}")]
    Io { file: String, message: String },
    #[error("{file}:{line}:{col}: {message}")]
    Json {
        file: String,
        line: usize,
        col: usize,
        message: String,
    },
    #[error("{file}: {message}")]
    Invalid { file: String, message: String },
    #[error("{file}: {message}")]
    NoRoute { file: String, message: String },
}

#[derive(Debug, Clone)]
pub struct Query {
    pub host: String,
    pub path: String,
    pub scheme: Option<Scheme>,
    pub version: Option<CaddyVersion>,
}

#[derive(Debug, Clone)]
pub struct RoutedLayer {
    pub layer: Layer,
    pub server: String,
    /// The JSON path of the handler the handshake ends in.
    pub handler: String,
    pub scheme: Scheme,
}

/// Parses `text` (Caddy's JSON config) and routes the handshake. `file` names the source in
/// messages and origins (the Caddyfile when the JSON came from `caddy adapt`).
pub fn route(file: &str, text: &str, q: &Query) -> Result<RoutedLayer, CaddyError> {
    let cfg: Value = serde_json::from_str(text).map_err(|e| CaddyError::Json {
        file: file.to_string(),
        line: e.line(),
        col: e.column(),
        message: e.to_string(),
    })?;
    let invalid = |m: String| CaddyError::Invalid {
        file: file.to_string(),
        message: m,
    };
    let servers = cfg
        .pointer("/apps/http/servers")
        .and_then(Value::as_object)
        .ok_or_else(|| invalid("no apps.http.servers: this config serves no HTTP".into()))?;
    let wants_tls = q.scheme.map(|s| s == Scheme::Wss);
    let mut picked = None;
    for (name, srv) in servers {
        let listens: Vec<&str> = srv
            .get("listen")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        // Caddy serves TLS on a server unless it listens on the HTTP port only (automatic
        // HTTPS) or has no TLS policies and listens on :80.
        let tls = !listens.iter().all(|l| l.ends_with(":80"))
            && srv.get("tls_connection_policies").is_some()
            || listens.iter().any(|l| l.ends_with(":443"));
        if wants_tls.is_none_or(|w| w == tls) {
            picked = Some((name.clone(), srv, tls));
            break;
        }
    }
    let Some((server, srv, tls)) = picked else {
        return Err(CaddyError::NoRoute {
            file: file.to_string(),
            message: format!(
                "no HTTP server listens for {}",
                if wants_tls == Some(true) {
                    "wss:// (TLS)"
                } else {
                    "ws:// (plain HTTP)"
                }
            ),
        });
    };
    let base = format!("apps.http.servers.{server}");
    let routes = srv
        .get("routes")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut path = q.path.clone();
    let mut ctx = Walk {
        host: &q.host,
        path: &mut path,
        encode: None,
    };
    let found =
        walk(&routes, &format!("{base}.routes"), &mut ctx).ok_or_else(|| CaddyError::NoRoute {
            file: file.to_string(),
            message: format!(
                "no route of server {server} handles {}{}: Caddy answers with an empty 200",
                q.host, q.path
            ),
        })?;
    let handler = found.at.clone();
    let layer = to_layer(
        file,
        &server,
        srv,
        &Found {
            handler: found.handler,
            at: found.at,
            encode: ctx.encode,
        },
        q.version,
    );
    Ok(RoutedLayer {
        layer,
        server,
        handler,
        scheme: if tls { Scheme::Wss } else { Scheme::Ws },
    })
}

struct Walk<'a> {
    host: &'a str,
    path: &'a mut String,
    /// An `encode` handler on the way (compression), by its JSON path.
    encode: Option<String>,
}

struct Hit {
    handler: Value,
    at: String,
}

fn walk(routes: &[Value], at: &str, ctx: &mut Walk<'_>) -> Option<Hit> {
    for (i, r) in routes.iter().enumerate() {
        let here = format!("{at}[{i}]");
        if !route_matches(r, ctx) {
            continue;
        }
        let handlers = r
            .get("handle")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        for (j, h) in handlers.iter().enumerate() {
            let hat = format!("{here}.handle[{j}]");
            match h.get("handler").and_then(Value::as_str).unwrap_or("") {
                "reverse_proxy" | "static_response" | "file_server" => {
                    return Some(Hit {
                        handler: h.clone(),
                        at: hat,
                    })
                }
                "subroute" => {
                    let sub = h
                        .get("routes")
                        .and_then(Value::as_array)
                        .cloned()
                        .unwrap_or_default();
                    if let Some(hit) = walk(&sub, &format!("{hat}.routes"), ctx) {
                        return Some(hit);
                    }
                }
                "encode" => ctx.encode = Some(hat),
                "rewrite" => rewrite(h, ctx.path),
                _ => {}
            }
        }
        if r.get("terminal").and_then(Value::as_bool) == Some(true) {
            return None;
        }
    }
    None
}

/// The path the next handlers see after a `rewrite` (`strip_path_prefix`, `uri`).
fn rewrite(h: &Value, path: &mut String) {
    if let Some(p) = h.get("strip_path_prefix").and_then(Value::as_str) {
        if let Some(rest) = path.strip_prefix(p) {
            *path = if rest.starts_with('/') {
                rest.to_string()
            } else {
                format!("/{rest}")
            };
        }
    }
    if let Some(u) = h.get("uri").and_then(Value::as_str) {
        if !u.contains('{') {
            *path = u.split('?').next().unwrap_or(u).to_string();
        }
    }
}

/// `match` is a list of matcher sets: any set may match; within a set every matcher must.
fn route_matches(r: &Value, ctx: &Walk<'_>) -> bool {
    let Some(sets) = r.get("match").and_then(Value::as_array) else {
        return true;
    };
    sets.iter().any(|set| {
        let Some(m) = set.as_object() else {
            return false;
        };
        m.iter().all(|(k, v)| match k.as_str() {
            "host" => list(v).iter().any(|h| host_matches(h, ctx.host)),
            "path" => list(v).iter().any(|p| path_matches(p, ctx.path)),
            // Every handshake is a GET carrying these headers.
            "method" => list(v).iter().any(|m| m.eq_ignore_ascii_case("GET")),
            "header" => v.as_object().is_some_and(|hs| {
                hs.iter().all(|(name, vals)| {
                    let have = match name.to_ascii_lowercase().as_str() {
                        "upgrade" => "websocket",
                        "connection" => "Upgrade",
                        _ => return false,
                    };
                    list(vals).iter().any(|want| {
                        want == "*"
                            || want.eq_ignore_ascii_case(have)
                            || (want.ends_with('*')
                                && have
                                    .to_ascii_lowercase()
                                    .starts_with(&want[..want.len() - 1].to_ascii_lowercase()))
                    })
                })
            }),
            "protocol" => list(v).iter().any(|p| p == "http" || p == "http/1.1"),
            // Matchers this reader does not evaluate count as not matching.
            _ => false,
        })
    })
}

fn list(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(String::from)
                .collect()
        })
        .unwrap_or_default()
}

fn host_matches(pattern: &str, host: &str) -> bool {
    let (p, h) = (pattern.to_ascii_lowercase(), host.to_ascii_lowercase());
    match p.strip_prefix("*.") {
        Some(rest) => h
            .split_once('.')
            .is_some_and(|(label, tail)| !label.is_empty() && tail == rest),
        None => p == h,
    }
}

/// Caddy path matching: exact, `prefix*`, `*suffix`, `*sub*`, case-insensitive.
fn path_matches(pattern: &str, path: &str) -> bool {
    let (p, s) = (pattern.to_ascii_lowercase(), path.to_ascii_lowercase());
    match (p.strip_prefix('*'), p.strip_suffix('*')) {
        (Some(_), Some(_)) if p.len() >= 2 => s.contains(&p[1..p.len() - 1]),
        (Some(suffix), None) => s.ends_with(suffix),
        (None, Some(prefix)) => s.starts_with(prefix),
        _ => p == s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_and_paths_match_as_caddy_matches_them() {
        assert!(host_matches("*.example.com", "ws.example.com"));
        assert!(!host_matches("*.example.com", "a.b.example.com"));
        assert!(path_matches("/ws/*", "/ws/chat"));
        assert!(path_matches("/ws*", "/ws"));
        assert!(path_matches("*.php", "/x.PHP"));
        assert!(!path_matches("/ws", "/ws/x"));
    }
}
