//! Cloudflare's answer for one handshake (hostname, path, `wss://` or not), decided over an
//! [`Inventory`] without I/O: the zone that holds the hostname, its record or load balancer,
//! the CDN layer, the next hops and what they are told, the gaps and notices.
//!
//! The same function serves `wsaudit chain` and `wsaudit scan`, so the two cannot drift.
//! When the inventory lacks something the answer depends on, it says which read it needs
//! ([`Need`]): the narrow reader of `chain` fetches exactly that and asks again, which keeps
//! its requests (and their order) what one hostname needs; a whole inventory lacking it is a
//! gap.

use super::error::CloudflareError;
use super::expression;
use super::inventory::{Inventory, Need, TokenInventory, ZoneData, ZoneIndex};
use super::layer::{self, Backends};
use super::load_balancers::Pool;
use super::outcome::{CloudflareOutcome, NextHop, NextHopKind, Presence, ZoneDetails};
use super::products;
use super::rulesets;
use super::tunnel;
use super::zone::{self, Miss};
use super::{gap, gap_from, DnsRecord, Zone, ZonePin};
use crate::model::{Gap, GapCode, Layer, Setting};

/// The outcome for the request; what the inventory does not hold becomes a gap naming it.
pub fn resolve_request(
    inv: &Inventory,
    domain: &str,
    path: &str,
    tls_client: bool,
    pin: Option<&ZonePin>,
) -> CloudflareOutcome {
    match resolve(inv, domain, path, tls_client, pin) {
        Ok(out) => out,
        Err(need) => {
            let host = zone::normalize_host(domain);
            CloudflareOutcome::unknown(
                &host,
                vec![gap(
                    GapCode::Unknown,
                    format!(
                        "the Cloudflare inventory did not read {}, which decides {host}",
                        need.describe()
                    ),
                )],
                None,
            )
        }
    }
}

/// The outcome, or the first read it needs that the inventory does not hold.
pub(crate) fn resolve(
    inv: &Inventory,
    domain: &str,
    path: &str,
    tls_client: bool,
    pin: Option<&ZonePin>,
) -> Result<CloudflareOutcome, Need> {
    let host = zone::normalize_host(domain);
    if inv.is_empty() {
        return Ok(CloudflareOutcome::bare(&host, Presence::NotConsulted));
    }
    if !zone::is_valid_host(&host) {
        return Ok(CloudflareOutcome::unknown(
            &host,
            vec![gap(
                GapCode::InvalidDomain,
                format!("{domain:?} is not a DNS host name"),
            )],
            None,
        ));
    }
    let (tok, zone, notices) = match pin {
        Some(p) => match find_pinned(inv, p)? {
            Ok(found) => (found.0, found.1, Vec::new()),
            Err(gaps) => return Ok(CloudflareOutcome::unknown(&host, gaps, None)),
        },
        None => match find_zone(inv, &host)? {
            Found::Zone(tok, z, notices) => (tok, z, notices),
            Found::None(tried) => {
                return Ok(CloudflareOutcome::bare(&host, Presence::NoZone { tried }))
            }
            Found::Failed(gaps) => return Ok(CloudflareOutcome::unknown(&host, gaps, None)),
        },
    };
    let Some(data) = tok.zone_data(&zone.id) else {
        return Err(Need::LoadBalancers {
            zone: zone.id.clone(),
        });
    };
    let mut out = in_zone(tok, data, &host, path, tls_client)?;
    let mut all = notices;
    all.append(&mut out.notices);
    out.notices = all;
    Ok(out)
}

enum Found<'a> {
    Zone(&'a TokenInventory, Zone, Vec<String>),
    None(Vec<String>),
    Failed(Vec<Gap>),
}

/// What a token's zone index says of a name: `Err(need)` when not asked yet.
fn zone_named(
    tok: &TokenInventory,
    name: &str,
) -> Result<Result<Option<Zone>, CloudflareError>, Need> {
    match &tok.zones {
        ZoneIndex::All(Ok(listed)) => Ok(zone::pick_zone(listed, name)),
        ZoneIndex::All(Err(e)) => Ok(Err(e.clone())),
        ZoneIndex::Asked { by_name, .. } => by_name
            .get(name)
            .cloned()
            .ok_or_else(|| Need::ZoneNamed(name.to_string())),
    }
}

/// The zone whose name is the longest suffix of `host`, across tokens (the first token that
/// holds it). A token whose zones could not be read stops the walk when it is the only one;
/// among several, the others are still searched and the failure is a notice.
fn find_zone<'a>(inv: &'a Inventory, host: &str) -> Result<Found<'a>, Need> {
    let mut tried = Vec::new();
    let mut failed: Vec<(&TokenInventory, CloudflareError)> = Vec::new();
    for name in zone::candidate_zone_names(host) {
        tried.push(name.clone());
        for tok in &inv.tokens {
            match zone_named(tok, &name)? {
                Ok(Some(z)) => {
                    let notices = failed
                        .iter()
                        .map(|(t, e)| {
                            format!(
                                "the zones of token {} could not be read ({e}): one of them \
                                 could hold {host} more specifically than zone {}",
                                t.label, z.name
                            )
                        })
                        .collect();
                    return Ok(Found::Zone(tok, z, notices));
                }
                Ok(None) => {}
                Err(e) => {
                    if !failed.iter().any(|(t, _)| std::ptr::eq(*t, tok)) {
                        failed.push((tok, e));
                    }
                }
            }
        }
        if !failed.is_empty() && inv.tokens.len() == 1 {
            break;
        }
    }
    if failed.is_empty() {
        return Ok(Found::None(tried));
    }
    Ok(Found::Failed(
        failed
            .iter()
            .map(|(t, e)| gap_from(&format!("zone lookup for {host}{}", t.token_suffix()), e))
            .collect(),
    ))
}

/// The pinned zone (`--cloudflare-zone`), from the first token that holds it.
#[allow(clippy::type_complexity)]
fn find_pinned<'a>(
    inv: &'a Inventory,
    pin: &ZonePin,
) -> Result<Result<(&'a TokenInventory, Zone), Vec<Gap>>, Need> {
    let mut errors = Vec::new();
    for tok in &inv.tokens {
        let got: Result<Zone, CloudflareError> = match (pin, &tok.zones) {
            (ZonePin::Id(id), ZoneIndex::All(Ok(listed))) => listed
                .items
                .iter()
                .find(|z| z.id == *id)
                .cloned()
                .ok_or_else(|| CloudflareError::NotFound {
                    what: format!("zone {id} visible to this token"),
                    status: None,
                    errors: Vec::new(),
                }),
            (ZonePin::Id(_), ZoneIndex::All(Err(e))) => Err(e.clone()),
            (ZonePin::Id(id), ZoneIndex::Asked { by_id, .. }) => by_id
                .get(id)
                .cloned()
                .ok_or_else(|| Need::ZoneId(id.clone()))?,
            (ZonePin::Name(name), _) => match zone_named(tok, name)? {
                Ok(Some(z)) => Ok(z),
                Ok(None) => Err(zone::pinned_name_missing(name)),
                Err(e) => Err(e),
            },
        };
        match got {
            Ok(z) => return Ok(Ok((tok, z))),
            Err(e) => errors.push(gap_from(
                &format!("zone {}{}", pin_text(pin), tok.token_suffix()),
                &e,
            )),
        }
    }
    Ok(Err(errors))
}

/// The hostname within its zone: a port of what one live read decides, step by step.
fn in_zone(
    tok: &TokenInventory,
    data: &ZoneData,
    host: &str,
    path: &str,
    tls_client: bool,
) -> Result<CloudflareOutcome, Need> {
    let zone = &data.zone;
    let sfx = tok.token_suffix();
    let account = data.account().map(str::to_string);
    let mut gaps = Vec::new();
    let mut notices = Vec::new();
    // Load balancers first: each is a DNS name of its own, which decides what the records
    // walk finds (a load balancer takes precedence over a record of the same name).
    let lbs = match &data.lbs {
        None => {
            return Err(Need::LoadBalancers {
                zone: zone.id.clone(),
            })
        }
        Some(Ok((lbs, skipped))) => {
            for s in skipped {
                if s.name.as_deref().map(zone::normalize_host).as_deref() == Some(host) {
                    gaps.push(gap(
                        GapCode::MalformedResponse,
                        format!("the load balancer named {host}: {}", s.describe()),
                    ));
                } else {
                    notices.push(s.describe());
                }
            }
            lbs.clone()
        }
        // Zones without Load Balancing answer "not found": no load balancer, the DNS records
        // decide.
        Some(Err(CloudflareError::NotFound { .. })) => Vec::new(),
        Some(Err(e)) => {
            gaps.push(gap_from(
                &format!(
                    "load balancers of zone {}{sfx} (a load balancer named {host}, or a wildcard \
                     one, would take precedence over its DNS record; the record is used \
                     meanwhile)",
                    zone.name
                ),
                e,
            ));
            Vec::new()
        }
    };
    let lb_names: Vec<String> = lbs.iter().map(|l| zone::normalize_host(&l.name)).collect();
    let resolution = match zone::resolve(&data.dns, zone, host, &lb_names) {
        Ok(r) => r,
        Err(Miss::Need(n)) => return Err(n),
        Err(Miss::Failed(e)) => {
            gaps.push(gap_from(&format!("DNS records for {host}{sfx}"), &e));
            let details = ZoneDetails {
                zone: zone.clone(),
                records: Vec::new(),
                answered_by: None,
                load_balancer: None,
                pools: Vec::new(),
                settings: None,
            };
            let mut out = CloudflareOutcome::unknown(host, gaps, Some(details));
            out.notices = notices;
            return Ok(out);
        }
    };
    for s in &resolution.skipped {
        notices.push(s.describe());
    }
    let lb = resolution.source.as_ref().and_then(|src| {
        lbs.iter()
            .find(|l| zone::normalize_host(&l.name) == *src)
            .cloned()
    });
    if let Some(lb) = &lb {
        // A rule that answers by itself sends no request to any pool for what it matches.
        for r in lb.enabled_rules().filter(|r| r.fixed_response.is_some()) {
            notices.push(format!(
                "load balancer {} rule {:?} answers with a fixed response when {}: requests \
                 it matches reach no origin",
                lb.locator(&zone.id),
                r.name.as_deref().unwrap_or(""),
                r.condition.as_deref().unwrap_or("it matches")
            ));
        }
    }

    let mut details = ZoneDetails {
        zone: zone.clone(),
        records: resolution.records,
        answered_by: resolution.source.clone(),
        load_balancer: lb,
        pools: Vec::new(),
        settings: None,
    };

    let (proxied, mut next_hops) = if let Some(lb) = &details.load_balancer {
        details.pools = match &account {
            Some(account) => pools_of(tok, account, &lb.pool_ids())?,
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
                    .filter(|o| o.receives_traffic())
                    .map(move |o| {
                        let mut h = NextHop::new(&o.address, format!("pool {id}"));
                        h.port = o.port.filter(|p| *p != 0);
                        h.host_header = o.host_header().map(zone::normalize_host);
                        h
                    })
            })
            .collect::<Vec<_>>();
        (lb.proxied, dedup_hops(hops))
    } else if details.records.is_empty() {
        let unusable: Vec<String> = resolution
            .skipped
            .iter()
            .filter(|s| resolution.source.as_deref().is_some_and(|src| s.names(src)))
            .map(|s| s.describe())
            .collect();
        if !unusable.is_empty() {
            // The name's only records could not be decoded: not "no record", but records
            // wsaudit cannot read.
            gaps.push(gap(
                GapCode::MalformedResponse,
                format!("no usable record for {host}: {}", unusable.join("; ")),
            ));
        } else if gaps.is_empty() {
            let why = match &resolution.source {
                Some(src) if resolution.exists => format!(
                    "{src} exists in zone {} with records of other types only (no A, AAAA or \
                     CNAME), so no wildcard covers it and Cloudflare proxies nothing for it",
                    details.zone.name
                ),
                _ => format!(
                    "zone {} has no A, AAAA or CNAME record, no covering wildcard and no load \
                     balancer for {host}",
                    details.zone.name
                ),
            };
            gaps.push(gap(GapCode::NotFound, why));
        }
        let mut out = CloudflareOutcome::unknown(host, gaps, Some(details));
        out.notices = notices;
        return Ok(out);
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
                gaps.push(gap_from(&format!("load balancer pool {id}{sfx}"), e));
            }
        }
        return Ok(CloudflareOutcome {
            host: host.to_string(),
            presence: Presence::DnsOnly,
            layer: None,
            tunnel: None,
            notices,
            next_hops,
            gaps,
            details: Some(Box::new(details)),
        });
    }

    let (Some(settings), Some(config_rules), Some(origin_rules), Some(products)) = (
        &data.settings,
        &data.config_rules,
        &data.origin_rules,
        &data.products,
    ) else {
        return Err(Need::Edge {
            zone: zone.id.clone(),
        });
    };
    let req = expression::Request {
        host,
        path,
        tls: tls_client,
    };
    let zone_id = details.zone.id.clone();
    notices.extend(products::notices(products, &zone_id, host, path));

    // Configuration Rules: the SSL mode for this hostname.
    let config_fx = match config_rules {
        Ok(Some(set)) => Some(rulesets::effects(&zone_id, set, &req)),
        Ok(None) => None,
        Err(e) => {
            gaps.push(gap_from(
                &format!(
                    "Configuration Rules of zone {}{sfx} (they can set the SSL mode for {host}; \
                     the zone's SSL setting is used meanwhile)",
                    details.zone.name
                ),
                e,
            ));
            None
        }
    };
    let undecided_ssl = config_fx.as_ref().and_then(|fx| {
        fx.undecided
            .iter()
            .find(|(_, sets, _)| sets.contains("ssl"))
            .map(|(loc, _, why)| {
                format!(
                    "Configuration Rule {loc} sets the SSL mode when its expression matches, and \
                     wsaudit cannot evaluate it ({why})"
                )
            })
    });
    let ssl_rule = match (
        &undecided_ssl,
        config_fx.as_ref().and_then(|fx| fx.ssl.as_ref()),
    ) {
        (Some(why), _) => layer::SslRule::Undecided(why.clone()),
        (None, Some(r)) => layer::SslRule::Set(r),
        (None, None) => layer::SslRule::None,
    };
    if let Some(fx) = &config_fx {
        rule_notices(&mut notices, fx, "Configuration Rule");
    }

    let proxied_records: Vec<DnsRecord> = details
        .records
        .iter()
        .filter(|r| r.proxied)
        .cloned()
        .collect();
    let account_str = account.clone().unwrap_or_default();
    // Load-balancing rules decide stickiness and steering for the handshakes they match.
    let lb_rules = details
        .load_balancer
        .as_ref()
        .map(|lb| layer::rule_overrides(lb, &lb.locator(&zone_id), Some(&req)))
        .unwrap_or_default();
    notices.extend(lb_rules.notices.iter().cloned());
    let backends = match &details.load_balancer {
        Some(lb) => Backends::LoadBalancer {
            lb,
            account_id: &account_str,
            pools: &details.pools,
            overrides: &lb_rules,
        },
        None => Backends::Records(&proxied_records),
    };
    let (layer, layer_gaps) = layer::build_layer(&details.zone, settings, &backends, &ssl_rule);
    gaps.extend(layer_gaps);

    // Origin Rules: where the next hop is, and what it is told.
    match origin_rules {
        Ok(Some(set)) => {
            let fx = rulesets::effects(&zone_id, set, &req);
            apply_origin_rules(&mut next_hops, &fx, &mut notices);
            rule_notices(&mut notices, &fx, "Origin Rule");
        }
        Ok(None) => {}
        Err(e) => gaps.push(gap_from(
            &format!(
                "Origin Rules of zone {}{sfx} (they can change the next hop's host, port, Host \
                 header or SNI for {host})",
                details.zone.name
            ),
            e,
        )),
    }

    // A CNAME to a tunnel is cloudflared, not an unknown origin.
    let mut tunnel = next_hops
        .iter()
        .find(|h| h.kind == NextHopKind::CloudflareTunnel)
        .map(|h| {
            let record = details
                .records
                .iter()
                .find(|r| zone::normalize_host(&r.content) == h.host)
                .and_then(|r| r.id.clone())
                .unwrap_or_else(|| "?".into());
            layer::tunnel_layer(
                &details.zone,
                &h.host,
                &format!("zone/{zone_id}/dns_records/{record}"),
            )
        });

    if let (Some(t), Some(acct)) = (tunnel.as_mut(), account.as_deref()) {
        apply_tunnel(
            tok,
            acct,
            t,
            &mut next_hops,
            &TunnelAsk {
                host,
                path,
                sfx: &sfx,
            },
            &mut gaps,
            &mut notices,
        )?;
    }

    details.settings = Some(settings.clone());
    Ok(CloudflareOutcome {
        host: host.to_string(),
        presence: Presence::Proxied,
        layer: Some(layer),
        tunnel,
        notices,
        next_hops,
        gaps,
        details: Some(Box::new(details)),
    })
}

/// A pool id and its read.
type PoolRead = (String, Result<Pool, CloudflareError>);

/// Each pool as read, in `ids` order; the ones not read yet are what is needed.
fn pools_of(tok: &TokenInventory, account: &str, ids: &[String]) -> Result<Vec<PoolRead>, Need> {
    let missing: Vec<String> = ids
        .iter()
        .filter(|id| {
            !tok.pools
                .contains_key(&(account.to_string(), (*id).clone()))
        })
        .cloned()
        .collect();
    if !missing.is_empty() {
        return Err(Need::Pools {
            account: account.to_string(),
            ids: missing,
        });
    }
    Ok(ids
        .iter()
        .map(|id| {
            let read = tok.pools[&(account.to_string(), id.clone())].clone();
            (id.clone(), read)
        })
        .collect())
}

struct TunnelAsk<'a> {
    host: &'a str,
    path: &'a str,
    sfx: &'a str,
}

/// A remotely managed tunnel's ingress rule for the request: what cloudflared forwards to,
/// and the `Host` header it sends.
fn apply_tunnel(
    tok: &TokenInventory,
    account: &str,
    layer: &mut Layer,
    hops: &mut [NextHop],
    ask: &TunnelAsk<'_>,
    gaps: &mut Vec<Gap>,
    notices: &mut Vec<String>,
) -> Result<(), Need> {
    let (host, path) = (ask.host, ask.path);
    let Some(hop) = hops
        .iter_mut()
        .find(|h| h.kind == NextHopKind::CloudflareTunnel)
    else {
        return Ok(());
    };
    let tunnel_id = hop.host.split('.').next().unwrap_or("").to_string();
    let locator = format!("account/{account}/cfd_tunnel/{tunnel_id}/configurations");
    let read = tok
        .tunnels
        .get(&(account.to_string(), tunnel_id.clone()))
        .ok_or_else(|| Need::Tunnel {
            account: account.to_string(),
            tunnel: tunnel_id.clone(),
        })?;
    let config = match read {
        Ok(Some(c)) => c,
        Ok(None) => {
            notices.push(format!(
                "Cloudflare Tunnel {tunnel_id} is managed locally: its ingress rules (which \
                 service gets {host}, with which originRequest settings) are in cloudflared's \
                 config.yml, not in the API"
            ));
            return Ok(());
        }
        Err(e) => {
            gaps.push(gap_from(
                &format!(
                    "ingress rules of Cloudflare Tunnel {tunnel_id}{} (where cloudflared sends \
                     {host})",
                    ask.sfx
                ),
                e,
            ));
            return Ok(());
        }
    };
    let Some((i, rule)) = tunnel::matching_rule(config, host, path) else {
        notices.push(format!(
            "no ingress rule of Cloudflare Tunnel {tunnel_id} ({locator}) matches {host}{path}"
        ));
        return Ok(());
    };
    let field = format!("config.ingress[{i}].service");
    let service = rule.service.trim();
    if let Some(code) = service.strip_prefix("http_status:") {
        layer.proxies = Setting::explicit_field(false, locator.clone(), field);
        notices.push(format!(
            "cloudflared answers {host}{path} with HTTP {code} itself ({locator} \
             config.ingress[{i}]): no WebSocket reaches an origin"
        ));
        return Ok(());
    }
    match reqwest::Url::parse(service) {
        Ok(url) if matches!(url.scheme(), "http" | "https" | "ws" | "wss") => {
            let tls = matches!(url.scheme(), "https" | "wss");
            layer.tls_to_origin = Setting::explicit_field(tls, locator.clone(), field.clone());
            layer.name = format!("{} → {service}", layer.name);
            let host_header = rule
                .origin_request
                .as_ref()
                .and_then(|o| o.http_host_header.clone())
                .or_else(|| {
                    config
                        .origin_request
                        .as_ref()
                        .and_then(|o| o.http_host_header.clone())
                });
            if let Some(h) = &host_header {
                hop.host_header = Some(zone::normalize_host(h));
            }
            // cloudflared dials the service's port (its scheme's when the URL names none):
            // that is the socket the proxy behind selects its server on.
            hop.port = url.port_or_known_default();
            notices.push(format!(
                "cloudflared sends {host}{path} to {service} ({locator} config.ingress[{i}]){}",
                host_header
                    .map(|h| format!(" with Host: {h} (originRequest.httpHostHeader)"))
                    .unwrap_or_default()
            ));
        }
        _ => notices.push(format!(
            "cloudflared sends {host}{path} to {service} ({locator} config.ingress[{i}]), \
             which is not an HTTP service"
        )),
    }
    Ok(())
}

/// Rules that could not be evaluated or were not followed, in words.
fn rule_notices(notices: &mut Vec<String>, fx: &rulesets::RuleEffects, kind: &str) {
    for (loc, sets, why) in &fx.undecided {
        notices.push(format!(
            "{kind} {loc} would set {sets} when it matches; wsaudit cannot evaluate its \
             expression ({why}), so it may or may not apply to this hostname"
        ));
    }
    for loc in &fx.not_followed {
        notices.push(format!(
            "{kind} {loc} executes another ruleset, which wsaudit does not follow"
        ));
    }
}

/// An Origin Rule's overrides replace what the DNS record or pool said about the next hop.
fn apply_origin_rules(
    hops: &mut Vec<NextHop>,
    fx: &rulesets::RuleEffects,
    notices: &mut Vec<String>,
) {
    if let Some(h) = &fx.origin_host {
        // The DNS record override sends the request to the origin of another hostname.
        let mut hop = NextHop::new(&h.value, format!("Origin Rule {}", h.locator));
        hop.port = hops.first().and_then(|o| o.port);
        hop.host_header = hops.first().and_then(|o| o.host_header.clone());
        *hops = vec![hop];
    }
    for hop in hops.iter_mut() {
        if let Some(p) = &fx.origin_port {
            hop.port = Some(p.value);
        }
        if let Some(h) = &fx.host_header {
            hop.host_header = Some(zone::normalize_host(&h.value));
        }
    }
    let mut parts = Vec::new();
    if let Some(h) = &fx.origin_host {
        parts.push(format!(
            "the origin is {} ({} {})",
            h.value, h.locator, h.field
        ));
    }
    if let Some(p) = &fx.origin_port {
        parts.push(format!("port {} ({} {})", p.value, p.locator, p.field));
    }
    if let Some(h) = &fx.host_header {
        parts.push(format!("Host: {} ({} {})", h.value, h.locator, h.field));
    }
    if let Some(s) = &fx.sni {
        parts.push(format!("SNI {} ({} {})", s.value, s.locator, s.field));
    }
    if !parts.is_empty() {
        notices.push(format!(
            "Origin Rules change the next hop for this hostname: {}",
            parts.join("; ")
        ));
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
