//! `wsaudit k8s` and `wsaudit chain --k8s` through the binary: routing as the controllers
//! route, each value's origin at its manifest line, the rules that fire from an ingress layer,
//! the generated nginx.conf (a real `nginx -t` accepts the fixture), and bad input.

use crate::support;
use crate::support::run::*;
use serde_json::Value;

fn fixture(name: &str) -> String {
    repo()
        .join("tests/fixtures/k8s")
        .join(name)
        .display()
        .to_string()
}

fn k8s_json(args: &[&str]) -> (Run, Value) {
    let mut full = vec!["k8s"];
    full.extend_from_slice(args);
    full.extend_from_slice(&["--format", "json"]);
    let r = wsaudit(&full);
    let v = serde_json::from_str(&r.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}\n{}", r.stdout, r.stderr));
    (r, v)
}

fn layer<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["chain"]["layers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["id"] == id)
        .unwrap_or_else(|| panic!("no layer {id} in {:?}", support::report_layer_ids(report)))
}

fn notices(report: &Value) -> Vec<&str> {
    report["notices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect()
}

#[test]
fn a_kubectl_list_routes_the_prefix_path_and_cites_each_annotation_at_its_line() {
    let list = fixture("kubectl-list.yaml");
    let (r, v) = k8s_json(&[&list, "--domain", "chat.example.com", "--path", "/ws/room"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let id = "ingress-nginx:web/chat:chat.example.com/ws";
    let l = layer(&v, id);
    assert_eq!(l["provider"], "ingress_nginx");
    assert_eq!(l["kind"], "reverse_proxy");
    assert_eq!(
        v["chain"]["target"]["scheme"], "wss",
        "the host is under spec.tls"
    );
    let idle = &l["idle_timeout"];
    assert_eq!(idle["value"], 3600.0);
    assert_eq!(idle["origin"]["locator"], list.as_str());
    assert_eq!(idle["origin"]["line"], 8);
    assert_eq!(
        idle["origin"]["field"],
        "ingress/web/chat annotation nginx.ingress.kubernetes.io/proxy-read-timeout"
    );
    // The ConfigMap key wins over the default where the Ingress says nothing.
    assert_eq!(
        l["client_keepalive"]["origin"]["field"],
        "configmap/ingress-nginx/ingress-nginx-controller key keep-alive"
    );
    assert_eq!(l["client_keepalive"]["origin"]["line"], 126);
    // Every reload closes WebSockets 240 s later: WS302 through drain_timeout.
    assert_eq!(l["drain_timeout"]["value"], 240.0);
    assert_eq!(l["drain_timeout"]["origin"]["kind"], "default");
    assert!(support::has_finding(&v, "WS302", id));
    let f = support::finding(&v, "WS302");
    assert!(
        f["fix"]["text"]
            .as_str()
            .unwrap()
            .contains("kubectl patch configmap -n ingress-nginx ingress-nginx-controller"),
        "{f:#}"
    );
    // The snippet setting Connection: keep-alive is not applied: snippets are not allowed.
    assert_eq!(l["connection_header"]["value"], "upgrade");
    assert!(!support::has_finding(&v, "WS102", id));
    let n = notices(&v);
    assert!(
        n.iter().any(|n| n.contains("kubectl-list.yaml:11: ingress/web/chat annotation nginx.ingress.kubernetes.io/configuration-snippet is not applied")
            && n.contains("allow-snippet-annotations is \"false\"")),
        "{n:#?}"
    );
    assert!(
        n.iter().any(|n| n.contains(
            "kubectl-list.yaml:68: ingress/web/empty has no spec.rules and no spec.defaultBackend"
        )),
        "{n:#?}"
    );
    assert!(
        n.iter().any(|n| n.contains("skipped 1 Secret object")),
        "{n:#?}"
    );
    assert!(
        r.stderr
            .contains("→ service/web/chat-socket:ws → targetPort ws"),
        "{}",
        r.stderr
    );
    // The log format the ConfigMap sets lacks the fields WS701 needs, cited at its key.
    assert!(support::has_finding(&v, "WS701", id));
    assert!(support::finding(&v, "WS701")["message"]
        .as_str()
        .unwrap()
        .contains("kubectl-list.yaml:127"));

    // Prefix matches by path element: /wsx is not under /ws, so the / path takes it.
    let (_, v) = k8s_json(&[&list, "--domain", "chat.example.com", "--path", "/wsx"]);
    assert_eq!(
        support::report_layer_ids(&v),
        ["ingress-nginx:web/chat:chat.example.com/"]
    );
}

#[test]
fn a_wildcard_host_with_an_exact_path_and_the_annotations_that_break_it() {
    let list = fixture("kubectl-list.yaml");
    let (r, v) = k8s_json(&[&list, "--domain", "a.live.example.com", "--path", "/socket"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let id = "ingress-nginx:web/live:*.live.example.com/socket";
    for rule in ["WS103", "WS601", "WS201"] {
        assert!(
            support::has_finding(&v, rule, id),
            "{rule}: {:#}",
            v["findings"]
        );
    }
    let f = support::finding(&v, "WS103");
    assert!(
        f["fix"]["text"]
            .as_str()
            .unwrap()
            .contains("kubectl annotate ingress -n web live --overwrite"),
        "{f:#}"
    );
    assert!(f["fix"]["text"]
        .as_str()
        .unwrap()
        .contains("nginx.ingress.kubernetes.io/proxy-http-version='1.1'"));
    // Affinity by cookie: no WS301 even with several backends.
    assert_eq!(layer(&v, id)["stickiness"]["value"]["mode"], "cookie");
    assert_eq!(layer(&v, id)["stickiness"]["value"]["key"], "INGRESSCOOKIE");
    // No TLS for the host: clients dial ws.
    assert_eq!(v["chain"]["target"]["scheme"], "ws");

    // Exact takes /socket only; the wildcard covers one label only.
    for (host, path) in [
        ("a.live.example.com", "/socket/x"),
        ("a.b.live.example.com", "/socket"),
    ] {
        let r = wsaudit(&["k8s", &list, "--domain", host, "--path", path]);
        assert_eq!(r.code, 2, "{host}{path}: {}", r.stdout);
        assert!(
            r.stderr
                .contains(&format!("no Ingress rule or HTTPRoute takes {host}{path}")),
            "{}",
            r.stderr
        );
    }
}

#[test]
fn connection_header_replicas_gzip_and_a_default_backend_from_a_cluster_dump() {
    let cluster = fixture("cluster.yaml");
    let (r, v) = k8s_json(&[
        &cluster,
        "--domain",
        "board.example.com",
        "--path",
        "/cable/1",
    ]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let id = "ingress-nginx:apps/board:board.example.com/cable";
    for rule in ["WS102", "WS301", "WS602", "WS201"] {
        assert!(
            support::has_finding(&v, rule, id),
            "{rule}: {:#}",
            v["findings"]
        );
    }
    let l = layer(&v, id);
    assert_eq!(l["targets"]["value"], 4);
    assert!(l["targets"]["origin"]["locator"]
        .as_str()
        .unwrap()
        .contains("deployment/apps/board spec.replicas"));
    // The ConfigMap gives 600 s: no WS302.
    assert_eq!(l["drain_timeout"]["value"], 600.0);
    assert!(!support::has_finding(&v, "WS302", id));
    assert!(support::finding(&v, "WS102")["fix"]["text"]
        .as_str()
        .unwrap()
        .contains("nginx.ingress.kubernetes.io/connection-proxy-header-"));

    // Another path of the same host: the Ingress's defaultBackend.
    let (_, v) = k8s_json(&[
        &cluster,
        "--domain",
        "board.example.com",
        "--path",
        "/other",
    ]);
    assert_eq!(
        support::report_layer_ids(&v),
        ["ingress-nginx:apps/board:*(default)"]
    );
}

#[test]
fn an_httproute_is_routed_and_its_request_timeouts_are_not_taken_for_idle_ones() {
    let cluster = fixture("cluster.yaml");
    // board's defaultBackend serves its own host, not events.example.com, which the
    // HTTPRoute names.
    let (r, v) = k8s_json(&[
        &cluster,
        "--domain",
        "events.example.com",
        "--path",
        "/ws/feed",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let l = layer(&v, "gateway-api:apps/events");
    assert_eq!(l["provider"], "gateway_api");
    assert_eq!(l["idle_timeout"]["value"], Value::Null);
    let why = l["idle_timeout"]["origin"]["reason"].as_str().unwrap();
    assert!(why.contains("implementation-specific"), "{why}");
    assert!(
        why.contains("gateway.envoyproxy.io/gatewayclass-controller"),
        "{why}"
    );
    assert!(
        why.contains("timeouts.request 30s at")
            && why
                .contains("cluster.yaml:121 is a request timeout (GEP-1742), not an idle timeout"),
        "{why}"
    );
    assert_eq!(
        l["websocket"]["value"], "enabled",
        "appProtocol kubernetes.io/ws"
    );
    assert!(!support::has_finding(
        &v,
        "WS201",
        "gateway-api:apps/events"
    ));
}

#[test]
fn f5_nginx_ingress_forwards_no_upgrade_to_a_service_websocket_services_does_not_list() {
    let (r, v) = k8s_json(&[
        &fixture("controllers.json"),
        "--domain",
        "feed.example.com",
        "--path",
        "/stream",
    ]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let id = "f5-nginx-ingress:news/feed:feed.example.com/stream";
    assert_eq!(layer(&v, id)["provider"], "f5_nginx_ingress");
    assert!(support::has_finding(&v, "WS101", id));
    assert!(
        !support::has_finding(&v, "WS104", id),
        "it proxies, without the headers"
    );
    let fix = support::finding(&v, "WS101")["fix"]["text"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        fix.contains("nginx.org/websocket-services='feed-ws'"),
        "{fix}"
    );
    // JSON lines are cited too.
    assert_eq!(layer(&v, id)["idle_timeout"]["origin"]["line"], 12);
}

#[test]
fn a_helm_render_for_the_aws_load_balancer_controller_is_an_alb_layer() {
    let (r, v) = k8s_json(&[
        &fixture("helm"),
        "--domain",
        "chat.example.com",
        "--path",
        "/socket/1",
    ]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let l = layer(&v, "alb");
    assert_eq!(l["provider"], "alb");
    assert_eq!(l["kind"], "load_balancer");
    // The class's IngressClassParams set loadBalancerAttributes: the Ingress's annotation
    // (120 s, HTTP/2 on) is ignored.
    assert_eq!(l["idle_timeout"]["value"], 45.0);
    assert_eq!(l["idle_timeout"]["origin"]["line"], 89);
    assert_eq!(
        l["idle_timeout"]["origin"]["field"],
        "ingressclassparams/alb spec.loadBalancerAttributes idle_timeout.timeout_seconds"
    );
    assert_eq!(l["targets"]["value"], 3, "the Deployment's replicas");
    for rule in ["WS501", "WS302", "WS201", "WS702"] {
        assert!(
            support::has_finding(&v, rule, "alb"),
            "{rule}: {:#}",
            v["findings"]
        );
    }
    let fix = support::finding(&v, "WS302")["fix"]["text"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(fix.contains("alb.ingress.kubernetes.io/target-group-attributes='deregistration_delay.timeout_seconds=300'"), "{fix}");
    // No ARN is known: no AWS CLI command that would name a file as one.
    let fix = support::finding(&v, "WS702")["fix"]["text"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(!fix.contains("aws elbv2"), "{fix}");
    assert!(notices(&v)
        .iter()
        .any(|n| n.contains("skipped 1 ServiceAccount object")));
}

#[test]
fn the_generated_nginx_conf_is_the_layer_and_an_annotation_missing_from_it_is_drift() {
    let conf = fixture("generated/nginx.conf");
    if let Some(nginx) = support::nginx() {
        let staged = support::stage(&repo().join("tests/fixtures/k8s/generated"));
        let (ok, err) = support::nginx_t(&nginx, &staged.path().join("nginx.conf"), staged.path());
        assert!(ok, "nginx -t rejects the fixture: {err}");
    }
    let list = fixture("kubectl-list.yaml");
    let (r, v) = k8s_json(&[
        &list,
        "--domain",
        "chat.example.com",
        "--path",
        "/ws/room",
        "--ingress-nginx-conf",
        &conf,
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let id = "ingress-nginx:web/chat:chat.example.com/ws";
    let l = layer(&v, id);
    assert!(
        l["name"].as_str().unwrap().contains("generated nginx.conf"),
        "{}",
        l["name"]
    );
    assert_eq!(l["idle_timeout"]["value"], 60.0);
    assert_eq!(l["idle_timeout"]["origin"]["locator"], conf.as_str());
    let drift = v["chain"]["drift"].as_array().unwrap();
    assert_eq!(drift.len(), 1, "{drift:#?}");
    assert_eq!(drift[0]["setting"], "idle_timeout");
    assert_eq!(drift[0]["live"], 60.0);
    assert_eq!(drift[0]["planned"], 3600.0);
    assert_eq!(drift[0]["planned_origin"]["line"], 8);
    assert!(support::has_finding(&v, "WS901", id));
    assert!(
        support::has_finding(&v, "WS201", id),
        "the running 60 s is what is judged"
    );
    // The generated log format is upstreaminfo: nothing missing.
    assert!(!support::has_finding(&v, "WS701", id));
}

#[test]
fn the_listing_takes_every_route_that_looks_like_a_websocket_endpoint() {
    let r = wsaudit(&["k8s", &fixture(""), "--format", "json", "-v"]);
    assert!(r.code == 1, "{}", r.stderr);
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    let ids = support::report_layer_ids(&v);
    for id in [
        "ingress-nginx:web/chat:chat.example.com/ws",
        "ingress-nginx:web/live:*.live.example.com/socket",
        "ingress-nginx:apps/board:board.example.com/cable",
        "f5-nginx-ingress:news/feed:feed.example.com/stream",
        "alb",
    ] {
        assert!(ids.contains(&id), "{id} not in {ids:?}");
    }
    assert!(
        !ids.contains(&"ingress-nginx:web/chat:chat.example.com/"),
        "{ids:?}"
    );
    assert!(
        r.stderr
            .contains("its Service port declares appProtocol kubernetes.io/ws"),
        "{}",
        r.stderr
    );
}

#[test]
fn chain_places_the_ingress_layer_and_an_unreadable_manifest_is_a_gap() {
    let env = [
        ("AWS_CONFIG_FILE", "/nonexistent/wsaudit-test"),
        ("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/wsaudit-test"),
        ("AWS_EC2_METADATA_DISABLED", "true"),
        ("CLOUDFLARE_API_TOKEN", ""),
    ];
    let list = fixture("kubectl-list.yaml");
    let r = wsaudit_full(
        &repo(),
        &[
            "chain",
            "--domain",
            "chat.example.com",
            "--path",
            "/ws",
            "--k8s",
            &list,
            "--no-nginx",
            "--format",
            "json",
        ],
        None,
        &env,
    );
    let v: Value = serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{e}: {}", r.stderr));
    assert_eq!(
        support::report_layer_ids(&v),
        ["ingress-nginx:web/chat:chat.example.com/ws"],
        "{}",
        r.stderr
    );
    assert!(support::has_finding(
        &v,
        "WS302",
        "ingress-nginx:web/chat:chat.example.com/ws"
    ));
    assert!(notices(&v)
        .iter()
        .any(|n| n.contains("configuration-snippet is not applied")));

    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.yaml");
    std::fs::write(&bad, "apiVersion: v1\nkind: Service\nmetadata: {name: [x\n").unwrap();
    let bad = bad.display().to_string();
    let r = wsaudit_full(
        &repo(),
        &[
            "chain",
            "--domain",
            "chat.example.com",
            "--path",
            "/ws",
            "--k8s",
            &bad,
            "--no-nginx",
            "--format",
            "json",
        ],
        None,
        &env,
    );
    assert_eq!(r.code, 3, "{}", r.stderr);
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    let gap = &v["chain"]["gaps"][0];
    assert_eq!(gap["code"], "unreadable-config");
    assert!(
        gap["reason"].as_str().unwrap().contains(&format!("{bad}:")),
        "{gap}"
    );
}

#[test]
fn bad_input_is_one_precise_message_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p.display().to_string()
    };
    let bad = write(
        "bad.yaml",
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: \"unterminated\n",
    );
    let r = wsaudit(&["k8s", &bad, "--domain", "a.example.com", "--path", "/"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains(&format!("{bad}:")) && r.stderr.contains("malformed YAML"),
        "{}",
        r.stderr
    );
    let bad2 = write("tabs.yaml", "kind: Ingress\nmetadata:\n\tname: x\n");
    let r = wsaudit(&["k8s", &bad2]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains(&format!("{bad2}:3:")), "{}", r.stderr);

    let only_unknown = write("deploy.yaml", "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: a}\n---\nkind: Role\nmetadata: {name: b}\n");
    let r = wsaudit(&["k8s", &only_unknown]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("nothing to audit")
            && r.stderr.contains("skipped 1 Role object (first at"),
        "{}",
        r.stderr
    );

    let r = wsaudit(&[
        "k8s",
        "/nonexistent/manifests",
        "--domain",
        "a.example.com",
        "--path",
        "/",
    ]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("/nonexistent/manifests"), "{}", r.stderr);

    let no_rules = write("norules.yaml", "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: empty\nspec:\n  ingressClassName: nginx\n");
    let r = wsaudit(&["k8s", &no_rules, "--domain", "a.example.com", "--path", "/"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains(&format!(
            "{no_rules}:1: ingress/default/empty has no spec.rules"
        )),
        "{}",
        r.stderr
    );
}

/// The in-cluster nginx behind the ingress for board.example.com (checked by `nginx -t`).
const BOARD_NGINX: &str = r#"
pid logs/nginx.pid;
events {}
http {
    map $http_upgrade $connection_upgrade { default upgrade; '' close; }
    access_log logs/access.log;
    keepalive_timeout 30s;
    upstream board { server 127.0.0.1:3000; }
    server {
        listen 80;
        server_name board.example.com;
        location /cable/ {
            proxy_pass http://board;
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_read_timeout 3600s;
        }
        location /cable/slow/ {
            proxy_pass http://board;
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_read_timeout 30s;
        }
    }
}
"#;

#[test]
fn in_a_chain_the_ingress_sits_in_front_of_nginx_and_the_alignment_rules_compare_them() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("logs")).unwrap();
    let conf = dir.path().join("nginx.conf");
    std::fs::write(&conf, BOARD_NGINX).unwrap();
    if let Some(nginx) = support::nginx() {
        let (ok, err) = support::nginx_t(&nginx, &conf, dir.path());
        assert!(ok, "nginx -t rejects the test's nginx.conf: {err}");
    }
    let conf = conf.display().to_string();
    let cluster = fixture("cluster.yaml");
    let env = [
        ("AWS_CONFIG_FILE", "/nonexistent/wsaudit-test"),
        ("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/wsaudit-test"),
        ("AWS_EC2_METADATA_DISABLED", "true"),
        ("CLOUDFLARE_API_TOKEN", ""),
    ];
    let run = |path: &str| {
        let r = wsaudit_full(
            &repo(),
            &[
                "chain",
                "--domain",
                "board.example.com",
                "--path",
                path,
                "--scheme",
                "ws",
                "--k8s",
                &cluster,
                "--nginx-conf",
                &conf,
                "--format",
                "json",
            ],
            None,
            &env,
        );
        let v: Value =
            serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{e}: {}", r.stderr));
        (r, v)
    };
    let ingress = "ingress-nginx:apps/board:board.example.com/cable";
    let (r, v) = run("/cable/1");
    let nginx_id = "nginx:board.example.com/cable/";
    assert_eq!(
        support::report_layer_ids(&v),
        [ingress, nginx_id],
        "{}",
        r.stderr
    );
    // The ingress's 120 s cuts before nginx's hour; nginx closes keep-alive connections
    // (30 s) the ingress still pools (upstream-keepalive-timeout 60 s).
    assert!(
        support::has_finding(&v, "WS401", ingress),
        "{:#}",
        v["findings"]
    );
    assert!(
        support::has_finding(&v, "WS403", nginx_id),
        "{:#}",
        v["findings"]
    );

    let (_, v) = run("/cable/slow/1");
    assert!(
        support::has_finding(&v, "WS402", "nginx:board.example.com/cable/slow/"),
        "{:#}",
        v["findings"]
    );
}

#[test]
fn a_host_under_tls_redirects_ws_clients() {
    let (r, v) = k8s_json(&[
        &fixture("kubectl-list.yaml"),
        "--domain",
        "chat.example.com",
        "--path",
        "/ws",
        "--scheme",
        "ws",
    ]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        support::has_finding(&v, "WS504", "ingress-nginx:web/chat:chat.example.com/ws"),
        "{:#}",
        v["findings"]
    );
}

#[test]
fn an_allowed_snippet_applies_and_one_that_repeats_a_template_directive_is_rejected() {
    let cluster = fixture("cluster.yaml");
    // Snippets are allowed (allow-snippet-annotations "true", risk level Critical): this one
    // empties the Connection header, and that is what is judged, cited at the annotation.
    let (_, v) = k8s_json(&[
        &cluster,
        "--domain",
        "notify.example.com",
        "--path",
        "/events",
    ]);
    let id = "ingress-nginx:apps/notify:notify.example.com/";
    let l = layer(&v, id);
    assert_eq!(l["connection_header"]["value"], "");
    assert_eq!(
        l["connection_header"]["origin"]["field"],
        "ingress/apps/notify annotation nginx.ingress.kubernetes.io/configuration-snippet"
    );
    assert!(support::has_finding(&v, "WS102", id), "{:#}", v["findings"]);

    // board's snippet repeats proxy_read_timeout: nginx -t would fail, so it is not applied and
    // the annotation's 120 s stands.
    let (_, v) = k8s_json(&[
        &cluster,
        "--domain",
        "board.example.com",
        "--path",
        "/cable/1",
    ]);
    assert_eq!(
        layer(&v, "ingress-nginx:apps/board:board.example.com/cable")["idle_timeout"]["value"],
        120.0
    );
    let n = notices(&v);
    assert!(
        n.iter().any(|n| n
            .contains("configuration-snippet is not applied: it repeats `proxy_read_timeout`")
            && n.contains("nginx.ingress.kubernetes.io/proxy-read-timeout annotation instead")),
        "{n:#?}"
    );
}

#[test]
fn the_controller_services_nlb_sits_in_front_and_cuts_before_the_raised_proxy_read_timeout() {
    let (r, v) = k8s_json(&[
        &fixture("behind-nlb.yaml"),
        "--domain",
        "rooms.example.com",
        "--path",
        "/ws",
    ]);
    let ingress = "ingress-nginx:chat/rooms:rooms.example.com/ws";
    assert_eq!(
        support::report_layer_ids(&v),
        ["nlb", ingress],
        "{}",
        r.stderr
    );
    let nlb = layer(&v, "nlb");
    assert_eq!(nlb["provider"], "nlb");
    assert_eq!(nlb["idle_timeout"]["value"], 350.0);
    assert_eq!(nlb["idle_timeout"]["origin"]["kind"], "default");
    // "I set the annotation and it still drops": the NLB's 350 s cuts before the hour.
    assert!(
        support::has_finding(&v, "WS401", "nlb"),
        "{:#}",
        v["findings"]
    );
    assert_eq!(layer(&v, ingress)["idle_timeout"]["value"], 3600.0);
}

#[test]
fn manifests_on_standard_input() {
    let text = std::fs::read_to_string(fixture("controllers.json")).unwrap();
    let r = wsaudit_stdin(
        &[
            "k8s",
            "-",
            "--domain",
            "feed.example.com",
            "--path",
            "/stream/1",
            "--format",
            "json",
        ],
        &text,
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    let l = layer(&v, "f5-nginx-ingress:news/feed:feed.example.com/stream");
    assert_eq!(l["idle_timeout"]["origin"]["locator"], "<stdin>");
    assert_eq!(l["idle_timeout"]["origin"]["line"], 12);
}

#[test]
fn the_class_comes_from_the_name_the_legacy_annotation_or_the_default_class() {
    let ingress = |name: &str, host: &str, class: &str| {
        format!(
            "---\napiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: {name}\n  namespace: web\n{class}spec:\n  rules:\n  - host: {host}\n    http:\n      paths:\n      - path: /ws\n        pathType: Prefix\n        backend:\n          service:\n            name: {name}\n            port:\n              number: 80\n"
        )
    };
    let default_alb = "---\napiVersion: networking.k8s.io/v1\nkind: IngressClass\nmetadata:\n  name: alb\n  annotations:\n    ingressclass.kubernetes.io/is-default-class: \"true\"\nspec:\n  controller: ingress.k8s.aws/alb\n";
    let legacy = "  annotations:\n    kubernetes.io/ingress.class: nginx\n";
    let text = [
        ingress("plain", "plain.example.com", ""),
        ingress("legacy", "legacy.example.com", legacy),
        default_alb.to_string(),
    ]
    .concat();
    let route = |text: &str, host: &str| {
        let r = wsaudit_stdin(
            &[
                "k8s", "-", "--domain", host, "--path", "/ws", "--format", "json",
            ],
            text,
        );
        let v: Value =
            serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{e}: {}", r.stderr));
        (r, v)
    };
    // No class on the Ingress: the default IngressClass's controller.
    let (r, v) = route(&text, "plain.example.com");
    assert_eq!(support::report_layer_ids(&v), ["alb"], "{}", r.stderr);
    assert!(
        r.stderr
            .contains("no class on the Ingress: the default ingressclass/alb"),
        "{}",
        r.stderr
    );
    // The deprecated annotation, with no IngressClass of that name: its conventional controller.
    let (r, v) = route(&text, "legacy.example.com");
    assert_eq!(
        layer(&v, "ingress-nginx:web/legacy:legacy.example.com/ws")["provider"],
        "ingress_nginx"
    );
    assert!(
        r.stderr
            .contains("annotation kubernetes.io/ingress.class nginx (deprecated)"),
        "{}",
        r.stderr
    );
    // Neither, and no default class: no controller serves it, and the report says so.
    let (r, v) = route(
        &ingress("plain", "plain.example.com", ""),
        "plain.example.com",
    );
    let l = layer(&v, "ingress:web/plain:plain.example.com/ws");
    assert_eq!(l["provider"], "kubernetes");
    assert_eq!(l["idle_timeout"]["value"], Value::Null);
    assert!(
        r.stderr.contains("--watch-ingress-without-class"),
        "{}",
        r.stderr
    );
}

#[test]
fn a_grpc_backend_protocol_talks_http2_upstream() {
    let text = "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: rpc\n  namespace: api\n  annotations:\n    nginx.ingress.kubernetes.io/backend-protocol: GRPC\nspec:\n  ingressClassName: nginx\n  rules:\n  - host: api.example.com\n    http:\n      paths:\n      - path: /socket\n        pathType: Prefix\n        backend:\n          service:\n            name: rpc\n            port:\n              number: 50051\n---\napiVersion: networking.k8s.io/v1\nkind: IngressClass\nmetadata:\n  name: nginx\nspec:\n  controller: k8s.io/ingress-nginx\n";
    let r = wsaudit_stdin(
        &[
            "k8s",
            "-",
            "--domain",
            "api.example.com",
            "--path",
            "/socket",
            "--format",
            "json",
        ],
        text,
    );
    let v: Value = serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{e}: {}", r.stderr));
    let id = "ingress-nginx:api/rpc:api.example.com/socket";
    assert!(support::has_finding(&v, "WS501", id), "{:#}", v["findings"]);
    assert_eq!(layer(&v, id)["upstream_http_version"]["origin"]["line"], 7);
}
