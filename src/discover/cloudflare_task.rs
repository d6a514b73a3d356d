//! The Cloudflare task of `wsaudit chain`: the narrow inventory the request needs (its zone,
//! record and, when it is proxied, the edge's settings and rules), then the same pure
//! resolution `wsaudit scan` runs over a whole inventory.

use super::cloudflare_inventory::config_gap;
use super::{resolve_cloudflare, ChainRequest, CloudflareInventory, ProviderOutput, ProviderTask};
use crate::model::Provider;
use crate::providers::cloudflare::{CloudflareClient, ZonePin};

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
    let client = match client {
        Ok(c) => c,
        Err(reason) => return config_gap(reason),
    };
    let inv = CloudflareInventory::read_for(&client, req, pin.as_ref()).await;
    resolve_cloudflare(&inv, req, pin.as_ref())
}
