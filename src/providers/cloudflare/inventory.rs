//! What was read from the Cloudflare API, kept free of I/O so the resolution of a hostname
//! ([`super::resolve`]) is a pure function over it.
//!
//! One type serves both readers: `wsaudit chain` fills it narrowly (the zone lookups, record
//! names and endpoints one hostname needs, asked as the resolution asks for them), and
//! `wsaudit scan` fills it whole (every zone of each token, every record, every load balancer,
//! and the settings, rules and products of each zone that proxies something). Every read keeps
//! its failure (already explained by token verify), so a failure becomes a gap exactly on the
//! hostnames it could have served.

use super::client::{Listed, Skipped};
use super::error::CloudflareError;
use super::load_balancers::{LoadBalancer, Pool};
use super::products::Products;
use super::rulesets::Ruleset;
use super::settings::ZoneSettings;
use super::tunnel::TunnelConfig;
use super::zone::{normalize_host, DnsRecord, Zone};
use std::collections::BTreeMap;

pub(crate) type Read<T> = Result<T, CloudflareError>;

/// Everything read, across tokens.
#[derive(Debug, Clone, Default)]
pub struct Inventory {
    pub(crate) tokens: Vec<TokenInventory>,
}

impl Inventory {
    /// A token that could not be used at all: its zone listing fails with `reason`.
    pub fn unreadable(label: &str, reason: String) -> Inventory {
        Inventory {
            tokens: vec![TokenInventory {
                label: label.to_string(),
                zones: ZoneIndex::All(Err(CloudflareError::Config(reason))),
                ..TokenInventory::default()
            }],
        }
    }
}

/// What one token could see. `label` names the token in gaps and routes (the environment
/// variable it came from, `CF_TOKEN_PROD`), never the token; empty for `wsaudit chain`,
/// whose messages name no token since there is one.
#[derive(Debug, Clone, Default)]
pub struct TokenInventory {
    pub(crate) label: String,
    pub(crate) zones: ZoneIndex,
    /// Zone data, by zone id.
    pub(crate) data: BTreeMap<String, ZoneData>,
    /// Pools by (account id, pool id).
    pub(crate) pools: BTreeMap<(String, String), Read<Pool>>,
    /// Remotely managed tunnel configurations by (account id, tunnel id); `None` for a
    /// locally managed tunnel.
    pub(crate) tunnels: BTreeMap<(String, String), Read<Option<TunnelConfig>>>,
}

/// How the token's zones are known.
#[derive(Debug, Clone)]
pub(crate) enum ZoneIndex {
    /// Every zone the token can list (`GET /zones`), or why they could not be listed.
    All(Read<Listed<Zone>>),
    /// Only the names and ids asked for (`GET /zones?name=`, `GET /zones/{id}`).
    Asked {
        by_name: BTreeMap<String, Read<Option<Zone>>>,
        by_id: BTreeMap<String, Read<Zone>>,
    },
}

impl Default for ZoneIndex {
    fn default() -> Self {
        ZoneIndex::Asked {
            by_name: BTreeMap::new(),
            by_id: BTreeMap::new(),
        }
    }
}

/// One zone's reads. `None` is "not read (yet)": the resolution asks for it.
#[derive(Debug, Clone)]
pub(crate) struct ZoneData {
    pub zone: Zone,
    /// Enabled load balancers (disabled ones answer for nothing) and the entries skipped.
    pub lbs: Option<Read<(Vec<LoadBalancer>, Vec<Skipped>)>>,
    pub dns: Dns,
    pub settings: Option<ZoneSettings>,
    /// A phase's entry point ruleset; `Ok(None)` when the zone has no rules there.
    pub config_rules: Option<Read<Option<Ruleset>>>,
    pub origin_rules: Option<Read<Option<Ruleset>>>,
    pub products: Option<Products>,
}

impl ZoneData {
    pub fn new(zone: Zone, dns: Dns) -> Self {
        ZoneData {
            zone,
            lbs: None,
            dns,
            settings: None,
            config_rules: None,
            origin_rules: None,
            products: None,
        }
    }

    pub fn account(&self) -> Option<&str> {
        self.zone.account.as_ref().map(|a| a.id.as_str())
    }
}

/// A zone's DNS records as read.
#[derive(Debug, Clone)]
pub(crate) enum Dns {
    /// Every record of the zone.
    All(Read<RecordIndex>),
    /// The answers to `?name=` (exact) and `?name.endswith=.` (below) lookups, by name.
    Asked {
        named: BTreeMap<String, Read<Listed<DnsRecord>>>,
        below: BTreeMap<String, Read<Listed<DnsRecord>>>,
    },
}

/// Every record of a zone, in the API's order, indexed by name so a lookup costs a few
/// records rather than the whole zone (a scan resolves thousands of names over it).
#[derive(Debug, Clone, Default)]
pub(crate) struct RecordIndex {
    records: Vec<DnsRecord>,
    /// Record positions by reversed name (`com.example.ws`): the names below one are a
    /// range of keys.
    by_name: BTreeMap<String, Vec<usize>>,
    skipped_named: BTreeMap<String, Vec<Skipped>>,
    skipped_nameless: Vec<Skipped>,
}

/// `ws.example.com` → `com.example.ws`.
fn reversed(name: &str) -> String {
    name.rsplit('.').collect::<Vec<_>>().join(".")
}

impl RecordIndex {
    pub fn new(listed: Listed<DnsRecord>) -> Self {
        let mut idx = RecordIndex {
            records: listed.items,
            ..RecordIndex::default()
        };
        for (i, r) in idx.records.iter().enumerate() {
            idx.by_name
                .entry(reversed(&normalize_host(&r.name)))
                .or_default()
                .push(i);
        }
        for s in listed.skipped {
            match s.name.as_deref() {
                Some(n) => idx
                    .skipped_named
                    .entry(reversed(&normalize_host(n)))
                    .or_default()
                    .push(s),
                None => idx.skipped_nameless.push(s),
            }
        }
        idx
    }

    /// Every record, in the order the API listed them.
    pub fn records(&self) -> &[DnsRecord] {
        &self.records
    }

    /// The records named `name`; entries skipped without a name come with every lookup,
    /// since any of them could be the name's.
    fn named(&self, name: &str) -> Listed<DnsRecord> {
        let key = reversed(name);
        Listed {
            items: self
                .by_name
                .get(&key)
                .map(|is| is.iter().map(|i| self.records[*i].clone()).collect())
                .unwrap_or_default(),
            skipped: self
                .skipped_named
                .get(&key)
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .chain(self.skipped_nameless.iter().cloned())
                .collect(),
        }
    }

    /// A few records strictly below `name` (whether any exists is all the walk asks).
    fn below(&self, name: &str) -> Listed<DnsRecord> {
        let prefix = format!("{}.", reversed(name));
        let range = |m: &BTreeMap<String, Vec<usize>>| {
            m.range(prefix.clone()..)
                .take_while(|(k, _)| k.starts_with(&prefix))
                .flat_map(|(_, v)| v.iter().copied())
                .take(5)
                .collect::<Vec<_>>()
        };
        Listed {
            items: range(&self.by_name)
                .into_iter()
                .map(|i| self.records[i].clone())
                .collect(),
            skipped: self
                .skipped_named
                .range(prefix.clone()..)
                .take_while(|(k, _)| k.starts_with(&prefix))
                .flat_map(|(_, v)| v.iter().cloned())
                .take(5)
                .collect(),
        }
    }
}

impl Dns {
    pub fn asked() -> Self {
        Dns::Asked {
            named: BTreeMap::new(),
            below: BTreeMap::new(),
        }
    }

    /// The records named exactly `name` (any type) and the skipped entries of that lookup;
    /// `None` when not asked yet.
    pub fn named(&self, name: &str) -> Option<Read<Listed<DnsRecord>>> {
        match self {
            Dns::Asked { named, .. } => named.get(name).cloned(),
            Dns::All(all) => Some(match all {
                Ok(idx) => Ok(idx.named(name)),
                Err(e) => Err(e.clone()),
            }),
        }
    }

    /// Records strictly below `name`; `None` when not asked yet.
    pub fn below(&self, name: &str) -> Option<Read<Listed<DnsRecord>>> {
        match self {
            Dns::Asked { below, .. } => below.get(name).cloned(),
            Dns::All(all) => Some(match all {
                Ok(idx) => Ok(idx.below(name)),
                Err(e) => Err(e.clone()),
            }),
        }
    }
}

/// What the resolution needs and the inventory does not hold: the narrow reader fetches it
/// and resolves again. (From a whole inventory only account-level reads can be missing.)
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Need {
    ZoneNamed(String),
    ZoneId(String),
    LoadBalancers {
        zone: String,
    },
    RecordsNamed {
        zone: String,
        name: String,
    },
    RecordsBelow {
        zone: String,
        name: String,
    },
    /// Pool ids of one account, read in this order.
    Pools {
        account: String,
        ids: Vec<String>,
    },
    /// The settings, Configuration and Origin Rules and products of a zone, read together.
    Edge {
        zone: String,
    },
    Tunnel {
        account: String,
        tunnel: String,
    },
}

impl Need {
    /// In words, for the gap of a whole inventory that lacks it.
    pub fn describe(&self) -> String {
        match self {
            Need::ZoneNamed(n) => format!("the zone named {n}"),
            Need::ZoneId(id) => format!("zone {id}"),
            Need::LoadBalancers { zone } => format!("the load balancers of zone {zone}"),
            Need::RecordsNamed { zone, name } => {
                format!("the DNS records named {name} in zone {zone}")
            }
            Need::RecordsBelow { zone, name } => {
                format!("the DNS records under {name} in zone {zone}")
            }
            Need::Pools { account, ids } => {
                format!(
                    "load balancer pools {} of account {account}",
                    ids.join(", ")
                )
            }
            Need::Edge { zone } => format!("the settings and rules of zone {zone}"),
            Need::Tunnel { account, tunnel } => {
                format!("Cloudflare Tunnel {tunnel} of account {account}")
            }
        }
    }
}

impl Inventory {
    /// Several tokens' inventories as one (several accounts).
    pub fn merge(all: Vec<Inventory>) -> Inventory {
        Inventory {
            tokens: all.into_iter().flat_map(|i| i.tokens).collect(),
        }
    }

    /// Whether any token was read at all: without one, Cloudflare was not consulted.
    pub fn is_empty(&self) -> bool {
        self.tokens.is_empty()
    }
}

impl TokenInventory {
    pub(crate) fn zone_data(&self, zone_id: &str) -> Option<&ZoneData> {
        self.data.get(zone_id)
    }

    /// ` (token CF_X)` when the inventory names its token, else nothing.
    pub(crate) fn token_suffix(&self) -> String {
        if self.label.is_empty() {
            String::new()
        } else {
            format!(" (token {})", self.label)
        }
    }
}

/// A hostname the inventory says clients dial.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub domain: String,
    /// The zone that holds it (the pin its resolution starts from).
    pub zone: String,
    /// `cloudflare zone Z record R (token CF_X)`.
    pub from: String,
    /// Which token's inventory it came from (an index into the merged tokens).
    pub token: usize,
}

impl Inventory {
    /// Every hostname the zones answer: each load balancer's name and each name with an A,
    /// AAAA or CNAME record, in zone order, each once.
    ///
    /// DNS-only records are listed too: Cloudflare is not a layer for them, but clients
    /// still dial the name, and the walk goes on to what the record points at (a load
    /// balancer, a distribution, nginx). Wildcard names (`*.example.com`) are skipped: no
    /// client dials `*`, and the names they cover are not listed anywhere (a declared
    /// target under one resolves through the wildcard as usual). Names with a label that
    /// starts with `_` (`_acme-challenge`, `_dmarc`) are service and validation names, not
    /// hostnames browsers connect to. Zones that are not `active` (pending, moved) do not
    /// serve their records through Cloudflare, and are skipped. A zone whose records could
    /// not be read lists its apex, so the scan audits it and reports the failure as a gap
    /// rather than silently listing nothing.
    pub fn routes(&self) -> Vec<Route> {
        let mut out: Vec<Route> = Vec::new();
        for (t, tok) in self.tokens.iter().enumerate() {
            let sfx = tok.token_suffix();
            let mut zones: Vec<&ZoneData> = tok.data.values().collect();
            zones.sort_by(|a, b| a.zone.name.cmp(&b.zone.name));
            for d in zones {
                if d.zone.status.as_deref().is_some_and(|s| s != "active") {
                    continue;
                }
                let zone_name = normalize_host(&d.zone.name);
                let mut names: Vec<(String, String)> = Vec::new();
                let mut add = |name: String, from: String| {
                    let dialable = !name.starts_with("*.")
                        && !name.split('.').any(|l| l.starts_with('_'))
                        && super::zone::is_valid_host(&name);
                    if dialable && !names.iter().any(|(n, _)| *n == name) {
                        names.push((name, from));
                    }
                };
                if let Some(Ok((lbs, _))) = &d.lbs {
                    for lb in lbs {
                        let n = normalize_host(&lb.name);
                        add(
                            n.clone(),
                            format!("cloudflare zone {zone_name} load balancer {n}{sfx}"),
                        );
                    }
                }
                match &d.dns {
                    Dns::All(Ok(l)) => {
                        for r in l
                            .records()
                            .iter()
                            .filter(|r| super::zone::is_proxiable_type(&r.record_type))
                        {
                            let n = normalize_host(&r.name);
                            let how = if r.proxied { "" } else { ", DNS-only" };
                            add(
                                n.clone(),
                                format!("cloudflare zone {zone_name} record {n}{how}{sfx}"),
                            );
                        }
                    }
                    Dns::All(Err(_)) => add(
                        zone_name.clone(),
                        format!(
                            "cloudflare zone {zone_name}, whose DNS records could not be read{sfx}"
                        ),
                    ),
                    Dns::Asked { .. } => {}
                }
                out.extend(names.into_iter().map(|(domain, from)| Route {
                    domain,
                    zone: zone_name.clone(),
                    from,
                    token: t,
                }));
            }
        }
        out
    }

    /// What could not be read, in words, for the scan's summary: a token whose zones could
    /// not be listed (no target of it can even be named), and each zone whose records or
    /// load balancers could not be read.
    pub fn unread(&self) -> Vec<String> {
        let mut out = Vec::new();
        for tok in &self.tokens {
            let sfx = tok.token_suffix();
            if let ZoneIndex::All(Err(e)) = &tok.zones {
                out.push(format!("the zones{sfx} could not be listed: {e}"));
            }
            for d in tok.data.values() {
                if let Dns::All(Err(e)) = &d.dns {
                    out.push(format!("DNS records of zone {}{sfx}: {e}", d.zone.name));
                }
                match &d.lbs {
                    Some(Err(CloudflareError::NotFound { .. })) | None | Some(Ok(_)) => {}
                    Some(Err(e)) => {
                        out.push(format!("load balancers of zone {}{sfx}: {e}", d.zone.name))
                    }
                }
            }
        }
        out
    }
}

/// Hand-built inventories for the resolution's unit tests (no I/O).
#[cfg(test)]
pub(crate) mod sample {
    use super::*;
    use crate::providers::cloudflare::products::Products;
    use crate::providers::cloudflare::settings::{SettingValue, SETTING_IDS};
    use crate::providers::cloudflare::zone::ZoneAccount;
    use serde_json::json;

    pub const ACCOUNT: &str = "01a7362d577a6c3019a474fd6f485823";

    pub fn zone(id: &str, name: &str) -> Zone {
        Zone {
            id: id.into(),
            name: name.into(),
            status: Some("active".into()),
            plan: None,
            account: Some(ZoneAccount {
                id: ACCOUNT.into(),
                name: None,
            }),
        }
    }

    pub fn record(name: &str, kind: &str, content: &str, proxied: bool) -> DnsRecord {
        DnsRecord {
            id: Some(format!("rec-{name}")),
            name: name.into(),
            record_type: kind.into(),
            content: content.into(),
            proxied,
            proxiable: Some(true),
        }
    }

    fn listed<T>(items: Vec<T>) -> Listed<T> {
        Listed {
            items,
            skipped: Vec::new(),
        }
    }

    /// WebSocket-friendly settings, no rules, no products in the way.
    pub fn edge(zone_id: &str) -> (ZoneSettings, Products) {
        let values = [
            json!("on"),
            json!("strict"),
            json!("1.2"),
            json!("on"),
            json!("on"),
            json!("1"),
            json!(100),
        ];
        let reads = SETTING_IDS
            .iter()
            .zip(values)
            .map(|(id, v)| {
                (
                    id.to_string(),
                    Ok(SettingValue {
                        id: id.to_string(),
                        value: v,
                        editable: Some(true),
                        modified_on: None,
                    }),
                )
            })
            .collect();
        let products = Products {
            argo: Ok(SettingValue {
                id: "smart_routing".into(),
                value: json!("off"),
                editable: Some(true),
                modified_on: None,
            }),
            routes: Ok(listed(Vec::new())),
            apps: Ok(listed(Vec::new())),
        };
        (
            ZoneSettings {
                zone_id: zone_id.into(),
                reads,
            },
            products,
        )
    }

    /// A zone read whole, its edge read too.
    pub fn zone_data(
        zone: Zone,
        records: Read<Vec<DnsRecord>>,
        lbs: Vec<LoadBalancer>,
    ) -> ZoneData {
        let (settings, products) = edge(&zone.id);
        let mut d = ZoneData::new(zone, Dns::All(records.map(|r| RecordIndex::new(listed(r)))));
        d.lbs = Some(Ok((lbs, Vec::new())));
        d.settings = Some(settings);
        d.config_rules = Some(Ok(None));
        d.origin_rules = Some(Ok(None));
        d.products = Some(products);
        d
    }

    /// One token's whole inventory of `zones`.
    pub fn token(label: &str, zones: Vec<ZoneData>) -> Inventory {
        let index = listed(zones.iter().map(|d| d.zone.clone()).collect());
        Inventory {
            tokens: vec![TokenInventory {
                label: label.into(),
                zones: ZoneIndex::All(Ok(index)),
                data: zones.into_iter().map(|d| (d.zone.id.clone(), d)).collect(),
                pools: BTreeMap::new(),
                tunnels: BTreeMap::new(),
            }],
        }
    }

    /// A token whose zones could not be listed.
    pub fn unlisted(label: &str, e: CloudflareError) -> Inventory {
        Inventory {
            tokens: vec![TokenInventory {
                label: label.into(),
                zones: ZoneIndex::All(Err(e)),
                ..TokenInventory::default()
            }],
        }
    }

    pub fn add_pool(inv: &mut Inventory, pool: Pool) {
        inv.tokens[0]
            .pools
            .insert((ACCOUNT.to_string(), pool.id.clone()), Ok(pool));
    }
}
