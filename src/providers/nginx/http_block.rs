//! nginx's view of the `http` block: servers with their listen sockets and names, the location
//! tree of each server, and the http-level tables (maps, upstreams, log formats). Built from
//! the include-expanded configuration; regexes are compiled only when a request needs them.

use super::tree::{Config, Dir};
use crate::parallel::map_chunks;
use std::collections::HashMap;

/// Every directive of one block level, includes expanded, nested blocks not descended.
pub type Level<'a> = Vec<Dir<'a>>;

#[derive(Debug)]
pub struct HttpModel<'a> {
    pub cfg: &'a Config,
    /// Top-level (main context) directives: `worker_shutdown_timeout`, …
    pub main: Level<'a>,
    pub http: Level<'a>,
    pub servers: Vec<Server<'a>>,
    pub maps: HashMap<String, Dir<'a>>,
    pub upstreams: HashMap<String, Dir<'a>>,
    pub log_formats: HashMap<String, Dir<'a>>,
}

#[derive(Debug)]
pub struct Server<'a> {
    pub dir: Dir<'a>,
    pub level: Level<'a>,
    pub names: Vec<String>,
    pub listens: Vec<Listen>,
    pub locations: Vec<Location<'a>>,
}

impl Server<'_> {
    /// The name a person would call this server by: its first `server_name`, else `_`.
    pub fn label(&self) -> &str {
        self.names
            .iter()
            .find(|n| !n.is_empty())
            .map(String::as_str)
            .unwrap_or("_")
    }

    /// How reports name the server: its first `server_name`, or, with none, that fact and its
    /// ports (`(no server_name) :80`), since `_` would read as a `server_name _;` that is not
    /// there.
    pub fn title(&self) -> String {
        if self.names.iter().any(|n| !n.is_empty()) {
            return self.label().to_string();
        }
        let mut ports: Vec<String> = Vec::new();
        for l in &self.listens {
            let p = if l.addr.starts_with("unix:") {
                l.addr.clone()
            } else {
                format!(":{}", l.port)
            };
            if !ports.contains(&p) {
                ports.push(p);
            }
        }
        format!("(no server_name) {}", ports.join(", "))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listen {
    /// `*`, `127.0.0.1`, `[::]`, `unix:/path`.
    pub addr: String,
    pub port: u16,
    pub default_server: bool,
    pub ssl: bool,
    pub http2: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Modifier {
    /// `location /p`
    Prefix,
    /// `location = /p`
    Exact,
    /// `location ^~ /p`
    NoRegex,
    /// `location ~ re`
    Regex,
    /// `location ~* re`
    RegexCaseless,
    /// `location @name`
    Named,
}

#[derive(Debug)]
pub struct Location<'a> {
    pub dir: Dir<'a>,
    pub modifier: Modifier,
    /// The path or pattern as written (after the modifier).
    pub pattern: String,
    pub level: Level<'a>,
    pub nested: Vec<Location<'a>>,
}

impl Location<'_> {
    /// The location without spaces, for layer ids: `/ws/`, `=/ws`, `^~/ws/`, `~^/ws`.
    pub fn compact(&self) -> String {
        let m = match self.modifier {
            Modifier::Prefix | Modifier::Named => "",
            Modifier::Exact => "=",
            Modifier::NoRegex => "^~",
            Modifier::Regex => "~",
            Modifier::RegexCaseless => "~*",
        };
        format!("{m}{}", self.pattern)
    }

    /// `/ws/`, `= /ws`, `^~ /ws/`, `~ ^/ws`, `@fallback`: the location as written.
    pub fn label(&self) -> String {
        match self.modifier {
            Modifier::Prefix | Modifier::Named => self.pattern.clone(),
            Modifier::Exact => format!("= {}", self.pattern),
            Modifier::NoRegex => format!("^~ {}", self.pattern),
            Modifier::Regex => format!("~ {}", self.pattern),
            Modifier::RegexCaseless => format!("~* {}", self.pattern),
        }
    }
}

impl<'a> HttpModel<'a> {
    /// The whole model: every server built.
    pub fn build(cfg: &'a Config) -> HttpModel<'a> {
        let (mut model, server_dirs) = Self::without_servers(cfg);
        model.servers = map_chunks(&server_dirs, |c| {
            c.iter().map(|d| server(cfg, *d)).collect::<Vec<_>>()
        })
        .into_iter()
        .flatten()
        .collect();
        model
    }

    /// The http-level tables (maps, upstreams, log formats, the http level itself) and the
    /// `server` blocks, not yet built: a caller visiting servers one by one builds each with
    /// [`server`] and drops it, instead of holding every server's levels at once.
    pub fn without_servers(cfg: &'a Config) -> (HttpModel<'a>, Vec<Dir<'a>>) {
        let main = cfg.expanded(cfg.root());
        let mut http: Level<'a> = Vec::new();
        for d in &main {
            if d.name() == "http" && d.is_block() {
                // Several http blocks are legal; nginx merges them in order.
                http.extend(cfg.expanded(d.children()));
            }
        }
        let mut model = HttpModel {
            cfg,
            main,
            http: Vec::new(),
            servers: Vec::new(),
            maps: HashMap::new(),
            upstreams: HashMap::new(),
            log_formats: HashMap::new(),
        };
        let server_dirs: Vec<Dir<'a>> = http
            .iter()
            .filter(|d| d.name() == "server" && d.is_block())
            .copied()
            .collect();
        for d in &http {
            match d.name() {
                "map" if d.is_block() => {
                    if let Some(var) = d.arg(1) {
                        model
                            .maps
                            .entry(var.trim_start_matches('$').to_string())
                            .or_insert(*d);
                    }
                }
                "upstream" if d.is_block() => {
                    if let Some(n) = d.arg(0) {
                        model.upstreams.entry(n.to_string()).or_insert(*d);
                    }
                }
                "log_format" => {
                    if let Some(n) = d.arg(0) {
                        model.log_formats.entry(n.to_string()).or_insert(*d);
                    }
                }
                _ => {}
            }
        }
        model.http = http.into_iter().filter(|d| !d.is_block()).collect();
        (model, server_dirs)
    }
}

/// One `server` block: its level, names, listen sockets and location tree.
pub fn server<'a>(cfg: &'a Config, d: Dir<'a>) -> Server<'a> {
    let all = cfg.expanded(d.children());
    let mut names = Vec::new();
    let mut listens = Vec::new();
    let mut locations = Vec::new();
    let mut level = Vec::new();
    let mut http2_on = false;
    for x in all {
        match x.name() {
            "location" if x.is_block() => {
                if let Some(l) = location(cfg, x) {
                    locations.push(l);
                }
            }
            "server_name" => names.extend(x.args().map(|a| a.to_ascii_lowercase())),
            "listen" => {
                if let Some(l) = parse_listen(x) {
                    listens.push(l);
                }
                level.push(x);
            }
            "http2" => {
                http2_on = x.arg(0) == Some("on");
                level.push(x);
            }
            // `if` blocks stay in the level: the server's rewrite phase (rewrite.rs) runs them.
            "if" => level.push(x),
            _ if !x.is_block() => level.push(x),
            _ => {}
        }
    }
    if listens.is_empty() {
        // nginx's default when running as root (`*:8000` otherwise).
        listens.push(Listen {
            addr: "*".into(),
            port: 80,
            default_server: false,
            ssl: false,
            http2: false,
        });
    }
    if http2_on {
        for l in &mut listens {
            l.http2 = true;
        }
    }
    if names.is_empty() {
        names.push(String::new());
    }
    Server {
        dir: d,
        level,
        names,
        listens,
        locations,
    }
}

fn location<'a>(cfg: &'a Config, d: Dir<'a>) -> Option<Location<'a>> {
    let (modifier, pattern) = match (d.arg(0), d.arg(1)) {
        (Some(m), Some(p)) => (
            match m {
                "=" => Modifier::Exact,
                "^~" => Modifier::NoRegex,
                "~" => Modifier::Regex,
                "~*" => Modifier::RegexCaseless,
                _ => return None,
            },
            p.to_string(),
        ),
        (Some(n), None) => {
            if let Some(r) = n.strip_prefix('=') {
                (Modifier::Exact, r.to_string())
            } else if let Some(r) = n.strip_prefix("^~") {
                (Modifier::NoRegex, r.to_string())
            } else if let Some(r) = n.strip_prefix("~*") {
                (Modifier::RegexCaseless, r.to_string())
            } else if let Some(r) = n.strip_prefix('~') {
                (Modifier::Regex, r.to_string())
            } else if n.starts_with('@') {
                (Modifier::Named, n.to_string())
            } else {
                (Modifier::Prefix, n.to_string())
            }
        }
        _ => return None,
    };
    let mut level = Vec::new();
    let mut nested = Vec::new();
    for x in cfg.expanded(d.children()) {
        if x.name() == "location" && x.is_block() {
            if let Some(l) = location(cfg, x) {
                nested.push(l);
            }
        } else if !x.is_block() || x.name() == "if" {
            // `if` blocks stay in the level: the rewrite phase (rewrite.rs) runs them.
            level.push(x);
        }
    }
    Some(Location {
        dir: d,
        modifier,
        pattern,
        level,
        nested,
    })
}

/// `listen 80`, `listen [::]:443 ssl default_server`, `listen 127.0.0.1:8080`, `listen unix:/s`.
pub fn parse_listen(d: Dir<'_>) -> Option<Listen> {
    let a = d.arg(0)?;
    let (addr, port) = if a.starts_with("unix:") {
        (a.to_string(), 0)
    } else if let Some(rest) = a.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        let port = match after.strip_prefix(':') {
            Some(p) => p.parse().ok()?,
            None => 80,
        };
        (format!("[{host}]"), port)
    } else if let Some((host, p)) = a.rsplit_once(':') {
        (
            if host == "0.0.0.0" { "*" } else { host }.to_string(),
            p.parse().ok()?,
        )
    } else if a.bytes().all(|b| b.is_ascii_digit()) {
        ("*".to_string(), a.parse().ok()?)
    } else {
        (a.to_string(), 80)
    };
    let flags: Vec<&str> = d.args().skip(1).collect();
    Some(Listen {
        addr,
        port,
        default_server: flags
            .iter()
            .any(|f| *f == "default_server" || *f == "default"),
        ssl: flags.contains(&"ssl"),
        http2: flags.contains(&"http2"),
    })
}
