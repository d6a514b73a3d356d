//! Cloudflare (DESIGN §2, provider-facts §4): is the hostname proxied by Cloudflare, and if so,
//! what does the edge do to a WebSocket?
//!
//! [`read_domain`] finds the zone holding the hostname, its DNS record (or the Cloudflare load
//! balancer that takes precedence over it), and, when the hostname is proxied, the zone
//! settings and load-balancer pools that matter for WebSockets. It never fails: whatever could
//! not be read becomes a [`Gap`] and the rest of the chain is still audited. Read-only GETs.
//!
//! Module map: `client` (token, base URL, retries) → `envelope` (the v4 wrapper, decoded once;
//! `message` is the error entry it and `error` share)
//! → `zone`, `settings`, `load_balancers` (one endpoint family each) → `layer` (translation
//! into the chain model).

mod client;
mod envelope;
mod error;
mod layer;
mod load_balancers;
mod message;
mod outcome;
mod settings;
mod zone;

pub use client::{ClientOptions, CloudflareClient, API_URL_ENV, DEFAULT_API_URL, TOKEN_ENV};
pub use envelope::ResultInfo;
pub use error::CloudflareError;
pub use layer::{apply_probed_idle, ASSUMED_WS_IDLE_S, LAYER_ID};
// Planned zones (infrastructure code) are translated by the same code as live ones.
pub(crate) use layer::build_layer;
pub use load_balancers::{LoadBalancer, Pool, PoolOrigin, SessionAffinityAttributes};
pub use message::ApiMessage;
pub use outcome::{CloudflareOutcome, NextHop, NextHopKind, Presence, ZoneDetails};
pub use settings::{SettingValue, ZoneSettings, SETTING_IDS};
pub use zone::{candidate_zone_names, DnsRecord, Zone, ZoneAccount, ZonePin, ZonePlan};

use crate::model::{Gap, GapCode, Provider};
pub(crate) use layer::Backends;

fn gap(code: GapCode, reason: String) -> Gap {
    Gap {
        layer: LAYER_ID.to_string(),
        provider: Provider::Cloudflare,
        reason,
        code,
    }
}

fn gap_from(context: &str, e: &CloudflareError) -> Gap {
    gap(e.gap_code(), format!("{context}: {e}"))
}

/// Reads Cloudflare's view of `domain`, finding its zone automatically.
pub async fn read_domain(client: &CloudflareClient, domain: &str) -> CloudflareOutcome {
    read_domain_in(client, domain, None).await
}

/// Like [`read_domain`], with the zone pinned (`--cloudflare-zone NAME|ID`).
pub async fn read_domain_in(
    client: &CloudflareClient,
    domain: &str,
    pin: Option<&ZonePin>,
) -> CloudflareOutcome {
    let host = zone::normalize_host(domain);
    if !client.is_configured() {
        return CloudflareOutcome::bare(&host, Presence::NotConsulted);
    }
    if !zone::is_valid_host(&host) {
        return CloudflareOutcome::unknown(
            &host,
            vec![gap(
                GapCode::InvalidDomain,
                format!("{domain:?} is not a DNS host name"),
            )],
            None,
        );
    }

    let zone = match pin {
        Some(p) => match zone::zone_by_pin(client, p).await {
            Ok(z) => z,
            Err(e) => {
                return CloudflareOutcome::unknown(
                    &host,
                    vec![gap_from(&format!("zone {}", pin_text(p)), &e)],
                    None,
                )
            }
        },
        None => match zone::find_zone(client, &host).await {
            Ok((Some(z), _)) => z,
            Ok((None, tried)) => return CloudflareOutcome::bare(&host, Presence::NoZone { tried }),
            Err(e) => {
                return CloudflareOutcome::unknown(
                    &host,
                    vec![gap_from(&format!("zone lookup for {host}"), &e)],
                    None,
                )
            }
        },
    };

    let (records, lb) = tokio::join!(
        zone::records_for(client, &zone, &host),
        load_balancers::find_load_balancer(client, &zone.id, &host),
    );
    let mut gaps = Vec::new();
    let lb = match lb {
        Ok(lb) => lb,
        // Zones without Load Balancing, and tokens without its read permission, are refused
        // here: that means no load balancer wsaudit can see, and the DNS record decides.
        Err(CloudflareError::Forbidden { .. } | CloudflareError::NotFound { .. }) => None,
        Err(e) => {
            gaps.push(gap_from(
                &format!("load balancers of zone {} (a load balancer named {host} would take precedence over its DNS record)", zone.name),
                &e,
            ));
            None
        }
    };
    let records = match records {
        Ok(r) => r,
        Err(e) if lb.is_none() => {
            gaps.push(gap_from(&format!("DNS records for {host}"), &e));
            let details = ZoneDetails {
                zone,
                records: Vec::new(),
                load_balancer: None,
                pools: Vec::new(),
                settings: None,
            };
            return CloudflareOutcome::unknown(&host, gaps, Some(details));
        }
        // The load balancer takes precedence; the records are not needed.
        Err(_) => Vec::new(),
    };

    let mut details = ZoneDetails {
        zone,
        records,
        load_balancer: lb,
        pools: Vec::new(),
        settings: None,
    };

    let (proxied, next_hops) = if let Some(lb) = &details.load_balancer {
        details.pools = match details.zone.account.as_ref().map(|a| a.id.clone()) {
            Some(account) => load_balancers::read_pools(client, &account, lb).await,
            // Pools live under the account; without its id each pool is unreadable, and says
            // so, rather than looking like a load balancer without pools.
            None => lb
                .pool_ids()
                .into_iter()
                .map(|id| {
                    let e = CloudflareError::Malformed {
                        what: format!("zone {}", details.zone.name),
                        message: "no `account.id`, so its load balancer pools cannot be read"
                            .into(),
                    };
                    (id, Err(e))
                })
                .collect(),
        };
        let hops = details
            .pools
            .iter()
            .filter_map(|(id, p)| p.as_ref().ok().map(|p| (id, p)))
            .filter(|(_, p)| p.enabled != Some(false))
            .flat_map(|(id, p)| {
                p.origins
                    .iter()
                    .filter(|o| o.is_enabled())
                    .map(move |o| NextHop::new(&o.address, format!("pool {id}")))
            })
            .collect::<Vec<_>>();
        (lb.proxied, dedup_hops(hops))
    } else if details.records.is_empty() {
        if gaps.is_empty() {
            gaps.push(gap(
                GapCode::NotFound,
                format!(
                    "zone {} has no A, AAAA or CNAME record and no load balancer for {host}",
                    details.zone.name
                ),
            ));
        }
        return CloudflareOutcome::unknown(&host, gaps, Some(details));
    } else {
        // Mixed proxy status on one name is not something Cloudflare serves consistently;
        // when any record is proxied the edge is in the path, and only those records count.
        let any_proxied = details.records.iter().any(|r| r.proxied);
        let hops = details
            .records
            .iter()
            .filter(|r| r.proxied == any_proxied)
            .map(|r| NextHop::new(&r.content, r.record_type.clone()))
            .collect();
        (any_proxied, dedup_hops(hops))
    };

    if !proxied {
        // DNS-only: no layer to hang pool failures on, but the next hops they would have
        // given are missing, so each is still a gap.
        for (id, read) in &details.pools {
            if let Err(e) = read {
                gaps.push(gap_from(&format!("load balancer pool {id}"), e));
            }
        }
        return CloudflareOutcome {
            host,
            presence: Presence::DnsOnly,
            layer: None,
            next_hops,
            gaps,
            details: Some(Box::new(details)),
        };
    }

    let settings = settings::read_settings(client, &details.zone.id).await;
    let proxied_records: Vec<DnsRecord> = details
        .records
        .iter()
        .filter(|r| r.proxied)
        .cloned()
        .collect();
    let account = details
        .zone
        .account
        .as_ref()
        .map(|a| a.id.clone())
        .unwrap_or_default();
    let backends = match &details.load_balancer {
        Some(lb) => Backends::LoadBalancer {
            lb,
            account_id: &account,
            pools: &details.pools,
        },
        None => Backends::Records(&proxied_records),
    };
    let (layer, layer_gaps) = layer::build_layer(&details.zone, &settings, &backends);
    gaps.extend(layer_gaps);
    details.settings = Some(settings);
    CloudflareOutcome {
        host,
        presence: Presence::Proxied,
        layer: Some(layer),
        next_hops,
        gaps,
        details: Some(Box::new(details)),
    }
}

fn pin_text(p: &ZonePin) -> &str {
    match p {
        ZonePin::Name(n) | ZonePin::Id(n) => n,
    }
}

fn dedup_hops(hops: Vec<NextHop>) -> Vec<NextHop> {
    let mut out: Vec<NextHop> = Vec::new();
    for h in hops {
        if !out.iter().any(|o| o.host == h.host) {
            out.push(h);
        }
    }
    out
}
