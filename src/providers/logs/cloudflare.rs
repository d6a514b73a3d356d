//! Cloudflare Logpush lines (NDJSON): the `websocket_analytics` dataset (one line per
//! WebSocket, `EdgeStartTimestamp`/`EdgeEndTimestamp` for its exact lifetime,
//! `ConnectionCloseSource` `me` = the edge closed it, `ConnectionCloseReason` `timedOut`, …)
//! and `http_requests` lines (`EdgeResponseStatus` 101 for upgrades). Timestamps come as
//! Logpush's `timestamp_format` writes them: `unixnano` (the default), `unix` or `rfc3339`.

use super::record::{split_uri, Caps, Record, Upgrade};
use super::time;
use serde::Deserialize;
use std::borrow::Cow;

pub const CAPS: Caps = Caps {
    end: true,
    lifetime: true,
    status: true,
    upgrade: true,
    upstream: true,
    path: true,
    client: true,
};

#[derive(Deserialize)]
#[serde(untagged)]
enum Stamp<'a> {
    Number(f64),
    #[serde(borrow)]
    Text(Cow<'a, str>),
}

impl Stamp<'_> {
    fn seconds(&self) -> Option<f64> {
        match self {
            Stamp::Number(n) => time::unix_any(*n),
            Stamp::Text(s) => time::iso8601(s).or_else(|| s.parse().ok().and_then(time::unix_any)),
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Line<'a> {
    #[serde(borrow)]
    edge_start_timestamp: Option<Stamp<'a>>,
    #[serde(borrow)]
    edge_end_timestamp: Option<Stamp<'a>>,
    #[serde(borrow, default)]
    connection_close_reason: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    connection_close_source: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    client_request_host: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    client_request_path: Option<Cow<'a, str>>,
    #[serde(borrow, default, rename = "ClientIP")]
    client_ip: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    colo_code: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    edge_colo_code: Option<Cow<'a, str>>,
    #[serde(default, rename = "ConnectionID")]
    connection_id: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    edge_response_status: Option<u16>,
    #[serde(borrow, default, rename = "ClientRequestURI")]
    client_request_uri: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    client_request_protocol: Option<Cow<'a, str>>,
}

fn owned<'a>(c: Option<Cow<'a, str>>) -> Cow<'a, str> {
    c.unwrap_or(Cow::Borrowed(""))
}

pub fn parse(line: &str) -> Result<Record<'_>, String> {
    let l: Line<'_> = serde_json::from_str(line).map_err(|e| format!("not JSON: {e}"))?;
    let end = l
        .edge_end_timestamp
        .as_ref()
        .and_then(Stamp::seconds)
        .ok_or("no EdgeEndTimestamp")?;
    let start = l.edge_start_timestamp.as_ref().and_then(Stamp::seconds);
    let mut r = Record::empty();
    r.end = Some(end);
    r.lifetime = start.map(|s| (end - s).max(0.0));
    if l.connection_id.is_some() || l.connection_close_source.is_some() {
        // websocket_analytics: every line is an established WebSocket.
        r.status = Some(101);
        r.upgrade = Upgrade::Asked;
    } else if let Some(status) = l.edge_response_status {
        r.status = Some(status);
        // http_requests does not record the Upgrade header: a refused upgrade cannot be
        // told from any other request.
        r.upgrade = if status == 101 {
            Upgrade::Asked
        } else {
            Upgrade::Unknown
        };
    } else {
        return Err("neither a websocket_analytics nor an http_requests line".into());
    }
    r.host = owned(l.client_request_host);
    r.path = match (l.client_request_path, l.client_request_uri) {
        (Some(p), _) => p,
        (None, Some(Cow::Borrowed(u))) => Cow::Borrowed(split_uri(u).1),
        (None, Some(Cow::Owned(u))) => Cow::Owned(split_uri(&u).1.to_string()),
        (None, None) => Cow::Borrowed(""),
    };
    r.client = owned(l.client_ip);
    // The data center that held the connection: Cloudflare's side of "which backend".
    r.upstream = owned(l.colo_code.or(l.edge_colo_code));
    r.close_source = owned(l.connection_close_source);
    r.close_reason = owned(l.connection_close_reason);
    let _ = l.client_request_protocol;
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn websocket_analytics_lines() {
        let r = parse(r#"{"BytesReceivedClient":10,"ClientIP":"198.51.100.7","ClientRequestHost":"ws.example.com","ClientRequestPath":"/ws","ColoCode":"AMS","ConnectionCloseReason":"timedOut","ConnectionCloseSource":"me","ConnectionID":"ab12","EdgeEndTimestamp":1764583300000000000,"EdgeStartTimestamp":1764583200000000000,"RayID":"r"}"#).unwrap();
        assert_eq!(r.status, Some(101));
        assert_eq!(r.lifetime, Some(100.0));
        assert_eq!(r.close_source, "me");
        assert_eq!(r.upstream, "AMS");
        let t = parse(r#"{"ConnectionID":"x","ConnectionCloseSource":"downstream","EdgeStartTimestamp":"2026-12-01T10:00:00Z","EdgeEndTimestamp":"2026-12-01T10:01:40Z"}"#).unwrap();
        assert_eq!(t.lifetime, Some(100.0));
        let h = parse(r#"{"EdgeResponseStatus":426,"EdgeStartTimestamp":1764583200,"EdgeEndTimestamp":1764583200,"ClientRequestURI":"/ws?x=1"}"#).unwrap();
        assert_eq!((h.status, h.path.as_ref()), (Some(426), "/ws"));
        assert!(parse("{}").is_err());
        assert!(parse("nope").is_err());
    }

    proptest::proptest! {
        #[test]
        fn never_panics(line in "\\PC{0,200}") {
            let _ = parse(&line);
        }
    }
}
