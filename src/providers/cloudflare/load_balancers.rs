//! Cloudflare Load Balancing: the load balancer that answers for the hostname, and its pools.
//!
//! Endpoints (API v4 reference): `GET /zones/{zone_id}/load_balancers` (List Load Balancers)
//! and `GET /accounts/{account_id}/load_balancers/pools/{pool_id}` (Pool Details). A load
//! balancer takes precedence over a DNS record of the same name, and a wildcard load balancer
//! over a wildcard record; a more specific DNS record wins over a wildcard load balancer
//! (Load Balancing docs, "DNS records", priority order). So the load balancers are listed
//! before the records are resolved: each one is a name that exists.
//!
//! Traffic reaches every pool the load balancer names: default and fallback pools, the
//! region, country and PoP pools, and those in `rules[].overrides` (cloudflare-go's
//! `load_balancing.go` and its test bodies carry all of them).

use super::client::{CloudflareClient, Listed, Skipped};
use super::error::CloudflareError;
use serde::{Deserialize, Deserializer, Serialize};
use std::collections::BTreeMap;

/// Token permissions (API token permissions reference).
pub(crate) const LB_READ: &str = "Load Balancers Read";
pub(crate) const POOLS_READ: &str = "Load Balancing: Monitors and Pools Read";

/// `null` reads as the field's empty value (the API sends `"headers": null`).
fn null_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// Region, country or PoP code → pool ids, in failover order.
pub type PoolMap = BTreeMap<String, Vec<String>>;

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct LoadBalancer {
    pub id: String,
    /// The hostname it answers for (`*.example.com` for a wildcard).
    pub name: String,
    #[serde(default)]
    pub enabled: Option<bool>,
    #[serde(default, deserialize_with = "null_default")]
    pub proxied: bool,
    #[serde(default, deserialize_with = "null_default")]
    pub default_pools: Vec<String>,
    #[serde(default)]
    pub fallback_pool: Option<String>,
    #[serde(default, deserialize_with = "null_default")]
    pub region_pools: PoolMap,
    #[serde(default, deserialize_with = "null_default")]
    pub country_pools: PoolMap,
    #[serde(default, deserialize_with = "null_default")]
    pub pop_pools: PoolMap,
    /// `none` or `""` (the default), `cookie`, `ip_cookie`, `header`.
    #[serde(default)]
    pub session_affinity: Option<String>,
    #[serde(default)]
    pub session_affinity_ttl: Option<f64>,
    #[serde(default)]
    pub session_affinity_attributes: Option<SessionAffinityAttributes>,
    /// `""`/`off` (failover), `geo`, `random`, `dynamic_latency`, `proximity`,
    /// `least_outstanding_requests`, `least_connections`.
    #[serde(default)]
    pub steering_policy: Option<String>,
    #[serde(default, deserialize_with = "null_default")]
    pub rules: Vec<LbRule>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct SessionAffinityAttributes {
    /// Seconds an origin removed from a pool keeps its affine sessions.
    #[serde(default)]
    pub drain_duration: Option<f64>,
    /// Header names the `header` affinity hashes.
    #[serde(default, deserialize_with = "null_default")]
    pub headers: Vec<String>,
}

/// A load-balancing rule: when `condition` matches, `overrides` replace the load balancer's
/// own fields (or `fixed_response` answers without any origin). Rules run in `priority` order
/// (lower first; the array's order when none says); overrides are non-terminating, so a later
/// matching rule's override of a field replaces an earlier one's, until a matching rule that
/// `terminates` (any rule with a `fixed_response` does) stops the evaluation (API reference,
/// Load Balancers, `rules`; Load Balancing docs, "Create custom rules").
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct LbRule {
    #[serde(default)]
    pub name: Option<String>,
    /// Empty or absent: always true.
    #[serde(default)]
    pub condition: Option<String>,
    #[serde(default, deserialize_with = "null_default")]
    pub disabled: bool,
    #[serde(default)]
    pub priority: Option<i64>,
    #[serde(default, deserialize_with = "null_default")]
    pub terminates: bool,
    #[serde(default)]
    pub overrides: Option<LbOverrides>,
    #[serde(default)]
    pub fixed_response: Option<serde_json::Value>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct LbOverrides {
    #[serde(default, deserialize_with = "null_default")]
    pub default_pools: Vec<String>,
    #[serde(default)]
    pub fallback_pool: Option<String>,
    #[serde(default, deserialize_with = "null_default")]
    pub region_pools: PoolMap,
    #[serde(default, deserialize_with = "null_default")]
    pub country_pools: PoolMap,
    #[serde(default, deserialize_with = "null_default")]
    pub pop_pools: PoolMap,
    #[serde(default)]
    pub session_affinity: Option<String>,
    #[serde(default)]
    pub session_affinity_ttl: Option<f64>,
    #[serde(default)]
    pub steering_policy: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Pool {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub enabled: Option<bool>,
    #[serde(default, deserialize_with = "null_default")]
    pub origins: Vec<PoolOrigin>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct PoolOrigin {
    #[serde(default)]
    pub name: Option<String>,
    /// IP address or hostname.
    pub address: String,
    /// Defaults to `true` in the API.
    #[serde(default)]
    pub enabled: Option<bool>,
    /// 0–1, default 1: the origin's share of its pool's traffic (API reference, Pools). At 0
    /// its share is nothing, so it is not a backend a WebSocket can land on.
    #[serde(default)]
    pub weight: Option<f64>,
    /// The port Cloudflare connects to; absent or 0 is the protocol's default.
    #[serde(default)]
    pub port: Option<u16>,
    /// Request headers sent to this origin; only `Host` is allowed (API reference).
    #[serde(default, deserialize_with = "null_default")]
    pub header: BTreeMap<String, Vec<String>>,
}

impl PoolOrigin {
    pub fn is_enabled(&self) -> bool {
        self.enabled.unwrap_or(true)
    }

    /// Enabled and with a weight above zero: the origin can receive a connection.
    pub fn receives_traffic(&self) -> bool {
        self.is_enabled() && self.weight.is_none_or(|w| w > 0.0)
    }

    /// The `Host` header Cloudflare sends this origin instead of the hostname.
    pub fn host_header(&self) -> Option<&str> {
        self.header
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("host"))
            .and_then(|(_, v)| v.first())
            .map(String::as_str)
    }
}

impl LoadBalancer {
    /// Every pool traffic can reach, each once, in the order the load balancer names them:
    /// default, fallback, region, country, PoP pools, then each enabled rule's overrides.
    pub fn pool_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = Vec::new();
        let mut add = |id: &String| {
            if !id.is_empty() && !ids.contains(id) {
                ids.push(id.clone());
            }
        };
        let maps = |r: &PoolMap, c: &PoolMap, p: &PoolMap| -> Vec<String> {
            r.values()
                .chain(c.values())
                .chain(p.values())
                .flatten()
                .cloned()
                .collect()
        };
        for id in self.default_pools.iter().chain(self.fallback_pool.iter()) {
            add(id);
        }
        for id in maps(&self.region_pools, &self.country_pools, &self.pop_pools) {
            add(&id);
        }
        for o in self.enabled_rules().filter_map(|r| r.overrides.as_ref()) {
            for id in o.default_pools.iter().chain(o.fallback_pool.iter()) {
                add(id);
            }
            for id in maps(&o.region_pools, &o.country_pools, &o.pop_pools) {
                add(&id);
            }
        }
        ids
    }

    pub fn enabled_rules(&self) -> impl Iterator<Item = &LbRule> {
        self.rules.iter().filter(|r| !r.disabled)
    }

    /// The enabled rules in the order Cloudflare evaluates them, each with its index in
    /// `rules` (what a provenance names): by `priority`, ties (and rules without one) in
    /// array order.
    pub fn rules_in_order(&self) -> Vec<(usize, &LbRule)> {
        let mut rules: Vec<(usize, &LbRule)> = self
            .rules
            .iter()
            .enumerate()
            .filter(|(_, r)| !r.disabled)
            .collect();
        rules.sort_by_key(|(_, r)| r.priority.unwrap_or(0));
        rules
    }

    /// `zone/<zone>/load_balancers/<id>`: where `session_affinity` is changed.
    pub fn locator(&self, zone_id: &str) -> String {
        format!("zone/{zone_id}/load_balancers/{}", self.id)
    }
}

pub fn pool_locator(account_id: &str, pool_id: &str) -> String {
    format!("account/{account_id}/load_balancers/pools/{pool_id}")
}

/// Every load balancer of the zone (disabled ones answer for nothing, and are left out).
pub(crate) async fn list_load_balancers(
    client: &CloudflareClient,
    zone_id: &str,
    account: Option<&str>,
) -> Result<(Vec<LoadBalancer>, Vec<Skipped>), CloudflareError> {
    let got = client
        .get_all::<LoadBalancer>(
            &format!("load balancers of zone {zone_id}"),
            &["zones", zone_id, "load_balancers"],
            &[],
            50,
        )
        .await;
    match got {
        Ok(l) => Ok((
            l.items
                .into_iter()
                .filter(|lb| lb.enabled != Some(false))
                .collect(),
            l.skipped,
        )),
        Err(e) => Err(client.explain_denial(e, LB_READ, account).await),
    }
}

/// One pool (`GET /accounts/{account}/load_balancers/pools/{id}`).
pub(crate) async fn read_pool(
    client: &CloudflareClient,
    account_id: &str,
    id: &str,
) -> Result<Pool, CloudflareError> {
    let got = client
        .get::<Pool>(
            &format!("load balancer pool {id}"),
            &["accounts", account_id, "load_balancers", "pools", id],
            &[],
        )
        .await
        .map(|p| p.result);
    match got {
        Ok(p) => Ok(p),
        Err(e) => Err(client.explain_denial(e, POOLS_READ, Some(account_id)).await),
    }
}

/// Every pool of the account (`GET /accounts/{account}/load_balancers/pools`, List Pools):
/// what the inventory reads instead of one request per pool.
pub(crate) async fn list_pools(
    client: &CloudflareClient,
    account_id: &str,
    max_pages: u32,
) -> Result<Listed<Pool>, CloudflareError> {
    let got = client
        .get_all_pages::<Pool>(
            &format!("load balancer pools of account {account_id}"),
            &["accounts", account_id, "load_balancers", "pools"],
            &[],
            100,
            max_pages,
        )
        .await;
    match got {
        Ok(l) => Ok(l),
        Err(e) => Err(client.explain_denial(e, POOLS_READ, Some(account_id)).await),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_pool_is_reachable_and_nulls_read_as_empty() {
        let lb: LoadBalancer = serde_json::from_value(json!({
            "id": "lb", "name": "ws.example.com",
            "default_pools": ["a"], "fallback_pool": "b",
            "region_pools": {"WNAM": ["c", "a"]}, "country_pools": {"GB": ["d"]},
            "pop_pools": {"LAX": ["e"]},
            "session_affinity_attributes": {"headers": null, "drain_duration": 60},
            "rules": [
                {"name": "r1", "condition": "true", "overrides": {"region_pools": {"SAF": ["f"]}}},
                {"name": "r2", "disabled": true, "overrides": {"default_pools": ["g"]}}
            ]
        }))
        .unwrap();
        assert_eq!(lb.pool_ids(), vec!["a", "b", "c", "d", "e", "f"]);
        assert!(lb
            .session_affinity_attributes
            .as_ref()
            .unwrap()
            .headers
            .is_empty());
    }

    #[test]
    fn weight_zero_receives_no_traffic() {
        let o: PoolOrigin = serde_json::from_value(json!({
            "address": "10.0.0.1", "weight": 0, "header": {"Host": ["app.internal"]}, "port": 8443
        }))
        .unwrap();
        assert!(!o.receives_traffic());
        assert_eq!(o.host_header(), Some("app.internal"));
        assert_eq!(o.port, Some(8443));
    }
}
