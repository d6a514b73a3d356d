//! A measured cut by a hop wsaudit has no provider for: a real HAProxy (`timeout tunnel 4s`) in
//! front of a real nginx (`proxy_read_timeout 3600s`) in front of the WebSocket backend, all on
//! loopback, judged through the binary. The cut enters the chain as the `unseen` layer, so the
//! idle rules judge it and the summary names it, not nginx's 3600 s that never takes effect.

use crate::support::probe::{start_backend, Backend, Haproxy, Nginx, WS_LOCATION};
use crate::support::run::{wsaudit_json_no_aws, Run};
use crate::support::{finding, has_finding, report_layer_ids};
use serde_json::Value;

/// HAProxy's idle limit for an upgraded connection, the one the probe must measure.
const TUNNEL_S: f64 = 4.0;

struct Stack {
    haproxy: Haproxy,
    nginx: Nginx,
}

/// The three real servers, or None when HAProxy or nginx is missing (a skip outside CI).
async fn stack() -> Option<Stack> {
    let haproxy_bin = crate::support::haproxy()?;
    let nginx_bin = crate::support::nginx()?;
    let backend = start_backend(Backend::Echo).await;
    let nginx = Nginx::start(
        &nginx_bin,
        backend,
        &format!("{WS_LOCATION}\n      proxy_read_timeout 3600s;\n      proxy_send_timeout 3600s;"),
    );
    let nginx_addr = format!("127.0.0.1:{}", nginx.port).parse().unwrap();
    let haproxy = Haproxy::start(&haproxy_bin, nginx_addr, "4s");
    Some(Stack { haproxy, nginx })
}

async fn run(args: Vec<String>) -> (Run, Value) {
    wsaudit_json_no_aws(args).await
}

fn near_tunnel(s: f64) -> bool {
    (TUNNEL_S - 0.3..=TUNNEL_S + 0.5).contains(&s)
}

/// The measured hop as a layer: provider unseen, its idle timeout probed at the URL, its
/// locator the URL and who answered (nginx's Server header; HAProxy adds none).
fn assert_unseen_layer(v: &Value, url: &str) {
    let layers = v["chain"]["layers"].as_array().unwrap();
    let u = layers
        .iter()
        .find(|l| l["provider"] == "unseen")
        .unwrap_or_else(|| panic!("no unseen layer in {layers:#?}"));
    assert_eq!(u["id"], "unseen");
    assert_eq!(u["kind"], "unknown");
    assert_eq!(u["idle_timeout"]["origin"]["kind"], "probed", "{u:#}");
    assert_eq!(u["idle_timeout"]["origin"]["url"], url);
    assert!(
        near_tunnel(u["idle_timeout"]["value"].as_f64().unwrap()),
        "{u:#}"
    );
    let locator = u["locator"].as_str().unwrap();
    assert!(
        locator.starts_with(url) && locator.contains("answered by nginx"),
        "{locator}"
    );
    let s = &v["summary"];
    assert_eq!(s["cuts_first"], "unseen", "{s:#}");
    assert!(
        near_tunnel(s["effective_idle_s"].as_f64().unwrap()),
        "{s:#}"
    );
}

/// Whether the message names a number of seconds near the tunnel timeout (a measured 4.00 s
/// prints as `4 s`).
fn names_the_cut(message: &str) -> bool {
    message
        .split_whitespace()
        .zip(message.split_whitespace().skip(1))
        .any(|(n, unit)| unit.starts_with('s') && n.parse::<f64>().is_ok_and(near_tunnel))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn probe_alone_judges_the_hop_that_cut() {
    let Some(st) = stack().await else {
        return;
    };
    let url = st.haproxy.url();
    let (r, v) = run([
        "probe",
        &url,
        "--idle",
        "10s",
        "--format",
        "json",
        "--no-progress",
    ]
    .map(String::from)
    .to_vec())
    .await;
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(v["probe"]["idle"]["how"], "fin", "{:#}", v["probe"]["idle"]);
    assert_unseen_layer(&v, &url);
    assert_eq!(report_layer_ids(&v), ["unseen"]);
    let ws201 = finding(&v, "WS201");
    assert_eq!(ws201["layer"], "unseen");
    assert!(
        names_the_cut(ws201["message"].as_str().unwrap()),
        "{ws201:#}"
    );
    let ws202 = finding(&v, "WS202");
    assert_eq!(ws202["severity"], "high", "{ws202:#}");
    assert!(
        names_the_cut(ws202["message"].as_str().unwrap()),
        "{ws202:#}"
    );
    // Nothing was read, so there is nothing a cut could fail to match.
    assert!(!has_finding(&v, "WS203", "chain"));
    drop(st.nginx);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chain_probe_sets_the_measured_hop_before_nginx_s_3600_s() {
    let Some(st) = stack().await else {
        return;
    };
    let url = st.haproxy.url();
    let conf = st.nginx.prefix.path().join("nginx.conf");
    let (r, v) = run([
        "chain",
        "--domain",
        "127.0.0.1",
        "--path",
        "/ws/",
        "--scheme",
        "ws",
        "--nginx-conf",
        conf.to_str().unwrap(),
        "--probe",
        "--probe-url",
        &url,
        "--probe-idle",
        "10s",
        "--format",
        "json",
        "--no-progress",
    ]
    .map(String::from)
    .to_vec())
    .await;
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    assert_unseen_layer(&v, &url);
    let ids = report_layer_ids(&v);
    assert_eq!(ids.first(), Some(&"unseen"), "{ids:?}");
    let ngx = v["chain"]["layers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["provider"] == "nginx")
        .expect("the nginx layer read from the configuration");
    assert_eq!(ngx["idle_timeout"]["value"], 3600.0, "{ngx:#}");
    assert_eq!(v["chain"]["probe"]["idle"]["explained_by"], Value::Null);
    let ws203 = finding(&v, "WS203");
    assert_eq!(ws203["severity"], "high");
    assert!(
        names_the_cut(ws203["message"].as_str().unwrap()),
        "{ws203:#}"
    );
    // The unseen hop sits in front of nginx: nginx's 3600 s never takes effect.
    let ws401 = finding(&v, "WS401");
    assert_eq!(ws401["layer"], "unseen");
    assert!(
        names_the_cut(ws401["message"].as_str().unwrap()),
        "{ws401:#}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chain_probe_that_read_no_layer_still_names_the_measured_cut() {
    let Some(st) = stack().await else {
        return;
    };
    let url = st.haproxy.url();
    let (r, v) = run([
        "chain",
        "--domain",
        "127.0.0.1",
        "--path",
        "/ws/",
        "--scheme",
        "ws",
        "--no-nginx",
        "--probe",
        "--probe-url",
        &url,
        "--probe-idle",
        "10s",
        "--format",
        "json",
        "--no-progress",
    ]
    .map(String::from)
    .to_vec())
    .await;
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(report_layer_ids(&v), ["unseen"]);
    assert_unseen_layer(&v, &url);
    let ws203 = finding(&v, "WS203");
    assert!(
        names_the_cut(ws203["message"].as_str().unwrap()),
        "{ws203:#}"
    );
}
