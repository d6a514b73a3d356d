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
}

impl NextHop {
    pub(crate) fn new(host: &str, via: impl Into<String>) -> Self {
        let host = normalize_host(host);
        NextHop {
            kind: classify(&host),
            host,
            via: via.into(),
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
            NextHop::new("Origin.Example.com.", "CNAME").host,
            "origin.example.com"
        );
    }
}
