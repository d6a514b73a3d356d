//! A CloudFormation template (JSON or YAML, as written by hand or by `cdk synth`) into an
//! [`Inventory`].
//!
//! Properties are the API's own (`LoadBalancerAttributes` as `Key`/`Value` pairs, a
//! distribution's `DistributionConfig`), each with its line and column in the template.
//! Intrinsic functions in either form (`{"Ref": …}`, `{"Fn::GetAtt": …}` or the YAML short
//! tags `!Ref`, `!GetAtt`, `!Sub`, `!ImportValue`, …) are not evaluated: a value built by one is
//! unknown with the reason (a parameter set at deploy, another stack's export, an attribute
//! known after deploy), and a `Ref`/`Fn::GetAtt`/`Fn::Sub` naming another resource of the
//! template links the two (a listener's `LoadBalancerArn: !Ref Lb`, an origin's
//! `DomainName: !GetAtt Lb.DNSName`). Property names follow the CloudFormation template
//! reference for `AWS::ElasticLoadBalancingV2::*` and `AWS::CloudFront::*`.

use super::error::IacError;
use super::inventory::*;
use super::yaml::{Node, NodeKind};
use crate::providers::alb::{Condition, LbKind};
use std::collections::BTreeMap;

/// A property's value: a literal, or what an intrinsic function leaves unknown.
enum Res {
    Known(String),
    Unknown { reason: String, refs: Vec<String> },
    Absent,
}

struct Template<'a> {
    file: &'a str,
    resources: Vec<(&'a str, &'a Node)>,
    parameters: Option<&'a Node>,
}

/// The intrinsic function a node is, in either spelling: the function's long name and its
/// argument.
fn intrinsic(n: &Node) -> Option<(String, &Node)> {
    if let Some(t) = &n.tag {
        let name = match t.as_str() {
            "Ref" => "Ref".to_string(),
            "Condition" => "Condition".to_string(),
            other => format!("Fn::{other}"),
        };
        return Some((name, n));
    }
    match n.entries() {
        [(k, v)] => {
            let k = k.as_str()?;
            (k == "Ref" || k == "Condition" || k.starts_with("Fn::")).then(|| (k.to_string(), v))
        }
        _ => None,
    }
}

/// Strips the tag, so a short-form argument reads like the long form's.
fn untagged(n: &Node) -> Node {
    Node {
        tag: None,
        ..n.clone()
    }
}

fn sub_refs(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = s;
    while let Some(start) = rest.find("${") {
        rest = &rest[start + 2..];
        let Some(end) = rest.find('}') else { break };
        let inner = &rest[..end];
        rest = &rest[end + 1..];
        if inner.starts_with('!') {
            continue;
        }
        out.push(inner.split('.').next().unwrap_or(inner).to_string());
    }
    out
}

impl<'a> Template<'a> {
    fn is_resource(&self, id: &str) -> bool {
        self.resources.iter().any(|(k, _)| *k == id)
    }

    fn prov(&self, id: &str, attr: &str, n: Option<&Node>) -> Prov {
        Prov {
            resource: id.to_string(),
            attr: attr.to_string(),
            pos: n.map(|n| (n.line, n.col)),
        }
    }

    /// Every resource a value built by intrinsics names.
    fn refs_in(&self, n: &Node, out: &mut Vec<String>) {
        if let Some((f, arg)) = intrinsic(n) {
            let arg = untagged(arg);
            match f.as_str() {
                "Ref" => {
                    if let Some(s) = arg.as_str() {
                        if self.is_resource(s) {
                            out.push(s.to_string());
                        }
                    }
                    return;
                }
                "Fn::GetAtt" => {
                    let target = match &arg.kind {
                        NodeKind::Scalar(s, _) => s.split('.').next().map(str::to_string),
                        NodeKind::Seq(v) => v.first().and_then(|n| n.as_str()).map(str::to_string),
                        _ => None,
                    };
                    if let Some(t) = target.filter(|t| self.is_resource(t)) {
                        out.push(t);
                    }
                    return;
                }
                "Fn::Sub" => {
                    let text = match &arg.kind {
                        NodeKind::Scalar(s, _) => Some(s.as_str()),
                        NodeKind::Seq(v) => v.first().and_then(|n| n.as_str()),
                        _ => None,
                    };
                    for r in text.map(sub_refs).unwrap_or_default() {
                        if self.is_resource(&r) {
                            out.push(r);
                        }
                    }
                    if let NodeKind::Seq(v) = &arg.kind {
                        if let Some(vars) = v.get(1) {
                            for (_, val) in vars.entries() {
                                self.refs_in(val, out);
                            }
                        }
                    }
                    return;
                }
                _ => {
                    self.refs_in(&arg, out);
                    return;
                }
            }
        }
        match &n.kind {
            NodeKind::Seq(v) => v.iter().for_each(|c| self.refs_in(c, out)),
            NodeKind::Map(m) => m.iter().for_each(|(_, c)| self.refs_in(c, out)),
            NodeKind::Scalar(..) => {}
        }
    }

    fn resolve(&self, n: Option<&Node>) -> Res {
        let Some(n) = n else { return Res::Absent };
        if n.is_null() {
            return Res::Absent;
        }
        let Some((f, arg)) = intrinsic(n) else {
            return match &n.kind {
                NodeKind::Scalar(s, _) => Res::Known(s.clone()),
                _ => Res::Unknown {
                    reason: format!("{} where a single value is expected", n.describe()),
                    refs: Vec::new(),
                },
            };
        };
        let arg = untagged(arg);
        let mut refs = Vec::new();
        self.refs_in(n, &mut refs);
        let reason = match f.as_str() {
            "Ref" => {
                let name = arg.as_str().unwrap_or_default();
                if name == "AWS::NoValue" {
                    return Res::Absent;
                }
                if self.is_resource(name) {
                    format!("Ref {name}: the resource's identifier is known after deploy")
                } else if name.starts_with("AWS::") {
                    format!("Ref {name}: a pseudo parameter, known at deploy")
                } else {
                    let default = self
                        .parameters
                        .and_then(|p| p.get(name))
                        .and_then(|p| p.get("Default"))
                        .and_then(Node::as_str);
                    match default {
                        Some(d) => format!(
                            "Ref {name}: a stack parameter, set at deploy (its Default is {d:?})"
                        ),
                        None => format!("Ref {name}: a stack parameter, set at deploy"),
                    }
                }
            }
            "Fn::GetAtt" => {
                let what = match &arg.kind {
                    NodeKind::Scalar(s, _) => s.clone(),
                    NodeKind::Seq(v) => v
                        .iter()
                        .filter_map(Node::as_str)
                        .collect::<Vec<_>>()
                        .join("."),
                    _ => String::new(),
                };
                format!("Fn::GetAtt {what}: known after deploy")
            }
            "Fn::Sub" => {
                if let Some(s) = arg.as_str() {
                    if !s.contains("${") {
                        return Res::Known(s.to_string());
                    }
                    format!("Fn::Sub {s:?}: substituted at deploy")
                } else {
                    "Fn::Sub: substituted at deploy".to_string()
                }
            }
            "Fn::ImportValue" => match arg.as_str() {
                Some(s) => format!("Fn::ImportValue {s}: exported by another stack"),
                None => "Fn::ImportValue: exported by another stack".to_string(),
            },
            other => format!("{other}: not resolved before deploy"),
        };
        Res::Unknown { reason, refs }
    }

    fn link(&self, n: Option<&Node>) -> Link {
        match self.resolve(n) {
            Res::Known(s) => Link::literal(s),
            Res::Absent => Link::default(),
            Res::Unknown { reason, refs } => Link {
                literal: None,
                targets: refs,
                unknown: Some(reason),
            },
        }
    }

    fn val(&self, id: &str, attr: &str, n: Option<&Node>) -> Option<Val<String>> {
        let prov = self.prov(id, attr, n);
        match self.resolve(n) {
            Res::Known(s) => Some(Val::Known(s, prov)),
            Res::Unknown { reason, .. } => {
                Some(Val::Unknown(format!("{id}.{attr}: {reason}"), prov))
            }
            Res::Absent => None,
        }
    }

    fn known(&self, n: Option<&Node>) -> Option<String> {
        match self.resolve(n) {
            Res::Known(s) => Some(s),
            _ => None,
        }
    }

    fn int(&self, id: &str, attr: &str, n: Option<&Node>) -> Result<Option<Val<i32>>, IacError> {
        match self.val(id, attr, n) {
            Some(Val::Known(s, p)) => match s.trim().parse::<i32>() {
                Ok(i) => Ok(Some(Val::Known(i, p))),
                Err(_) => Err(self.type_err(id, attr, "an integer", &s)),
            },
            Some(Val::Unknown(r, p)) => Ok(Some(Val::Unknown(r, p))),
            None => Ok(None),
        }
    }

    fn type_err(&self, id: &str, attr: &str, expected: &'static str, found: &str) -> IacError {
        IacError::AttributeType {
            file: self.file.into(),
            address: id.to_string(),
            attribute: attr.to_string(),
            expected,
            found: format!("{found:?}"),
        }
    }

    fn strings(&self, n: Option<&Node>) -> Vec<String> {
        n.map(|n| {
            n.items()
                .iter()
                .filter_map(|i| self.known(Some(i)))
                .collect()
        })
        .unwrap_or_default()
    }

    /// `[{Key, Value}]` attribute lists.
    fn key_values(&self, id: &str, list: &str, props: &Node) -> BTreeMap<String, Val<String>> {
        let mut out = BTreeMap::new();
        for item in props.get(list).map(Node::items).unwrap_or_default() {
            let Some(key) = self.known(item.get("Key")) else {
                continue;
            };
            let attr = format!("{list}[{key}]");
            if let Some(v) = self.val(id, &attr, item.get("Value")) {
                out.insert(key, v);
            }
        }
        out
    }

    fn actions(&self, id: &str, list: &str, props: &Node) -> Vec<PAction> {
        let mut out = Vec::new();
        for (i, a) in props
            .get(list)
            .map(Node::items)
            .unwrap_or_default()
            .iter()
            .enumerate()
        {
            let fwd = a.get("ForwardConfig");
            let forward = fwd
                .and_then(|f| f.get("TargetGroups"))
                .map(Node::items)
                .unwrap_or_default()
                .iter()
                .map(|t| {
                    (
                        self.link(t.get("TargetGroupArn")),
                        self.known(t.get("Weight")).and_then(|w| w.parse().ok()),
                    )
                })
                .collect();
            let group_stickiness =
                fwd.and_then(|f| f.get("TargetGroupStickinessConfig"))
                    .map(|s| {
                        (
                            self.known(s.get("Enabled")).is_some_and(|e| e == "true"),
                            self.known(s.get("DurationSeconds"))
                                .and_then(|d| d.parse().ok()),
                        )
                    });
            let redirect = a.get("RedirectConfig").map(|r| {
                format!(
                    "{}:{} ({})",
                    self.known(r.get("Protocol"))
                        .unwrap_or("#{protocol}".into()),
                    self.known(r.get("Port")).unwrap_or("#{port}".into()),
                    self.known(r.get("StatusCode")).unwrap_or_default()
                )
            });
            let tg = self.link(a.get("TargetGroupArn"));
            out.push(PAction {
                kind: self.known(a.get("Type")).unwrap_or_default(),
                order: self.known(a.get("Order")).and_then(|o| o.parse().ok()),
                target_group: (!tg.is_empty() || tg.unknown.is_some()).then_some(tg),
                forward,
                group_stickiness,
                redirect,
                prov: self.prov(id, &format!("{list}[{i}]"), Some(a)),
            });
        }
        out
    }

    fn behavior(&self, id: &str, attr: &str, b: &Node) -> PBehavior {
        let policy = self.link(b.get("OriginRequestPolicyId"));
        PBehavior {
            path_pattern: self.known(b.get("PathPattern")),
            target_origin_id: self.known(b.get("TargetOriginId")).unwrap_or_default(),
            viewer_protocol_policy: self
                .val(
                    id,
                    &format!("{attr}.ViewerProtocolPolicy"),
                    b.get("ViewerProtocolPolicy"),
                )
                .unwrap_or_else(|| {
                    Val::Unknown(
                        format!("{id}.{attr}.ViewerProtocolPolicy is not set"),
                        self.prov(id, attr, Some(b)),
                    )
                }),
            origin_request_policy: (!policy.is_empty() || policy.unknown.is_some())
                .then_some(policy),
            forwarded_headers: b.get("ForwardedValues").map(|f| {
                Val::Known(
                    self.strings(f.get("Headers")),
                    self.prov(id, &format!("{attr}.ForwardedValues.Headers"), Some(f)),
                )
            }),
            prov: self.prov(id, attr, Some(b)),
        }
    }

    fn inventory(&self) -> Result<Inventory, IacError> {
        let mut inv = Inventory::new(SourceKind::CloudFormation, self.file);
        for (id, res) in &self.resources {
            inv.resource_lines.insert(id.to_string(), res.line);
        }
        let empty = Node {
            kind: NodeKind::Map(Vec::new()),
            tag: None,
            line: 0,
            col: 0,
        };
        for (id, res) in &self.resources {
            let id = *id;
            let rtype = self.known(res.get("Type")).unwrap_or_default();
            let props = res.get("Properties").unwrap_or(&empty);
            let me = vec![id.to_string()];
            match rtype.as_str() {
                "AWS::ElasticLoadBalancingV2::LoadBalancer" => {
                    let kind = match self.known(props.get("Type")).as_deref() {
                        Some("network") => LbKind::Network,
                        Some("application") | None => LbKind::Application,
                        Some(_) => LbKind::Other,
                    };
                    inv.lbs.push(PLb {
                        key: id.to_string(),
                        name: self.known(props.get("Name")),
                        kind,
                        ids: me,
                        dns_name: None,
                        attrs: self.key_values(id, "LoadBalancerAttributes", props),
                    });
                }
                "AWS::ElasticLoadBalancingV2::Listener" => inv.listeners.push(PListener {
                    key: id.to_string(),
                    lb: self.link(props.get("LoadBalancerArn")),
                    ids: me,
                    port: self.known(props.get("Port")).and_then(|p| p.parse().ok()),
                    protocol: self.val(id, "Protocol", props.get("Protocol")),
                    attrs: self.key_values(id, "ListenerAttributes", props),
                    default_actions: self.actions(id, "DefaultActions", props),
                }),
                "AWS::ElasticLoadBalancingV2::ListenerRule" => inv.rules.push(PRule {
                    key: id.to_string(),
                    listener: self.link(props.get("ListenerArn")),
                    priority: self
                        .known(props.get("Priority"))
                        .and_then(|p| p.parse().ok()),
                    conditions: self.conditions(props),
                    actions: self.actions(id, "Actions", props),
                }),
                "AWS::ElasticLoadBalancingV2::TargetGroup" => {
                    let targets = props
                        .get("Targets")
                        .map(|t| (t.items().len() as u32, self.prov(id, "Targets", Some(t))));
                    inv.target_groups.push(PTg {
                        key: id.to_string(),
                        name: self.known(props.get("Name")),
                        ids: me,
                        protocol: self.val(id, "Protocol", props.get("Protocol")),
                        protocol_version: self.val(
                            id,
                            "ProtocolVersion",
                            props.get("ProtocolVersion"),
                        ),
                        target_type: self.known(props.get("TargetType")),
                        attrs: self.key_values(id, "TargetGroupAttributes", props),
                        targets,
                    });
                }
                "AWS::CloudFront::Distribution" => {
                    inv.distributions.push(self.distribution(id, props)?)
                }
                "AWS::CloudFront::OriginRequestPolicy" => {
                    let c = props.get("OriginRequestPolicyConfig").unwrap_or(&empty);
                    let h = c.get("HeadersConfig").unwrap_or(&empty);
                    inv.policies.push(PPolicy {
                        key: id.to_string(),
                        ids: me,
                        name: self.known(c.get("Name")).unwrap_or_default(),
                        header_behavior: self
                            .known(h.get("HeaderBehavior"))
                            .unwrap_or_else(|| "none".into()),
                        headers: self.strings(h.get("Headers")),
                        prov: self.prov(
                            id,
                            "OriginRequestPolicyConfig.HeadersConfig.HeaderBehavior",
                            h.get("HeaderBehavior"),
                        ),
                    });
                }
                _ => {}
            }
        }
        Ok(inv)
    }

    fn conditions(&self, props: &Node) -> Vec<Condition> {
        let mut out = Vec::new();
        for c in props.get("Conditions").map(Node::items).unwrap_or_default() {
            let field = self.known(c.get("Field")).unwrap_or_default();
            let cfg = |k: &str, v: &str| {
                let mut vals = self.strings(c.get(k).and_then(|x| x.get(v)));
                if vals.is_empty() && v == "Values" {
                    vals = self.strings(c.get("Values"));
                }
                vals
            };
            match field.as_str() {
                "host-header" => {
                    let v = cfg("HostHeaderConfig", "Values");
                    if !v.is_empty() {
                        out.push(Condition::Host(v));
                    }
                    let r = cfg("HostHeaderConfig", "RegexValues");
                    if !r.is_empty() {
                        out.push(Condition::HostRegex(r));
                    }
                }
                "path-pattern" => {
                    let v = cfg("PathPatternConfig", "Values");
                    if !v.is_empty() {
                        out.push(Condition::Path(v));
                    }
                    let r = cfg("PathPatternConfig", "RegexValues");
                    if !r.is_empty() {
                        out.push(Condition::PathRegex(r));
                    }
                }
                "http-request-method" => {
                    out.push(Condition::Method(cfg("HttpRequestMethodConfig", "Values")))
                }
                "http-header" => {
                    let h = c.get("HttpHeaderConfig");
                    let name = self
                        .known(h.and_then(|h| h.get("HttpHeaderName")))
                        .unwrap_or_default();
                    let v = cfg("HttpHeaderConfig", "Values");
                    if !v.is_empty() {
                        out.push(Condition::Header {
                            name: name.clone(),
                            values: v,
                        });
                    }
                    let r = cfg("HttpHeaderConfig", "RegexValues");
                    if !r.is_empty() {
                        out.push(Condition::HeaderRegex { name, patterns: r });
                    }
                }
                other => out.push(Condition::Undecidable {
                    field: other.to_string(),
                }),
            }
        }
        out
    }

    fn distribution(&self, id: &str, props: &Node) -> Result<PDist, IacError> {
        let empty = Node {
            kind: NodeKind::Map(Vec::new()),
            tag: None,
            line: 0,
            col: 0,
        };
        let c = props.get("DistributionConfig").unwrap_or(&empty);
        let base = "DistributionConfig";
        let mut origins = Vec::new();
        for (i, o) in c
            .get("Origins")
            .map(Node::items)
            .unwrap_or_default()
            .iter()
            .enumerate()
        {
            let at = format!("{base}.Origins[{i}]");
            let custom = match o.get("CustomOriginConfig") {
                Some(co) => {
                    let f = |k: &str| format!("{at}.CustomOriginConfig.{k}");
                    Some(PCustomOrigin {
                        http_port: self
                            .int(id, &f("HTTPPort"), co.get("HTTPPort"))?
                            .and_then(|v| v.known().copied())
                            .unwrap_or(80),
                        https_port: self
                            .int(id, &f("HTTPSPort"), co.get("HTTPSPort"))?
                            .and_then(|v| v.known().copied())
                            .unwrap_or(443),
                        protocol_policy: self
                            .val(
                                id,
                                &f("OriginProtocolPolicy"),
                                co.get("OriginProtocolPolicy"),
                            )
                            .unwrap_or_else(|| {
                                Val::Unknown(
                                    format!("{id}.{} is not set", f("OriginProtocolPolicy")),
                                    self.prov(id, &at, Some(co)),
                                )
                            }),
                        read_timeout: self.int(
                            id,
                            &f("OriginReadTimeout"),
                            co.get("OriginReadTimeout"),
                        )?,
                        keepalive_timeout: self.int(
                            id,
                            &f("OriginKeepaliveTimeout"),
                            co.get("OriginKeepaliveTimeout"),
                        )?,
                    })
                }
                None => None,
            };
            origins.push(POrigin {
                id: self.known(o.get("Id")).unwrap_or_default(),
                domain: self.link(o.get("DomainName")),
                custom,
                prov: self.prov(id, &at, Some(o)),
            });
        }
        let groups = c
            .get("OriginGroups")
            .and_then(|g| g.get("Items"))
            .map(Node::items)
            .unwrap_or_default()
            .iter()
            .map(|g| {
                let members = g
                    .get("Members")
                    .and_then(|m| m.get("Items"))
                    .map(Node::items)
                    .unwrap_or_default()
                    .iter()
                    .filter_map(|m| self.known(m.get("OriginId")))
                    .collect();
                (self.known(g.get("Id")).unwrap_or_default(), members)
            })
            .collect();
        let behaviors = c
            .get("CacheBehaviors")
            .map(Node::items)
            .unwrap_or_default()
            .iter()
            .enumerate()
            .map(|(i, b)| self.behavior(id, &format!("{base}.CacheBehaviors[{i}]"), b))
            .collect();
        let default = c.get("DefaultCacheBehavior").unwrap_or(&empty);
        // CloudFormation's Logging has no Enabled flag: the block turns standard logs on.
        let logging = c.get("Logging").map(|l| {
            let bucket = self.known(l.get("Bucket")).unwrap_or_default();
            let prefix = self.known(l.get("Prefix")).unwrap_or_default();
            let dest = if prefix.is_empty() {
                format!("s3://{bucket}")
            } else {
                format!("s3://{bucket}/{prefix}")
            };
            Val::Known(
                (true, dest),
                self.prov(id, &format!("{base}.Logging"), Some(l)),
            )
        });
        Ok(PDist {
            key: id.to_string(),
            ids: vec![id.to_string()],
            domain_name: None,
            aliases: self.strings(c.get("Aliases")),
            http_version: self.val(id, &format!("{base}.HttpVersion"), c.get("HttpVersion")),
            logging,
            origins,
            groups,
            default_behavior: self.behavior(id, &format!("{base}.DefaultCacheBehavior"), default),
            behaviors,
        })
    }
}

/// Reads a template already parsed into a tree.
pub fn read_template(root: &Node, file: &str) -> Result<Inventory, IacError> {
    let Some(resources) = root.get("Resources") else {
        return Err(IacError::NotIac {
            file: file.into(),
            message: "not a CloudFormation template: no `Resources`".into(),
        });
    };
    if !matches!(resources.kind, NodeKind::Map(_)) {
        return Err(IacError::Shape {
            file: file.into(),
            at: format!(":{}:{}", resources.line, resources.col),
            message: format!(
                "`Resources` must be a mapping, found {}",
                resources.describe()
            ),
        });
    }
    let mut list = Vec::new();
    for (k, v) in resources.entries() {
        let Some(id) = k.as_str() else { continue };
        if !matches!(v.kind, NodeKind::Map(_)) {
            return Err(IacError::Shape {
                file: file.into(),
                at: format!(":{}:{}", v.line, v.col),
                message: format!("resource {id} must be a mapping, found {}", v.describe()),
            });
        }
        list.push((id, v));
    }
    let t = Template {
        file,
        resources: list,
        parameters: root.get("Parameters"),
    };
    t.inventory()
}
