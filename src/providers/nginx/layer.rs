//! One audited location → one chain `Layer`, every setting with its provenance: the file and
//! line that set it, or nginx's documented default (and for version-dependent defaults, which
//! version was assumed).

use super::answer::{content, redirects_to_https, stop_words, Content};
use super::error::NginxError;
use super::http_block::{HttpModel, Location, Server};
use super::rewrite::{rewrite_phase, RewriteOutcome};
use super::scope::Scope;
use super::time::parse_nginx_time;
use super::tree::Dir;
use super::upstream::{self, module_prefix, PASS_DIRECTIVES};
use super::vars::{evaluate, Request};
use super::version::{VersionSource, HTTP11_DEFAULT, STICKY_OPEN_SOURCE};
use crate::model::{
    AccessLog, IdleResetBy, Layer, LayerKind, Origin, Provider, Seconds, Setting, SourceLine,
    Stickiness, WebsocketSupport,
};

const PROXY_DOC: &str = "https://nginx.org/en/docs/http/ngx_http_proxy_module.html";
const CORE_DOC: &str = "https://nginx.org/en/docs/http/ngx_http_core_module.html";
const UPSTREAM_DOC: &str = "https://nginx.org/en/docs/http/ngx_http_upstream_module.html";
const WS_DOC: &str = "https://nginx.org/en/docs/http/websocket.html";
const LOG_DOC: &str = "https://nginx.org/en/docs/http/ngx_http_log_module.html";
const GZIP_DOC: &str = "https://nginx.org/en/docs/http/ngx_http_gzip_module.html#gzip";
const MAIN_DOC: &str = "https://nginx.org/en/docs/ngx_core_module.html#worker_shutdown_timeout";
const COMBINED: &str = "$remote_addr - $remote_user [$time_local] \"$request\" $status $body_bytes_sent \"$http_referer\" \"$http_user_agent\"";

fn explicit<T>(v: T, d: Dir<'_>) -> Setting<T> {
    explicit_field(v, d, d.name().to_string())
}

fn explicit_field<T>(v: T, d: Dir<'_>, field: String) -> Setting<T> {
    Setting {
        value: Some(v),
        origin: Origin::Explicit {
            locator: d.file().to_string(),
            line: Some(d.line()),
            column: Some(d.col()),
            field: Some(field),
        },
    }
}

fn documented<T>(v: T, text: impl Into<String>, url: String) -> Setting<T> {
    Setting::default_documented(v, text, &url)
}

fn time_of(d: Dir<'_>, arg: usize) -> Result<Seconds, NginxError> {
    let v = d.arg(arg).unwrap_or("");
    parse_nginx_time(v).map_err(|message| NginxError::Invalid {
        file: d.file().to_string(),
        line: d.line(),
        col: d.col(),
        message: format!("{message} in \"{}\" directive", d.name()),
    })
}

/// Where a location sits: its server and enclosing locations, outermost first.
pub struct Placement<'m, 'a> {
    pub server: &'m Server<'a>,
    pub ancestors: Vec<&'m Location<'a>>,
    pub location: Option<&'m Location<'a>>,
}

impl<'m, 'a> Placement<'m, 'a> {
    pub fn scope<'s>(&'s self, model: &'s HttpModel<'a>) -> Scope<'s, 'a> {
        let mut levels: Vec<(&'static str, &'s [Dir<'a>])> = vec![
            ("http", &model.http[..]),
            ("server", &self.server.level[..]),
        ];
        for a in &self.ancestors {
            levels.push(("location", &a.level[..]));
        }
        if let Some(l) = self.location {
            levels.push(("location", &l.level[..]));
        }
        Scope { levels }
    }

    /// The `*_pass` of the location itself (not inherited: nginx never inherits it).
    pub fn pass(&self) -> Option<Dir<'a>> {
        self.location?
            .level
            .iter()
            .find(|d| PASS_DIRECTIVES.contains(&d.name()))
            .copied()
    }
}

/// Builds the layer for one location (or for a server where no location matched), for the
/// handshake `req`: its `uri` is the one the location was entered with (after nginx's
/// internal rewrites), its `request_uri` the one the server's rewrite phase saw.
pub fn build_layer(
    model: &HttpModel<'_>,
    place: &Placement<'_, '_>,
    version: &VersionSource,
    req: Request<'_>,
) -> Result<Layer, NginxError> {
    let scope = place.scope(model);
    let server = place.server;
    let (loc_label, loc_pattern, anchor) = match place.location {
        Some(l) => (l.label(), l.compact(), l.dir),
        None => ("(none)".to_string(), "(none)".to_string(), server.dir),
    };
    let mut layer = Layer::new(
        format!("nginx:{}{}", server.label(), loc_pattern),
        LayerKind::ReverseProxy,
        Provider::Nginx,
        format!("server {} location {}", server.title(), loc_label),
    );
    layer.locator = Some(anchor.file().to_string());
    layer.defined_at = Some(SourceLine {
        file: anchor.file().to_string(),
        line: anchor.line(),
    });
    let vdesc = version.describe();

    // nginx's rewrite phases: the server's first (a `return` there answers before any
    // location is chosen), then the location's, where a true `if` may also proxy elsewhere.
    let sent = Request {
        uri: req.request_uri,
        ..req
    };
    let server_answer = rewrite_phase(model, &scope, &sent, &server.level);
    let server_answers = server_answer.answers.is_some();
    let ifs = match place.location {
        _ if server_answers => server_answer,
        Some(l) => rewrite_phase(model, &scope, &req, &l.level),
        None => RewriteOutcome::default(),
    };
    let pass = ifs.pass.or_else(|| place.pass());
    let prefix = pass.map(|p| module_prefix(p.name()).to_string());
    let tunnels = prefix.as_deref() == Some("proxy");
    let pfx = prefix.clone().unwrap_or_else(|| "proxy".into());

    layer.idle_timeout = match scope.scalar(&format!("{pfx}_read_timeout")) {
        Some(d) => explicit(time_of(d, 0)?, d),
        None => documented(
            Seconds(60.0),
            format!("{pfx}_read_timeout defaults to 60s: an upgraded connection with no data either way for that long is closed"),
            format!("{PROXY_DOC}#proxy_read_timeout"),
        ),
    };
    layer.send_timeout = match scope.scalar(&format!("{pfx}_send_timeout")) {
        Some(d) => explicit(time_of(d, 0)?, d),
        None => documented(
            Seconds(60.0),
            format!("{pfx}_send_timeout defaults to 60s: a write to the upstream that stalls that long closes the connection"),
            format!("{PROXY_DOC}#proxy_send_timeout"),
        ),
    };
    layer.idle_reset_by = documented(
        IdleResetBy::Either,
        "in tunnel mode nginx re-arms the read timer on data in either direction",
        WS_DOC.to_string(),
    );
    layer.client_keepalive = match scope.scalar("keepalive_timeout") {
        Some(d) => explicit(time_of(d, 0)?, d),
        None => documented(
            Seconds(75.0),
            "keepalive_timeout defaults to 75s",
            format!("{CORE_DOC}#keepalive_timeout"),
        ),
    };
    layer.websocket = match pass {
        Some(_) if tunnels => documented(
            WebsocketSupport::Enabled,
            "proxy_pass tunnels WebSockets (nginx 1.3.13+) when Upgrade and Connection are forwarded",
            WS_DOC.to_string(),
        ),
        Some(p) => explicit_field(
            WebsocketSupport::Disabled,
            p,
            format!("{} (only proxy_pass tunnels an upgraded connection)", p.name()),
        ),
        None => explicit_field(
            WebsocketSupport::Disabled,
            anchor,
            "location (no proxy_pass: nginx answers itself)".into(),
        ),
    };
    headers(
        &mut layer, model, &scope, &req, version, tunnels, pass, anchor,
    );
    if let Some(p) = pass {
        layer.proxies = explicit(true, p);
    }

    layer.upstream_http_version = match (pass, prefix.as_deref()) {
        (Some(p), Some("grpc")) => explicit("grpc".to_string(), p),
        (Some(_), Some("proxy")) | (None, _) => match scope.scalar("proxy_http_version") {
            Some(d) => explicit(d.arg(0).unwrap_or("").to_string(), d),
            None => {
                let v = if version.at_least(HTTP11_DEFAULT) {
                    "1.1"
                } else {
                    "1.0"
                };
                documented(
                    v.to_string(),
                    format!("proxy_http_version defaults to 1.0 before nginx 1.29.7 and 1.1 from it; {vdesc}"),
                    format!("{PROXY_DOC}#proxy_http_version"),
                )
            }
        },
        (Some(p), _) => Setting::unknown(format!("{} speaks its own protocol, not HTTP", p.name())),
    };
    layer.buffering = match scope.scalar(&format!("{pfx}_buffering")) {
        Some(d) => explicit(d.arg(0) == Some("on"), d),
        None => documented(
            true,
            format!("{pfx}_buffering defaults to on (an upgraded WebSocket is never buffered; long-poll and SSE fallbacks are)"),
            format!("{PROXY_DOC}#proxy_buffering"),
        ),
    };
    layer.compression = match scope.scalar("gzip") {
        Some(d) => explicit(d.arg(0) == Some("on"), d),
        None => documented(false, "gzip defaults to off", GZIP_DOC.to_string()),
    };
    layer.tls_to_origin = match pass {
        Some(p) => {
            let t = upstream::resolve(model, p);
            explicit(matches!(t.scheme.as_str(), "https" | "grpcs"), p)
        }
        None => Setting::unknown("the location does not proxy"),
    };
    layer.client_protocols = {
        let h2 = server.listens.iter().any(|l| l.http2);
        let v = if h2 {
            vec!["http1.1".to_string(), "h2".to_string()]
        } else {
            vec!["http1.1".to_string()]
        };
        explicit_field(v, server.dir, "listen / http2".into())
    };
    balancing(&mut layer, model, pass, version)?;
    layer.drain_timeout = match model
        .main
        .iter()
        .find(|d| d.name() == "worker_shutdown_timeout")
    {
        Some(d) => explicit(time_of(*d, 0)?, *d),
        None => Setting {
            value: None,
            origin: Origin::Default {
                documented: "worker_shutdown_timeout is not set: on reload old workers keep existing WebSockets until they close".into(),
                source: Some(MAIN_DOC.into()),
            },
        },
    };
    layer.access_log = access_log(model, &scope);
    if tls_rejected(&scope, &req) {
        let d = scope.scalar("ssl_reject_handshake").expect("checked");
        answers_itself(
            &mut layer,
            d,
            "ssl_reject_handshake on refuses the TLS handshake: wss:// clients get a TLS alert and no HTTP response at all".into(),
        );
    } else if let Some((cond, stop)) = ifs.answers {
        let words = super::answer::written;
        let (what, _) = stop_words(stop);
        let why = match cond {
            Some(cond) => format!(
                "if ({}) {{ {}; }} is true for a WebSocket handshake: {what}",
                cond.args().collect::<Vec<_>>().join(" "),
                words(stop)
            ),
            None if server_answers => format!(
                "{} at server level runs before any location: {what}",
                words(stop)
            ),
            None if pass.is_some() => format!("{} runs before proxy_pass: {what}", words(stop)),
            None => format!("{}: {what}", words(stop)),
        };
        answers_itself(&mut layer, stop, why);
        if req.scheme == "http" && redirects_to_https(stop) {
            layer.cleartext_from_client = explicit("redirect".to_string(), stop);
        }
    } else if pass.is_none() {
        let level = place.location.map_or(&server.level[..], |l| &l.level[..]);
        let (by, why) = match content(level, anchor) {
            Content::Answers { by, words, .. } => (by, words),
            Content::Onward { by, to } => (
                by,
                format!(
                    "{} sends the handshake to {}, which this server does not define: nginx answers 500",
                    super::answer::written(by),
                    match to {
                        super::answer::Onward::Named(n) | super::answer::Onward::Uri(n) => n,
                    }
                ),
            ),
        };
        answers_itself(&mut layer, by, why);
    }
    if req.scheme == "http" && layer.proxies.value == Some(true) {
        layer.cleartext_from_client = explicit_field(
            "allow".to_string(),
            server.dir,
            "listen (no ssl: the handshake arrives as ws://)".into(),
        );
    }
    Ok(layer)
}

/// `ssl_reject_handshake on` for a server reached over TLS: nginx refuses the TLS handshake,
/// before any HTTP.
fn tls_rejected(scope: &Scope<'_, '_>, req: &Request<'_>) -> bool {
    req.scheme == "https"
        && scope
            .scalar("ssl_reject_handshake")
            .is_some_and(|d| d.arg(0) == Some("on"))
}

/// nginx answers the handshake itself at `by` (`why` says with what): the layer has no next
/// hop, so the settings of one (forwarding, the upstream protocol, buffering, the upstream
/// timeouts, the proxy's logs) do not exist, rather than hold nginx's defaults.
pub fn answers_itself(layer: &mut Layer, by: Dir<'_>, why: String) {
    layer.websocket = explicit_field(WebsocketSupport::Disabled, by, why.clone());
    layer.proxies = explicit_field(false, by, why);
    let none = format!(
        "no proxy hop: nginx answers the handshake itself at {}:{}",
        by.file(),
        by.line()
    );
    layer.idle_timeout = Setting::unknown(&none);
    layer.idle_reset_by = Setting::unknown(&none);
    layer.send_timeout = Setting::unknown(&none);
    layer.upstream_keepalive = Setting::unknown(&none);
    layer.forwards_upgrade = Setting::unknown(&none);
    layer.upgrade_header = Setting::unknown(&none);
    layer.connection_header = Setting::unknown(&none);
    layer.upstream_http_version = Setting::unknown(&none);
    layer.tls_to_origin = Setting::unknown(&none);
    layer.stickiness = Setting::unknown(&none);
    layer.balancing = Setting::unknown(&none);
    layer.targets = Setting::unknown(&none);
    layer.drain_timeout = Setting::unknown(&none);
    layer.buffering = Setting::unknown(&none);
    layer.compression = Setting::unknown(&none);
    layer.access_log = Setting::unknown(none);
}

#[allow(clippy::too_many_arguments)]
fn headers(
    layer: &mut Layer,
    model: &HttpModel<'_>,
    scope: &Scope<'_, '_>,
    req: &Request<'_>,
    version: &VersionSource,
    tunnels: bool,
    pass: Option<Dir<'_>>,
    anchor: Dir<'_>,
) {
    let vdesc = version.describe();
    let new_defaults = version.at_least(HTTP11_DEFAULT);
    let default_conn = || {
        if new_defaults {
            documented(
                String::new(),
                format!(
                    "no Connection header is sent upstream by default from nginx 1.29.7; {vdesc}"
                ),
                format!("{PROXY_DOC}#proxy_set_header"),
            )
        } else {
            documented(
                "close".to_string(),
                format!("nginx sends Connection: close upstream unless proxy_set_header sets it (before 1.29.7); {vdesc}"),
                format!("{PROXY_DOC}#proxy_set_header"),
            )
        }
    };
    if !tunnels {
        let why = match pass {
            Some(p) => format!("{} (does not tunnel WebSockets)", p.name()),
            None => "location (does not proxy)".to_string(),
        };
        layer.forwards_upgrade = explicit_field(false, pass.unwrap_or(anchor), why);
        layer.upgrade_header = Setting::unknown("the location does not proxy over HTTP");
        layer.connection_header = Setting::unknown("the location does not proxy over HTTP");
        return;
    }
    let Some((list, _level)) = scope.array("proxy_set_header") else {
        layer.forwards_upgrade = documented(
            false,
            "Upgrade is hop-by-hop: nginx forwards it only with proxy_set_header Upgrade $http_upgrade",
            WS_DOC.to_string(),
        );
        layer.upgrade_header = documented(
            String::new(),
            "Upgrade is hop-by-hop: nginx sends none upstream without proxy_set_header Upgrade",
            WS_DOC.to_string(),
        );
        layer.connection_header = default_conn();
        return;
    };
    let find = |h: &str| {
        list.iter()
            .find(|d| d.arg(0).is_some_and(|a| a.eq_ignore_ascii_case(h)))
            .copied()
    };
    let dropped = |h: &str| {
        scope
            .shadowed("proxy_set_header")
            .into_iter()
            .find(|d| d.arg(0).is_some_and(|a| a.eq_ignore_ascii_case(h)))
    };
    layer.forwards_upgrade = match find("Upgrade") {
        Some(d) => {
            let e = evaluate(d.arg(1).unwrap_or(""), model, scope, req);
            let field = if e.via.is_empty() {
                "proxy_set_header".to_string()
            } else {
                format!("proxy_set_header via {}", e.via.join(", "))
            };
            layer.upgrade_header = explicit_field(e.text.clone(), d, field);
            explicit(e.text.eq_ignore_ascii_case("websocket"), d)
        }
        None => {
            let first = list[0];
            let field = match dropped("Upgrade") {
                Some(x) => format!(
                    "proxy_set_header (this level's headers replace the inherited list: Upgrade from {}:{} is dropped)",
                    x.file(),
                    x.line()
                ),
                None => "proxy_set_header (no Upgrade header)".to_string(),
            };
            layer.upgrade_header = explicit_field(String::new(), first, field.clone());
            explicit_field(false, first, field)
        }
    };
    layer.connection_header = match find("Connection") {
        Some(d) => {
            let e = evaluate(d.arg(1).unwrap_or(""), model, scope, req);
            let field = if e.via.is_empty() {
                "proxy_set_header".to_string()
            } else {
                format!("proxy_set_header via {}", e.via.join(", "))
            };
            explicit_field(e.text, d, field)
        }
        None => match dropped("Connection") {
            Some(x) => {
                let mut s = default_conn();
                if let Origin::Default { documented, .. } = &mut s.origin {
                    documented.push_str(&format!(
                        "; the Connection header set at {}:{} is not inherited because this level has its own proxy_set_header",
                        x.file(),
                        x.line()
                    ));
                }
                s
            }
            None => default_conn(),
        },
    };
}

fn balancing(
    layer: &mut Layer,
    model: &HttpModel<'_>,
    pass: Option<Dir<'_>>,
    version: &VersionSource,
) -> Result<(), NginxError> {
    let Some(p) = pass else {
        layer.balancing = Setting::unknown("the location does not proxy");
        layer.targets = Setting::unknown("the location does not proxy");
        layer.stickiness = Setting::unknown("the location does not proxy");
        layer.upstream_keepalive = Setting::unknown("the location does not proxy");
        return Ok(());
    };
    let t = upstream::resolve(model, p);
    let keepalive_default = |v: &VersionSource| {
        if v.at_least(HTTP11_DEFAULT) {
            documented(
                Seconds(60.0),
                format!("upstream keep-alive is on by default from nginx 1.29.7 (keepalive_timeout 60s); {}", v.describe()),
                format!("{UPSTREAM_DOC}#keepalive_timeout"),
            )
        } else {
            documented(
                Seconds(0.0),
                format!("no keepalive in the upstream: connections to it are not reused (before 1.29.7); {}", v.describe()),
                format!("{UPSTREAM_DOC}#keepalive"),
            )
        }
    };
    let Some(up) = t.upstream else {
        if t.host.contains('$') {
            layer.targets = Setting::unknown(format!("{} uses a variable", p.name()));
            layer.stickiness = Setting::unknown(format!("{} uses a variable", p.name()));
        } else {
            layer.targets = explicit_field(1, p, format!("{} (a single address)", p.name()));
            layer.balancing = Setting::unknown(format!(
                "{} names one address (DNS may still return several)",
                p.name()
            ));
            layer.stickiness = explicit_field(Stickiness::none(), p, p.name().to_string());
        }
        layer.upstream_keepalive = keepalive_default(version);
        return Ok(());
    };
    let f = upstream::facts(model, up);
    layer.targets = explicit_field(f.servers, up, format!("upstream {} (server)", t.host));
    layer.balancing = match f.method {
        Some(m) => explicit(m.name().to_string(), m),
        None => documented(
            "round_robin".to_string(),
            format!("upstream {} names no method: weighted round-robin", t.host),
            format!("{UPSTREAM_DOC}#upstream"),
        ),
    };
    layer.stickiness = if let Some(s) = f.sticky {
        let mode = s.arg(0).unwrap_or("cookie").to_string();
        let key = match mode.as_str() {
            "cookie" => s.arg(1).map(str::to_string),
            _ => None,
        };
        let ttl = s
            .args()
            .find_map(|a| {
                a.strip_prefix("expires=")
                    .or_else(|| a.strip_prefix("timeout="))
            })
            .and_then(|v| parse_nginx_time(v).ok());
        let field = if version.version().is_some() && !version.at_least(STICKY_OPEN_SOURCE) {
            "sticky (commercial subscription only before nginx 1.29.6)".to_string()
        } else {
            "sticky".to_string()
        };
        explicit_field(
            Stickiness {
                mode,
                key,
                ttl_s: ttl,
            },
            s,
            field,
        )
    } else if let Some(m) = f.method.filter(|m| matches!(m.name(), "ip_hash" | "hash")) {
        explicit(
            Stickiness {
                mode: m.name().to_string(),
                key: (m.name() == "hash").then(|| m.arg(0).unwrap_or("").to_string()),
                ttl_s: None,
            },
            m,
        )
    } else {
        let what = f
            .method
            .map_or("round-robin".to_string(), |m| m.name().to_string());
        explicit_field(
            Stickiness::none(),
            f.method.unwrap_or(up),
            format!("upstream {} ({what}, no stickiness)", t.host),
        )
    };
    layer.upstream_keepalive = match (f.keepalive, f.keepalive_timeout) {
        (Some(_), Some(kt)) => explicit(time_of(kt, 0)?, kt),
        (Some(k), None) => explicit_field(
            Seconds(60.0),
            k,
            "keepalive (keepalive_timeout defaults to 60s)".into(),
        ),
        (None, _) => keepalive_default(version),
    };
    Ok(())
}

fn access_log(model: &HttpModel<'_>, scope: &Scope<'_, '_>) -> Setting<AccessLog> {
    let Some((logs, _)) = scope.array("access_log") else {
        return documented(
            AccessLog {
                enabled: true,
                destination: Some("logs/access.log".into()),
                fields: fields_of(COMBINED),
            },
            "access_log defaults to logs/access.log in the combined format",
            format!("{LOG_DOC}#access_log"),
        );
    };
    if logs.iter().all(|d| d.arg(0) == Some("off")) {
        return explicit(
            AccessLog {
                enabled: false,
                destination: None,
                fields: Vec::new(),
            },
            logs[0],
        );
    }
    let mut fields = Vec::new();
    let mut dest = None;
    for d in logs.iter().filter(|d| d.arg(0) != Some("off")) {
        dest.get_or_insert_with(|| d.arg(0).unwrap_or("").to_string());
        let name = d.arg(1).unwrap_or("combined");
        let text = match model.log_formats.get(name) {
            Some(f) => f
                .args()
                .skip(1)
                .filter(|a| !a.starts_with("escape="))
                .collect::<Vec<_>>()
                .join(""),
            None => COMBINED.to_string(),
        };
        for f in fields_of(&text) {
            if !fields.contains(&f) {
                fields.push(f);
            }
        }
    }
    explicit(
        AccessLog {
            enabled: true,
            destination: dest,
            fields,
        },
        logs[0],
    )
}

/// `$upstream_addr` → `upstream_addr`, in order of appearance, without repeats.
fn fields_of(format: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let b = format.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'$' {
            let start = if b.get(i + 1) == Some(&b'{') {
                i + 2
            } else {
                i + 1
            };
            let n = format[start..]
                .bytes()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == b'_')
                .count();
            if n > 0 {
                let f = format[start..start + n].to_string();
                if !out.contains(&f) {
                    out.push(f);
                }
            }
            i = start + n;
        } else {
            i += 1;
        }
    }
    out
}
