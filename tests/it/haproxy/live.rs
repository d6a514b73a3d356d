//! A real HAProxy on loopback (`timeout tunnel 3s`) in front of the WebSocket backend: with
//! `--haproxy-conf`, the layer read from its configuration explains the cut the project's own
//! probe measures, so no unseen hop is added and the HAProxy layer is the one that cuts first.

use crate::support::probe::{start_backend, Backend, Haproxy};
use crate::support::run::wsaudit_json_no_aws;
use crate::support::{has_finding, report_layer_ids};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_configured_tunnel_timeout_explains_the_measured_cut() {
    let Some(bin) = crate::support::haproxy() else {
        return;
    };
    let backend = start_backend(Backend::Echo).await;
    let haproxy = Haproxy::start(&bin, backend, "3s");
    let conf = haproxy.dir.path().join("haproxy.cfg");
    let url = haproxy.url();
    let args: Vec<String> = [
        "chain",
        "--domain",
        "127.0.0.1",
        "--path",
        "/ws/",
        "--scheme",
        "ws",
        "--no-nginx",
        "--haproxy-conf",
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
    .to_vec();
    let (r, v) = wsaudit_json_no_aws(args).await;
    let idle = &v["chain"]["probe"]["idle"];
    let cut = idle["closed_after_s"]
        .as_f64()
        .expect("the probe measured a cut");
    assert!((2.7..=3.6).contains(&cut), "{idle:#}");
    assert_eq!(
        idle["explained_by"], "haproxy:ws>app",
        "{idle:#}\n{}",
        r.stderr
    );
    assert_eq!(
        report_layer_ids(&v),
        ["haproxy:ws>app"],
        "no unseen hop: {}",
        r.stderr
    );
    assert_eq!(v["summary"]["cuts_first"], "haproxy:ws>app");
    assert!(!has_finding(&v, "WS203", "chain"));
    assert!(
        has_finding(&v, "WS201", "haproxy:ws>app"),
        "{}",
        v["findings"]
    );
}
