//! Caddy as a layer, through the binary: a Caddyfile read through a real `caddy adapt`, the
//! JSON config routed through its routes and subroutes to the `reverse_proxy` (or the handler
//! that answers the handshake itself), stickiness, the stream options, and a live Caddy whose
//! reload closes an open WebSocket, the consequence WS302 names.

mod live;

use crate::support::has_finding;
use crate::support::run::{wsaudit_full, Run};
use serde_json::Value;

/// `wsaudit caddy …` with the given `caddy` binary (a missing one: no version, no adapt).
fn caddy_run(args: &[&str], caddy_bin: &str) -> (Run, Option<Value>) {
    let mut all = vec!["caddy"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--format", "json"]);
    let r = wsaudit_full(
        &crate::support::repo(),
        &all,
        None,
        &[("WSAUDIT_CADDY_BIN", caddy_bin)],
    );
    let v = serde_json::from_str(&r.stdout).ok();
    (r, v)
}

#[test]
fn a_caddyfile_is_read_through_caddy_adapt() {
    let Some(bin) = crate::support::caddy() else {
        return;
    };
    let bin = bin.to_str().unwrap();
    let (r, v) = caddy_run(
        &[
            "tests/fixtures/caddy/Caddyfile",
            "--domain",
            "chat.example.com",
            "--path",
            "/ws/room",
        ],
        bin,
    );
    let v = v.unwrap_or_else(|| panic!("{}", r.stderr));
    let layer = &v["chain"]["layers"][0];
    assert_eq!(layer["id"], "caddy:srv0");
    assert_eq!(
        layer["targets"]["value"], 2,
        "the /ws/* route's two upstreams"
    );
    assert_eq!(layer["stickiness"]["value"]["mode"], "none");
    // No stream_close_delay: a reload closes the open WebSockets at once.
    assert_eq!(layer["drain_timeout"]["value"], 0.0);
    assert!(has_finding(&v, "WS302", "caddy:srv0"), "{}", v["findings"]);
    assert!(has_finding(&v, "WS301", "caddy:srv0"));
    // `encode gzip` runs before the proxy.
    assert!(has_finding(&v, "WS602", "caddy:srv0"));
    // Anything else goes to the web app's single upstream.
    let (_, v) = caddy_run(
        &[
            "tests/fixtures/caddy/Caddyfile",
            "--domain",
            "chat.example.com",
            "--path",
            "/",
        ],
        bin,
    );
    assert_eq!(v.unwrap()["chain"]["layers"][0]["targets"]["value"], 1);
}

#[test]
fn without_caddy_a_caddyfile_is_a_clear_error_and_json_still_works() {
    let (r, _) = caddy_run(
        &[
            "tests/fixtures/caddy/Caddyfile",
            "--domain",
            "chat.example.com",
            "--path",
            "/ws/",
        ],
        "/nonexistent/caddy",
    );
    assert_eq!(r.code, 2);
    assert!(
        r.stderr
            .contains("a Caddyfile is read through `caddy adapt`")
            && r.stderr.contains("install Caddy or give the JSON config"),
        "{}",
        r.stderr
    );
    // A Caddy 2.7+ JSON config: stream_close_delay keeps WebSockets over reloads,
    // stream_timeout caps their life (WS404), the cookie policy keeps clients on one backend.
    let (r, v) = caddy_run(
        &[
            "tests/fixtures/caddy/tuned.json",
            "--domain",
            "chat.example.com",
            "--path",
            "/ws/x",
        ],
        "/nonexistent/caddy",
    );
    let v = v.unwrap_or_else(|| panic!("{}", r.stderr));
    let layer = &v["chain"]["layers"][0];
    assert_eq!(layer["drain_timeout"]["value"], 300.0);
    assert_eq!(
        layer["drain_timeout"]["origin"]["field"],
        "apps.http.servers.chat.routes[0].handle[0].stream_close_delay"
    );
    assert_eq!(layer["stickiness"]["value"]["mode"], "cookie");
    assert!(has_finding(&v, "WS404", "caddy:chat"), "{}", v["findings"]);
    assert!(!has_finding(&v, "WS302", "caddy:chat"));
    assert!(!has_finding(&v, "WS301", "caddy:chat"));
    // The same host's other paths end in file_server: Caddy answers the handshake itself.
    let (_, v) = caddy_run(
        &[
            "tests/fixtures/caddy/tuned.json",
            "--domain",
            "chat.example.com",
            "--path",
            "/app",
        ],
        "/nonexistent/caddy",
    );
    assert!(has_finding(&v.unwrap(), "WS104", "caddy:chat"));
}

#[test]
fn malformed_json_names_the_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("caddy.json");
    std::fs::write(&f, "{\n  \"apps\": {\n    \"http\": [,]\n  }\n}\n").unwrap();
    let (r, _) = caddy_run(
        &[f.to_str().unwrap(), "--domain", "a", "--path", "/"],
        "/nonexistent/caddy",
    );
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("caddy.json:3:14: "), "{}", r.stderr);
}
