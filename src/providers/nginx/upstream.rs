//! What a `*_pass` points at: an `upstream` block (servers, balancing, keep-alive) or a single
//! address.

use super::http_block::HttpModel;
use super::tree::Dir;

#[derive(Debug, Clone)]
pub struct PassTarget<'a> {
    /// `http`, `https`, `grpc`, `grpcs`, … (empty for `fastcgi_pass host:port`).
    pub scheme: String,
    /// The host part: an upstream name or an address.
    pub host: String,
    pub upstream: Option<Dir<'a>>,
}

pub const PASS_DIRECTIVES: &[&str] = &[
    "proxy_pass",
    "grpc_pass",
    "uwsgi_pass",
    "scgi_pass",
    "fastcgi_pass",
    "memcached_pass",
];

/// `proxy` for `proxy_pass`, `grpc` for `grpc_pass`: the prefix of the module's directives.
pub fn module_prefix(pass: &str) -> &str {
    pass.strip_suffix("_pass").unwrap_or(pass)
}

pub fn resolve<'a>(model: &HttpModel<'a>, pass: Dir<'a>) -> PassTarget<'a> {
    let arg = pass.arg(0).unwrap_or("");
    let (scheme, rest) = match arg.split_once("://") {
        Some((s, r)) => (s.to_ascii_lowercase(), r),
        None => (String::new(), arg),
    };
    let hostport = rest.split('/').next().unwrap_or("");
    let host = if hostport.starts_with("unix:") {
        hostport.to_string()
    } else {
        hostport.split(':').next().unwrap_or("").to_string()
    };
    let upstream = model.upstreams.get(&host).copied();
    PassTarget {
        scheme,
        host,
        upstream,
    }
}

/// Balancing facts of an upstream block (includes expanded).
#[derive(Debug, Clone, Default)]
pub struct UpstreamFacts<'a> {
    /// `server` lines that take traffic (not `backup`, not `down`).
    pub servers: u32,
    pub method: Option<Dir<'a>>,
    pub sticky: Option<Dir<'a>>,
    pub keepalive: Option<Dir<'a>>,
    pub keepalive_timeout: Option<Dir<'a>>,
}

pub fn facts<'a>(model: &HttpModel<'a>, up: Dir<'a>) -> UpstreamFacts<'a> {
    let mut f = UpstreamFacts::default();
    for d in model.cfg.expanded(up.children()) {
        match d.name() {
            "server" if !d.args().skip(1).any(|a| a == "backup" || a == "down") => {
                f.servers += 1;
            }
            "ip_hash" | "hash" | "least_conn" | "random" | "least_time" => f.method = Some(d),
            "sticky" => f.sticky = Some(d),
            "keepalive" => f.keepalive = Some(d),
            "keepalive_timeout" => f.keepalive_timeout = Some(d),
            _ => {}
        }
    }
    f
}
