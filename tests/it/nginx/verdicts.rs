//! Verdicts that match what a user gets, through the binary: a handshake is judged in the
//! location nginx ends it in (a named location reached by `try_files` or `error_page`), a
//! location that answers the handshake itself gets WS104 saying what nginx answers and no
//! finding about a proxy hop it does not have, the target's scheme is the socket's, and the
//! messages name what is wrong exactly.

use crate::support::run::{wsaudit, Run};
use serde_json::Value;

fn fixture(name: &str) -> String {
    format!("tests/fixtures/nginx/{name}/nginx.conf")
}

/// `wsaudit nginx FIXTURE --domain D --path P [extra…] --format json` on nginx 1.22.1.
fn routed(name: &str, domain: &str, path: &str, extra: &[&str]) -> (Run, Value) {
    let conf = fixture(name);
    let mut args = vec![
        "nginx",
        &conf,
        "--domain",
        domain,
        "--path",
        path,
        "--nginx-version",
        "1.22.1",
        "--format",
        "json",
    ];
    args.extend_from_slice(extra);
    let run = wsaudit(&args);
    let v = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("{domain}{path}: {e}: {}", run.stderr));
    (run, v)
}

fn rules(v: &Value) -> Vec<String> {
    let mut r: Vec<String> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap().to_string())
        .collect();
    r.sort();
    r.dedup();
    r
}

fn message<'v>(v: &'v Value, rule: &str) -> &'v str {
    crate::support::finding(v, rule)["message"]
        .as_str()
        .unwrap()
}

/// Django Channels behind gunicorn's recipe and Puma/ActionCable: `location /` (or the
/// server) only tries files and falls through to the named location that proxies; the
/// handshake is judged there, correct, with no false HIGH on `location /`.
#[test]
fn a_handshake_falls_through_try_files_into_the_named_location_that_proxies() {
    for (domain, path, id, line) in [
        (
            "channels.example.com",
            "/ws/chat/lobby/",
            "nginx:channels.example.com@proxy_to_app",
            28,
        ),
        (
            "shop.example.com",
            "/cable",
            "nginx:shop.example.com@puma",
            53,
        ),
    ] {
        let (run, v) = routed("named", domain, path, &["--heartbeat", "25s"]);
        let layer = &v["chain"]["layers"][0];
        assert_eq!(layer["id"], id, "{}", run.stderr);
        assert_eq!(layer["reached_by_fallback"]["line"], line);
        assert_eq!(layer["websocket"]["value"], "enabled");
        let r = rules(&v);
        for hop in ["WS101", "WS102", "WS103", "WS104"] {
            assert!(!r.contains(&hop.to_string()), "{domain}{path}: {r:?}");
        }
        assert_eq!(run.code, 0, "{domain}{path}: {r:?}");
        // What wsaudit took for granted is said where the user reads it.
        assert!(
            run.stderr.contains("cannot see the disk") && run.stderr.contains("try_files"),
            "{}",
            run.stderr
        );
    }
}

/// `try_files … =404` is nginx answering 404; an `error_page` that catches the 404 hands
/// the handshake on to its named location.
#[test]
fn try_files_to_a_code_answers_and_error_page_hands_the_answer_on() {
    let (_, v) = routed("named", "files.example.com", "/ws/", &[]);
    assert_eq!(rules(&v), ["WS104"]);
    let m = message(&v, "WS104");
    assert!(m.contains("try_files $uri $uri/ =404"), "{m}");
    assert!(m.contains("nginx answers 404"), "{m}");
    assert!(m.contains("cannot see the disk"), "{m}");

    // The fallback URI of a single-page app is a file that is there: nginx answers with it.
    let (_, v) = routed("named", "files.example.com", "/spa/socket", &[]);
    assert_eq!(rules(&v), ["WS104"]);
    let m = message(&v, "WS104");
    assert!(
        m.contains("nginx answers with the file /spa/index.html"),
        "{m}"
    );

    let (run, v) = routed(
        "named",
        "files.example.com",
        "/legacy/socket",
        &["--heartbeat", "25s"],
    );
    assert_eq!(
        v["chain"]["layers"][0]["id"], "nginx:files.example.com@legacy_app",
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("error_page 404 = @legacy_app"),
        "{}",
        run.stderr
    );
    assert!(!rules(&v).contains(&"WS104".to_string()));
}

/// Named locations that proxy WebSockets are part of the every-location listing.
#[test]
fn named_locations_that_proxy_are_listed() {
    let run = wsaudit(&[
        "nginx",
        &fixture("named"),
        "--nginx-version",
        "1.22.1",
        "--format",
        "json",
    ]);
    let v: Value = serde_json::from_str(&run.stdout).unwrap();
    let ids: Vec<&str> = crate::support::report_layer_ids(&v);
    for id in [
        "nginx:channels.example.com@proxy_to_app",
        "nginx:shop.example.com@puma",
        "nginx:files.example.com@legacy_app",
    ] {
        assert!(ids.contains(&id), "{id} not in {ids:?}");
    }
}

/// A location or server that answers the handshake itself: WS104 says exactly what nginx
/// answers, and nothing is said about forwarding, the upstream protocol, buffering, upstream
/// timeouts, a heartbeat or the access log of a proxy hop that is not there.
#[test]
fn a_location_that_answers_itself_is_ws104_with_its_answer_and_nothing_about_a_hop() {
    for (domain, path, port, says) in [
        (
            "nobody.example.com",
            "/ws/",
            "80",
            "return 444 at server level runs before any location: nginx closes the connection without sending any response",
        ),
        (
            "nobody.example.com",
            "/ws/",
            "443",
            "ssl_reject_handshake on refuses the TLS handshake",
        ),
        ("ws.example.com", "/gone/", "80", "return 410: nginx answers 410"),
        (
            "ws.example.com",
            "/files/socket",
            "80",
            "serves files from root /srv/www: nginx answers 404",
        ),
        (
            "ws.example.com",
            "/app/socket",
            "80",
            "try_files $uri $uri/ =404: no candidate is a file",
        ),
    ] {
        let (run, v) = routed("answers", domain, path, &["--port", port]);
        assert_eq!(rules(&v), ["WS104"], "{domain}{path}:{port}");
        let m = message(&v, "WS104");
        assert!(m.contains(says), "{domain}{path}:{port}: {m}");
        assert!(!m.contains("disabled"), "{m}");
        assert_eq!(v["chain"]["layers"][0]["proxies"]["value"], false);
        assert_eq!(run.code, 1);
    }
    // A redirect dialled over wss (the flag) is WS104 too, naming the redirect.
    let (_, v) = routed(
        "answers",
        "ws.example.com",
        "/old-ws/x",
        &["--port", "80", "--scheme", "wss"],
    );
    assert_eq!(rules(&v), ["WS104"]);
    let m = message(&v, "WS104");
    assert!(
        m.contains("nginx answers 301 (a redirect to https://ws.example.com/ws/"),
        "{m}"
    );
}

/// WS104's fix names what to change in nginx, not only Cloudflare, Fastly and Envoy.
#[test]
fn ws104_explains_the_nginx_fix() {
    let run = wsaudit(&["explain", "WS104"]);
    assert_eq!(run.code, 0);
    for word in ["try_files", "return", "ssl_reject_handshake", "proxy_pass"] {
        assert!(run.stdout.contains(word), "{word}: {}", run.stdout);
    }
}

/// `ws` on a plain `listen`, `wss` on `listen … ssl`, `--scheme` overriding: so a plain
/// socket that redirects every handshake to https is WS504.
#[test]
fn the_target_scheme_is_the_sockets() {
    let (run, v) = routed("answers", "secure.example.com", "/ws/", &["--port", "80"]);
    assert_eq!(v["chain"]["target"]["scheme"], "ws", "{}", run.stderr);
    assert_eq!(rules(&v), ["WS504"]);
    assert!(message(&v, "WS504").contains("clients dial ws://secure.example.com/ws/"));
    let (_, v) = routed("answers", "nobody.example.com", "/ws/", &["--port", "443"]);
    assert_eq!(v["chain"]["target"]["scheme"], "wss");
    let (_, v) = routed(
        "answers",
        "secure.example.com",
        "/ws/",
        &["--port", "80", "--scheme", "wss"],
    );
    assert_eq!(v["chain"]["target"]["scheme"], "wss");
    assert!(!rules(&v).contains(&"WS504".to_string()));
}

/// `proxy_set_header Upgrade $connection_upgrade` sends `upgrade`, not no header.
#[test]
fn a_wrong_upgrade_value_is_named_as_such() {
    let (_, v) = routed(
        "answers",
        "ws.example.com",
        "/ws/",
        &["--port", "80", "--heartbeat", "25s"],
    );
    let m = message(&v, "WS101");
    assert!(
        m.contains("sends `Upgrade: upgrade` to the next hop instead of the client's `websocket`"),
        "{m}"
    );
    assert!(!m.contains("does not forward"), "{m}");
}

/// A server without `server_name` is shown as that, with its port, not as `server _`.
#[test]
fn a_server_without_server_name_is_shown_as_such() {
    let (_, v) = routed("answers", "nobody.example.com", "/ws/", &["--port", "80"]);
    assert_eq!(
        v["chain"]["layers"][0]["name"],
        "server (no server_name) :80 location (none)"
    );
}

/// `--path ws` would make the target `wss://hostws`: a usage error with the fix instead.
#[test]
fn a_path_without_a_leading_slash_is_a_usage_error() {
    let run = wsaudit(&[
        "nginx",
        &fixture("answers"),
        "--domain",
        "ws.example.com",
        "--path",
        "ws/",
    ]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    assert!(
        run.stderr.contains("--path \"ws/\" must start with \"/\"")
            && run.stderr.contains("--path /ws/"),
        "{}",
        run.stderr
    );
}

/// The listing judges proxying locations whose path or upstream name says WebSocket even
/// when they forward nothing (the broken ones are the point), and says why each was taken.
#[test]
fn the_listing_recognises_endpoints_by_path_and_upstream_name() {
    let run = wsaudit(&[
        "nginx",
        &fixture("listing"),
        "--nginx-version",
        "1.22.1",
        "--format",
        "json",
        "-v",
    ]);
    let v: Value = serde_json::from_str(&run.stdout).unwrap();
    let ids = crate::support::report_layer_ids(&v);
    assert_eq!(
        ids,
        ["nginx:app.example.com/_blazor", "nginx:app.example.com/rt/"],
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("its path says \"blazor\""),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("its upstream ws_backend says \"ws\""),
        "{}",
        run.stderr
    );
    assert_eq!(run.code, 1);
}

/// A listing that recognises no WebSocket location says so and points to --domain/--path,
/// on standard error and in the report, instead of looking clean.
#[test]
fn a_listing_that_recognises_nothing_says_so() {
    let run = wsaudit(&[
        "nginx",
        &fixture("no_websocket"),
        "--nginx-version",
        "1.22.1",
        "--format",
        "json",
    ]);
    let v: Value = serde_json::from_str(&run.stdout).unwrap();
    assert!(crate::support::report_layer_ids(&v).is_empty());
    let table = wsaudit(&[
        "nginx",
        &fixture("no_websocket"),
        "--nginx-version",
        "1.22.1",
        "--color",
        "never",
    ]);
    assert!(
        !table.stdout.contains("no findings") && table.stdout.contains("nothing judged"),
        "{}",
        table.stdout
    );
    let notices = v["notices"].to_string();
    for out in [&run.stderr, &notices] {
        assert!(
            out.contains("no location looks like a WebSocket endpoint")
                && out.contains("--domain D --path P"),
            "{out}"
        );
    }
}

/// Paths the user declares in wsaudit.toml (`websocket_paths`) are judged in the location
/// nginx selects for them, whatever its name says; a declared path without its leading
/// slash is refused at its line.
#[test]
fn declared_websocket_paths_are_judged_in_the_location_nginx_selects() {
    let dir = tempfile::tempdir().unwrap();
    let toml = dir.path().join("wsaudit.toml");
    std::fs::write(&toml, "websocket_paths = [\"/v1/events\"]\n").unwrap();
    let conf = crate::support::repo().join(fixture("no_websocket"));
    let run = wsaudit(&[
        "--config",
        toml.to_str().unwrap(),
        "nginx",
        conf.to_str().unwrap(),
        "--nginx-version",
        "1.22.1",
        "--format",
        "json",
        "-v",
    ]);
    let v: Value =
        serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}", run.stderr));
    assert_eq!(
        crate::support::report_layer_ids(&v),
        ["nginx:api.example.com/v1/"]
    );
    assert!(
        run.stderr
            .contains("websocket_paths in wsaudit.toml names /v1/events"),
        "{}",
        run.stderr
    );
    assert!(rules(&v).contains(&"WS101".to_string()), "{:?}", rules(&v));

    std::fs::write(&toml, "websocket_paths = [\"v1/events\"]\n").unwrap();
    let run = wsaudit(&[
        "--config",
        toml.to_str().unwrap(),
        "nginx",
        conf.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("wsaudit.toml:1:"), "{}", run.stderr);
    assert!(
        run.stderr.contains("must start with \"/\""),
        "{}",
        run.stderr
    );
}
