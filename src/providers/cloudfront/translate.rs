//! A CloudFront distribution snapshot → one chain `Layer`.

use super::matching::{legacy_forwards_ws, policy_forwards_ws};
use super::DistributionSnapshot;
use crate::model::{
    AccessLog, IdleResetBy, Layer, LayerKind, Provider, Scheme, Seconds, Setting, WebsocketSupport,
};

const WS_DOC: &str =
    "https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/distribution-working-with.websockets.html";
const QUOTAS_DOC: &str =
    "https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cloudfront-limits.html";
const CONFIG_DOC: &str =
    "https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_DistributionConfig.html";

pub(super) fn to_layer(s: &DistributionSnapshot, scheme: Scheme) -> Layer {
    let name = s
        .aliases
        .first()
        .cloned()
        .unwrap_or_else(|| s.domain_name.clone());
    let mut layer = Layer::new("cloudfront", LayerKind::Cdn, Provider::Cloudfront, name);
    layer.locator = Some(s.arn.clone());

    // Not a setting: a fixed, non-adjustable quota counted on origin→client bytes only.
    layer.idle_timeout = Setting::default_documented(
        Seconds(600.0),
        "CloudFront closes a WebSocket after 10 minutes without bytes from the origin (fixed quota)",
        QUOTAS_DOC,
    );
    layer.idle_reset_by = Setting::default_documented(
        IdleResetBy::ServerToClient,
        "only bytes sent from the origin to the client reset CloudFront's WebSocket idle quota",
        QUOTAS_DOC,
    );
    layer.max_duration =
        Setting::unknown("CloudFront documents no maximum WebSocket connection duration");
    layer.websocket = Setting::default_documented(
        WebsocketSupport::Enabled,
        "WebSockets are available on every distribution, without a setting",
        WS_DOC,
    );
    layer.upstream_http_version = Setting::default_documented(
        "1.1".to_string(),
        "CloudFront connects to custom origins with HTTP/1.1",
        "https://repost.aws/knowledge-center/cloudfront-supported-protocols",
    );

    let behavior = s.behavior.label();
    layer.forwards_upgrade = if let Some(p) = &s.policy {
        Setting::explicit_field(
            policy_forwards_ws(&p.header_behavior, &p.headers),
            &s.arn,
            format!(
                "{behavior}.OriginRequestPolicyId {} ({}: HeaderBehavior {})",
                p.id, p.name, p.header_behavior
            ),
        )
    } else if let Some(pid) = &s.behavior.origin_request_policy_id {
        Setting::unknown(format!("origin request policy {pid} could not be read"))
    } else if let Some(h) = &s.behavior.forwarded_headers {
        Setting::explicit_field(
            legacy_forwards_ws(h),
            &s.arn,
            format!("{behavior}.ForwardedValues.Headers"),
        )
    } else {
        // Without an origin request policy CloudFront forwards no viewer headers beyond the
        // cache key's, so the handshake headers are dropped.
        Setting::explicit_field(
            false,
            &s.arn,
            format!("{behavior}.OriginRequestPolicyId (none)"),
        )
    };

    layer.client_protocols = match s.http_version.as_deref() {
        Some(v) => {
            let protos: &[&str] = match v {
                "http1.1" => &["http1.1"],
                "http2" => &["http1.1", "h2"],
                "http3" => &["http1.1", "h3"],
                "http2and3" => &["http1.1", "h2", "h3"],
                _ => &[],
            };
            if protos.is_empty() {
                Setting::unknown(format!("HttpVersion {v:?}"))
            } else {
                Setting::explicit_field(
                    protos.iter().map(|p| p.to_string()).collect(),
                    &s.arn,
                    "HttpVersion",
                )
            }
        }
        None => Setting::default_documented(
            vec!["http1.1".into(), "h2".into()],
            "new distributions default to HttpVersion http2",
            CONFIG_DOC,
        ),
    };

    if let Some(o) = &s.origin {
        let field = |f: &str| format!("Origins[{}].CustomOriginConfig.{f}", o.id);
        match &o.custom {
            Some(c) => {
                layer.tls_to_origin = Setting::explicit_field(
                    c.uses_tls(scheme),
                    &s.arn,
                    field(&format!("OriginProtocolPolicy {}", c.protocol_policy)),
                );
                layer.upstream_keepalive = match c.keepalive_timeout {
                    Some(k) => Setting::explicit_field(
                        Seconds(f64::from(k)),
                        &s.arn,
                        field("OriginKeepaliveTimeout"),
                    ),
                    None => Setting::default_documented(
                        Seconds(5.0),
                        "OriginKeepaliveTimeout defaults to 5 s",
                        QUOTAS_DOC,
                    ),
                };
            }
            None => {
                layer.tls_to_origin = Setting::default_documented(
                    true,
                    "S3 and VPC origins are reached over HTTPS",
                    CONFIG_DOC,
                );
            }
        }
    }

    layer.access_log = match &s.logging {
        Some((enabled, dest)) => Setting::explicit_field(
            AccessLog {
                enabled: *enabled,
                destination: enabled.then(|| dest.clone()),
                // Standard logs record the viewer, timing and status, not the origin address.
                fields: if *enabled {
                    ["client_addr", "request_time", "status"]
                        .map(String::from)
                        .to_vec()
                } else {
                    Vec::new()
                },
            },
            &s.arn,
            "Logging.Enabled",
        ),
        None => Setting::default_documented(
            AccessLog {
                enabled: false,
                destination: None,
                fields: Vec::new(),
            },
            "standard logging is off unless configured",
            CONFIG_DOC,
        ),
    };
    layer
}
