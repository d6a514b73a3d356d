//! Which Cloudflare zone holds a hostname, and the hostname's DNS record in it.
//!
//! Endpoints (API v4 reference): `GET /zones?name=<zone>` (List Zones, filtered by exact name),
//! `GET /zones/{zone_id}` (Zone Details), `GET /zones/{zone_id}/dns_records?name=<fqdn>`
//! (List DNS Records).

use super::client::CloudflareClient;
use super::error::CloudflareError;
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

/// A record of the hostname that can carry HTTP: A, AAAA or CNAME (the only proxiable types).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DnsRecord {
    #[serde(default)]
    pub id: Option<String>,
    pub name: String,
    #[serde(rename = "type")]
    pub record_type: String,
    pub content: String,
    /// The API's default is `false` (DNS only, "grey cloud").
    #[serde(default)]
    pub proxied: bool,
    #[serde(default)]
    pub proxiable: Option<bool>,
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

/// The zone whose name is the longest suffix of `host`, or `None` if the token sees none.
/// Returns with the names it tried, for the "not in Cloudflare" explanation.
pub(crate) async fn find_zone(
    client: &CloudflareClient,
    host: &str,
) -> Result<(Option<Zone>, Vec<String>), CloudflareError> {
    let mut tried = Vec::new();
    for name in candidate_zone_names(host) {
        tried.push(name.clone());
        if let Some(z) = zone_by_name(client, &name).await? {
            return Ok((Some(z), tried));
        }
    }
    Ok((None, tried))
}

pub(crate) async fn zone_by_name(
    client: &CloudflareClient,
    name: &str,
) -> Result<Option<Zone>, CloudflareError> {
    let zones: Vec<Zone> = client
        .get_all(
            &format!("zone named {name}"),
            &["zones"],
            &[("name", name.to_string()), ("per_page", "50".into())],
        )
        .await?;
    let mut matching: Vec<Zone> = zones
        .into_iter()
        .filter(|z| normalize_host(&z.name) == name)
        .collect();
    // A name can appear twice while a zone moves between accounts: the active one serves.
    matching.sort_by_key(|z| z.status.as_deref() != Some("active"));
    Ok(matching.into_iter().next())
}

pub(crate) async fn zone_by_pin(
    client: &CloudflareClient,
    pin: &ZonePin,
) -> Result<Zone, CloudflareError> {
    match pin {
        ZonePin::Id(id) => Ok(client
            .get::<Zone>(&format!("zone {id}"), &["zones", id], &[])
            .await?
            .result),
        ZonePin::Name(name) => {
            zone_by_name(client, name)
                .await?
                .ok_or_else(|| CloudflareError::NotFound {
                    what: format!("zone named {name} visible to this token"),
                    status: None,
                    errors: Vec::new(),
                })
        }
    }
}

/// The A/AAAA/CNAME records named exactly `host`; when there are none, those of the wildcard
/// `*.<parent>` that would answer for it (Cloudflare proxies wildcard records too).
pub(crate) async fn records_for(
    client: &CloudflareClient,
    zone: &Zone,
    host: &str,
) -> Result<Vec<DnsRecord>, CloudflareError> {
    let exact = records_named(client, zone, host).await?;
    if !exact.is_empty() {
        return Ok(exact);
    }
    let zone_name = normalize_host(&zone.name);
    match host.split_once('.') {
        // The wildcard must itself sit inside the zone: `*.example.com` for `ws.example.com`,
        // never `*.com`.
        Some((_, parent)) if host != zone_name && parent.ends_with(&zone_name) => {
            records_named(client, zone, &format!("*.{parent}")).await
        }
        _ => Ok(Vec::new()),
    }
}

async fn records_named(
    client: &CloudflareClient,
    zone: &Zone,
    name: &str,
) -> Result<Vec<DnsRecord>, CloudflareError> {
    let all: Vec<DnsRecord> = client
        .get_all(
            &format!("DNS records named {name} in zone {}", zone.name),
            &["zones", &zone.id, "dns_records"],
            &[("name", name.to_string()), ("per_page", "100".into())],
        )
        .await?;
    Ok(all
        .into_iter()
        .filter(|r| normalize_host(&r.name) == name)
        .filter(|r| matches!(r.record_type.as_str(), "A" | "AAAA" | "CNAME"))
        .collect())
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
