//! What [`super::read_domain`] answers: whether Cloudflare is in the chain, its layer, where
//! discovery goes next, and everything read on the way.

use super::error::CloudflareError;
use super::load_balancers::{LoadBalancer, Pool};
use super::settings::ZoneSettings;
use super::zone::{normalize_host, DnsRecord, Zone};
use crate::model::{Gap, Layer};
use std::net::IpAddr;

/// Whether Cloudflare is in the chain for the hostname.
#[derive(Debug, Clone, PartialEq)]
pub enum Presence {
    /// `CLOUDFLARE_API_TOKEN` is not set: Cloudflare was not consulted.
    NotConsulted,
    /// No zone visible to the token holds the hostname (the names tried, longest first). A
    /// token scoped to other zones sees the same, so this is "not in Cloudflare as far as
    /// this token can tell".
    NoZone { tried: Vec<String> },
    /// The record (or load balancer) is DNS-only ("grey cloud"): clients reach the next hop
    /// directly and no Cloudflare limit applies.
    DnsOnly,
    /// Traffic passes through Cloudflare's edge: `layer` describes it.
    Proxied,
    /// Could not tell; `gaps` say why.
    Unknown,
}

/// What kind of thing the next hop is, so discovery knows which provider to ask next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NextHopKind {
    /// `*.elb.amazonaws.com`: an ALB or NLB DNS name.
    AwsLoadBalancer,
    /// `*.cloudfront.net`.
    Cloudfront,
    /// `<uuid>.cfargotunnel.com`: a Cloudflare Tunnel, served by `cloudflared` wherever it
    /// runs; the name resolves nowhere else.
    CloudflareTunnel,
    IpAddress,
    /// Any other host name (an origin served by nginx, …).
    Hostname,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NextHop {
    /// Record content or pool origin address, normalised (lower case, no trailing dot).
    pub host: String,
    pub kind: NextHopKind,
    /// `A`, `AAAA`, `CNAME`, or `pool <id>` for a load-balancer origin.
    pub via: String,
    /// The port Cloudflare connects to, when not the scheme's default (a pool origin's
    /// `port`, an Origin Rule's `origin.port`), or the one cloudflared dials (a tunnel
    /// service's URL).
    pub port: Option<u16>,
    /// The `Host` header the hop receives, when not the hostname (a pool origin's `header`,
    /// an Origin Rule's `host_header`).
    pub host_header: Option<String>,
}

impl NextHop {
    pub(crate) fn new(host: &str, via: impl Into<String>) -> Self {
        let host = normalize_host(host);
        NextHop {
            kind: classify(&host),
            host,
            via: via.into(),
            port: None,
            host_header: None,
        }
    }
}

fn classify(host: &str) -> NextHopKind {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    if bare.parse::<IpAddr>().is_ok() {
        NextHopKind::IpAddress
    } else if host.ends_with(".elb.amazonaws.com") || host.ends_with(".elb.amazonaws.com.cn") {
        NextHopKind::AwsLoadBalancer
    } else if host.ends_with(".cloudfront.net") {
        NextHopKind::Cloudfront
    } else if host.ends_with(".cfargotunnel.com") {
        NextHopKind::CloudflareTunnel
    } else {
        NextHopKind::Hostname
    }
}

/// Everything that was read, for evidence and for discovery's own decisions.
#[derive(Debug, Clone, PartialEq)]
pub struct ZoneDetails {
    pub zone: Zone,
    /// The hostname's A/AAAA/CNAME records (exact name, else the covering wildcard).
    pub records: Vec<DnsRecord>,
    /// The name whose records or load balancer answer (`ws.example.com` or `*.example.com`).
    pub answered_by: Option<String>,
    pub load_balancer: Option<LoadBalancer>,
    pub pools: Vec<(String, Result<Pool, CloudflareError>)>,
    /// Read only when the hostname is proxied.
    pub settings: Option<ZoneSettings>,
}

/// The answer of [`read_domain`].
#[derive(Debug, Clone, PartialEq)]
pub struct CloudflareOutcome {
    /// The hostname as looked up (lower case, no trailing dot).
    pub host: String,
    pub presence: Presence,
    /// The CDN layer (`id` `cloudflare`), present exactly when `presence` is `Proxied`.
    pub layer: Option<Layer>,
    /// The Cloudflare Tunnel layer (`cloudflared`) when the record is a CNAME to
    /// `*.cfargotunnel.com`.
    pub tunnel: Option<Layer>,
    /// What was read but could not be used in full, in words (a skipped record, a rule
    /// expression not evaluated, a product's documented WebSocket behaviour).
    pub notices: Vec<String>,
    /// Where discovery continues: the record's content or the pool origins. Empty when
    /// Cloudflare was not consulted, holds no zone for the host, or could not be read.
    pub next_hops: Vec<NextHop>,
    pub gaps: Vec<Gap>,
    pub details: Option<Box<ZoneDetails>>,
}

impl CloudflareOutcome {
    /// `Some(true)` proxied, `Some(false)` known not to be in the chain, `None` unknown
    /// (not consulted or unreadable).
    pub fn in_chain(&self) -> Option<bool> {
        match self.presence {
            Presence::Proxied => Some(true),
            Presence::DnsOnly | Presence::NoZone { .. } => Some(false),
            Presence::NotConsulted | Presence::Unknown => None,
        }
    }

    pub(crate) fn bare(host: &str, presence: Presence) -> Self {
        CloudflareOutcome {
            host: host.to_string(),
            presence,
            layer: None,
            tunnel: None,
            notices: Vec::new(),
            next_hops: Vec::new(),
            gaps: Vec::new(),
            details: None,
        }
    }

    pub(crate) fn unknown(host: &str, gaps: Vec<Gap>, details: Option<ZoneDetails>) -> Self {
        CloudflareOutcome {
            gaps,
            details: details.map(Box::new),
            ..Self::bare(host, Presence::Unknown)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_hops_are_classified_for_discovery() {
        assert_eq!(
            classify("my-alb-123.eu-west-1.elb.amazonaws.com"),
            NextHopKind::AwsLoadBalancer
        );
        assert_eq!(
            classify("d111111abcdef8.cloudfront.net"),
            NextHopKind::Cloudfront
        );
        assert_eq!(classify("203.0.113.10"), NextHopKind::IpAddress);
        assert_eq!(classify("2001:db8::1"), NextHopKind::IpAddress);
        assert_eq!(classify("origin.example.com"), NextHopKind::Hostname);
        assert_eq!(
            classify("6ff42ae2-765d-4adf-8112-31c55c1551ef.cfargotunnel.com"),
            NextHopKind::CloudflareTunnel
        );
        assert_eq!(
            NextHop::new("Origin.Example.com.", "CNAME").host,
            "origin.example.com"
        );
    }
}
