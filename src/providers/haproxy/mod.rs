//! HAProxy: `haproxy.cfg` read as HAProxy reads it (`parser.rs`, sections and inheritance in
//! `config.rs`), the handshake routed through the frontend's `http-request` rules and
//! `use_backend`/`default_backend` choices (`acl.rs`), and the frontend → backend pair
//! translated into a layer (`layer.rs`).

mod acl;
mod check;
mod config;
mod error;
mod layer;
mod parser;

pub use check::check;
pub use error::HaproxyError;
pub use layer::parse_time;

use acl::{Acls, Handshake, Truth};
use config::{Config, Proxy};
use layer::{Answer, HeaderEdits, Routed};

use crate::model::{Layer, Scheme};
use crate::providers::endpoint_words::websocket_word;

/// The handshake to route.
#[derive(Debug, Clone)]
pub struct Query {
    pub host: String,
    pub path: String,
    /// `wss` picks a frontend that binds with `ssl`, `ws` one without; `None`: the first.
    pub scheme: Option<Scheme>,
    pub port: Option<u16>,
}

/// What routing found: the layer, the frontend/backend and what was not evaluated.
#[derive(Debug, Clone)]
pub struct RoutedLayer {
    pub layer: Layer,
    pub frontend: String,
    pub backend: Option<String>,
    pub scheme: Scheme,
    /// Conditions this reader could not evaluate (a fetch it does not model), each with its
    /// `file:line`: the route assumed they do not match.
    pub notes: Vec<String>,
    /// In a listing: why the route is taken for a WebSocket endpoint (`None`: nothing says so).
    pub websocket: Option<String>,
}

/// Reads and parses one configuration file.
pub fn read_config(path: &str) -> Result<ParsedConfig, HaproxyError> {
    let text = std::fs::read_to_string(path).map_err(|e| HaproxyError::Io {
        file: path.to_string(),
        message: e.to_string(),
    })?;
    parse_config(path, &text)
}

pub fn parse_config(file: &str, text: &str) -> Result<ParsedConfig, HaproxyError> {
    Ok(ParsedConfig(Config::new(parser::parse(file, text)?)?))
}

/// A parsed configuration, ready to route.
pub struct ParsedConfig(Config);

struct Bind {
    tls: bool,
    port: Option<u16>,
}

fn binds(p: &Proxy<'_>) -> Vec<Bind> {
    p.all("bind")
        .map(|d| Bind {
            tls: d.words.iter().any(|w| w == "ssl"),
            port: d
                .arg(0)
                .and_then(|a| a.rsplit(':').next())
                .and_then(|p| p.parse().ok()),
        })
        .collect()
}

/// Routes the handshake as HAProxy would: the frontend that binds the scheme (and port), its
/// `http-request` rules in order (one that denies, returns or redirects answers the handshake
/// itself), then the first `use_backend` whose condition holds, else `default_backend`.
pub fn route(cfg: &ParsedConfig, q: &Query) -> Result<RoutedLayer, HaproxyError> {
    let cfg = &cfg.0;
    let fronts: Vec<(Proxy<'_>, Vec<Bind>)> = cfg
        .proxies()
        .filter(|p| p.section.kind != "backend")
        .map(|p| {
            let b = binds(&p);
            (p, b)
        })
        .filter(|(_, b)| !b.is_empty())
        .collect();
    let no_route = |message: String| HaproxyError::NoRoute {
        file: cfg.file.clone(),
        message,
    };
    let wants_tls = q.scheme.map(|s| s == Scheme::Wss);
    let picked = fronts.iter().find(|(_, binds)| {
        binds.iter().any(|b| {
            wants_tls.is_none_or(|t| t == b.tls) && q.port.is_none_or(|p| b.port == Some(p))
        })
    });
    let Some((fe, fe_binds)) = picked else {
        let what = match (wants_tls, q.port) {
            (Some(true), _) => "with ssl (for wss://)",
            (Some(false), _) => "without ssl (for ws://)",
            _ => "",
        };
        return Err(no_route(format!(
            "no frontend or listen section binds{}{what}",
            q.port.map(|p| format!(" port {p} ")).unwrap_or(" ".into())
        )));
    };
    let tls = wants_tls.unwrap_or_else(|| fe_binds.iter().any(|b| b.tls));
    let (mode, _) = fe.mode();
    let h = Handshake {
        host: &q.host,
        path: q.path.split('?').next().unwrap_or(&q.path),
        tls,
        http_mode: mode == "http",
    };
    let acls = Acls::of(fe.section.dirs.iter());
    let mut notes = Vec::new();
    let mut note = |d: &parser::Directive, why: String| {
        notes.push(format!(
            "{}:{}: `{}` not evaluated ({why}); assumed not to match",
            cfg.file,
            d.line,
            d.words.join(" ")
        ))
    };
    let mut edits = HeaderEdits::default();
    let mut answer = None;
    let mut backend_name: Option<String> = None;
    for d in &fe.section.dirs {
        let applies = || acls.rule_applies(&d.words, &h);
        match (d.name(), d.arg(0)) {
            ("http-request", Some(action)) if mode == "http" => {
                let t = applies();
                if let Truth::Unknown(why) = &t {
                    note(d, why.clone());
                    continue;
                }
                if t != Truth::Yes {
                    continue;
                }
                match action {
                    "deny" | "reject" | "tarpit" | "silent-drop" | "return" | "auth" => {
                        answer = Some(Answer::Refused(d));
                        break;
                    }
                    "redirect" => {
                        answer = Some(Answer::Redirected(d));
                        break;
                    }
                    "del-header" if d.arg(1).is_some_and(|h| h.eq_ignore_ascii_case("upgrade")) => {
                        edits.upgrade_removed = Some(d)
                    }
                    "del-header"
                        if d.arg(1)
                            .is_some_and(|h| h.eq_ignore_ascii_case("connection")) =>
                    {
                        edits.connection_set = Some((String::new(), d))
                    }
                    "set-header"
                        if d.arg(1)
                            .is_some_and(|h| h.eq_ignore_ascii_case("connection")) =>
                    {
                        edits.connection_set = Some((d.arg(2).unwrap_or("").to_string(), d))
                    }
                    _ => {}
                }
            }
            ("use_backend", Some(name)) if backend_name.is_none() => match applies() {
                Truth::Yes => {
                    if name.contains("%[") {
                        return Err(no_route(format!(
                            "{}:{}: use_backend {name} picks the backend from request data, which is not evaluated",
                            cfg.file, d.line
                        )));
                    }
                    backend_name = Some(name.to_string());
                }
                Truth::No => {}
                Truth::Unknown(why) => note(d, why),
            },
            _ => {}
        }
    }
    if answer.is_none() && backend_name.is_none() {
        backend_name = match fe.get(&["default_backend"]) {
            Some(d) => d.arg(0).map(String::from),
            None if fe.section.kind == "listen" => Some(fe.name().to_string()),
            None => None,
        };
    }
    let backend = match &backend_name {
        Some(n) => Some(cfg.proxy(n, true).ok_or_else(|| {
            no_route(format!("frontend {} routes to unknown backend '{n}'", fe.name()))
        })?),
        None if answer.is_none() => {
            return Err(no_route(format!(
                "frontend {} has no use_backend that matches {}{} and no default_backend: HAProxy answers 503",
                fe.name(),
                q.host,
                q.path
            )))
        }
        None => None,
    };
    let routed = Routed {
        frontend: *fe,
        backend,
        tls,
        edits,
        answer,
        global_hard_stop: cfg
            .global()
            .and_then(|g| g.dirs.iter().rev().find(|d| d.name() == "hard-stop-after")),
    };
    Ok(RoutedLayer {
        layer: layer::to_layer(&routed),
        frontend: fe.name().to_string(),
        backend: backend_name,
        scheme: if routed.tls { Scheme::Wss } else { Scheme::Ws },
        notes,
        websocket: None,
    })
}

/// Every frontend → backend pair the configuration can route to (each `use_backend` target
/// and the `default_backend`, a `listen` section to itself), without a request: for listing a
/// configuration when no domain and path are given. Rules that depend on the request (header
/// edits, denies) are not applied; each pair's note says which rule sends traffic there.
pub fn pairs(cfg: &ParsedConfig) -> Vec<RoutedLayer> {
    let cfg = &cfg.0;
    let mut out = Vec::new();
    for fe in cfg.proxies().filter(|p| p.section.kind != "backend") {
        if binds(&fe).is_empty() {
            continue;
        }
        let tls = binds(&fe).iter().any(|b| b.tls);
        let mut targets: Vec<(String, String)> = fe
            .section
            .dirs
            .iter()
            .filter(|d| d.name() == "use_backend" || d.name() == "default_backend")
            .filter_map(|d| {
                Some((
                    d.arg(0)?.to_string(),
                    format!("{}:{}: {}", cfg.file, d.line, d.words.join(" ")),
                ))
            })
            .collect();
        if targets.is_empty() && fe.section.kind == "listen" {
            targets.push((fe.name().to_string(), format!("listen {}", fe.name())));
        }
        for (name, why) in targets {
            let Some(backend) = cfg.proxy(&name, true) else {
                continue;
            };
            // The route carries WebSockets when its condition tests the Upgrade header (itself
            // or through a named ACL) or a path or backend name says so.
            let rule_words: Vec<&str> = why.split_whitespace().collect();
            let acl_text: String = fe
                .all("acl")
                .filter(|d| {
                    d.arg(0)
                        .is_some_and(|n| rule_words.iter().any(|w| w.trim_start_matches('!') == n))
                })
                .map(|d| d.words.join(" "))
                .collect::<Vec<_>>()
                .join(" ");
            let text = format!("{why} {acl_text}");
            let websocket = if text.to_ascii_lowercase().contains("upgrade") {
                Some("its condition tests the Upgrade header".to_string())
            } else if let Some(w) = websocket_word(&text) {
                Some(format!("its condition says \"{w}\""))
            } else {
                websocket_word(&name).map(|w| format!("the backend's name says \"{w}\""))
            };
            let routed = Routed {
                frontend: fe,
                backend: Some(backend),
                tls,
                edits: HeaderEdits::default(),
                answer: None,
                global_hard_stop: cfg
                    .global()
                    .and_then(|g| g.dirs.iter().rev().find(|d| d.name() == "hard-stop-after")),
            };
            if out.iter().any(|r: &RoutedLayer| {
                r.frontend == fe.name() && r.backend.as_deref() == Some(name.as_str())
            }) {
                continue;
            }
            out.push(RoutedLayer {
                layer: layer::to_layer(&routed),
                frontend: fe.name().to_string(),
                backend: Some(name),
                scheme: if tls { Scheme::Wss } else { Scheme::Ws },
                notes: vec![why],
                websocket,
            });
        }
    }
    out
}
