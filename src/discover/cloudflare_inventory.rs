//! STUB (interface agreed for the scan; the Cloudflare inventory branch replaces this file).
//!
//! The Cloudflare inventory: every zone a token can read, with its DNS records, settings,
//! rulesets and load balancers (pools by account), read once, paginated; and the pure
//! resolution of a request to the Cloudflare layer over it.

use super::{ChainRequest, DiscoveredRoute, ProviderOutput};
use crate::providers::calls::RateBudget;
use crate::providers::cloudflare::{CloudflareClient, ZonePin};

#[derive(Debug, Clone, Default)]
pub struct CloudflareInventory {}

impl CloudflareInventory {
    /// Reads everything `client`'s token can see. `label` names the token in gaps
    /// (`CF_TOKEN_PROD`); never the token itself. Never fails as a whole: what could not be
    /// read is recorded and becomes a gap on the targets it could have served.
    pub async fn read_all(
        _label: &str,
        _client: &CloudflareClient,
        _budget: RateBudget,
    ) -> CloudflareInventory {
        CloudflareInventory::default()
    }

    pub fn merge(_all: Vec<CloudflareInventory>) -> CloudflareInventory {
        CloudflareInventory::default()
    }

    /// Every proxied record (and load balancer hostname) in the zones.
    pub fn routes(&self) -> Vec<DiscoveredRoute> {
        Vec::new()
    }
}

/// The Cloudflare layer serving `req` (and its next hops), without I/O: what
/// `cloudflare_task` yields for a live read.
pub fn resolve_cloudflare(
    _inv: &CloudflareInventory,
    _req: &ChainRequest,
    _pin: Option<&ZonePin>,
) -> ProviderOutput {
    ProviderOutput::default()
}

impl CloudflareInventory {
    /// A token that could not be used at all (its variable unset, a malformed token).
    pub fn unreadable(_label: &str, _reason: String) -> CloudflareInventory {
        CloudflareInventory::default()
    }
}
