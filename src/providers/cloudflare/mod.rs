//! Cloudflare (DESIGN §2, provider-facts §4): is the hostname proxied by Cloudflare, and if so,
//! what does the edge do to a WebSocket?
//!
//! [`read_domain`] finds the zone holding the hostname, its DNS record (or the Cloudflare load
//! balancer that takes precedence over it), and, when the hostname is proxied, the zone
//! settings and load-balancer pools that matter for WebSockets. It never fails: whatever could
//! not be read becomes a [`Gap`] and the rest of the chain is still audited. Read-only GETs.
//!
//! Module map: `client` (token, base URL, retries, call counter, rate budget) → `envelope`
//! (the v4 wrapper, decoded once; `message` is the error entry it and `error` share)
//! → `zone`, `settings`, `load_balancers`, `rulesets`, `products`, `tunnel` (one endpoint
//! family each) → `inventory` (what was read, free of I/O) → `resolve` (the decisions for one
//! handshake, pure) → `layer` (translation into the chain model). `read` is where the
//! inventory is filled: narrowly for one request ([`read_request`], `wsaudit chain`) or whole
//! for every zone of a token ([`read_inventory`], `wsaudit scan`); both end in the same
//! resolution.

mod client;
mod envelope;
mod error;
mod expression;
mod inventory;
mod layer;
mod load_balancers;
mod message;
mod outcome;
mod products;
mod read;
mod resolve;
mod rulesets;
mod settings;
mod tunnel;
mod zone;

pub use client::Skipped;
pub use client::{ClientOptions, CloudflareClient, API_URL_ENV, DEFAULT_API_URL, TOKEN_ENV};
pub use envelope::ResultInfo;
pub use error::CloudflareError;
pub use expression::{evaluate as evaluate_expression, Request as RuleRequest, Unsupported};
pub use inventory::{Inventory, Route};
pub use layer::{apply_probed_idle, ASSUMED_WS_IDLE_S, LAYER_ID};
pub use resolve::resolve_request;
// Planned zones (infrastructure code) are translated by the same code as live ones.
pub(crate) use layer::{build_layer, SslRule};
pub use load_balancers::{
    LbOverrides, LbRule, LoadBalancer, Pool, PoolMap, PoolOrigin, SessionAffinityAttributes,
};
pub use message::ApiMessage;
pub use outcome::{CloudflareOutcome, NextHop, NextHopKind, Presence, ZoneDetails};
pub use rulesets::{Rule, RuleEffects, RuleValue, Ruleset};
pub use settings::{SettingValue, ZoneSettings, SETTING_IDS};
pub use zone::{candidate_zone_names, DnsRecord, Resolution, Zone, ZoneAccount, ZonePin, ZonePlan};

use crate::model::{Gap, GapCode, Provider};
#[cfg(test)]
pub(crate) use inventory::sample;
pub(crate) use layer::Backends;

/// A zone's records whose read failed, for tests that build inventories by hand.
#[cfg(test)]
pub(crate) fn inventory_dns_failed(e: CloudflareError) -> inventory::Dns {
    inventory::Dns::All(Err(e))
}

/// Everything `client`'s token can see, read once (`wsaudit scan`); `label` names the token
/// in gaps and routes. Pace and count the calls with [`CloudflareClient::with_budget`] and
/// [`CloudflareClient::with_counter`].
pub async fn read_inventory(client: &CloudflareClient, label: &str) -> Inventory {
    read::read_all(client, label).await
}

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

/// The reads one request needs and nothing else (what `wsaudit chain` resolves).
pub async fn read_narrow(
    client: &CloudflareClient,
    domain: &str,
    path: &str,
    tls_client: bool,
    pin: Option<&ZonePin>,
) -> Inventory {
    read::read_for(client, domain, path, tls_client, pin).await
}

/// Reads Cloudflare's view of `domain` for a `wss://` client asking `/`, finding its zone
/// automatically.
pub async fn read_domain(client: &CloudflareClient, domain: &str) -> CloudflareOutcome {
    read_domain_in(client, domain, None).await
}

/// Like [`read_domain`], with the zone pinned (`--cloudflare-zone NAME|ID`).
pub async fn read_domain_in(
    client: &CloudflareClient,
    domain: &str,
    pin: Option<&ZonePin>,
) -> CloudflareOutcome {
    read_request(client, domain, "/", true, pin).await
}

/// Cloudflare's view of the handshake for `domain` and `path` (rules match on both);
/// `tls_client` is whether the client dials `wss://`. Reads the narrow inventory the request
/// needs, then resolves it: the same resolution `wsaudit scan` runs over a whole inventory.
pub async fn read_request(
    client: &CloudflareClient,
    domain: &str,
    path: &str,
    tls_client: bool,
    pin: Option<&ZonePin>,
) -> CloudflareOutcome {
    let inv = read::read_for(client, domain, path, tls_client, pin).await;
    resolve::resolve_request(&inv, domain, path, tls_client, pin)
}
