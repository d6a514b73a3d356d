//! Planned resources → the same snapshots the live providers read → the same translations
//! (`alb::layer_of`, `cloudfront::layer_of`, `cloudflare::build_layer`), so a planned layer and
//! a live one carry the same defaults and compare like with like.
//!
//! A snapshot only holds known values. What the code leaves unset is absent, so the live
//! translation's documented default applies; what is unknown until deploy is absent too and
//! then overridden as unknown with its reason, never left as a default. Every explicit value's
//! origin is then pointed from the synthetic identifiers the snapshot carries (the resource's
//! address in place of its ARN, the API field) at the resource and attribute as the code
//! spells them, with the template's line and column when there is one.

use super::inventory::*;
use crate::model::{Layer, Scheme};
use crate::providers::alb::{
    self, pick_rule, AlbSnapshot, CleartextEntry, Forward, LbKind, ListenerSnapshot,
    LoadBalancerSnapshot, Rule, RulePriority, TargetGroupRef, TargetGroupSnapshot, CLEARTEXT_PORT,
};
use crate::providers::cloudflare::{
    self, Backends, DnsRecord, LoadBalancer, Pool, PoolOrigin, SessionAffinityAttributes,
    SettingValue, Zone, ZoneSettings,
};
use crate::providers::cloudfront::{
    self, pick_behavior, BehaviorSnapshot, CustomOrigin, DistributionSnapshot, OriginSnapshot,
    PolicySnapshot,
};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};

/// How the settings of one planned layer trace back to the code.
#[derive(Debug, Default)]
pub(super) struct Provenance {
    /// Per synthetic locator: API field prefixes and where the code writes them.
    fields: HashMap<String, Vec<(String, Prov)>>,
    /// Settings unknown until deploy, and why.
    overrides: Vec<(&'static str, String)>,
}

impl Provenance {
    fn field(&mut self, locator: &str, api: impl Into<String>, prov: &Prov) {
        self.fields
            .entry(locator.to_string())
            .or_default()
            .push((api.into(), prov.clone()));
    }

    fn unknown(&mut self, settings: &[&'static str], reason: &str) {
        for s in settings {
            if !self.overrides.iter().any(|(k, _)| k == s) {
                self.overrides.push((s, reason.to_string()));
            }
        }
    }

    /// Known values go into the snapshot's map; unknown ones are overridden.
    fn attrs(
        &mut self,
        locator: &str,
        attrs: &BTreeMap<String, Val<String>>,
        settings_of: impl Fn(&str) -> &'static [&'static str],
    ) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        for (k, v) in attrs {
            self.field(locator, k.clone(), v.prov());
            match v {
                Val::Known(s, _) => {
                    out.insert(k.clone(), s.clone());
                }
                Val::Unknown(reason, _) => self.unknown(settings_of(k), reason),
            }
        }
        out
    }

    /// Points the layer's explicit origins at the code and applies the overrides.
    pub(super) fn finish(&self, mut layer: Layer, inv: &Inventory, key: &str) -> Layer {
        if let Some((file, line)) = inv.defined_at(key) {
            layer.defined_at = Some(crate::model::SourceLine { file, line });
        }
        let Ok(mut json) = serde_json::to_value(&layer) else {
            return layer;
        };
        if let Some(obj) = json.as_object_mut() {
            for (_, v) in obj.iter_mut() {
                let Some(origin) = v.get_mut("origin") else {
                    continue;
                };
                if origin.get("kind").and_then(Value::as_str) != Some("explicit") {
                    continue;
                }
                let locator = origin
                    .get("locator")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                let field = origin
                    .get("field")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                let Some(list) = self.fields.get(locator) else {
                    continue;
                };
                let best = list
                    .iter()
                    .filter(|(api, _)| field.starts_with(api.as_str()))
                    .max_by_key(|(api, _)| api.len());
                if let Some((_, p)) = best {
                    *origin = origin_json(p, inv);
                }
            }
            for (setting, reason) in &self.overrides {
                if let Some(v) = obj.get_mut(*setting) {
                    *v = serde_json::json!({"value": null, "origin": {"kind": "unknown", "reason": reason}});
                }
            }
        }
        serde_json::from_value(json).unwrap_or(layer)
    }
}

fn origin_json(p: &Prov, inv: &Inventory) -> Value {
    let at = match (inv.kind, p.pos) {
        (SourceKind::CloudFormation, Some((line, col))) if line > 0 => {
            Some((inv.file.clone(), line, col))
        }
        (SourceKind::TerraformPlan, _) => inv
            .tf_source
            .as_ref()
            .and_then(|s| s.locate(&p.resource, &p.attr)),
        _ => None,
    };
    match at {
        Some((file, line, col)) => serde_json::json!({
            "kind": "explicit", "locator": file, "line": line, "column": col,
            "field": format!("{}.{}", p.resource, p.attr),
        }),
        None => serde_json::json!({"kind": "explicit", "locator": p.resource, "field": p.attr}),
    }
}

/// The identifier a layer's `locator` carries for a planned resource.
pub(super) fn resource_locator(inv: &Inventory, key: &str) -> String {
    match inv.kind {
        SourceKind::TerraformPlan => key.to_string(),
        SourceKind::CloudFormation => format!("{}#{key}", inv.file),
    }
}

fn lb_settings(k: &str) -> &'static [&'static str] {
    match k {
        "idle_timeout.timeout_seconds" => &["idle_timeout", "upstream_keepalive"],
        "client_keep_alive.seconds" => &["client_keepalive"],
        "routing.http2.enabled" => &["client_protocols"],
        k if k.starts_with("access_logs.") => &["access_log"],
        _ => &[],
    }
}

fn listener_settings(k: &str) -> &'static [&'static str] {
    match k {
        "tcp.idle_timeout.seconds" => &["idle_timeout"],
        _ => &[],
    }
}

fn tg_settings(k: &str) -> &'static [&'static str] {
    match k {
        "deregistration_delay.timeout_seconds" => &["drain_timeout"],
        "load_balancing.algorithm.type" => &["balancing"],
        k if k.starts_with("stickiness.") => &["stickiness"],
        _ => &[],
    }
}

/// The load balancer a chain reaches, and what the next hop asked of it.
pub(super) struct LbHop<'a> {
    pub lb: &'a PLb,
    pub host: String,
    pub path: String,
    pub port: Option<u16>,
}

fn terminal(actions: &[PAction]) -> Option<&PAction> {
    let mut sorted: Vec<&PAction> = actions.iter().collect();
    sorted.sort_by_key(|a| a.order.unwrap_or(i64::MAX));
    sorted
        .into_iter()
        .rev()
        .find(|a| !a.kind.starts_with("authenticate"))
}

struct RuleBuild<'a> {
    rule: Rule,
    action: Option<&'a PAction>,
}

fn build_rule<'a>(
    inv: &'a Inventory,
    key: &str,
    priority: RulePriority,
    conditions: Vec<crate::providers::alb::Condition>,
    actions: &'a [PAction],
) -> RuleBuild<'a> {
    let action = terminal(actions);
    let forward = action.and_then(|a| {
        let mut groups: Vec<TargetGroupRef> = Vec::new();
        let mut add = |link: &Link, weight: Option<i32>| {
            let found: Vec<&PTg> = inv
                .target_groups
                .iter()
                .filter(|t| links_to(link, &t.key, &t.ids))
                .collect();
            if found.is_empty() {
                groups.push(TargetGroupRef {
                    arn: format!("outside-plan:{}", link.describe()),
                    weight,
                });
            }
            for t in found {
                groups.push(TargetGroupRef {
                    arn: t.key.clone(),
                    weight,
                });
            }
        };
        if !a.forward.is_empty() {
            for (l, w) in &a.forward {
                add(l, *w);
            }
        } else if let Some(l) = &a.target_group {
            add(l, None);
        }
        (!groups.is_empty()).then_some(Forward {
            target_groups: groups,
            group_stickiness: a.group_stickiness,
        })
    });
    RuleBuild {
        rule: Rule {
            arn: key.to_string(),
            priority,
            conditions,
            action: action.map(|a| a.kind.clone()).unwrap_or_default(),
            forward,
            redirect: action.and_then(|a| a.redirect.clone()),
            // Planned transforms and authentication actions are not read from code yet.
            transforms: Vec::new(),
            auth: Vec::new(),
        },
        action,
    }
}

fn listener_snapshot(l: &PListener, p: &mut Provenance) -> ListenerSnapshot {
    if let Some(v) = &l.protocol {
        p.field(&l.key, "Protocol", v.prov());
        if let Val::Unknown(reason, _) = v {
            p.unknown(&["client_protocols", "cleartext_from_client"], reason);
        }
    }
    ListenerSnapshot {
        arn: l.key.clone(),
        port: l.port.and_then(|p| i32::try_from(p).ok()),
        protocol: l.protocol.as_ref().and_then(Val::known).cloned(),
        attributes: Ok(p.attrs(&l.key, &l.attrs, listener_settings)),
    }
}

/// The rules of a listener, its default rule included, with the actions they were built from.
fn listener_rules<'a>(inv: &'a Inventory, l: &'a PListener) -> Vec<RuleBuild<'a>> {
    let mut out: Vec<RuleBuild> = inv
        .rules
        .iter()
        .filter(|r| links_to(&r.listener, &l.key, &l.ids))
        .map(|r| {
            // A priority known only after apply cannot be ordered: it goes after the others.
            let priority = RulePriority::Number(r.priority.unwrap_or(u32::MAX - 1));
            build_rule(inv, &r.key, priority, r.conditions.clone(), &r.actions)
        })
        .collect();
    out.push(build_rule(
        inv,
        &l.key,
        RulePriority::Default,
        Vec::new(),
        &l.default_actions,
    ));
    out
}

fn speaks_tls(p: Option<&str>) -> bool {
    matches!(p, Some("HTTPS") | Some("TLS"))
}

pub(super) fn alb_layer(inv: &Inventory, hop: &LbHop) -> (Layer, Vec<String>) {
    let mut p = Provenance::default();
    let mut notes = Vec::new();
    let lb = hop.lb;
    let listeners: Vec<&PListener> = inv
        .listeners
        .iter()
        .filter(|l| links_to(&l.lb, &lb.key, &lb.ids))
        .collect();
    let snaps: Vec<ListenerSnapshot> = listeners
        .iter()
        .map(|l| listener_snapshot(l, &mut p))
        .collect();
    // The listener the previous hop reaches: its port, else 443, else a TLS one, else 80.
    let by_port = |port: i32| snaps.iter().position(|l| l.port == Some(port));
    let chosen = hop
        .port
        .and_then(|q| by_port(i32::from(q)))
        .or_else(|| by_port(443))
        .or_else(|| snaps.iter().position(|l| speaks_tls(l.protocol.as_deref())))
        .or_else(|| by_port(80))
        .or(if snaps.is_empty() { None } else { Some(0) });

    let nlb = lb.kind == LbKind::Network;
    let pick = |i: usize| -> Option<RuleBuild> {
        let rules = listener_rules(inv, listeners[i]);
        if nlb {
            return rules.into_iter().last();
        }
        let plain: Vec<Rule> = rules.iter().map(|r| r.rule.clone()).collect();
        let arn = pick_rule(&plain, &hop.host, &hop.path)?.arn.clone();
        let prio_default = |r: &RuleBuild| r.rule.priority == RulePriority::Default;
        rules
            .into_iter()
            .filter(|r| r.rule.arn == arn)
            .min_by_key(|r| !prio_default(r) as u8)
    };
    let rule = chosen.and_then(pick);
    if let Some(r) = &rule {
        if let Some(a) = r.action {
            p.field(&r.rule.arn, r.rule.actions_field(), &a.prov);
            p.field(&r.rule.arn, "forward target groups", &a.prov);
            let stickiness = match inv.kind {
                SourceKind::TerraformPlan => ".forward[0].stickiness[0].enabled",
                SourceKind::CloudFormation => ".ForwardConfig.TargetGroupStickinessConfig",
            };
            p.field(
                &r.rule.arn,
                "ForwardConfig.TargetGroupStickinessConfig",
                &Prov {
                    attr: format!("{}{stickiness}", a.prov.attr),
                    ..a.prov.clone()
                },
            );
        }
    }

    let mut tgs = Vec::new();
    if let Some(f) = rule.as_ref().and_then(|r| r.rule.forward.as_ref()) {
        for g in &f.target_groups {
            match inv.target_groups.iter().find(|t| t.key == g.arn) {
                Some(t) => tgs.push(tg_snapshot(t, g.weight, &mut p)),
                None => {
                    let why = format!(
                        "the target group {} is not in {}: what is behind the listener is read live",
                        g.arn.trim_start_matches("outside-plan:"),
                        inv.file
                    );
                    p.unknown(
                        &[
                            "targets",
                            "balancing",
                            "upstream_http_version",
                            "tls_to_origin",
                            "stickiness",
                            "drain_timeout",
                        ],
                        &why,
                    );
                    notes.push(why);
                }
            }
        }
    }

    let cleartext = match chosen {
        Some(i) if snaps[i].protocol.as_deref() == Some("HTTP") => {
            rule.as_ref().map(|r| CleartextEntry::Plain {
                listener: snaps[i].clone(),
                rule: r.rule.clone(),
            })
        }
        _ => None,
    }
    .unwrap_or_else(|| match by_port(CLEARTEXT_PORT) {
        None => CleartextEntry::NoListener {
            port: CLEARTEXT_PORT,
        },
        Some(i) if speaks_tls(snaps[i].protocol.as_deref()) => {
            CleartextEntry::TlsListener(snaps[i].clone())
        }
        Some(i) => match pick(i) {
            Some(r) => {
                if let Some(a) = r.action {
                    p.field(&r.rule.arn, r.rule.actions_field(), &a.prov);
                }
                CleartextEntry::Plain {
                    listener: snaps[i].clone(),
                    rule: r.rule,
                }
            }
            None => CleartextEntry::NoListener {
                port: CLEARTEXT_PORT,
            },
        },
    });

    let snapshot = AlbSnapshot {
        lb: LoadBalancerSnapshot {
            arn: lb.key.clone(),
            name: lb.name.clone().unwrap_or_else(|| lb.key.clone()),
            dns_name: lb.dns_name.clone().unwrap_or_default(),
            kind: lb.kind,
            attributes: p.attrs(&lb.key, &lb.attrs, lb_settings),
        },
        listeners: Ok(snaps.clone()),
        listener: Ok(chosen.map(|i| snaps[i].clone())),
        rule: Ok(rule.as_ref().map(|r| r.rule.clone())),
        target_groups: Ok(tgs),
        cleartext: Ok(cleartext),
        request_host: hop.host.clone(),
        request_path: hop.path.clone(),
    };
    let mut layer = alb::layer_of(&snapshot);
    layer.locator = Some(resource_locator(inv, &lb.key));
    if nlb {
        p.overrides.retain(|(s, _)| *s != "upstream_keepalive");
    }
    (p.finish(layer, inv, &lb.key), notes)
}

fn tg_snapshot(t: &PTg, weight: Option<i32>, p: &mut Provenance) -> TargetGroupSnapshot {
    for (api, v) in [
        ("ProtocolVersion", &t.protocol_version),
        ("Protocol", &t.protocol),
    ] {
        if let Some(v) = v {
            p.field(&t.key, api, v.prov());
            if let Val::Unknown(reason, _) = v {
                let s: &[&str] = if api == "Protocol" {
                    &["tls_to_origin"]
                } else {
                    &["upstream_http_version"]
                };
                p.unknown(s, reason);
            }
        }
    }
    let attributes = p.attrs(&t.key, &t.attrs, tg_settings);
    if let Some(v) = t.attrs.get("stickiness.enabled") {
        p.field(&t.key, "stickiness.type", v.prov());
    }
    if let Some(v) = t.attrs.get("stickiness.type") {
        p.field(&t.key, "stickiness.type", v.prov());
    }
    let targets = match &t.targets {
        Some((n, prov)) => {
            p.field(&t.key, "DescribeTargetHealth", prov);
            p.field(&t.key, "forward target groups", prov);
            *n
        }
        None => {
            p.unknown(
                &["targets"],
                &format!(
                    "{}: its targets are registered outside the code (no attachment or Targets names it; an Auto Scaling group or ECS service registers them at run time)",
                    t.key
                ),
            );
            0
        }
    };
    TargetGroupSnapshot {
        target_control_port: None,
        arn: t.key.clone(),
        name: t.name.clone().unwrap_or_else(|| t.key.clone()),
        protocol: t.protocol.as_ref().and_then(Val::known).cloned(),
        protocol_version: t
            .protocol_version
            .as_ref()
            .and_then(Val::known)
            .map(|v| v.to_ascii_uppercase()),
        target_type: t.target_type.clone(),
        weight,
        attributes: Ok(attributes),
        targets: Ok(targets),
    }
}

/// AWS's managed origin request policies, which code names by ID without defining them
/// (CloudFront Developer Guide, "Use managed origin request policies":
/// <https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/using-managed-origin-request-policies.html>).
// Only the ID the provider facts confirm; any other managed policy is read live.
const MANAGED_POLICIES: &[(&str, &str, &str)] = &[(
    "216adef6-5c7f-47e4-b989-5492eafa07d3",
    "Managed-AllViewer",
    "allViewer",
)];

/// The distribution's layer and, for linking, the origin it sends the path to.
pub(super) fn cloudfront_layer<'a>(
    inv: &'a Inventory,
    d: &'a PDist,
    domain: &str,
    path: &str,
    scheme: Scheme,
) -> (Layer, Option<&'a POrigin>, DistributionSnapshot) {
    let mut p = Provenance::default();
    let key = d.key.as_str();
    let patterns: Vec<&str> = d
        .behaviors
        .iter()
        .map(|b| b.path_pattern.as_deref().unwrap_or(""))
        .collect();
    let b = match pick_behavior(patterns.iter().copied(), path) {
        Some(i) => &d.behaviors[i],
        None => &d.default_behavior,
    };
    let origin_id = d
        .groups
        .iter()
        .find(|(g, _)| *g == b.target_origin_id)
        .and_then(|(_, m)| m.first().cloned())
        .unwrap_or_else(|| b.target_origin_id.clone());
    let origin = d.origins.iter().find(|o| o.id == origin_id);

    let bs = BehaviorSnapshot {
        path_pattern: b.path_pattern.clone(),
        target_origin_id: b.target_origin_id.clone(),
        viewer_protocol_policy: b
            .viewer_protocol_policy
            .known()
            .cloned()
            .unwrap_or_default(),
        origin_request_policy_id: None,
        forwarded_headers: b.forwarded_headers.as_ref().and_then(Val::known).cloned(),
        // Function associations are not read from code yet.
        viewer_request_code: Vec::new(),
    };
    let label = bs.label();
    p.field(
        key,
        format!("{label}.ViewerProtocolPolicy"),
        b.viewer_protocol_policy.prov(),
    );
    if let Val::Unknown(r, _) = &b.viewer_protocol_policy {
        p.unknown(&["cleartext_from_client"], r);
    }
    if let Some(h) = &b.forwarded_headers {
        p.field(key, format!("{label}.ForwardedValues.Headers"), h.prov());
    }
    let mut bs = bs;
    let mut policy = None;
    if let Some(link) = &b.origin_request_policy {
        let behavior_prov = Prov {
            attr: format!(
                "{}.{}",
                b.prov.attr,
                if inv.kind == SourceKind::TerraformPlan {
                    "origin_request_policy_id"
                } else {
                    "OriginRequestPolicyId"
                }
            ),
            ..b.prov.clone()
        };
        if let Some(found) = inv.policies.iter().find(|x| links_to(link, &x.key, &x.ids)) {
            bs.origin_request_policy_id = Some(found.key.clone());
            p.field(key, format!("{label}.OriginRequestPolicyId"), &found.prov);
            policy = Some(PolicySnapshot {
                id: found.key.clone(),
                name: found.name.clone(),
                header_behavior: found.header_behavior.clone(),
                headers: found.headers.clone(),
            });
        } else if let Some((id, name, behavior)) = link
            .literal
            .as_deref()
            .and_then(|l| MANAGED_POLICIES.iter().find(|(id, ..)| *id == l))
        {
            bs.origin_request_policy_id = Some(id.to_string());
            p.field(
                key,
                format!("{label}.OriginRequestPolicyId"),
                &behavior_prov,
            );
            policy = Some(PolicySnapshot {
                id: id.to_string(),
                name: name.to_string(),
                header_behavior: behavior.to_string(),
                headers: Vec::new(),
            });
        } else {
            let why = match (&link.literal, &link.unknown) {
                (Some(id), _) => format!(
                    "{}.{}: origin request policy {id} is not in {} (an existing policy): a live read (`wsaudit chain`) reads its headers",
                    b.prov.resource, behavior_prov.attr, inv.file
                ),
                (None, Some(u)) => u.clone(),
                (None, None) => format!("{}.{} names no policy in {}", b.prov.resource, behavior_prov.attr, inv.file),
            };
            bs.origin_request_policy_id = Some(link.describe());
            p.unknown(&["forwards_upgrade"], &why);
        }
    } else {
        p.field(key, format!("{label}.OriginRequestPolicyId"), &b.prov);
    }

    let origin_snap = origin.map(|o| {
        let custom = o.custom.as_ref().map(|c| {
            let f = |x: &str| format!("Origins[{}].CustomOriginConfig.{x}", o.id);
            p.field(key, f("OriginProtocolPolicy"), c.protocol_policy.prov());
            if let Val::Unknown(r, _) = &c.protocol_policy {
                p.unknown(&["tls_to_origin"], r);
            }
            for (name, v, setting) in [
                ("OriginReadTimeout", &c.read_timeout, "response_timeout"),
                (
                    "OriginKeepaliveTimeout",
                    &c.keepalive_timeout,
                    "upstream_keepalive",
                ),
            ] {
                if let Some(v) = v {
                    p.field(key, f(name), v.prov());
                    if let Val::Unknown(r, _) = v {
                        p.unknown(&[setting], r);
                    }
                }
            }
            CustomOrigin {
                http_port: c.http_port,
                https_port: c.https_port,
                protocol_policy: c.protocol_policy.known().cloned().unwrap_or_default(),
                read_timeout: c.read_timeout.as_ref().and_then(Val::known).copied(),
                keepalive_timeout: c.keepalive_timeout.as_ref().and_then(Val::known).copied(),
            }
        });
        OriginSnapshot {
            id: o.id.clone(),
            domain_name: o
                .domain
                .literal
                .clone()
                .unwrap_or_else(|| o.domain.describe()),
            custom,
            // VPC origins and ResponseCompletionTimeout are not read from code yet.
            vpc_origin_id: None,
            vpc_endpoint_arn: None,
            response_completion_timeout: None,
        }
    });
    if let Some(v) = &d.http_version {
        p.field(key, "HttpVersion", v.prov());
        if let Val::Unknown(r, _) = v {
            p.unknown(&["client_protocols"], r);
        }
    }
    if let Some(l) = &d.logging {
        p.field(key, "Logging.Enabled", l.prov());
    }
    let snapshot = DistributionSnapshot {
        id: key.to_string(),
        arn: key.to_string(),
        domain_name: d.domain_name.clone().unwrap_or_else(|| key.to_string()),
        aliases: if d.aliases.is_empty() {
            vec![domain.to_string()]
        } else {
            d.aliases.clone()
        },
        http_version: d.http_version.as_ref().and_then(Val::known).cloned(),
        logging: d.logging.as_ref().and_then(Val::known).cloned(),
        behavior: bs,
        origin: origin_snap,
        policy,
        // Continuous deployment and tenants are not read from code yet.
        continuous_deployment_policy_id: None,
        tenant: None,
    };
    let mut layer = cloudfront::layer_of(&snapshot, scheme);
    layer.locator = Some(resource_locator(inv, key));
    (p.finish(layer, inv, key), origin, snapshot)
}

/// What a planned Cloudflare hostname is served by.
pub(super) enum CfBackend<'a> {
    Record(&'a PRecord),
    Lb(&'a PCfLb),
}

const CF_SETTINGS: [(&str, &[&str]); 5] = [
    ("websockets", &["websocket", "forwards_upgrade"]),
    ("ssl", &["tls_to_origin"]),
    ("http2", &["client_protocols"]),
    ("http3", &["client_protocols"]),
    ("origin_max_http_version", &["upstream_http_version"]),
];

/// The zone a record or load balancer names: its id (known, or the zone resource's key) and
/// its name when the code knows it.
pub(super) fn zone_of<'a>(
    inv: &'a Inventory,
    link: &Link,
) -> (String, Option<String>, Option<&'a PZone>) {
    let zone = inv.zones.iter().find(|z| links_to(link, &z.key, &z.ids));
    let id = link
        .literal
        .clone()
        .or_else(|| zone.and_then(|z| z.ids.first().cloned()))
        .or_else(|| zone.map(|z| z.key.clone()))
        .unwrap_or_else(|| link.describe());
    (id, zone.and_then(|z| z.name.clone()), zone)
}

pub(super) fn cloudflare_layer(inv: &Inventory, host: &str, backend: &CfBackend) -> Layer {
    let mut p = Provenance::default();
    let zone_link = match backend {
        CfBackend::Record(r) => &r.zone,
        CfBackend::Lb(l) => &l.zone,
    };
    let (zone_id, zone_name, zone_res) = zone_of(inv, zone_link);
    let zone = Zone {
        id: zone_id.clone(),
        name: zone_name.unwrap_or_else(|| host.to_string()),
        status: None,
        plan: None,
        account: None,
    };
    let settings_loc = format!("zone/{zone_id}/settings");
    let mut reads = BTreeMap::new();
    for s in inv.zone_settings.iter().filter(|s| {
        links_to(&s.zone, &zone_id, std::slice::from_ref(&zone_id))
            || zone_res.is_some_and(|z| links_to(&s.zone, &z.key, &z.ids))
    }) {
        let loc = format!("{settings_loc}/{}", s.id);
        p.field(&loc, "value", s.value.prov());
        if s.id == "http2" {
            p.field(&settings_loc, "http2", s.value.prov());
        }
        match &s.value {
            Val::Known(v, _) => {
                reads.insert(
                    s.id.clone(),
                    Ok(SettingValue {
                        id: s.id.clone(),
                        value: v.clone(),
                        editable: None,
                        modified_on: None,
                    }),
                );
            }
            Val::Unknown(r, _) => {
                for (id, settings) in CF_SETTINGS {
                    if id == s.id {
                        p.unknown(settings, r);
                    }
                }
            }
        }
    }
    for (id, settings) in CF_SETTINGS {
        if !reads.contains_key(id) {
            p.unknown(
                settings,
                &format!(
                    "{} does not set the zone's {id} setting: the zone's current value applies (a live read with `wsaudit chain` has it)",
                    inv.file
                ),
            );
        }
    }
    let settings = ZoneSettings {
        zone_id: zone_id.clone(),
        reads,
    };
    let (mut layer, _gaps) = match backend {
        CfBackend::Record(r) => {
            let rec = DnsRecord {
                id: Some(r.key.clone()),
                name: host.to_string(),
                record_type: r.record_type.clone(),
                content: r
                    .content
                    .literal
                    .clone()
                    .unwrap_or_else(|| r.content.describe()),
                proxied: true,
                proxiable: None,
            };
            p.field(
                &format!("zone/{zone_id}/dns_records/{}", r.key),
                "content",
                &r.prov,
            );
            cloudflare::build_layer(
                &zone,
                &settings,
                &Backends::Records(std::slice::from_ref(&rec)),
                // Configuration Rules are not read from code yet.
                &cloudflare::SslRule::None,
            )
        }
        CfBackend::Lb(l) => {
            let lb = LoadBalancer {
                id: l.key.clone(),
                name: l.name.clone(),
                enabled: None,
                proxied: l.proxied,
                default_pools: Vec::new(),
                fallback_pool: None,
                session_affinity: l.session_affinity.as_ref().and_then(Val::known).cloned(),
                session_affinity_ttl: l.session_affinity_ttl,
                session_affinity_attributes: Some(SessionAffinityAttributes {
                    drain_duration: l.drain_duration.as_ref().and_then(Val::known).copied(),
                    headers: l.headers.clone(),
                }),
                steering_policy: None,
                ..Default::default()
            };
            let loc = lb.locator(&zone_id);
            p.field(
                &loc,
                "session_affinity_attributes",
                l.drain_duration.as_ref().map(Val::prov).unwrap_or(&l.prov),
            );
            p.field(
                &loc,
                "session_affinity",
                l.session_affinity
                    .as_ref()
                    .map(Val::prov)
                    .unwrap_or(&l.prov),
            );
            if let Some(Val::Unknown(r, _)) = &l.session_affinity {
                p.unknown(&["stickiness"], r);
            }
            let mut pools: Vec<(String, Result<Pool, cloudflare::CloudflareError>)> = Vec::new();
            for link in &l.pools {
                for pool in inv.pools.iter().filter(|x| links_to(link, &x.key, &x.ids)) {
                    if pools.iter().any(|(k, _)| *k == pool.key) {
                        continue;
                    }
                    p.field(
                        &format!("account/-/load_balancers/pools/{}", pool.key),
                        "enabled origins",
                        &Prov {
                            resource: pool.key.clone(),
                            attr: "origins".into(),
                            pos: None,
                        },
                    );
                    pools.push((
                        pool.key.clone(),
                        Ok(Pool {
                            id: pool.key.clone(),
                            name: None,
                            enabled: Some(pool.enabled),
                            origins: pool
                                .origins
                                .iter()
                                .map(|(a, e)| PoolOrigin {
                                    name: None,
                                    address: a.literal.clone().unwrap_or_else(|| a.describe()),
                                    enabled: Some(*e),
                                    weight: None,
                                    ..Default::default()
                                })
                                .collect(),
                        }),
                    ));
                }
            }
            let lb_loc = loc.clone();
            p.field(&lb_loc, "enabled origins", &l.prov);
            cloudflare::build_layer(
                &zone,
                &settings,
                &Backends::LoadBalancer {
                    lb: &lb,
                    account_id: "-",
                    pools: &pools,
                    // The planned load balancer carries no rules.
                    overrides: &Default::default(),
                },
                &cloudflare::SslRule::None,
            )
        }
    };
    let key = match backend {
        CfBackend::Record(r) => &r.key,
        CfBackend::Lb(l) => &l.key,
    };
    layer.locator = Some(resource_locator(inv, key));
    p.finish(layer, inv, key)
}
