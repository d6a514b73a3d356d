//! AWS read as it really answers (issue 14, items 1-5), through the `wsaudit chain` binary.
//! moto answers what it can express; where it cannot (regex conditions answer 500, rule
//! `Transforms`, VPC origins, tenants and `ResponseCompletionTimeout` are dropped or 404),
//! the loopback proxy answers that one call in the service model's wire shape
//! (botocore `elbv2/2015-12-01`, `cloudfront/2020-05-31`) and forwards everything else to
//! moto. Each such test names the API behaviour its canned answer stands for.

use super::cli::{as_refs, assert_no_secret, aws_env, wsaudit};
use crate::support;
use crate::support::aws;

use aws::fixtures::{self, forward, Behavior, Origin as Orig};
use aws::proxy::{Fault, Proxy, Rule};
use aws::{fast_options, moto_url, sdk_config, unique};
use aws_sdk_cloudfront::types::{HttpVersion, OriginProtocolPolicy};
use aws_sdk_elasticloadbalancingv2::types as elb;
use serde_json::Value;
use std::process::Output;

fn report(out: &Output) -> Value {
    assert_no_secret(out);
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "JSON report ({e}); stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn layer<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["chain"]["layers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["id"] == id)
        .unwrap_or_else(|| panic!("no layer {id}: {}", report["chain"]))
}

fn findings<'a>(report: &'a Value, rule: &str) -> Vec<&'a Value> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == rule)
        .collect()
}

/// Runs the binary off the async runtime, so a loopback server on it keeps answering.
async fn chain(args: Vec<String>, endpoint: &str) -> Output {
    let env = aws_env(endpoint);
    tokio::task::spawn_blocking(move || {
        let mut all = vec!["chain".to_string()];
        all.extend(args);
        all.extend(["--format", "json", "--fail-on", "never"].map(String::from));
        let refs: Vec<&str> = all.iter().map(String::as_str).collect();
        wsaudit(&refs, &as_refs(&env))
    })
    .await
    .unwrap()
}

fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

/// A CloudFront distribution for `domain` whose only origin is `lb_dns`, pooling idle
/// connections to it for `keepalive` seconds (`OriginKeepaliveTimeout`): its id and domain name.
async fn behind_cloudfront(
    sdk: &aws_config::SdkConfig,
    domain: &str,
    lb_dns: &str,
    keepalive: i32,
) -> (String, String) {
    fixtures::distribution(
        sdk,
        &[domain],
        &[Orig {
            id: "alb",
            domain: lb_dns,
            custom: Some((OriginProtocolPolicy::HttpOnly, 30, keepalive)),
        }],
        &[Behavior {
            pattern: None,
            origin: "alb",
            origin_request_policy: None,
            headers: &["*"],
            viewer: None,
        }],
        HttpVersion::Http2,
    )
    .await
}

/// Item 1: the ALB's idle timeout is what closes an idle pooled connection from the layer in
/// front (the 502/520 race), and `client_keep_alive.seconds` is a lifetime, not part of it.
#[tokio::test]
async fn alb_idle_timeout_races_the_outer_pool_and_client_keep_alive_is_a_lifetime() {
    let Some(moto) = moto_url() else { return };
    let sdk = sdk_config(&moto, &fast_options()).await;

    // CloudFront pools for 120 s; the ALB closes idle connections after its default 60 s.
    let short = fixtures::simple_alb(&sdk, "race", 1, 80).await;
    let domain = format!("ws.{}.test", unique("race"));
    behind_cloudfront(&sdk, &domain, &short.dns, 120).await;
    let out = chain(args(&["--domain", &domain, "--scheme", "ws"]), &moto).await;
    let r = report(&out);
    assert_eq!(support::report_layer_ids(&r), ["cloudfront", "alb"]);
    let race = findings(&r, "WS403");
    assert_eq!(race.len(), 1, "{:?}", r["findings"]);
    assert_eq!(race[0]["layer"], "alb");
    let msg = race[0]["message"].as_str().unwrap();
    assert!(
        msg.contains("after 60 s (default)") && msg.contains("for 120 s"),
        "{msg}"
    );
    assert_eq!(layer(&r, "alb")["client_keepalive"]["value"], 60);

    // Idle 300 s with a 60 s connection lifetime behind the same 120 s pool: no race, and the
    // lifetime is reported as a lifetime.
    let long = fixtures::simple_alb(&sdk, "life", 1, 80).await;
    fixtures::lb_attributes(
        &sdk,
        &long.arn,
        &[
            ("idle_timeout.timeout_seconds", "300"),
            ("client_keep_alive.seconds", "60"),
        ],
    )
    .await;
    let domain = format!("ws.{}.test", unique("life"));
    behind_cloudfront(&sdk, &domain, &long.dns, 120).await;
    let out = chain(args(&["--domain", &domain, "--scheme", "ws"]), &moto).await;
    let r = report(&out);
    assert!(findings(&r, "WS403").is_empty(), "{:?}", r["findings"]);
    let alb = layer(&r, "alb");
    assert_eq!(alb["client_keepalive"]["value"], 300);
    assert_eq!(alb["client_connection_lifetime"]["value"], 60);
    assert_eq!(
        alb["client_connection_lifetime"]["origin"]["field"],
        "client_keep_alive.seconds"
    );
    // A lifetime of HTTP connections is not a cap on WebSockets.
    assert!(findings(&r, "WS404").is_empty(), "{:?}", r["findings"]);
}

const ELB_NS: &str = "http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/";

/// A `DescribeRules` answer (awsQuery XML, lists as `member`) with the given `Rules` members.
fn describe_rules_xml(rules: &[String]) -> String {
    format!(
        "<DescribeRulesResponse xmlns=\"{ELB_NS}\"><DescribeRulesResult><Rules>{}</Rules></DescribeRulesResult><ResponseMetadata><RequestId>wsaudit-test</RequestId></ResponseMetadata></DescribeRulesResponse>",
        rules.concat()
    )
}

fn forward_xml(order: i32, tg: &str) -> String {
    format!("<member><Type>forward</Type><Order>{order}</Order><TargetGroupArn>{tg}</TargetGroupArn></member>")
}

const NGINX_REWRITE: &str = r#"
events {}
http {
    map $http_upgrade $connection_upgrade { default upgrade; '' close; }
    server {
        listen 80;
        server_name HOST;
        # What the client asks for is not what the app serves: only the ALB's rewrite
        # reaches the proxying location.
        location /ws/ { return 404; }
        location /socket/ {
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_read_timeout 3600s;
            proxy_pass http://127.0.0.1:9;
        }
    }
}
"#;

/// Item 2: listener rules as ALB evaluates them. The canned `DescribeRules` stands for what
/// ELBv2 returns for rules created with `RuleCondition.RegexValues` (top level) and
/// `PathPatternConfig.RegexValues`, `Transforms` (url-rewrite) and an `authenticate-oidc`
/// action before the forward: moto answers 500 for regex conditions and drops transforms.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn regex_conditions_transforms_and_authentication_are_read_like_alb() {
    let Some(moto) = moto_url() else { return };
    let sdk = sdk_config(&moto, &fast_options()).await;
    let lb = fixtures::load_balancer(&sdk, &unique("rx"), false).await;
    let tg = fixtures::target_group(
        &sdk,
        &lb,
        &unique("t"),
        elb::ProtocolEnum::Http,
        None,
        1,
        &[],
    )
    .await;
    let listener =
        fixtures::listener(&sdk, &lb.arn, elb::ProtocolEnum::Http, 80, forward(&tg)).await;
    let rule_arn = |n: u32| {
        format!(
            "{}/rule{n}",
            listener.replace(":listener/", ":listener-rule/")
        )
    };
    let rewrite = format!(
        "<member><RuleArn>{}</RuleArn><Priority>1</Priority><IsDefault>false</IsDefault>\
         <Conditions><member><Field>path-pattern</Field><RegexValues><member>^/ws/[a-z]+$</member></RegexValues></member></Conditions>\
         <Actions>{}</Actions>\
         <Transforms><member><Type>url-rewrite</Type><UrlRewriteConfig><Rewrites><member><Regex>^/ws/(.*)$</Regex><Replace>/socket/$1</Replace></member></Rewrites></UrlRewriteConfig></member></Transforms></member>",
        rule_arn(1),
        forward_xml(1, &tg)
    );
    let oidc = format!(
        "<member><RuleArn>{}</RuleArn><Priority>2</Priority><IsDefault>false</IsDefault>\
         <Conditions><member><Field>path-pattern</Field><PathPatternConfig><RegexValues><member>^/live/</member></RegexValues></PathPatternConfig></member></Conditions>\
         <Actions><member><Type>authenticate-oidc</Type><Order>1</Order><AuthenticateOidcConfig><Issuer>https://idp.example.com</Issuer><AuthorizationEndpoint>https://idp.example.com/auth</AuthorizationEndpoint><TokenEndpoint>https://idp.example.com/token</TokenEndpoint><UserInfoEndpoint>https://idp.example.com/userinfo</UserInfoEndpoint><ClientId>wsaudit</ClientId><OnUnauthenticatedRequest>authenticate</OnUnauthenticatedRequest></AuthenticateOidcConfig></member>{}</Actions></member>",
        rule_arn(2),
        forward_xml(2, &tg)
    );
    let default = format!(
        "<member><RuleArn>{}</RuleArn><Priority>default</Priority><IsDefault>true</IsDefault><Conditions/><Actions>{}</Actions></member>",
        rule_arn(3),
        forward_xml(1, &tg)
    );
    let proxy = Proxy::start(
        &moto,
        vec![Rule::always(
            "DescribeRules",
            Fault::Respond {
                status: 200,
                body: describe_rules_xml(&[rewrite, oidc, default]),
            },
        )],
    )
    .await;
    let domain = format!("ws.{}.test", unique("rx"));
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("nginx.conf");
    std::fs::write(&conf, NGINX_REWRITE.replace("HOST", &domain)).unwrap();
    let conf = conf.display().to_string();
    let pinned = |path: &str| {
        args(&[
            "--domain",
            &domain,
            "--path",
            path,
            "--scheme",
            "ws",
            "--alb",
            &lb.name,
            "--nginx-conf",
            &conf,
            "--nginx-version",
            "1.24.0",
        ])
    };

    // The top-level regex matches /ws/chat; its url-rewrite sends /socket/chat on, so nginx is
    // judged for location /socket/ (which proxies), not /ws/ (which answers 404).
    let r = report(&chain(pinned("/ws/chat"), &proxy.url).await);
    let alb = layer(&r, "alb");
    assert_eq!(alb["rewrites_request"]["path"], "/socket/chat", "{alb}");
    assert_eq!(alb["rewrites_request"]["locator"], rule_arn(1));
    assert_eq!(alb["handshake_auth"]["value"], "none");
    let nginx = &r["chain"]["layers"][1];
    assert!(
        nginx["name"]
            .as_str()
            .unwrap()
            .contains("location /socket/"),
        "{nginx}"
    );
    assert!(findings(&r, "WS104").is_empty(), "{:?}", r["findings"]);

    // The typed-config regex matches /live/feed, whose rule authenticates first: a handshake
    // without a session is answered by the ALB.
    let r = report(&chain(pinned("/live/feed"), &proxy.url).await);
    assert_eq!(
        layer(&r, "alb")["handshake_auth"]["value"],
        "authenticate-oidc"
    );
    let auth = findings(&r, "WS106");
    assert_eq!(auth.len(), 1, "{:?}", r["findings"]);
    assert_eq!(auth[0]["layer"], "alb");
    assert!(
        auth[0]["message"].as_str().unwrap().contains("302"),
        "{}",
        auth[0]["message"]
    );
    assert!(proxy.count("DescribeRules") >= 2);
}

/// Item 3: targets that cannot carry a WebSocket, a Gateway Load Balancer, NLB TCP_UDP
/// listeners and NLB connection termination, all as moto stores them.
#[tokio::test]
async fn lambda_targets_gateway_balancers_and_nlb_termination() {
    let Some(moto) = moto_url() else { return };
    let sdk = sdk_config(&moto, &fast_options()).await;
    let c = fixtures::elbv2(&sdk);

    // An ALB forwarding to a Lambda target group: the upgrade is answered 400.
    let lb = fixtures::load_balancer(&sdk, &unique("lam"), false).await;
    let lambda = c
        .create_target_group()
        .name(unique("fn"))
        .target_type(elb::TargetTypeEnum::Lambda)
        .send()
        .await
        .unwrap()
        .target_groups()[0]
        .target_group_arn()
        .unwrap()
        .to_string();
    fixtures::listener(&sdk, &lb.arn, elb::ProtocolEnum::Http, 80, forward(&lambda)).await;
    let r = report(
        &chain(
            args(&[
                "--domain",
                "ws.example.test",
                "--scheme",
                "ws",
                "--alb",
                &lb.name,
            ]),
            &moto,
        )
        .await,
    );
    assert_eq!(layer(&r, "alb")["websocket"]["value"], "disabled");
    assert_eq!(layer(&r, "alb")["websocket"]["origin"]["locator"], lambda);
    assert_eq!(findings(&r, "WS104").len(), 1, "{:?}", r["findings"]);

    // A Gateway Load Balancer is no hop of the path: a gap, never an ALB layer.
    let gw = unique("gw");
    let (_, subnets) = aws::ec2::vpc(&sdk).await;
    c.create_load_balancer()
        .name(&gw)
        .set_subnets(Some(subnets))
        .r#type(elb::LoadBalancerTypeEnum::Gateway)
        .send()
        .await
        .unwrap();
    let out = chain(args(&["--domain", "ws.example.test", "--alb", &gw]), &moto).await;
    assert_eq!(out.status.code(), Some(3));
    let r = report(&out);
    assert!(support::report_layer_ids(&r).is_empty(), "{}", r["chain"]);
    assert_eq!(r["chain"]["gaps"][0]["code"], "unsupported-layer");
    assert!(r["chain"]["gaps"][0]["reason"]
        .as_str()
        .unwrap()
        .contains("Gateway Load Balancer"));

    // NLB: a TCP_UDP listener carries TCP flows (350 s, not UDP's 120 s); its group keeps
    // connections past a 30 s deregistration delay (termination off), but resets those of
    // an unhealthy target at once (the default).
    let nlb = fixtures::load_balancer(&sdk, &unique("nlb"), true).await;
    let keep = c
        .create_target_group()
        .name(unique("keep"))
        .protocol(elb::ProtocolEnum::Tcp)
        .port(8080)
        .vpc_id(&nlb.vpc)
        .target_type(elb::TargetTypeEnum::Ip)
        .send()
        .await
        .unwrap()
        .target_groups()[0]
        .target_group_arn()
        .unwrap()
        .to_string();
    c.modify_target_group_attributes()
        .target_group_arn(&keep)
        .attributes(
            elb::TargetGroupAttribute::builder()
                .key("deregistration_delay.timeout_seconds")
                .value("30")
                .build(),
        )
        .send()
        .await
        .unwrap();
    fixtures::listener(
        &sdk,
        &nlb.arn,
        elb::ProtocolEnum::TcpUdp,
        443,
        forward(&keep),
    )
    .await;
    let r = report(
        &chain(
            args(&["--domain", "ws.example.test", "--alb", &nlb.name]),
            &moto,
        )
        .await,
    );
    let l = layer(&r, "nlb");
    assert_eq!(l["idle_timeout"]["value"], 350, "{l}");
    assert!(l["drain_timeout"]["value"].is_null(), "{l}");
    assert!(l["drain_timeout"]["origin"]["reason"]
        .as_str()
        .unwrap()
        .contains("deregistration_delay.connection_termination.enabled"));
    assert_eq!(l["unhealthy_drain_timeout"]["value"], 0);
    let drain = findings(&r, "WS302");
    assert_eq!(drain.len(), 1, "{:?}", r["findings"]);
    assert_eq!(
        drain[0]["message"]
            .as_str()
            .map(|m| m.contains("health checks")),
        Some(true)
    );

    // With termination on, the 30 s delay cuts deploys; termination off for unhealthy ones.
    c.modify_target_group_attributes()
        .target_group_arn(&keep)
        .set_attributes(Some(vec![
            elb::TargetGroupAttribute::builder()
                .key("deregistration_delay.connection_termination.enabled")
                .value("true")
                .build(),
            elb::TargetGroupAttribute::builder()
                .key("target_health_state.unhealthy.connection_termination.enabled")
                .value("false")
                .build(),
        ]))
        .send()
        .await
        .unwrap();
    let r = report(
        &chain(
            args(&["--domain", "ws.example.test", "--alb", &nlb.name]),
            &moto,
        )
        .await,
    );
    let l = layer(&r, "nlb");
    assert_eq!(l["drain_timeout"]["value"], 30);
    assert!(l["unhealthy_drain_timeout"]["value"].is_null());
    let drain = findings(&r, "WS302");
    assert_eq!(drain.len(), 1, "{:?}", r["findings"]);
    assert!(
        !drain[0]["evidence"]["drain_timeout"].is_null(),
        "{}",
        drain[0]
    );
}

const CF_NS: &str = "http://cloudfront.amazonaws.com/doc/2020-05-31/";

/// `GetDistribution` (REST XML, `Distribution` as the payload) for a multi-tenant
/// distribution (no `Aliases`) whose default behavior goes to a VPC origin, as CloudFront
/// returns it with the fields moto drops: `VpcOriginConfig`, `ResponseCompletionTimeout`,
/// `FunctionAssociations` and `ContinuousDeploymentPolicyId`.
fn vpc_distribution_xml(id: &str, vpc_origin: &str, policy: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<Distribution xmlns="{CF_NS}"><Id>{id}</Id><ARN>arn:aws:cloudfront::123456789012:distribution/{id}</ARN><Status>Deployed</Status><LastModifiedTime>2026-11-01T10:00:00Z</LastModifiedTime><InProgressInvalidationBatches>0</InProgressInvalidationBatches><DomainName>d111111abcdef8.cloudfront.net</DomainName><DistributionConfig><CallerReference>wsaudit</CallerReference><Aliases><Quantity>0</Quantity></Aliases><Origins><Quantity>1</Quantity><Items><Origin><Id>app</Id><DomainName>internal-ws-1234567890.us-east-1.elb.amazonaws.com</DomainName><OriginPath></OriginPath><CustomHeaders><Quantity>0</Quantity></CustomHeaders><VpcOriginConfig><VpcOriginId>{vpc_origin}</VpcOriginId><OriginReadTimeout>45</OriginReadTimeout><OriginKeepaliveTimeout>120</OriginKeepaliveTimeout></VpcOriginConfig><ConnectionAttempts>3</ConnectionAttempts><ConnectionTimeout>10</ConnectionTimeout><ResponseCompletionTimeout>3600</ResponseCompletionTimeout></Origin></Items></Origins><DefaultCacheBehavior><TargetOriginId>app</TargetOriginId><ViewerProtocolPolicy>https-only</ViewerProtocolPolicy><AllowedMethods><Quantity>2</Quantity><Items><Method>HEAD</Method><Method>GET</Method></Items></AllowedMethods><Compress>false</Compress><LambdaFunctionAssociations><Quantity>0</Quantity></LambdaFunctionAssociations><FunctionAssociations><Quantity>1</Quantity><Items><FunctionAssociation><FunctionARN>arn:aws:cloudfront::123456789012:function/route-by-tenant</FunctionARN><EventType>viewer-request</EventType></FunctionAssociation></Items></FunctionAssociations><CachePolicyId>4135ea2d-6df8-44a3-9df3-4b5a84be39ad</CachePolicyId><OriginRequestPolicyId>{policy}</OriginRequestPolicyId></DefaultCacheBehavior><CacheBehaviors><Quantity>0</Quantity></CacheBehaviors><Comment></Comment><Enabled>true</Enabled><HttpVersion>http2</HttpVersion><ContinuousDeploymentPolicyId>cdp-canary</ContinuousDeploymentPolicyId><Staging>false</Staging><ConnectionMode>tenant-only</ConnectionMode></DistributionConfig></Distribution>"#
    )
}

/// `GetDistributionTenantByDomain`: the tenant that holds `domain` on distribution `id`.
fn tenant_xml(id: &str, domain: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<DistributionTenant xmlns="{CF_NS}"><Id>dt_2abc</Id><DistributionId>{id}</DistributionId><Name>acme</Name><Arn>arn:aws:cloudfront::123456789012:distribution-tenant/dt_2abc</Arn><Domains><DomainResult><Domain>{domain}</Domain><Status>active</Status></DomainResult></Domains><ConnectionGroupId>cg_2abc</ConnectionGroupId><Enabled>true</Enabled><Status>Deployed</Status></DistributionTenant>"#
    )
}

/// `GetVpcOrigin`: the VPC origin's endpoint, the load balancer inside the VPC.
fn vpc_origin_xml(id: &str, lb_arn: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<VpcOrigin xmlns="{CF_NS}"><Id>{id}</Id><Arn>arn:aws:cloudfront::123456789012:vpcorigin/{id}</Arn><AccountId>123456789012</AccountId><Status>Deployed</Status><CreatedTime>2026-11-01T10:00:00Z</CreatedTime><LastModifiedTime>2026-11-01T10:00:00Z</LastModifiedTime><VpcOriginEndpointConfig><Name>ws-internal</Name><Arn>{lb_arn}</Arn><HTTPPort>80</HTTPPort><HTTPSPort>443</HTTPSPort><OriginProtocolPolicy>http-only</OriginProtocolPolicy></VpcOriginEndpointConfig></VpcOrigin>"#
    )
}

/// Item 4: a domain on a distribution tenant, a VPC origin, ResponseCompletionTimeout, a
/// viewer-request function, continuous deployment and a whitelist policy without
/// `Sec-WebSocket-Protocol`. The canned answers stand for `GetDistributionTenantByDomain`,
/// `GetDistribution` and `GetVpcOrigin` (moto answers 404 for tenants and VPC origins and
/// drops the fields above) and `GetOriginRequestPolicy` (404 in moto); the internal ALB the
/// VPC origin points at is moto's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tenants_vpc_origins_and_what_cloudfront_does_per_request() {
    let Some(moto) = moto_url() else { return };
    let sdk = sdk_config(&moto, &fast_options()).await;
    let lb = fixtures::simple_alb(&sdk, "vpco", 1, 80).await;
    let dist = "E2WSAUDITTENANT";
    let vpc = "vo_wsaudit1";
    let policy = unique("wl");
    let domain = format!("acme.{}.test", unique("tenant"));
    let proxy = Proxy::start(
        &moto,
        vec![
            Rule::always(
                "/2020-05-31/distribution-tenant",
                Fault::Respond {
                    status: 200,
                    body: tenant_xml(dist, &domain),
                },
            ),
            Rule::always(
                &format!("/2020-05-31/distribution/{dist}"),
                Fault::Respond {
                    status: 200,
                    body: vpc_distribution_xml(dist, vpc, &policy),
                },
            ),
            Rule::always(
                &format!("/2020-05-31/vpc-origin/{vpc}"),
                Fault::Respond {
                    status: 200,
                    body: vpc_origin_xml(vpc, &lb.arn),
                },
            ),
            Rule::always(
                &format!("/origin-request-policy/{policy}"),
                Fault::Respond {
                    status: 200,
                    body: super::cloudfront::policy_xml(
                        &policy,
                        "whitelist",
                        &["Sec-WebSocket-Key", "Sec-WebSocket-Version"],
                    ),
                },
            ),
        ],
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("wsaudit.toml");
    std::fs::write(&config, "subprotocols = [\"graphql-ws\"]\n").unwrap();
    let config = config.display().to_string();
    let out = chain(
        args(&["--domain", &domain, "--path", "/ws/", "--config", &config]),
        &proxy.url,
    )
    .await;
    let r = report(&out);
    assert_eq!(
        support::report_layer_ids(&r),
        ["cloudfront", "alb"],
        "{}",
        r["chain"]
    );
    let cf = layer(&r, "cloudfront");
    assert_eq!(cf["name"], domain.as_str());
    assert_eq!(cf["response_timeout"]["value"], 45);
    assert_eq!(
        cf["response_timeout"]["origin"]["field"],
        "Origins[app].VpcOriginConfig.OriginReadTimeout"
    );
    assert_eq!(cf["upstream_keepalive"]["value"], 120);
    // http-only on the VPC origin: cleartext to the load balancer behind a wss:// edge.
    assert_eq!(cf["tls_to_origin"]["value"], false);
    assert_eq!(cf["max_duration"]["value"], 3600);
    assert_eq!(cf["forwards_subprotocol"]["value"], false);
    // The load balancer is the one the VPC origin names by ARN.
    assert_eq!(layer(&r, "alb")["locator"], lb.arn.as_str());
    assert_eq!(proxy.count(&format!("/2020-05-31/vpc-origin/{vpc}")), 1);

    assert_eq!(findings(&r, "WS404").len(), 1, "{:?}", r["findings"]);
    assert_eq!(findings(&r, "WS503").len(), 1, "{:?}", r["findings"]);
    let sub = findings(&r, "WS107");
    assert_eq!(sub.len(), 1, "{:?}", r["findings"]);
    assert!(sub[0]["message"].as_str().unwrap().contains("graphql-ws"));
    let variants: Vec<&str> = findings(&r, "WS108")
        .iter()
        .map(|f| f["evidence"]["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        variants,
        ["viewer_function", "staging"],
        "{:?}",
        r["findings"]
    );
}

/// Item 5: DNS decides where clients go. A name weighted between a load balancer (90) and a
/// CloudFront distribution that lists the name as an alias (10): the heavy route goes straight
/// to the load balancer, without CloudFront, and the light one through CloudFront to its origin.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_name_weighted_between_a_load_balancer_and_cloudfront_is_audited_on_each_path() {
    let Some(moto) = moto_url() else { return };
    let sdk = sdk_config(&moto, &fast_options()).await;
    let direct = fixtures::simple_alb(&sdk, "direct", 1, 443).await;
    let origin = fixtures::simple_alb(&sdk, "origin", 1, 80).await;
    let zone = format!("{}.test", unique("r53cf"));
    let name = format!("ws.{zone}");
    let (id, cf_domain) = behind_cloudfront(&sdk, &name, &origin.dns, 5).await;
    fixtures::weighted_aliases(
        &sdk,
        &zone,
        &name,
        &[("direct", &direct.dns, 90), ("edge", &cf_domain, 10)],
    )
    .await;
    let r = report(&chain(args(&["--domain", &name]), &moto).await);
    let ids = |chain: &Value| -> Vec<String> {
        chain["layers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["id"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(ids(&r["chain"]), ["alb"], "{}", r["chain"]);
    assert_eq!(layer(&r, "alb")["name"], direct.name.as_str());
    let why = r["chain"]["not_consulted"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["provider"] == "cloudfront")
        .expect("CloudFront is said not to be on the heavy path");
    assert!(
        why["reason"].as_str().unwrap().contains(&id)
            && why["reason"].as_str().unwrap().contains("not on this path"),
        "{why}"
    );
    let edge = &r["routes"][0];
    assert_eq!(edge["route"]["set_identifier"], "edge");
    assert_eq!(
        ids(&edge["chain"]),
        ["cloudfront", "alb"],
        "{}",
        edge["chain"]
    );
    let origin_alb = &edge["chain"]["layers"][1];
    assert_eq!(origin_alb["name"], origin.name.as_str());
}

/// Item 5: every record set of a name is read, and each target is audited: the failover
/// PRIMARY (else the heaviest weight) is the report's chain, every other target a route of
/// its own with its own findings, and the exit code the worst of them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn route53_routing_policies_audit_every_target() {
    use aws_sdk_route53::types as r53;
    let Some(moto) = moto_url() else { return };
    let sdk = sdk_config(&moto, &fast_options()).await;
    let blue = fixtures::simple_alb(&sdk, "blue", 1, 443).await;
    let green = fixtures::simple_alb(&sdk, "green", 1, 443).await;
    // Only the light route cuts idle sockets before the heartbeat: 10% of clients reconnect.
    fixtures::lb_attributes(&sdk, &blue.arn, &[("idle_timeout.timeout_seconds", "1")]).await;
    fixtures::lb_attributes(
        &sdk,
        &green.arn,
        &[("idle_timeout.timeout_seconds", "3600")],
    )
    .await;
    let zone = format!("{}.test", unique("r53"));
    let c = fixtures::route53(&sdk);
    let zone_id = c
        .create_hosted_zone()
        .name(&zone)
        .caller_reference(unique("zone"))
        .send()
        .await
        .unwrap()
        .hosted_zone()
        .unwrap()
        .id()
        .to_string();
    let alias = |name: &str, set: &str, target: &str| {
        r53::ResourceRecordSet::builder()
            .name(name)
            .r#type(r53::RrType::A)
            .set_identifier(set)
            .alias_target(
                r53::AliasTarget::builder()
                    .hosted_zone_id("Z35SXDOTRQ7X7K")
                    .dns_name(target)
                    .evaluate_target_health(true)
                    .build()
                    .unwrap(),
            )
    };
    let weighted = format!("ws.{zone}");
    let failover = format!("fo.{zone}");
    let sets = vec![
        alias(&weighted, "blue", &blue.dns)
            .weight(10)
            .build()
            .unwrap(),
        alias(&weighted, "green", &green.dns)
            .weight(90)
            .build()
            .unwrap(),
        // Listed first (set identifiers sort), but SECONDARY.
        alias(&failover, "a-standby", &green.dns)
            .failover(r53::ResourceRecordSetFailover::Secondary)
            .build()
            .unwrap(),
        alias(&failover, "b-main", &blue.dns)
            .failover(r53::ResourceRecordSetFailover::Primary)
            .build()
            .unwrap(),
    ];
    c.change_resource_record_sets()
        .hosted_zone_id(&zone_id)
        .change_batch(
            r53::ChangeBatch::builder()
                .set_changes(Some(
                    sets.into_iter()
                        .map(|s| {
                            r53::Change::builder()
                                .action(r53::ChangeAction::Create)
                                .resource_record_set(s)
                                .build()
                                .unwrap()
                        })
                        .collect(),
                ))
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();

    // Weighted: green carries 90 of 100 and is the report's chain; blue is a route of its own,
    // audited in the same run, and the only one the heartbeat does not keep open.
    let hb = ["--heartbeat", "30s"];
    let out = chain(
        args(&[&["--domain", weighted.as_str()][..], &hb[..]].concat()),
        &moto,
    )
    .await;
    let r = report(&out);
    assert_eq!(
        layer(&r, "alb")["name"],
        green.name.as_str(),
        "{}",
        r["chain"]
    );
    assert_eq!(
        r["chain"]["route"]["set_identifier"], "green",
        "{}",
        r["chain"]
    );
    assert_eq!(r["chain"]["route"]["detail"], "weight 90");
    let routes = r["routes"].as_array().expect("routes");
    assert_eq!(routes.len(), 1, "{routes:?}");
    let blue_route = &routes[0];
    assert_eq!(blue_route["route"]["set_identifier"], "blue");
    assert_eq!(blue_route["route"]["policy"], "weighted");
    assert_eq!(
        blue_route["route"]["target"],
        blue.dns.to_ascii_lowercase().as_str()
    );
    let blue_alb = blue_route["chain"]["layers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["id"] == "alb")
        .expect("the blue route reads its load balancer");
    assert_eq!(blue_alb["name"], blue.name.as_str());
    assert_eq!(blue_alb["idle_timeout"]["value"], 1);
    let rules = support::rules_of;
    // The cut is found on the route that has it, and only there.
    assert!(
        rules(&blue_route["findings"]).contains(&"WS202".to_string()),
        "{}",
        blue_route["findings"]
    );
    assert!(
        !rules(&r["findings"]).contains(&"WS202".to_string()),
        "{}",
        r["findings"]
    );
    // Both targets audited: neither reports the other as a path not followed.
    assert!(findings(&r, "WS108").is_empty(), "{:?}", r["findings"]);
    assert!(!rules(&blue_route["findings"]).contains(&"WS108".to_string()));
    // The summary counts every route's findings.
    let total =
        r["findings"].as_array().unwrap().len() + blue_route["findings"].as_array().unwrap().len();
    assert_eq!(r["summary"]["total"], total);

    // The exit code is the worst route's: blue's high finding fails the run.
    let env = aws_env(&moto);
    let failing = {
        let weighted = weighted.clone();
        tokio::task::spawn_blocking(move || {
            wsaudit(
                &[
                    "chain",
                    "--domain",
                    &weighted,
                    "--heartbeat",
                    "30s",
                    "--fail-on",
                    "high",
                ],
                &as_refs(&env),
            )
        })
        .await
        .unwrap()
    };
    let table = String::from_utf8_lossy(&failing.stdout).to_string();
    assert_eq!(failing.status.code(), Some(1), "{table}");
    assert!(
        table.contains(&format!(
            "== Route 2 of 2: weighted record set blue (weight 10) \u{2192} {} ==",
            blue.dns.to_ascii_lowercase()
        )),
        "{table}"
    );

    // A saved report re-judges every route: the blue route's finding is not lost.
    let dir = tempfile::tempdir().unwrap();
    let saved = dir.path().join("report.json");
    std::fs::write(&saved, &out.stdout).unwrap();
    let again = wsaudit(
        &[
            "audit",
            saved.to_str().unwrap(),
            "--format",
            "json",
            "--fail-on",
            "high",
        ],
        &[],
    );
    assert_eq!(again.status.code(), Some(1));
    let again: Value = serde_json::from_slice(&again.stdout).unwrap();
    assert_eq!(
        rules(&again["routes"][0]["findings"]),
        rules(&blue_route["findings"])
    );
    assert_eq!(again["summary"]["total"], total);

    // A live probe's connection took one route: the cut it measures (1 s) is blue's, so it is
    // judged there, not as an unseen hop in front of green.
    let backend = support::probe::start_backend(support::probe::Backend::CloseAfter(
        std::time::Duration::from_secs(1),
        1000,
    ))
    .await;
    let url = format!("ws://{backend}/ws/");
    let probe_args = [
        "--domain",
        weighted.as_str(),
        "--probe",
        "--probe-url",
        url.as_str(),
        "--probe-idle",
        "4s",
    ];
    let r = report(&chain(args(&probe_args), &moto).await);
    assert!(r["chain"].get("probe").is_none(), "{}", r["chain"]);
    assert!(findings(&r, "WS203").is_empty(), "{:?}", r["findings"]);
    let probe = &r["routes"][0]["chain"]["probe"];
    assert_eq!(probe["idle"]["explained_by"], "alb", "{probe}");
    assert_eq!(&r["probe"], probe);

    // Failover: the PRIMARY is the report's chain even though the SECONDARY is listed first;
    // the standby is audited as a route.
    let r = report(&chain(args(&["--domain", &failover]), &moto).await);
    assert_eq!(layer(&r, "alb")["name"], blue.name.as_str());
    assert_eq!(r["chain"]["route"]["detail"], "failover PRIMARY");
    assert_eq!(r["routes"][0]["route"]["detail"], "failover SECONDARY");
    assert_eq!(r["routes"][0]["route"]["set_identifier"], "a-standby");
    assert!(findings(&r, "WS108").is_empty(), "{:?}", r["findings"]);

    // --alb pins one of them: nothing else is followed or reported.
    let r = report(&chain(args(&["--domain", &weighted, "--alb", &blue.name]), &moto).await);
    assert_eq!(layer(&r, "alb")["name"], blue.name.as_str());
    assert!(r.get("routes").is_none(), "{:?}", r["routes"]);
    assert!(findings(&r, "WS108").is_empty(), "{:?}", r["findings"]);
}
