//! The nginx task of `wsaudit chain`: the location nginx would pick for the domain and path.

use super::{ChainRequest, ProviderOutput, ProviderTask};
use crate::model::{Gap, GapCode, NotConsulted, Provider};
use crate::providers::nginx::{read_config_on, route, Input, Query, VersionSource};

/// Where the nginx configuration comes from.
#[derive(Debug, Clone)]
pub struct NginxSource {
    pub input: Input,
    pub version: Option<String>,
    /// The local nginx binary for `nginx -v` (`WSAUDIT_NGINX_BIN`, else `nginx` on PATH).
    pub nginx_bin: Option<String>,
    /// Parser threads for reading the files.
    pub read_threads: usize,
}

/// The conventional main file, read when no `--nginx-conf`/`--nginx-dump` is given.
pub const DEFAULT_NGINX_CONF: &str = "/etc/nginx/nginx.conf";

pub fn nginx_task(req: &ChainRequest, source: Option<NginxSource>) -> ProviderTask {
    let req = req.clone();
    ProviderTask {
        name: "nginx",
        layers: vec![("nginx".into(), Provider::Nginx)],
        // Parsing is CPU work of a few milliseconds; it runs on the runtime's own thread.
        run: Box::pin(async move { read_nginx(&req, source) }),
    }
}

fn read_nginx(req: &ChainRequest, source: Option<NginxSource>) -> ProviderOutput {
    let mut out = ProviderOutput::default();
    let Some(source) = source else {
        out.not_consulted.push(NotConsulted {
            provider: Provider::Nginx,
            reason: format!(
                "no --nginx-conf or --nginx-dump (and --no-nginx, or no {DEFAULT_NGINX_CONF})"
            ),
        });
        return out;
    };
    let gap = |reason: String, code: GapCode| Gap {
        layer: "nginx".into(),
        provider: Provider::Nginx,
        reason,
        code,
    };
    let version =
        match VersionSource::detect(source.version.as_deref(), source.nginx_bin.as_deref()) {
            Ok(v) => v,
            Err(e) => {
                out.gaps.push(gap(e.to_string(), GapCode::BadVersion));
                return out;
            }
        };
    let cfg = match read_config_on(&source.input, source.read_threads) {
        Ok(c) => c,
        Err(e) => {
            out.gaps.push(gap(e.to_string(), GapCode::UnreadableConfig));
            return out;
        }
    };
    let q = Query {
        // An outer layer that rewrites the Host header decides which server block answers.
        host: req
            .host_header
            .clone()
            .unwrap_or_else(|| req.domain.clone()),
        path: req.path.clone(),
        port: None,
    };
    match route(&cfg, &q, &version) {
        Ok(routed) => out.layers.push(routed.layer),
        Err(e) => out.gaps.push(gap(e.to_string(), GapCode::NoRoute)),
    }
    out
}
