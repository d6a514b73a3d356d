//! Planned resources linked into chains, the way discovery links live ones: a Cloudflare
//! record's content (or a Cloudflare load balancer's pool origin) → a CloudFront distribution
//! or a load balancer; the distribution's origin for the path → a load balancer (by reference
//! or DNS name); the load balancer → its listener → the rule for the host and path → the
//! target groups.
//!
//! Without a domain every chain the code defines is listed: one per DNS name (record or
//! Cloudflare load balancer), then one per distribution and per load balancer nothing in the
//! code fronts, each for the WebSocket-looking paths its behaviors or rules name (`/` when
//! none does). With a domain, the chain serving it.

use super::inventory::*;
use super::layers::{alb_layer, cloudflare_layer, cloudfront_layer, zone_of, CfBackend, LbHop};
use crate::model::{Chain, NotConsulted, Provider, Scheme, Target};
use crate::providers::alb::Condition;
use crate::providers::aws::is_elb_dns;
use crate::providers::aws_wildcard::wildcard_match;
use crate::providers::cloudfront::alias_rank;

/// One chain the code defines.
#[derive(Debug, Clone)]
pub struct PlannedChain {
    pub chain: Chain,
    /// The resource the chain starts at (a record, a distribution, a load balancer).
    pub entry: String,
    /// Why a hop could not be linked or read, for progress messages.
    pub notes: Vec<String>,
}

#[derive(Clone, Copy)]
enum Start<'a> {
    Record(&'a PRecord),
    CfLb(&'a PCfLb),
    Dist(&'a PDist),
    Lb(&'a PLb),
}

impl Start<'_> {
    fn key(&self) -> &str {
        match self {
            Start::Record(r) => &r.key,
            Start::CfLb(l) => &l.key,
            Start::Dist(d) => &d.key,
            Start::Lb(l) => &l.key,
        }
    }
}

/// A record's full name: `@` is the zone apex, a relative name is under the zone.
fn fqdn(inv: &Inventory, r: &PRecord) -> String {
    let (_, zone, _) = zone_of(inv, &r.zone);
    let name = r.name.trim().trim_end_matches('.').to_ascii_lowercase();
    match zone.map(|z| z.trim_end_matches('.').to_ascii_lowercase()) {
        Some(z) if name == "@" || name.is_empty() => z,
        Some(z) if name == z || name.ends_with(&format!(".{z}")) => name,
        Some(z) => format!("{name}.{z}"),
        None => name,
    }
}

/// The entries `link` names: a distribution or a load balancer of the code.
fn next_of<'a>(inv: &'a Inventory, link: &Link) -> Option<Start<'a>> {
    if let Some(d) = inv
        .distributions
        .iter()
        .find(|d| links_to(link, &d.key, &d.ids))
    {
        return Some(Start::Dist(d));
    }
    inv.lbs
        .iter()
        .find(|l| links_to(link, &l.key, &l.ids))
        .map(Start::Lb)
}

const WS_WORDS: &[&str] = &[
    "ws",
    "socket",
    "cable",
    "hub",
    "live",
    "realtime",
    "stream",
    "subscriptions",
    "graphql",
];

/// `/ws/*` → `/ws/`: a path the pattern matches, as a client would send it.
fn path_of(pattern: &str) -> String {
    let cut = pattern.find(['*', '?']).unwrap_or(pattern.len());
    let p = &pattern[..cut];
    if p.starts_with('/') {
        p.to_string()
    } else {
        format!("/{p}")
    }
}

fn ws_like(pattern: &str) -> bool {
    let p = pattern.to_ascii_lowercase();
    p.split(|c: char| !c.is_ascii_alphanumeric()).any(|w| {
        WS_WORDS
            .iter()
            .any(|k| w == *k || (w.starts_with(k) && w.len() <= k.len() + 2))
    })
}

fn lb_rules<'a>(inv: &'a Inventory, lb: &PLb) -> impl Iterator<Item = &'a PRule> {
    let listeners: Vec<&PListener> = inv
        .listeners
        .iter()
        .filter(|l| links_to(&l.lb, &lb.key, &lb.ids))
        .collect();
    inv.rules.iter().filter(move |r| {
        listeners
            .iter()
            .any(|l| links_to(&r.listener, &l.key, &l.ids))
    })
}

/// The WebSocket-looking paths the first hop of the code names.
fn candidate_paths(inv: &Inventory, start: Start) -> Vec<String> {
    let first = match start {
        Start::Record(r) => next_of(inv, &r.content),
        Start::CfLb(l) => l.pools.iter().find_map(|p| {
            inv.pools
                .iter()
                .filter(|x| links_to(p, &x.key, &x.ids))
                .flat_map(|x| x.origins.iter())
                .find_map(|(a, _)| next_of(inv, a))
        }),
        s => Some(s),
    };
    let mut out: Vec<String> = Vec::new();
    let mut add = |p: String| {
        if !out.contains(&p) {
            out.push(p);
        }
    };
    match first {
        Some(Start::Dist(d)) => d
            .behaviors
            .iter()
            .filter_map(|b| b.path_pattern.as_deref())
            .filter(|p| ws_like(p))
            .for_each(|p| add(path_of(p))),
        Some(Start::Lb(lb)) => lb_rules(inv, lb)
            .flat_map(|r| r.conditions.iter())
            .filter_map(|c| match c {
                Condition::Path(v) => Some(v),
                _ => None,
            })
            .flatten()
            .filter(|p| ws_like(p))
            .for_each(|p| add(path_of(p))),
        _ => {}
    }
    if out.is_empty() {
        out.push("/".into());
    }
    out
}

fn outside(inv: &Inventory, link: &Link, what: &str) -> NotConsulted {
    let lit = link.literal.as_deref().unwrap_or_default();
    let provider = if is_elb_dns(lit) {
        Provider::Alb
    } else if lit.ends_with(".cloudfront.net") {
        Provider::Cloudfront
    } else {
        Provider::Other
    };
    let reason = match (&link.literal, &link.unknown) {
        (Some(l), _) => format!(
            "{what} {l} is not defined in {}: the next hop is read live (`wsaudit chain --domain …`)",
            inv.file
        ),
        (None, Some(u)) => format!("{what} is {u}, and names no resource of {}", inv.file),
        (None, None) => format!("{what} is not set"),
    };
    NotConsulted { provider, reason }
}

fn default_port(scheme: Scheme) -> u16 {
    match scheme {
        Scheme::Wss => 443,
        Scheme::Ws => 80,
    }
}

/// Walks from `start` inwards, adding each hop's layer.
fn walk(inv: &Inventory, domain: &str, path: &str, scheme: Scheme, start: Start) -> PlannedChain {
    let mut chain = Chain::new(Target {
        domain: domain.to_string(),
        path: path.to_string(),
        scheme,
    });
    let mut notes = Vec::new();
    let mut host = domain.to_string();
    let mut port = default_port(scheme);
    let mut next: Option<Start> = Some(start);
    let mut seen: Vec<String> = Vec::new();
    while let Some(hop) = next.take() {
        if seen.iter().any(|k| k == hop.key()) {
            break;
        }
        seen.push(hop.key().to_string());
        match hop {
            Start::Record(r) => {
                match &r.proxied {
                    Val::Known(true, _) => {
                        chain
                            .layers
                            .push(cloudflare_layer(inv, domain, &CfBackend::Record(r)))
                    }
                    Val::Known(false, _) => {}
                    Val::Unknown(reason, _) => chain.not_consulted.push(NotConsulted {
                        provider: Provider::Cloudflare,
                        reason: format!("whether {} is proxied is {reason}", r.key),
                    }),
                }
                next = next_of(inv, &r.content);
                if next.is_none() {
                    chain.not_consulted.push(outside(
                        inv,
                        &r.content,
                        &format!("the record {}'s content", r.key),
                    ));
                }
            }
            Start::CfLb(l) => {
                if l.proxied {
                    chain
                        .layers
                        .push(cloudflare_layer(inv, domain, &CfBackend::Lb(l)));
                }
                let origins: Vec<&Link> = l
                    .pools
                    .iter()
                    .flat_map(|p| inv.pools.iter().filter(|x| links_to(p, &x.key, &x.ids)))
                    .flat_map(|x| x.origins.iter().filter(|(_, e)| *e).map(|(a, _)| a))
                    .collect();
                next = origins.iter().find_map(|a| next_of(inv, a));
                if next.is_none() {
                    if let Some(a) = origins.first() {
                        chain.not_consulted.push(outside(
                            inv,
                            a,
                            &format!("the pool origin of {}", l.key),
                        ));
                    }
                }
            }
            Start::Dist(d) => {
                let (layer, origin, snapshot) = cloudfront_layer(inv, d, domain, path, scheme);
                chain.layers.push(layer);
                match origin {
                    Some(o) => {
                        host = snapshot.origin_host(domain);
                        if let Some(c) = &snapshot.origin.as_ref().and_then(|o| o.custom.clone()) {
                            port = u16::try_from(c.port(scheme)).unwrap_or(port);
                        }
                        next = next_of(inv, &o.domain);
                        if next.is_none() {
                            chain.not_consulted.push(outside(
                                inv,
                                &o.domain,
                                &format!(
                                    "the CloudFront origin {} of {} for {}",
                                    o.id,
                                    d.key,
                                    snapshot.behavior.label()
                                ),
                            ));
                        }
                    }
                    None => notes.push(format!(
                        "{}: {} targets origin {}, which the distribution does not define",
                        d.key,
                        snapshot.behavior.label(),
                        snapshot.behavior.target_origin_id
                    )),
                }
            }
            Start::Lb(lb) => {
                let (layer, n) = alb_layer(
                    inv,
                    &LbHop {
                        lb,
                        host: host.clone(),
                        path: path.to_string(),
                        port: Some(port),
                    },
                );
                notes.extend(n);
                chain.layers.push(layer);
            }
        }
    }
    PlannedChain {
        chain,
        entry: start.key().to_string(),
        notes,
    }
}

/// Every entry point of the code with the domain it serves.
fn entries(inv: &Inventory) -> Vec<(String, Start<'_>)> {
    let mut out: Vec<(String, Start)> = Vec::new();
    let mut fronted: Vec<String> = Vec::new();
    let mark = |s: Option<Start>, fronted: &mut Vec<String>| {
        if let Some(s) = s {
            fronted.push(s.key().to_string());
            if let Start::Dist(d) = s {
                for o in &d.origins {
                    if let Some(n) = next_of(inv, &o.domain) {
                        fronted.push(n.key().to_string());
                    }
                }
            }
        }
    };
    // A Cloudflare load balancer named like a record takes precedence over it (Load Balancing
    // docs), as in a live read.
    let lb_names: Vec<String> = inv
        .cf_lbs
        .iter()
        .map(|l| l.name.trim_end_matches('.').to_ascii_lowercase())
        .collect();
    for r in &inv.records {
        if matches!(
            r.record_type.to_ascii_uppercase().as_str(),
            "A" | "AAAA" | "CNAME"
        ) && !lb_names.contains(&fqdn(inv, r))
        {
            out.push((fqdn(inv, r), Start::Record(r)));
            mark(next_of(inv, &r.content), &mut fronted);
        }
    }
    for l in &inv.cf_lbs {
        out.push((
            l.name.trim_end_matches('.').to_ascii_lowercase(),
            Start::CfLb(l),
        ));
        for p in &l.pools {
            for x in inv.pools.iter().filter(|x| links_to(p, &x.key, &x.ids)) {
                for (a, _) in &x.origins {
                    mark(next_of(inv, a), &mut fronted);
                }
            }
        }
    }
    for d in &inv.distributions {
        if fronted.contains(&d.key) {
            continue;
        }
        let domain = d
            .aliases
            .first()
            .cloned()
            .or_else(|| d.domain_name.clone())
            .unwrap_or_else(|| d.key.clone());
        out.push((domain, Start::Dist(d)));
        mark(Some(Start::Dist(d)), &mut fronted);
    }
    for lb in &inv.lbs {
        if fronted.contains(&lb.key) {
            continue;
        }
        let host = lb_rules(inv, lb)
            .flat_map(|r| r.conditions.iter())
            .find_map(|c| match c {
                Condition::Host(v) => v.iter().find(|h| !h.contains(['*', '?'])).cloned(),
                _ => None,
            });
        let domain = host
            .or_else(|| lb.dns_name.clone())
            .or_else(|| lb.name.clone())
            .unwrap_or_else(|| lb.key.clone());
        out.push((domain, Start::Lb(lb)));
    }
    out
}

/// Every chain the code defines (no domain), or the one serving `domain` (an empty list when
/// nothing in the code serves it).
pub fn planned_chains(
    inv: &Inventory,
    query: Option<(&str, &str)>,
    scheme: Scheme,
) -> Vec<PlannedChain> {
    let all = entries(inv);
    match query {
        None => all
            .into_iter()
            .flat_map(|(domain, start)| {
                candidate_paths(inv, start)
                    .into_iter()
                    .map(move |p| (domain.clone(), p, start))
            })
            .map(|(domain, path, start)| walk(inv, &domain, &path, scheme, start))
            .collect(),
        Some((domain, path)) => {
            let domain = domain.trim_end_matches('.').to_ascii_lowercase();
            let named = all.iter().find(|(d, s)| {
                matches!(s, Start::Record(_) | Start::CfLb(_))
                    && (d == &domain || (d.starts_with("*.") && wildcard_match(d, &domain, true)))
            });
            let by_alias = || {
                inv.distributions
                    .iter()
                    .filter_map(|d| {
                        d.aliases
                            .iter()
                            .filter_map(|a| alias_rank(a, &domain))
                            .max()
                            .map(|r| (r, d))
                    })
                    .max_by_key(|(r, _)| *r)
                    .map(|(_, d)| Start::Dist(d))
            };
            let by_host = || {
                inv.lbs
                    .iter()
                    .find(|lb| {
                        lb_rules(inv, lb).any(|r| {
                            r.conditions.iter().any(|c| {
                                matches!(c, Condition::Host(v) if v.iter().any(|h| wildcard_match(h, &domain, true)))
                            })
                        })
                    })
                    .map(Start::Lb)
            };
            // A load balancer nothing in the code fronts serves whatever name points at it.
            let unfronted = || match all
                .iter()
                .filter(|(_, s)| matches!(s, Start::Lb(_)))
                .collect::<Vec<_>>()
                .as_slice()
            {
                [(_, one)] => Some(*one),
                _ => None,
            };
            let start = named
                .map(|(_, s)| *s)
                .or_else(by_alias)
                .or_else(by_host)
                .or_else(unfronted);
            start
                .map(|s| vec![walk(inv, &domain, path, scheme, s)])
                .unwrap_or_default()
        }
    }
}

/// The domains the code serves, for the message when a `--domain` is not among them.
pub fn served_domains(inv: &Inventory) -> Vec<String> {
    let mut out: Vec<String> = entries(inv).into_iter().map(|(d, _)| d).collect();
    for d in &inv.distributions {
        out.extend(d.aliases.iter().cloned());
    }
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn websocket_looking_patterns_become_paths() {
        assert!(ws_like("/ws/*"));
        assert!(ws_like("/socket.io/*"));
        assert!(ws_like("/cable"));
        assert!(!ws_like("/static/*"));
        assert!(!ws_like("/news/*"));
        assert_eq!(path_of("/ws/*"), "/ws/");
        assert_eq!(path_of("ws*"), "/ws");
    }
}
