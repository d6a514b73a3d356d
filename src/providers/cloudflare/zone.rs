//! Which Cloudflare zone holds a hostname, and the hostname's DNS record in it.
//!
//! Endpoints (API v4 reference): `GET /zones?name=<zone>` (List Zones, filtered by exact name),
//! `GET /zones/{zone_id}` (Zone Details), `GET /zones/{zone_id}/dns_records?name=<fqdn>`
//! and `?name.endswith=<suffix>` (List DNS Records, with its name filters).

use super::client::{CloudflareClient, Listed, Skipped};
use super::error::CloudflareError;
use super::inventory::{Dns, Need};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Zone {
    pub id: String,
    pub name: String,
    /// `active`, `pending`, `initializing`, `moved`, `deleted`, `deactivated`.
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub plan: Option<ZonePlan>,
    /// Load-balancer pools live under the account, not the zone.
    #[serde(default)]
    pub account: Option<ZoneAccount>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ZonePlan {
    #[serde(default)]
    pub id: Option<String>,
    /// "Free Website", "Pro Website", "Business Website", "Enterprise Website".
    #[serde(default)]
    pub name: Option<String>,
    /// `free`, `pro`, `business`, `enterprise`.
    #[serde(default)]
    pub legacy_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ZoneAccount {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
}

/// A `--cloudflare-zone NAME|ID` pin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ZonePin {
    Name(String),
    Id(String),
}

impl ZonePin {
    /// Zone ids are 32 lowercase hex digits; anything else is taken as a zone name.
    pub fn parse(text: &str) -> ZonePin {
        let t = text.trim();
        if t.len() == 32 && t.chars().all(|c| c.is_ascii_hexdigit()) {
            ZonePin::Id(t.to_ascii_lowercase())
        } else {
            ZonePin::Name(normalize_host(t))
        }
    }
}

/// A DNS record of the hostname. Only A, AAAA and CNAME (the proxiable types) carry HTTP;
/// the others still make the name exist.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DnsRecord {
    #[serde(default)]
    pub id: Option<String>,
    pub name: String,
    #[serde(rename = "type")]
    pub record_type: String,
    pub content: String,
    /// The API's default is `false` (DNS only, "grey cloud"); `null` reads as that too.
    #[serde(default, deserialize_with = "null_as_false")]
    pub proxied: bool,
    #[serde(default)]
    pub proxiable: Option<bool>,
}

fn null_as_false<'de, D: serde::Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    Ok(Option::<bool>::deserialize(d)?.unwrap_or(false))
}

/// Lower-case, without the trailing root dot.
pub fn normalize_host(host: &str) -> String {
    host.trim().trim_end_matches('.').to_ascii_lowercase()
}

/// Whether `host` looks like a DNS name (it goes into query strings and error messages).
pub fn is_valid_host(host: &str) -> bool {
    !host.is_empty()
        && host.len() <= 253
        && host.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        })
}

/// The names a zone for `host` could have, longest first: `a.b.example.co.uk`,
/// `b.example.co.uk`, `example.co.uk`, `co.uk`. Without a public-suffix list the walk stops at
/// two labels; asking for `co.uk` costs one request and simply finds nothing.
pub fn candidate_zone_names(host: &str) -> Vec<String> {
    let labels: Vec<&str> = host.split('.').collect();
    if labels.len() < 2 {
        return vec![host.to_string()];
    }
    (0..=labels.len() - 2)
        .map(|i| labels[i..].join("."))
        .collect()
}

/// Token permissions (Cloudflare's names, API token permissions reference) each read needs.
pub(crate) const ZONE_READ: &str = "Zone Read";
pub(crate) const DNS_READ: &str = "DNS Read";

pub(crate) async fn zone_by_name(
    client: &CloudflareClient,
    name: &str,
) -> Result<Option<Zone>, CloudflareError> {
    let got = client
        .get_all::<Zone>(
            &format!("zone named {name}"),
            &["zones"],
            &[("name", name.to_string())],
            50,
        )
        .await;
    match got {
        Ok(l) => pick_zone(&l, name),
        Err(e) => Err(client.explain_denial(e, ZONE_READ, None).await),
    }
}

/// The zone named `name` in a list of zones (a `?name=` answer, or every zone of a token).
pub(crate) fn pick_zone(
    listed: &Listed<Zone>,
    name: &str,
) -> Result<Option<Zone>, CloudflareError> {
    // A zone of this very name that could not be decoded is not "no zone": that would read
    // as "not in Cloudflare", a verdict the answer does not support.
    if let Some(s) = listed.skipped.iter().find(|s| s.names(name)) {
        return Err(CloudflareError::Malformed {
            what: format!("zone named {name}"),
            message: s.describe(),
        });
    }
    let mut matching: Vec<&Zone> = listed
        .items
        .iter()
        .filter(|z| normalize_host(&z.name) == name)
        .collect();
    // A name can appear twice while a zone moves between accounts: the active one serves.
    matching.sort_by_key(|z| z.status.as_deref() != Some("active"));
    Ok(matching.into_iter().next().cloned())
}

pub(crate) async fn zone_by_id(
    client: &CloudflareClient,
    id: &str,
) -> Result<Zone, CloudflareError> {
    match client
        .get::<Zone>(&format!("zone {id}"), &["zones", id], &[])
        .await
    {
        Ok(p) => Ok(p.result),
        Err(e) => Err(client.explain_denial(e, ZONE_READ, None).await),
    }
}

/// Every zone the token can read (`GET /zones`, 50 a page: the endpoint's maximum).
pub(crate) async fn list_zones(
    client: &CloudflareClient,
    max_pages: u32,
) -> Result<Listed<Zone>, CloudflareError> {
    match client
        .get_all_pages::<Zone>("zones", &["zones"], &[], 50, max_pages)
        .await
    {
        Ok(l) => Ok(l),
        Err(e) => Err(client.explain_denial(e, ZONE_READ, None).await),
    }
}

/// The error of a pinned zone that is not there.
pub(crate) fn pinned_name_missing(name: &str) -> CloudflareError {
    CloudflareError::NotFound {
        what: format!("zone named {name} visible to this token"),
        status: None,
        errors: Vec::new(),
    }
}

/// How the hostname is answered, as DNS answers it (RFC 4592 closest encloser, which
/// Cloudflare follows for proxied wildcards too).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Resolution {
    /// The A/AAAA/CNAME records that answer (none when the name exists with other types only,
    /// or nothing covers it).
    pub records: Vec<DnsRecord>,
    /// The name whose records (or load balancer) answer: the hostname, or `*.<encloser>`.
    /// `None` when no name covers the hostname.
    pub source: Option<String>,
    /// The hostname exists with records of its own (any type): no wildcard applies to it.
    pub exists: bool,
    /// Records of the lists read that did not have the documented shape.
    pub skipped: Vec<Skipped>,
}

/// Why the walk stopped short: a lookup not in the inventory yet, or one that failed.
#[derive(Debug, Clone)]
pub(crate) enum Miss {
    Need(Need),
    Failed(CloudflareError),
}

/// The records that answer for `host`, walking from the name itself up to the zone apex:
/// the name's own records when it has any (of any type: a TXT-only name is not covered by a
/// wildcard); else `*.<parent>`, for the closest existing ancestor only (`*.example.com`
/// covers `a.b.example.com` unless `b.example.com` exists, even as an empty non-terminal).
/// `lb_names` are the zone's load balancers: each creates a DNS record of its name, so they
/// count as names that exist. Pure: the lookups come from `dns`.
pub(crate) fn resolve(
    dns: &Dns,
    zone: &Zone,
    host: &str,
    lb_names: &[String],
) -> Result<Resolution, Miss> {
    let mut res = Resolution::default();
    let zone_name = normalize_host(&zone.name);
    let own = records_named(dns, zone, host, &mut res.skipped)?;
    let own_skipped = res.skipped.iter().any(|s| s.names(host));
    if !own.is_empty() || own_skipped || lb_names.iter().any(|n| n == host) || host == zone_name {
        res.exists = !own.is_empty() || own_skipped;
        res.source = Some(host.to_string());
        res.records = proxiable(own);
        return Ok(res);
    }
    let mut name = host.to_string();
    while let Some((_, parent)) = name.split_once('.') {
        let parent = parent.to_string();
        // The wildcard must itself sit inside the zone: never `*.com`.
        if !(parent == zone_name || parent.ends_with(&format!(".{zone_name}"))) {
            break;
        }
        let wildcard = format!("*.{parent}");
        let under = records_named(dns, zone, &wildcard, &mut res.skipped)?;
        if !under.is_empty()
            || res.skipped.iter().any(|s| s.names(&wildcard))
            || lb_names.contains(&wildcard)
        {
            res.source = Some(wildcard);
            res.records = proxiable(under);
            return Ok(res);
        }
        if parent == zone_name || name_exists(dns, zone, &parent, &mut res.skipped)? {
            // The closest encloser has no wildcard: the name does not exist.
            return Ok(res);
        }
        name = parent;
    }
    Ok(res)
}

fn proxiable(records: Vec<DnsRecord>) -> Vec<DnsRecord> {
    records
        .into_iter()
        .filter(|r| is_proxiable_type(&r.record_type))
        .collect()
}

/// A, AAAA and CNAME: the record types Cloudflare can proxy, so the ones that carry HTTP.
pub(crate) fn is_proxiable_type(t: &str) -> bool {
    matches!(t, "A" | "AAAA" | "CNAME")
}

/// Whether `name` has records, or names below it do (an empty non-terminal exists too).
fn name_exists(
    dns: &Dns,
    zone: &Zone,
    name: &str,
    skipped: &mut Vec<Skipped>,
) -> Result<bool, Miss> {
    if !records_named(dns, zone, name, skipped)?.is_empty() {
        return Ok(true);
    }
    let below = match dns.below(name) {
        None => {
            return Err(Miss::Need(Need::RecordsBelow {
                zone: zone.id.clone(),
                name: name.to_string(),
            }))
        }
        Some(r) => r.map_err(Miss::Failed)?,
    };
    let suffix = format!(".{name}");
    Ok(below
        .items
        .iter()
        .any(|r| normalize_host(&r.name).ends_with(&suffix))
        || below.skipped.iter().any(|s| {
            s.name
                .as_deref()
                .is_some_and(|n| normalize_host(n).ends_with(&suffix))
        }))
}

/// Every record named exactly `name`, of any type.
fn records_named(
    dns: &Dns,
    zone: &Zone,
    name: &str,
    skipped: &mut Vec<Skipped>,
) -> Result<Vec<DnsRecord>, Miss> {
    let listed = match dns.named(name) {
        None => {
            return Err(Miss::Need(Need::RecordsNamed {
                zone: zone.id.clone(),
                name: name.to_string(),
            }))
        }
        Some(r) => r.map_err(Miss::Failed)?,
    };
    skipped.extend(listed.skipped);
    Ok(listed
        .items
        .into_iter()
        .filter(|r| normalize_host(&r.name) == name)
        .collect())
}

fn account(zone: &Zone) -> Option<&str> {
    zone.account.as_ref().map(|a| a.id.as_str())
}

/// `GET /zones/{id}/dns_records?name=<name>`: the records named exactly `name`.
pub(crate) async fn fetch_named(
    client: &CloudflareClient,
    zone: &Zone,
    name: &str,
) -> Result<Listed<DnsRecord>, CloudflareError> {
    let got = client
        .get_all::<DnsRecord>(
            &format!("DNS records named {name} in zone {}", zone.name),
            &["zones", &zone.id, "dns_records"],
            &[("name", name.to_string())],
            100,
        )
        .await;
    match got {
        Ok(l) => Ok(l),
        Err(e) => Err(client.explain_denial(e, DNS_READ, account(zone)).await),
    }
}

/// `GET /zones/{id}/dns_records?name.endswith=.<name>`: whether anything is below `name`
/// (one short page answers that).
pub(crate) async fn fetch_below(
    client: &CloudflareClient,
    zone: &Zone,
    name: &str,
) -> Result<Listed<DnsRecord>, CloudflareError> {
    let got = client
        .get_all::<DnsRecord>(
            &format!("DNS records under {name} in zone {}", zone.name),
            &["zones", &zone.id, "dns_records"],
            &[("name.endswith", format!(".{name}"))],
            5,
        )
        .await;
    match got {
        Ok(l) => Ok(l),
        Err(e) => Err(client.explain_denial(e, DNS_READ, account(zone)).await),
    }
}

/// Every record of the zone. 5,000 a page: the API's `per_page` for DNS records goes up to
/// 5,000,000 (default 100; API schema `dns-records_per_page`); 5,000 records stay well under
/// the client's body limit.
pub(crate) async fn fetch_all(
    client: &CloudflareClient,
    zone: &Zone,
    max_pages: u32,
) -> Result<Listed<DnsRecord>, CloudflareError> {
    let got = client
        .get_all_pages::<DnsRecord>(
            &format!("DNS records of zone {}", zone.name),
            &["zones", &zone.id, "dns_records"],
            &[],
            5000,
            max_pages,
        )
        .await;
    match got {
        Ok(l) => Ok(l),
        Err(e) => Err(client.explain_denial(e, DNS_READ, account(zone)).await),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zone_candidates_walk_down_to_two_labels() {
        assert_eq!(
            candidate_zone_names("ws.eu.example.co.uk"),
            vec![
                "ws.eu.example.co.uk",
                "eu.example.co.uk",
                "example.co.uk",
                "co.uk"
            ]
        );
        assert_eq!(candidate_zone_names("example.com"), vec!["example.com"]);
        assert_eq!(candidate_zone_names("localhost"), vec!["localhost"]);
    }

    #[test]
    fn pins_tell_ids_from_names() {
        assert_eq!(
            ZonePin::parse("023e105f4ecef8ad9ca31a8372d0c353"),
            ZonePin::Id("023e105f4ecef8ad9ca31a8372d0c353".into())
        );
        assert_eq!(
            ZonePin::parse("Example.COM."),
            ZonePin::Name("example.com".into())
        );
    }

    #[test]
    fn hosts_are_validated() {
        assert!(is_valid_host("ws.example.com"));
        assert!(is_valid_host("_acme.example.com"));
        assert!(!is_valid_host(""));
        assert!(!is_valid_host("a..b"));
        assert!(!is_valid_host("ws.example.com/path"));
        assert!(!is_valid_host("ws example.com"));
    }
}
