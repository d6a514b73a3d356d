//! A routed frontend → backend pair into a chain `Layer`, every value with the `file:line` of
//! the directive that set it (inherited from `defaults` included), or HAProxy's documented
//! default.
//!
//! The WebSocket facts (HAProxy configuration manual, `timeout tunnel`): once the handshake is
//! answered with 101 the connection is a tunnel and `timeout tunnel` replaces both `timeout
//! client` and `timeout server`, counting inactivity in both directions; without it the
//! (usually short) client and server timeouts keep applying. In `mode tcp` the tunnel timeout
//! applies as soon as no analyser is attached.

use super::config::Proxy;
use super::parser::Directive;
use crate::model::{
    AccessLog, IdleResetBy, Layer, LayerKind, Origin, Provider, Seconds, Setting, SourceLine,
    Stickiness, WebsocketSupport,
};

const MANUAL: &str = "https://docs.haproxy.org/3.0/configuration.html";

pub fn origin(file: &str, d: &Directive) -> Origin {
    Origin::Explicit {
        locator: file.to_string(),
        line: Some(d.line),
        column: Some(d.col),
        field: Some(d.words.join(" ")),
    }
}

fn explicit<T>(v: T, file: &str, d: &Directive) -> Setting<T> {
    Setting {
        value: Some(v),
        origin: origin(file, d),
    }
}

fn doc<T>(v: T, text: &str, anchor: &str) -> Setting<T> {
    Setting::default_documented(v, text, &format!("{MANUAL}#{anchor}"))
}

/// HAProxy times: a number with an optional unit (us, ms, s, m, h, d); no unit is ms.
pub fn parse_time(s: &str) -> Option<Seconds> {
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (n, unit) = s.split_at(split);
    let n: f64 = n.parse().ok()?;
    let factor = match unit {
        "" | "ms" => 0.001,
        "us" => 0.000_001,
        "s" => 1.0,
        "m" => 60.0,
        "h" => 3600.0,
        "d" => 86400.0,
        _ => return None,
    };
    Some(Seconds(n * factor))
}

fn timeout(p: &Proxy<'_>, which: &str) -> Option<(Seconds, &'static str, Origin)> {
    let d = p.get(&["timeout", which])?;
    let t = parse_time(d.arg(1)?)?;
    Some((t, "", origin(p.file(), d)))
}

/// What the frontend's http-request rules did to the handshake on its way.
#[derive(Default)]
pub struct HeaderEdits<'c> {
    pub upgrade_removed: Option<&'c Directive>,
    pub connection_set: Option<(String, &'c Directive)>,
}

/// How the frontend answers the handshake itself, when a rule does.
pub enum Answer<'c> {
    Refused(&'c Directive),
    Redirected(&'c Directive),
}

pub struct Routed<'c> {
    pub frontend: Proxy<'c>,
    pub backend: Option<Proxy<'c>>,
    pub tls: bool,
    pub edits: HeaderEdits<'c>,
    pub answer: Option<Answer<'c>>,
    pub global_hard_stop: Option<&'c Directive>,
}

pub fn to_layer(r: &Routed<'_>) -> Layer {
    let fe = &r.frontend;
    let file = fe.file();
    let be_name = r.backend.as_ref().map(|b| b.name()).unwrap_or("(none)");
    let same = r.backend.as_ref().is_some_and(|b| b.name() == fe.name());
    let id = if same || r.backend.is_none() {
        format!("haproxy:{}", fe.name())
    } else {
        format!("haproxy:{}>{be_name}", fe.name())
    };
    let name = if same {
        format!("listen {}", fe.name())
    } else if r.backend.is_none() {
        format!("frontend {}", fe.name())
    } else {
        format!("frontend {} → backend {be_name}", fe.name())
    };
    let mut layer = Layer::new(id, LayerKind::ReverseProxy, Provider::Haproxy, name);
    layer.locator = Some(file.to_string());
    layer.defined_at = Some(SourceLine {
        file: file.to_string(),
        line: r.backend.as_ref().unwrap_or(fe).section.line,
    });
    layer.add_resource("frontend", format!("{file}:{}", fe.section.line));
    if let Some(b) = &r.backend {
        layer.add_resource("backend", format!("{file}:{}", b.section.line));
    }
    let (mode, mode_dir) = fe.mode();
    let http = mode == "http";

    // The answer the frontend gives itself comes before any backend.
    match &r.answer {
        Some(Answer::Refused(d)) => {
            layer.proxies = explicit(false, file, d);
            layer.websocket = explicit(WebsocketSupport::Disabled, file, d);
            return layer;
        }
        Some(Answer::Redirected(d)) => {
            layer.cleartext_from_client = explicit("redirect".to_string(), file, d);
            layer.proxies = explicit(false, file, d);
            return layer;
        }
        None => {}
    }
    layer.proxies = match &r.backend {
        Some(_) => doc(
            true,
            "the handshake is forwarded to the chosen backend",
            "4.2-use_backend",
        ),
        None => Setting::unknown("no backend was chosen for the handshake"),
    };
    layer.websocket = doc(
        WebsocketSupport::Enabled,
        "HAProxy switches an upgraded connection to tunnel mode by itself (HTTP and TCP mode)",
        "4-timeout%20tunnel",
    );
    layer.idle_reset_by = doc(
        IdleResetBy::Either,
        "timeout tunnel counts inactivity in both directions",
        "4-timeout%20tunnel",
    );

    let be = r.backend.as_ref();
    let tunnel = be.and_then(|b| timeout(b, "tunnel"));
    let client = timeout(fe, "client");
    let server = be.and_then(|b| timeout(b, "server"));
    layer.idle_timeout = match (tunnel, client, server) {
        (Some((t, _, o)), _, _) => Setting {
            value: Some(t),
            origin: o,
        },
        // Without `timeout tunnel` the shorter of the client and server timeouts cuts.
        (None, c, s) => match [c, s].into_iter().flatten().min_by(|a, b| a.0 .0.total_cmp(&b.0 .0)) {
            Some((t, _, o)) => Setting {
                value: Some(t),
                origin: with_note(o, " (no timeout tunnel: the client/server timeout applies to the tunnel)"),
            },
            None => Setting::unknown(
                "no timeout tunnel, client or server: HAProxy never closes an idle tunnel (and warns at start-up)",
            ),
        },
    };
    layer.client_keepalive = match fe
        .get(&["timeout", "http-keep-alive"])
        .or_else(|| fe.get(&["timeout", "http-request"]))
        .and_then(|d| Some((parse_time(d.arg(1)?)?, d)))
    {
        Some((t, d)) => explicit(t, file, d),
        None => match timeout(fe, "client") {
            Some((t, _, o)) => Setting {
                value: Some(t),
                origin: with_note(o, " (no timeout http-keep-alive or http-request)"),
            },
            None => Setting::unknown("no timeout http-keep-alive, http-request or client"),
        },
    };

    if http {
        layer.forwards_upgrade = match r.edits.upgrade_removed {
            Some(d) => explicit(false, file, d),
            None => doc(
                true,
                "HAProxy passes the Upgrade header on",
                "4.2-http-request",
            ),
        };
        layer.upgrade_header = match r.edits.upgrade_removed {
            Some(d) => explicit(String::new(), file, d),
            None => doc(
                "websocket".to_string(),
                "the client's Upgrade header is passed on",
                "4.2-http-request",
            ),
        };
        layer.connection_header = match &r.edits.connection_set {
            Some((v, d)) => explicit(v.to_ascii_lowercase(), file, d),
            None => doc(
                "upgrade".to_string(),
                "the client's Connection: upgrade is passed on for a handshake",
                "4.2-http-request",
            ),
        };
        layer.buffering = doc(
            false,
            "HAProxy streams responses; it does not buffer them whole",
            "4.2-http-buffer-request",
        );
    } else {
        let why = match mode_dir {
            Some(d) => format!(
                "mode tcp at {file}:{}: bytes are relayed, no HTTP is spoken",
                d.line
            ),
            None => {
                "mode tcp (HAProxy's default): bytes are relayed, no HTTP is spoken".to_string()
            }
        };
        layer.forwards_upgrade = Setting::unknown(why.clone());
        layer.upstream_http_version = Setting::unknown(why.clone());
        layer.buffering = doc(false, "mode tcp relays bytes as they come", "4-mode");
    }

    if let Some(b) = be {
        fill_backend(&mut layer, b, http);
    }
    layer.compression = match fe
        .get(&["compression", "algo"])
        .or_else(|| be.and_then(|b| b.get(&["compression", "algo"])))
    {
        Some(d) => explicit(true, file, d),
        None => doc(
            false,
            "no compression algo: HAProxy does not compress",
            "4.2-compression",
        ),
    };
    layer.access_log = access_log(fe);
    layer.drain_timeout = match r.global_hard_stop.and_then(|d| Some((parse_time(d.arg(0)?)?, d))) {
        Some((t, d)) => explicit(t, file, d),
        None => Setting::unknown(
            "no hard-stop-after: after a reload the old process serves open WebSockets until they close",
        ),
    };
    layer.client_protocols = match fe.all("bind").find_map(|d| {
        let i = d.words.iter().position(|w| w == "alpn")?;
        Some((d.words.get(i + 1)?.clone(), d))
    }) {
        Some((alpn, d)) => explicit(
            alpn.split(',')
                .map(|p| {
                    if p == "http/1.1" {
                        "http1.1".to_string()
                    } else {
                        p.to_string()
                    }
                })
                .collect(),
            file,
            d,
        ),
        None => doc(
            vec!["http1.1".to_string()],
            "no alpn on bind: HTTP/1.1",
            "5.1-alpn",
        ),
    };
    layer
}

fn with_note(o: Origin, note: &str) -> Origin {
    match o {
        Origin::Explicit {
            locator,
            line,
            column,
            field,
        } => Origin::Explicit {
            locator,
            line,
            column,
            field: field.map(|f| f + note),
        },
        other => other,
    }
}

fn fill_backend(layer: &mut Layer, b: &Proxy<'_>, http: bool) {
    let file = b.file();
    let servers: Vec<&Directive> = b.all("server").collect();
    let templates: u32 = b
        .all("server-template")
        .filter_map(|d| d.arg(1)?.split('-').next_back()?.parse::<u32>().ok())
        .sum();
    let count = servers.len() as u32 + templates;
    layer.targets = match servers
        .first()
        .copied()
        .or_else(|| b.all("server-template").next())
    {
        Some(d) => Setting {
            value: Some(count),
            origin: Origin::Explicit {
                locator: file.to_string(),
                line: Some(d.line),
                column: Some(d.col),
                field: Some(format!("backend {} (server)", b.name())),
            },
        },
        None => Setting::unknown(format!("backend {} has no server line", b.name())),
    };
    if http {
        let h2: Vec<&&Directive> = servers
            .iter()
            .filter(|d| d.words.windows(2).any(|w| w[0] == "proto" && w[1] == "h2"))
            .collect();
        layer.upstream_http_version = match h2.first() {
            Some(d) => Setting::unknown(format!(
                "server at {file}:{} speaks HTTP/2 (proto h2): HAProxy carries WebSockets to it only as RFC 8441 extended CONNECT, which the server must support",
                d.line
            )),
            None => doc("1.1".to_string(), "HAProxy speaks HTTP/1.1 to servers unless `proto h2`", "5.2-proto"),
        };
    }
    layer.tls_to_origin = match servers.iter().find(|d| d.words.iter().any(|w| w == "ssl")) {
        Some(d) => explicit(true, file, d),
        None => match servers.first() {
            Some(d) => explicit(false, file, d),
            None => Setting::unknown("no server line"),
        },
    };
    let (balance, bal_dir) = match b.get(&["balance"]) {
        Some(d) => (d.arg(0).unwrap_or("roundrobin").to_string(), Some(d)),
        None => ("roundrobin".to_string(), None),
    };
    layer.balancing = match bal_dir {
        Some(d) => explicit(balance.clone(), file, d),
        None => doc(
            balance.clone(),
            "balance roundrobin is the default",
            "4.2-balance",
        ),
    };
    let cookie = b.get(&["cookie"]).filter(|d| {
        d.words
            .iter()
            .any(|w| matches!(w.as_str(), "insert" | "rewrite" | "prefix"))
    });
    let stick = b
        .get(&["stick", "on"])
        .or_else(|| b.get(&["stick", "match"]));
    layer.stickiness = if let Some(d) = cookie {
        explicit(
            Stickiness {
                mode: "cookie".into(),
                key: d.arg(0).map(String::from),
                ttl_s: None,
            },
            file,
            d,
        )
    } else if let Some(d) = stick {
        let key = d.arg(1).unwrap_or("src");
        explicit(
            Stickiness {
                mode: if key == "src" {
                    "source_ip".into()
                } else {
                    "hash".into()
                },
                key: Some(key.to_string()),
                ttl_s: None,
            },
            file,
            d,
        )
    } else {
        match (balance.as_str(), bal_dir) {
            ("source", Some(d)) => explicit(
                Stickiness {
                    mode: "source_ip".into(),
                    key: None,
                    ttl_s: None,
                },
                file,
                d,
            ),
            (alg, Some(d))
                if alg == "uri"
                    || alg == "url_param"
                    || alg.starts_with("hdr(")
                    || alg.starts_with("rdp-cookie") =>
            {
                explicit(
                    Stickiness {
                        mode: "hash".into(),
                        key: Some(d.args().join(" ")),
                        ttl_s: None,
                    },
                    file,
                    d,
                )
            }
            (_, Some(d)) => explicit(Stickiness::none(), file, d),
            (_, None) => doc(
                Stickiness::none(),
                "balance roundrobin, no cookie and no stick rule: no stickiness",
                "4.2-balance",
            ),
        }
    };
}

fn access_log(fe: &Proxy<'_>) -> Setting<AccessLog> {
    let file = fe.file();
    let Some(log) = fe.get(&["log"]) else {
        return doc(
            AccessLog {
                enabled: false,
                destination: None,
                fields: Vec::new(),
            },
            "no log line: HAProxy logs nothing for this proxy",
            "4.2-log",
        );
    };
    let format = fe.get(&["log-format"]);
    let httplog = fe.option("httplog").filter(|(on, _)| *on);
    let tcplog = fe.option("tcplog").filter(|(on, _)| *on);
    // %Tt is the total session time (a WebSocket's lifetime), %s/%b the server and backend.
    let fields: Vec<String> = match (format, httplog, tcplog) {
        (Some(f), _, _) => {
            let text = f.args().join(" ");
            let mut v = vec!["remote_addr".to_string(), "status".to_string()];
            if text.contains("%Tt") || text.contains("%Ta") {
                v.push("request_time".into());
            }
            if text.contains("%s") || text.contains("%si") || text.contains("%b") {
                v.push("upstream_addr".into());
            }
            v
        }
        (None, Some(_), _) | (None, None, Some(_)) => [
            "remote_addr",
            "time_local",
            "request",
            "status",
            "upstream_addr",
            "request_time",
        ]
        .map(String::from)
        .to_vec(),
        // Without httplog/tcplog HAProxy logs only the connection's source and frontend.
        (None, None, None) => vec!["remote_addr".to_string()],
    };
    let at = format
        .or(httplog.map(|(_, d)| d))
        .or(tcplog.map(|(_, d)| d))
        .unwrap_or(log);
    explicit(
        AccessLog {
            enabled: true,
            destination: Some(log.args().join(" ")),
            fields,
        },
        file,
        at,
    )
}
