//! Turns a finding's setting and the value its rule chose (`fix_value`) into the concrete
//! change for this resource: the AWS CLI command with the real ARN, the nginx directive at the
//! file and line to edit, the Cloudflare API call, and the same change in Terraform or the
//! dashboard. Rules know what value is right; this knows how each provider spells it, so a
//! user rule gets ready-to-run fixes by naming a setting and a value too.
//!
//! A fix is only offered where the command is known to be right for the layer: an unknown
//! provider or setting gives none (the rule's remediation still says what to do).

use super::finding::{Fix, FixAlternative};
use crate::model::{Layer, Origin, Provider};
use serde_json::Value as Json;

/// The fix for `setting` of `layer` set to `want`.
pub fn for_setting(layer: &Layer, setting: &str, want: &Json) -> Option<Fix> {
    // A layer the manifests declare is fixed in the manifests: its controller would put a
    // value changed behind its back right back.
    if layer.resource("ingress").is_some() {
        let live = layer
            .locator
            .as_deref()
            .is_some_and(|l| l.starts_with("arn:"));
        match kubernetes(layer, setting, want) {
            Some(f) => return Some(f),
            // Declared only: there is no resource id for a provider command to name.
            None if !live => return None,
            None => {}
        }
    }
    match layer.provider {
        Provider::Alb => alb(layer, setting, want),
        Provider::Nlb => nlb(layer, setting, want),
        Provider::Cloudfront => cloudfront(layer, setting, want),
        Provider::Cloudflare => cloudflare(layer, setting, want),
        Provider::Nginx => nginx(layer, setting, want),
        Provider::Haproxy => haproxy(layer, setting, want),
        Provider::Caddy => caddy(layer, setting, want),
        _ => None,
    }
}

/// A rule's own `fix` object (`{kind, text}`), for fixes that are not a setting (the
/// application's heartbeat).
pub fn from_rule(value: &Json) -> Option<Fix> {
    let kind = value.get("kind")?.as_str()?;
    let text = value.get("text")?.as_str()?;
    Some(Fix {
        kind: kind.to_string(),
        text: text.to_string(),
        also: Vec::new(),
    })
}

fn fix(kind: &str, text: String) -> Fix {
    Fix {
        kind: kind.to_string(),
        text,
        also: Vec::new(),
    }
}

impl Fix {
    fn and(mut self, kind: &str, text: String) -> Fix {
        self.also.push(FixAlternative {
            kind: kind.to_string(),
            text,
        });
        self
    }
}

/// Whole seconds within a provider's documented range.
fn seconds_in(want: &Json, lo: u64, hi: u64) -> Option<u64> {
    let v = want.as_f64()?;
    Some((v.ceil().max(0.0) as u64).clamp(lo, hi))
}

// ---- AWS Elastic Load Balancing ----------------------------------------------------------

const HEARTBEAT_CDN: &str = "is a fixed quota that cannot be raised";

fn lb_attribute(arn: &str, pairs: &[(&str, String)]) -> String {
    let attrs: Vec<String> = pairs
        .iter()
        .map(|(k, v)| format!("Key={k},Value={v}"))
        .collect();
    format!(
        "aws elbv2 modify-load-balancer-attributes --load-balancer-arn {arn} \\\n  --attributes {}",
        attrs.join(" ")
    )
}

fn tg_attributes(layer: &Layer, pairs: &[(&str, String)]) -> Option<String> {
    let groups: Vec<&str> = layer
        .resources
        .iter()
        .filter(|r| r.role == "target_group")
        .map(|r| r.id.as_str())
        .collect();
    if groups.is_empty() {
        return None;
    }
    let attrs: Vec<String> = pairs
        .iter()
        .map(|(k, v)| format!("Key={k},Value={v}"))
        .collect();
    Some(
        groups
            .iter()
            .map(|tg| {
                format!(
                    "aws elbv2 modify-target-group-attributes --target-group-arn {tg} \\\n  --attributes {}",
                    attrs.join(" ")
                )
            })
            .collect::<Vec<_>>()
            .join("\n"),
    )
}

fn alb(layer: &Layer, setting: &str, want: &Json) -> Option<Fix> {
    let arn = layer.locator.as_deref()?;
    match setting {
        "idle_timeout" => {
            let v = seconds_in(want, 1, 4000)?;
            Some(
                fix(
                    "aws-cli",
                    lb_attribute(arn, &[("idle_timeout.timeout_seconds", v.to_string())]),
                )
                .and(
                    "terraform",
                    format!("resource \"aws_lb\": idle_timeout = {v}"),
                ),
            )
        }
        "client_keepalive" => {
            let v = seconds_in(want, 60, 604_800)?;
            Some(
                fix(
                    "aws-cli",
                    lb_attribute(arn, &[("client_keep_alive.seconds", v.to_string())]),
                )
                .and(
                    "terraform",
                    format!("resource \"aws_lb\": client_keep_alive = {v}"),
                ),
            )
        }
        "access_log" => Some(
            fix(
                "aws-cli",
                lb_attribute(
                    arn,
                    &[
                        ("access_logs.s3.enabled", "true".into()),
                        ("access_logs.s3.bucket", "<log-bucket>".into()),
                    ],
                ),
            )
            .and(
                "terraform",
                "resource \"aws_lb\": access_logs { bucket = \"<log-bucket>\", enabled = true }"
                    .into(),
            ),
        ),
        _ => target_group(layer, setting, want),
    }
}

fn target_group(layer: &Layer, setting: &str, want: &Json) -> Option<Fix> {
    match setting {
        "stickiness" => Some(
            fix(
                "aws-cli",
                tg_attributes(
                    layer,
                    &[
                        ("stickiness.enabled", "true".into()),
                        ("stickiness.type", "lb_cookie".into()),
                        ("stickiness.lb_cookie.duration_seconds", "86400".into()),
                    ],
                )?,
            )
            .and(
                "terraform",
                "resource \"aws_lb_target_group\": stickiness { enabled = true, type = \"lb_cookie\", cookie_duration = 86400 }".into(),
            ),
        ),
        "drain_timeout" => {
            let v = seconds_in(want, 0, 3600)?;
            Some(
                fix(
                    "aws-cli",
                    tg_attributes(
                        layer,
                        &[("deregistration_delay.timeout_seconds", v.to_string())],
                    )?,
                )
                .and(
                    "terraform",
                    format!("resource \"aws_lb_target_group\": deregistration_delay = \"{v}\""),
                ),
            )
        }
        "upstream_http_version" => {
            let tg = layer.resource("target_group")?;
            Some(
                fix(
                    "manual",
                    format!(
                        "A target group's protocol version cannot be changed: create one with the same protocol, port, VPC and targets as {tg} and --protocol-version HTTP1, then point the listener rule at it:\naws elbv2 create-target-group --name <name>-http1 --protocol-version HTTP1 --protocol <HTTP|HTTPS> --port <port> --vpc-id <vpc>"
                    ),
                )
                .and(
                    "terraform",
                    "resource \"aws_lb_target_group\": protocol_version = \"HTTP1\" (replaces the target group)".into(),
                ),
            )
        }
        _ => None,
    }
}

fn nlb(layer: &Layer, setting: &str, want: &Json) -> Option<Fix> {
    match setting {
        "idle_timeout" => {
            let listener = layer.resource("listener")?;
            let v = seconds_in(want, 60, 6000)?;
            Some(
                fix(
                    "aws-cli",
                    format!(
                        "aws elbv2 modify-listener-attributes --listener-arn {listener} \\\n  --attributes Key=tcp.idle_timeout.seconds,Value={v}"
                    ),
                )
                .and(
                    "terraform",
                    format!("resource \"aws_lb_listener\": tcp_idle_timeout_seconds = {v}"),
                ),
            )
        }
        _ => target_group(layer, setting, want),
    }
}

// ---- Kubernetes manifests ----------------------------------------------------------------

/// `kubectl annotate` on the Ingress (or Service) the layer is declared by, for the
/// controller that implements it.
fn kubernetes(layer: &Layer, setting: &str, want: &Json) -> Option<Fix> {
    let ingress = layer.resource("ingress")?;
    let (ns, name) = ingress.split_once('/')?;
    let annotate = |pairs: &[(String, String)]| {
        let kv: Vec<String> = pairs
            .iter()
            .map(|(k, v)| {
                if v.is_empty() {
                    format!("{k}-")
                } else {
                    format!("{k}='{v}'")
                }
            })
            .collect();
        format!(
            "kubectl annotate ingress -n {ns} {name} --overwrite \\\n  {}",
            kv.join(" ")
        )
    };
    let secs = |lo: u64, hi: u64| seconds_in(want, lo, hi);
    let manifest = |pairs: &[(String, String)]| {
        let lines: Vec<String> = pairs
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| format!("    {k}: \"{v}\""))
            .collect();
        format!("metadata:\n  annotations:\n{}", lines.join("\n"))
    };
    let both = |pairs: Vec<(String, String)>| {
        Some(fix("kubectl", annotate(&pairs)).and("manifest", manifest(&pairs)))
    };
    match layer.provider {
        Provider::IngressNginx => {
            let a = |k: &str| format!("nginx.ingress.kubernetes.io/{k}");
            match setting {
                "idle_timeout" => both(vec![(a("proxy-read-timeout"), secs(1, 86_400)?.to_string())]),
                "send_timeout" => both(vec![(a("proxy-send-timeout"), secs(1, 86_400)?.to_string())]),
                "connection_header" | "forwards_upgrade" => Some(fix(
                    "kubectl",
                    annotate(&[(a("connection-proxy-header"), String::new())]),
                ).and(
                    "manual",
                    "ingress-nginx sets Upgrade and Connection on every location by itself: remove the connection-proxy-header annotation and any configuration-snippet that sets these headers".into(),
                )),
                "upstream_http_version" => both(vec![(a("proxy-http-version"), "1.1".into())]),
                "buffering" => both(vec![(a("proxy-buffering"), "off".into())]),
                "stickiness" => both(vec![
                    (a("affinity"), "cookie".into()),
                    (a("affinity-mode"), "persistent".into()),
                ]),
                "drain_timeout" => {
                    let cm = layer.resource("configmap").unwrap_or("ingress-nginx/ingress-nginx-controller");
                    let (cns, cname) = cm.split_once('/')?;
                    let v = secs(1, 86_400)?;
                    Some(fix(
                        "kubectl",
                        format!("kubectl patch configmap -n {cns} {cname} --type merge \\\n  -p '{{\"data\":{{\"worker-shutdown-timeout\":\"{v}s\"}}}}'"),
                    ).and("helm", format!("controller.config.worker-shutdown-timeout: \"{v}s\"")))
                }
                _ => None,
            }
        }
        Provider::Alb => {
            let a = |k: &str| format!("alb.ingress.kubernetes.io/{k}");
            let note = " (the annotation is the whole list: keep the other attributes in it)";
            let with_note = |f: Option<Fix>| {
                f.map(|f| f.and("manual", format!("load-balancer-attributes and target-group-attributes are comma-separated key=value lists{note}")))
            };
            match setting {
                "idle_timeout" => with_note(both(vec![(
                    a("load-balancer-attributes"),
                    format!("idle_timeout.timeout_seconds={}", secs(1, 4000)?),
                )])),
                "client_keepalive" => with_note(both(vec![(
                    a("load-balancer-attributes"),
                    format!("client_keep_alive.seconds={}", secs(60, 604_800)?),
                )])),
                "stickiness" => with_note(both(vec![(
                    a("target-group-attributes"),
                    "stickiness.enabled=true,stickiness.type=lb_cookie,stickiness.lb_cookie.duration_seconds=86400".into(),
                )])),
                "drain_timeout" => with_note(both(vec![(
                    a("target-group-attributes"),
                    format!("deregistration_delay.timeout_seconds={}", secs(0, 3600)?),
                )])),
                "upstream_http_version" => both(vec![(a("backend-protocol-version"), "HTTP1".into())]),
                "access_log" => with_note(both(vec![(
                    a("load-balancer-attributes"),
                    "access_logs.s3.enabled=true,access_logs.s3.bucket=<log-bucket>".into(),
                )])),
                _ => None,
            }
        }
        Provider::F5NginxIngress => match setting {
            "idle_timeout" => both(vec![(
                "nginx.org/proxy-read-timeout".into(),
                format!("{}s", secs(1, 86_400)?),
            )]),
            "forwards_upgrade" | "connection_header" => {
                let svc = layer.resource("service")?;
                let svc = svc
                    .strip_prefix("service/")?
                    .split('/')
                    .nth(1)?
                    .split(':')
                    .next()?;
                both(vec![(
                    "nginx.org/websocket-services".into(),
                    svc.to_string(),
                )])
            }
            _ => None,
        },
        _ => None,
    }
}

// ---- CloudFront ----------------------------------------------------------------------------

/// `get-distribution-config`, one `jq` edit, `update-distribution` with the ETag: the CLI
/// cannot set one field of a distribution.
fn distribution_edit(id: &str, jq_path: &str, value: &str) -> String {
    format!(
        "aws cloudfront get-distribution-config --id {id} > dist.json\n\
         jq '.DistributionConfig | {jq_path} = {value}' dist.json > config.json\n\
         aws cloudfront update-distribution --id {id} --if-match \"$(jq -r .ETag dist.json)\" \\\n  --distribution-config file://config.json"
    )
}

fn behavior_path(label: &str) -> String {
    match label
        .strip_prefix("CacheBehaviors[")
        .and_then(|r| r.strip_suffix(']'))
    {
        Some(p) => format!("(.CacheBehaviors.Items[] | select(.PathPattern == \"{p}\"))"),
        None => ".DefaultCacheBehavior".to_string(),
    }
}

fn cloudfront(layer: &Layer, setting: &str, want: &Json) -> Option<Fix> {
    let id = layer.resource("distribution")?;
    let origin = layer.resource("origin");
    let origin_field = |field: &str, value: String, tf: String| {
        let o = origin?;
        Some(
            fix(
                "aws-cli",
                distribution_edit(
                    id,
                    &format!(
                        "(.Origins.Items[] | select(.Id == \"{o}\") | .CustomOriginConfig.{field})"
                    ),
                    &value,
                ),
            )
            .and(
                "terraform",
                format!(
                    "resource \"aws_cloudfront_distribution\": origin {{ origin_id = \"{o}\", custom_origin_config {{ {tf} }} }}"
                ),
            ),
        )
    };
    match setting {
        "idle_timeout" => Some(fix(
            "application",
            format!(
                "CloudFront's WebSocket idle timeout {HEARTBEAT_CDN}, and only origin-to-client bytes reset it: have the server send a ping or message at least every {} s",
                (layer.idle_timeout.value.map_or(600.0, |s| s.0) / 2.0).floor()
            ),
        )),
        "upstream_keepalive" => {
            let v = seconds_in(want, 1, 60)?;
            origin_field(
                "OriginKeepaliveTimeout",
                v.to_string(),
                format!("origin_keepalive_timeout = {v}"),
            )
        }
        "response_timeout" => {
            let v = seconds_in(want, 1, 120)?;
            origin_field(
                "OriginReadTimeout",
                v.to_string(),
                format!("origin_read_timeout = {v}"),
            )
        }
        "tls_to_origin" => origin_field(
            "OriginProtocolPolicy",
            "\"https-only\"".into(),
            "origin_protocol_policy = \"https-only\"".into(),
        ),
        "forwards_upgrade" => {
            let behavior = behavior_path(layer.resource("behavior")?);
            // The managed AllViewer policy forwards every viewer header, Upgrade and the
            // Sec-WebSocket-* headers included.
            Some(
                fix(
                    "aws-cli",
                    distribution_edit(
                        id,
                        &format!("{behavior}.OriginRequestPolicyId"),
                        "\"216adef6-5c7f-47e4-b989-5492eafa07d3\"",
                    ),
                )
                .and(
                    "terraform",
                    "resource \"aws_cloudfront_distribution\": the behavior's origin_request_policy_id = \"216adef6-5c7f-47e4-b989-5492eafa07d3\" (Managed-AllViewer)".into(),
                ),
            )
        }
        "access_log" => Some(
            fix(
                "aws-cli",
                distribution_edit(
                    id,
                    ".Logging",
                    "{\"Enabled\": true, \"IncludeCookies\": false, \"Bucket\": \"<log-bucket>.s3.amazonaws.com\", \"Prefix\": \"cloudfront/\"}",
                ),
            )
            .and(
                "terraform",
                "resource \"aws_cloudfront_distribution\": logging_config { bucket = \"<log-bucket>.s3.amazonaws.com\" }".into(),
            ),
        ),
        _ => None,
    }
}

// ---- Cloudflare ----------------------------------------------------------------------------

const CF_API: &str = "https://api.cloudflare.com/client/v4";

fn cloudflare_call(path: &str, body: &str) -> String {
    format!(
        "curl -X PATCH \"{CF_API}/{path}\" \\\n  -H \"Authorization: Bearer $CLOUDFLARE_API_TOKEN\" -H \"Content-Type: application/json\" \\\n  --data '{body}'"
    )
}

fn zone_id(layer: &Layer) -> Option<&str> {
    layer.locator.as_deref()?.strip_prefix("zone/")
}

fn zone_setting(layer: &Layer, id: &str, value: &str, dashboard: &str) -> Option<Fix> {
    let zone = zone_id(layer)?;
    Some(
        fix(
            "cloudflare-api",
            cloudflare_call(
                &format!("zones/{zone}/settings/{id}"),
                &format!("{{\"value\":\"{value}\"}}"),
            ),
        )
        .and("dashboard", dashboard.to_string())
        .and(
            "terraform",
            format!(
                "resource \"cloudflare_zone_setting\": setting_id = \"{id}\", value = \"{value}\" (provider v4: cloudflare_zone_settings_override settings {{ {id} = \"{value}\" }})"
            ),
        ),
    )
}

fn cloudflare(layer: &Layer, setting: &str, _want: &Json) -> Option<Fix> {
    match setting {
        "websocket" => zone_setting(layer, "websockets", "on", "Network → WebSockets: On"),
        "tls_to_origin" | "tls_from_client" => zone_setting(
            layer,
            "ssl",
            "strict",
            "SSL/TLS → Overview → encryption mode: Full (strict)",
        ),
        "idle_timeout" => Some(fix(
            "application",
            format!(
                "Cloudflare's WebSocket idle timeout {HEARTBEAT_CDN} on most plans: have the server send a ping or message at least every {} s",
                (layer.idle_timeout.value.map_or(100.0, |s| s.0) / 2.0).floor()
            ),
        )),
        "stickiness" => {
            let Origin::Explicit { locator, field, .. } = &layer.stickiness.origin else {
                return None;
            };
            let lb = locator.strip_prefix("zone/")?;
            let (zone, id) = lb.split_once("/load_balancers/")?;
            // The affinity comes from a load-balancing rule's override: patching the load
            // balancer's own `session_affinity` would change nothing for the requests that
            // rule matches. The API replaces `rules` whole, so the change is named on the rule.
            if let Some(rule) = field.as_deref().filter(|f| f.starts_with("rules[")) {
                let at = rule.split(" (").next().unwrap_or(rule);
                return Some(
                    fix(
                        "dashboard",
                        format!(
                            "Traffic → Load Balancing → load balancer {id} → Custom rules → the rule at {at}{}: remove its Session affinity override, or set it to By Cloudflare cookie only",
                            rule.strip_prefix(at).unwrap_or("")
                        ),
                    )
                    .and(
                        "cloudflare-api",
                        format!(
                            "GET {CF_API}/zones/{zone}/load_balancers/{id}, set {at}.session_affinity to \"cookie\" (or drop it) in the returned rules, and PUT the load balancer back: the API replaces rules as a whole"
                        ),
                    )
                    .and(
                        "terraform",
                        "resource \"cloudflare_load_balancer\": rules { overrides { session_affinity = \"cookie\" } } on that rule".into(),
                    ),
                );
            }
            Some(
                fix(
                    "cloudflare-api",
                    cloudflare_call(
                        &format!("zones/{zone}/load_balancers/{id}"),
                        "{\"session_affinity\":\"cookie\"}",
                    ),
                )
                .and(
                    "dashboard",
                    "Traffic → Load Balancing → the load balancer → Session affinity: By Cloudflare cookie only".into(),
                )
                .and(
                    "terraform",
                    "resource \"cloudflare_load_balancer\": session_affinity = \"cookie\"".into(),
                ),
            )
        }
        _ => None,
    }
}

// ---- nginx ---------------------------------------------------------------------------------

/// The directive(s) that give `setting` the value `want`, and whether they belong in the
/// `upstream` block or the main context instead of the location.
fn nginx_directives(layer: &Layer, setting: &str, want: &Json) -> Option<(Vec<String>, Scope)> {
    let directive_name = |default: &str| match layer.origin_of(setting) {
        Some(Origin::Explicit {
            field: Some(f),
            line: Some(_),
            ..
        }) if !f.contains(' ') => f.clone(),
        _ => default.to_string(),
    };
    let secs = |v: &Json| v.as_f64().map(|s| s.ceil() as u64);
    Some(match setting {
        "idle_timeout" => (
            vec![format!(
                "{} {}s;",
                directive_name("proxy_read_timeout"),
                secs(want)?
            )],
            Scope::Location,
        ),
        "forwards_upgrade" | "connection_header" => (
            vec![
                "proxy_http_version 1.1;".into(),
                "proxy_set_header Upgrade $http_upgrade;".into(),
                "proxy_set_header Connection $connection_upgrade;".into(),
                "# and once, in the http block:".into(),
                "map $http_upgrade $connection_upgrade { default upgrade; '' close; }".into(),
            ],
            Scope::Location,
        ),
        "upstream_http_version" => (vec!["proxy_http_version 1.1;".into()], Scope::Location),
        "buffering" => (vec!["proxy_buffering off;".into()], Scope::Location),
        "compression" => (vec!["gzip off;".into()], Scope::Location),
        "client_keepalive" => (
            vec![format!("keepalive_timeout {}s;", secs(want)?)],
            Scope::Location,
        ),
        "stickiness" => (
            vec!["hash $remote_addr consistent;   # or ip_hash;".into()],
            Scope::Upstream,
        ),
        "upstream_keepalive" => (
            vec![format!("keepalive_timeout {}s;", secs(want)?)],
            Scope::Upstream,
        ),
        "drain_timeout" => (
            vec![format!("worker_shutdown_timeout {}s;", secs(want)?)],
            Scope::Main,
        ),
        "access_log" => {
            let mut fields: Vec<String> = layer
                .access_log
                .value
                .as_ref()
                .map(|l| l.fields.clone())
                .unwrap_or_default();
            let wanted: Vec<String> = want
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|f| f.as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default();
            if fields.is_empty() {
                fields = ["remote_addr", "time_local", "request", "status"]
                    .map(String::from)
                    .to_vec();
            }
            for w in wanted {
                if !fields.contains(&w) {
                    fields.push(w);
                }
            }
            let format: Vec<String> = fields
                .iter()
                .map(|f| match f.as_str() {
                    "request" => "\"$request\"".to_string(),
                    "time_local" => "[$time_local]".to_string(),
                    other if other.starts_with("http_") => format!("\"${other}\""),
                    other => format!("${other}"),
                })
                .collect();
            let dest = layer
                .access_log
                .value
                .as_ref()
                .and_then(|l| l.destination.clone())
                .unwrap_or_else(|| "/var/log/nginx/access.log".into());
            (
                vec![
                    format!("access_log {dest} websocket;"),
                    "# and once, in the http block:".into(),
                    format!("log_format websocket '{}';", format.join(" ")),
                ],
                Scope::Location,
            )
        }
        _ => return None,
    })
}

#[derive(Clone, Copy, PartialEq)]
enum Scope {
    Location,
    Upstream,
    Main,
}

fn nginx(layer: &Layer, setting: &str, want: &Json) -> Option<Fix> {
    let (lines, scope) = nginx_directives(layer, setting, want)?;
    let body = lines
        .iter()
        .map(|l| format!("    {l}"))
        .collect::<Vec<_>>()
        .join("\n");
    let at = |file: &str, line: u32| format!("{file}:{line}");
    let place = match (scope, layer.origin_of(setting)) {
        // Written already: change it where it is.
        (
            _,
            Some(Origin::Explicit {
                locator,
                line: Some(line),
                field,
                ..
            }),
        ) if scope != Scope::Upstream || setting == "upstream_keepalive" => format!(
            "at {}, change `{}` to:",
            at(locator, *line),
            field.as_deref().unwrap_or(setting)
        ),
        (Scope::Upstream, _) => match layer.origin_of("targets") {
            Some(Origin::Explicit {
                locator,
                line: Some(line),
                ..
            }) => format!("in the upstream block at {}, add:", at(locator, *line)),
            _ => "in the upstream block the location proxies to, add:".to_string(),
        },
        (Scope::Main, _) => "in the main context of nginx.conf (outside http), add:".to_string(),
        (Scope::Location, _) => match &layer.defined_at {
            Some(b) => format!("in {} at {}, add:", block_name(layer), at(&b.file, b.line)),
            None => format!("in {}, add:", block_name(layer)),
        },
    };
    Some(fix(
        "nginx",
        format!("{place}\n{body}\nthen: nginx -t && nginx -s reload"),
    ))
}

/// `location /ws/` out of the layer's name (`server ws.example.com location /ws/`).
fn block_name(layer: &Layer) -> String {
    match layer.name.find("location ") {
        Some(i) => layer.name[i..].to_string(),
        None => layer.name.clone(),
    }
}

// ---- Caddy ---------------------------------------------------------------------------------

fn caddy(layer: &Layer, setting: &str, want: &Json) -> Option<Fix> {
    let file = layer.locator.as_deref()?;
    let handler = layer.resource("handler")?;
    let secs = |v: &Json| v.as_f64().map(|s| s.ceil() as u64);
    let (directive, json) = match setting {
        // Needs Caddy 2.7 or later; older versions close streams on every reload regardless.
        "drain_timeout" => {
            let v = secs(want)?;
            (
                format!("stream_close_delay {v}s   # Caddy 2.7+"),
                format!("\"stream_close_delay\": \"{v}s\""),
            )
        }
        "stickiness" => (
            "lb_policy cookie".to_string(),
            "\"load_balancing\": {\"selection_policy\": {\"policy\": \"cookie\"}}".to_string(),
        ),
        _ => return None,
    };
    Some(
        fix(
            "caddy",
            format!(
                "in the reverse_proxy block of {file} ({handler}), add:\n    {directive}\nthen: caddy reload --config {file}"
            ),
        )
        .and("caddy-json", format!("{handler}: {json}")),
    )
}

// ---- HAProxy -------------------------------------------------------------------------------

fn haproxy(layer: &Layer, setting: &str, want: &Json) -> Option<Fix> {
    let file = layer.locator.as_deref()?;
    let secs = |v: &Json| v.as_f64().map(|s| s.ceil() as u64);
    let section_at = |role: &str| -> Option<String> {
        let at = layer.resource(role)?;
        let kind = role;
        let name = match role {
            "backend" => layer.name.rsplit("backend ").next(),
            _ => layer
                .name
                .strip_prefix("frontend ")
                .or_else(|| layer.name.strip_prefix("listen "))
                .map(|n| n.split(" → ").next().unwrap_or(n)),
        }
        .unwrap_or("");
        Some(format!("in {kind} {name} at {at}"))
    };
    let written = |name: &str| match layer.origin_of(setting) {
        Some(Origin::Explicit {
            locator,
            line: Some(line),
            field: Some(f),
            ..
        }) if f.starts_with(name) => Some(format!(
            "at {locator}:{line}, change `{}` to:",
            f.split(" (").next().unwrap_or(f)
        )),
        _ => None,
    };
    let (place, lines): (String, Vec<String>) = match setting {
        "idle_timeout" => (
            written("timeout tunnel")
                .or_else(|| section_at("backend").map(|s| format!("{s}, add:")))
                .or_else(|| section_at("frontend").map(|s| format!("{s}, add:")))?,
            vec![format!("timeout tunnel {}s", secs(want)?)],
        ),
        "stickiness" => match &layer.balancing.origin {
            // One `balance` per section: change the one that is written.
            Origin::Explicit {
                locator,
                line: Some(line),
                field: Some(f),
                ..
            } if f.starts_with("balance") => (
                format!("at {locator}:{line}, change `{f}` to:"),
                vec!["balance source".into(), "hash-type consistent".into()],
            ),
            _ => (
                format!("{}, add:", section_at("backend")?),
                vec!["balance source".into(), "hash-type consistent".into()],
            ),
        },
        "access_log" => (
            format!("{}, add:", section_at("frontend")?),
            vec![
                "log global".into(),
                "option httplog   # %Tt: each WebSocket's lifetime; %s: its server".into(),
            ],
        ),
        "drain_timeout" => (
            "in the global section, add:".into(),
            vec![format!("hard-stop-after {}s", secs(want)?)],
        ),
        "forwards_upgrade" | "connection_header" => match layer.origin_of(setting) {
            Some(Origin::Explicit {
                locator,
                line: Some(line),
                field: Some(f),
                ..
            }) => (
                format!("at {locator}:{line}, remove (or narrow its condition):"),
                vec![f.clone()],
            ),
            _ => return None,
        },
        _ => return None,
    };
    let body = lines
        .iter()
        .map(|l| format!("    {l}"))
        .collect::<Vec<_>>()
        .join("\n");
    Some(fix(
        "haproxy",
        format!("{place}\n{body}\nthen: haproxy -c -f {file} && systemctl reload haproxy"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{LayerKind, Seconds, Setting, SourceLine};
    use serde_json::json;

    #[test]
    fn alb_idle_timeout_is_clamped_to_the_documented_range() {
        let mut l = Layer::new("alb", LayerKind::LoadBalancer, Provider::Alb, "web");
        l.locator = Some("arn:lb".into());
        let f = for_setting(&l, "idle_timeout", &json!(9000)).unwrap();
        assert!(
            f.text
                .contains("Key=idle_timeout.timeout_seconds,Value=4000"),
            "{}",
            f.text
        );
        assert!(f.text.contains("--load-balancer-arn arn:lb"));
        assert_eq!(f.also[0].kind, "terraform");
    }

    #[test]
    fn nginx_changes_a_written_directive_where_it_is() {
        let mut l = Layer::new(
            "nginx:x/ws/",
            LayerKind::ReverseProxy,
            Provider::Nginx,
            "server x location /ws/",
        );
        l.idle_timeout = Setting {
            value: Some(Seconds(30.0)),
            origin: Origin::Explicit {
                locator: "n.conf".into(),
                line: Some(7),
                column: Some(5),
                field: Some("proxy_read_timeout".into()),
            },
        };
        l.defined_at = Some(SourceLine {
            file: "n.conf".into(),
            line: 5,
        });
        let f = for_setting(&l, "idle_timeout", &json!(300)).unwrap();
        assert!(
            f.text
                .starts_with("at n.conf:7, change `proxy_read_timeout` to:"),
            "{}",
            f.text
        );
        assert!(f.text.contains("proxy_read_timeout 300s;"));
        let f = for_setting(&l, "buffering", &json!(false)).unwrap();
        assert!(
            f.text.starts_with("in location /ws/ at n.conf:5, add:"),
            "{}",
            f.text
        );
    }

    #[test]
    fn no_fix_without_the_resource_to_apply_it_to() {
        let l = Layer::new("alb", LayerKind::LoadBalancer, Provider::Alb, "web");
        assert!(for_setting(&l, "idle_timeout", &json!(300)).is_none());
        let mut l = Layer::new("alb", LayerKind::LoadBalancer, Provider::Alb, "web");
        l.locator = Some("arn:lb".into());
        assert!(for_setting(&l, "stickiness", &json!("cookie")).is_none());
    }
}
