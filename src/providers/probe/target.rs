//! The one URL a probe may touch, parsed and checked before any socket is opened.

use super::ProbeError;
use http::Uri;

/// A parsed `ws://` or `wss://` URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeTarget {
    pub tls: bool,
    /// Host name or IP literal, without brackets.
    pub host: String,
    pub port: u16,
    /// Path and query as sent in the request line (`/` when the URL has none).
    pub path_and_query: String,
    /// The `Host` header: the port only when it is not the scheme's default (RFC 6455 §4.1).
    pub host_header: String,
}

impl ProbeTarget {
    pub fn parse(url: &str) -> Result<Self, ProbeError> {
        let bad = |why: &str| ProbeError::BadUrl {
            url: url.to_string(),
            reason: why.to_string(),
        };
        let uri: Uri = url.trim().parse().map_err(|e| bad(&format!("{e}")))?;
        let tls = match uri.scheme_str() {
            Some("ws") => false,
            Some("wss") => true,
            Some(other) => {
                return Err(bad(&format!(
                    "scheme `{other}` is not a WebSocket scheme (use ws:// or wss://)"
                )))
            }
            None => return Err(bad("no scheme (use ws:// or wss://)")),
        };
        let authority = uri.authority().ok_or_else(|| bad("no host"))?;
        if authority.as_str().contains('@') {
            // Credentials in the URL would be sent nowhere by a WebSocket client; refusing them
            // avoids echoing secrets into reports.
            return Err(bad(
                "user:password@ in the URL is not supported (use --header)",
            ));
        }
        let host = authority
            .host()
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string();
        if host.is_empty() {
            return Err(bad("no host"));
        }
        let default_port = if tls { 443 } else { 80 };
        let port = authority.port_u16().unwrap_or(default_port);
        let path_and_query = uri
            .path_and_query()
            .map(|p| p.as_str().to_string())
            .filter(|p| !p.is_empty())
            .unwrap_or_else(|| "/".to_string());
        let host_literal = if host.contains(':') {
            format!("[{host}]")
        } else {
            host.clone()
        };
        let host_header = if port == default_port {
            host_literal
        } else {
            format!("{host_literal}:{port}")
        };
        Ok(ProbeTarget {
            tls,
            host,
            port,
            path_and_query,
            host_header,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_ws_and_wss() {
        let t = ProbeTarget::parse("wss://ws.example.com/ws/?a=1").unwrap();
        assert!(t.tls);
        assert_eq!(t.port, 443);
        assert_eq!(t.path_and_query, "/ws/?a=1");
        assert_eq!(t.host_header, "ws.example.com");

        let t = ProbeTarget::parse("ws://127.0.0.1:8080").unwrap();
        assert!(!t.tls);
        assert_eq!(t.port, 8080);
        assert_eq!(t.path_and_query, "/");
        assert_eq!(t.host_header, "127.0.0.1:8080");

        let t = ProbeTarget::parse("ws://[::1]:9000/x").unwrap();
        assert_eq!(t.host, "::1");
        assert_eq!(t.host_header, "[::1]:9000");
    }

    #[test]
    fn rejects_what_is_not_a_websocket_url() {
        for bad in [
            "https://example.com/",
            "example.com",
            "",
            "ws://",
            "ws://u:p@example.com/",
            "ws://exa mple.com/",
        ] {
            assert!(
                matches!(ProbeTarget::parse(bad), Err(ProbeError::BadUrl { .. })),
                "{bad} was accepted"
            );
        }
    }
}
