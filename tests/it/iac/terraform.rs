//! Terraform plan JSON through the binary: what each chain is, where every value comes from,
//! and which rules fire from the code.

use super::{fired, iac_json, layer, wsaudit};

#[test]
fn without_a_domain_every_chain_the_plan_defines_is_judged() {
    let (code, report) = iac_json("aws-modules.plan.json", &[]);
    assert_eq!(code, 1, "high findings fail the run");
    let ids: Vec<&str> = crate::support::report_layer_ids(&report);
    // CloudFront → the eu load balancer for each WebSocket path the behaviors name, and the
    // us load balancer nothing fronts, for each path its rule names.
    assert_eq!(
        ids,
        [
            "cloudfront@ws.example.com/ws/",
            "alb@ws.example.com/ws/",
            "cloudfront@ws.example.com/live/",
            "alb@ws.example.com/live/",
            "alb@us/ws/",
            "alb@us/live/",
        ]
    );
    let f = fired(&report);
    for want in [
        "WS201 alb@ws.example.com/ws/",
        "WS402 alb@ws.example.com/ws/",
        "WS301 alb@ws.example.com/ws/",
        "WS702 alb@ws.example.com/ws/",
        "WS702 cloudfront@ws.example.com/ws/",
        // The legacy forwarded_values of /live/* forward Origin only.
        "WS101 cloudfront@ws.example.com/live/",
        // protocol_version = each.key == "us" ? "HTTP2" : "HTTP1"
        "WS501 alb@us/ws/",
        "WS202 chain",
    ] {
        assert!(f.contains(&want.to_string()), "{want} missing from {f:?}");
    }
    // One attachment behind us: one backend needs no stickiness.
    assert!(!f.contains(&"WS301 alb@us/ws/".to_string()), "{f:?}");
}

#[test]
fn with_a_domain_the_chain_serving_it_names_each_resource_and_attribute() {
    let (_, report) = iac_json(
        "aws-modules.plan.json",
        &["--domain", "ws.example.com", "--path", "/ws/"],
    );
    assert_eq!(
        crate::support::report_layer_ids(&report),
        ["cloudfront", "alb"]
    );
    let alb = layer(&report, "alb");
    // The module's load balancer reached through `module.edge.lb_dns_names["eu"]`.
    assert_eq!(alb["locator"], "module.edge.aws_lb.ws[\"eu\"]");
    // Not set in the configuration: the documented default, exactly as a live read says it.
    assert_eq!(alb["idle_timeout"]["value"], 60);
    assert_eq!(alb["idle_timeout"]["origin"]["kind"], "default");
    let ws201 = crate::support::finding(&report, "WS201");
    assert_eq!(ws201["locator"]["target"], "module.edge.aws_lb.ws[\"eu\"]");
    assert_eq!(ws201["locator"]["field"], "idle_timeout");
    // Known after apply (the SSM parameter is created by the same plan): unknown with the
    // reason, never the 300 s default; the reason follows var.drain_seconds.
    assert_eq!(alb["drain_timeout"]["value"], serde_json::Value::Null);
    let why = alb["drain_timeout"]["origin"]["reason"].as_str().unwrap();
    assert!(
        why.contains(
            "module.edge.aws_lb_target_group.app[\"eu\"].deregistration_delay: known after apply"
        ) && why.contains("var.drain_seconds"),
        "{why}"
    );
    // Two attachments count as two targets, at the attachment that registers them.
    assert_eq!(alb["targets"]["value"], 2);
    assert_eq!(
        alb["targets"]["origin"]["locator"],
        "module.edge.aws_lb_target_group_attachment.eu[0]"
    );
    assert_eq!(
        alb["upstream_http_version"]["origin"]["locator"],
        "module.edge.aws_lb_target_group.app[\"eu\"]"
    );
    // The behavior's origin_request_policy_id is known only after apply: its reference leads
    // to the policy planned beside it, which forwards both handshake headers.
    let cf = layer(&report, "cloudfront");
    assert_eq!(cf["forwards_upgrade"]["value"], true);
    assert_eq!(
        cf["forwards_upgrade"]["origin"]["locator"],
        "aws_cloudfront_origin_request_policy.ws"
    );
    assert_eq!(
        cf["cleartext_from_client"]["origin"]["field"],
        "ordered_cache_behavior[0].viewer_protocol_policy"
    );
    assert!(!fired(&report).iter().any(|f| f.starts_with("WS101")));
}

#[test]
fn the_domain_of_an_alb_nothing_fronts_is_any_name_pointing_at_it() {
    let (_, report) = iac_json(
        "aws-modules.plan.json",
        &["--domain", "us.example.com", "--path", "/ws/"],
    );
    // Two load balancers nobody fronts would be ambiguous; here eu is CloudFront's origin.
    let alb = layer(&report, "alb");
    assert_eq!(alb["locator"], "module.edge.aws_lb.ws[\"us\"]");
    assert_eq!(alb["upstream_http_version"]["value"], "2");
}

#[test]
fn cloudflare_provider_v4_names_record_zone_settings_override_and_the_alb_behind() {
    let (code, report) = iac_json("cloudflare-v4.plan.json", &["--domain", "ws.example.com"]);
    assert_eq!(code, 1);
    assert_eq!(report["chain"]["target"]["domain"], "ws.example.com");
    assert_eq!(
        crate::support::report_layer_ids(&report),
        ["cloudflare", "alb"]
    );
    let cf = layer(&report, "cloudflare");
    assert_eq!(cf["websocket"]["value"], "disabled");
    assert_eq!(
        cf["websocket"]["origin"],
        serde_json::json!({"kind": "explicit", "locator": "cloudflare_zone_settings_override.example", "field": "settings[0].websockets"})
    );
    // The plan echoes every zone setting; only those the configuration sets are the code's.
    assert_eq!(cf["client_protocols"]["value"], serde_json::Value::Null);
    assert!(cf["client_protocols"]["origin"]["reason"]
        .as_str()
        .unwrap()
        .contains("does not set the zone's http2 setting"));
    let f = fired(&report);
    for want in [
        "WS104 cloudflare",
        "WS101 cloudflare",
        "WS503 cloudflare",
        "WS401 cloudflare",
        "WS201 cloudflare",
    ] {
        assert!(f.contains(&want.to_string()), "{want} missing from {f:?}");
    }
    // The ALB's idle timeout (3600 s) outlasts what Cloudflare pools (900 s): no 520 race;
    // `client_keep_alive` is a connection lifetime, not the idle close the race is about.
    assert!(!f.contains(&"WS403 alb".to_string()), "{f:?}");
    let alb = layer(&report, "alb");
    assert_eq!(alb["stickiness"]["value"]["mode"], "cookie");
    assert_eq!(alb["stickiness"]["value"]["ttl_s"], 3600);
    assert_eq!(alb["targets"]["value"], 3);
    assert_eq!(alb["drain_timeout"]["value"], 300);
    assert_eq!(
        alb["drain_timeout"]["origin"]["field"],
        "deregistration_delay"
    );
}

#[test]
fn cloudflare_provider_v5_load_balancer_takes_precedence_and_zone_settings_are_one_resource_each() {
    let (_, report) = iac_json("cloudflare-v5.plan.json", &[]);
    let ids = crate::support::report_layer_ids(&report);
    assert_eq!(ids, ["alb@chat.example.com/", "cloudflare@ws.example.com/"]);
    let cf = layer(&report, "cloudflare@ws.example.com/");
    assert_eq!(cf["tls_to_origin"]["value"], true);
    assert_eq!(
        cf["tls_to_origin"]["origin"]["locator"],
        "cloudflare_zone_setting.ssl"
    );
    assert_eq!(cf["upstream_http_version"]["value"], "1.1");
    assert_eq!(
        cf["client_protocols"]["value"],
        serde_json::json!(["http1.1", "h2"])
    );
    // session_affinity_attributes is an object in v5; the disabled origin is not counted.
    assert_eq!(cf["drain_timeout"]["value"], 60);
    assert_eq!(
        cf["drain_timeout"]["origin"]["field"],
        "session_affinity_attributes.drain_duration"
    );
    assert_eq!(cf["targets"]["value"], 2);
    let f = fired(&report);
    for want in [
        "WS301 cloudflare@ws.example.com/",
        "WS302 cloudflare@ws.example.com/",
        "WS702 alb@chat.example.com/",
    ] {
        assert!(f.contains(&want.to_string()), "{want} missing from {f:?}");
    }
    // The DNS-only record links to the existing load balancer by its DNS name: no edge layer.
    let chat = layer(&report, "alb@chat.example.com/");
    assert_eq!(chat["idle_timeout"]["value"], 4000);
    assert_eq!(chat["locator"], "aws_lb.chat");
    // The pool origins are outside the plan: listed, not silently dropped.
    let nc = report["chain"]["not_consulted"].to_string();
    assert!(nc.contains("origin-a.example.com is not defined"), "{nc}");
}

#[test]
fn sarif_of_a_plan_carries_the_resource_address_and_attribute() {
    let path = super::fixture("aws-modules.plan.json");
    let run = wsaudit(&[
        "iac",
        &path,
        "--domain",
        "ws.example.com",
        "--path",
        "/ws/",
        "--format",
        "sarif",
    ]);
    assert_eq!(run.code, 0, "medium findings only: {}", run.stderr);
    let sarif: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let ws201 = results.iter().find(|r| r["ruleId"] == "WS201").unwrap();
    assert_eq!(
        ws201["locations"][0]["logicalLocations"][0]["fullyQualifiedName"],
        "module.edge.aws_lb.ws[\"eu\"] (idle_timeout)"
    );
    assert!(sarif["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["id"] == "WS901"));
}

#[test]
fn with_the_terraform_source_findings_point_at_the_line_of_code() {
    let plan = super::fixture("aws-modules.plan.json");
    let dir = super::fixture("aws-modules");
    let run = wsaudit(&[
        "iac",
        &plan,
        "--tf-dir",
        &dir,
        "--domain",
        "ws.example.com",
        "--path",
        "/live/",
        "--format",
        "sarif",
    ]);
    let sarif: serde_json::Value =
        serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}", run.stderr));
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let at = |rule: &str| {
        let r = results.iter().find(|r| r["ruleId"] == rule).unwrap();
        let loc = &r["locations"][0]["physicalLocation"];
        (
            loc["artifactLocation"]["uri"].as_str().unwrap().to_string(),
            loc["region"]["startLine"].as_u64().unwrap(),
        )
    };
    // The legacy forwarded_values headers line inside the second ordered_cache_behavior.
    assert_eq!(at("WS101"), (format!("{dir}/main.tf"), 74));
    // A default the code leaves in place: the resource block that would set it.
    assert_eq!(at("WS201"), (format!("{dir}/modules/edge/main.tf"), 29));
}

#[test]
fn cloudflare_provider_v4_load_balancer_with_pool_ids_and_block_attributes() {
    let (_, report) = iac_json("cloudflare-v4.plan.json", &[]);
    assert_eq!(
        crate::support::report_layer_ids(&report),
        [
            "cloudflare@ws.example.com/",
            "alb@ws.example.com/",
            "cloudflare@chat.example.com/"
        ]
    );
    let lb = layer(&report, "cloudflare@chat.example.com/");
    assert_eq!(
        lb["stickiness"]["value"],
        serde_json::json!({"mode": "cookie", "key": "__cflb", "ttl_s": 1800})
    );
    assert_eq!(
        lb["stickiness"]["origin"]["locator"],
        "cloudflare_load_balancer.chat"
    );
    assert_eq!(lb["drain_timeout"]["value"], 600);
    assert_eq!(
        lb["drain_timeout"]["origin"]["field"],
        "session_affinity_attributes[0].drain_duration"
    );
    // default_pool_ids → the pool planned beside it, whose origins are blocks.
    assert_eq!(lb["targets"]["value"], 2);
    assert_eq!(
        lb["targets"]["origin"]["locator"],
        "cloudflare_load_balancer_pool.chat"
    );
}

#[test]
fn clients_dialling_ws_meet_the_behaviors_https_only() {
    let (code, report) = iac_json(
        "aws-modules.plan.json",
        &[
            "--domain",
            "ws.example.com",
            "--path",
            "/ws/",
            "--scheme",
            "ws",
        ],
    );
    assert_eq!(code, 1);
    let ws504 = crate::support::finding(&report, "WS504");
    assert_eq!(ws504["layer"], "cloudfront");
    assert_eq!(ws504["locator"]["target"], "aws_cloudfront_distribution.ws");
    assert_eq!(
        ws504["locator"]["field"],
        "ordered_cache_behavior[0].viewer_protocol_policy"
    );
}

#[test]
fn a_weighted_forward_without_group_stickiness_spreads_clients_over_both_groups() {
    let (_, report) = iac_json("cloudflare-v5.plan.json", &["--domain", "chat.example.com"]);
    // DNS only: the record leads straight to the existing load balancer, by its DNS name.
    assert_eq!(crate::support::report_layer_ids(&report), ["alb"]);
    let alb = layer(&report, "alb");
    // Both groups stick clients by cookie, but the listener's forward does not pin a client
    // to one group: stickiness is none, at the listener's forward.
    assert_eq!(alb["stickiness"]["value"]["mode"], "none");
    assert_eq!(
        alb["stickiness"]["origin"],
        serde_json::json!({"kind": "explicit", "locator": "aws_lb_listener.chat",
            "field": "default_action[0].forward[0].stickiness[0].enabled"})
    );
    // 2 + 1 attachments, linked by the groups' known ARNs.
    assert_eq!(alb["targets"]["value"], 3);
    assert!(fired(&report).contains(&"WS301 alb".to_string()));
}
