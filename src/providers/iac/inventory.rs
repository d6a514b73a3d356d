//! What a Terraform plan or a CloudFormation template declares, in one vocabulary: the
//! resources wsaudit links into chains, each value with where it is written (the resource and
//! attribute, and a line when the source has one) or why it is not known before deploy.
//!
//! The readers (`terraform.rs`, `cloudformation.rs`) fill this; linking (`link.rs`) and the
//! translation into layers (`layers.rs`) read only this, so both formats share them.

use super::tf_source::TfSource;
use crate::providers::alb::{Condition, LbKind};
use std::collections::{BTreeMap, HashMap};

/// Which kind of file the resources come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceKind {
    TerraformPlan,
    CloudFormation,
}

/// Where a value is written: the resource (a Terraform address, a CloudFormation logical id),
/// the attribute path as the source spells it, and its line and column when the source has
/// positions (a template; a plan has none).
#[derive(Debug, Clone, PartialEq)]
pub struct Prov {
    pub resource: String,
    pub attr: String,
    pub pos: Option<(u32, u32)>,
}

/// A value of an attribute the source sets: known, or not known until deploy (and why).
#[derive(Debug, Clone, PartialEq)]
pub enum Val<T> {
    Known(T, Prov),
    Unknown(String, Prov),
}

impl<T> Val<T> {
    pub fn known(&self) -> Option<&T> {
        match self {
            Val::Known(v, _) => Some(v),
            Val::Unknown(..) => None,
        }
    }

    pub fn prov(&self) -> &Prov {
        match self {
            Val::Known(_, p) | Val::Unknown(_, p) => p,
        }
    }

    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Val<U> {
        match self {
            Val::Known(v, p) => Val::Known(f(v), p),
            Val::Unknown(r, p) => Val::Unknown(r, p),
        }
    }
}

/// A reference from one resource to another: the resources it names (resolved by the reader
/// from Terraform's `references` or CloudFormation's `Ref`/`Fn::GetAtt`), and the literal value
/// when it is known (an existing load balancer's ARN, a DNS name), matched against what other
/// resources are known to be.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Link {
    pub literal: Option<String>,
    pub targets: Vec<String>,
    /// Why the value is not known, when it is not (for the reason a hop stays unlinked).
    pub unknown: Option<String>,
}

impl Link {
    pub fn literal(s: impl Into<String>) -> Self {
        Link {
            literal: Some(s.into()),
            ..Link::default()
        }
    }

    pub fn is_empty(&self) -> bool {
        self.literal.is_none() && self.targets.is_empty()
    }

    /// The literal, or what the value stands for, for messages.
    pub fn describe(&self) -> String {
        match (&self.literal, self.targets.first(), &self.unknown) {
            (Some(l), _, _) => l.clone(),
            (None, Some(t), _) => t.clone(),
            (None, None, Some(u)) => u.clone(),
            (None, None, None) => "(unset)".into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct PLb {
    pub key: String,
    pub name: Option<String>,
    pub kind: LbKind,
    /// Known names other resources may use for it: its ARN, id, DNS name.
    pub ids: Vec<String>,
    pub dns_name: Option<String>,
    /// Load balancer attributes under their API keys (`idle_timeout.timeout_seconds`).
    pub attrs: BTreeMap<String, Val<String>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PAction {
    /// `forward`, `redirect`, `fixed-response`, `authenticate-oidc`, …
    pub kind: String,
    pub order: Option<i64>,
    pub target_group: Option<Link>,
    /// Weighted forward: each target group and its weight.
    pub forward: Vec<(Link, Option<i32>)>,
    pub group_stickiness: Option<(bool, Option<i32>)>,
    pub redirect: Option<String>,
    pub prov: Prov,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PListener {
    pub key: String,
    pub lb: Link,
    pub ids: Vec<String>,
    pub port: Option<i64>,
    pub protocol: Option<Val<String>>,
    /// Listener attributes under their API keys (`tcp.idle_timeout.seconds`).
    pub attrs: BTreeMap<String, Val<String>>,
    pub default_actions: Vec<PAction>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PRule {
    pub key: String,
    pub listener: Link,
    /// `None`: not known before deploy (the rule cannot be ordered).
    pub priority: Option<u32>,
    pub conditions: Vec<Condition>,
    pub actions: Vec<PAction>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PTg {
    pub key: String,
    pub name: Option<String>,
    pub ids: Vec<String>,
    pub protocol: Option<Val<String>>,
    pub protocol_version: Option<Val<String>>,
    pub target_type: Option<String>,
    /// Target group attributes under their API keys.
    pub attrs: BTreeMap<String, Val<String>>,
    /// Targets the source registers (CloudFormation `Targets`, Terraform
    /// `aws_lb_target_group_attachment`s), with where.
    pub targets: Option<(u32, Prov)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PCustomOrigin {
    pub http_port: i32,
    pub https_port: i32,
    pub protocol_policy: Val<String>,
    pub read_timeout: Option<Val<i32>>,
    pub keepalive_timeout: Option<Val<i32>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct POrigin {
    pub id: String,
    pub domain: Link,
    pub custom: Option<PCustomOrigin>,
    /// Where the origin is written (its block or list item).
    pub prov: Prov,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PBehavior {
    /// `None` for the default behavior.
    pub path_pattern: Option<String>,
    pub target_origin_id: String,
    pub viewer_protocol_policy: Val<String>,
    pub origin_request_policy: Option<Link>,
    pub forwarded_headers: Option<Val<Vec<String>>>,
    /// Where the behavior is written (`ordered_cache_behavior[1]`).
    pub prov: Prov,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PDist {
    pub key: String,
    pub ids: Vec<String>,
    pub domain_name: Option<String>,
    pub aliases: Vec<String>,
    pub http_version: Option<Val<String>>,
    /// Logging enabled, and where to.
    pub logging: Option<Val<(bool, String)>>,
    pub origins: Vec<POrigin>,
    /// Origin groups: id and member origin ids, primary first.
    pub groups: Vec<(String, Vec<String>)>,
    pub default_behavior: PBehavior,
    pub behaviors: Vec<PBehavior>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PPolicy {
    pub key: String,
    pub ids: Vec<String>,
    pub name: String,
    pub header_behavior: String,
    pub headers: Vec<String>,
    pub prov: Prov,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PZone {
    pub key: String,
    pub ids: Vec<String>,
    pub name: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PRecord {
    pub key: String,
    pub zone: Link,
    /// As written (`ws`, `@`, or the full name).
    pub name: String,
    pub record_type: String,
    pub content: Link,
    pub proxied: Val<bool>,
    pub prov: Prov,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PZoneSetting {
    pub zone: Link,
    /// `websockets`, `ssl`, `http2`, …
    pub id: String,
    pub value: Val<serde_json::Value>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PCfLb {
    pub key: String,
    pub zone: Link,
    pub name: String,
    pub pools: Vec<Link>,
    pub proxied: bool,
    pub session_affinity: Option<Val<String>>,
    pub session_affinity_ttl: Option<f64>,
    pub drain_duration: Option<Val<f64>>,
    pub headers: Vec<String>,
    pub prov: Prov,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PPool {
    pub key: String,
    pub ids: Vec<String>,
    /// Origin address and whether it is enabled.
    pub origins: Vec<(Link, bool)>,
    pub enabled: bool,
}

/// Everything one file declares that wsaudit reads.
#[derive(Debug, Clone, PartialEq)]
pub struct Inventory {
    pub kind: SourceKind,
    /// The file as the user named it.
    pub file: String,
    pub lbs: Vec<PLb>,
    pub listeners: Vec<PListener>,
    pub rules: Vec<PRule>,
    pub target_groups: Vec<PTg>,
    pub distributions: Vec<PDist>,
    pub policies: Vec<PPolicy>,
    pub zones: Vec<PZone>,
    pub records: Vec<PRecord>,
    pub zone_settings: Vec<PZoneSetting>,
    pub cf_lbs: Vec<PCfLb>,
    pub pools: Vec<PPool>,
    /// A plan's module calls (module path, `source`) and resources (address → module path and
    /// `TYPE.NAME`), to find them in the `.tf` files.
    pub tf_modules: Vec<(Vec<String>, String)>,
    pub tf_resources: HashMap<String, (Vec<String>, String)>,
    /// The `.tf` files the plan was made from, when they were read.
    pub tf_source: Option<TfSource>,
    /// A template's resources: logical id → the line that declares it.
    pub resource_lines: HashMap<String, u32>,
}

impl Inventory {
    /// Where the code defines the resource `key`: a file and line.
    pub fn defined_at(&self, key: &str) -> Option<(String, u32)> {
        match self.kind {
            SourceKind::TerraformPlan => self.tf_source.as_ref()?.resource_line(key),
            SourceKind::CloudFormation => self
                .resource_lines
                .get(key)
                .map(|l| (self.file.clone(), *l)),
        }
    }

    pub fn new(kind: SourceKind, file: &str) -> Self {
        Inventory {
            kind,
            file: file.to_string(),
            lbs: Vec::new(),
            listeners: Vec::new(),
            rules: Vec::new(),
            target_groups: Vec::new(),
            distributions: Vec::new(),
            policies: Vec::new(),
            zones: Vec::new(),
            records: Vec::new(),
            zone_settings: Vec::new(),
            cf_lbs: Vec::new(),
            pools: Vec::new(),
            tf_modules: Vec::new(),
            tf_resources: HashMap::new(),
            tf_source: None,
            resource_lines: HashMap::new(),
        }
    }

    /// How many resources wsaudit read.
    pub fn len(&self) -> usize {
        self.lbs.len()
            + self.listeners.len()
            + self.rules.len()
            + self.target_groups.len()
            + self.distributions.len()
            + self.policies.len()
            + self.zones.len()
            + self.records.len()
            + self.zone_settings.len()
            + self.cf_lbs.len()
            + self.pools.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Whether `link` points at the resource `key` known by `ids`: by reference, else by its
/// literal value (case-insensitive, a DNS name's `dualstack.` prefix and trailing dot aside).
pub fn links_to(link: &Link, key: &str, ids: &[String]) -> bool {
    if link.targets.iter().any(|t| t == key) {
        return true;
    }
    let Some(lit) = &link.literal else {
        return false;
    };
    let norm = |s: &str| {
        let s = s.trim().trim_end_matches('.').to_ascii_lowercase();
        s.strip_prefix("dualstack.")
            .map(str::to_string)
            .unwrap_or(s)
    };
    let lit = norm(lit);
    ids.iter().any(|i| norm(i) == lit)
}
