//! The provider's entry points: read a configuration from a file, a dump or stdin; pick the
//! location nginx would use for a domain and path; or list every location that proxies
//! WebSockets. Each comes back as chain layers, ready for the rule pack.

use super::error::NginxError;
use super::http_block::{HttpModel, Location, Modifier, Server};
use super::layer::{build_layer, Placement};
use super::rewrite::{passes_inside_if, rewrite_phase, Rewritten};
use super::select::{normalize_uri, pick_socket, select_location, select_server, ServerMatch};
use super::source::{Disk, Dump, Stdin};
use super::tree::{Config, Dir};
use super::upstream::PASS_DIRECTIVES;
use super::vars::Request;
use super::version::VersionSource;
use crate::model::{Layer, SourceLine};
use crate::parallel::map_chunks;
use std::collections::HashSet;
use std::io::Read;

/// Where the configuration comes from.
#[derive(Debug, Clone)]
pub enum Input {
    /// A main file; includes are followed on disk relative to its directory.
    File(String),
    /// The output of `nginx -T`, several files in one.
    Dump(String),
    /// Standard input: one file, or a dump when it looks like one.
    Stdin,
}

/// Reads the configuration and everything it includes, parsing files on the machine's cores.
pub fn read_config(input: &Input) -> Result<Config, NginxError> {
    read_config_on(input, crate::parallel::threads())
}

/// Like [`read_config`] on `threads` parser threads (`WSAUDIT_NGINX_READ_THREADS`, which the
/// commands read).
pub fn read_config_on(input: &Input, threads: usize) -> Result<Config, NginxError> {
    match input {
        Input::File(p) if p == "-" => read_config_on(&Input::Stdin, threads),
        Input::File(p) => Config::read_on(&Disk, p, threads),
        Input::Dump(p) => {
            let text = if p == "-" {
                read_stdin()?
            } else {
                Disk.read_text(p)?
            };
            let dump = Dump::parse(&text, p)?;
            let main = dump.main.clone();
            Config::read_on(&dump, &main, threads)
        }
        Input::Stdin => {
            let text = read_stdin()?;
            if Dump::looks_like_dump(&text) {
                let dump = Dump::parse(&text, "-")?;
                let main = dump.main.clone();
                Config::read_on(&dump, &main, threads)
            } else {
                let src = Stdin {
                    name: "-".into(),
                    text,
                };
                Config::read_on(&src, "-", threads)
            }
        }
    }
}

fn read_stdin() -> Result<String, NginxError> {
    let mut buf = Vec::new();
    std::io::stdin()
        .read_to_end(&mut buf)
        .map_err(|e| NginxError::Unreadable {
            path: "-".into(),
            reason: super::source::os_reason(&e),
        })?;
    Ok(String::from_utf8_lossy(&buf).into_owned())
}

impl Disk {
    fn read_text(&self, p: &str) -> Result<String, NginxError> {
        use super::source::Source;
        self.read(p).map_err(|reason| NginxError::Unreadable {
            path: p.to_string(),
            reason,
        })
    }
}

/// A request to route: `Host` and path, optionally the port it arrives on.
#[derive(Debug, Clone)]
pub struct Query {
    pub host: String,
    pub path: String,
    /// Default: 443 when any server listens there, else 80, else the first port.
    pub port: Option<u16>,
}

/// The location nginx picks for a query, as a layer.
#[derive(Debug, Clone)]
pub struct Routed {
    pub layer: Layer,
    /// `ws.example.com` (exact), `*.example.com` (leading wildcard), … or `default`.
    pub server_match: ServerMatch,
    /// `host:port` of the chosen server's socket.
    pub socket: String,
    /// The location as written (`/ws/`, `~ ^/socket`), None when no location matched.
    pub location: Option<String>,
    /// Where the chosen location (or server) is written: `file:line`.
    pub at: String,
    /// nginx answers the path with a 301 to this one instead of proxying it (a proxied
    /// `location /ws/` and a request for `/ws`); WebSocket clients do not follow redirects.
    pub redirect: Option<String>,
    /// nginx's internal rewrites on the way to the location, in words
    /// (`/cable/x rewritten to /socket/cable/x by nginx.conf:21`).
    pub rewrites: Vec<String>,
}

/// What nginx does for `Host: q.host`, path `q.path`: the server and location it would pick
/// and the resulting layer.
pub fn route(cfg: &Config, q: &Query, version: &VersionSource) -> Result<Routed, NginxError> {
    let model = HttpModel::build(cfg);
    let socket = pick_socket(&model, q.port).ok_or_else(|| NginxError::Invalid {
        file: cfg.files[0].path.clone(),
        line: 1,
        col: 1,
        message: match q.port {
            Some(p) => format!("no server listens on port {p}"),
            None => "no http server block".into(),
        },
    })?;
    let (server, how) =
        select_server(&model, &socket, &q.host).ok_or_else(|| NginxError::Invalid {
            file: cfg.files[0].path.clone(),
            line: 1,
            col: 1,
            message: format!("no server listens on {}:{}", socket.0, socket.1),
        })?;
    let sent = normalize_uri(&q.path);
    // nginx's `$scheme`: the listen on the chosen socket says whether the handshake is wss.
    let tls = server.listens.iter().any(|l| l.port == socket.1 && l.ssl);
    let scheme = if tls { "https" } else { "http" };
    let start = Request {
        host: &q.host,
        uri: &sent,
        request_uri: &sent,
        scheme,
    };
    let trip = follow_rewrites(&model, server, &start);
    let uri = trip.uri.clone();
    let (loc, redirect_to) = (trip.location, trip.redirect);
    let ancestors = loc
        .map(|l| ancestors_of(&server.locations, l))
        .unwrap_or_default();
    let place = Placement {
        server,
        ancestors,
        location: loc,
    };
    let at_location = Request { uri: &uri, ..start };
    let mut layer = build_layer(&model, &place, version, at_location)?;
    // The reports name these beside the layer: the on-call engineer must see that /cable/x
    // is judged as the /socket/ location because of a rewrite, not by a misreading.
    let at = |d: Dir<'_>| SourceLine {
        file: d.file().to_string(),
        line: d.line(),
    };
    layer.reached_by_rewrite = trip.via.map(at);
    layer.rewrite_not_followed = trip.unfollowed.map(at);
    if let Some(cycle) = trip.cycle {
        layer.websocket = crate::model::Setting {
            value: Some(crate::model::WebsocketSupport::Disabled),
            origin: crate::model::Origin::Explicit {
                locator: cycle.file().to_string(),
                line: Some(cycle.line()),
                column: Some(cycle.col()),
                field: Some(format!(
                    "rewrite {} (the URI is rewritten more than {MAX_REWRITES} times: nginx answers 500, \"rewrite or internal redirection cycle\")",
                    cycle.args().collect::<Vec<_>>().join(" ")
                )),
            },
        };
    }
    let anchor = loc.map_or(server.dir, |l| l.dir);
    if let Some(l) = redirect_to {
        layer.forwards_upgrade = crate::model::Setting {
            value: Some(false),
            origin: crate::model::Origin::Explicit {
                locator: l.dir.file().to_string(),
                line: Some(l.dir.line()),
                column: Some(l.dir.col()),
                field: Some(format!(
                    "location {} (nginx answers {uri} with a 301 to {}; WebSocket clients do not follow redirects)",
                    l.label(),
                    l.pattern
                )),
            },
        };
    }
    Ok(Routed {
        layer,
        server_match: how,
        socket: format!("{}:{}", socket.0, socket.1),
        location: loc.map(Location::label),
        at: format!("{}:{}", anchor.file(), anchor.line()),
        redirect: redirect_to.map(|l| l.pattern.clone()),
        rewrites: trip.rewrites,
    })
}

/// nginx gives up after ten URI changes in one request (`NGX_HTTP_MAX_URI_CHANGES`).
const MAX_REWRITES: usize = 10;

/// Where a handshake ends up after nginx's internal rewrites.
struct Trip<'m, 'a> {
    /// The URI the final location is entered with.
    uri: String,
    location: Option<&'m Location<'a>>,
    /// The proxied `/ws/` location nginx 301s a request for `/ws` to.
    redirect: Option<&'m Location<'a>>,
    /// Each internal rewrite, in words.
    rewrites: Vec<String>,
    /// The rewrite that made the request loop (nginx answers 500).
    cycle: Option<Dir<'a>>,
    /// The last rewrite followed, and one that could not be (its target is request data).
    via: Option<Dir<'a>>,
    unfollowed: Option<Dir<'a>>,
}

/// The server's rewrite phase, then location search, the location's rewrite phase and search
/// again while a `rewrite … last` (or one with no flag) sends the request elsewhere.
fn follow_rewrites<'m, 'a>(
    model: &HttpModel<'a>,
    server: &'m Server<'a>,
    start: &Request<'_>,
) -> Trip<'m, 'a> {
    let mut trip = Trip {
        uri: start.uri.to_string(),
        location: None,
        redirect: None,
        rewrites: Vec::new(),
        cycle: None,
        via: None,
        unfollowed: None,
    };
    let server_only = Placement {
        server,
        ancestors: Vec::new(),
        location: None,
    };
    let phase = rewrite_phase(model, &server_only.scope(model), start, &server.level);
    // A server-level answer is judged by build_layer, whichever location the URI selects.
    if phase.answers.is_none() {
        trip.note(phase.rewritten, phase.unresolved);
    }
    for changes in 0.. {
        trip.redirect = auto_redirect(&server.locations, &trip.uri);
        trip.location = trip
            .redirect
            .or_else(|| select_location(&server.locations, &trip.uri));
        let (Some(loc), None) = (trip.location, trip.redirect) else {
            break;
        };
        let place = Placement {
            server,
            ancestors: ancestors_of(&server.locations, loc),
            location: Some(loc),
        };
        let req = Request {
            uri: &trip.uri,
            ..*start
        };
        let phase = rewrite_phase(model, &place.scope(model), &req, &loc.level);
        let moves = phase
            .rewritten
            .as_ref()
            .is_some_and(|r| !r.stays && phase.answers.is_none());
        if !moves {
            trip.note(None, phase.unresolved);
            break;
        }
        if changes == MAX_REWRITES {
            trip.cycle = phase.rewritten.map(|r| r.by);
            break;
        }
        trip.note(phase.rewritten, phase.unresolved);
    }
    trip
}

impl<'a> Trip<'_, 'a> {
    fn note(&mut self, rewritten: Option<Rewritten<'a>>, unresolved: Option<Dir<'a>>) {
        if let Some(r) = rewritten {
            self.rewrites.push(format!(
                "{} rewritten to {} by {}:{}",
                self.uri,
                r.uri,
                r.by.file(),
                r.by.line()
            ));
            self.uri = r.uri;
            self.via = Some(r.by);
        }
        if let Some(d) = unresolved {
            self.unfollowed = Some(d);
            self.rewrites.push(format!(
                "{}:{}: rewrite {} depends on a value not known before the request; not followed",
                d.file(),
                d.line(),
                d.args().collect::<Vec<_>>().join(" ")
            ));
        }
    }
}

/// nginx's `auto_redirect`: a request for `/ws` when no location is exactly `/ws` but a
/// proxied prefix location is `/ws/` gets a 301 to `/ws/`, before any regex is tried.
fn auto_redirect<'m, 'a>(level: &'m [Location<'a>], uri: &str) -> Option<&'m Location<'a>> {
    if uri.ends_with('/') {
        return None;
    }
    let exact = level.iter().any(|l| {
        matches!(
            l.modifier,
            Modifier::Exact | Modifier::Prefix | Modifier::NoRegex
        ) && l.pattern == uri
    });
    if exact {
        return None;
    }
    let with_slash = format!("{uri}/");
    level.iter().find(|l| {
        matches!(
            l.modifier,
            Modifier::Prefix | Modifier::NoRegex | Modifier::Exact
        ) && l.pattern == with_slash
            && l.level.iter().any(|d| PASS_DIRECTIVES.contains(&d.name()))
    })
}

/// The enclosing locations of `target`, outermost first.
fn ancestors_of<'m, 'a>(level: &'m [Location<'a>], target: &Location<'a>) -> Vec<&'m Location<'a>> {
    fn walk<'m, 'a>(
        level: &'m [Location<'a>],
        target: &Location<'a>,
        path: &mut Vec<&'m Location<'a>>,
    ) -> bool {
        for l in level {
            if std::ptr::eq(l, target) {
                return true;
            }
            path.push(l);
            if walk(&l.nested, target, path) {
                return true;
            }
            path.pop();
        }
        false
    }
    let mut path = Vec::new();
    walk(level, target, &mut path);
    path
}

/// Path words that mark a WebSocket endpoint even when `Upgrade` is (wrongly) not forwarded.
const WS_WORDS: &[&str] = &[
    "ws",
    "wss",
    "websocket",
    "websockets",
    "socket",
    "sockets",
    "sockjs",
    "cable",
    "hub",
    "hubs",
    "realtime",
    "live",
    "graphql",
    "subscriptions",
    "signalr",
    "stomp",
    "mqtt",
];

fn looks_like_websocket(pattern: &str) -> bool {
    pattern
        .to_ascii_lowercase()
        .split(|c: char| !c.is_ascii_alphanumeric())
        .any(|w| WS_WORDS.contains(&w))
}

/// Every location that proxies and either forwards `Upgrade` or looks like a WebSocket
/// endpoint by its path, as layers (ids unique within the result).
pub fn websocket_layers(cfg: &Config, version: &VersionSource) -> Result<Vec<Layer>, NginxError> {
    // Each server is built, visited and dropped in turn: holding every server's levels at
    // once (the whole model) made layer building the run's peak of memory.
    let (model, server_dirs) = HttpModel::without_servers(cfg);
    let chunks = map_chunks(&server_dirs, |dirs| {
        let mut out = Vec::new();
        for d in dirs {
            let server = super::http_block::server(cfg, *d);
            let mut stack: Vec<&Location<'_>> = Vec::new();
            visit(
                &model,
                &server,
                &server.locations,
                &mut stack,
                version,
                &mut out,
            )?;
        }
        Ok::<_, NginxError>(out)
    });
    let mut out = Vec::new();
    let mut ids = HashSet::new();
    for chunk in chunks {
        for (mut layer, at) in chunk? {
            if !ids.insert(layer.id.clone()) {
                layer.id = format!("{}@{at}", layer.id);
                ids.insert(layer.id.clone());
            }
            out.push(layer);
        }
    }
    Ok(out)
}

fn visit<'m, 'a>(
    model: &'m HttpModel<'a>,
    server: &'m Server<'a>,
    level: &'m [Location<'a>],
    stack: &mut Vec<&'m Location<'a>>,
    version: &VersionSource,
    out: &mut Vec<(Layer, String)>,
) -> Result<(), NginxError> {
    for l in level {
        if l.modifier == Modifier::Named {
            continue;
        }
        let proxies = l.level.iter().any(|d| PASS_DIRECTIVES.contains(&d.name()))
            || passes_inside_if(model, &l.level);
        if proxies {
            let place = Placement {
                server,
                ancestors: stack.clone(),
                location: Some(l),
            };
            let scope = place.scope(model);
            let forwards = scope.array("proxy_set_header").is_some_and(|(list, _)| {
                list.iter()
                    .any(|d| d.arg(0).is_some_and(|a| a.eq_ignore_ascii_case("upgrade")))
            });
            if forwards || looks_like_websocket(&l.pattern) {
                let uri = if matches!(l.modifier, Modifier::Regex | Modifier::RegexCaseless) {
                    "/".to_string()
                } else {
                    l.pattern.clone()
                };
                let req = Request {
                    host: server.label(),
                    uri: &uri,
                    request_uri: &uri,
                    // A WebSocket client reaches a server that has a TLS listener over wss.
                    scheme: if server.listens.iter().any(|l| l.ssl) {
                        "https"
                    } else {
                        "http"
                    },
                };
                let layer = build_layer(model, &place, version, req)?;
                out.push((layer, format!("{}:{}", l.dir.file(), l.dir.line())));
            }
        }
        stack.push(l);
        visit(model, server, &l.nested, stack, version, out)?;
        stack.pop();
    }
    Ok(())
}
