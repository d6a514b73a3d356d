//! The Cloudflare task of `wsaudit chain`: the zone, the record and, when it is proxied, the
//! CDN layer.

use super::{ChainRequest, ProviderOutput, ProviderTask};
use crate::model::{Gap, GapCode, NotConsulted, Notice, Provider, Scheme};
use crate::providers::cloudflare::{
    read_request, CloudflareClient, NextHopKind, Presence, ZonePin,
};

pub fn cloudflare_task(
    req: &ChainRequest,
    client: Result<CloudflareClient, String>,
    pin: Option<ZonePin>,
) -> ProviderTask {
    let req = req.clone();
    ProviderTask {
        name: "cloudflare",
        layers: vec![("cloudflare".into(), Provider::Cloudflare)],
        run: Box::pin(async move { read_cloudflare(&req, client, pin).await }),
    }
}

async fn read_cloudflare(
    req: &ChainRequest,
    client: Result<CloudflareClient, String>,
    pin: Option<ZonePin>,
) -> ProviderOutput {
    let mut out = ProviderOutput::default();
    let client = match client {
        Ok(c) => c,
        Err(reason) => {
            out.gaps.push(Gap {
                layer: "cloudflare".into(),
                provider: Provider::Cloudflare,
                reason,
                code: GapCode::ConfigError,
            });
            return out;
        }
    };
    let outcome = read_request(
        &client,
        &req.domain,
        &req.path,
        req.scheme == Scheme::Wss,
        pin.as_ref(),
    )
    .await;
    match &outcome.presence {
        Presence::NotConsulted => out.not_consulted.push(NotConsulted {
            provider: Provider::Cloudflare,
            reason: "CLOUDFLARE_API_TOKEN is not set".into(),
        }),
        Presence::NoZone { tried } => out.not_consulted.push(NotConsulted {
            provider: Provider::Cloudflare,
            reason: format!(
                "no zone visible to the token holds {} (tried {})",
                req.domain,
                tried.join(", ")
            ),
        }),
        Presence::DnsOnly => out.not_consulted.push(NotConsulted {
            provider: Provider::Cloudflare,
            reason: format!(
                "the record for {} is DNS-only (not proxied): Cloudflare is not in the path{}",
                req.domain,
                outcome
                    .next_hops
                    .first()
                    .map(|h| format!("; clients go straight to {}", h.host))
                    .unwrap_or_default()
            ),
        }),
        _ => {}
    }
    // A tunnel's name resolves nowhere but Cloudflare: the walk does not continue from it
    // (cloudflared's own configuration says where it forwards).
    out.next_hops = outcome
        .next_hops
        .iter()
        .filter(|h| h.kind != NextHopKind::CloudflareTunnel)
        .map(|h| h.host.clone())
        .collect();
    out.next_host_header = outcome.next_hops.iter().find_map(|h| h.host_header.clone());
    out.notices = outcome
        .notices
        .iter()
        .map(|m| Notice {
            layer: "cloudflare".into(),
            provider: Provider::Cloudflare,
            message: m.clone(),
        })
        .collect();
    out.layers.extend(outcome.layer);
    out.layers.extend(outcome.tunnel);
    out.gaps.extend(outcome.gaps);
    out
}
