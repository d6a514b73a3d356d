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
mod expression;
mod layer;
mod load_balancers;
mod message;
mod outcome;
mod products;
mod rulesets;
mod settings;
mod tunnel;
mod zone;

pub use client::Skipped;
pub use client::{ClientOptions, CloudflareClient, API_URL_ENV, DEFAULT_API_URL, TOKEN_ENV};
pub use envelope::ResultInfo;
pub use error::CloudflareError;
pub use expression::{evaluate as evaluate_expression, Request as RuleRequest, Unsupported};
pub use layer::{apply_probed_idle, ASSUMED_WS_IDLE_S, LAYER_ID};
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
/// `tls_client` is whether the client dials `wss://`.
pub async fn read_request(
    client: &CloudflareClient,
    domain: &str,
    path: &str,
    tls_client: bool,
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

    let account = details_account(&zone);
    let mut gaps = Vec::new();
    let mut notices = Vec::new();
    // Load balancers first: each is a DNS name of its own, which decides what the records
    // walk finds (a load balancer takes precedence over a record of the same name).
    let lbs = match load_balancers::list_load_balancers(client, &zone.id, account.as_deref()).await
    {
        Ok((lbs, skipped)) => {
            for s in &skipped {
                if s.name.as_deref().map(zone::normalize_host).as_deref() == Some(host.as_str()) {
                    gaps.push(gap(
                        GapCode::MalformedResponse,
                        format!("the load balancer named {host}: {}", s.describe()),
                    ));
                } else {
                    notices.push(s.describe());
                }
            }
            lbs
        }
        // Zones without Load Balancing answer "not found": no load balancer, the DNS records
        // decide.
        Err(CloudflareError::NotFound { .. }) => Vec::new(),
        Err(e) => {
            gaps.push(gap_from(
                &format!(
                    "load balancers of zone {} (a load balancer named {host}, or a wildcard one, \
                     would take precedence over its DNS record; the record is used meanwhile)",
                    zone.name
                ),
                &e,
            ));
            Vec::new()
        }
    };
    let lb_names: Vec<String> = lbs.iter().map(|l| zone::normalize_host(&l.name)).collect();
    let resolution = match zone::resolve(client, &zone, &host, &lb_names).await {
        Ok(r) => r,
        Err(e) => {
            gaps.push(gap_from(&format!("DNS records for {host}"), &e));
            let details = ZoneDetails {
                zone,
                records: Vec::new(),
                answered_by: None,
                load_balancer: None,
                pools: Vec::new(),
                settings: None,
            };
            let mut out = CloudflareOutcome::unknown(&host, gaps, Some(details));
            out.notices = notices;
            return out;
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
        zone,
        records: resolution.records,
        answered_by: resolution.source.clone(),
        load_balancer: lb,
        pools: Vec::new(),
        settings: None,
    };

    let (proxied, mut next_hops) = if let Some(lb) = &details.load_balancer {
        details.pools = match &account {
            Some(account) => load_balancers::read_pools(client, account, lb).await,
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
        let mut out = CloudflareOutcome::unknown(&host, gaps, Some(details));
        out.notices = notices;
        return out;
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
            tunnel: None,
            notices,
            next_hops,
            gaps,
            details: Some(Box::new(details)),
        };
    }

    let req = expression::Request {
        host: &host,
        path,
        tls: tls_client,
    };
    let zone_id = details.zone.id.clone();
    let acct = account.as_deref();
    let (settings, config_rules, origin_rules, product_notices) = tokio::join!(
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
        products::notices(client, &zone_id, acct, &host, path),
    );
    notices.extend(product_notices);

    // Configuration Rules: the SSL mode for this hostname.
    let config_fx = match &config_rules {
        Ok(Some(set)) => Some(rulesets::effects(&zone_id, set, &req)),
        Ok(None) => None,
        Err(e) => {
            gaps.push(gap_from(
                &format!(
                    "Configuration Rules of zone {} (they can set the SSL mode for {host}; the \
                     zone's SSL setting is used meanwhile)",
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
    let backends = match &details.load_balancer {
        Some(lb) => Backends::LoadBalancer {
            lb,
            account_id: &account_str,
            pools: &details.pools,
        },
        None => Backends::Records(&proxied_records),
    };
    let (layer, layer_gaps) = layer::build_layer(&details.zone, &settings, &backends, &ssl_rule);
    gaps.extend(layer_gaps);

    // Origin Rules: where the next hop is, and what it is told.
    match &origin_rules {
        Ok(Some(set)) => {
            let fx = rulesets::effects(&zone_id, set, &req);
            apply_origin_rules(&mut next_hops, &fx, &mut notices);
            rule_notices(&mut notices, &fx, "Origin Rule");
        }
        Ok(None) => {}
        Err(e) => gaps.push(gap_from(
            &format!(
                "Origin Rules of zone {} (they can change the next hop's host, port, Host header \
                 or SNI for {host})",
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
        read_tunnel(
            client,
            acct,
            t,
            &mut next_hops,
            &host,
            path,
            &mut gaps,
            &mut notices,
        )
        .await;
    }

    details.settings = Some(settings);
    CloudflareOutcome {
        host,
        presence: Presence::Proxied,
        layer: Some(layer),
        tunnel,
        notices,
        next_hops,
        gaps,
        details: Some(Box::new(details)),
    }
}

/// A remotely managed tunnel's ingress rule for the request: what cloudflared forwards to,
/// and the `Host` header it sends.
#[allow(clippy::too_many_arguments)]
async fn read_tunnel(
    client: &CloudflareClient,
    account: &str,
    layer: &mut crate::model::Layer,
    hops: &mut [NextHop],
    host: &str,
    path: &str,
    gaps: &mut Vec<Gap>,
    notices: &mut Vec<String>,
) {
    use crate::model::Setting;
    let Some(hop) = hops
        .iter_mut()
        .find(|h| h.kind == NextHopKind::CloudflareTunnel)
    else {
        return;
    };
    let tunnel_id = hop.host.split('.').next().unwrap_or("").to_string();
    let locator = format!("account/{account}/cfd_tunnel/{tunnel_id}/configurations");
    let config = match tunnel::read_configuration(client, account, &tunnel_id).await {
        Ok(Some(c)) => c,
        Ok(None) => {
            notices.push(format!(
                "Cloudflare Tunnel {tunnel_id} is managed locally: its ingress rules (which \
                 service gets {host}, with which originRequest settings) are in cloudflared's \
                 config.yml, not in the API"
            ));
            return;
        }
        Err(e) => {
            gaps.push(gap_from(
                &format!("ingress rules of Cloudflare Tunnel {tunnel_id} (where cloudflared sends {host})"),
                &e,
            ));
            return;
        }
    };
    let Some((i, rule)) = tunnel::matching_rule(&config, host, path) else {
        notices.push(format!(
            "no ingress rule of Cloudflare Tunnel {tunnel_id} ({locator}) matches {host}{path}"
        ));
        return;
    };
    let field = format!("config.ingress[{i}].service");
    let service = rule.service.trim();
    if let Some(code) = service.strip_prefix("http_status:") {
        layer.proxies = Setting::explicit_field(false, locator.clone(), field);
        notices.push(format!(
            "cloudflared answers {host}{path} with HTTP {code} itself ({locator} \
             config.ingress[{i}]): no WebSocket reaches an origin"
        ));
        return;
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
}

fn details_account(zone: &Zone) -> Option<String> {
    zone.account.as_ref().map(|a| a.id.clone())
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
