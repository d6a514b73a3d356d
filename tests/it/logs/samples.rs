//! ALB, CloudFront and Cloudflare logs in their documented field orders, gzip'd as the services
//! deliver them: the format is told from the lines, and each one's idle cut is found.

use super::{json, rules, write_gz};
use crate::support::run::wsaudit;
use wsaudit::providers::logs::rfc3339;

/// `2026-12-01T10:00:00.123456Z`
fn iso_micros(t: f64) -> String {
    let base = rfc3339(t.floor());
    let micros = ((t - t.floor()) * 1e6).round() as u64;
    format!("{}.{micros:06}Z", base.trim_end_matches('Z'))
}

const T0: f64 = 1_796_119_200.0; // 2026-12-01T10:00:00Z

/// An ALB `ws` entry with every field in the order of AWS's "Access log entries" table (the
/// documentation's WebSocket example, with times and addresses varied).
fn alb_line(created: f64, lifetime: f64, client: u32, status: u16) -> String {
    format!(
        "ws {} app/my-loadbalancer/50dc6c495c0c9188 10.0.0.{client}:40914 10.0.1.192:8010 0.001 0.003 0.000 {status} {status} 218 587 \"GET http://ws.example.com:80/ws/ HTTP/1.1\" \"-\" - - arn:aws:elasticloadbalancing:us-west-2:123456789012:targetgroup/my-targets/73e2d6bc24d8a067 \"Root=1-58337364-23a8c76965a2ef7629b185e3\" \"-\" \"-\" 1 {} \"forward\" \"-\" \"-\" \"10.0.1.192:8010\" \"{status}\" \"-\" \"-\" TID_1234abcd",
        iso_micros(created + lifetime),
        iso_micros(created)
    )
}

pub fn alb_log() -> String {
    let mut lines: Vec<(f64, String)> = Vec::new();
    for i in 0..30 {
        let created = T0 + i as f64 * 2.0;
        lines.push((
            created + 60.0,
            alb_line(created, 60.0 + (i % 4) as f64 * 0.001, i % 10, 101),
        ));
    }
    for i in 0..10 {
        let created = T0 + i as f64 * 7.0;
        let lifetime = 5.0 + i as f64 * 31.0;
        lines.push((created + lifetime, alb_line(created, lifetime, 20 + i, 101)));
    }
    lines.sort_by(|a, b| a.0.total_cmp(&b.0));
    lines.into_iter().map(|(_, l)| l + "\n").collect()
}

const CF_FIELDS: &str = "#Fields: date time x-edge-location sc-bytes c-ip cs-method cs(Host) cs-uri-stem sc-status cs(Referer) cs(User-Agent) cs-uri-query cs(Cookie) x-edge-result-type x-edge-request-id x-host-header cs-protocol cs-bytes time-taken x-forwarded-for ssl-protocol ssl-cipher x-edge-response-result-type cs-protocol-version fle-status fle-encrypted-fields c-port time-to-first-byte x-edge-detailed-result-type sc-content-type sc-content-len sc-range-start sc-range-end";

/// A CloudFront standard-log line, the 33 documented fields tab-separated.
fn cf_line(end: f64, taken: f64, status: u16) -> String {
    let stamp = rfc3339(end);
    let (date, time) = stamp.trim_end_matches('Z').split_once('T').unwrap();
    [
        date,
        time,
        "AMS1-C1",
        "392",
        "192.0.2.100",
        "GET",
        "d111111abcdef8.cloudfront.net",
        "/ws/",
        &status.to_string(),
        "-",
        "Mozilla/5.0",
        "-",
        "-",
        "Miss",
        "SOX4xwn4XV6Q4rgb7XiVGOHms_BGlTAC4KyHmureZmBNrjGdRLiNIQ==",
        "ws.example.com",
        "wss",
        "157",
        &format!("{taken:.3}"),
        "-",
        "TLSv1.3",
        "TLS_AES_128_GCM_SHA256",
        "Miss",
        "HTTP/1.1",
        "-",
        "-",
        "11040",
        "0.001",
        "Miss",
        "-",
        "-",
        "-",
        "-",
    ]
    .join("\t")
}

fn cloudfront_log() -> String {
    let mut out = format!("#Version: 1.0\n{CF_FIELDS}\n");
    let mut lines: Vec<(f64, String)> = Vec::new();
    for i in 0..25 {
        let end = T0 + 600.0 + i as f64 * 3.0;
        lines.push((end, cf_line(end, 600.0 + (i % 3) as f64 * 0.002, 101)));
    }
    for i in 0..5 {
        let end = T0 + 100.0 + i as f64 * 50.0;
        lines.push((end, cf_line(end, 20.0 + i as f64 * 40.0, 101)));
    }
    for i in 0..3 {
        let end = T0 + 10.0 + i as f64;
        lines.push((end, cf_line(end, 0.004, 403)));
    }
    lines.sort_by(|a, b| a.0.total_cmp(&b.0));
    for (_, l) in lines {
        out += &l;
        out.push('\n');
    }
    out
}

/// `websocket_analytics` lines with the dataset's fields (Cloudflare's field list), in the
/// default `unixnano` timestamps.
fn cloudflare_log() -> String {
    let mut out = String::new();
    let line = |start: f64, lifetime: f64, source: &str, reason: &str, ip: u32| {
        format!(
            "{{\"BytesReceivedClient\":120,\"BytesReceivedOrigin\":80,\"BytesSentClient\":80,\"BytesSentOrigin\":120,\"ClientASN\":64496,\"ClientIP\":\"198.51.100.{ip}\",\"ClientRequestHost\":\"ws.example.com\",\"ClientRequestPath\":\"/ws\",\"ClientRequestUserAgent\":\"Mozilla/5.0\",\"ColoCode\":\"AMS\",\"ConnectionCloseReason\":\"{reason}\",\"ConnectionCloseSource\":\"{source}\",\"ConnectionID\":\"0a1b2c{ip:02x}\",\"ConnectionTransportCloseCode\":0,\"EdgeEndTimestamp\":{},\"EdgeStartTimestamp\":{},\"RayID\":\"8f1e2d3c4b5a6978\"}}\n",
            ((start + lifetime) * 1e9) as u64,
            (start * 1e9) as u64
        )
    };
    for i in 0..20 {
        out += &line(
            T0 + i as f64 * 5.0,
            100.0 + (i % 2) as f64 * 0.01,
            "me",
            "timedOut",
            i,
        );
    }
    for i in 0..6 {
        out += &line(
            T0 + i as f64 * 9.0,
            3.0 + i as f64 * 37.0,
            "downstream",
            "peerNoError",
            100 + i,
        );
    }
    out
}

#[test]
fn alb_logs_gzipped_with_a_chain_name_the_alb() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("123456789012_elasticloadbalancing_us-west-2_app.my-loadbalancer.50dc6c495c0c9188_20261201T1005Z_10.0.0.1_abc.log.gz");
    write_gz(&log, &alb_log());
    let chain = dir.path().join("chain.json");
    std::fs::write(
        &chain,
        r#"{"schema_version": "1", "target": {"domain": "ws.example.com", "path": "/ws/", "scheme": "wss"},
            "layers": [{"id": "alb", "kind": "load_balancer", "provider": "alb", "name": "my-loadbalancer",
              "locator": "arn:aws:elasticloadbalancing:us-west-2:123456789012:loadbalancer/app/my-loadbalancer/50dc6c495c0c9188",
              "idle_timeout": {"value": 60, "origin": {"kind": "default", "documented": "idle_timeout.timeout_seconds defaults to 60"}}}]}"#,
    )
    .unwrap();
    let run = wsaudit(&[
        "logs",
        log.to_str().unwrap(),
        "--chain",
        chain.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let r = json(&run.stdout);
    let logs = &r["chain"]["logs"];
    assert_eq!(logs["sources"][0]["format"], "alb");
    assert_eq!(logs["lines"], 40);
    assert_eq!(logs["upgrades"]["ratio"], 1.0);
    assert_eq!(logs["peaks"][0]["explained_by"], "alb");
    assert_eq!(logs["peaks"][0]["count"], 30);
    assert_eq!(logs["by_upstream"][0]["key"], "10.0.1.192:8010");
    let f = crate::support::finding(&r, "WS801");
    assert_eq!(f["layer"], "alb");
    // No unseen hop: the ALB explains the cut.
    assert_eq!(r["chain"]["layers"].as_array().unwrap().len(), 1);
}

#[test]
fn cloudfront_logs_are_told_from_their_header() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("E2EXAMPLE.2026-12-01-10.a1b2c3d4.gz");
    write_gz(&log, &cloudfront_log());
    let run = wsaudit(&["logs", log.to_str().unwrap(), "--format", "json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let r = json(&run.stdout);
    let logs = &r["chain"]["logs"];
    assert_eq!(logs["sources"][0]["format"], "cloudfront");
    assert_eq!(logs["malformed"], 0);
    assert_eq!(logs["upgrades"]["attempts"], 33);
    assert_eq!(logs["upgrades"]["failing"][0]["status"], 403);
    let at = logs["peaks"][0]["at_s"].as_f64().unwrap();
    assert!((at - 600.0).abs() < 0.1, "{at}");
    // Nothing read explains it: the hop is added from the logs and WS801 says so.
    assert_eq!(r["chain"]["layers"][0]["id"], "unseen-logs");
    assert_eq!(
        r["chain"]["layers"][0]["idle_timeout"]["origin"]["kind"],
        "logged"
    );
    let fired = rules(&r);
    assert!(fired.contains(&"WS801".to_string()), "{fired:?}");
    assert!(fired.contains(&"WS804".to_string()), "{fired:?}");
    // CloudFront logs no origin: per backend is impossible, and the report says why.
    assert!(logs["impossible"]
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m["metric"] == "per backend"));
}

#[test]
fn cloudflare_logpush_names_the_edge() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir
        .path()
        .join("20261201T100000Z_20261201T100500Z_0123abcd.log.gz");
    write_gz(&log, &cloudflare_log());
    let run = wsaudit(&["logs", log.to_str().unwrap(), "--format", "json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let r = json(&run.stdout);
    let logs = &r["chain"]["logs"];
    assert_eq!(logs["sources"][0]["format"], "cloudflare");
    assert_eq!(logs["close_reasons"][0]["source"], "me");
    assert_eq!(logs["close_reasons"][0]["reason"], "timedOut");
    assert_eq!(logs["close_reasons"][0]["count"], 20);
    let p = &logs["peaks"][0];
    assert!((p["at_s"].as_f64().unwrap() - 100.0).abs() < 0.1, "{p}");
    assert_eq!(p["edge_timeouts"], 20);
    let hop = &r["chain"]["layers"][0];
    assert!(
        hop["name"].as_str().unwrap().contains("Cloudflare edge"),
        "{hop}"
    );
}

#[test]
fn the_table_draws_the_histogram_and_the_plot_is_svg() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("alb.log.gz");
    write_gz(&log, &alb_log());
    let svg = dir.path().join("plot.svg");
    let md = dir.path().join("report.md");
    let run = wsaudit(&[
        "logs",
        log.to_str().unwrap(),
        "--plot",
        svg.to_str().unwrap(),
        "--format",
        "markdown",
        "-o",
        md.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let text = std::fs::read_to_string(&svg).unwrap();
    assert!(text.starts_with("<svg"), "{}", &text[..text.len().min(200)]);
    assert!(text.contains("WebSocket lifetimes (40 connections)"));
    assert!(text.contains("Disconnects per 60 s"));
    let md = std::fs::read_to_string(&md).unwrap();
    assert!(md.contains(&format!("]({})", svg.display())), "{md}");
    let table = wsaudit(&["logs", log.to_str().unwrap(), "--color", "never"]);
    assert!(table.stdout.contains("Access logs:"), "{}", table.stdout);
    assert!(table.stdout.contains("  ← peak at 60"), "{}", table.stdout);
    assert!(table.stdout.contains(&"█".repeat(30)), "{}", table.stdout);
    assert!(
        table
            .stdout
            .contains("Disconnects (every 60 s from 2026-12-01T10:0"),
        "{}",
        table.stdout
    );
}
