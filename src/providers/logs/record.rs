//! One log line as the metrics need it, whatever the format: when the connection ended, how
//! long it lived, the answer, whether it asked for a WebSocket, and where it went.

use std::borrow::Cow;

/// Whether the request asked for a WebSocket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Upgrade {
    Asked,
    NotAsked,
    /// The format does not record it (nginx without `$http_upgrade`).
    Unknown,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Record<'a> {
    /// When the line was written: the close, for WebSockets (seconds since the epoch, UTC).
    pub end: Option<f64>,
    /// How long the request (for a WebSocket: the connection) lasted, in seconds.
    pub lifetime: Option<f64>,
    pub status: Option<u16>,
    pub upgrade: Upgrade,
    pub host: Cow<'a, str>,
    /// The path without its query string.
    pub path: Cow<'a, str>,
    /// The backend that held the connection (last of nginx's retries), empty when unknown.
    pub upstream: Cow<'a, str>,
    pub client: Cow<'a, str>,
    /// Cloudflare's `ConnectionCloseSource` / `ConnectionCloseReason`, empty elsewhere.
    pub close_source: Cow<'a, str>,
    pub close_reason: Cow<'a, str>,
}

impl Record<'_> {
    pub fn empty() -> Self {
        Record {
            end: None,
            lifetime: None,
            status: None,
            upgrade: Upgrade::Unknown,
            host: Cow::Borrowed(""),
            path: Cow::Borrowed(""),
            upstream: Cow::Borrowed(""),
            client: Cow::Borrowed(""),
            close_source: Cow::Borrowed(""),
            close_reason: Cow::Borrowed(""),
        }
    }

    /// An established WebSocket: its lifetime is the connection's.
    pub fn is_websocket(&self) -> bool {
        self.status == Some(101)
    }
}

/// What a format can tell: a metric the format cannot give is named, with what to add.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Caps {
    pub end: bool,
    pub lifetime: bool,
    pub status: bool,
    pub upgrade: bool,
    pub upstream: bool,
    pub path: bool,
    pub client: bool,
}

/// `GET /ws/?token=x HTTP/1.1` → `/ws/`; an absolute URI (ALB writes
/// `GET http://host:80/ws/ HTTP/1.1`) → its host and path.
pub fn split_request(request: &str) -> (&str, &str) {
    let mut parts = request.split(' ');
    let _method = parts.next();
    let uri = parts.next().unwrap_or("");
    split_uri(uri)
}

/// A URI into (host, path without query); the host is empty for a relative URI.
pub fn split_uri(uri: &str) -> (&str, &str) {
    let (host, rest) = match uri.find("://") {
        Some(i) => {
            let after = &uri[i + 3..];
            let end = after.find('/').unwrap_or(after.len());
            let host = &after[..end];
            // ALB writes the port it listened on: `host:443`.
            let host = match host.rsplit_once(':') {
                Some((h, p)) if p.bytes().all(|b| b.is_ascii_digit()) => h,
                _ => host,
            };
            (host, &after[end..])
        }
        None => ("", uri),
    };
    let path = rest.split(['?', '#']).next().unwrap_or("");
    (
        host,
        if path.is_empty() && !host.is_empty() {
            "/"
        } else {
            path
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_split() {
        assert_eq!(split_request("GET /ws/?t=1 HTTP/1.1"), ("", "/ws/"));
        assert_eq!(
            split_request("GET http://ws.example.com:80/chat HTTP/1.1"),
            ("ws.example.com", "/chat")
        );
        assert_eq!(split_request("GET wss://h:443 HTTP/1.1"), ("h", "/"));
        assert_eq!(split_request(""), ("", ""));
    }
}
