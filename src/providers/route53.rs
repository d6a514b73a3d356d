//! Route 53 as a discovery hint: what the domain's record points at (a CloudFront
//! distribution or a load balancer), read from the hosted zone through `aws-sdk-route53`.
//! Used when no CloudFront alias names the domain, or to find the load balancer directly.
//!
//! A name may have several record sets (weighted, latency, failover, geolocation, multivalue,
//! …): each target one of them answers is a candidate next hop. The one taken first is a
//! failover PRIMARY, else the heaviest weight, else the first listed; the others are
//! returned beside it so the chain can say the path differs for some clients.

use crate::providers::aws::{classify, is_elb_dns, AwsError};
use aws_sdk_route53::types::RrType;
use aws_sdk_route53::Client;

#[derive(Debug, Clone, PartialEq)]
pub enum DnsTarget {
    /// `dxxxx.cloudfront.net`
    CloudFront(String),
    /// An ELB DNS name.
    Elb(String),
    Other(String),
}

impl DnsTarget {
    fn from_name(name: &str) -> DnsTarget {
        let n = name.trim_end_matches('.').to_ascii_lowercase();
        if n.ends_with(".cloudfront.net") {
            DnsTarget::CloudFront(n)
        } else if is_elb_dns(&n) {
            DnsTarget::Elb(n)
        } else {
            DnsTarget::Other(n)
        }
    }
}

/// One record set a name answers with: where it sends clients, and by which routing policy.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub target: DnsTarget,
    /// `simple`, `weighted`, `latency`, `failover`, `geolocation`, `geoproximity`,
    /// `multivalue`, `ip-based`.
    pub policy: String,
    /// `SetIdentifier`, for the policies that have one.
    pub set_identifier: Option<String>,
    /// `weight 10`, `region eu-west-1`, `failover SECONDARY`, `country DE`.
    pub detail: Option<String>,
    /// The record set's name and hosted zone, where a report points.
    pub name: String,
    pub zone_id: String,
}

impl DnsTarget {
    /// The DNS name it stands for.
    pub fn name(&self) -> &str {
        match self {
            DnsTarget::CloudFront(n) | DnsTarget::Elb(n) | DnsTarget::Other(n) => n,
        }
    }
}

/// What a name resolves to: the candidate taken, and every other one its record sets offer.
#[derive(Debug, Clone, PartialEq)]
pub struct Resolved {
    pub target: DnsTarget,
    pub chosen: Candidate,
    /// The other targets the name's record sets can send a client to (at any hop).
    pub others: Vec<Candidate>,
}

/// The records for `domain` in the most specific hosted zone holding it: alias targets or
/// CNAME values. With no record of its own, the closest wildcard record above it
/// (`*.example.com` answers for `chat.example.com`), as DNS would answer. Empty when no zone
/// or record exists.
async fn resolve_record(
    client: &Client,
    zones: &[Zone],
    domain: &str,
    page_size: Option<i32>,
) -> Result<Vec<Candidate>, AwsError> {
    let fqdn = format!("{}.", domain.trim_end_matches('.').to_ascii_lowercase());
    let Some(Zone {
        id: zone,
        name: zone_name,
    }) = best_zone(zones, &fqdn)
    else {
        return Ok(Vec::new());
    };
    let found = record_named(client, zone, &fqdn, page_size).await?;
    if !found.is_empty() {
        return Ok(found);
    }
    // Simplified from DNS: the closest `*.parent` wins; an intermediate name that exists
    // without a wildcard of its own (which would stop a real resolver) is not checked.
    let mut rest = fqdn.as_str();
    while let Some((_, parent)) = rest.split_once('.') {
        if parent.len() < zone_name.len() {
            break;
        }
        let wildcard = format!("*.{parent}");
        let found = record_named(client, zone, &wildcard, page_size).await?;
        if !found.is_empty() {
            return Ok(found);
        }
        rest = parent;
    }
    Ok(Vec::new())
}

/// Every alias target and CNAME value of the record sets named exactly `fqdn`, best first
/// (see the module note), one per target. Record sets of one name may span pages.
async fn record_named(
    client: &Client,
    zone: &str,
    fqdn: &str,
    page_size: Option<i32>,
) -> Result<Vec<Candidate>, AwsError> {
    let mut found: Vec<(i64, Candidate)> = Vec::new();
    let mut start: (String, Option<RrType>, Option<String>) = (fqdn.to_string(), None, None);
    loop {
        let out = client
            .list_resource_record_sets()
            .hosted_zone_id(zone)
            .start_record_name(&start.0)
            .set_start_record_type(start.1.clone())
            .set_start_record_identifier(start.2.clone())
            .set_max_items(page_size)
            .send()
            .await
            .map_err(|e| classify(e, "route53:ListResourceRecordSets"))?;
        let mut past = false;
        for r in out.resource_record_sets() {
            // Route 53 writes the wildcard label as the octal escape `\052`.
            if !r.name().replace("\\052", "*").eq_ignore_ascii_case(fqdn) {
                past = true;
                continue;
            }
            let target = match (r.r#type(), r.alias_target()) {
                (RrType::A | RrType::Aaaa, Some(alias)) => DnsTarget::from_name(alias.dns_name()),
                (RrType::Cname, _) => match r.resource_records().first() {
                    Some(v) => DnsTarget::from_name(v.value()),
                    None => continue,
                },
                _ => continue,
            };
            let (policy, detail, rank) = routing(r);
            if found.iter().any(|(_, c)| c.target == target) {
                continue;
            }
            found.push((
                rank,
                Candidate {
                    target,
                    policy,
                    set_identifier: r.set_identifier().map(str::to_string),
                    detail,
                    name: fqdn.to_string(),
                    zone_id: zone.to_string(),
                },
            ));
        }
        match (out.is_truncated(), out.next_record_name()) {
            (true, Some(next))
                if !past && next.replace("\\052", "*").eq_ignore_ascii_case(fqdn) =>
            {
                start = (
                    next.to_string(),
                    out.next_record_type().cloned(),
                    out.next_record_identifier().map(str::to_string),
                );
            }
            _ => break,
        }
    }
    // Stable: equal ranks keep the listing order.
    found.sort_by_key(|(rank, _)| std::cmp::Reverse(*rank));
    Ok(found.into_iter().map(|(_, c)| c).collect())
}

/// A record set's routing policy, what distinguishes it, and how strongly it is preferred
/// when one candidate has to be taken: a failover PRIMARY first, then by weight.
fn routing(r: &aws_sdk_route53::types::ResourceRecordSet) -> (String, Option<String>, i64) {
    if let Some(f) = r.failover() {
        let primary = f.as_str().eq_ignore_ascii_case("PRIMARY");
        return (
            "failover".into(),
            Some(format!("failover {}", f.as_str())),
            if primary { i64::MAX } else { i64::MIN },
        );
    }
    if let Some(w) = r.weight() {
        return ("weighted".into(), Some(format!("weight {w}")), w);
    }
    if let Some(region) = r.region() {
        return (
            "latency".into(),
            Some(format!("region {}", region.as_str())),
            0,
        );
    }
    if let Some(g) = r.geo_location() {
        let place = g
            .country_code()
            .map(|c| format!("country {c}"))
            .or_else(|| g.continent_code().map(|c| format!("continent {c}")))
            .or_else(|| g.subdivision_code().map(|c| format!("subdivision {c}")));
        return ("geolocation".into(), place, 0);
    }
    if r.geo_proximity_location().is_some() {
        return ("geoproximity".into(), None, 0);
    }
    if r.cidr_routing_config().is_some() {
        return ("ip-based".into(), None, 0);
    }
    if r.multi_value_answer() == Some(true) {
        return ("multivalue".into(), None, 0);
    }
    ("simple".into(), None, 0)
}

/// How many CNAMEs `resolve_through` follows before giving up (a loop, or a chain that never
/// reaches AWS).
const MAX_HOPS: usize = 4;

/// Like `resolve_record`, but follows CNAMEs to other names held in Route 53 until a record
/// names CloudFront or a load balancer (`origin.example.com` CNAME `lb.example.com` ALIAS
/// `…elb.amazonaws.com`). `Ok(None)` when the first name has no record; otherwise the last
/// target reached, with the candidates not taken on the way.
pub async fn resolve_through(
    client: &Client,
    domain: &str,
    page_size: Option<i32>,
) -> Result<Option<Resolved>, AwsError> {
    // Every hop looks in the same zones: list them once.
    let zones = hosted_zones(client, page_size).await?;
    let mut name = domain.trim_end_matches('.').to_ascii_lowercase();
    let mut last: Option<Resolved> = None;
    let mut others = Vec::new();
    for _ in 0..MAX_HOPS {
        let mut all = resolve_record(client, &zones, &name, page_size)
            .await?
            .into_iter();
        let Some(chosen) = all.next() else {
            return Ok(last);
        };
        others.extend(all);
        let done = !matches!(&chosen.target, DnsTarget::Other(next) if *next != name);
        name = chosen.target.name().to_string();
        last = Some(Resolved {
            target: chosen.target.clone(),
            chosen,
            others: others.clone(),
        });
        if done {
            return Ok(last);
        }
    }
    Ok(last)
}

/// A hosted zone: its ID and its lower-case name (`example.com.`).
struct Zone {
    id: String,
    name: String,
}

/// Every hosted zone of the account, all pages.
async fn hosted_zones(client: &Client, page_size: Option<i32>) -> Result<Vec<Zone>, AwsError> {
    let mut marker: Option<String> = None;
    let mut zones = Vec::new();
    loop {
        let out = client
            .list_hosted_zones()
            .set_marker(marker)
            .set_max_items(page_size)
            .send()
            .await
            .map_err(|e| classify(e, "route53:ListHostedZones"))?;
        zones.extend(out.hosted_zones().iter().map(|z| Zone {
            id: z.id().to_string(),
            name: z.name().to_ascii_lowercase(),
        }));
        marker = out
            .next_marker()
            .filter(|m| out.is_truncated() && !m.is_empty())
            .map(str::to_string);
        if marker.is_none() {
            return Ok(zones);
        }
    }
}

/// The longest hosted zone whose name is a suffix of `fqdn`; of zones with the same name
/// (a public and a private one), the first listed.
fn best_zone<'z>(zones: &'z [Zone], fqdn: &str) -> Option<&'z Zone> {
    zones
        .iter()
        .rev()
        .filter(|z| fqdn == z.name || fqdn.ends_with(&format!(".{}", z.name)))
        .max_by_key(|z| z.name.len())
}
