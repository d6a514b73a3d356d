//! `wsaudit probe` as a user runs it: the binary, its output and its exit codes, against a
//! WebSocket server on loopback.

use crate::support::probe;

use probe::{start_backend, Backend};
use std::process::Command;
use std::time::Duration;

fn wsaudit(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_wsaudit"))
        .args(args)
        .arg("--no-progress")
        .output()
        .expect("run wsaudit")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_report_carries_the_idle_and_heartbeat_contract_fields() {
    let addr = start_backend(Backend::PingThenClose(
        Duration::from_millis(300),
        Duration::from_millis(1500),
        4001,
    ))
    .await;
    let url = format!("ws://{addr}/ws/");
    let out = tokio::task::spawn_blocking(move || {
        wsaudit(&[
            "probe",
            &url,
            "--idle",
            "5s",
            "--samples",
            "2",
            "--format",
            "json",
        ])
    })
    .await
    .unwrap();
    assert!(matches!(out.status.code(), Some(0) | Some(1)), "{out:?}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    let p = &v["probe"];
    assert_eq!(p["handshake"]["status"], 101);
    assert_eq!(p["handshake"]["accept_ok"], true);
    assert_eq!(p["idle"]["how"], "close_frame");
    assert_eq!(p["idle"]["close_code"], 4001);
    let cut = p["idle"]["closed_after_s"]
        .as_f64()
        .expect("closed_after_s");
    assert!((1.4..=1.7).contains(&cut), "{cut}");
    assert_eq!(p["idle"]["samples"].as_array().unwrap().len(), 2);
    let iv = p["heartbeat"]["server_ping_interval_s"]
        .as_f64()
        .expect("interval");
    assert!((0.25..=0.35).contains(&iv), "{iv}");
    assert_eq!(v["chain"]["heartbeat"]["source"], "probed");
    assert_eq!(v["chain"]["probe"], v["probe"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn table_report_shows_the_probe() {
    let addr = start_backend(Backend::CloseAfter(Duration::from_millis(500), 1001)).await;
    let url = format!("ws://{addr}/ws/");
    let out = tokio::task::spawn_blocking(move || wsaudit(&["probe", &url, "--idle", "3s"]))
        .await
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Live probe"), "{text}");
    assert!(text.contains("handshake: 101"), "{text}");
    assert!(text.contains("with a Close frame 1001"), "{text}");
}

#[test]
fn unreachable_and_malformed_targets_exit_2_with_a_clear_message() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let out = wsaudit(&["probe", &format!("ws://127.0.0.1:{port}/")]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("cannot connect") && err.contains(&port.to_string()),
        "{err}"
    );

    let out = wsaudit(&["probe", "https://127.0.0.1/"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a WebSocket URL"));

    let out = wsaudit(&["probe", "ws://127.0.0.1:1/", "--idle", "5 parsecs"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--idle"));

    // --samples means nothing without --idle: refused, not ignored.
    let out = wsaudit(&["probe", "ws://127.0.0.1:1/", "--samples", "3"]);
    assert_eq!(out.status.code(), Some(2));
}
