//! The `reverse_proxy` handler a handshake ends in, as a chain `Layer`. Caddy's JSON has no
//! line numbers, so a value's origin is the file and the JSON path of the field
//! (`apps.http.servers.srv0.routes[0].handle[0].stream_close_delay`).

use super::CaddyVersion;
use crate::model::{
    AccessLog, IdleResetBy, Layer, LayerKind, Provider, Seconds, Setting, Stickiness,
    WebsocketSupport,
};
use serde_json::Value;

const RP_DOC: &str = "https://caddyserver.com/docs/caddyfile/directives/reverse_proxy";
const JSON_DOC: &str =
    "https://caddyserver.com/docs/json/apps/http/servers/routes/handle/reverse_proxy/";

pub struct Found {
    pub handler: Value,
    pub at: String,
    pub encode: Option<String>,
}

/// Caddy durations: a number of nanoseconds, or a Go duration string (`1h30m`, `300ms`, `5d`).
pub fn duration(v: &Value) -> Option<Seconds> {
    if let Some(n) = v.as_f64() {
        return Some(Seconds(n / 1e9));
    }
    let s = v.as_str()?;
    let mut total = 0.0;
    let mut num = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() || c == '.' {
            num.push(c);
            continue;
        }
        let mut unit = c.to_string();
        while let Some(&n) = chars.peek() {
            if n.is_ascii_alphabetic() || n == 'µ' {
                unit.push(n);
                chars.next();
            } else {
                break;
            }
        }
        let n: f64 = num.parse().ok()?;
        num.clear();
        total += n * match unit.as_str() {
            "ns" => 1e-9,
            "us" | "µs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            "d" => 86400.0,
            _ => return None,
        };
    }
    if !num.is_empty() {
        return None;
    }
    Some(Seconds(total))
}

fn put<T>(file: &str, at: &str, v: T, f: &str) -> Setting<T> {
    Setting::explicit_field(v, file, format!("{at}.{f}"))
}

pub fn to_layer(
    file: &str,
    server: &str,
    srv: &Value,
    found: &Found,
    version: Option<CaddyVersion>,
) -> Layer {
    let h = &found.handler;
    let at = &found.at;
    let kind = h.get("handler").and_then(Value::as_str).unwrap_or("");
    let mut layer = Layer::new(
        format!("caddy:{server}"),
        LayerKind::ReverseProxy,
        Provider::Caddy,
        format!("server {server} {kind} ({at})"),
    );
    layer.locator = Some(file.to_string());
    layer.add_resource("handler", at.clone());
    if kind != "reverse_proxy" {
        layer.proxies = Setting::explicit_field(false, file, at.clone());
        layer.websocket = Setting::explicit_field(
            WebsocketSupport::Disabled,
            file,
            format!("{at} ({kind} answers the handshake itself)"),
        );
        return layer;
    }
    layer.proxies =
        Setting::default_documented(true, "reverse_proxy forwards the handshake", RP_DOC);
    layer.websocket = Setting::default_documented(
        WebsocketSupport::Enabled,
        "reverse_proxy upgrades WebSockets automatically (a bidirectional tunnel)",
        RP_DOC,
    );
    layer.forwards_upgrade = Setting::default_documented(
        true,
        "the Upgrade header is passed on for a handshake",
        RP_DOC,
    );
    layer.connection_header = Setting::default_documented(
        "upgrade".to_string(),
        "Connection: upgrade is passed on for a handshake",
        RP_DOC,
    );
    layer.idle_reset_by =
        Setting::default_documented(IdleResetBy::Either, "a stream has no idle timer", RP_DOC);
    layer.idle_timeout = Setting::unknown(
        "Caddy sets no idle timeout on a proxied WebSocket (only stream_timeout caps its life)",
    );
    let stream_options = version.is_none_or(|v| v.has_stream_options());
    layer.max_duration = match h.get("stream_timeout").and_then(duration) {
        Some(t) => put(file, at, t, "stream_timeout"),
        None => Setting::unknown("no stream_timeout: Caddy does not cap a WebSocket's life"),
    };
    // Every reload unloads the config and, with it, closes its streams at once unless
    // stream_close_delay keeps them: the drain a reload gives open WebSockets.
    layer.drain_timeout = match h.get("stream_close_delay").and_then(duration) {
        Some(t) => put(file, at, t, "stream_close_delay"),
        None if stream_options => Setting::default_documented(
            Seconds(0.0),
            "no stream_close_delay: every config reload closes open WebSockets at once (close 1001)",
            &format!("{JSON_DOC}#stream_close_delay"),
        ),
        None => Setting::default_documented(
            Seconds(0.0),
            "Caddy before 2.7 has no stream_close_delay: every config reload closes open WebSockets at once (close 1001; measured on 2.6.2)",
            &format!("{JSON_DOC}#stream_close_delay"),
        ),
    };
    let upstreams = h
        .get("upstreams")
        .and_then(Value::as_array)
        .map(Vec::len)
        .unwrap_or(0);
    layer.targets = if h.get("dynamic_upstreams").is_some() {
        Setting::unknown("dynamic_upstreams: the backends are found at run time")
    } else {
        put(file, at, upstreams as u32, "upstreams")
    };
    let policy = h
        .pointer("/load_balancing/selection_policy/policy")
        .and_then(Value::as_str);
    layer.balancing = match policy {
        Some(p) => put(
            file,
            at,
            p.to_string(),
            "load_balancing.selection_policy.policy",
        ),
        None => Setting::default_documented(
            "random".to_string(),
            "lb_policy defaults to random",
            RP_DOC,
        ),
    };
    layer.stickiness = match policy {
        Some(p @ ("ip_hash" | "client_ip_hash" | "uri_hash" | "header" | "cookie" | "query")) => {
            put(
                file,
                at,
                Stickiness {
                    mode: match p {
                        "cookie" => "cookie".into(),
                        "ip_hash" | "client_ip_hash" => "source_ip".into(),
                        _ => "hash".into(),
                    },
                    key: h
                        .pointer("/load_balancing/selection_policy/field")
                        .or_else(|| h.pointer("/load_balancing/selection_policy/name"))
                        .and_then(Value::as_str)
                        .map(String::from),
                    ttl_s: None,
                },
                "load_balancing.selection_policy.policy",
            )
        }
        Some(_) => put(
            file,
            at,
            Stickiness::none(),
            "load_balancing.selection_policy.policy",
        ),
        None => Setting::default_documented(
            Stickiness::none(),
            "lb_policy random: no stickiness",
            RP_DOC,
        ),
    };
    let transport = h.get("transport");
    layer.tls_to_origin = match transport.and_then(|t| t.get("tls")) {
        Some(_) => put(file, at, true, "transport.tls"),
        None => Setting::default_documented(
            false,
            "no transport tls: plain HTTP to the upstreams",
            RP_DOC,
        ),
    };
    layer.upstream_http_version = match transport.and_then(|t| t.get("versions")).map(|v| {
        v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(String::from)
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default()
    }) {
        Some(v) if !v.iter().any(|x| x == "1.1") && v.iter().any(|x| x == "2" || x == "h2c") => {
            put(file, at, "2".to_string(), "transport.versions")
        }
        Some(_) => put(file, at, "1.1".to_string(), "transport.versions"),
        None => Setting::default_documented(
            "1.1".to_string(),
            "an upgrade request goes to the upstream over HTTP/1.1",
            RP_DOC,
        ),
    };
    layer.upstream_keepalive = match transport
        .and_then(|t| t.pointer("/keep_alive/idle_timeout"))
        .and_then(duration)
    {
        Some(t) => put(file, at, t, "transport.keep_alive.idle_timeout"),
        None => Setting::default_documented(
            Seconds(120.0),
            "transport keepalive defaults to 2m",
            RP_DOC,
        ),
    };
    layer.client_keepalive = match srv.get("idle_timeout").and_then(duration) {
        Some(t) => Setting::explicit_field(t, file, "idle_timeout"),
        None => Setting::default_documented(
            Seconds(300.0),
            "the server's idle timeout (keep-alive between requests) defaults to 5m",
            "https://caddyserver.com/docs/caddyfile/options#timeouts",
        ),
    };
    layer.buffering = match h.get("flush_interval").and_then(Value::as_i64) {
        Some(-1) => put(file, at, false, "flush_interval"),
        _ => Setting::default_documented(
            false,
            "streaming responses are flushed as they come",
            RP_DOC,
        ),
    };
    layer.compression = match &found.encode {
        Some(e) => Setting::explicit_field(true, file, e.clone()),
        None => Setting::default_documented(false, "no encode handler before the proxy", RP_DOC),
    };
    // Caddy's access log records each request's duration (a WebSocket's lifetime) but not the
    // upstream it went to.
    layer.access_log = match srv.get("logs") {
        Some(_) => Setting::explicit_field(
            AccessLog {
                enabled: true,
                destination: None,
                fields: ["remote_addr", "request", "status", "request_time"]
                    .map(String::from)
                    .to_vec(),
            },
            file,
            format!("apps.http.servers.{server}.logs"),
        ),
        None => Setting::default_documented(
            AccessLog {
                enabled: false,
                destination: None,
                fields: Vec::new(),
            },
            "no logs on the server: Caddy writes no access log",
            "https://caddyserver.com/docs/caddyfile/directives/log",
        ),
    };
    layer
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn durations_as_caddy_writes_them() {
        assert_eq!(duration(&json!("5m")), Some(Seconds(300.0)));
        assert_eq!(duration(&json!("1h30m")), Some(Seconds(5400.0)));
        assert_eq!(duration(&json!(2_000_000_000u64)), Some(Seconds(2.0)));
        assert_eq!(duration(&json!("10")), None);
        assert_eq!(duration(&json!("3x")), None);
    }
}
