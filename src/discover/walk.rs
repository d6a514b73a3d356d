//! The order a chain is read in, shared by `wsaudit chain` (live reads) and `wsaudit scan`
//! (read inventories): the edge first (Cloudflare: its record names the next hop), then AWS
//! from that hop, then the proxies behind with the Host and path they receive. One copy of
//! these steps is what keeps the on-call path and the scan from drifting.

use super::{
    discover, request_for_next_layer, resolve_aws, resolve_cloudflare, AwsInventory, ChainRequest,
    CloudflareInventory, Discovered, ProviderOutput, ProviderTask,
};
use crate::model::{Chain, NotConsulted, Provider, RouteChoice};
use crate::providers::aws::is_elb_dns;
use crate::providers::cloudflare::ZonePin;

/// The request the AWS walk starts from once the edge was read: a record pointing at a load
/// balancer's DNS name pins it; any other target is the name Route 53 resolves instead of the
/// domain.
pub fn request_after_edge(req: &ChainRequest, edge: &Discovered) -> ChainRequest {
    let mut next = req.clone();
    // A route being walked names the hop it continues from.
    let chosen = req
        .route_target
        .as_ref()
        .filter(|t| edge.next_hops.contains(t));
    if let (None, Some(t)) = (&next.alb, chosen) {
        if is_elb_dns(t) {
            next.alb = Some(t.clone());
        } else {
            next.via = Some(t.clone());
        }
        return next;
    }
    if next.alb.is_none() {
        match edge.next_hops.iter().find(|h| is_elb_dns(h)) {
            Some(elb) => next.alb = Some(elb.clone()),
            None => next.via = edge.next_hops.first().cloned(),
        }
    }
    next
}

/// The request the proxies behind the read layers receive: the Host and port an Origin Rule,
/// pool origin or tunnel service sends on, unless a load balancer's rule rewrote the request
/// after it (or, for the port, any AWS load balancer sits between).
pub fn request_for_proxies(req: &ChainRequest, found: &Discovered) -> ChainRequest {
    let mut inner = req.clone();
    inner.host_header = found.next_host_header.clone();
    inner.port = found.next_port;
    request_for_next_layer(&found.chain, &inner)
}

/// The request nginx receives when HAProxy is configured too: HAProxy sits in front of it (the
/// order the chain assumes) and connects to nginx on the port of its `server` line, not the one
/// the edge connected to HAProxy on. The Host header passes through HAProxy unchanged.
pub fn request_behind_haproxy(inner: &ChainRequest, haproxy_configured: bool) -> ChainRequest {
    let mut next = inner.clone();
    if haproxy_configured {
        next.port = None;
    }
    next
}

/// A result already in hand, as a task: pure resolutions join the same assembly as live reads.
pub fn ready_task(
    name: &'static str,
    layers: Vec<(String, Provider)>,
    out: ProviderOutput,
) -> ProviderTask {
    ProviderTask {
        name,
        layers,
        run: Box::pin(async move { out }),
    }
}

/// The inventories a scan read: `None` where nothing is configured to read.
#[derive(Default)]
pub struct Inventories {
    pub aws: Option<AwsInventory>,
    pub cloudflare: Option<CloudflareInventory>,
}

/// The edge and AWS layers for `req` over read inventories, in `chain`'s order, without I/O.
pub async fn walk_inventories(
    req: &ChainRequest,
    inv: &Inventories,
    pin: Option<&ZonePin>,
) -> Discovered {
    let not_configured = |provider, what: &str| {
        let mut out = ProviderOutput::default();
        out.not_consulted.push(NotConsulted {
            provider,
            reason: format!("the scan reads no {what}"),
        });
        out
    };
    let cf_out = match &inv.cloudflare {
        Some(c) => resolve_cloudflare(c, req, pin),
        None => not_configured(
            Provider::Cloudflare,
            "Cloudflare account ([[cloudflare.account]] or CLOUDFLARE_API_TOKEN)",
        ),
    };
    let cf = ready_task(
        "cloudflare",
        vec![("cloudflare".into(), Provider::Cloudflare)],
        cf_out,
    );
    let mut found = discover(req, vec![cf]).await;
    let next = request_after_edge(req, &found);
    let aws_out = match &inv.aws {
        Some(a) => resolve_aws(a, &next),
        None => {
            let mut out = not_configured(
                Provider::Cloudfront,
                "AWS account ([[aws.account]] or credentials in the environment)",
            );
            out.not_consulted
                .extend(not_configured(Provider::Alb, "AWS account").not_consulted);
            out
        }
    };
    let aws = ready_task(
        "aws",
        vec![
            ("cloudfront".into(), Provider::Cloudfront),
            ("alb".into(), Provider::Alb),
        ],
        aws_out,
    );
    found.absorb(discover(&next, vec![aws]).await);
    found
}

/// At most this many other routes are walked (a multivalue name may have dozens of record
/// sets); the rest stay path variants that WS108 reports as not audited.
pub const MAX_ROUTES: usize = 16;

/// The pool origins or record sets besides the followed one whose target a walk can read (a
/// CloudFront distribution or a load balancer; a name outside AWS stays a path variant). None
/// when a pin chose the entry point. Past [`MAX_ROUTES`], the rest are named in a notice on
/// `found`'s chain (pool origins) or stay WS108 path variants (record sets): not audited, and
/// said so.
pub fn other_routes(req: &ChainRequest, found: &mut Discovered) -> Vec<RouteChoice> {
    if req.alb.is_some() || req.cloudfront.is_some() {
        return Vec::new();
    }
    let Some(split) = &found.routes else {
        return Vec::new();
    };
    let mut walkable: Vec<RouteChoice> = split
        .others
        .iter()
        .filter(|r| {
            let t = r.target.as_str();
            t.ends_with(".cloudfront.net") || crate::providers::aws::is_elb_dns(t)
        })
        .cloned()
        .collect();
    if walkable.len() > MAX_ROUTES {
        let rest: Vec<String> = walkable.drain(MAX_ROUTES..).map(|r| r.label()).collect();
        // Route 53's are still WS108 path variants (not marked audited); a pool origin has no
        // variant, so the notice is what says it was not walked.
        if split.followed.source == "cloudflare" {
            found.chain.notices.push(crate::model::Notice {
                layer: "cloudflare".into(),
                provider: Provider::Cloudflare,
                message: format!(
                    "{} more pool origins were not audited (at most {MAX_ROUTES} routes are \
                     walked): {}",
                    rest.len(),
                    rest.join("; ")
                ),
            });
        }
    }
    walkable
}

/// Each chain's Route 53 path variants that another chain of the report audits are marked so:
/// they are covered, not blind spots.
pub fn mark_audited(chain: &mut Chain, routes: &mut [Chain]) {
    let audited: Vec<(String, String)> = std::iter::once(&*chain)
        .chain(routes.iter())
        .filter_map(|c| c.route.as_ref())
        .map(|r| (r.locator.clone(), r.field.clone()))
        .collect();
    for c in std::iter::once(chain).chain(routes.iter_mut()) {
        for v in c.layers.iter_mut().flat_map(|l| l.path_variants.iter_mut()) {
            if v.kind == "dns_routing"
                && audited
                    .iter()
                    .any(|(loc, field)| *loc == v.locator && v.field.as_deref() == Some(field))
            {
                v.audited = true;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Chain, Layer, LayerKind, Target};

    fn found(layers: Vec<Layer>, port: Option<u16>) -> Discovered {
        let mut chain = Chain::new(Target {
            domain: "ws.example.com".into(),
            path: "/ws/".into(),
            scheme: crate::model::Scheme::Wss,
        });
        chain.layers = layers;
        Discovered {
            chain,
            timings: Vec::new(),
            elapsed: Default::default(),
            next_hops: Vec::new(),
            next_host_header: Some("app.internal".into()),
            next_port: port,
            routes: None,
        }
    }

    #[test]
    fn the_edges_port_reaches_the_proxies_unless_a_load_balancer_or_haproxy_is_between() {
        let req = ChainRequest::new("ws.example.com", "/ws/");
        let cdn = Layer::new("cloudflare", LayerKind::Cdn, Provider::Cloudflare, "z");
        let inner = request_for_proxies(&req, &found(vec![cdn.clone()], Some(8443)));
        assert_eq!(inner.port, Some(8443));
        assert_eq!(inner.host_header.as_deref(), Some("app.internal"));
        assert_eq!(request_behind_haproxy(&inner, false).port, Some(8443));
        assert_eq!(request_behind_haproxy(&inner, true).port, None);

        // The ALB listens on the edge's port and connects to its target group's: the Host
        // passes through, the port does not.
        let alb = Layer::new("alb", LayerKind::LoadBalancer, Provider::Alb, "a");
        let inner = request_for_proxies(&req, &found(vec![cdn, alb], Some(8443)));
        assert_eq!(inner.port, None);
        assert_eq!(inner.host_header.as_deref(), Some("app.internal"));

        assert_eq!(
            request_for_proxies(&req, &found(Vec::new(), None)).port,
            None
        );
    }

    fn pool_origin(i: usize) -> RouteChoice {
        RouteChoice {
            source: "cloudflare".into(),
            policy: "pool".into(),
            set_identifier: Some("p1".into()),
            detail: None,
            target: format!("lb{i}-1.eu-west-1.elb.amazonaws.com"),
            locator: "zone/z/load_balancers/l".into(),
            field: format!("pools[p1].origins[lb{i}]"),
        }
    }

    #[test]
    fn routes_past_the_bound_are_named_not_dropped_and_a_pin_walks_none() {
        let mut f = found(Vec::new(), None);
        f.routes = Some(super::super::RouteSplit {
            followed: pool_origin(0),
            others: (1..=MAX_ROUTES + 2).map(pool_origin).collect(),
        });
        let req = ChainRequest::new("ws.example.com", "/ws/");
        let walked = other_routes(&req, &mut f);
        assert_eq!(walked.len(), MAX_ROUTES);
        let notice = &f.chain.notices[0].message;
        assert!(
            notice.starts_with("2 more pool origins were not audited"),
            "{notice}"
        );
        assert!(
            notice.contains(&pool_origin(MAX_ROUTES + 2).target),
            "{notice}"
        );

        let mut pinned = req.clone();
        pinned.alb = Some("web".into());
        assert!(other_routes(&pinned, &mut f).is_empty());
    }
}
