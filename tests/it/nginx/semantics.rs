//! "What does nginx actually do for Host D, path P": one test per selection and inheritance
//! rule, each on a fixture that `nginx -t` accepts (see nginx_reader.rs).

use crate::support;

use support::repo;
use wsaudit::model::{Layer, Origin, Seconds};
use wsaudit::providers::nginx::{
    read_config, route, websocket_layers, Config, Input, NginxVersion, Query, Routed, ServerMatch,
    VersionSource,
};

const OLD: VersionSource = VersionSource::Given(NginxVersion(1, 22, 1));

fn conf(fixture: &str) -> Config {
    let p = repo()
        .join("tests/fixtures/nginx")
        .join(fixture)
        .join("nginx.conf");
    read_config(&Input::File(p.to_string_lossy().to_string())).unwrap()
}

fn at(cfg: &Config, host: &str, path: &str) -> Routed {
    route(
        cfg,
        &Query {
            host: host.into(),
            path: path.into(),
            port: None,
        },
        &OLD,
    )
    .unwrap()
}

fn idle(l: &Layer) -> f64 {
    l.idle_timeout.value.unwrap().0
}

/// (file name, line, field) of an explicit origin.
fn explicit(o: &Origin) -> (String, u32, String) {
    match o {
        Origin::Explicit {
            locator,
            line,
            field,
            ..
        } => (
            locator.rsplit('/').next().unwrap().to_string(),
            line.unwrap(),
            field.clone().unwrap_or_default(),
        ),
        other => panic!("expected an explicit origin, got {other:?}"),
    }
}

fn documented(o: &Origin) -> String {
    match o {
        Origin::Default { documented, source } => {
            assert!(source.as_deref().unwrap().starts_with("https://nginx.org/"));
            documented.clone()
        }
        other => panic!("expected a default, got {other:?}"),
    }
}

#[test]
fn one_proxy_set_header_in_a_location_drops_every_inherited_one() {
    let cfg = conf("inherit");
    let r = at(&cfg, "ws.example.com", "/ws/");
    assert_eq!(r.layer.id, "nginx:ws.example.com/ws/");
    assert_eq!(r.layer.forwards_upgrade.value, Some(false));
    let (file, line, field) = explicit(&r.layer.forwards_upgrade.origin);
    assert_eq!((file.as_str(), line), ("nginx.conf", 19));
    assert!(field.contains("nginx.conf:13 is dropped"), "{field}");
    // Connection falls back to nginx's own `close`.
    assert_eq!(r.layer.connection_header.value.as_deref(), Some("close"));
    assert!(
        documented(&r.layer.connection_header.origin).contains("nginx.conf:14 is not inherited")
    );

    let ok = at(&cfg, "ws.example.com", "/ok/");
    assert_eq!(ok.layer.forwards_upgrade.value, Some(true));
    assert_eq!(ok.layer.connection_header.value.as_deref(), Some("upgrade"));
}

#[test]
fn a_timeout_set_in_another_location_does_not_apply() {
    let cfg = conf("inherit");
    let r = at(&cfg, "ws.example.com", "/ws/");
    assert_eq!(idle(&r.layer), 3600.0);
    assert_eq!(explicit(&r.layer.idle_timeout.origin).1, 15);
    assert_eq!(
        idle(&at(&cfg, "ws.example.com", "/other/x").layer),
        7.0 * 86400.0
    );
}

#[test]
fn location_selection_follows_nginx() {
    let cfg = conf("select");
    let cases = [
        ("/socket/x", "/socket/", 10.0),
        // A regex steals a path whose longest prefix is a plain prefix location...
        ("/socket/a.io", "~ ^/socket/.*\\.io$", 20.0),
        // ...but not from a ^~ prefix.
        ("/static/a.io", "^~ /static/", 30.0),
        ("/x/Y.JS", "~* \\.(io|js)$", 40.0),
        ("/socket/exact", "= /socket/exact", 50.0),
        ("/app/x", "/app/", 60.0),
        // Regexes nested in the longest prefix are tried before the outer ones.
        ("/app/live", "~ /app/live$", 70.0),
        ("/other/live", "~ /live$", 80.0),
        ("/a//b/../../socket/x?q=1", "/socket/", 10.0),
        // PCRE lookahead: matches /news/feed, leaves /app/feed to its prefix.
        (
            "/news/feed",
            "~ ^/(?!socket/|static/|app/)[a-z]+/feed$",
            100.0,
        ),
        ("/app/feed", "/app/", 60.0),
    ];
    for (path, loc, t) in cases {
        let r = at(&cfg, "ws.example.com", path);
        assert_eq!(r.location.as_deref(), Some(loc), "{path}");
        assert_eq!(idle(&r.layer), t, "{path}");
    }
}

#[test]
fn server_selection_follows_nginx() {
    let cfg = conf("select");
    let r = at(&cfg, "WS.example.com:443", "/socket/x");
    assert_eq!(r.server_match, ServerMatch::Exact("ws.example.com".into()));
    let r = at(&cfg, "foo.example.com", "/socket/x");
    assert_eq!(
        r.server_match,
        ServerMatch::LeadingWildcard("*.example.com".into())
    );
    assert_eq!(idle(&r.layer), 60.0);
    let r = at(&cfg, "www.example.org", "/socket/x");
    assert_eq!(
        r.server_match,
        ServerMatch::TrailingWildcard("www.example.*".into())
    );
    let r = at(&cfg, "api12.example.net", "/");
    assert_eq!(
        r.server_match,
        ServerMatch::Regex("~^api\\d+\\.example\\.net$".into())
    );
    assert_eq!(idle(&r.layer), 90.0);
    let r = at(&cfg, "nobody.org", "/");
    assert_eq!(r.server_match, ServerMatch::Default);
    assert_eq!(r.layer.name, "server *.example.com location /");
    assert_eq!(r.socket, "127.0.0.1:8080");
}

#[test]
fn settings_from_an_included_file_point_at_that_file() {
    let cfg = conf("includes");
    let r = at(&cfg, "ws.example.com", "/ws/");
    assert_eq!(idle(&r.layer), 45.0);
    let (file, line, field) = explicit(&r.layer.idle_timeout.origin);
    assert_eq!(
        (file.as_str(), line, field.as_str()),
        ("websocket.conf", 5, "proxy_read_timeout")
    );
    assert!(
        matches!(&r.layer.idle_timeout.origin, Origin::Explicit { locator, .. } if locator.ends_with("snippets/websocket.conf"))
    );
    assert_eq!(r.layer.forwards_upgrade.value, Some(true));
    assert_eq!(
        r.layer.targets.value,
        Some(2),
        "the down server takes no traffic"
    );
    assert_eq!(r.layer.stickiness.value.as_ref().unwrap().mode, "ip_hash");
    assert_eq!(explicit(&r.layer.stickiness.origin).0, "10-upstream.conf");
    assert!(r.at.ends_with("conf.d/20-site.conf:5"), "{}", r.at);
}

#[test]
fn a_connection_map_under_another_name_is_evaluated() {
    let cfg = conf("map");
    let r = at(&cfg, "ws.example.com", "/ws/");
    assert_eq!(r.layer.connection_header.value.as_deref(), Some("upgrade"));
    assert!(explicit(&r.layer.connection_header.origin)
        .2
        .contains("map $conn_hdr"));
    let log = r.layer.access_log.value.unwrap();
    assert!(log.fields.contains(&"upstream_addr".to_string()));
    assert!(log.fields.contains(&"request_time".to_string()));

    let b = at(&cfg, "ws.example.com", "/broken/");
    assert_eq!(b.layer.connection_header.value.as_deref(), Some("close"));
    let log = b.layer.access_log.value.unwrap();
    assert_eq!(log.destination.as_deref(), Some("logs/plain.log"));
    assert!(
        !log.fields.contains(&"upstream_addr".to_string()),
        "combined has no upstream_addr"
    );
}

#[test]
fn a_hostnames_map_matches_masks_like_nginx() {
    let cfg = conf("map");
    // `.example.net` is the name itself and its subdomains; the longer `*.legacy` mask wins
    // over it; `www.example.*` is a trailing mask.
    for (host, conn) in [
        ("example.net", "upgrade"),
        ("chat.example.net", "upgrade"),
        ("a.legacy.example.net", "close"),
        ("www.example.org", "upgrade"),
    ] {
        let r = at(&cfg, host, "/hn/");
        assert_eq!(
            r.layer.connection_header.value.as_deref(),
            Some(conn),
            "{host}"
        );
        assert!(explicit(&r.layer.connection_header.origin)
            .2
            .contains("map $conn_by_host"));
    }
}

#[test]
fn the_upstream_keepalive_recipe_on_a_websocket_path_sends_an_empty_connection() {
    let cfg = conf("keepalive_recipe");
    let r = at(&cfg, "ws.example.com", "/ws/");
    assert_eq!(r.layer.connection_header.value.as_deref(), Some(""));
    assert_eq!(explicit(&r.layer.connection_header.origin).1, 18);
    assert_eq!(r.layer.upstream_keepalive.value, Some(Seconds(30.0)));
    assert_eq!(r.layer.targets.value, Some(2));
    assert_eq!(r.layer.stickiness.value.as_ref().unwrap().mode, "none");
    assert_eq!(r.layer.buffering.value, Some(false));
    assert_eq!(r.layer.compression.value, Some(true));
    assert_eq!(r.layer.upstream_http_version.value.as_deref(), Some("1.1"));
}

#[test]
fn version_dependent_defaults_say_which_version_they_assume() {
    let cfg = conf("versions");
    let q = Query {
        host: "ws.example.com".into(),
        path: "/ws/".into(),
        port: Some(8080),
    };
    let old = route(&cfg, &q, &OLD).unwrap().layer;
    assert_eq!(old.upstream_http_version.value.as_deref(), Some("1.0"));
    assert!(documented(&old.upstream_http_version.origin).contains("nginx 1.22.1"));
    assert_eq!(old.connection_header.value.as_deref(), Some("close"));
    assert_eq!(old.drain_timeout.value, Some(Seconds(10.0)));

    let new = route(&cfg, &q, &VersionSource::Given(NginxVersion(1, 29, 7)))
        .unwrap()
        .layer;
    assert_eq!(new.upstream_http_version.value.as_deref(), Some("1.1"));
    assert_eq!(new.connection_header.value.as_deref(), Some(""));
    assert_eq!(new.upstream_keepalive.value, Some(Seconds(60.0)));

    let unknown = route(&cfg, &q, &VersionSource::Assumed).unwrap().layer;
    assert_eq!(unknown.upstream_http_version.value.as_deref(), Some("1.0"));
    assert!(documented(&unknown.upstream_http_version.origin).contains("version unknown"));
}

#[test]
fn without_a_query_every_websocket_location_is_audited() {
    let cfg = conf("select");
    let ids: Vec<String> = websocket_layers(&cfg, &OLD)
        .unwrap()
        .into_iter()
        .map(|l| l.id)
        .collect();
    // The ws.example.com server forwards Upgrade everywhere, its named location included
    // (try_files and error_page end handshakes there); the wildcard and regex servers forward
    // nothing and have no WebSocket-like path.
    assert_eq!(
        ids,
        [
            "nginx:ws.example.com/socket/",
            "nginx:ws.example.com~^/socket/.*\\.io$",
            "nginx:ws.example.com^~/static/",
            "nginx:ws.example.com~*\\.(io|js)$",
            "nginx:ws.example.com=/socket/exact",
            "nginx:ws.example.com/app/",
            "nginx:ws.example.com~/app/live$",
            "nginx:ws.example.com~/live$",
            "nginx:ws.example.com~^/(?!socket/|static/|app/)[a-z]+/feed$",
            "nginx:ws.example.com@fallback",
        ]
    );
    let ws = websocket_layers(&conf("inherit"), &OLD).unwrap();
    // /ws/ drops Upgrade but is still audited: its path says WebSocket.
    assert!(ws.iter().any(|l| l.id == "nginx:ws.example.com/ws/"));
}

#[test]
fn a_path_without_its_trailing_slash_is_redirected_not_proxied() {
    let cfg = conf("select");
    let r = at(&cfg, "ws.example.com", "/socket");
    assert_eq!(r.redirect.as_deref(), Some("/socket/"));
    // nginx answers the 301 itself: no proxy hop, so nothing is said about forwarding.
    assert_eq!(r.layer.proxies.value, Some(false));
    assert_eq!(r.layer.forwards_upgrade.value, None);
    assert!(explicit(&r.layer.websocket.origin).2.contains("301"));
    assert_eq!(at(&cfg, "ws.example.com", "/socket/").redirect, None);
}

#[test]
fn the_version_comes_from_the_local_nginx_when_not_given() {
    let Some(bin) = support::nginx() else { return };
    let out = std::process::Command::new(&bin).arg("-v").output().unwrap();
    let text = String::from_utf8_lossy(&out.stderr).to_string();
    let expected = text
        .split("nginx/")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap();
    let v = VersionSource::detect(None, Some(&bin.to_string_lossy())).unwrap();
    assert!(matches!(v, VersionSource::Local(_)), "{v:?}");
    assert_eq!(v.version().unwrap().to_string(), expected);
    assert!(matches!(
        VersionSource::detect(Some("1.29.7"), Some(&bin.to_string_lossy())).unwrap(),
        VersionSource::Given(NginxVersion(1, 29, 7))
    ));
    assert_eq!(
        VersionSource::detect(None, Some("/nonexistent/nginx")).unwrap(),
        VersionSource::Assumed
    );
    assert!(VersionSource::detect(Some("one.two"), None).is_err());
}

#[test]
fn send_timeout_and_balancing_come_from_the_location_and_its_upstream() {
    let good = conf("good");
    let r = at(&good, "ws.example.com", "/ws/");
    assert_eq!(r.layer.send_timeout.value, Some(Seconds(3600.0)));
    assert_eq!(
        explicit(&r.layer.send_timeout.origin),
        (
            "nginx.conf".to_string(),
            27,
            "proxy_send_timeout".to_string()
        )
    );

    let recipe = conf("keepalive_recipe");
    let r = at(&recipe, "ws.example.com", "/ws/");
    assert_eq!(r.layer.balancing.value.as_deref(), Some("least_conn"));
    assert_eq!(explicit(&r.layer.balancing.origin).1, 5);
    // Not set on the location: nginx's documented 60 s applies.
    assert_eq!(r.layer.send_timeout.value, Some(Seconds(60.0)));
    assert!(documented(&r.layer.send_timeout.origin).contains("proxy_send_timeout defaults to 60s"));
}

/// nginx's rewrite phase runs a location's `if` blocks before proxying: a true `if` with
/// `proxy_pass` proxies the handshake, a true `if` with `return` answers it itself (WebSockets
/// disabled at the `return` line), a false one does nothing, and an undecidable one (a file test) is left aside.
#[test]
fn if_blocks_decide_for_a_websocket_handshake() {
    let cfg = conf("if");
    let hub = at(&cfg, "ws.example.com", "/hub/chat").layer;
    assert_eq!(
        hub.websocket.value,
        Some(wsaudit::model::WebsocketSupport::Enabled),
        "proxy_pass inside a true if proxies the handshake"
    );
    assert_eq!(hub.forwards_upgrade.value, Some(true));
    assert_eq!(idle(&hub), 3600.0);

    let ws = at(&cfg, "ws.example.com", "/ws/").layer;
    assert_eq!(
        ws.websocket.value,
        Some(wsaudit::model::WebsocketSupport::Disabled),
        "nginx answers the handshake itself"
    );
    let (file, line, field) = explicit(&ws.websocket.origin);
    assert_eq!((file.as_str(), line), ("nginx.conf", 29), "the return line");
    assert!(field.contains("return 403"), "{field}");

    let live = at(&cfg, "ws.example.com", "/live/").layer;
    assert_eq!(
        live.forwards_upgrade.value,
        Some(true),
        "the guard is false for a handshake"
    );
    let socket = at(&cfg, "ws.example.com", "/socket/").layer;
    assert_eq!(
        socket.forwards_upgrade.value,
        Some(true),
        "an undecidable if is left aside"
    );

    let audited: Vec<String> = websocket_layers(&cfg, &OLD)
        .unwrap()
        .into_iter()
        .map(|l| l.id)
        .collect();
    assert!(
        audited.iter().any(|id| id.ends_with("/hub/")),
        "a location that proxies only inside an if is audited: {audited:?}"
    );
}

/// The server's rewrite phase comes before location selection: a server-level redirect
/// answers every handshake, while server-level guards that are false let it through.
#[test]
fn server_level_rewrites_run_before_the_location() {
    let cfg = conf("if");
    let old = at(&cfg, "old.example.com", "/ws/").layer;
    assert_eq!(
        old.websocket.value,
        Some(wsaudit::model::WebsocketSupport::Disabled)
    );
    let (file, line, field) = explicit(&old.websocket.origin);
    assert_eq!(
        (file.as_str(), line),
        ("nginx.conf", 65),
        "the rewrite line"
    );
    assert!(field.contains("rewrite ^/(.*)$"), "{field}");
    assert!(field.contains("server level"), "{field}");

    let guarded = at(&cfg, "guarded.example.com", "/ws/").layer;
    assert_eq!(
        guarded.websocket.value,
        Some(wsaudit::model::WebsocketSupport::Enabled)
    );
    assert_eq!(guarded.forwards_upgrade.value, Some(true));
    // The redirecting rewrite applies only to the paths its regex matches.
    let legacy = at(&cfg, "guarded.example.com", "/legacy/ws/").layer;
    assert_eq!(
        legacy.websocket.value,
        Some(wsaudit::model::WebsocketSupport::Disabled)
    );
    assert_eq!(explicit(&legacy.websocket.origin).1, 84);
    // A location's own return runs before its proxy_pass.
    let closed = at(&cfg, "guarded.example.com", "/closed/").layer;
    let (_, line, field) = explicit(&closed.websocket.origin);
    assert_eq!(line, 93);
    assert!(field.contains("before proxy_pass"), "{field}");
}

/// `$scheme` is what the listen socket speaks: plain `listen 8080` behind a TLS-terminating
/// load balancer makes it http, and a "force https" guard then answers every handshake.
#[test]
fn scheme_comes_from_the_listen_socket() {
    let cfg = conf("if");
    let layer = at(&cfg, "behind-lb.example.com", "/ws/").layer;
    assert_eq!(
        layer.websocket.value,
        Some(wsaudit::model::WebsocketSupport::Disabled)
    );
    let (_, line, field) = explicit(&layer.websocket.origin);
    assert_eq!(line, 105, "the return in the guard");
    assert!(field.contains("if ($scheme = http)"), "{field}");
}

/// Internal rewrites move the handshake to another location: server-level rewrites run before
/// the search (no flag: the next rewrite sees the new URI), `last` or no flag in a location
/// searches again, `break` stays, `$1` is the regex's first group.
#[test]
fn internal_rewrites_are_followed_to_the_location_that_proxies() {
    let cfg = conf("rewrite");
    let cases = [
        ("/old-socket/chat", 3600.0, "/socket/chat"),
        ("/v1/stream", 3600.0, "/socket/stream"),
        ("/v1/other", 60.0, "/v2/other"),
        ("/cable/x", 3600.0, "/socket/cable/x"),
        ("/legacy/a", 3600.0, "/socket/a"),
        ("/pinned/a", 20.0, "/pinned/a"),
        ("/maybe/a", 3600.0, "/socket/a"),
    ];
    for (path, timeout, last_uri) in cases {
        let r = at(&cfg, "rw.example.com", path);
        assert_eq!(
            idle(&r.layer),
            timeout,
            "{path}: {:?} via {:?}",
            r.location,
            r.rewrites
        );
        let ended = r.rewrites.last().map_or(path, |w| {
            w.split(" rewritten to ")
                .nth(1)
                .unwrap()
                .split(' ')
                .next()
                .unwrap()
        });
        if path != "/pinned/a" {
            assert_eq!(ended, last_uri, "{path}: {:?}", r.rewrites);
        }
        assert!(
            r.rewrites.iter().all(|w| w.contains("nginx.conf:")),
            "each rewrite names its line: {:?}",
            r.rewrites
        );
    }
    // `rewrite … last` in /cable runs before its `return 404`.
    let cable = at(&cfg, "rw.example.com", "/cable/x");
    assert_eq!(cable.location.as_deref(), Some("/socket/"));
    assert_eq!(
        cable.rewrites,
        vec![format!(
            "/cable/x rewritten to /socket/cable/x by {}:27",
            repo()
                .join("tests/fixtures/nginx/rewrite/nginx.conf")
                .display()
        )]
    );
}

/// A rewrite loop ends in nginx's 500, and a rewrite to a value known only at request time is
/// said to be unfollowed rather than guessed.
#[test]
fn rewrite_cycles_and_unknown_targets_are_said() {
    let cfg = conf("rewrite");
    let looped = at(&cfg, "rw.example.com", "/loop/a").layer;
    assert_eq!(
        looped.websocket.value,
        Some(wsaudit::model::WebsocketSupport::Disabled)
    );
    let (_, line, field) = explicit(&looped.websocket.origin);
    assert_eq!(line, 48);
    assert!(
        field.contains("rewrite or internal redirection cycle"),
        "{field}"
    );

    let who = at(&cfg, "rw.example.com", "/who/a");
    assert_eq!(who.location.as_deref(), Some("/who/"));
    assert_eq!(idle(&who.layer), 40.0);
    assert_eq!(who.rewrites.len(), 1, "{:?}", who.rewrites);
    assert!(who.rewrites[0].contains(":51: rewrite ^/who/(.*)$ /$cookie_team/$1 last depends on"));
}
