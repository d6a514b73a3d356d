//! `wsaudit chain` end to end through the binary: Cloudflare (a loopback server answering in
//! API v4 shapes) in front of nginx (a real config, checked by `nginx -t` elsewhere), AWS not
//! configured; and the token never appears anywhere in any command's output.

use crate::support::cloudflare;
use crate::support;

use cloudflare::{FakeCloudflare, TOKEN};
use crate::support::run::*;
use serde_json::{json, Value};

fn nginx_conf() -> String {
    repo()
        .join("examples/nginx/nginx.conf")
        .display()
        .to_string()
}

/// Environment for a run with Cloudflare pointed at the fake and AWS deliberately absent.
fn env(base: &str) -> Vec<(&'static str, String)> {
    vec![
        ("CLOUDFLARE_API_TOKEN", TOKEN.to_string()),
        ("WSAUDIT_CLOUDFLARE_API_URL", base.to_string()),
        ("AWS_CONFIG_FILE", "/nonexistent/wsaudit-test".into()),
        (
            "AWS_SHARED_CREDENTIALS_FILE",
            "/nonexistent/wsaudit-test".into(),
        ),
        ("AWS_EC2_METADATA_DISABLED", "true".into()),
    ]
}

fn run(base: &str, args: &[&str]) -> Run {
    let e = env(base);
    let e: Vec<(&str, &str)> = e.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut full = vec!["chain"];
    full.extend_from_slice(args);
    wsaudit_full(&repo(), &full, None, &e)
}

/// `wsaudit chain ARGS --format json` off the runtime's threads (the fake API lives on them),
/// with the report parsed.
async fn chain_json(base: String, args: Vec<String>) -> (Run, Value) {
    tokio::task::spawn_blocking(move || {
        let mut args: Vec<&str> = args.iter().map(String::as_str).collect();
        args.extend(["--format", "json"]);
        let r = run(&base, &args);
        let v: Value = serde_json::from_str(&r.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}\n{}", r.stdout, r.stderr));
        (r, v)
    })
    .await
    .unwrap()
}

fn owned(args: &[&str]) -> Vec<String> {
    args.iter().map(|a| a.to_string()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cloudflare_in_front_of_nginx_websockets_off() {
    let cf = FakeCloudflare::start().await;
    cf.proxied_to_alb(&[("websockets", json!("off"))]).await;
    let conf = nginx_conf();
    let args = [
        "--domain",
        "ws.example.com",
        "--path",
        "/ws/",
        "--nginx-conf",
        &conf,
        "--heartbeat",
        "25s",
    ];
    let (r, v) = chain_json(cf.base_url(), owned(&args)).await;
    let ids = support::report_layer_ids(&v);
    assert_eq!(
        ids,
        vec!["cloudflare", "nginx:ws.example.com/ws/"],
        "Cloudflare outermost, then nginx"
    );
    let ws104 = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "WS104")
        .expect("WS104");
    assert_eq!(ws104["layer"], "cloudflare");
    // Cloudflare's assumed ~100 s cuts before nginx's hour.
    let ws401 = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "WS401")
        .expect("WS401");
    assert_eq!(ws401["layer"], "cloudflare");
    // The record points at an ALB, so AWS is expected; without credentials it is a named gap,
    // not silently "not consulted".
    let alb_gap = v["chain"]["gaps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["layer"] == "alb");
    assert!(alb_gap.is_some(), "{}", v["chain"]["gaps"]);
    assert_eq!(r.code, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broken_nginx_config_is_a_gap_and_the_rest_is_still_judged() {
    let cf = FakeCloudflare::start().await;
    cf.proxied_to_alb(&[]).await;
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("nginx.conf");
    std::fs::write(&bad, "http {\n  server {\n    listen 80;\n").unwrap();
    let bad = bad.display().to_string();
    let args = [
        "--domain",
        "ws.example.com",
        "--path",
        "/ws/",
        "--nginx-conf",
        &bad,
        "--fail-on",
        "critical",
    ];
    let (r, v) = chain_json(cf.base_url(), owned(&args)).await;
    assert_eq!(r.code, 3, "incomplete: {}", r.stderr);
    let gap = v["chain"]["gaps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["layer"] == "nginx")
        .expect("a gap on nginx");
    assert_eq!(gap["code"], "parse-error");
    assert!(
        gap["reason"]
            .as_str()
            .unwrap()
            .contains("nginx.conf:4:1: unexpected end of file, expecting \"}\""),
        "{gap}"
    );
    assert_eq!(
        v["chain"]["layers"][0]["id"], "cloudflare",
        "the other layer is still read"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cloudflare_token_never_appears_in_any_output() {
    let cf = FakeCloudflare::start().await;
    cf.proxied_to_alb(&[("ssl", json!("flexible"))]).await;
    let base = cf.base_url();
    tokio::task::spawn_blocking(move || {
        let e = env(&base);
        let e: Vec<(&str, &str)> = e.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let conf = nginx_conf();
        let ex = example();
        let commands: Vec<Vec<&str>> = vec![
            vec![
                "chain",
                "--domain",
                "ws.example.com",
                "--path",
                "/ws/",
                "--nginx-conf",
                &conf,
                "-vv",
            ],
            vec![
                "chain",
                "--domain",
                "ws.example.com",
                "--path",
                "/ws/",
                "--nginx-conf",
                &conf,
                "-vv",
                "--format",
                "json",
            ],
            vec![
                "chain",
                "--domain",
                "ws.example.com",
                "-vv",
                "--format",
                "sarif",
            ],
            vec![
                "chain",
                "--domain",
                "ws.example.com",
                "-vv",
                "--format",
                "markdown",
            ],
            vec![
                "chain",
                "--domain",
                "ws.example.com",
                "-vv",
                "--format",
                "junit",
            ],
            vec!["chain", "--domain", "bad domain!", "-vv"],
            vec!["chain", "--domain", "nozone.invalid", "-vv"],
            vec!["audit", &ex, "-vv"],
            vec!["nginx", &conf, "-vv"],
            vec![
                "probe",
                "ws://127.0.0.1:9/",
                "-vv",
                "--connect-timeout",
                "1s",
            ],
            vec!["rules", "-vv"],
            vec!["explain", "WS503", "-vv"],
        ];
        for args in commands {
            let r = wsaudit_full(&repo(), &args, None, &e);
            assert!(
                !r.stdout.contains(TOKEN),
                "{args:?} printed the token on stdout"
            );
            assert!(
                !r.stderr.contains(TOKEN),
                "{args:?} printed the token on stderr"
            );
        }
    })
    .await
    .unwrap();
}

#[test]
fn chain_probe_adds_the_failed_handshake_as_ws105() {
    // A plain HTTP server on loopback that answers the upgrade with 404, as an app behind a
    // proxy that dropped the Upgrade header would.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        use std::io::{Read, Write};
        let (mut s, _) = listener.accept().unwrap();
        let mut buf = [0u8; 4096];
        let _ = s.read(&mut buf);
        let _ = s.write_all(
            b"HTTP/1.1 404 Not Found\r\nServer: nginx\r\nContent-Length: 9\r\n\r\nnot found",
        );
    });
    let url = format!("ws://127.0.0.1:{port}/ws/");
    let r = wsaudit_full(
        &repo(),
        &[
            "chain",
            "--domain",
            "ws.example.com",
            "--path",
            "/ws/",
            "--nginx-conf",
            &nginx_conf(),
            "--probe",
            "--probe-url",
            &url,
            "--format",
            "json",
        ],
        None,
        &[
            ("AWS_EC2_METADATA_DISABLED", "true"),
            ("AWS_CONFIG_FILE", "/nonexistent/x"),
            ("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/x"),
        ],
    );
    server.join().unwrap();
    assert_eq!(r.code, 1, "{}", r.stderr);
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["chain"]["probe"]["handshake"]["status"], 404);
    let ws105 = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "WS105")
        .expect("WS105");
    assert!(
        ws105["message"].as_str().unwrap().contains("404"),
        "{ws105}"
    );
}
