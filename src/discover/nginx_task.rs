//! The nginx task of `wsaudit chain`: the location nginx would pick for the domain and path.

use super::{ChainRequest, DiscoveredRoute, ProviderOutput, ProviderTask};
use crate::model::{Gap, GapCode, NotConsulted, Provider};
use crate::providers::nginx::{
    read_config_on, route, websocket_locations, Config, Input, Query, VersionSource,
};

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
    match source {
        None => {
            let mut out = ProviderOutput::default();
            out.not_consulted.push(NotConsulted {
                provider: Provider::Nginx,
                reason: format!(
                    "no --nginx-conf or --nginx-dump (and --no-nginx, or no {DEFAULT_NGINX_CONF})"
                ),
            });
            out
        }
        Some(source) => resolve_nginx(&NginxInventory::read(&source), req),
    }
}

/// One nginx configuration read and parsed (or why not), with the version its defaults are
/// taken from: read once, routed for any number of requests (`wsaudit scan` routes every
/// target over it).
pub struct NginxInventory {
    version: Result<VersionSource, String>,
    cfg: Result<Config, String>,
}

impl NginxInventory {
    pub fn read(source: &NginxSource) -> Self {
        let version = VersionSource::detect(source.version.as_deref(), source.nginx_bin.as_deref())
            .map_err(|e| e.to_string());
        let cfg = match &version {
            // A bad version is the one fault reported; the files are not read for nothing.
            Err(_) => Err(String::new()),
            Ok(_) => read_config_on(&source.input, source.read_threads).map_err(|e| e.to_string()),
        };
        NginxInventory { version, cfg }
    }

    /// Every server name and location the WebSocket listing takes (`wsaudit nginx` without
    /// `--domain`), for `discover = ["nginx"]`. Server names that are no host a client dials
    /// (`_`, wildcards, regular expressions) are left out, as are regex locations: they name
    /// no path to dial.
    pub fn routes(&self, websocket_paths: &[String]) -> Vec<DiscoveredRoute> {
        let (Ok(version), Ok(cfg)) = (&self.version, &self.cfg) else {
            return Vec::new();
        };
        let Ok(listed) = websocket_locations(cfg, version, websocket_paths) else {
            return Vec::new();
        };
        let mut out: Vec<DiscoveredRoute> = Vec::new();
        for l in listed {
            // The listing's ids are `nginx:SERVER/LOCATION` (`@file:line` when two collide).
            let id = l.layer.id.split('@').next().unwrap_or_default();
            let Some((host, path)) = id.strip_prefix("nginx:").and_then(|r| r.split_once('/'))
            else {
                continue;
            };
            let dialable = !host.is_empty()
                && host != "_"
                && host
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-');
            if !dialable || path.contains(char::is_whitespace) {
                continue;
            }
            let path = format!("/{path}");
            match out.iter_mut().find(|r| r.domain == host) {
                Some(r) if !r.paths.contains(&path) => r.paths.push(path),
                Some(_) => {}
                None => out.push(DiscoveredRoute {
                    domain: host.to_string(),
                    paths: vec![path],
                    from: format!("nginx {}", l.at),
                    pins: Default::default(),
                }),
            }
        }
        out
    }
}

/// The nginx layer serving `req` over a read configuration: the location nginx would pick.
pub fn resolve_nginx(inv: &NginxInventory, req: &ChainRequest) -> ProviderOutput {
    let mut out = ProviderOutput::default();
    let gap = |reason: String, code: GapCode| Gap {
        layer: "nginx".into(),
        provider: Provider::Nginx,
        reason,
        code,
    };
    let version = match &inv.version {
        Ok(v) => v,
        Err(e) => {
            out.gaps.push(gap(e.clone(), GapCode::BadVersion));
            return out;
        }
    };
    let cfg = match &inv.cfg {
        Ok(c) => c,
        Err(e) => {
            out.gaps.push(gap(e.clone(), GapCode::UnreadableConfig));
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
        // The port the outer layer connects to picks the listen socket, and so the servers
        // `server_name` chooses among; without one, nginx's reader takes 443, else 80.
        port: req.port,
    };
    match route(cfg, &q, version) {
        Ok(routed) => out.layers.push(routed.layer),
        Err(e) => {
            let why = match req.port {
                Some(p) => {
                    format!("{e} (port {p} is the one the layer in front of nginx connects to)")
                }
                None => e.to_string(),
            };
            out.gaps.push(gap(why, GapCode::NoRoute))
        }
    }
    out
}
