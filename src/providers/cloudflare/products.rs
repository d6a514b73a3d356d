//! Cloudflare products that change what a WebSocket meets at the edge without being a zone
//! setting: Argo Smart Routing, Workers routes on the hostname, Spectrum applications. Each
//! is read and reported (a notice) with what Cloudflare documents about WebSockets for it;
//! none changes the chain model's numbers, so a failed read is a notice too, not a gap.
//!
//! Endpoints (API v4 reference): `GET /zones/{zone_id}/argo/smart_routing` (`{"id",
//! "value": "on"|"off", "editable", "modified_on"}`), `GET /zones/{zone_id}/workers/routes`
//! (`[{"id", "pattern", "script"}]`), `GET /zones/{zone_id}/spectrum/apps` (`[{"id",
//! "protocol", "dns": {"type", "name"}, "traffic_type", "origin_direct", "origin_dns"}]`).

use super::client::{CloudflareClient, Listed};
use super::error::CloudflareError;
use super::expression::glob;
use super::settings::SettingValue;
use super::zone::normalize_host;
use serde::Deserialize;

const WEBSOCKETS_DOC: &str = "https://developers.cloudflare.com/network/websockets/";
const WORKERS_WS_DOC: &str = "https://developers.cloudflare.com/workers/examples/websockets/";
const TUNNEL_ERRORS_DOC: &str = "https://developers.cloudflare.com/cloudflare-one/networks/connectors/cloudflare-tunnel/troubleshoot-tunnels/common-errors/";

/// Token permissions for these reads (API token permissions reference; Argo's and
/// Spectrum's read permissions are named by what they read).
const WORKERS_ROUTES_READ: &str = "Workers Routes Read";
const ARGO_READ: &str = "Argo Smart Routing read (argo:read)";
const SPECTRUM_READ: &str = "Spectrum read";

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct WorkerRoute {
    #[serde(default)]
    pub id: Option<String>,
    pub pattern: String,
    /// No script: the route exempts matching requests from a broader route's Worker.
    #[serde(default)]
    pub script: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct SpectrumApp {
    #[serde(default)]
    pub id: Option<String>,
    /// `tcp/22`, `tcp/443-444`, `udp/…`.
    #[serde(default)]
    pub protocol: Option<String>,
    #[serde(default)]
    pub dns: Option<SpectrumDns>,
    /// `direct` (TCP passed through), `http`, `https`.
    #[serde(default)]
    pub traffic_type: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct SpectrumDns {
    #[serde(default)]
    pub name: Option<String>,
}

/// A Workers route pattern (`example.com/*`, `*.example.com/ws*`): a host part that may start
/// with `*`, and a path part that may contain `*` (Workers docs, "Routes": matching is on
/// host and path, the scheme is ignored).
pub fn route_matches(pattern: &str, host: &str, path: &str) -> bool {
    let pattern = pattern
        .trim()
        .trim_start_matches("https://")
        .trim_start_matches("http://");
    let (p_host, p_path) = match pattern.find('/') {
        Some(i) => (&pattern[..i], &pattern[i..]),
        None => (pattern, "/"),
    };
    glob(host, &normalize_host(p_host)) && glob(path, p_path)
}

/// The three products of one zone as read; each failure already explained (the permission
/// it lacks).
#[derive(Debug, Clone, PartialEq)]
pub struct Products {
    pub argo: Result<SettingValue, CloudflareError>,
    pub routes: Result<Listed<WorkerRoute>, CloudflareError>,
    pub apps: Result<Listed<SpectrumApp>, CloudflareError>,
}

/// Reads Argo, the Workers routes and the Spectrum applications of a zone.
pub(crate) async fn read(
    client: &CloudflareClient,
    zone_id: &str,
    account: Option<&str>,
) -> Products {
    let argo = client
        .get::<SettingValue>(
            "Argo Smart Routing",
            &["zones", zone_id, "argo", "smart_routing"],
            &[],
        )
        .await
        .map(|p| p.result);
    let argo = match argo {
        Ok(v) => Ok(v),
        Err(e) => Err(client.explain_denial(e, ARGO_READ, account).await),
    };
    let routes = client
        .get_all::<WorkerRoute>(
            &format!("Workers routes of zone {zone_id}"),
            &["zones", zone_id, "workers", "routes"],
            &[],
            100,
        )
        .await;
    let routes = match routes {
        Ok(l) => Ok(l),
        Err(e) => Err(client.explain_denial(e, WORKERS_ROUTES_READ, account).await),
    };
    let apps = client
        .get_all::<SpectrumApp>(
            &format!("Spectrum applications of zone {zone_id}"),
            &["zones", zone_id, "spectrum", "apps"],
            &[],
            100,
        )
        .await;
    let apps = match apps {
        Ok(l) => Ok(l),
        Err(e) => Err(client.explain_denial(e, SPECTRUM_READ, account).await),
    };
    Products { argo, routes, apps }
}

/// What each product means for a WebSocket to `host` and `path`, in words.
pub(crate) fn notices(p: &Products, zone_id: &str, host: &str, path: &str) -> Vec<String> {
    let (argo, routes, apps) = (&p.argo, &p.routes, &p.apps);
    let mut out = Vec::new();
    match argo {
        Ok(v) if v.value.as_str() == Some("on") => out.push(format!(
            "Argo Smart Routing is on for this zone (zone/{zone_id}/argo/smart_routing): \
             Cloudflare's WebSockets documentation lists Argo Smart Routing as not compatible \
             with WebSockets ({WEBSOCKETS_DOC})"
        )),
        Ok(_) => {}
        // Zones without the Argo subscription are refused this read; that is not a problem
        // for the audit, but an unreadable value is said so.
        Err(e) => {
            out.push(format!(
                "Argo Smart Routing not read ({e}); Cloudflare documents it as not compatible \
                 with WebSockets"
            ));
        }
    }
    match routes {
        Ok(l) => {
            for s in &l.skipped {
                out.push(s.describe());
            }
            // When several routes match, the most specific one applies (Workers docs,
            // "Routes": matching behaviour); specificity is read as the pattern's literal
            // characters, so `ws.example.com/ws/*` beats `*.example.com/*`.
            let best = l
                .items
                .iter()
                .filter(|r| route_matches(&r.pattern, host, path))
                .max_by_key(|r| r.pattern.chars().filter(|c| *c != '*').count());
            if let Some(r) = best {
                let id = r.id.as_deref().unwrap_or("?");
                match r.script.as_deref().filter(|s| !s.is_empty()) {
                    Some(script) => out.push(format!(
                        "Workers route {:?} (zone/{zone_id}/workers/routes/{id}) runs the Worker \
                         {script:?} on {host}{path}: the Worker receives the WebSocket handshake \
                         before any origin, and the connection works only if it accepts the \
                         socket itself (WebSocketPair) or passes the request on with fetch() \
                         ({WORKERS_WS_DOC}); Cloudflare's Tunnel troubleshooting lists Worker \
                         routes among causes of failed WebSocket handshakes \
                         ({TUNNEL_ERRORS_DOC})",
                        r.pattern
                    )),
                    None => out.push(format!(
                        "Workers route {:?} (zone/{zone_id}/workers/routes/{id}) matches \
                         {host}{path} with no Worker: requests bypass Workers there",
                        r.pattern
                    )),
                }
            }
        }
        Err(e) => {
            out.push(format!(
                "Workers routes not read ({e}): a Worker on {host} would receive the WebSocket \
                 handshake before the origin"
            ));
        }
    }
    match apps {
        Ok(l) => {
            for s in &l.skipped {
                out.push(s.describe());
            }
            for a in l.items.iter().filter(|a| {
                a.dns
                    .as_ref()
                    .and_then(|d| d.name.as_deref())
                    .is_some_and(|n| normalize_host(n) == host)
            }) {
                let traffic = a.traffic_type.as_deref().unwrap_or("direct");
                let how = if traffic == "direct" {
                    "traffic type direct passes the TCP stream through as it is, so a WebSocket \
                     is bytes to it and the zone's HTTP settings (the WebSockets toggle, SSL \
                     mode, rules) are not what carries it"
                } else {
                    "an HTTP(S) Spectrum application goes through Cloudflare's HTTP proxy on \
                     its own port"
                };
                out.push(format!(
                    "Spectrum application {} ({}) serves {host}: {how}",
                    a.id.as_deref().unwrap_or("?"),
                    a.protocol.as_deref().unwrap_or("protocol not given")
                ));
            }
        }
        Err(e) => {
            out.push(format!("Spectrum applications not read ({e})"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workers_route_patterns() {
        assert!(route_matches("*example.com/*", "ws.example.com", "/"));
        assert!(route_matches("ws.example.com/*", "ws.example.com", "/ws/"));
        assert!(route_matches(
            "*.example.com/ws*",
            "ws.example.com",
            "/ws/chat"
        ));
        assert!(route_matches("https://*example.com/*", "example.com", "/"));
        assert!(!route_matches(
            "api.example.com/*",
            "ws.example.com",
            "/ws/"
        ));
        assert!(!route_matches(
            "ws.example.com/api/*",
            "ws.example.com",
            "/ws/"
        ));
    }
}
