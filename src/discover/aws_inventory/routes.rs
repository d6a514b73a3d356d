//! The entry points an AWS inventory routes that can carry WebSockets, for `wsaudit scan`'s
//! discovered targets.
//!
//! - CloudFront: every alternate domain name of a distribution whose behaviors can carry a
//!   WebSocket. A behavior can when its origin (an origin group's primary member) is a
//!   custom origin or a VPC origin: an S3 origin serves objects and answers no `Upgrade`, so
//!   its paths are left out. The paths are the path patterns of the behaviors that can carry
//!   one, verbatim (`/ws/*`), and `/` for the default behavior when it can.
//! - ALB/NLB: each listener rule's host conditions × its path conditions (an NLB listener has
//!   no rules: the load balancer's DNS name alone), and the load balancer's own DNS name with
//!   the path conditions of all its rules. Rules that only redirect or answer fixed responses
//!   still route a handshake and are kept: what the audit finds of them is the point.
//! - Wildcard hosts (`*.example.com`, `ws-?.example.com`) and regex host conditions are not
//!   names a client dials: they are skipped (a target needs a concrete name; the hosts the
//!   wildcard covers are found through their own records or declared). Regex path conditions
//!   are skipped as paths for the same reason.

use super::AwsInventory;
use crate::discover::{DiscoveredRoute, RoutePins};
use crate::providers::alb::{Condition, LbKind};

pub(super) fn routes(inv: &AwsInventory) -> Vec<DiscoveredRoute> {
    let mut out: Vec<DiscoveredRoute> = Vec::new();
    let mut push = |r: DiscoveredRoute| {
        if !out
            .iter()
            .any(|o| o.domain == r.domain && o.paths == r.paths && o.pins == r.pins)
        {
            out.push(r);
        }
    };

    for d in inv.cloudfront.distributions.values().flatten() {
        let behaviors: Vec<_> = d.behaviors.iter().chain([&d.default_behavior]).collect();
        let carries = |b: &&crate::providers::cloudfront::BehaviorSnapshot| {
            d.origin_for(b)
                .is_some_and(|o| o.custom.is_some() || o.vpc_origin_id.is_some())
        };
        let capable: Vec<_> = behaviors.iter().filter(|b| carries(b)).collect();
        if capable.is_empty() {
            continue;
        }
        // Each behavior is its own route (its origin, policies and timeouts), so each
        // capable one is listed, the default as `/`.
        let paths: Vec<String> = capable
            .iter()
            .map(|b| b.path_pattern.clone().unwrap_or_else(|| "/".into()))
            .collect();
        for alias in &d.aliases {
            if is_wildcard(alias) {
                continue;
            }
            push(DiscoveredRoute {
                domain: alias.trim_end_matches('.').to_ascii_lowercase(),
                paths: paths.clone(),
                from: format!("cloudfront {} alias {alias}", d.id),
                pins: RoutePins {
                    cloudfront: Some(d.id.clone()),
                    ..Default::default()
                },
            });
        }
    }

    for region in inv.regions.values() {
        for e in &region.load_balancers {
            if !matches!(e.lb.kind, LbKind::Application | LbKind::Network) {
                continue;
            }
            let pins = RoutePins {
                alb: Some(e.lb.arn.clone()),
                ..Default::default()
            };
            let mut lb_paths: Vec<String> = Vec::new();
            let listeners = e.listeners.as_ref().and_then(|l| l.as_ref().ok());
            for l in listeners.into_iter().flatten() {
                let rules = l.rules.as_ref().and_then(|r| r.as_ref().ok());
                for rule in rules.into_iter().flatten() {
                    let mut hosts = Vec::new();
                    let mut paths = Vec::new();
                    for c in &rule.conditions {
                        match c {
                            Condition::Host(v) => hosts.extend(v.iter().cloned()),
                            Condition::Path(v) => paths.extend(v.iter().cloned()),
                            _ => {}
                        }
                    }
                    for p in &paths {
                        if !lb_paths.contains(p) {
                            lb_paths.push(p.clone());
                        }
                    }
                    for h in hosts.iter().filter(|h| !is_wildcard(h)) {
                        push(DiscoveredRoute {
                            domain: h.trim_end_matches('.').to_ascii_lowercase(),
                            paths: paths.clone(),
                            from: format!("alb {}", rule.arn),
                            pins: pins.clone(),
                        });
                    }
                }
            }
            if !e.lb.dns_name.is_empty() {
                push(DiscoveredRoute {
                    domain: e.lb.dns_name.trim_end_matches('.').to_ascii_lowercase(),
                    paths: lb_paths,
                    from: format!("alb {} dns name", e.lb.arn),
                    pins,
                });
            }
        }
    }
    out
}

fn is_wildcard(host: &str) -> bool {
    host.contains('*') || host.contains('?')
}
