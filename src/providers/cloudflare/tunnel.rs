//! A Cloudflare Tunnel's ingress rules, when the tunnel is remotely managed: which service
//! `cloudflared` sends the hostname to, and with which `Host` header.
//!
//! Endpoint (API v4 reference, Zero Trust → Tunnels → Cloudflare Tunnel → Configurations):
//! `GET /accounts/{account_id}/cfd_tunnel/{tunnel_id}/configurations` →
//! `{"tunnel_id", "version", "config": {"ingress": [{"hostname", "path", "service",
//! "originRequest"}], "originRequest"}}` (cloudflare-go v0.116.0
//! `testdata/fixtures/tunnel/configuration.json`). cloudflared matches ingress rules top to
//! bottom on hostname (a leading `*` matches any subdomain) and path (a regular expression); the
//! last rule has no hostname and catches the rest (cloudflared docs, "Configuration file",
//! ingress rules). A locally managed tunnel keeps them in its `config.yml`, which no API shows.
//! Token permission: "Cloudflare Tunnel Read".

use super::client::CloudflareClient;
use super::error::CloudflareError;
use super::expression::glob;
use super::zone::normalize_host;
use regex::Regex;
use serde::{Deserialize, Deserializer};

pub(crate) const TUNNEL_READ: &str = "Cloudflare Tunnel Read";

fn null_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct TunnelConfiguration {
    #[serde(default)]
    pub config: Option<TunnelConfig>,
}

#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
pub struct TunnelConfig {
    #[serde(default, deserialize_with = "null_default")]
    pub ingress: Vec<IngressRule>,
    #[serde(default, rename = "originRequest")]
    pub origin_request: Option<OriginRequest>,
}

#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
pub struct IngressRule {
    #[serde(default)]
    pub hostname: Option<String>,
    #[serde(default)]
    pub path: Option<String>,
    pub service: String,
    #[serde(default, rename = "originRequest")]
    pub origin_request: Option<OriginRequest>,
}

/// The `originRequest` settings that change what the next hop sees.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
pub struct OriginRequest {
    #[serde(default, rename = "httpHostHeader")]
    pub http_host_header: Option<String>,
}

/// The ingress rule that serves `host` and `path`, with its index.
pub fn matching_rule<'a>(
    config: &'a TunnelConfig,
    host: &str,
    path: &str,
) -> Option<(usize, &'a IngressRule)> {
    config.ingress.iter().enumerate().find(|(_, r)| {
        let host_ok = match r.hostname.as_deref() {
            None | Some("") => true,
            Some(h) => glob(host, &normalize_host(h)),
        };
        let path_ok = match r.path.as_deref() {
            None | Some("") => true,
            // An invalid pattern matches nothing, as cloudflared refuses such a rule.
            Some(p) => Regex::new(p).is_ok_and(|re| re.is_match(path)),
        };
        host_ok && path_ok
    })
}

/// The remote configuration, or `None` for a tunnel managed locally (no configuration held
/// by Cloudflare).
pub(crate) async fn read_configuration(
    client: &CloudflareClient,
    account_id: &str,
    tunnel_id: &str,
) -> Result<Option<TunnelConfig>, CloudflareError> {
    let got = client
        .get::<TunnelConfiguration>(
            &format!("configuration of Cloudflare Tunnel {tunnel_id}"),
            &[
                "accounts",
                account_id,
                "cfd_tunnel",
                tunnel_id,
                "configurations",
            ],
            &[],
        )
        .await;
    match got {
        Ok(p) => Ok(p.result.config.filter(|c| !c.ingress.is_empty())),
        Err(CloudflareError::NotFound { .. }) => Ok(None),
        Err(e) => Err(client
            .explain_denial(e, TUNNEL_READ, Some(account_id))
            .await),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ingress_rules_match_top_to_bottom() {
        let c: TunnelConfiguration = serde_json::from_value(json!({
            "config": {"ingress": [
                {"hostname": "api.example.com", "service": "http://localhost:9000"},
                {"hostname": "*.example.com", "path": "^/ws/", "service": "http://localhost:8080",
                 "originRequest": {"httpHostHeader": "app.internal"}},
                {"service": "http_status:404"}
            ]},
            "tunnel_id": "t", "version": 3
        }))
        .unwrap();
        let cfg = c.config.unwrap();
        let (i, r) = matching_rule(&cfg, "ws.example.com", "/ws/chat").unwrap();
        assert_eq!((i, r.service.as_str()), (1, "http://localhost:8080"));
        let (i, _) = matching_rule(&cfg, "ws.example.com", "/other").unwrap();
        assert_eq!(i, 2);
    }
}
