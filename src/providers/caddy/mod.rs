//! Caddy: the native JSON configuration (a Caddyfile goes through `caddy adapt` first, which
//! the command runs), the handshake routed through the HTTP server's routes as Caddy runs them
//! (`route.rs`), and the `reverse_proxy` handler it ends in translated into a layer
//! (`layer.rs`).
//!
//! The WebSocket facts (Caddy's `reverse_proxy` documentation): an upgrade is proxied
//! automatically as a bidirectional tunnel with no idle timeout; `stream_timeout` caps a
//! stream's life; since Caddy 2.7 streams are closed (close frame 1001 to both sides) when the
//! configuration is unloaded, i.e. on every reload, unless `stream_close_delay` keeps them
//! open that long (measured here on Debian's 2.6.2 too: a reload through the admin API closes
//! an open WebSocket at once with 1001).

mod layer;
mod route;

pub use route::{route, CaddyError, Query, RoutedLayer};

/// The version whose behaviour applies, when known: `stream_close_delay` and
/// `stream_timeout` exist from 2.7.0 on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct CaddyVersion(pub u32, pub u32, pub u32);

impl CaddyVersion {
    /// `v2.6.2`, `2.7.6 h1:…`, `2.8.4`.
    pub fn parse(s: &str) -> Option<CaddyVersion> {
        let v = s.trim().trim_start_matches('v');
        let v = v.split_whitespace().next()?;
        let mut it = v.split(['.', '-']).map(|p| p.parse::<u32>().ok());
        Some(CaddyVersion(
            it.next()??,
            it.next()??,
            it.next().flatten().unwrap_or(0),
        ))
    }

    pub fn has_stream_options(&self) -> bool {
        *self >= CaddyVersion(2, 7, 0)
    }
}
