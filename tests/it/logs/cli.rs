//! What a user meets on bad or thin input: a file that is not a log (exit 2), malformed lines
//! counted and shown at file:line, a format that cannot give a metric (and what to add), and
//! `chain --logs` naming the nginx location from the logs.

use super::{json, write_gz};
use crate::support::run::{wsaudit, wsaudit_stdin};

const CONF: &str = r#"events {}
http {
  log_format ws '$remote_addr - [$time_local] "$request" $status $body_bytes_sent rt=$request_time ua="$upstream_addr" up="$http_upgrade" host=$host';
  map $http_upgrade $connection_upgrade { default upgrade; '' close; }
  server {
    listen 80;
    server_name ws.example.com;
    location /ws/ {
      proxy_pass http://127.0.0.1:9000;
      proxy_http_version 1.1;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection $connection_upgrade;
      proxy_read_timeout 60s;
      access_log /var/log/nginx/ws.log ws;
    }
  }
}
"#;

/// 40 WebSockets cut at 60 s and 10 closed by users, in the `ws` format above.
fn ws_log(garbage_at: &[usize]) -> String {
    let mut out = String::new();
    let mut n = 0;
    for i in 0..50 {
        n += 1;
        if garbage_at.contains(&n) {
            out += "GET /favicon.ico this is not a log line\n";
            n += 1;
        }
        let rt = if i < 40 {
            60.0 + (i % 5) as f64 * 0.001
        } else {
            3.0 + i as f64 * 11.0
        };
        let s = 10 + i;
        out += &format!(
            "10.0.0.{} - [01/Dec/2026:10:{:02}:{:02} +0000] \"GET /ws/?t={i} HTTP/1.1\" 101 0 rt={rt:.3} ua=\"127.0.0.1:9000\" up=\"websocket\" host=ws.example.com\n",
            i % 7,
            s / 60,
            s % 60
        );
    }
    out
}

#[test]
fn a_file_that_is_not_a_log_is_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let notes = dir.path().join("notes.txt");
    std::fs::write(&notes, "shopping list\neggs\nmilk\n").unwrap();
    let run = wsaudit(&["logs", notes.to_str().unwrap()]);
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(
        run.stderr.contains("notes.txt: not an access log"),
        "{}",
        run.stderr
    );
    let bin = dir.path().join("image.png");
    std::fs::write(&bin, b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR").unwrap();
    let run = wsaudit(&["logs", bin.to_str().unwrap()]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("binary data"), "{}", run.stderr);
    let run = wsaudit(&["logs", dir.path().join("missing.log").to_str().unwrap()]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("missing.log: cannot read"),
        "{}",
        run.stderr
    );
    // Forcing a format the lines are not in says which.
    let log = dir.path().join("ws.log");
    std::fs::write(&log, ws_log(&[])).unwrap();
    let run = wsaudit(&["logs", log.to_str().unwrap(), "--log-format", "alb"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("parses as a alb log"), "{}", run.stderr);
}

#[test]
fn malformed_lines_are_counted_with_their_line_and_the_format_comes_from_nginx_conf() {
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("nginx.conf");
    std::fs::write(&conf, CONF).unwrap();
    let log = dir.path().join("ws.log.1.gz");
    write_gz(&log, &ws_log(&[3, 20]));
    let run = wsaudit(&[
        "logs",
        log.to_str().unwrap(),
        "--nginx-conf",
        conf.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let r = json(&run.stdout);
    let logs = &r["chain"]["logs"];
    assert_eq!(logs["malformed"], 2);
    assert_eq!(logs["lines"], 52);
    let first = logs["malformed_samples"][0].as_str().unwrap();
    assert!(
        first.starts_with(&format!("{}:3: ", log.display())),
        "{first}"
    );
    assert!(logs["malformed_samples"][1]
        .as_str()
        .unwrap()
        .starts_with(&format!("{}:20: ", log.display())));
    assert!(run.stderr.contains(":3: "), "{}", run.stderr);
    assert!(logs["sources"][0]["log_format_origin"]
        .as_str()
        .unwrap()
        .contains("nginx.conf:3"));
    // The location writing ws.log is the one whose proxy_read_timeout the peak sits at.
    let f = crate::support::finding(&r, "WS801");
    assert!(f["layer"].as_str().unwrap().starts_with("nginx:"), "{f}");
    assert!(
        f["message"].as_str().unwrap().contains("nginx.conf:13"),
        "{f}"
    );
}

#[test]
fn combined_cannot_give_lifetimes_and_says_what_to_add() {
    let log = "10.0.0.1 - - [01/Dec/2026:10:00:00 +0000] \"GET /ws/ HTTP/1.1\" 101 0 \"-\" \"Mozilla/5.0\"\n\
               10.0.0.2 - - [01/Dec/2026:10:00:01 +0000] \"GET /ws/ HTTP/1.1\" 101 0 \"-\" \"Mozilla/5.0\"\n";
    let run = wsaudit_stdin(&["logs", "-", "--format", "json"], log);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let r = json(&run.stdout);
    let logs = &r["chain"]["logs"];
    assert_eq!(logs["sources"][0]["name"], "-");
    assert_eq!(logs["upgrades"]["attempts_known"], false);
    assert!(logs["upgrades"].get("ratio").is_none());
    let adds: Vec<&str> = logs["impossible"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["add"].as_str().unwrap())
        .collect();
    assert!(adds.contains(&"$request_time"), "{adds:?}");
    assert!(adds.contains(&"\"$http_upgrade\""), "{adds:?}");
}

#[test]
fn chain_logs_matches_the_peak_to_the_location_read() {
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("nginx.conf");
    std::fs::write(&conf, CONF).unwrap();
    let log = dir.path().join("ws.log");
    std::fs::write(&log, ws_log(&[])).unwrap();
    let run = wsaudit(&[
        "chain",
        "--domain",
        "ws.example.com",
        "--path",
        "/ws/",
        "--nginx-conf",
        conf.to_str().unwrap(),
        "--logs",
        log.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert!(run.code == 1, "{} {}", run.code, run.stderr);
    let r = json(&run.stdout);
    let peak = &r["chain"]["logs"]["peaks"][0];
    let nginx = r["chain"]["layers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["provider"] == "nginx")
        .unwrap();
    assert_eq!(peak["explained_by"], nginx["id"]);
    assert!(crate::support::has_finding(
        &r,
        "WS801",
        nginx["id"].as_str().unwrap()
    ));
}
