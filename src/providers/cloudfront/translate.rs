//! A CloudFront distribution snapshot → one chain `Layer`.

use super::matching::{legacy_forwards_ws, policy_forwards_ws};
use super::DistributionSnapshot;
use crate::model::{
    AccessLog, IdleResetBy, Layer, LayerKind, PathVariant, Provider, Scheme, Seconds, Setting,
    WebsocketSupport,
};

const WS_DOC: &str =
    "https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/distribution-working-with.websockets.html";
const QUOTAS_DOC: &str =
    "https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cloudfront-limits.html";
const CONFIG_DOC: &str =
    "https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_DistributionConfig.html";
const CUSTOM_ORIGIN_DOC: &str =
    "https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_CustomOriginConfig.html";
const ORIGIN_DOC: &str =
    "https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_Origin.html";

/// Whether `Sec-WebSocket-Protocol` passes a header policy (same vocabulary as
/// `policy_forwards_ws`).
fn forwards_header(header_behavior: &str, headers: &[String], name: &str) -> bool {
    let listed = headers
        .iter()
        .any(|h| h.eq_ignore_ascii_case(name) || h == "*");
    match header_behavior {
        "allViewer" | "allViewerAndWhitelistCloudFront" => true,
        "whitelist" => listed,
        "allExcept" => !headers.iter().any(|h| h.eq_ignore_ascii_case(name)),
        _ => false,
    }
}

/// `ViewerProtocolPolicy` → what the behavior does with a `ws://` (port 80) handshake.
/// `redirect-to-https` answers 301 and `https-only` 403; WebSocket clients follow neither.
fn cleartext_value(viewer_protocol_policy: &str) -> Option<&'static str> {
    match viewer_protocol_policy {
        "allow-all" => Some("allow"),
        "redirect-to-https" => Some("redirect"),
        "https-only" => Some("reject"),
        _ => None,
    }
}

pub(super) fn to_layer(s: &DistributionSnapshot, scheme: Scheme) -> Layer {
    let name = match &s.tenant {
        Some(t) => t.domain.clone(),
        None => s
            .aliases
            .first()
            .cloned()
            .unwrap_or_else(|| s.domain_name.clone()),
    };
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
    layer.cleartext_from_client = match cleartext_value(&s.behavior.viewer_protocol_policy) {
        Some(v) => Setting::explicit_field(
            v.to_string(),
            &s.arn,
            format!(
                "{behavior}.ViewerProtocolPolicy {}",
                s.behavior.viewer_protocol_policy
            ),
        ),
        None => Setting::unknown(format!(
            "{behavior}.ViewerProtocolPolicy {:?}",
            s.behavior.viewer_protocol_policy
        )),
    };
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

    const SUBPROTOCOL: &str = "Sec-WebSocket-Protocol";
    layer.forwards_subprotocol = if let Some(p) = &s.policy {
        Setting::explicit_field(
            forwards_header(&p.header_behavior, &p.headers, SUBPROTOCOL),
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
            forwards_header("whitelist", h, SUBPROTOCOL),
            &s.arn,
            format!("{behavior}.ForwardedValues.Headers"),
        )
    } else {
        Setting::explicit_field(
            false,
            &s.arn,
            format!("{behavior}.OriginRequestPolicyId (none)"),
        )
    };
    for (kind, arn) in &s.behavior.viewer_request_code {
        let (what, field) = match kind.as_str() {
            "lambda-edge" => ("a Lambda@Edge function", "LambdaFunctionAssociations"),
            _ => ("a CloudFront Function", "FunctionAssociations"),
        };
        layer.path_variants.push(PathVariant {
            kind: if kind == "lambda-edge" {
                "edge_lambda".into()
            } else {
                "viewer_function".into()
            },
            detail: format!(
                "{what} ({arn}) runs on every viewer request of {behavior}: it may rewrite the \
                 URI or headers of the handshake, or answer it itself"
            ),
            locator: s.arn.clone(),
            field: Some(format!("{behavior}.{field}[viewer-request]")),
            audited: false,
        });
    }
    if let Some(policy) = &s.continuous_deployment_policy_id {
        layer.path_variants.push(PathVariant {
            kind: "staging".into(),
            detail: format!(
                "continuous-deployment policy {policy} sends a share of requests (or those with \
                 its header) to a staging distribution with its own behaviors and origins"
            ),
            locator: s.arn.clone(),
            field: Some("ContinuousDeploymentPolicyId".into()),
            audited: false,
        });
    }

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

    layer.add_resource("distribution", &s.id);
    layer.add_resource("behavior", s.behavior.label());
    if let Some(o) = &s.origin {
        layer.add_resource("origin", &o.id);
        let config = if o.vpc_origin_id.is_some() {
            "VpcOriginConfig"
        } else {
            "CustomOriginConfig"
        };
        let field = |f: &str| format!("Origins[{}].{config}.{f}", o.id);
        let policy_field = |policy: &str| {
            match &o.vpc_origin_id {
            Some(id) => format!(
                "Origins[{}].VpcOriginConfig.VpcOriginId {id} (VpcOriginEndpointConfig.OriginProtocolPolicy {policy})",
                o.id
            ),
            None => field(&format!("OriginProtocolPolicy {policy}")),
        }
        };
        // Documented as the longest a response may take to complete; a WebSocket's response
        // never completes, so it caps the connection's life (WS404).
        if let Some(t) = o.response_completion_timeout.filter(|t| *t > 0) {
            layer.max_duration = Setting::explicit_field(
                Seconds(f64::from(t)),
                &s.arn,
                format!("Origins[{}].ResponseCompletionTimeout", o.id),
            );
        } else {
            layer.max_duration = Setting::unknown(format!(
                "CloudFront documents no maximum WebSocket duration, and origin {} sets no \
                 ResponseCompletionTimeout ({ORIGIN_DOC})",
                o.id
            ));
        }
        match &o.custom {
            Some(c) => {
                layer.tls_to_origin = Setting::explicit_field(
                    c.uses_tls(scheme),
                    &s.arn,
                    policy_field(&c.protocol_policy),
                );
                // Documented for the response to a request (here the 101); whether it still
                // applies to an upgraded connection is not documented, so it is reported as
                // the handshake's timeout, not as an idle timeout.
                layer.response_timeout = match c.read_timeout {
                    Some(r) => Setting::explicit_field(
                        Seconds(f64::from(r)),
                        &s.arn,
                        field("OriginReadTimeout"),
                    ),
                    None => Setting::default_documented(
                        Seconds(30.0),
                        "OriginReadTimeout defaults to 30 s",
                        CUSTOM_ORIGIN_DOC,
                    ),
                };
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
            None if o.vpc_origin_id.is_some() => {
                let why = format!("the VPC origin of {} could not be read", o.id);
                layer.tls_to_origin = Setting::unknown(&why);
                layer.response_timeout = Setting::unknown(why);
            }
            None => {
                layer.tls_to_origin = Setting::default_documented(
                    true,
                    "S3 origins are reached over HTTPS",
                    CONFIG_DOC,
                );
                layer.response_timeout = Setting::unknown(format!(
                    "origin {} is an S3 origin: it has no OriginReadTimeout",
                    o.id
                ));
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Origin;
    use crate::providers::cloudfront::{BehaviorSnapshot, CustomOrigin, OriginSnapshot};

    fn snapshot(viewer: &str, read_timeout: Option<i32>) -> DistributionSnapshot {
        DistributionSnapshot {
            id: "E1".into(),
            arn: "arn:dist".into(),
            domain_name: "d1.cloudfront.net".into(),
            aliases: vec!["ws.example.com".into()],
            http_version: None,
            logging: None,
            behavior: BehaviorSnapshot {
                path_pattern: Some("/ws/*".into()),
                target_origin_id: "alb".into(),
                viewer_protocol_policy: viewer.into(),
                origin_request_policy_id: None,
                forwarded_headers: None,
                viewer_request_code: vec![],
            },
            origin: Some(OriginSnapshot {
                id: "alb".into(),
                domain_name: "web-1.us-east-1.elb.amazonaws.com".into(),
                custom: Some(CustomOrigin {
                    http_port: 80,
                    https_port: 443,
                    protocol_policy: "https-only".into(),
                    read_timeout,
                    keepalive_timeout: None,
                }),
                vpc_origin_id: None,
                vpc_endpoint_arn: None,
                response_completion_timeout: None,
            }),
            policy: None,
            continuous_deployment_policy_id: None,
            tenant: None,
        }
    }

    #[test]
    fn viewer_protocol_policy_decides_what_a_cleartext_handshake_gets() {
        for (policy, want) in [
            ("allow-all", "allow"),
            ("redirect-to-https", "redirect"),
            ("https-only", "reject"),
        ] {
            let l = to_layer(&snapshot(policy, Some(30)), Scheme::Ws);
            assert_eq!(l.cleartext_from_client.value.as_deref(), Some(want));
            let Origin::Explicit { locator, field, .. } = l.cleartext_from_client.origin else {
                panic!("{policy}: not explicit")
            };
            assert_eq!(locator, "arn:dist");
            assert_eq!(
                field.unwrap(),
                format!("CacheBehaviors[/ws/*].ViewerProtocolPolicy {policy}")
            );
        }
        let odd = to_layer(&snapshot("sometimes", None), Scheme::Ws);
        assert!(odd.cleartext_from_client.value.is_none());
    }

    #[test]
    fn origin_read_timeout_is_the_response_timeout_with_a_documented_default() {
        let set = to_layer(&snapshot("https-only", Some(90)), Scheme::Wss);
        assert_eq!(set.response_timeout.value, Some(Seconds(90.0)));
        assert!(matches!(
            set.response_timeout.origin,
            Origin::Explicit { ref field, .. }
                if field.as_deref() == Some("Origins[alb].CustomOriginConfig.OriginReadTimeout")
        ));
        let unset = to_layer(&snapshot("https-only", None), Scheme::Wss);
        assert_eq!(unset.response_timeout.value, Some(Seconds(30.0)));
        assert!(matches!(
            unset.response_timeout.origin,
            Origin::Default { source: Some(ref s), .. } if s == CUSTOM_ORIGIN_DOC
        ));
        // The handshake timeout is not an idle timeout: the WebSocket quota stays 10 minutes.
        assert_eq!(unset.idle_timeout.value, Some(Seconds(600.0)));
    }
}
