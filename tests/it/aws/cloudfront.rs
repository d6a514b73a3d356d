//! The CloudFront provider against the AWS emulator (distributions created with the real
//! `aws-sdk-cloudfront`). The emulator has no origin-request-policy API (it answers 404), so
//! the policy path is covered by a loopback server that forwards everything to the emulator
//! and answers `GetOriginRequestPolicy` itself, in the documented XML shape.

use crate::support::aws;

use aws::fixtures::{self, Behavior, Origin as Orig};
use aws::proxy::{Fault, Proxy, Rule};
use aws::{fast_options, moto_url, sdk_config, unique};
use aws_sdk_cloudfront::types::{HttpVersion, OriginProtocolPolicy, ViewerProtocolPolicy};
use wsaudit::model::{IdleResetBy, Origin, Scheme, Seconds};
use wsaudit::providers::aws::{AwsClients, AwsOptions};
use wsaudit::providers::cloudfront::{read_cloudfront, CloudFrontRequest, DistributionSelector};

const ALL_VIEWER: &str = "216adef6-5c7f-47e4-b989-5492eafa07d3";
const WS: [&str; 2] = ["Sec-WebSocket-Key", "Sec-WebSocket-Version"];

fn req(selector: DistributionSelector, path: &str, page_size: Option<i32>) -> CloudFrontRequest {
    CloudFrontRequest {
        selector,
        path: path.into(),
        scheme: Scheme::Wss,
        page_size,
    }
}

fn alb_origin(domain: &str) -> Orig<'_> {
    Orig {
        id: "alb",
        domain,
        custom: Some((OriginProtocolPolicy::HttpOnly, 60, 30)),
    }
}

fn field_of(o: &Origin) -> Option<&str> {
    match o {
        Origin::Explicit { field, .. } => field.as_deref(),
        _ => None,
    }
}

fn s3_origin() -> Orig<'static> {
    Orig {
        id: "s3",
        domain: "assets.s3.amazonaws.com",
        custom: None,
    }
}

#[tokio::test]
async fn alias_behavior_origin_and_legacy_forwarded_headers() {
    let Some(moto) = moto_url() else { return };
    let sdk = sdk_config(&moto, &fast_options()).await;
    let zone = format!("{}.test", unique("cf"));
    let exact = format!("ws.{zone}");
    let (wild_id, _) = fixtures::distribution(
        &sdk,
        &[&format!("*.{zone}")],
        &[s3_origin()],
        &[Behavior {
            pattern: None,
            origin: "s3",
            origin_request_policy: None,
            headers: &[],
            viewer: None,
        }],
        HttpVersion::Http2,
    )
    .await;
    let (id, domain_name) = fixtures::distribution(
        &sdk,
        &[&exact],
        &[alb_origin("web-1.us-east-1.elb.amazonaws.com"), s3_origin()],
        &[
            Behavior {
                pattern: Some("/api/*"),
                origin: "s3",
                origin_request_policy: None,
                headers: &[],
                viewer: Some(ViewerProtocolPolicy::AllowAll),
            },
            Behavior {
                pattern: Some("ws/*"),
                origin: "alb",
                origin_request_policy: None,
                headers: &[WS[0], WS[1], "Host"],
                viewer: None,
            },
            Behavior {
                pattern: None,
                origin: "s3",
                origin_request_policy: None,
                headers: &["Origin"],
                viewer: None,
            },
        ],
        HttpVersion::Http2and3,
    )
    .await;

    let client = AwsClients::new(sdk.clone()).cloudfront();
    // Page size 1: the distribution is found across pages of ListDistributions.
    let r = read_cloudfront(
        &client,
        &req(
            DistributionSelector::Alias(exact.to_uppercase()),
            "/ws/chat?x=1",
            Some(1),
        ),
    )
    .await
    .expect("read")
    .expect("distribution found by its exact alias");
    assert!(r.gaps.is_empty(), "{:?}", r.gaps);
    let s = &r.snapshot;
    assert_eq!(s.id, id, "the exact alias beats the wildcard");
    assert_eq!(s.domain_name, domain_name);
    assert_eq!(s.behavior.path_pattern.as_deref(), Some("ws/*"));
    let origin = s.origin.as_ref().unwrap();
    assert_eq!(origin.domain_name, "web-1.us-east-1.elb.amazonaws.com");
    let custom = origin.custom.as_ref().unwrap();
    assert_eq!(
        (custom.read_timeout, custom.keepalive_timeout),
        (Some(60), Some(30))
    );
    assert_eq!(
        custom.port(Scheme::Wss),
        80,
        "http-only goes to the HTTP port"
    );
    assert_eq!(s.origin_host(&exact), exact, "Host is forwarded");

    let l = &r.layer;
    assert_eq!(l.id, "cloudfront");
    assert_eq!(l.idle_timeout.value, Some(Seconds(600.0)));
    assert!(matches!(l.idle_timeout.origin, Origin::Default { .. }));
    assert_eq!(l.idle_reset_by.value, Some(IdleResetBy::ServerToClient));
    assert_eq!(l.forwards_upgrade.value, Some(true));
    assert_eq!(
        l.tls_to_origin.value,
        Some(false),
        "http-only origin behind wss"
    );
    assert_eq!(l.upstream_keepalive.value, Some(Seconds(30.0)));
    assert_eq!(
        l.client_protocols.value.clone().unwrap(),
        vec!["http1.1".to_string(), "h2".into(), "h3".into()]
    );
    assert_eq!(l.upstream_http_version.value.as_deref(), Some("1.1"));
    // OriginReadTimeout: how long CloudFront waits for the origin's answer to the handshake.
    assert_eq!(l.response_timeout.value, Some(Seconds(60.0)));
    assert_eq!(
        field_of(&l.response_timeout.origin),
        Some("Origins[alb].CustomOriginConfig.OriginReadTimeout")
    );
    // https-only: a ws:// handshake gets a 403.
    assert_eq!(l.cleartext_from_client.value.as_deref(), Some("reject"));
    assert_eq!(
        field_of(&l.cleartext_from_client.origin),
        Some("CacheBehaviors[ws/*].ViewerProtocolPolicy https-only")
    );

    // The default behavior forwards neither handshake header.
    let d = read_cloudfront(
        &client,
        &req(DistributionSelector::Id(id.clone()), "/", None),
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(d.snapshot.behavior.path_pattern, None);
    assert_eq!(d.layer.forwards_upgrade.value, Some(false));
    match &d.layer.forwards_upgrade.origin {
        Origin::Explicit { field, .. } => {
            assert!(field
                .as_deref()
                .unwrap()
                .starts_with("DefaultCacheBehavior.ForwardedValues"))
        }
        o => panic!("{o:?}"),
    }
    assert_eq!(d.snapshot.origin_host(&exact), "assets.s3.amazonaws.com");
    // redirect-to-https: a 301, which WebSocket clients do not follow.
    assert_eq!(
        d.layer.cleartext_from_client.value.as_deref(),
        Some("redirect")
    );
    assert_eq!(
        field_of(&d.layer.cleartext_from_client.origin),
        Some("DefaultCacheBehavior.ViewerProtocolPolicy redirect-to-https")
    );
    assert!(
        d.layer.response_timeout.value.is_none(),
        "an S3 origin's read timeout is not read"
    );
    let api = read_cloudfront(
        &client,
        &req(DistributionSelector::Id(id.clone()), "/api/v1", None),
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(
        api.layer.cleartext_from_client.value.as_deref(),
        Some("allow")
    );

    let w = read_cloudfront(
        &client,
        &req(
            DistributionSelector::Alias(format!("a.b.{zone}")),
            "/",
            Some(2),
        ),
    )
    .await
    .unwrap()
    .expect("wildcard alias");
    assert_eq!(w.snapshot.id, wild_id);

    let none = read_cloudfront(
        &client,
        &req(
            DistributionSelector::Alias(format!("{zone}.invalid")),
            "/",
            None,
        ),
    )
    .await
    .unwrap();
    assert!(none.is_none());
}

pub(super) fn policy_xml(id: &str, behavior: &str, headers: &[&str]) -> String {
    let items: String = headers
        .iter()
        .map(|h| format!("<Name>{h}</Name>"))
        .collect();
    let headers_xml = if headers.is_empty() {
        String::new()
    } else {
        format!(
            "<Headers><Quantity>{}</Quantity><Items>{items}</Items></Headers>",
            headers.len()
        )
    };
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<OriginRequestPolicy xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/"><Id>{id}</Id><LastModifiedTime>2026-01-01T00:00:00Z</LastModifiedTime><OriginRequestPolicyConfig><Comment>test</Comment><Name>{id}-name</Name><HeadersConfig><HeaderBehavior>{behavior}</HeaderBehavior>{headers_xml}</HeadersConfig><CookiesConfig><CookieBehavior>none</CookieBehavior></CookiesConfig><QueryStringsConfig><QueryStringBehavior>none</QueryStringBehavior></QueryStringsConfig></OriginRequestPolicyConfig></OriginRequestPolicy>"#
    )
}

#[tokio::test]
async fn origin_request_policies_decide_whether_the_handshake_headers_pass() {
    let Some(moto) = moto_url() else { return };
    let whitelist = unique("wl");
    let proxy = Proxy::start(
        &moto,
        vec![
            Rule::always(
                &format!("/origin-request-policy/{ALL_VIEWER}"),
                Fault::Respond {
                    status: 200,
                    body: policy_xml(ALL_VIEWER, "allViewer", &[]),
                },
            ),
            Rule::always(
                &format!("/origin-request-policy/{whitelist}"),
                Fault::Respond {
                    status: 200,
                    body: policy_xml(&whitelist, "whitelist", &[WS[0], "Origin"]),
                },
            ),
        ],
    )
    .await;
    let opts = AwsOptions {
        page_size: Some(50),
        ..fast_options()
    };
    let direct = sdk_config(&moto, &opts).await;
    let via_proxy = sdk_config(&proxy.url, &opts).await;
    let alias = format!("ws.{}.test", unique("orp"));
    let (id, _) = fixtures::distribution(
        &direct,
        &[&alias],
        &[alb_origin("web-2.us-east-1.elb.amazonaws.com")],
        &[
            Behavior {
                pattern: Some("/ws/*"),
                origin: "alb",
                origin_request_policy: Some(ALL_VIEWER),
                headers: &[],
                viewer: None,
            },
            Behavior {
                pattern: None,
                origin: "alb",
                origin_request_policy: Some(&whitelist),
                headers: &[],
                viewer: None,
            },
        ],
        HttpVersion::Http11,
    )
    .await;

    let client = AwsClients::new(via_proxy).cloudfront();
    let ws = read_cloudfront(
        &client,
        &req(
            DistributionSelector::Alias(alias.clone()),
            "/ws/",
            opts.page_size,
        ),
    )
    .await
    .unwrap()
    .unwrap();
    assert!(ws.gaps.is_empty(), "{:?}", ws.gaps);
    assert_eq!(
        ws.snapshot.policy.as_ref().unwrap().header_behavior,
        "allViewer"
    );
    assert_eq!(ws.layer.forwards_upgrade.value, Some(true));
    assert_eq!(
        ws.layer.client_protocols.value.clone().unwrap(),
        vec!["http1.1".to_string()]
    );
    assert_eq!(
        proxy.count(&format!("/origin-request-policy/{ALL_VIEWER}")),
        1
    );

    // A whitelist without Sec-WebSocket-Version breaks the handshake.
    let root = read_cloudfront(
        &client,
        &req(DistributionSelector::Id(id.clone()), "/", None),
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(
        root.snapshot.policy.as_ref().unwrap().header_behavior,
        "whitelist"
    );
    assert_eq!(root.layer.forwards_upgrade.value, Some(false));

    // Straight to the emulator, the policy call fails: the layer is still read, the
    // unreadable part is a gap naming the call, and the setting is unknown, not guessed.
    let emu = AwsClients::new(direct).cloudfront();
    let partial = read_cloudfront(&emu, &req(DistributionSelector::Id(id), "/ws/", None))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(partial.layer.forwards_upgrade.value, None);
    assert_eq!(partial.gaps.len(), 1);
    assert_eq!(partial.gaps[0].layer, "cloudfront");
    assert!(
        partial.gaps[0]
            .reason
            .contains("cloudfront:GetOriginRequestPolicy"),
        "{:?}",
        partial.gaps
    );
}
