//! The Cloudflare inventory: every zone a token can read, with its DNS records, settings,
//! rulesets and load balancers (pools by account), read once, paginated; and the pure
//! resolution of a request to the Cloudflare layer over it.
//!
//! `wsaudit chain` runs the same two parts (`cloudflare_task`: a narrow inventory of the
//! reads one hostname needs, then [`resolve_cloudflare`]), so the on-call path and the scan
//! cannot drift.

use super::{ChainRequest, DiscoveredRoute, ProviderOutput, RoutePins, RouteSplit};
use crate::model::{Gap, NotConsulted, Notice, Provider, RouteChoice, Scheme};
use crate::providers::calls::RateBudget;
use crate::providers::cloudflare::{
    self, CloudflareClient, CloudflareOutcome, Inventory, NextHop, NextHopKind, Presence, ZonePin,
    LAYER_ID,
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

impl CloudflareInventory {
    /// A token that could not be used at all (its variable unset, a malformed token): its
    /// zones are unknown, so a name no other token holds is a gap naming it.
    pub fn unreadable(label: &str, reason: String) -> CloudflareInventory {
        CloudflareInventory {
            inv: Inventory::unreadable(label, reason),
        }
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
    // An ALB or CloudFront next hop listens on the port Cloudflare connects to; what reaches
    // the proxies behind it is its own target's port.
    let direct: Vec<_> = outcome
        .next_hops
        .iter()
        .filter(|h| {
            !matches!(
                h.kind,
                NextHopKind::AwsLoadBalancer | NextHopKind::Cloudfront
            )
        })
        .collect();
    // Without a port of its own, an origin is reached on the port of the protocol Cloudflare
    // speaks to it: 80 in cleartext (SSL mode Off or Flexible), 443 over TLS for a `wss://`
    // visitor. Full follows the visitor's scheme, so a `ws://` visitor's port is left to the
    // proxy's own default.
    let tls = outcome.layer.as_ref().and_then(|l| l.tls_to_origin.value);
    let scheme_port = match (tls, req.scheme) {
        (Some(false), _) => Some(80),
        (Some(true), Scheme::Wss) => Some(443),
        _ => None,
    };
    let port_of = |h: &NextHop| h.port.or(scheme_port);
    out.next_port = direct.iter().find_map(|h| port_of(h));
    if let Some(p) = out.next_port {
        let others: Vec<String> = direct
            .iter()
            .filter(|h| port_of(h) != Some(p))
            .map(|h| match port_of(h) {
                Some(q) => format!("{} (port {q})", h.host),
                None => format!("{} (the scheme's default port)", h.host),
            })
            .collect();
        if !others.is_empty() {
            out.notices.push(Notice {
                layer: LAYER_ID.into(),
                provider: Provider::Cloudflare,
                message: format!(
                    "Cloudflare connects to its next hops on different ports: the proxies behind \
                     are routed for port {p}, while {} receive on another",
                    others.join(", ")
                ),
            });
        }
    }
    out.routes = pool_routes(outcome);
    out.layers.extend(outcome.layer.clone());
    out.layers.extend(outcome.tunnel.clone());
    out.gaps.extend(outcome.gaps.iter().cloned());
    out
}

/// A load balancer whose pools send clients to several AWS entry points (an ALB per region, a
/// CloudFront distribution beside a load balancer): each is a route of its own. The one
/// followed is the hop the walk continues from without a choice (`request_after_edge`: the
/// first load balancer, else the first hop).
fn pool_routes(outcome: &CloudflareOutcome) -> Option<RouteSplit> {
    if outcome.presence != Presence::Proxied {
        return None;
    }
    let details = outcome.details.as_ref()?;
    let lb = details.load_balancer.as_ref()?;
    let hops: Vec<&NextHop> = outcome
        .next_hops
        .iter()
        .filter(|h| h.kind != NextHopKind::CloudflareTunnel)
        .collect();
    let walkable = |h: &NextHop| {
        matches!(
            h.kind,
            NextHopKind::AwsLoadBalancer | NextHopKind::Cloudfront
        )
    };
    if hops.iter().filter(|h| walkable(h)).count() < 2 {
        return None;
    }
    let followed = hops
        .iter()
        .find(|h| h.kind == NextHopKind::AwsLoadBalancer)
        .or(hops.first())?;
    let choice = |h: &NextHop| {
        let pool = h.via.strip_prefix("pool ").unwrap_or(&h.via).to_string();
        RouteChoice {
            source: "cloudflare".into(),
            policy: "pool".into(),
            field: format!("pools[{pool}].origins[{}]", h.host),
            set_identifier: Some(pool),
            detail: lb.steering_policy.as_ref().map(|p| format!("steering {p}")),
            target: h.host.clone(),
            locator: format!("zone/{}/load_balancers/{}", details.zone.id, lb.id),
        }
    };
    Some(RouteSplit {
        followed: choice(followed),
        others: hops
            .iter()
            .filter(|h| walkable(h) && h.host != followed.host)
            .map(|h| choice(h))
            .collect(),
    })
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::GapCode;
    use crate::providers::cloudflare::sample::{self, record, zone, zone_data};
    use crate::providers::cloudflare::{CloudflareError, LoadBalancer, Pool, Ruleset};
    use serde_json::json;

    const ALB: &str = "ws-alb-1.eu-west-1.elb.amazonaws.com";

    /// example.com (proxied ws → ALB, DNS-only api → CloudFront, proxied wildcard, a TXT-only
    /// name, an ACME CNAME) and example.org (a proxied load balancer, one pool).
    fn two_zones() -> CloudflareInventory {
        let com = zone_data(
            zone("z1", "example.com"),
            Ok(vec![
                record("ws.example.com", "CNAME", ALB, true),
                record("api.example.com", "CNAME", "d1.cloudfront.net", false),
                record("*.apps.example.com", "A", "203.0.113.7", true),
                record("txt.example.com", "TXT", "v=spf1 -all", false),
                record(
                    "_acme-challenge.example.com",
                    "CNAME",
                    "x.acme.example",
                    false,
                ),
                record("ws.example.com", "TXT", "owner=team", false),
            ]),
            Vec::new(),
        );
        let lb: LoadBalancer = serde_json::from_value(json!({
            "id": "lb1", "name": "live.example.org", "proxied": true,
            "default_pools": ["p1"], "session_affinity": "cookie"
        }))
        .unwrap();
        let org = zone_data(zone("z2", "example.org"), Ok(Vec::new()), vec![lb]);
        let mut inv = sample::token("CF_PROD", vec![com, org]);
        let pool: Pool = serde_json::from_value(json!({
            "id": "p1", "origins": [{"address": "origin.example.net", "header": {"Host": ["app.internal"]}}]
        }))
        .unwrap();
        sample::add_pool(&mut inv, pool);
        CloudflareInventory { inv }
    }

    fn req(domain: &str, path: &str) -> ChainRequest {
        ChainRequest::new(domain, path)
    }

    #[test]
    fn a_proxied_record_is_the_cdn_layer_and_its_target_the_next_hop() {
        let out = resolve_cloudflare(&two_zones(), &req("WS.example.com.", "/ws"), None);
        assert_eq!(out.layers.len(), 1, "{:?}", out.gaps);
        assert_eq!(out.layers[0].id, "cloudflare");
        assert_eq!(out.layers[0].name, "example.com");
        assert!(out.gaps.is_empty(), "{:?}", out.gaps);
        assert_eq!(out.next_hops, vec![ALB.to_string()]);
        assert!(out.not_consulted.is_empty());
    }

    #[test]
    fn dns_only_no_record_and_no_zone_are_told_apart() {
        let inv = two_zones();
        let dns_only = resolve_cloudflare(&inv, &req("api.example.com", "/"), None);
        assert!(dns_only.layers.is_empty());
        assert_eq!(dns_only.next_hops, vec!["d1.cloudfront.net".to_string()]);
        assert!(dns_only.not_consulted[0].reason.contains("DNS-only"));

        let missing = resolve_cloudflare(&inv, &req("nope.example.com", "/"), None);
        assert_eq!(missing.gaps[0].code, GapCode::NotFound);
        let txt = resolve_cloudflare(&inv, &req("txt.example.com", "/"), None);
        assert!(
            txt.gaps[0].reason.contains("other types only"),
            "{:?}",
            txt.gaps
        );

        let elsewhere = resolve_cloudflare(&inv, &req("ws.example.net", "/"), None);
        assert!(elsewhere.gaps.is_empty());
        assert!(elsewhere.not_consulted[0]
            .reason
            .contains("tried ws.example.net, example.net"));
    }

    #[test]
    fn a_wildcard_answers_deeper_names_and_a_load_balancer_its_own() {
        let inv = two_zones();
        let deep = resolve_cloudflare(&inv, &req("a.apps.example.com", "/"), None);
        assert_eq!(deep.layers.len(), 1, "{:?}", deep.gaps);
        assert_eq!(deep.next_hops, vec!["203.0.113.7".to_string()]);

        let lb = resolve_cloudflare(&inv, &req("live.example.org", "/"), None);
        assert_eq!(lb.layers.len(), 1, "{:?}", lb.gaps);
        assert_eq!(lb.next_hops, vec!["origin.example.net".to_string()]);
        assert_eq!(lb.next_host_header.as_deref(), Some("app.internal"));
    }

    #[test]
    fn an_origin_rule_applies_to_the_paths_it_matches_only() {
        let mut inv = two_zones();
        let rules: Ruleset = serde_json::from_value(json!({
            "id": "rs1", "phase": "http_request_origin",
            "rules": [{"id": "r1", "action": "route",
                "expression": "starts_with(http.request.uri.path, \"/ws\")",
                "action_parameters": {"host_header": "chat.internal", "origin": {"port": 8443}}}]
        }))
        .unwrap();
        inv.inv.tokens[0].data.get_mut("z1").unwrap().origin_rules = Some(Ok(Some(rules)));
        let ws = resolve_cloudflare(&inv, &req("ws.example.com", "/ws/chat"), None);
        assert_eq!(ws.next_host_header.as_deref(), Some("chat.internal"));
        // The next hop is an ALB: it listens on 8443, and what reaches the proxies behind it is
        // its target group's port, which Cloudflare does not say.
        assert_eq!(ws.next_hops, vec![ALB.to_string()]);
        assert_eq!(ws.next_port, None);
        assert!(ws
            .notices
            .iter()
            .any(|n| n.message.contains("zone/z1/rulesets/rs1/rules/r1")));
        let api = resolve_cloudflare(&inv, &req("ws.example.com", "/api"), None);
        assert_eq!(api.next_host_header, None);
    }

    #[test]
    fn an_unreadable_zone_is_a_gap_on_its_names_only_naming_the_token() {
        let mut inv = two_zones();
        let denied = CloudflareError::Forbidden {
            what: "DNS records of zone example.com".into(),
            status: 403,
            errors: Vec::new(),
            permission: Some("DNS Read".into()),
        };
        inv.inv.tokens[0].data.get_mut("z1").unwrap().dns =
            crate::providers::cloudflare::inventory_dns_failed(denied);
        let out = resolve_cloudflare(&inv, &req("ws.example.com", "/"), None);
        assert!(out.layers.is_empty());
        assert_eq!(out.gaps.len(), 1);
        assert_eq!(out.gaps[0].code, GapCode::AccessDenied);
        assert!(
            out.gaps[0].reason.contains("(token CF_PROD)"),
            "{}",
            out.gaps[0].reason
        );
        assert!(out.gaps[0].reason.contains("DNS Read"));
        // The other zone is untouched.
        let lb = resolve_cloudflare(&inv, &req("live.example.org", "/"), None);
        assert!(lb.gaps.is_empty(), "{:?}", lb.gaps);
        assert_eq!(lb.layers.len(), 1);
        // The scan lists the zone's apex so the failure is audited, not dropped.
        let apex = inv
            .routes()
            .into_iter()
            .find(|r| r.domain == "example.com")
            .expect("the apex of an unreadable zone is a route");
        assert!(apex.from.contains("could not be read"), "{}", apex.from);
        assert_eq!(inv.unread().len(), 1);
    }

    #[test]
    fn several_tokens_are_searched_and_a_failed_one_is_said() {
        let throttled = CloudflareError::RateLimited {
            what: "zones".into(),
            attempts: 3,
            retry_after: None,
        };
        let failed = CloudflareInventory {
            inv: sample::unlisted("CF_STAGING", throttled),
        };
        let both = CloudflareInventory::merge(vec![failed.clone(), two_zones()]);
        let out = resolve_cloudflare(&both, &req("ws.example.com", "/"), None);
        assert_eq!(out.layers.len(), 1, "{:?}", out.gaps);
        assert!(out
            .notices
            .iter()
            .any(|n| n.message.contains("token CF_STAGING")));
        // A name no readable token holds: the failed token could, so it is a gap, not "not
        // in Cloudflare".
        let out = resolve_cloudflare(&both, &req("ws.example.net", "/"), None);
        assert!(out.not_consulted.is_empty());
        assert_eq!(out.gaps[0].code, GapCode::Throttled);
        assert!(out.gaps[0].reason.contains("(token CF_STAGING)"));
        assert_eq!(both.unread().len(), 1);
    }

    #[test]
    fn a_whole_inventory_missing_a_read_is_a_gap_never_a_clean_answer() {
        let mut inv = two_zones();
        let d = inv.inv.tokens[0].data.get_mut("z1").unwrap();
        d.settings = None;
        let out = resolve_cloudflare(&inv, &req("ws.example.com", "/"), None);
        assert!(out.layers.is_empty());
        assert_eq!(out.gaps[0].code, GapCode::Unknown);
        assert!(out.gaps[0].reason.contains("settings and rules of zone z1"));
    }

    #[test]
    fn no_token_is_not_consulted_and_a_bad_name_is_refused() {
        let none = CloudflareInventory::default();
        let out = resolve_cloudflare(&none, &req("ws.example.com", "/"), None);
        assert_eq!(out.not_consulted.len(), 1);
        let out = resolve_cloudflare(&two_zones(), &req("ws example.com", "/"), None);
        assert_eq!(out.gaps[0].code, GapCode::InvalidDomain);
    }

    #[test]
    fn a_pin_picks_the_zone_by_name_or_id() {
        let inv = two_zones();
        let by_id = resolve_cloudflare(
            &inv,
            &req("ws.example.com", "/"),
            Some(&ZonePin::Id("z1".into())),
        );
        assert_eq!(by_id.layers.len(), 1);
        let wrong = resolve_cloudflare(
            &inv,
            &req("ws.example.com", "/"),
            Some(&ZonePin::Name("example.org".into())),
        );
        assert_eq!(wrong.gaps[0].code, GapCode::NotFound);
        let missing = resolve_cloudflare(
            &inv,
            &req("ws.example.com", "/"),
            Some(&ZonePin::Name("nope.example".into())),
        );
        assert_eq!(missing.gaps[0].code, GapCode::NotFound);
        assert!(missing.gaps[0].reason.contains("nope.example"));
    }

    #[test]
    fn routes_list_dialable_names_once_with_their_zone_and_token() {
        let routes = two_zones().routes();
        let names: Vec<(&str, &str)> = routes
            .iter()
            .map(|r| (r.domain.as_str(), r.from.as_str()))
            .collect();
        assert_eq!(
            names,
            vec![
                (
                    "ws.example.com",
                    "cloudflare zone example.com record ws.example.com (token CF_PROD)"
                ),
                (
                    "api.example.com",
                    "cloudflare zone example.com record api.example.com, DNS-only (token CF_PROD)"
                ),
                (
                    "live.example.org",
                    "cloudflare zone example.org load balancer live.example.org (token CF_PROD)"
                ),
            ]
        );
        for r in &routes {
            assert!(r.paths.is_empty());
            assert_eq!(r.pins.alb, None);
        }
        assert_eq!(
            routes[0].pins.cloudflare_zone.as_deref(),
            Some("example.com")
        );
        assert_eq!(
            routes[2].pins.cloudflare_zone.as_deref(),
            Some("example.org")
        );
        // Each route resolves from its pin to what a walk from the name finds.
        for r in &routes {
            let pin = ZonePin::Name(r.pins.cloudflare_zone.clone().unwrap());
            let pinned = resolve_cloudflare(&two_zones(), &req(&r.domain, "/"), Some(&pin));
            let walked = resolve_cloudflare(&two_zones(), &req(&r.domain, "/"), None);
            assert_eq!(pinned.next_hops, walked.next_hops);
            assert_eq!(pinned.layers.len(), walked.layers.len());
        }
    }

    #[test]
    fn an_empty_non_terminal_stops_the_wildcard_in_a_whole_zone_too() {
        let com = zone_data(
            zone("z1", "example.com"),
            Ok(vec![
                record("*.example.com", "CNAME", ALB, true),
                record("x.b.example.com", "A", "192.0.2.4", true),
            ]),
            Vec::new(),
        );
        let inv = CloudflareInventory {
            inv: sample::token("CF_PROD", vec![com]),
        };
        // b.example.com exists (x.b is below it), so *.example.com does not cover a.b.
        let out = resolve_cloudflare(&inv, &req("a.b.example.com", "/"), None);
        assert!(out.layers.is_empty());
        assert_eq!(out.gaps[0].code, GapCode::NotFound);
        // c.example.com has nothing below it: the wildcard answers.
        let out = resolve_cloudflare(&inv, &req("a.c.example.com", "/"), None);
        assert_eq!(out.next_hops, vec![ALB.to_string()]);
        // Neither the wildcard nor anything but x.b is a route.
        let names: Vec<String> = inv.routes().into_iter().map(|r| r.domain).collect();
        assert_eq!(names, vec!["x.b.example.com".to_string()]);
    }

    /// The scan spawns the reads on its runtime: the futures must be `Send`, the inventory
    /// shareable across its tasks.
    #[test]
    fn the_reads_can_be_spawned_and_the_inventory_shared() {
        fn send<T: Send>(_: &T) {}
        fn shared<T: Send + Sync>() {}
        let client = CloudflareClient::new(None, None, Default::default()).unwrap();
        let all = CloudflareInventory::read_all("CF", &client, RateBudget::cloudflare());
        send(&all);
        let r = req("ws.example.com", "/");
        let narrow = CloudflareInventory::read_for(&client, &r, None);
        send(&narrow);
        shared::<CloudflareInventory>();
    }
}
