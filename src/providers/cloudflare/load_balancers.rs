//! Cloudflare Load Balancing: the load balancer named like the hostname, and its pools.
//!
//! Endpoints (API v4 reference): `GET /zones/{zone_id}/load_balancers` (List Load Balancers)
//! and `GET /accounts/{account_id}/load_balancers/pools/{pool_id}` (Pool Details). A load
//! balancer whose name equals a DNS record's takes precedence over the record (Load Balancing
//! docs), so it is looked for even when a record exists.

use super::client::CloudflareClient;
use super::error::CloudflareError;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoadBalancer {
    pub id: String,
    /// The hostname it answers for.
    pub name: String,
    #[serde(default)]
    pub enabled: Option<bool>,
    #[serde(default)]
    pub proxied: bool,
    #[serde(default)]
    pub default_pools: Vec<String>,
    #[serde(default)]
    pub fallback_pool: Option<String>,
    /// `none` or `""` (the default), `cookie`, `ip_cookie`, `header`.
    #[serde(default)]
    pub session_affinity: Option<String>,
    #[serde(default)]
    pub session_affinity_ttl: Option<f64>,
    #[serde(default)]
    pub session_affinity_attributes: Option<SessionAffinityAttributes>,
    #[serde(default)]
    pub steering_policy: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionAffinityAttributes {
    /// Seconds an origin removed from a pool keeps its affine sessions.
    #[serde(default)]
    pub drain_duration: Option<f64>,
    /// Header names the `header` affinity hashes.
    #[serde(default)]
    pub headers: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pool {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub enabled: Option<bool>,
    #[serde(default)]
    pub origins: Vec<PoolOrigin>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PoolOrigin {
    #[serde(default)]
    pub name: Option<String>,
    /// IP address or hostname.
    pub address: String,
    /// Defaults to `true` in the API.
    #[serde(default)]
    pub enabled: Option<bool>,
    #[serde(default)]
    pub weight: Option<f64>,
}

impl PoolOrigin {
    pub fn is_enabled(&self) -> bool {
        self.enabled.unwrap_or(true)
    }
}

impl LoadBalancer {
    /// Default pools then the fallback pool, each once: every pool traffic can reach.
    pub fn pool_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = Vec::new();
        for id in self.default_pools.iter().chain(self.fallback_pool.iter()) {
            if !id.is_empty() && !ids.contains(id) {
                ids.push(id.clone());
            }
        }
        ids
    }

    /// `zone/<zone>/load_balancers/<id>`: where `session_affinity` is changed.
    pub fn locator(&self, zone_id: &str) -> String {
        format!("zone/{zone_id}/load_balancers/{}", self.id)
    }
}

pub fn pool_locator(account_id: &str, pool_id: &str) -> String {
    format!("account/{account_id}/load_balancers/pools/{pool_id}")
}

/// The load balancer named `host` in the zone, if any.
pub(crate) async fn find_load_balancer(
    client: &CloudflareClient,
    zone_id: &str,
    host: &str,
) -> Result<Option<LoadBalancer>, CloudflareError> {
    let all: Vec<LoadBalancer> = client
        .get_all(
            &format!("load balancers of zone {zone_id}"),
            &["zones", zone_id, "load_balancers"],
            &[],
        )
        .await?;
    // A disabled load balancer answers for nothing; the DNS record serves the name then.
    Ok(all
        .into_iter()
        .find(|lb| lb.enabled != Some(false) && super::zone::normalize_host(&lb.name) == host))
}

/// Each pool of the load balancer, read or not, in [`LoadBalancer::pool_ids`] order.
pub(crate) async fn read_pools(
    client: &CloudflareClient,
    account_id: &str,
    lb: &LoadBalancer,
) -> Vec<(String, Result<Pool, CloudflareError>)> {
    let mut out = Vec::new();
    // Sequential: a load balancer has a handful of pools, and this keeps the request order
    // (and so any rate limiting) predictable.
    for id in lb.pool_ids() {
        let got = client
            .get::<Pool>(
                &format!("load balancer pool {id}"),
                &["accounts", account_id, "load_balancers", "pools", &id],
                &[],
            )
            .await
            .map(|p| p.result);
        out.push((id, got));
    }
    out
}
