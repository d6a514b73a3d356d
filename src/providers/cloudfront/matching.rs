//! How CloudFront picks a distribution for a host and a cache behavior for a path, and whether
//! a header policy lets the WebSocket handshake headers through.

use crate::providers::aws_wildcard::wildcard_match;

/// How well an alternate domain name matches a host: an exact alias beats any wildcard, and
/// a longer wildcard (more specific) beats a shorter one. `None`: no match.
pub fn alias_rank(alias: &str, host: &str) -> Option<usize> {
    let alias = alias.trim().trim_end_matches('.');
    let host = host.trim().trim_end_matches('.');
    if alias.eq_ignore_ascii_case(host) {
        return Some(usize::MAX);
    }
    // CloudFront wildcards are only `*.` as the first label, and match one or more labels.
    let suffix = alias.strip_prefix("*.")?;
    (host.len() > suffix.len() + 1 && wildcard_match(alias, host, true)).then_some(suffix.len())
}

/// The index of the cache behavior CloudFront uses for `path`: the first whose path pattern
/// matches, in list order; `None` means the default behavior. Patterns are case-sensitive,
/// match the path without its query string, and may omit the leading `/`.
pub fn pick_behavior<'a>(patterns: impl IntoIterator<Item = &'a str>, path: &str) -> Option<usize> {
    let path = path.split('?').next().unwrap_or(path);
    patterns.into_iter().position(|p| {
        let p = if p.starts_with('/') || p.starts_with('*') {
            p.to_string()
        } else {
            format!("/{p}")
        };
        wildcard_match(&p, path, false)
    })
}

/// The WebSocket handshake headers CloudFront must forward (its WebSocket documentation).
pub const WS_HEADERS: [&str; 2] = ["Sec-WebSocket-Key", "Sec-WebSocket-Version"];

/// Whether an origin request policy's header behavior forwards both handshake headers.
/// `allViewer*` forwards every viewer header; `whitelist` only the listed ones; `allExcept`
/// all but the listed ones; `none` nothing.
pub fn policy_forwards_ws(header_behavior: &str, headers: &[String]) -> bool {
    let listed = |h: &str| headers.iter().any(|x| x.eq_ignore_ascii_case(h));
    match header_behavior {
        "allViewer" | "allViewerAndWhitelistCloudFront" => true,
        "whitelist" => WS_HEADERS.iter().all(|h| listed(h)),
        "allExcept" => !WS_HEADERS.iter().any(|h| listed(h)),
        _ => false,
    }
}

/// The same for the legacy `ForwardedValues.Headers` list (`*` forwards all).
pub fn legacy_forwards_ws(headers: &[String]) -> bool {
    headers.iter().any(|h| h == "*") || policy_forwards_ws("whitelist", headers)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases() {
        assert_eq!(
            alias_rank("ws.example.com", "WS.example.com."),
            Some(usize::MAX)
        );
        assert!(alias_rank("*.example.com", "ws.example.com").is_some());
        assert!(alias_rank("*.example.com", "a.b.example.com").is_some());
        assert_eq!(alias_rank("*.example.com", "example.com"), None);
        assert_eq!(alias_rank("api.example.com", "ws.example.com"), None);
        assert!(
            alias_rank("*.ws.example.com", "a.ws.example.com")
                > alias_rank("*.example.com", "a.ws.example.com")
        );
    }

    #[test]
    fn behaviors_in_order_default_last() {
        let pats = ["/api/*", "ws/*", "/ws/admin", "*.js"];
        assert_eq!(pick_behavior(pats, "/ws/admin"), Some(1));
        assert_eq!(pick_behavior(pats, "/ws/chat?t=1"), Some(1));
        assert_eq!(pick_behavior(pats, "/app.js"), Some(3));
        assert_eq!(pick_behavior(pats, "/WS/chat"), None);
        assert_eq!(pick_behavior(pats, "/"), None);
    }

    #[test]
    fn header_policies() {
        let h = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(policy_forwards_ws("allViewer", &[]));
        assert!(policy_forwards_ws(
            "allViewerAndWhitelistCloudFront",
            &h(&["CloudFront-Viewer-Country"])
        ));
        assert!(policy_forwards_ws(
            "whitelist",
            &h(&["sec-websocket-key", "Sec-WebSocket-Version"])
        ));
        assert!(!policy_forwards_ws("whitelist", &h(&["Sec-WebSocket-Key"])));
        assert!(policy_forwards_ws("allExcept", &h(&["Host"])));
        assert!(!policy_forwards_ws(
            "allExcept",
            &h(&["Sec-WebSocket-Version"])
        ));
        assert!(!policy_forwards_ws("none", &[]));
        assert!(legacy_forwards_ws(&h(&["*"])));
        assert!(!legacy_forwards_ws(&h(&["Origin"])));
    }
}
