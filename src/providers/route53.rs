//! Route 53 as a discovery hint: what the domain's record points at (a CloudFront
//! distribution or a load balancer), read from the hosted zone through `aws-sdk-route53`.
//! Used when no CloudFront alias names the domain, or to find the load balancer directly.
//!
//! A name may have several record sets (weighted, latency, failover, geolocation, multivalue,
//! …): each target one of them answers is a candidate next hop. The one taken first is a
//! failover PRIMARY, else the heaviest weight, else the first listed; the others are
//! returned beside it so the chain can say the path differs for some clients.
//!
//! What was read is a [`Route53Inventory`] (every zone and record set for a scan, or only the
//! names one request looked up for `chain`), and names resolve over it without I/O
//! ([`resolve_name`]); [`resolve_through`] is that resolution with the missing records read as
//! it asks for them.

use crate::providers::aws::{classify, is_elb_dns, AwsError, Scope};
use crate::providers::calls::RateBudget;
use aws_sdk_route53::types::RrType;
use aws_sdk_route53::Client;
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum DnsTarget {
    /// `dxxxx.cloudfront.net`
    CloudFront(String),
    /// An ELB DNS name.
    Elb(String),
    Other(String),
}

impl DnsTarget {
    pub fn from_name(name: &str) -> DnsTarget {
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

/// A hosted zone: its ID and its lower-case name (`example.com.`).
#[derive(Debug, Clone, PartialEq)]
pub struct Zone {
    pub id: String,
    pub name: String,
}

/// One record set, free of SDK types: its name (lower case, the wildcard label as `*`), where
/// it sends clients (`None`: not an alias or CNAME, so never a next hop), and its routing.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordSet {
    pub name: String,
    pub target: Option<DnsTarget>,
    pub policy: String,
    pub set_identifier: Option<String>,
    pub detail: Option<String>,
    /// How strongly it is preferred when one candidate is taken (see [`routing`]).
    pub rank: i64,
}

/// A zone's record sets as far as they were read.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ZoneRecords {
    /// `ListResourceRecordSets` over the whole zone.
    pub scope: Scope,
    pub sets: Vec<RecordSet>,
    /// Names looked up one by one (a partial read), and how each lookup ended.
    pub names: Vec<(String, Result<(), AwsError>)>,
}

/// An account's (or several merged accounts') hosted zones and record sets.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Route53Inventory {
    /// `ListHostedZones`: not complete and without failures means not read yet.
    pub zone_scope: Scope,
    pub zones: Vec<Zone>,
    /// By zone ID.
    pub records: BTreeMap<String, ZoneRecords>,
}

impl Route53Inventory {
    pub fn merge(&mut self, other: Route53Inventory) {
        self.zone_scope.merge(other.zone_scope);
        self.zones.extend(other.zones);
        for (id, r) in other.records {
            // A zone only the other account read keeps its own scope: merged into an empty
            // (never read, so incomplete) default it would look unread.
            match self.records.entry(id) {
                std::collections::btree_map::Entry::Vacant(v) => {
                    v.insert(r);
                }
                std::collections::btree_map::Entry::Occupied(mut o) => {
                    let mine = o.get_mut();
                    mine.scope.merge(r.scope);
                    mine.sets.extend(r.sets);
                    mine.names.extend(r.names);
                }
            }
        }
    }

    /// Every record set with a target, and its zone ID.
    pub fn record_sets(&self) -> impl Iterator<Item = (&str, &RecordSet)> {
        self.records
            .iter()
            .flat_map(|(z, r)| r.sets.iter().map(move |s| (z.as_str(), s)))
    }
}

/// What a resolution needs read first.
#[derive(Debug, Clone, PartialEq)]
pub enum R53Need {
    Zones,
    /// The record sets named `name` (an FQDN with its dot) in the zone `zone`.
    Records {
        zone: String,
        name: String,
    },
}

type Step<T> = Result<Result<T, AwsError>, R53Need>;

/// The records for `domain` in the most specific hosted zone holding it: alias targets or
/// CNAME values. With no record of its own, the closest wildcard record above it
/// (`*.example.com` answers for `chat.example.com`), as DNS would answer. Empty when no zone
/// or record exists.
fn resolve_record(inv: &Route53Inventory, domain: &str) -> Step<Vec<Candidate>> {
    let fqdn = format!("{}.", domain.trim_end_matches('.').to_ascii_lowercase());
    let Some(Zone {
        id: zone,
        name: zone_name,
    }) = best_zone(&inv.zones, &fqdn)
    else {
        return Ok(Ok(Vec::new()));
    };
    match record_named(inv, zone, &fqdn)? {
        Ok(found) if !found.is_empty() => return Ok(Ok(found)),
        Ok(_) => {}
        Err(e) => return Ok(Err(e)),
    }
    // Simplified from DNS: the closest `*.parent` wins; an intermediate name that exists
    // without a wildcard of its own (which would stop a real resolver) is not checked.
    let mut rest = fqdn.as_str();
    while let Some((_, parent)) = rest.split_once('.') {
        if parent.len() < zone_name.len() {
            break;
        }
        let wildcard = format!("*.{parent}");
        match record_named(inv, zone, &wildcard)? {
            Ok(found) if !found.is_empty() => return Ok(Ok(found)),
            Ok(_) => {}
            Err(e) => return Ok(Err(e)),
        }
        rest = parent;
    }
    Ok(Ok(Vec::new()))
}

/// Every alias target and CNAME value of the record sets named exactly `fqdn`, best first
/// (see the module note), one per target.
fn record_named(inv: &Route53Inventory, zone: &str, fqdn: &str) -> Step<Vec<Candidate>> {
    let need = || R53Need::Records {
        zone: zone.to_string(),
        name: fqdn.to_string(),
    };
    let Some(records) = inv.records.get(zone) else {
        return Err(need());
    };
    if !records.scope.complete {
        if let Some(e) = records.scope.failure() {
            return Ok(Err(e.clone()));
        }
        match records.names.iter().find(|(n, _)| n == fqdn) {
            None => return Err(need()),
            Some((_, Err(e))) => return Ok(Err(e.clone())),
            Some((_, Ok(()))) => {}
        }
    }
    let mut found: Vec<(i64, Candidate)> = Vec::new();
    for r in records.sets.iter().filter(|r| r.name == fqdn) {
        let Some(target) = &r.target else { continue };
        if found.iter().any(|(_, c)| c.target == *target) {
            continue;
        }
        found.push((
            r.rank,
            Candidate {
                target: target.clone(),
                policy: r.policy.clone(),
                set_identifier: r.set_identifier.clone(),
                detail: r.detail.clone(),
                name: fqdn.to_string(),
                zone_id: zone.to_string(),
            },
        ));
    }
    // Stable: equal ranks keep the listing order.
    found.sort_by_key(|(rank, _)| std::cmp::Reverse(*rank));
    Ok(Ok(found.into_iter().map(|(_, c)| c).collect()))
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

/// Route 53 writes the wildcard label as the octal escape `\052`.
fn record_name(raw: &str) -> String {
    raw.replace("\\052", "*").to_ascii_lowercase()
}

fn record_set(r: &aws_sdk_route53::types::ResourceRecordSet) -> RecordSet {
    let target = match (r.r#type(), r.alias_target()) {
        (RrType::A | RrType::Aaaa, Some(alias)) => Some(DnsTarget::from_name(alias.dns_name())),
        (RrType::Cname, _) => r
            .resource_records()
            .first()
            .map(|v| DnsTarget::from_name(v.value())),
        _ => None,
    };
    let (policy, detail, rank) = routing(r);
    RecordSet {
        name: record_name(r.name()),
        target,
        policy,
        set_identifier: r.set_identifier().map(str::to_string),
        detail,
        rank,
    }
}

/// How many CNAMEs `resolve_through` follows before giving up (a loop, or a chain that never
/// reaches AWS).
const MAX_HOPS: usize = 4;

/// Like `resolve_record`, but follows CNAMEs to other names held in Route 53 until a record
/// names CloudFront or a load balancer (`origin.example.com` CNAME `lb.example.com` ALIAS
/// `…elb.amazonaws.com`). `Ok(None)` when the first name has no record; otherwise the last
/// target reached, with the candidates not taken on the way. Pure: `Err` names what must be
/// read first.
pub fn resolve_name(
    inv: &Route53Inventory,
    domain: &str,
) -> Result<Result<Option<Resolved>, AwsError>, R53Need> {
    resolve_name_preferring(inv, domain, None)
}

/// [`resolve_name`], taking the record set that sends clients to `prefer` (a target's DNS
/// name) wherever one of the names' record sets does, instead of the preferred one: how each
/// candidate is audited in turn.
pub fn resolve_name_preferring(
    inv: &Route53Inventory,
    domain: &str,
    prefer: Option<&str>,
) -> Result<Result<Option<Resolved>, AwsError>, R53Need> {
    if !inv.zone_scope.complete && inv.zone_scope.failures.is_empty() {
        return Err(R53Need::Zones);
    }
    let found = follow(inv, domain, prefer)?;
    // A zone that could not be listed (another account's) may hold what was not found here.
    match (&found, inv.zone_scope.failure()) {
        (Ok(None), Some(e)) => Ok(Err(e.clone())),
        _ => Ok(found),
    }
}

fn follow(
    inv: &Route53Inventory,
    domain: &str,
    prefer: Option<&str>,
) -> Result<Result<Option<Resolved>, AwsError>, R53Need> {
    let mut name = domain.trim_end_matches('.').to_ascii_lowercase();
    let mut last: Option<Resolved> = None;
    let mut others = Vec::new();
    for _ in 0..MAX_HOPS {
        let mut all = match resolve_record(inv, &name)? {
            Ok(all) => all,
            Err(e) => return Ok(Err(e)),
        };
        if all.is_empty() {
            return Ok(Ok(last));
        }
        let at = prefer
            .and_then(|p| all.iter().position(|c| c.target.name() == p))
            .unwrap_or(0);
        let chosen = all.remove(at);
        others.extend(all);
        let done = !matches!(&chosen.target, DnsTarget::Other(next) if *next != name);
        name = chosen.target.name().to_string();
        last = Some(Resolved {
            target: chosen.target.clone(),
            chosen,
            others: others.clone(),
        });
        if done {
            return Ok(Ok(last));
        }
    }
    Ok(Ok(last))
}

/// [`resolve_name`] with what it asks for read from Route 53 (the hosted zones once, then
/// only the record sets of the names it looks up).
pub async fn resolve_through(
    client: &Client,
    domain: &str,
    page_size: Option<i32>,
) -> Result<Option<Resolved>, AwsError> {
    let mut inv = Route53Inventory::default();
    loop {
        match resolve_name(&inv, domain) {
            Ok(r) => return r,
            Err(need) => fetch(client, &mut inv, need, page_size, None).await,
        }
    }
}

/// Reads what `need` names into `inv`; a failure is stored where the answer would be.
pub async fn fetch(
    client: &Client,
    inv: &mut Route53Inventory,
    need: R53Need,
    page_size: Option<i32>,
    budget: Option<&RateBudget>,
) {
    match need {
        R53Need::Zones => match hosted_zones(client, page_size, budget).await {
            Ok(z) => {
                inv.zones = z;
                inv.zone_scope = Scope::complete();
            }
            Err(e) => inv.zone_scope = Scope::failed(e),
        },
        R53Need::Records { zone, name } => {
            let got = records_named(client, &zone, &name, page_size).await;
            let r = inv.records.entry(zone).or_default();
            match got {
                Ok(sets) => {
                    r.sets.extend(sets);
                    r.names.push((name, Ok(())));
                }
                Err(e) => r.names.push((name, Err(e))),
            }
        }
    }
}

/// The record sets named exactly `fqdn`, from the page that starts at it. Record sets of one
/// name may span pages.
async fn records_named(
    client: &Client,
    zone: &str,
    fqdn: &str,
    page_size: Option<i32>,
) -> Result<Vec<RecordSet>, AwsError> {
    let mut found = Vec::new();
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
            if record_name(r.name()) != fqdn {
                past = true;
                continue;
            }
            found.push(record_set(r));
        }
        match (out.is_truncated(), out.next_record_name()) {
            (true, Some(next)) if !past && record_name(next) == fqdn => {
                start = (
                    next.to_string(),
                    out.next_record_type().cloned(),
                    out.next_record_identifier().map(str::to_string),
                );
            }
            _ => return Ok(found),
        }
    }
}

/// Every record set of one zone, each page first awaiting `budget`.
async fn all_records(
    client: &Client,
    zone: &str,
    page_size: Option<i32>,
    budget: &RateBudget,
) -> Result<Vec<RecordSet>, AwsError> {
    let mut found = Vec::new();
    let mut start: Option<(String, Option<RrType>, Option<String>)> = None;
    loop {
        budget.take().await;
        let (name, kind, id) = match &start {
            Some((n, t, i)) => (Some(n.clone()), t.clone(), i.clone()),
            None => (None, None, None),
        };
        let out = client
            .list_resource_record_sets()
            .hosted_zone_id(zone)
            .set_start_record_name(name)
            .set_start_record_type(kind)
            .set_start_record_identifier(id)
            .set_max_items(page_size)
            .send()
            .await
            .map_err(|e| classify(e, "route53:ListResourceRecordSets"))?;
        found.extend(out.resource_record_sets().iter().map(record_set));
        let next = match (out.is_truncated(), out.next_record_name()) {
            (true, Some(next)) => Some((
                next.to_string(),
                out.next_record_type().cloned(),
                out.next_record_identifier().map(str::to_string),
            )),
            _ => None,
        };
        // A service that repeats its position would page forever.
        if next.is_none() || next == start {
            return Ok(found);
        }
        start = next;
    }
}

/// Every hosted zone and every record set of an account, each call first awaiting `budget`.
pub async fn read_all(
    client: &Client,
    page_size: Option<i32>,
    budget: &RateBudget,
) -> Route53Inventory {
    let mut inv = Route53Inventory::default();
    fetch(client, &mut inv, R53Need::Zones, page_size, Some(budget)).await;
    let reads = inv.zones.iter().map(|z| async move {
        let r = all_records(client, &z.id, page_size, budget).await;
        let records = match r {
            Ok(sets) => ZoneRecords {
                scope: Scope::complete(),
                sets,
                names: Vec::new(),
            },
            Err(e) => ZoneRecords {
                scope: Scope::failed(e),
                ..Default::default()
            },
        };
        (z.id.clone(), records)
    });
    inv.records = futures_util::future::join_all(reads)
        .await
        .into_iter()
        .collect();
    inv
}

/// Every hosted zone of the account, all pages.
async fn hosted_zones(
    client: &Client,
    page_size: Option<i32>,
    budget: Option<&RateBudget>,
) -> Result<Vec<Zone>, AwsError> {
    let mut marker: Option<String> = None;
    let mut zones = Vec::new();
    loop {
        if let Some(b) = budget {
            b.take().await;
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn account(zone: &str) -> Route53Inventory {
        let mut inv = Route53Inventory {
            zone_scope: Scope::complete(),
            zones: vec![Zone {
                id: zone.into(),
                name: format!("{zone}.example.org."),
            }],
            records: BTreeMap::new(),
        };
        inv.records.insert(
            zone.into(),
            ZoneRecords {
                scope: Scope::complete(),
                ..Default::default()
            },
        );
        inv
    }

    #[test]
    fn merged_accounts_keep_each_zone_read_whole() {
        let mut a = account("Z1");
        a.merge(account("Z2"));
        assert!(a.zone_scope.complete);
        assert!(a.records["Z1"].scope.complete);
        assert!(
            a.records["Z2"].scope.complete,
            "the second account's zone is read"
        );
    }
}
