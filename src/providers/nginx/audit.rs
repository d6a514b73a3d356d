//! The provider's entry points: read a configuration from a file, a dump or stdin; pick the
//! location nginx would use for a domain and path; or list every location that proxies
//! WebSockets. Each comes back as chain layers, ready for the rule pack.

use super::answer::{content, error_page, passes, stop_words, written, Content, Onward};
use super::error::NginxError;
use super::http_block::{HttpModel, Location, Modifier, Server};
use super::layer::{answers_itself, build_layer, Placement};
use super::rewrite::{passes_inside_if, rewrite_phase, Rewritten};
use super::select::{normalize_uri, pick_socket, select_location, select_server, ServerMatch};
use super::source::{Disk, Dump, Stdin};
use super::tree::{Config, Dir};
use super::upstream::PASS_DIRECTIVES;
use super::vars::Request;
use super::version::VersionSource;
use crate::model::{Layer, Scheme, SourceLine};
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
    /// What a client dials to reach that socket: `wss` for a `listen … ssl`, else `ws`.
    pub scheme: Scheme,
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
    layer.reached_by_fallback = trip.fallback.map(at);
    if let Some(cycle) = trip.cycle {
        answers_itself(
            &mut layer,
            cycle,
            format!(
                "{} (the URI is changed more than {MAX_REWRITES} times: nginx answers 500, \"rewrite or internal redirection cycle\")",
                written(cycle)
            ),
        );
    }
    if let Some(by) = trip.served {
        answers_itself(
            &mut layer,
            by,
            format!(
                "{}: nginx answers with the file {uri} (a static response, never 101)",
                written(by)
            ),
        );
    }
    let anchor = loc.map_or(server.dir, |l| l.dir);
    if let Some(l) = redirect_to {
        answers_itself(
            &mut layer,
            l.dir,
            format!(
                "location {} (nginx answers {uri} with a 301 to {}; WebSocket clients do not follow redirects)",
                l.label(),
                l.pattern
            ),
        );
    }
    Ok(Routed {
        layer,
        server_match: how,
        socket: format!("{}:{}", socket.0, socket.1),
        scheme: if tls { Scheme::Wss } else { Scheme::Ws },
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
    /// The last `try_files` or `error_page` that sent the request on.
    fallback: Option<Dir<'a>>,
    /// The `try_files` or `error_page` whose URI nginx answers with as a file.
    served: Option<Dir<'a>>,
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
        fallback: None,
        served: None,
    };
    let server_only = Placement {
        server,
        ancestors: Vec::new(),
        location: None,
    };
    let phase = rewrite_phase(model, &server_only.scope(model), start, &server.level);
    // A server-level answer is judged by build_layer, whichever location the URI selects:
    // nginx never runs a location's phases after it.
    let server_answers = phase.answers.is_some();
    if !server_answers {
        trip.note(phase.rewritten, phase.unresolved);
    }
    // A named location is entered directly (`try_files … @app`), never searched for.
    let mut named: Option<&'m Location<'a>> = None;
    let mut served: Option<Dir<'a>> = None;
    for changes in 0.. {
        if let Some(n) = named.take() {
            trip.redirect = None;
            trip.location = Some(n);
        } else {
            trip.redirect = auto_redirect(&server.locations, &trip.uri);
            trip.location = trip
                .redirect
                .or_else(|| select_location(&server.locations, &trip.uri));
        }
        if server_answers || trip.redirect.is_some() {
            break;
        }
        // With no location, the server's own configuration serves the request (its
        // `try_files` included).
        let place = Placement {
            server,
            ancestors: trip
                .location
                .map(|l| ancestors_of(&server.locations, l))
                .unwrap_or_default(),
            location: trip.location,
        };
        let (level, anchor) = match trip.location {
            Some(l) => (&l.level[..], l.dir),
            None => (&server.level[..], server.dir),
        };
        let uri = trip.uri.clone();
        let req = Request {
            uri: &uri,
            ..*start
        };
        let scope = place.scope(model);
        let phase = match trip.location {
            Some(_) => rewrite_phase(model, &scope, &req, level),
            // The server's phase already ran, before location search.
            None => super::rewrite::RewriteOutcome::default(),
        };
        let moves = phase
            .rewritten
            .as_ref()
            .is_some_and(|r| !r.stays && phase.answers.is_none());
        if moves {
            if changes == MAX_REWRITES {
                trip.cycle = phase.rewritten.map(|r| r.by);
                break;
            }
            trip.note(phase.rewritten, phase.unresolved);
            continue;
        }
        trip.note(None, phase.unresolved);
        // A fallback URI (`/index.html`, `/500.html`) names a file that is there: only the
        // handshake's own path is taken not to be one.
        if let Some(by) = served.take() {
            if phase.answers.is_none() && phase.pass.is_none() && !passes(level) {
                trip.served = Some(by);
                break;
            }
        }
        let Some((by, to, why)) = onward(&scope, &phase, level, anchor, &uri) else {
            break;
        };
        if changes == MAX_REWRITES {
            trip.cycle = Some(by);
            break;
        }
        match &to {
            Onward::Named(n) => {
                let Some(l) = server
                    .locations
                    .iter()
                    .find(|l| l.modifier == Modifier::Named && l.pattern == *n)
                else {
                    // nginx answers 500; build_layer says so at the directive.
                    break;
                };
                named = Some(l);
            }
            Onward::Uri(u) => {
                let e = super::vars::evaluate(u, model, &scope, &req);
                if !e.unknown.is_empty() {
                    trip.unfollowed = Some(by);
                    break;
                }
                trip.uri = e.text;
            }
        }
        let target = match &to {
            Onward::Named(n) => n.clone(),
            Onward::Uri(_) => trip.uri.clone(),
        };
        trip.rewrites.push(format!(
            "{}:{}: {} {why}, so the handshake continues in {target}",
            by.file(),
            by.line(),
            written(by),
        ));
        trip.fallback = Some(by);
        served = matches!(to, Onward::Uri(_)).then_some(by);
    }
    trip
}

/// Where a location that neither proxies nor moves the URI sends the handshake on: its
/// `try_files` fallback, or the `error_page` that catches the status it would answer with.
/// The reason is in words, for the notes: what wsaudit took for granted to get there.
fn onward<'a>(
    scope: &super::scope::Scope<'_, 'a>,
    phase: &super::rewrite::RewriteOutcome<'a>,
    level: &[Dir<'a>],
    anchor: Dir<'a>,
    uri: &str,
) -> Option<(Dir<'a>, Onward, String)> {
    let status = match phase.answers {
        Some((_, stop)) => {
            let (_, status) = stop_words(stop);
            (status?, written(stop))
        }
        None if phase.pass.is_none() && !passes(level) => match content(level, anchor) {
            Content::Onward { by, to } => {
                return Some((
                    by,
                    to,
                    format!("(wsaudit cannot see the disk and takes {uri} not to be a file for a WebSocket handshake)"),
                ))
            }
            Content::Answers { by, status, .. } => (status, written(by)),
        },
        None => return None,
    };
    let (code, what) = status;
    let (by, to) = error_page(scope, code)?;
    Some((by, to, format!("catches the {code} of {what}")))
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

use crate::providers::endpoint_words::websocket_word;

/// One location of the every-location listing.
#[derive(Debug, Clone)]
pub struct Listed {
    pub layer: Layer,
    /// What a client dials to reach it: `wss` when its server has a TLS listener.
    pub scheme: Scheme,
    /// `file:line` of the location.
    pub at: String,
    /// Why it was taken for a WebSocket endpoint (`forwards Upgrade`, `its path says "cable"`).
    pub why: String,
}

/// Every location that proxies and either forwards `Upgrade` or looks like a WebSocket
/// endpoint by its path or its upstream's name, as layers (ids unique within the result).
pub fn websocket_layers(cfg: &Config, version: &VersionSource) -> Result<Vec<Layer>, NginxError> {
    Ok(websocket_locations(cfg, version, &[])?
        .into_iter()
        .map(|l| l.layer)
        .collect())
}

/// [`websocket_layers`] with the scheme each is dialled with and why it was taken; the
/// locations nginx selects for the `declared` paths (`websocket_paths` in wsaudit.toml) are
/// taken too, whatever their names.
pub fn websocket_locations(
    cfg: &Config,
    version: &VersionSource,
    declared: &[String],
) -> Result<Vec<Listed>, NginxError> {
    // Each server is built, visited and dropped in turn: holding every server's levels at
    // once (the whole model) made layer building the run's peak of memory.
    let (model, server_dirs) = HttpModel::without_servers(cfg);
    let chunks = map_chunks(&server_dirs, |dirs| {
        let mut out = Vec::new();
        for d in dirs {
            let server = super::http_block::server(cfg, *d);
            let mut stack: Vec<&Location<'_>> = Vec::new();
            let chosen: Vec<(&Location<'_>, &str)> = declared
                .iter()
                .filter_map(|p| {
                    select_location(&server.locations, &normalize_uri(p)).map(|l| (l, p.as_str()))
                })
                .collect();
            visit(
                &model,
                &server,
                &server.locations,
                &mut stack,
                (version, &chosen),
                &mut out,
            )?;
        }
        Ok::<_, NginxError>(out)
    });
    let mut out = Vec::new();
    let mut ids = HashSet::new();
    for chunk in chunks {
        for mut listed in chunk? {
            if !ids.insert(listed.layer.id.clone()) {
                listed.layer.id = format!("{}@{}", listed.layer.id, listed.at);
                ids.insert(listed.layer.id.clone());
            }
            out.push(listed);
        }
    }
    Ok(out)
}

fn visit<'m, 'a>(
    model: &'m HttpModel<'a>,
    server: &'m Server<'a>,
    level: &'m [Location<'a>],
    stack: &mut Vec<&'m Location<'a>>,
    (version, chosen): (&VersionSource, &[(&'m Location<'a>, &str)]),
    out: &mut Vec<Listed>,
) -> Result<(), NginxError> {
    for l in level {
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
            let pass = place.pass().or_else(|| {
                l.level
                    .iter()
                    .filter(|d| d.name() == "if" && d.is_block())
                    .flat_map(|d| model.cfg.expanded(d.children()))
                    .find(|d| PASS_DIRECTIVES.contains(&d.name()))
            });
            let upstream = pass.map(|p| super::upstream::resolve(model, p).host);
            let declared = chosen
                .iter()
                .find(|(c, _)| std::ptr::eq(*c, l))
                .map(|(_, p)| *p);
            let why = if let Some(p) = declared {
                Some(format!("websocket_paths in wsaudit.toml names {p}"))
            } else if forwards {
                Some("forwards Upgrade".to_string())
            } else if let Some(w) = websocket_word(&l.pattern) {
                Some(format!("its path says {w:?}"))
            } else {
                upstream
                    .as_deref()
                    .and_then(|u| websocket_word(u).map(|w| format!("its upstream {u} says {w:?}")))
            };
            if let Some(why) = why {
                let uri = if matches!(
                    l.modifier,
                    Modifier::Regex | Modifier::RegexCaseless | Modifier::Named
                ) {
                    "/".to_string()
                } else {
                    l.pattern.clone()
                };
                // A WebSocket client reaches a server that has a TLS listener over wss.
                let tls = server.listens.iter().any(|l| l.ssl);
                let req = Request {
                    host: server.label(),
                    uri: &uri,
                    request_uri: &uri,
                    scheme: if tls { "https" } else { "http" },
                };
                let layer = build_layer(model, &place, version, req)?;
                out.push(Listed {
                    layer,
                    scheme: if tls { Scheme::Wss } else { Scheme::Ws },
                    at: format!("{}:{}", l.dir.file(), l.dir.line()),
                    why,
                });
            }
        }
        stack.push(l);
        visit(model, server, &l.nested, stack, (version, chosen), out)?;
        stack.pop();
    }
    Ok(())
}
