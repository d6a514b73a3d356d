//! The Cloudflare inventory: every zone a token can read, with its DNS records, settings,
//! rulesets and load balancers (pools by account), read once, paginated; and the pure
//! resolution of a request to the Cloudflare layer over it.
//!
//! `wsaudit chain` runs the same two parts (`cloudflare_task`: a narrow inventory of the
//! reads one hostname needs, then [`resolve_cloudflare`]), so the on-call path and the scan
//! cannot drift.

use super::{ChainRequest, DiscoveredRoute, ProviderOutput, RoutePins};
use crate::model::{Gap, NotConsulted, Notice, Provider, Scheme};
use crate::providers::calls::RateBudget;
use crate::providers::cloudflare::{
    self, CloudflareClient, CloudflareOutcome, Inventory, NextHopKind, Presence, ZonePin, LAYER_ID,
};

#[derive(Debug, Clone, Default)]
pub struct CloudflareInventory {
    inv: Inventory,
}

impl CloudflareInventory {
    /// Reads everything `client`'s token can see. `label` names the token in gaps
    /// (`CF_TOKEN_PROD`); never the token itself. Never fails as a whole: what could not be
    /// read is recorded and becomes a gap on the targets it could have served. Every request
    /// waits on `budget` first; a counter set on `client` (`with_counter`) counts them.
    pub async fn read_all(
        label: &str,
        client: &CloudflareClient,
        budget: RateBudget,
    ) -> CloudflareInventory {
        let client = client.clone().with_budget(budget);
        CloudflareInventory {
            inv: cloudflare::read_inventory(&client, label).await,
        }
    }

    /// The reads `req` needs and nothing else, in the order one live walk makes them: what
    /// `wsaudit chain` resolves.
    pub async fn read_for(
        client: &CloudflareClient,
        req: &ChainRequest,
        pin: Option<&ZonePin>,
    ) -> CloudflareInventory {
        CloudflareInventory {
            inv: cloudflare::read_narrow(client, &req.domain, &req.path, tls(req), pin).await,
        }
    }

    pub fn merge(all: Vec<CloudflareInventory>) -> CloudflareInventory {
        CloudflareInventory {
            inv: Inventory::merge(all.into_iter().map(|i| i.inv).collect()),
        }
    }

    /// Every proxied record (and load balancer hostname) in the zones, and the DNS-only
    /// records too (see [`Inventory::routes`] for what is listed and what is skipped).
    /// Cloudflare routes every path of a hostname alike, so `paths` is empty.
    pub fn routes(&self) -> Vec<DiscoveredRoute> {
        self.inv
            .routes()
            .into_iter()
            .map(|r| DiscoveredRoute {
                domain: r.domain,
                paths: Vec::new(),
                from: r.from,
                pins: RoutePins {
                    cloudflare_zone: Some(r.zone),
                    ..RoutePins::default()
                },
            })
            .collect()
    }

    /// What could not be read at the level of a token or zone, for the scan's summary (the
    /// targets it affects carry their own gaps).
    pub fn unread(&self) -> Vec<String> {
        self.inv.unread()
    }
}

fn tls(req: &ChainRequest) -> bool {
    req.scheme == Scheme::Wss
}

/// The Cloudflare layer serving `req` (and its next hops), without I/O: what
/// `cloudflare_task` yields for a live read.
pub fn resolve_cloudflare(
    inv: &CloudflareInventory,
    req: &ChainRequest,
    pin: Option<&ZonePin>,
) -> ProviderOutput {
    let outcome = cloudflare::resolve_request(&inv.inv, &req.domain, &req.path, tls(req), pin);
    output_of(req, &outcome)
}

/// A provider outcome as the chain takes it.
fn output_of(req: &ChainRequest, outcome: &CloudflareOutcome) -> ProviderOutput {
    let mut out = ProviderOutput::default();
    match &outcome.presence {
        Presence::NotConsulted => out.not_consulted.push(NotConsulted {
            provider: Provider::Cloudflare,
            reason: "CLOUDFLARE_API_TOKEN is not set".into(),
        }),
        Presence::NoZone { tried } => out.not_consulted.push(NotConsulted {
            provider: Provider::Cloudflare,
            reason: format!(
                "no zone visible to the token holds {} (tried {})",
                req.domain,
                tried.join(", ")
            ),
        }),
        Presence::DnsOnly => out.not_consulted.push(NotConsulted {
            provider: Provider::Cloudflare,
            reason: format!(
                "the record for {} is DNS-only (not proxied): Cloudflare is not in the path{}",
                req.domain,
                outcome
                    .next_hops
                    .first()
                    .map(|h| format!("; clients go straight to {}", h.host))
                    .unwrap_or_default()
            ),
        }),
        _ => {}
    }
    // A tunnel's name resolves nowhere but Cloudflare: the walk does not continue from it
    // (cloudflared's own configuration says where it forwards).
    out.next_hops = outcome
        .next_hops
        .iter()
        .filter(|h| h.kind != NextHopKind::CloudflareTunnel)
        .map(|h| h.host.clone())
        .collect();
    out.next_host_header = outcome.next_hops.iter().find_map(|h| h.host_header.clone());
    out.notices = outcome
        .notices
        .iter()
        .map(|m| Notice {
            layer: LAYER_ID.into(),
            provider: Provider::Cloudflare,
            message: m.clone(),
        })
        .collect();
    out.layers.extend(outcome.layer.clone());
    out.layers.extend(outcome.tunnel.clone());
    out.gaps.extend(outcome.gaps.iter().cloned());
    out
}

/// A Cloudflare client that could not be built, as the chain reports it.
pub(super) fn config_gap(reason: String) -> ProviderOutput {
    ProviderOutput {
        gaps: vec![Gap {
            layer: LAYER_ID.into(),
            provider: Provider::Cloudflare,
            reason,
            code: crate::model::GapCode::ConfigError,
        }],
        ..ProviderOutput::default()
    }
}
