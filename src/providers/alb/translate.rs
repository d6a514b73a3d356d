//! ELBv2 facts (a snapshot, free of SDK types) → one chain `Layer`.
//!
//! Every attribute AWS returns becomes an explicit setting on its ARN and key. An attribute
//! that is absent gets AWS's documented default, marked as such: real AWS always returns its
//! defaults, but the emulator (and older load balancers for newer keys) may omit them, and
//! "60 s because nobody set it" is exactly what a finding has to be able to say.

use super::{AlbSnapshot, CleartextEntry, LbKind, Rule, TargetGroupSnapshot};
use crate::model::{
    AccessLog, IdleResetBy, Layer, LayerKind, Origin, Provider, Seconds, Setting, Stickiness,
    WebsocketSupport,
};
use std::collections::BTreeMap;

const LB_ATTRS_DOC: &str =
    "https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_LoadBalancerAttribute.html";
const TG_ATTRS_DOC: &str =
    "https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_TargetGroupAttribute.html";
const ALB_LISTENERS_DOC: &str =
    "https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-listeners.html";
const ALB_TG_DOC: &str =
    "https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-target-groups.html";
const NLB_IDLE_DOC: &str =
    "https://docs.aws.amazon.com/elasticloadbalancing/latest/network/update-idle-timeout.html";
const NLB_INTRO_DOC: &str =
    "https://docs.aws.amazon.com/elasticloadbalancing/latest/network/introduction.html";
const ALB_ATTRS_DOC: &str =
    "https://docs.aws.amazon.com/elasticloadbalancing/latest/application/edit-load-balancer-attributes.html";
const ALB_LAMBDA_DOC: &str =
    "https://docs.aws.amazon.com/elasticloadbalancing/latest/application/lambda-functions.html";
const NLB_TG_DOC: &str =
    "https://docs.aws.amazon.com/elasticloadbalancing/latest/network/edit-target-group-attributes.html";

fn seconds_attr(
    attrs: &BTreeMap<String, String>,
    key: &str,
    locator: &str,
    default: f64,
    documented: &str,
    source: &str,
) -> Setting<Seconds> {
    match attrs.get(key) {
        Some(v) => match v.trim().parse::<f64>() {
            Ok(n) if n.is_finite() && n >= 0.0 => Setting::explicit_field(Seconds(n), locator, key),
            _ => Setting::unknown(format!("{key} is {v:?}, not a number of seconds")),
        },
        None => Setting::default_documented(Seconds(default), documented, source),
    }
}

fn bool_attr(attrs: &BTreeMap<String, String>, key: &str) -> Option<bool> {
    attrs
        .get(key)
        .map(|v| v.trim().eq_ignore_ascii_case("true"))
}

pub(super) fn to_layer(s: &AlbSnapshot) -> Layer {
    match s.lb.kind {
        LbKind::Network => nlb_layer(s),
        _ => alb_layer(s),
    }
}

fn alb_layer(s: &AlbSnapshot) -> Layer {
    let lb = &s.lb;
    let mut layer = Layer::new("alb", LayerKind::LoadBalancer, Provider::Alb, &lb.name);
    layer.locator = Some(lb.arn.clone());
    if let Ok(Some(listener)) = &s.listener {
        layer.add_resource("listener", &listener.arn);
    }
    layer.idle_timeout = seconds_attr(
        &lb.attributes,
        "idle_timeout.timeout_seconds",
        &lb.arn,
        60.0,
        "ALB idle timeout 60 s (idle_timeout.timeout_seconds, 1-4000 s)",
        LB_ATTRS_DOC,
    );
    layer.idle_reset_by = Setting::default_documented(
        IdleResetBy::Either,
        "any data byte in either direction resets the ALB idle timeout (HTTP/2 PING frames do not)",
        "https://docs.aws.amazon.com/elasticloadbalancing/latest/application/edit-load-balancer-attributes.html",
    );
    layer.max_duration =
        Setting::unknown("AWS documents no maximum WebSocket connection duration for ALB");
    // The idle timeout is what closes an idle client connection, keep-alive ones included:
    // it is the ALB's half of the race against an outer layer that pools connections to it
    // (Cloudflare, CloudFront, an nginx upstream).
    layer.client_keepalive = layer.idle_timeout.clone();
    // `client_keep_alive.seconds` is not an idle timer: the connection's lifetime, counted
    // from when it opens, whatever its traffic (provider-facts, corrections of 2026-12-01).
    layer.client_connection_lifetime = seconds_attr(
        &lb.attributes,
        "client_keep_alive.seconds",
        &lb.arn,
        3600.0,
        "ALB closes a client connection gracefully 3600 s after it opened, however busy \
         (client_keep_alive.seconds, 60-604800 s)",
        ALB_ATTRS_DOC,
    );
    // The ALB idle timeout governs its connections to targets too: it is the ALB's half of
    // the keep-alive 502 race against the backend's own keep-alive.
    layer.upstream_keepalive = layer.idle_timeout.clone();
    layer.websocket = Setting::default_documented(
        WebsocketSupport::Enabled,
        "ALB supports WebSockets natively on HTTP and HTTPS listeners",
        ALB_LISTENERS_DOC,
    );
    layer.forwards_upgrade = Setting::default_documented(
        true,
        "ALB passes the HTTP/1.1 Upgrade handshake to the target",
        ALB_LISTENERS_DOC,
    );
    if let Err(u) = &s.listener {
        layer.client_protocols = Setting::unknown(u.reason());
    }
    if let Ok(Some(listener)) = &s.listener {
        let https = listener
            .protocol
            .as_deref()
            .is_some_and(|p| p.eq_ignore_ascii_case("HTTPS"));
        layer.client_protocols = if !https {
            Setting::explicit_field(vec!["http1.1".to_string()], &listener.arn, "Protocol")
        } else {
            match bool_attr(&lb.attributes, "routing.http2.enabled") {
                Some(true) => Setting::explicit_field(
                    vec!["http1.1".into(), "h2".into()],
                    &lb.arn,
                    "routing.http2.enabled",
                ),
                Some(false) => Setting::explicit_field(
                    vec!["http1.1".into()],
                    &lb.arn,
                    "routing.http2.enabled",
                ),
                None => Setting::default_documented(
                    vec!["http1.1".into(), "h2".into()],
                    "HTTPS listeners accept HTTP/2 (routing.http2.enabled defaults to true)",
                    LB_ATTRS_DOC,
                ),
            }
        };
    }
    layer.access_log = access_log(&lb.attributes, &lb.arn);
    layer.cleartext_from_client = cleartext(s);
    fill_rule(&mut layer, s);
    fill_target_side(&mut layer, s);
    layer
}

/// What the matched rule does to the handshake before it forwards: authentication, and the
/// host and path its transforms send on.
fn fill_rule(layer: &mut Layer, s: &AlbSnapshot) {
    let rule = match &s.rule {
        Ok(Some(rule)) => rule,
        Ok(None) => return,
        Err(u) => {
            layer.handshake_auth = Setting::unknown(u.reason());
            return;
        }
    };
    let locator = match rule.priority {
        super::RulePriority::Default => s
            .listener
            .as_ref()
            .ok()
            .and_then(Option::as_ref)
            .map(|l| l.arn.clone())
            .unwrap_or_else(|| rule.arn.clone()),
        super::RulePriority::Number(_) => rule.arn.clone(),
    };
    layer.handshake_auth = match rule.auth.iter().find(|a| a.stops_anonymous()) {
        Some(a) => Setting::explicit_field(
            a.kind.clone(),
            &locator,
            format!(
                "{}[{}]{} ({})",
                rule.actions_field(),
                a.kind,
                a.on_unauthenticated
                    .as_deref()
                    .map(|o| format!(" OnUnauthenticatedRequest {o}"))
                    .unwrap_or_default(),
                a.answer()
            ),
        ),
        None if !rule.auth.is_empty() => Setting::explicit_field(
            "none".to_string(),
            &locator,
            format!(
                "{}[{}] OnUnauthenticatedRequest allow",
                rule.actions_field(),
                rule.auth[0].kind
            ),
        ),
        None => Setting::explicit_field(
            "none".to_string(),
            &locator,
            format!("{} (no authentication action)", rule.actions_field()),
        ),
    };
    let host = s.request_host.as_str();
    let path = s.request_path.as_str();
    if let Some((new_host, new_path)) = super::apply_transforms(&rule.transforms, host, path) {
        let kinds: Vec<&str> = rule.transforms.iter().map(|t| t.kind.as_str()).collect();
        layer.rewrites_request = Some(crate::model::RequestRewrite {
            host: new_host,
            path: new_path,
            locator: rule.arn.clone(),
            field: format!("Transforms[{}]", kinds.join(", ")),
        });
    }
}

/// What happens to a cleartext (`ws://`) handshake for the host and path, pointing at the
/// listener (or rule) that decides it.
fn cleartext(s: &AlbSnapshot) -> Setting<String> {
    let value = |v: &str| v.to_string();
    let entry = match &s.cleartext {
        Ok(entry) => entry,
        Err(u) => return Setting::unknown(u.reason()),
    };
    match entry {
        CleartextEntry::NoListener { port } => Setting::explicit_field(
            value("reject"),
            &s.lb.arn,
            format!("Listeners (none on port {port}: the TCP connection is refused)"),
        ),
        CleartextEntry::TlsListener(l) => Setting::explicit_field(
            value("reject"),
            &l.arn,
            format!(
                "Protocol {} on port {} (expects TLS)",
                l.protocol.as_deref().unwrap_or("?"),
                l.port.unwrap_or_default()
            ),
        ),
        CleartextEntry::Plain { listener, rule } => {
            // The listener's default rule is configured on the listener itself.
            let locator = match rule.priority {
                super::RulePriority::Default => &listener.arn,
                super::RulePriority::Number(_) => &rule.arn,
            };
            let field = format!(
                "{} on {}:{}",
                rule.actions_field(),
                listener.protocol.as_deref().unwrap_or("?"),
                listener.port.unwrap_or_default()
            );
            match rule.action.as_str() {
                "forward" => Setting::explicit_field(value("allow"), locator, field),
                "redirect" => Setting::explicit_field(
                    value("redirect"),
                    locator,
                    match &rule.redirect {
                        Some(to) => format!("{field}: redirect to {to}"),
                        None => format!("{field}: redirect"),
                    },
                ),
                // The handshake is answered by the load balancer and never reaches the app.
                "fixed-response" => Setting::explicit_field(
                    value("reject"),
                    locator,
                    format!("{field}: fixed-response"),
                ),
                other => Setting::unknown(format!("{field}: the terminal action is {other:?}")),
            }
        }
    }
}

fn nlb_layer(s: &AlbSnapshot) -> Layer {
    let lb = &s.lb;
    let mut layer = Layer::new("nlb", LayerKind::LoadBalancer, Provider::Nlb, &lb.name);
    layer.locator = Some(lb.arn.clone());
    if let Ok(Some(listener)) = &s.listener {
        layer.add_resource("listener", &listener.arn);
    }
    if let Err(u) = &s.listener {
        layer.idle_timeout = Setting::unknown(u.reason());
    }
    if let Ok(Some(listener)) = &s.listener {
        let proto = listener
            .protocol
            .as_deref()
            .unwrap_or("")
            .to_ascii_uppercase();
        layer.idle_timeout = match (proto.as_str(), &listener.attributes) {
            ("TCP" | "TCP_UDP", Err(u)) => Setting::unknown(u.reason()),
            // A WebSocket is a TCP flow: on a TCP_UDP listener the TCP idle timeout applies.
            ("TCP" | "TCP_UDP", Ok(attributes)) => seconds_attr(
                attributes,
                "tcp.idle_timeout.seconds",
                &listener.arn,
                350.0,
                "NLB TCP listener idle timeout 350 s (tcp.idle_timeout.seconds, 60-6000 s)",
                NLB_IDLE_DOC,
            ),
            ("TLS", _) => Setting::default_documented(
                Seconds(350.0),
                "NLB TLS listeners have a fixed 350 s idle timeout",
                NLB_IDLE_DOC,
            ),
            ("UDP", _) => Setting::default_documented(
                Seconds(120.0),
                "NLB UDP flows idle out after 120 s",
                NLB_IDLE_DOC,
            ),
            (other, _) => Setting::unknown(format!("NLB listener protocol {other:?}")),
        };
    }
    layer.idle_reset_by = Setting::default_documented(
        IdleResetBy::Either,
        "data in either direction, and TCP keepalive packets, reset the NLB idle timeout",
        NLB_IDLE_DOC,
    );
    layer.websocket = Setting::default_documented(
        WebsocketSupport::Enabled,
        "NLB forwards TCP; the WebSocket handshake passes through untouched",
        NLB_IDLE_DOC,
    );
    layer.forwards_upgrade =
        Setting::default_documented(true, "layer 4: headers are not touched", NLB_IDLE_DOC);
    layer.access_log = access_log(&lb.attributes, &lb.arn);
    layer.cleartext_from_client = cleartext(s);
    fill_target_side(&mut layer, s);
    // A layer-4 balancer does not choose an HTTP version; the client's passes through.
    layer.upstream_http_version =
        Setting::unknown("layer 4: the client's HTTP version passes through");
    // NLB has no algorithm setting (load_balancing.algorithm.type is an ALB attribute, even if
    // an emulator reports it on every target group): each flow is hashed to a target.
    layer.balancing = Setting::default_documented(
        "flow_hash".to_string(),
        "NLB picks a target per flow with a flow hash of protocol, source and destination \
         address and port (and the TCP sequence number)",
        NLB_INTRO_DOC,
    );
    layer
}

fn access_log(attrs: &BTreeMap<String, String>, arn: &str) -> Setting<AccessLog> {
    const KEY: &str = "access_logs.s3.enabled";
    match bool_attr(attrs, KEY) {
        Some(enabled) => {
            let destination = attrs
                .get("access_logs.s3.bucket")
                .filter(|b| !b.is_empty())
                .map(
                    |b| match attrs.get("access_logs.s3.prefix").filter(|p| !p.is_empty()) {
                        Some(p) => format!("s3://{b}/{p}"),
                        None => format!("s3://{b}"),
                    },
                );
            // ELB access log entries always carry the target address and the processing times.
            let fields = if enabled {
                ["client_addr", "upstream_addr", "request_time", "status"]
                    .map(String::from)
                    .to_vec()
            } else {
                Vec::new()
            };
            Setting::explicit_field(
                AccessLog {
                    enabled,
                    destination,
                    fields,
                },
                arn,
                KEY,
            )
        }
        None => Setting::default_documented(
            AccessLog {
                enabled: false,
                destination: None,
                fields: Vec::new(),
            },
            "ELB access logs are disabled by default (access_logs.s3.enabled)",
            LB_ATTRS_DOC,
        ),
    }
}

/// Target-group facts: protocol version, TLS to targets, stickiness, target count, draining.
/// With a weighted forward the least favourable target group speaks for the layer, since any
/// handshake may land on it.
fn fill_target_side(layer: &mut Layer, s: &AlbSnapshot) {
    let groups = match &s.target_groups {
        Ok(groups) => groups,
        Err(u) => {
            // Without the target groups nothing behind the listener is known.
            let why = u.reason();
            layer.targets = Setting::unknown(&why);
            layer.balancing = Setting::unknown(&why);
            layer.upstream_http_version = Setting::unknown(&why);
            layer.tls_to_origin = Setting::unknown(&why);
            layer.stickiness = Setting::unknown(&why);
            layer.drain_timeout = Setting::unknown(why);
            return;
        }
    };
    let rule = s.rule.as_ref().ok().and_then(Option::as_ref);
    let tgs: Vec<&TargetGroupSnapshot> = groups.iter().filter(|t| t.weight != Some(0)).collect();
    for tg in &tgs {
        layer.add_resource("target_group", &tg.arn);
    }
    let Some(first) = tgs.first() else {
        let why = match rule {
            Some(r) if r.action != "forward" => format!(
                "the matching rule's action is {} (no target group)",
                r.action
            ),
            Some(_) => "the matching rule forwards to no target group".to_string(),
            None => "no listener rule matches the domain and path".to_string(),
        };
        layer.targets = match rule {
            Some(r) => Setting::explicit_field(0, &r.arn, "Actions"),
            None => Setting::unknown(why.clone()),
        };
        layer.balancing = Setting::unknown(why.clone());
        layer.upstream_http_version = Setting::unknown(why);
        return;
    };

    // Each target group balances with its own algorithm; the first one that receives traffic
    // speaks for the layer (a weighted forward first picks a group at random by weight).
    layer.balancing = match first
        .attributes
        .as_ref()
        .map(|a| a.get("load_balancing.algorithm.type"))
    {
        Err(u) => Setting::unknown(u.reason()),
        Ok(Some(v)) if !v.trim().is_empty() => Setting::explicit_field(
            v.trim().to_string(),
            &first.arn,
            "load_balancing.algorithm.type",
        ),
        Ok(_) => Setting::default_documented(
            "round_robin".to_string(),
            "target groups balance round_robin by default (load_balancing.algorithm.type)",
            TG_ATTRS_DOC,
        ),
    };

    // Upstream HTTP version: HTTP1 unless a target group says otherwise.
    let worst = tgs
        .iter()
        .find(|t| {
            t.protocol_version
                .as_deref()
                .is_some_and(|v| !v.eq_ignore_ascii_case("HTTP1"))
        })
        .unwrap_or(first);
    layer.upstream_http_version = match worst.protocol_version.as_deref() {
        Some(v) => Setting::explicit_field(http_version(v), &worst.arn, "ProtocolVersion"),
        None if s.lb.kind == LbKind::Application => Setting::default_documented(
            "1.1".to_string(),
            "target groups speak HTTP/1.1 unless ProtocolVersion says HTTP2 or GRPC",
            ALB_TG_DOC,
        ),
        None => Setting::default(),
    };

    let plain = tgs.iter().find(|t| {
        !t.protocol
            .as_deref()
            .is_some_and(|p| p.eq_ignore_ascii_case("HTTPS") || p.eq_ignore_ascii_case("TLS"))
    });
    let tls_tg = plain.unwrap_or(first);
    if let Some(p) = &tls_tg.protocol {
        layer.tls_to_origin =
            Setting::explicit_field(plain.is_none(), &tls_tg.arn, format!("Protocol {p}"));
    }

    layer.stickiness = stickiness(s, rule, &tgs);
    target_kinds(layer, &tgs);

    // A sum with one group's count missing is no count at all.
    let total: Result<u32, _> = tgs.iter().map(|t| t.targets.as_ref()).sum();
    layer.targets = match total {
        Err(u) => Setting::unknown(u.reason()),
        Ok(total) if tgs.len() == 1 => {
            Setting::explicit_field(total, &first.arn, "DescribeTargetHealth")
        }
        Ok(total) => Setting::explicit_field(
            total,
            rule.map(|r| r.arn.as_str()).unwrap_or(&first.arn),
            "forward target groups (DescribeTargetHealth)",
        ),
    };

    if s.lb.kind == LbKind::Network {
        nlb_draining(layer, &tgs);
        return;
    }
    layer.drain_timeout = shortest(tgs.iter().map(|t| match &t.attributes {
        Ok(attributes) => seconds_attr(
            attributes,
            "deregistration_delay.timeout_seconds",
            &t.arn,
            300.0,
            "deregistration delay 300 s (deregistration_delay.timeout_seconds, 0-3600 s)",
            TG_ATTRS_DOC,
        ),
        Err(u) => Setting::unknown(u.reason()),
    }));
}

/// The shortest known of several settings (the group that cuts first speaks for the layer).
fn shortest(all: impl Iterator<Item = Setting<Seconds>>) -> Setting<Seconds> {
    all.min_by(|a, b| {
        let v = |s: &Setting<Seconds>| s.value.map(|x| x.0).unwrap_or(f64::INFINITY);
        v(a).total_cmp(&v(b))
    })
    .unwrap_or_default()
}

/// Target groups whose targets cannot carry a WebSocket: a Lambda function (ALB rejects the
/// upgrade with 400) or a group with the target optimizer on. Any such group receiving
/// traffic makes WebSockets fail for the handshakes it gets.
fn target_kinds(layer: &mut Layer, tgs: &[&TargetGroupSnapshot]) {
    if let Some(t) = tgs.iter().find(|t| {
        t.target_type
            .as_deref()
            .is_some_and(|k| k.eq_ignore_ascii_case("lambda"))
    }) {
        layer.websocket = Setting::explicit_field(
            WebsocketSupport::Disabled,
            &t.arn,
            format!(
                "TargetType lambda (Lambda targets do not support WebSockets: the upgrade is \
                 answered 400, {ALB_LAMBDA_DOC})"
            ),
        );
    } else if let Some(t) = tgs.iter().find(|t| t.target_control_port.is_some()) {
        layer.websocket = Setting::explicit_field(
            WebsocketSupport::Disabled,
            &t.arn,
            format!(
                "TargetControlPort {} (the target optimizer is on; requests to such target \
                 groups do not support WebSockets)",
                t.target_control_port.unwrap_or_default()
            ),
        );
    }
}

/// NLB draining: at the end of `deregistration_delay.timeout_seconds` open connections are
/// closed only when `deregistration_delay.connection_termination.enabled` (default true for
/// UDP/TCP_UDP groups, false otherwise); connections to a target failing its health checks
/// are reset unless `target_health_state.unhealthy.connection_termination.enabled` is false
/// (default true), after `target_health_state.unhealthy.draining_interval_seconds` (0 s).
fn nlb_draining(layer: &mut Layer, tgs: &[&TargetGroupSnapshot]) {
    const TERMINATE: &str = "deregistration_delay.connection_termination.enabled";
    const UNHEALTHY: &str = "target_health_state.unhealthy.connection_termination.enabled";
    const UNHEALTHY_DRAIN: &str = "target_health_state.unhealthy.draining_interval_seconds";
    let udp = |t: &TargetGroupSnapshot| {
        matches!(
            t.protocol
                .as_deref()
                .map(str::to_ascii_uppercase)
                .as_deref(),
            Some("UDP") | Some("TCP_UDP")
        )
    };
    layer.drain_timeout = shortest(tgs.iter().map(|t| {
        let a = match &t.attributes {
            Ok(a) => a,
            Err(u) => return Setting::unknown(u.reason()),
        };
        let terminates = bool_attr(a, TERMINATE).unwrap_or_else(|| udp(t));
        if !terminates {
            return Setting::unknown(format!(
                "{} keeps open connections past deregistration_delay.timeout_seconds \
                 ({TERMINATE} {}): a deploy does not cut them, they end when they close or \
                 idle out",
                t.name,
                if a.contains_key(TERMINATE) {
                    "false"
                } else {
                    "false by default"
                }
            ));
        }
        let mut delay = seconds_attr(
            a,
            "deregistration_delay.timeout_seconds",
            &t.arn,
            300.0,
            "NLB closes connections still open 300 s after deregistration \
             (deregistration_delay.timeout_seconds, with connection termination on)",
            NLB_TG_DOC,
        );
        if let Origin::Explicit { field, .. } = &mut delay.origin {
            *field = Some(format!(
                "deregistration_delay.timeout_seconds with {TERMINATE} true"
            ));
        }
        delay
    }));
    layer.unhealthy_drain_timeout = shortest(tgs.iter().map(|t| {
        let a = match &t.attributes {
            Ok(a) => a,
            Err(u) => return Setting::unknown(u.reason()),
        };
        // UDP and TCP_UDP groups cannot enable it.
        let terminates = bool_attr(a, UNHEALTHY).unwrap_or(!udp(t));
        if !terminates {
            return Setting::unknown(format!(
                "{} keeps connections to unhealthy targets open ({UNHEALTHY} false)",
                t.name
            ));
        }
        match (a.get(UNHEALTHY), a.get(UNHEALTHY_DRAIN)) {
            (_, Some(_)) => seconds_attr(a, UNHEALTHY_DRAIN, &t.arn, 0.0, "", NLB_TG_DOC),
            (Some(_), None) => Setting::explicit_field(Seconds(0.0), &t.arn, UNHEALTHY),
            (None, None) => Setting::default_documented(
                Seconds(0.0),
                "NLB resets connections to a target as soon as it fails its health checks \
                 (target_health_state.unhealthy.connection_termination.enabled defaults to \
                 true, draining_interval_seconds to 0)",
                NLB_TG_DOC,
            ),
        }
    }));
}

fn http_version(protocol_version: &str) -> String {
    match protocol_version.to_ascii_uppercase().as_str() {
        "HTTP1" => "1.1".into(),
        "HTTP2" => "2".into(),
        "GRPC" => "grpc".into(),
        other => other.to_ascii_lowercase(),
    }
}

fn stickiness(
    s: &AlbSnapshot,
    rule: Option<&Rule>,
    tgs: &[&TargetGroupSnapshot],
) -> Setting<Stickiness> {
    // Across several weighted target groups a client stays put only if group-level
    // stickiness is on as well.
    if tgs.len() > 1 {
        let group = rule
            .and_then(|r| r.forward.as_ref())
            .and_then(|f| f.group_stickiness);
        if group.is_none_or(|(enabled, _)| !enabled) {
            let locator = rule.map(|r| r.arn.clone()).unwrap_or_default();
            return Setting::explicit_field(
                Stickiness::none(),
                locator,
                "ForwardConfig.TargetGroupStickinessConfig.Enabled",
            );
        }
    }
    let tg = tgs[0];
    let a = match &tg.attributes {
        Ok(a) => a,
        Err(u) => return Setting::unknown(u.reason()),
    };
    let Some(enabled) = bool_attr(a, "stickiness.enabled") else {
        return Setting::default_documented(
            Stickiness::none(),
            "target group stickiness is disabled by default (stickiness.enabled)",
            TG_ATTRS_DOC,
        );
    };
    if !enabled {
        return Setting::explicit_field(Stickiness::none(), &tg.arn, "stickiness.enabled");
    }
    let kind = a
        .get("stickiness.type")
        .map(|t| t.to_ascii_lowercase())
        .unwrap_or_else(|| {
            if s.lb.kind == LbKind::Network {
                "source_ip".into()
            } else {
                "lb_cookie".into()
            }
        });
    let ttl = |key: &str| {
        a.get(key)
            .and_then(|v| v.trim().parse::<f64>().ok())
            .or(Some(86400.0))
            .map(Seconds)
    };
    let value = match kind.as_str() {
        "lb_cookie" => Stickiness {
            mode: "cookie".into(),
            key: Some("AWSALB".into()),
            ttl_s: ttl("stickiness.lb_cookie.duration_seconds"),
        },
        "app_cookie" => Stickiness {
            mode: "cookie".into(),
            key: a.get("stickiness.app_cookie.cookie_name").cloned(),
            ttl_s: ttl("stickiness.app_cookie.duration_seconds"),
        },
        other => Stickiness {
            mode: other.to_string(),
            key: None,
            ttl_s: None,
        },
    };
    Setting::explicit_field(value, &tg.arn, "stickiness.type")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Origin;
    use crate::providers::alb::{
        Forward, ListenerSnapshot, LoadBalancerSnapshot, Rule, RulePriority, TargetGroupRef,
    };

    fn snapshot(kind: LbKind, protocol: &str, tgs: Vec<TargetGroupSnapshot>) -> AlbSnapshot {
        let listener = ListenerSnapshot {
            arn: "arn:listener".into(),
            port: Some(443),
            protocol: Some(protocol.into()),
            attributes: Ok(BTreeMap::new()),
        };
        AlbSnapshot {
            request_host: "ws.example.com".into(),
            request_path: "/ws/".into(),
            lb: LoadBalancerSnapshot {
                arn: "arn:lb".into(),
                name: "web".into(),
                dns_name: "web-1.us-east-1.elb.amazonaws.com".into(),
                kind,
                attributes: BTreeMap::new(),
            },
            listeners: Ok(vec![listener.clone()]),
            listener: Ok(Some(listener)),
            rule: Ok(Some(Rule {
                arn: "arn:rule".into(),
                priority: RulePriority::Number(1),
                conditions: vec![],
                action: "forward".into(),
                forward: Some(Forward {
                    target_groups: tgs
                        .iter()
                        .map(|t| TargetGroupRef {
                            arn: t.arn.clone(),
                            weight: t.weight,
                        })
                        .collect(),
                    group_stickiness: None,
                }),
                redirect: None,
                transforms: vec![],
                auth: vec![],
            })),
            target_groups: Ok(tgs),
            cleartext: Ok(CleartextEntry::NoListener { port: 80 }),
        }
    }

    fn tg(
        arn: &str,
        version: Option<&str>,
        weight: Option<i32>,
        targets: u32,
    ) -> TargetGroupSnapshot {
        TargetGroupSnapshot {
            arn: arn.into(),
            name: arn.into(),
            protocol: Some("HTTP".into()),
            protocol_version: version.map(str::to_string),
            target_type: Some("ip".into()),
            target_control_port: None,
            weight,
            attributes: Ok(BTreeMap::new()),
            targets: Ok(targets),
        }
    }

    #[test]
    fn absent_attributes_are_documented_defaults() {
        let l = to_layer(&snapshot(
            LbKind::Application,
            "HTTPS",
            vec![tg("a", None, None, 2)],
        ));
        assert_eq!(l.idle_timeout.value, Some(Seconds(60.0)));
        assert!(matches!(l.idle_timeout.origin, Origin::Default { .. }));
        assert_eq!(l.upstream_keepalive, l.idle_timeout);
        assert_eq!(l.client_protocols.value.unwrap(), vec!["http1.1", "h2"]);
        assert_eq!(l.upstream_http_version.value.as_deref(), Some("1.1"));
        assert_eq!(l.stickiness.value.unwrap().mode, "none");
        assert_eq!(l.tls_to_origin.value, Some(false));
        assert_eq!(l.balancing.value.as_deref(), Some("round_robin"));
        assert!(matches!(
            l.balancing.origin,
            Origin::Default { source: Some(ref s), .. } if s == TG_ATTRS_DOC
        ));
    }

    #[test]
    fn weighted_groups_report_the_least_favourable_and_skip_weight_zero() {
        let s = snapshot(
            LbKind::Application,
            "HTTP",
            vec![
                tg("h1", Some("HTTP1"), Some(90), 2),
                tg("h2", Some("HTTP2"), Some(10), 1),
                tg("off", Some("GRPC"), Some(0), 5),
            ],
        );
        let l = to_layer(&s);
        assert_eq!(l.upstream_http_version.value.as_deref(), Some("2"));
        assert_eq!(l.targets.value, Some(3));
        assert_eq!(l.stickiness.value.unwrap().mode, "none");
    }

    #[test]
    fn nlb_tls_listener_has_a_fixed_idle_timeout() {
        let l = to_layer(&snapshot(
            LbKind::Network,
            "TLS",
            vec![tg("t", None, None, 1)],
        ));
        assert_eq!((l.id.as_str(), l.provider), ("nlb", Provider::Nlb));
        assert_eq!(l.idle_timeout.value, Some(Seconds(350.0)));
        assert!(l.upstream_http_version.value.is_none());
        assert_eq!(l.balancing.value.as_deref(), Some("flow_hash"));
        assert!(matches!(l.balancing.origin, Origin::Default { .. }));
    }

    #[test]
    fn cleartext_handshakes_are_allowed_redirected_or_refused_by_the_deciding_listener() {
        let http = ListenerSnapshot {
            arn: "arn:listener/80".into(),
            port: Some(80),
            protocol: Some("HTTP".into()),
            attributes: Ok(BTreeMap::new()),
        };
        let rule = |priority, action: &str, redirect: Option<&str>| Rule {
            arn: "arn:rule/7".into(),
            priority,
            conditions: vec![],
            action: action.into(),
            forward: None,
            redirect: redirect.map(str::to_string),
            transforms: vec![],
            auth: vec![],
        };
        let cleartext_of = |entry: CleartextEntry| {
            let mut s = snapshot(LbKind::Application, "HTTPS", vec![tg("a", None, None, 1)]);
            s.cleartext = Ok(entry);
            let c = to_layer(&s).cleartext_from_client;
            let Origin::Explicit { locator, field, .. } = c.origin else {
                panic!("{:?}", c.origin)
            };
            (c.value.unwrap(), locator, field.unwrap())
        };
        assert_eq!(
            cleartext_of(CleartextEntry::Plain {
                listener: http.clone(),
                rule: rule(
                    RulePriority::Default,
                    "redirect",
                    Some("HTTPS:443 (HTTP_301)")
                ),
            }),
            (
                "redirect".into(),
                "arn:listener/80".into(),
                "DefaultActions on HTTP:80: redirect to HTTPS:443 (HTTP_301)".into()
            )
        );
        assert_eq!(
            cleartext_of(CleartextEntry::Plain {
                listener: http.clone(),
                rule: rule(RulePriority::Number(7), "forward", None),
            }),
            (
                "allow".into(),
                "arn:rule/7".into(),
                "Actions on HTTP:80".into()
            )
        );
        assert_eq!(
            cleartext_of(CleartextEntry::Plain {
                listener: http.clone(),
                rule: rule(RulePriority::Number(7), "fixed-response", None),
            })
            .0,
            "reject"
        );
        let tls80 = ListenerSnapshot {
            protocol: Some("HTTPS".into()),
            ..http
        };
        assert_eq!(
            cleartext_of(CleartextEntry::TlsListener(tls80)),
            (
                "reject".into(),
                "arn:listener/80".into(),
                "Protocol HTTPS on port 80 (expects TLS)".into()
            )
        );
        assert_eq!(
            cleartext_of(CleartextEntry::NoListener { port: 80 }).1,
            "arn:lb"
        );
    }

    #[test]
    fn a_non_numeric_attribute_is_unknown_not_a_default() {
        let mut s = snapshot(LbKind::Application, "HTTP", vec![tg("a", None, None, 1)]);
        s.lb.attributes
            .insert("idle_timeout.timeout_seconds".into(), "soon".into());
        let l = to_layer(&s);
        assert!(l.idle_timeout.value.is_none());
    }

    #[test]
    fn an_unread_call_leaves_only_what_depends_on_it_unknown() {
        use crate::providers::alb::Unread;
        use crate::providers::aws::AwsError;
        let denied = |action: &'static str| Unread {
            action,
            error: AwsError::AccessDenied {
                action: action.into(),
                code: "AccessDenied".into(),
            },
        };
        let mut health = tg("a", None, None, 2);
        health.targets = Err(denied("elasticloadbalancing:DescribeTargetHealth"));
        let s = snapshot(LbKind::Application, "HTTPS", vec![health]);
        let l = to_layer(&s);
        assert!(l.targets.value.is_none());
        assert!(
            l.targets.origin.describe().contains("DescribeTargetHealth"),
            "{:?}",
            l.targets.origin
        );
        // The attributes were read: the documented defaults still hold.
        assert_eq!(l.idle_timeout.value, Some(Seconds(60.0)));
        assert_eq!(l.stickiness.value.unwrap().mode, "none");
        assert_eq!(s.failures().len(), 1);

        // Unread attributes must not read as "stickiness off by default".
        let mut attrs = tg("a", None, None, 2);
        attrs.attributes = Err(denied("elasticloadbalancing:DescribeTargetGroupAttributes"));
        let l = to_layer(&snapshot(LbKind::Application, "HTTPS", vec![attrs]));
        assert!(l.stickiness.value.is_none());
        assert!(l.balancing.value.is_none());
        assert!(l.drain_timeout.value.is_none());
        assert_eq!(l.targets.value, Some(2));

        // An unread rule leaves the whole target side unknown, and is one failure.
        let mut s = snapshot(LbKind::Application, "HTTPS", vec![tg("a", None, None, 2)]);
        let rules = denied("elasticloadbalancing:DescribeRules");
        s.rule = Err(rules.clone());
        s.target_groups = Err(rules);
        let l = to_layer(&s);
        assert!(l.targets.value.is_none() && l.upstream_http_version.value.is_none());
        assert_eq!(l.client_protocols.value.unwrap(), vec!["http1.1", "h2"]);
        assert_eq!(s.failures().len(), 1);
    }

    #[test]
    fn nlb_termination_defaults_follow_the_group_protocol() {
        let mut udp = tg("udp", None, None, 1);
        udp.protocol = Some("TCP_UDP".into());
        let l = to_layer(&snapshot(LbKind::Network, "TCP_UDP", vec![udp]));
        // TCP_UDP groups terminate at the end of the delay by default, and cannot reset
        // connections of unhealthy targets.
        assert_eq!(l.drain_timeout.value, Some(Seconds(300.0)));
        assert!(l.unhealthy_drain_timeout.value.is_none());
        assert_eq!(l.idle_timeout.value, Some(Seconds(350.0)));

        let mut tcp = tg("tcp", None, None, 1);
        tcp.protocol = Some("TCP".into());
        let mut attrs = BTreeMap::new();
        attrs.insert(
            "target_health_state.unhealthy.connection_termination.enabled".to_string(),
            "false".to_string(),
        );
        attrs.insert(
            "deregistration_delay.connection_termination.enabled".to_string(),
            "false".to_string(),
        );
        tcp.attributes = Ok(attrs);
        let l = to_layer(&snapshot(LbKind::Network, "TCP", vec![tcp]));
        assert!(l.drain_timeout.value.is_none());
        assert!(l.unhealthy_drain_timeout.value.is_none());
    }

    #[test]
    fn authentication_and_lambda_targets_reach_the_layer() {
        use crate::providers::alb::AuthAction;
        let mut lambda = tg("fn", None, None, 1);
        lambda.target_type = Some("lambda".into());
        let mut s = snapshot(LbKind::Application, "HTTPS", vec![lambda]);
        if let Ok(Some(rule)) = &mut s.rule {
            rule.auth = vec![
                AuthAction {
                    kind: "authenticate-cognito".into(),
                    on_unauthenticated: Some("allow".into()),
                    order: Some(1),
                },
                AuthAction {
                    kind: "jwt-validation".into(),
                    on_unauthenticated: None,
                    order: Some(2),
                },
            ];
        }
        let l = to_layer(&s);
        assert_eq!(l.websocket.value, Some(WebsocketSupport::Disabled));
        // `allow` lets an anonymous handshake through; the JWT check after it does not.
        assert_eq!(l.handshake_auth.value.as_deref(), Some("jwt-validation"));
        assert!(l
            .handshake_auth
            .origin
            .describe()
            .contains("401 without a valid bearer token"));
        // client_keep_alive.seconds is a lifetime; idle keep-alive is the idle timeout.
        assert_eq!(l.client_keepalive, l.idle_timeout);
        assert_eq!(l.client_connection_lifetime.value, Some(Seconds(3600.0)));
    }
}
