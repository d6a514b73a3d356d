//! The two readers that fill an [`Inventory`]: the narrow one of `wsaudit chain` (exactly the
//! reads one hostname needs, asked as the resolution asks for them) and the whole one of
//! `wsaudit scan` (everything a token can see, each endpoint read once). All I/O of the
//! provider's resolution is here; the decisions are in [`super::resolve`].

use super::client::CloudflareClient;
use super::inventory::{Dns, Inventory, Need, RecordIndex, TokenInventory, ZoneData, ZoneIndex};
use super::load_balancers;
use super::products;
use super::resolve;
use super::rulesets;
use super::settings;
use super::tunnel;
use super::zone::{self, ZonePin};
use super::CloudflareError;
use futures_util::stream::{self, StreamExt};
use std::collections::{BTreeMap, BTreeSet};

/// Reads per hostname stay far below this (a zone walk of a ten-label name, a few record
/// names, pools, the edge, a tunnel); reaching it means a read that does not record its
/// answer, and the resolution's need becomes a gap instead of a loop.
const MAX_STEPS: usize = 64;

/// Whole-inventory lists may be long (a zone of 100,000 records at 5,000 a page is 20
/// pages; 1,000 zones at 50 a page, 20): the page limit is raised to this for them.
const INVENTORY_MAX_PAGES: u32 = 1000;

/// Zones read at once by [`read_all`]. Each zone's own reads run concurrently too (up to a
/// dozen), and the token's rate budget paces them all; this bounds what is in flight.
const ZONES_AT_ONCE: usize = 4;

/// What the request needs, read as the resolution asks for it: the same requests, in the
/// same order, a walk over the live API makes (zone names longest first, the load
/// balancers, the record names of the DNS walk, the pools, then the settings, rules and
/// products together, then a tunnel).
pub(crate) async fn read_for(
    client: &CloudflareClient,
    domain: &str,
    path: &str,
    tls_client: bool,
    pin: Option<&ZonePin>,
) -> Inventory {
    if !client.is_configured() {
        return Inventory::default();
    }
    let mut inv = Inventory {
        tokens: vec![TokenInventory::default()],
    };
    for _ in 0..MAX_STEPS {
        match resolve::resolve(&inv, domain, path, tls_client, pin) {
            Ok(_) => break,
            Err(need) => {
                if !fetch(client, &mut inv.tokens[0], &need).await {
                    break;
                }
            }
        }
    }
    inv
}

/// Everything `client`'s token can see, each endpoint once: the zones; per zone its load
/// balancers and every DNS record, and, when it proxies anything, its settings, rules and
/// products; the pools of every account a load balancer uses (one list per account); the
/// configuration of every tunnel a proxied record points at. Never fails as a whole: each
/// failure is kept where it happened.
pub(crate) async fn read_all(client: &CloudflareClient, label: &str) -> Inventory {
    let max_pages = client.options().max_pages.max(INVENTORY_MAX_PAGES);
    let mut tok = TokenInventory {
        label: label.to_string(),
        ..TokenInventory::default()
    };
    if !client.is_configured() {
        tok.zones = ZoneIndex::All(Err(CloudflareError::Config(format!(
            "{label} is not set; its zones were not read"
        ))));
        return Inventory { tokens: vec![tok] };
    }
    let zones = zone::list_zones(client, max_pages).await;
    if let Ok(listed) = &zones {
        let mut seen = BTreeSet::new();
        let unique: Vec<_> = listed
            .items
            .iter()
            .filter(|z| seen.insert(z.id.clone()))
            .cloned()
            .collect();
        let read: Vec<ZoneData> = stream::iter(unique)
            .map(|z| read_zone(client, z, max_pages))
            .buffer_unordered(ZONES_AT_ONCE)
            .collect()
            .await;
        for d in read {
            tok.data.insert(d.zone.id.clone(), d);
        }
    }
    tok.zones = ZoneIndex::All(zones);
    read_pools(client, &mut tok, max_pages).await;
    read_tunnels(client, &mut tok).await;
    let mut inv = Inventory { tokens: vec![tok] };
    fill(client, &mut inv).await;
    inv
}

async fn read_zone(client: &CloudflareClient, zone: zone::Zone, max_pages: u32) -> ZoneData {
    let account = zone.account.as_ref().map(|a| a.id.clone());
    let (lbs, dns) = tokio::join!(
        load_balancers::list_load_balancers(client, &zone.id, account.as_deref()),
        zone::fetch_all(client, &zone, max_pages),
    );
    let mut d = ZoneData::new(zone, Dns::All(dns.map(RecordIndex::new)));
    d.lbs = Some(lbs);
    // The edge settings and rules matter only to a proxied hostname: a zone that proxies
    // nothing is not read further.
    if proxies_anything(&d) {
        read_edge(client, &mut d).await;
    }
    d
}

fn proxies_anything(d: &ZoneData) -> bool {
    let records = match &d.dns {
        Dns::All(Ok(l)) => l
            .records()
            .iter()
            .any(|r| r.proxied && zone::is_proxiable_type(&r.record_type)),
        _ => false,
    };
    let lbs = matches!(&d.lbs, Some(Ok((lbs, _))) if lbs.iter().any(|l| l.proxied));
    records || lbs
}

/// The pools every load balancer names, one list per account; a pool the list does not
/// hold is "not found", as its own read would answer.
async fn read_pools(client: &CloudflareClient, tok: &mut TokenInventory, max_pages: u32) {
    let mut wanted: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for d in tok.data.values() {
        let (Some(account), Some(Ok((lbs, _)))) = (d.account(), &d.lbs) else {
            continue;
        };
        for lb in lbs {
            wanted
                .entry(account.to_string())
                .or_default()
                .extend(lb.pool_ids());
        }
    }
    for (account, ids) in wanted {
        let listed = load_balancers::list_pools(client, &account, max_pages).await;
        for id in ids {
            let read = match &listed {
                Ok(l) => l.items.iter().find(|p| p.id == id).cloned().ok_or_else(|| {
                    CloudflareError::NotFound {
                        what: format!("load balancer pool {id} in account {account}"),
                        status: None,
                        errors: Vec::new(),
                    }
                }),
                Err(e) => Err(e.clone()),
            };
            tok.pools.insert((account.clone(), id), read);
        }
    }
}

/// The configuration of each tunnel a proxied CNAME points at.
async fn read_tunnels(client: &CloudflareClient, tok: &mut TokenInventory) {
    let mut wanted = BTreeSet::new();
    for d in tok.data.values() {
        let (Some(account), Dns::All(Ok(l))) = (d.account(), &d.dns) else {
            continue;
        };
        for r in l
            .records()
            .iter()
            .filter(|r| r.proxied && r.record_type == "CNAME")
        {
            let target = zone::normalize_host(&r.content);
            if let Some(id) = target.strip_suffix(".cfargotunnel.com") {
                wanted.insert((account.to_string(), id.to_string()));
            }
        }
    }
    let read: Vec<_> = stream::iter(wanted)
        .map(|(account, id)| async move {
            let got = tunnel::read_configuration(client, &account, &id).await;
            ((account, id), got)
        })
        .buffer_unordered(ZONES_AT_ONCE)
        .collect()
        .await;
    tok.tunnels.extend(read);
}

/// What the discovered routes still need past the bulk reads (a tunnel only an Origin Rule
/// names, a pool a rule override adds): resolved for `/`, fetched, until nothing is missing.
async fn fill(client: &CloudflareClient, inv: &mut Inventory) {
    for _ in 0..4 {
        let mut needs: Vec<(usize, Need)> = Vec::new();
        for route in inv.routes() {
            let pin = ZonePin::Name(route.zone.clone());
            if let Err(need) = resolve::resolve(inv, &route.domain, "/", true, Some(&pin)) {
                if !needs.iter().any(|(t, n)| *t == route.token && *n == need) {
                    needs.push((route.token, need));
                }
            }
        }
        let mut progressed = false;
        for (t, need) in needs {
            progressed |= fetch(client, &mut inv.tokens[t], &need).await;
        }
        if !progressed {
            return;
        }
    }
}

async fn read_edge(client: &CloudflareClient, d: &mut ZoneData) {
    let zone_id = d.zone.id.clone();
    let acct = d.account().map(str::to_string);
    let acct = acct.as_deref();
    // Concurrent: a dozen small GETs, and the slowest one bounds the wait.
    let (settings, config_rules, origin_rules, products) = tokio::join!(
        settings::read_settings(client, &zone_id, acct),
        rulesets::read_phase(
            client,
            &zone_id,
            rulesets::CONFIG_PHASE,
            rulesets::CONFIG_RULES_READ,
            acct
        ),
        rulesets::read_phase(
            client,
            &zone_id,
            rulesets::ORIGIN_PHASE,
            rulesets::ORIGIN_RULES_READ,
            acct
        ),
        products::read(client, &zone_id, acct),
    );
    d.settings = Some(settings);
    d.config_rules = Some(config_rules);
    d.origin_rules = Some(origin_rules);
    d.products = Some(products);
}

/// Reads what `need` names into `tok`. `false` when there was nothing it could read (the
/// inventory's shape does not take it), so the caller stops asking.
async fn fetch(client: &CloudflareClient, tok: &mut TokenInventory, need: &Need) -> bool {
    match need {
        Need::ZoneNamed(name) => {
            let ZoneIndex::Asked { by_name, .. } = &mut tok.zones else {
                return false;
            };
            let got = zone::zone_by_name(client, name).await;
            if let Ok(Some(z)) = &got {
                tok.data
                    .entry(z.id.clone())
                    .or_insert_with(|| ZoneData::new(z.clone(), Dns::asked()));
            }
            by_name.insert(name.clone(), got);
            true
        }
        Need::ZoneId(id) => {
            let ZoneIndex::Asked { by_id, .. } = &mut tok.zones else {
                return false;
            };
            let got = zone::zone_by_id(client, id).await;
            if let Ok(z) = &got {
                tok.data
                    .entry(z.id.clone())
                    .or_insert_with(|| ZoneData::new(z.clone(), Dns::asked()));
            }
            by_id.insert(id.clone(), got);
            true
        }
        Need::LoadBalancers { zone } => {
            let Some(d) = tok.data.get_mut(zone) else {
                return false;
            };
            let acct = d.account().map(str::to_string);
            d.lbs = Some(load_balancers::list_load_balancers(client, zone, acct.as_deref()).await);
            true
        }
        Need::RecordsNamed { zone, name } | Need::RecordsBelow { zone, name } => {
            let Some(d) = tok.data.get_mut(zone) else {
                return false;
            };
            let Dns::Asked { named, below } = &mut d.dns else {
                return false;
            };
            if matches!(need, Need::RecordsNamed { .. }) {
                named.insert(name.clone(), zone::fetch_named(client, &d.zone, name).await);
            } else {
                below.insert(name.clone(), zone::fetch_below(client, &d.zone, name).await);
            }
            true
        }
        Need::Pools { account, ids } => {
            // Sequential: a load balancer has a handful of pools, and this keeps the request
            // order (and so any rate limiting) predictable.
            for id in ids {
                let got = load_balancers::read_pool(client, account, id).await;
                tok.pools.insert((account.clone(), id.clone()), got);
            }
            true
        }
        Need::Edge { zone } => {
            let Some(d) = tok.data.get_mut(zone) else {
                return false;
            };
            read_edge(client, d).await;
            true
        }
        Need::Tunnel { account, tunnel } => {
            let got = tunnel::read_configuration(client, account, tunnel).await;
            tok.tunnels.insert((account.clone(), tunnel.clone()), got);
            true
        }
    }
}
