//! The ALB/NLB provider against the AWS emulator: resources are created with the real
//! `aws-sdk-elasticloadbalancingv2` and read back through the provider over HTTP.

use crate::support::aws;

use aws::fixtures::{self, forward, weighted};
use aws::proxy::{Fault, Proxy, Rule as ProxyRule};
use aws::{assert_finding, fast_options, judge, moto_url, nginx_layer, sdk_config, unique};
use aws_sdk_elasticloadbalancingv2::types::ProtocolEnum;
use wsaudit::discover::{aws_task, discover, AwsSource, ChainRequest};
use wsaudit::model::{Chain, Layer, Origin, Provider, Scheme, Seconds, Target};
use wsaudit::providers::alb::{read_alb, AlbRequest, AlbSelector};
use wsaudit::providers::aws::AwsClients;

fn request(selector: AlbSelector, host: &str, path: &str, port: u16) -> AlbRequest {
    AlbRequest {
        selector,
        host: host.into(),
        path: path.into(),
        port: Some(port),
        page_size: None,
        deadline: None,
    }
}

fn chain_of(layers: Vec<Layer>) -> Chain {
    let mut c = Chain::new(Target {
        domain: "ws.example.test".into(),
        path: "/ws/".into(),
        scheme: Scheme::Wss,
    });
    c.layers = layers;
    c
}

fn is_default(o: &Origin) -> bool {
    matches!(o, Origin::Default { .. })
}

fn field_of(o: &Origin) -> Option<&str> {
    match o {
        Origin::Explicit { field, .. } => field.as_deref(),
        _ => None,
    }
}

#[tokio::test]
async fn unset_attributes_get_aws_defaults_and_the_alb_cuts_before_nginx() {
    let Some(moto) = moto_url() else { return };
    let sdk = sdk_config(&moto, &fast_options()).await;
    let lb = fixtures::load_balancer(&sdk, &unique("dflt"), false).await;
    let other = fixtures::target_group(
        &sdk,
        &lb,
        &unique("other"),
        ProtocolEnum::Http,
        Some("HTTP1"),
        1,
        &[],
    )
    .await;
    let ws = fixtures::target_group(
        &sdk,
        &lb,
        &unique("ws"),
        ProtocolEnum::Http,
        Some("HTTP1"),
        2,
        &[],
    )
    .await;
    let l = fixtures::listener(&sdk, &lb.arn, ProtocolEnum::Http, 80, forward(&other)).await;
    fixtures::rule(&sdk, &l, 10, &["ws.example.test"], &["/ws/*"], forward(&ws)).await;
    // A higher-priority rule for another host must not capture this handshake.
    fixtures::rule(
        &sdk,
        &l,
        5,
        &["other.example.test"],
        &["/ws/*"],
        forward(&other),
    )
    .await;

    let client = AwsClients::new(sdk.clone()).elbv2("us-east-1");
    let reading = read_alb(
        &client,
        &request(
            AlbSelector::Name(lb.name.clone()),
            "WS.example.test",
            "/ws/chat?room=1",
            80,
        ),
    )
    .await
    .expect("read alb");
    let layer = &reading.layer;
    assert_eq!(layer.id, "alb");
    assert_eq!(layer.provider, Provider::Alb);
    assert_eq!(layer.locator.as_deref(), Some(lb.arn.as_str()));
    // The emulator omits never-set attributes; AWS's documented defaults apply.
    assert_eq!(layer.idle_timeout.value, Some(Seconds(60.0)));
    assert!(
        is_default(&layer.idle_timeout.origin),
        "{:?}",
        layer.idle_timeout.origin
    );
    // Idle keep-alive connections close on the idle timeout; client_keep_alive.seconds is the
    // connections' lifetime.
    assert_eq!(layer.client_keepalive.value, Some(Seconds(60.0)));
    assert_eq!(
        layer.client_connection_lifetime.value,
        Some(Seconds(3600.0))
    );
    // The emulator does report target-group defaults (300 s draining): read as explicit.
    assert_eq!(layer.drain_timeout.value, Some(Seconds(300.0)));
    assert!(!layer.access_log.value.as_ref().unwrap().enabled);
    // The rule for this host and path, not the earlier one for another host.
    assert_eq!(reading.snapshot.target_groups.as_ref().unwrap().len(), 1);
    assert_eq!(reading.snapshot.target_groups.as_ref().unwrap()[0].arn, ws);
    assert_eq!(layer.targets.value, Some(2));
    assert_eq!(layer.stickiness.value.as_ref().unwrap().mode, "none");
    assert_eq!(layer.upstream_http_version.value.as_deref(), Some("1.1"));
    assert_eq!(
        layer.client_protocols.value.as_deref(),
        Some(&["http1.1".to_string()][..])
    );
    // Like AWS, the emulator reports the algorithm of a fresh target group.
    assert_eq!(layer.balancing.value.as_deref(), Some("round_robin"));
    assert_eq!(
        field_of(&layer.balancing.origin),
        Some("load_balancing.algorithm.type")
    );
    // The handshake arrived on the HTTP listener, whose rule forwards it.
    assert_eq!(layer.cleartext_from_client.value.as_deref(), Some("allow"));

    // ALB 60 s (default) in front of nginx 3600 s: the ALB cuts first. nginx's layer is built
    // by hand here until the nginx provider lands; its keep-alive (30 s) is shorter than the
    // ALB's idle timeout: the 502 race.
    let chain = chain_of(vec![layer.clone(), nginx_layer(3600.0, 30.0)]);
    let (findings, pack) = judge(&chain);
    assert_finding(&findings, &pack, "WS401", Some("alb"));
    assert_finding(&findings, &pack, "WS301", Some("alb"));
    assert_finding(&findings, &pack, "WS403", None);
}

#[tokio::test]
async fn explicit_attributes_and_an_http2_target_group() {
    let Some(moto) = moto_url() else { return };
    let sdk = sdk_config(&moto, &fast_options()).await;
    let lb = fixtures::load_balancer(&sdk, &unique("expl"), false).await;
    fixtures::lb_attributes(
        &sdk,
        &lb.arn,
        &[
            ("idle_timeout.timeout_seconds", "3600"),
            ("routing.http2.enabled", "false"),
            ("access_logs.s3.enabled", "true"),
            ("access_logs.s3.bucket", "alb-logs"),
        ],
    )
    .await;
    let tg = fixtures::target_group(
        &sdk,
        &lb,
        &unique("h2"),
        ProtocolEnum::Https,
        Some("HTTP2"),
        3,
        &[
            ("stickiness.enabled", "true"),
            ("stickiness.type", "lb_cookie"),
            ("stickiness.lb_cookie.duration_seconds", "120"),
            ("deregistration_delay.timeout_seconds", "30"),
            (
                "load_balancing.algorithm.type",
                "least_outstanding_requests",
            ),
        ],
    )
    .await;
    fixtures::listener(&sdk, &lb.arn, ProtocolEnum::Http, 80, forward(&tg)).await;

    let client = AwsClients::new(sdk.clone()).elbv2("us-east-1");
    let reading = read_alb(
        &client,
        &request(
            AlbSelector::Arn(lb.arn.clone()),
            "ws.example.test",
            "/",
            443,
        ),
    )
    .await
    .expect("read alb");
    let layer = &reading.layer;
    assert_eq!(layer.idle_timeout.value, Some(Seconds(3600.0)));
    assert_eq!(
        field_of(&layer.idle_timeout.origin),
        Some("idle_timeout.timeout_seconds")
    );
    assert_eq!(layer.upstream_http_version.value.as_deref(), Some("2"));
    assert_eq!(
        field_of(&layer.upstream_http_version.origin),
        Some("ProtocolVersion")
    );
    assert_eq!(layer.tls_to_origin.value, Some(true));
    let sticky = layer.stickiness.value.as_ref().unwrap();
    assert_eq!(
        (sticky.mode.as_str(), sticky.key.as_deref()),
        ("cookie", Some("AWSALB"))
    );
    assert_eq!(sticky.ttl_s, Some(Seconds(120.0)));
    assert_eq!(layer.drain_timeout.value, Some(Seconds(30.0)));
    assert_eq!(layer.targets.value, Some(3));
    let log = layer.access_log.value.as_ref().unwrap();
    assert!(log.enabled);
    assert_eq!(log.destination.as_deref(), Some("s3://alb-logs"));
    assert_eq!(
        reading.snapshot.algorithm(),
        Some("least_outstanding_requests")
    );
    assert_eq!(
        layer.balancing.value.as_deref(),
        Some("least_outstanding_requests")
    );
    match &layer.balancing.origin {
        Origin::Explicit { locator, field, .. } => {
            assert_eq!(
                (locator, field.as_deref()),
                (&tg, Some("load_balancing.algorithm.type"))
            )
        }
        o => panic!("{o:?}"),
    }
    // Only listener on 80 although 443 was asked: the only listener is used.
    assert_eq!(
        reading.snapshot.listener.clone().unwrap().unwrap().port,
        Some(80)
    );

    let chain = chain_of(vec![layer.clone(), nginx_layer(3600.0, 4000.0)]);
    let (findings, pack) = judge(&chain);
    assert_finding(&findings, &pack, "WS501", Some("alb"));
    assert!(
        !findings.iter().any(|f| f.rule == "WS401"),
        "3600 s in front of 3600 s is aligned: {findings:?}"
    );
}

#[tokio::test]
async fn weighted_forward_priorities_and_dns_lookup() {
    let Some(moto) = moto_url() else { return };
    let sdk = sdk_config(&moto, &fast_options()).await;
    let lb = fixtures::load_balancer(&sdk, &unique("wght"), false).await;
    let a = fixtures::target_group(
        &sdk,
        &lb,
        &unique("a"),
        ProtocolEnum::Http,
        None,
        2,
        &[("stickiness.enabled", "true")],
    )
    .await;
    let b = fixtures::target_group(
        &sdk,
        &lb,
        &unique("b"),
        ProtocolEnum::Http,
        None,
        3,
        &[("stickiness.enabled", "true")],
    )
    .await;
    let c = fixtures::target_group(&sdk, &lb, &unique("c"), ProtocolEnum::Http, None, 1, &[]).await;
    let l = fixtures::listener(&sdk, &lb.arn, ProtocolEnum::Http, 80, forward(&c)).await;
    let weighted_rule = fixtures::rule(
        &sdk,
        &l,
        20,
        &[],
        &["/ws/*"],
        weighted(&[(&a, 80), (&b, 20)], false),
    )
    .await;
    fixtures::rule(&sdk, &l, 30, &[], &["/*"], forward(&a)).await;

    let client = AwsClients::new(sdk.clone()).elbv2("us-east-1");
    // The DNS name as a CNAME or CloudFront origin would write it.
    let dns = format!("DUALSTACK.{}.", lb.dns.to_uppercase());
    let reading = read_alb(
        &client,
        &request(AlbSelector::DnsName(dns), "ws.example.test", "/ws/x", 80),
    )
    .await
    .expect("read alb by DNS name");
    assert_eq!(reading.snapshot.lb.arn, lb.arn);
    assert_eq!(
        reading.snapshot.rule.clone().unwrap().unwrap().arn,
        weighted_rule
    );
    assert_eq!(reading.layer.targets.value, Some(5));
    // Both groups are sticky, but without group-level stickiness a reconnect can switch groups.
    assert_eq!(
        reading.layer.stickiness.value.as_ref().unwrap().mode,
        "none"
    );
    assert_eq!(
        field_of(&reading.layer.stickiness.origin),
        Some("ForwardConfig.TargetGroupStickinessConfig.Enabled")
    );

    let other = read_alb(
        &client,
        &request(
            AlbSelector::Name(lb.name.clone()),
            "ws.example.test",
            "/api",
            80,
        ),
    )
    .await
    .expect("read alb");
    assert_eq!(other.snapshot.target_groups.as_ref().unwrap()[0].arn, a);
    assert_eq!(
        other.layer.stickiness.value.as_ref().unwrap().mode,
        "cookie"
    );

    let missing = read_alb(
        &client,
        &request(AlbSelector::Name(unique("nope")), "h", "/", 80),
    )
    .await;
    assert_eq!(missing.unwrap_err().code().as_str(), "not-found");
}

#[tokio::test]
async fn nlb_tcp_listener_idle_timeout_comes_from_listener_attributes() {
    let Some(moto) = moto_url() else { return };
    let sdk = sdk_config(&moto, &fast_options()).await;
    let lb = fixtures::load_balancer(&sdk, &unique("nlb"), true).await;
    let tg =
        fixtures::target_group(&sdk, &lb, &unique("tcp"), ProtocolEnum::Tcp, None, 2, &[]).await;
    let l = fixtures::listener(&sdk, &lb.arn, ProtocolEnum::Tcp, 443, forward(&tg)).await;
    fixtures::elbv2(&sdk)
        .modify_listener_attributes()
        .listener_arn(&l)
        .attributes(
            aws_sdk_elasticloadbalancingv2::types::ListenerAttribute::builder()
                .key("tcp.idle_timeout.seconds")
                .value("900")
                .build(),
        )
        .send()
        .await
        .expect("modify listener attributes");

    let client = AwsClients::new(sdk.clone()).elbv2("us-east-1");
    let reading = read_alb(
        &client,
        &request(
            AlbSelector::Name(lb.name.clone()),
            "ws.example.test",
            "/",
            443,
        ),
    )
    .await
    .expect("read nlb");
    let layer = &reading.layer;
    assert_eq!((layer.id.as_str(), layer.provider), ("nlb", Provider::Nlb));
    assert_eq!(layer.idle_timeout.value, Some(Seconds(900.0)));
    match &layer.idle_timeout.origin {
        Origin::Explicit { locator, field, .. } => {
            assert_eq!(locator, &l);
            assert_eq!(field.as_deref(), Some("tcp.idle_timeout.seconds"));
        }
        other => panic!("expected the listener attribute, got {other:?}"),
    }
    assert_eq!(layer.targets.value, Some(2));
    // NLB hashes flows; the emulator's load_balancing.algorithm.type on the TCP group is not it.
    assert_eq!(layer.balancing.value.as_deref(), Some("flow_hash"));
    assert!(is_default(&layer.balancing.origin));
    // A TCP listener on 443 and none on 80: a ws:// client is refused.
    assert_eq!(layer.cleartext_from_client.value.as_deref(), Some("reject"));
}

/// The ALB layer `wsaudit chain --alb NAME` reads for a `ws://` or `wss://` handshake: the
/// scheme decides the listener port, as it does for a client dialing the URL.
async fn chain_alb(sdk: &aws_config::SdkConfig, lb: &str, path: &str, scheme: Scheme) -> Chain {
    let mut req = ChainRequest::new("ws.example.test", path);
    req.scheme = scheme;
    req.alb = Some(lb.to_string());
    req.regions = vec!["us-east-1".into()];
    let found = discover(
        &req,
        vec![aws_task(
            &req,
            AwsSource::Config(Box::new(sdk.clone())),
            fast_options(),
        )],
    )
    .await;
    assert!(found.chain.gaps.is_empty(), "{:?}", found.chain.gaps);
    found.chain
}

fn alb_of(chain: &Chain) -> &Layer {
    chain
        .layers
        .iter()
        .find(|l| l.id == "alb")
        .expect("the pinned ALB is read")
}

fn explicit_of(o: &Origin) -> (&str, &str) {
    match o {
        Origin::Explicit { locator, field, .. } => (locator, field.as_deref().unwrap_or("")),
        other => panic!("expected an explicit origin, got {other:?}"),
    }
}

#[tokio::test]
async fn wss_uses_the_https_listener_ws_the_http_one_and_a_redirect_is_reported() {
    let Some(moto) = moto_url() else { return };
    let sdk = sdk_config(&moto, &fast_options()).await;
    let lb = fixtures::load_balancer(&sdk, &unique("tls"), false).await;
    let tg = |name: &str, targets| {
        let (sdk, lb) = (&sdk, &lb);
        let name = unique(name);
        async move {
            fixtures::target_group(sdk, lb, &name, ProtocolEnum::Http, None, targets, &[]).await
        }
    };
    let (fallback, secure, plain) = (tg("fb", 1).await, tg("sec", 2).await, tg("pl", 3).await);
    let https =
        fixtures::listener(&sdk, &lb.arn, ProtocolEnum::Https, 443, forward(&fallback)).await;
    fixtures::rule(&sdk, &https, 10, &[], &["/ws/*"], forward(&secure)).await;
    let http = fixtures::listener(
        &sdk,
        &lb.arn,
        ProtocolEnum::Http,
        80,
        fixtures::redirect_to_https(),
    )
    .await;

    // wss: the HTTPS listener's rule for /ws/ (two targets), HTTP/2 offered to clients; a
    // ws:// handshake would get port 80's 301, which WebSocket clients do not follow.
    let wss_chain = chain_alb(&sdk, &lb.name, "/ws/chat", Scheme::Wss).await;
    let wss = alb_of(&wss_chain);
    assert_eq!(wss.targets.value, Some(2));
    assert_eq!(explicit_of(&wss.targets.origin).0, secure);
    assert_eq!(
        wss.client_protocols.value.as_deref(),
        Some(&["http1.1".to_string(), "h2".into()][..])
    );
    assert_eq!(wss.cleartext_from_client.value.as_deref(), Some("redirect"));
    let (locator, field) = explicit_of(&wss.cleartext_from_client.origin);
    assert_eq!(
        locator, http,
        "the HTTP listener whose default action redirects"
    );
    assert_eq!(
        field,
        "DefaultActions on HTTP:80: redirect to HTTPS:443 (HTTP_301)"
    );

    // ws: port 80, whose only rule is the redirect: no target group is reached.
    let ws_chain = chain_alb(&sdk, &lb.name, "/ws/chat", Scheme::Ws).await;
    let ws = alb_of(&ws_chain);
    assert_eq!(ws.targets.value, Some(0));
    assert_eq!(
        ws.client_protocols.value.as_deref(),
        Some(&["http1.1".to_string()][..])
    );
    assert_eq!(explicit_of(&ws.client_protocols.origin).0, http);
    assert_eq!(ws.cleartext_from_client.value.as_deref(), Some("redirect"));
    // Clients dialing ws:// get the 301 and never connect.
    let (findings, pack) = judge(&ws_chain);
    assert_finding(&findings, &pack, "WS504", Some("alb"));
    let (findings, _) = judge(&wss_chain);
    assert!(
        !findings.iter().any(|f| f.rule == "WS504"),
        "wss clients are not redirected: {findings:?}"
    );

    // A rule on port 80 that forwards /ws/ in cleartext: ws now reaches its own target group,
    // and cleartext is allowed for that path, on that rule.
    let cleartext_rule = fixtures::rule(&sdk, &http, 10, &[], &["/ws/*"], forward(&plain)).await;
    let ws_chain = chain_alb(&sdk, &lb.name, "/ws/chat", Scheme::Ws).await;
    let ws = alb_of(&ws_chain);
    assert_eq!(ws.targets.value, Some(3));
    assert_eq!(explicit_of(&ws.targets.origin).0, plain);
    assert_eq!(ws.cleartext_from_client.value.as_deref(), Some("allow"));
    assert_eq!(
        explicit_of(&ws.cleartext_from_client.origin),
        (cleartext_rule.as_str(), "Actions on HTTP:80")
    );
    let (findings, _) = judge(&ws_chain);
    assert!(!findings.iter().any(|f| f.rule == "WS504"), "{findings:?}");
    let wss_chain = chain_alb(&sdk, &lb.name, "/ws/chat", Scheme::Wss).await;
    let wss = alb_of(&wss_chain);
    assert_eq!(explicit_of(&wss.targets.origin).0, secure);
    assert_eq!(wss.cleartext_from_client.value.as_deref(), Some("allow"));
    // Other paths on port 80 still redirect.
    let api_chain = chain_alb(&sdk, &lb.name, "/api", Scheme::Wss).await;
    let api = alb_of(&api_chain);
    assert_eq!(api.cleartext_from_client.value.as_deref(), Some("redirect"));
}

#[tokio::test]
async fn without_a_plain_listener_cleartext_is_refused() {
    let Some(moto) = moto_url() else { return };
    let sdk = sdk_config(&moto, &fast_options()).await;
    let lb = fixtures::load_balancer(&sdk, &unique("tlsonly"), false).await;
    let tg =
        fixtures::target_group(&sdk, &lb, &unique("t"), ProtocolEnum::Http, None, 2, &[]).await;
    fixtures::listener(&sdk, &lb.arn, ProtocolEnum::Https, 443, forward(&tg)).await;

    for scheme in [Scheme::Wss, Scheme::Ws] {
        let alb_chain = chain_alb(&sdk, &lb.name, "/ws/", scheme).await;
        let alb = alb_of(&alb_chain);
        let (findings, _) = judge(&alb_chain);
        assert_eq!(
            findings
                .iter()
                .any(|f| f.rule == "WS504" && f.layer == "alb"),
            scheme == Scheme::Ws,
            "{scheme:?}: {findings:?}"
        );
        assert_eq!(
            alb.cleartext_from_client.value.as_deref(),
            Some("reject"),
            "{scheme:?}"
        );
        let (locator, field) = explicit_of(&alb.cleartext_from_client.origin);
        assert_eq!(locator, lb.arn);
        assert_eq!(
            field,
            "Listeners (none on port 80: the TCP connection is refused)"
        );
    }
}

/// A `DescribeRules` answer in the documented XML shape: (priority, condition XML, target group)
/// per rule, then the default rule forwarding to `default_tg`.
fn describe_rules_xml(listener: &str, rules: &[(u32, &str, &str)], default_tg: &str) -> String {
    let rule = |arn: String, priority: &str, default: bool, conditions: &str, tg: &str| {
        format!(
            "<member><RuleArn>{arn}</RuleArn><Priority>{priority}</Priority>\
             <IsDefault>{default}</IsDefault><Conditions>{conditions}</Conditions>\
             <Actions><member><Type>forward</Type><TargetGroupArn>{tg}</TargetGroupArn>\
             </member></Actions></member>"
        )
    };
    let rule_arn = |n: &str| format!("{}/{n}", listener.replace(":listener/", ":listener-rule/"));
    let mut members: String = rules
        .iter()
        .map(|(p, c, tg)| rule(rule_arn(&p.to_string()), &p.to_string(), false, c, tg))
        .collect();
    members.push_str(&rule(rule_arn("default"), "default", true, "", default_tg));
    format!(
        "<DescribeRulesResponse xmlns=\"http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/\">\
         <DescribeRulesResult><Rules>{members}</Rules></DescribeRulesResult>\
         <ResponseMetadata><RequestId>wsaudit-test</RequestId></ResponseMetadata>\
         </DescribeRulesResponse>"
    )
}

/// Regex conditions (`RegexValues`, 2025) decide which rule a handshake meets. The emulator
/// cannot store one (it fails with a 500 on a condition without `Values`, and AWS rejects a
/// condition with both), so `DescribeRules` is answered in the documented shape by the
/// loopback proxy; everything else is the emulator's.
#[tokio::test]
async fn regex_rule_conditions_pick_the_rule() {
    let Some(moto) = moto_url() else { return };
    let sdk = sdk_config(&moto, &fast_options()).await;
    let lb = fixtures::load_balancer(&sdk, &unique("rgx"), false).await;
    let tg = |name: &str, targets| {
        let (sdk, lb) = (&sdk, &lb);
        let name = unique(name);
        async move {
            fixtures::target_group(sdk, lb, &name, ProtocolEnum::Http, None, targets, &[]).await
        }
    };
    let (rooms, tenants, other) = (tg("rooms", 2).await, tg("ten", 3).await, tg("oth", 1).await);
    let listener = fixtures::listener(&sdk, &lb.arn, ProtocolEnum::Http, 80, forward(&other)).await;
    let rules = describe_rules_xml(
        &listener,
        &[
            (
                5,
                "<member><Field>host-header</Field><HostHeaderConfig><RegexValues>\
                 <member>^[a-z]+\\.tenants\\.example\\.test$</member></RegexValues>\
                 </HostHeaderConfig></member>",
                &tenants,
            ),
            (
                10,
                "<member><Field>path-pattern</Field><PathPatternConfig><RegexValues>\
                 <member>^/ws/[0-9]+$</member></RegexValues></PathPatternConfig></member>",
                &rooms,
            ),
        ],
        &other,
    );
    let proxy = Proxy::start(
        &moto,
        vec![ProxyRule::always(
            "DescribeRules",
            Fault::Respond {
                status: 200,
                body: rules,
            },
        )],
    )
    .await;
    let client = AwsClients::new(sdk_config(&proxy.url, &fast_options()).await).elbv2("us-east-1");
    let read = |host: &'static str, path: &'static str| {
        let client = client.clone();
        let name = lb.name.clone();
        async move {
            read_alb(&client, &request(AlbSelector::Name(name), host, path, 80))
                .await
                .expect("read alb")
        }
    };

    let room = read("ws.example.test", "/ws/42?token=x").await;
    assert_eq!(room.snapshot.target_groups.as_ref().unwrap()[0].arn, rooms);
    assert_eq!(room.layer.targets.value, Some(2));
    // `$` anchors: a deeper path is not a room.
    let deeper = read("ws.example.test", "/ws/42/extra").await;
    assert_eq!(
        deeper.snapshot.target_groups.as_ref().unwrap()[0].arn,
        other
    );
    // The host regex, matched against the lower-cased Host header, wins by priority.
    let tenant = read("ACME.tenants.example.test", "/ws/42").await;
    assert_eq!(
        tenant.snapshot.target_groups.as_ref().unwrap()[0].arn,
        tenants
    );
    assert_eq!(tenant.layer.targets.value, Some(3));
    assert!(proxy.count("DescribeRules") >= 3);
}
