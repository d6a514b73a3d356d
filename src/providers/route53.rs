//! Route 53 as a discovery hint: what the domain's record points at (a CloudFront
//! distribution or a load balancer), read from the hosted zone through `aws-sdk-route53`.
//! Used when no CloudFront alias names the domain, or to find the load balancer directly.

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

/// The record for `domain` in the most specific hosted zone holding it: an alias target or a
/// CNAME's value. With no record of its own, the closest wildcard record above it
/// (`*.example.com` answers for `chat.example.com`), as DNS would answer. `Ok(None)` when no
/// zone or record exists.
async fn resolve_record(
    client: &Client,
    zones: &[Zone],
    domain: &str,
    page_size: Option<i32>,
) -> Result<Option<DnsTarget>, AwsError> {
    let fqdn = format!("{}.", domain.trim_end_matches('.').to_ascii_lowercase());
    let Some(Zone {
        id: zone,
        name: zone_name,
    }) = best_zone(zones, &fqdn)
    else {
        return Ok(None);
    };
    if let Some(found) = record_named(client, zone, &fqdn, page_size).await? {
        return Ok(Some(found));
    }
    // Simplified from DNS: the closest `*.parent` wins; an intermediate name that exists
    // without a wildcard of its own (which would stop a real resolver) is not checked.
    let mut rest = fqdn.as_str();
    while let Some((_, parent)) = rest.split_once('.') {
        if parent.len() < zone_name.len() {
            break;
        }
        let wildcard = format!("*.{parent}");
        if let Some(found) = record_named(client, zone, &wildcard, page_size).await? {
            return Ok(Some(found));
        }
        rest = parent;
    }
    Ok(None)
}

/// The alias target (or else the CNAME value) of the records named exactly `fqdn`.
async fn record_named(
    client: &Client,
    zone: &str,
    fqdn: &str,
    page_size: Option<i32>,
) -> Result<Option<DnsTarget>, AwsError> {
    let out = client
        .list_resource_record_sets()
        .hosted_zone_id(zone)
        .start_record_name(fqdn)
        .set_max_items(page_size)
        .send()
        .await
        .map_err(|e| classify(e, "route53:ListResourceRecordSets"))?;
    let mut cname = None;
    for r in out.resource_record_sets() {
        // Route 53 writes the wildcard label as the octal escape `\052`.
        if !r.name().replace("\\052", "*").eq_ignore_ascii_case(fqdn) {
            continue;
        }
        match (r.r#type(), r.alias_target()) {
            (RrType::A | RrType::Aaaa, Some(alias)) => {
                return Ok(Some(DnsTarget::from_name(alias.dns_name())));
            }
            (RrType::Cname, _) => {
                cname = r
                    .resource_records()
                    .first()
                    .map(|v| DnsTarget::from_name(v.value()));
            }
            _ => {}
        }
    }
    Ok(cname)
}

/// How many CNAMEs `resolve_through` follows before giving up (a loop, or a chain that never
/// reaches AWS).
const MAX_HOPS: usize = 4;

/// Like `resolve_record`, but follows CNAMEs to other names held in Route 53 until a record
/// names CloudFront or a load balancer (`origin.example.com` CNAME `lb.example.com` ALIAS
/// `…elb.amazonaws.com`). `Ok(None)` when the first name has no record; otherwise the last
/// target reached.
pub async fn resolve_through(
    client: &Client,
    domain: &str,
    page_size: Option<i32>,
) -> Result<Option<DnsTarget>, AwsError> {
    // Every hop looks in the same zones: list them once.
    let zones = hosted_zones(client, page_size).await?;
    let mut name = domain.trim_end_matches('.').to_ascii_lowercase();
    let mut last = None;
    for _ in 0..MAX_HOPS {
        match resolve_record(client, &zones, &name, page_size).await? {
            Some(DnsTarget::Other(next)) if next != name => {
                name.clone_from(&next);
                last = Some(DnsTarget::Other(next));
            }
            Some(target) => return Ok(Some(target)),
            None => return Ok(last),
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
