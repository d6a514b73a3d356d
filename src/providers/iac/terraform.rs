//! Terraform plan JSON (`terraform show -json tfplan`, format_version 1.x) into an
//! [`Inventory`].
//!
//! Values come from `planned_values` (the root module and every nested `child_modules`, each
//! `count`/`for_each` instance by its own address). `planned_values` writes a value that is
//! unknown until apply as null, like an unset one; `resource_changes[].change.after_unknown`
//! (the same shape, `true` at the unknown leaves) tells them apart, so an unknown value stays
//! unknown ("known after apply") and never turns into the provider's default. An attribute the
//! configuration does not set is the provider's default: when the plan holds that default (or
//! leaves the attribute unknown because the provider computes it) the attribute is treated as
//! unset, so the layer says "documented default" exactly as a live read of an untouched
//! resource does. `configuration` supplies both what the configuration sets and the
//! `references` of each expression, which link resources whose identifiers are only known
//! after apply (a listener's `load_balancer_arn = aws_lb.ws.arn`), through module inputs
//! (`var.x`) and outputs (`module.edge.lb_arn`) too. The JSON format is documented at
//! <https://developer.hashicorp.com/terraform/internals/json-format>; dynamic blocks are
//! not in its configuration representation.

use super::error::IacError;
use super::inventory::*;
use crate::providers::alb::{Condition, LbKind};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};

/// One resource instance of the plan.
struct Res<'a> {
    address: String,
    /// The module instance it lives in (`module.edge["eu"]`; empty at the root).
    modinst: String,
    /// The module path without instance keys (`["edge"]`), which names its configuration.
    modpath: Vec<String>,
    mode: String,
    rtype: String,
    name: String,
    index: Option<Value>,
    values: &'a Value,
    unknown: Option<&'a Value>,
    expressions: Option<&'a Value>,
}

/// What a value at a path is.
enum Got<'a> {
    Known(&'a Value),
    Unknown,
    Absent,
}

#[derive(Clone, Copy)]
enum Seg<'s> {
    K(&'s str),
    I(usize),
}

fn segs(path: &str) -> Vec<Seg<'_>> {
    path.split('.')
        .map(|s| match s.parse::<usize>() {
            Ok(i) => Seg::I(i),
            Err(_) => Seg::K(s),
        })
        .collect()
}

/// `stickiness.0.enabled` → `stickiness[0].enabled`.
fn display_path(path: &str) -> String {
    let mut out = String::new();
    for s in segs(path) {
        match s {
            Seg::K(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(k);
            }
            Seg::I(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

fn step<'a>(v: &'a Value, s: Seg) -> Option<&'a Value> {
    match s {
        Seg::K(k) => v.get(k),
        Seg::I(i) => v.get(i),
    }
}

fn type_name(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => format!("a boolean ({b})"),
        Value::Number(n) => format!("a number ({n})"),
        Value::String(s) => format!("a string ({s:?})"),
        Value::Array(_) => "a list".into(),
        Value::Object(_) => "an object".into(),
    }
}

const KNOWN_AFTER_APPLY: &str = "known after apply";

impl<'a> Res<'a> {
    fn get(&self, path: &str) -> Got<'a> {
        let mut v = Some(self.values);
        let mut u = self.unknown;
        for s in segs(path) {
            if u == Some(&Value::Bool(true)) {
                return Got::Unknown;
            }
            v = v.and_then(|v| step(v, s));
            u = u.and_then(|u| step(u, s));
        }
        match v {
            Some(Value::Null) | None => {
                if u == Some(&Value::Bool(true)) {
                    Got::Unknown
                } else {
                    Got::Absent
                }
            }
            Some(v) => Got::Known(v),
        }
    }

    /// The configuration's expression at `path`: `None` when the plan has no configuration for
    /// the resource; `Some(None)` when the configuration does not set it.
    fn expression(&self, path: &str) -> Option<Option<&'a Value>> {
        let mut e = self.expressions?;
        for s in segs(path) {
            // An attribute's expression (a list or map value) ends the walk: its elements are
            // not written one by one.
            if e.get("constant_value").is_some() || e.get("references").is_some() {
                return Some(Some(e));
            }
            match step(e, s) {
                Some(next) => e = next,
                None => return Some(None),
            }
        }
        Some(Some(e))
    }

    /// Whether the configuration sets `path` (`None`: no configuration to tell).
    fn configured(&self, path: &str) -> Option<bool> {
        self.expression(path).map(|e| e.is_some())
    }

    fn references(&self, path: &str) -> Vec<String> {
        match self.expression(path) {
            Some(Some(e)) => e
                .get("references")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default(),
            _ => Vec::new(),
        }
    }

    fn prov(&self, path: &str) -> Prov {
        Prov {
            resource: self.address.clone(),
            attr: display_path(path),
            pos: None,
        }
    }

    fn unknown_reason(&self, path: &str) -> String {
        let refs = self.references(path);
        match refs.first() {
            Some(r) => format!(
                "{}.{}: {KNOWN_AFTER_APPLY} (from {r})",
                self.address,
                display_path(path)
            ),
            None => format!(
                "{}.{}: {KNOWN_AFTER_APPLY}",
                self.address,
                display_path(path)
            ),
        }
    }
}

/// Reads a plan document already parsed as JSON.
pub fn read_plan(doc: &Value, file: &str) -> Result<Inventory, IacError> {
    let version = doc
        .get("format_version")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let major = version.split('.').next().unwrap_or("");
    if !matches!(major, "0" | "1") {
        return Err(IacError::FormatVersion {
            file: file.into(),
            found: version.into(),
        });
    }
    let planned = doc.get("planned_values").and_then(|p| p.get("root_module"));
    let Some(planned) = planned else {
        let what = if doc.get("values").is_some() {
            "this is a Terraform state (`terraform show -json` without a plan file), not a plan: run `terraform plan -out=tfplan` and `terraform show -json tfplan`"
        } else {
            "a Terraform plan has `planned_values.root_module`; this document has none (`terraform show -json tfplan` writes it)"
        };
        return Err(IacError::NotIac {
            file: file.into(),
            message: what.into(),
        });
    };
    let unknown: HashMap<&str, &Value> = doc
        .get("resource_changes")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|c| {
                    Some((
                        c.get("address")?.as_str()?,
                        c.get("change")?.get("after_unknown")?,
                    ))
                })
                .collect()
        })
        .unwrap_or_default();
    let config_root = doc.get("configuration").and_then(|c| c.get("root_module"));
    let mut plan = Plan {
        file,
        resources: Vec::new(),
        config_root,
        by_name: HashMap::new(),
        by_address: HashMap::new(),
    };
    plan.collect(planned, "", &unknown, false)?;
    // Data sources read while planning are in the prior state, not in planned_values.
    if let Some(prior) = doc
        .get("prior_state")
        .and_then(|p| p.get("values"))
        .and_then(|v| v.get("root_module"))
    {
        plan.collect(prior, "", &HashMap::new(), true)?;
    }
    for (i, r) in plan.resources.iter().enumerate() {
        plan.by_address.insert(r.address.clone(), i);
        plan.by_name
            .entry((
                r.modpath.clone(),
                r.mode.clone(),
                r.rtype.clone(),
                r.name.clone(),
            ))
            .or_default()
            .push(i);
    }
    plan.inventory()
}

/// (module path, mode, type, name): the instances of one resource block.
type BlockKey = (Vec<String>, String, String, String);

struct Plan<'a> {
    file: &'a str,
    resources: Vec<Res<'a>>,
    config_root: Option<&'a Value>,
    /// Indexes into `resources`, so linking thousands of resources stays linear.
    by_name: HashMap<BlockKey, Vec<usize>>,
    by_address: HashMap<String, usize>,
}

/// `module.a["x"].module.b[0]` → `["a", "b"]`.
fn module_path(modinst: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = modinst;
    while let Some(pos) = rest.find("module.") {
        rest = &rest[pos + "module.".len()..];
        let end = rest.find(['.', '[']).unwrap_or(rest.len());
        out.push(rest[..end].to_string());
        rest = &rest[end..];
        if rest.starts_with('[') {
            // Skip the instance key, quoted keys may hold `]` or `.`.
            let mut in_str = false;
            let mut esc = false;
            let mut cut = rest.len();
            for (i, c) in rest.char_indices() {
                match c {
                    _ if esc => esc = false,
                    '\\' if in_str => esc = true,
                    '"' => in_str = !in_str,
                    ']' if !in_str => {
                        cut = i + 1;
                        break;
                    }
                    _ => {}
                }
            }
            rest = &rest[cut..];
        }
    }
    out
}

/// `module.a["x"].module.b` without its last module call.
fn parent_modinst(modinst: &str) -> String {
    match modinst.rfind("module.") {
        Some(0) | None => String::new(),
        Some(p) => modinst[..p].trim_end_matches('.').to_string(),
    }
}

/// One part of a reference: a name, or an index (`["eu"]`, `[0]`; `None` for an expression
/// such as `[each.key]`, which any instance may satisfy).
#[derive(Debug, PartialEq)]
enum Part {
    Name(String),
    Index(Option<Value>),
}

fn parse_reference(r: &str) -> Vec<Part> {
    let mut parts = Vec::new();
    let mut chars = r.chars().peekable();
    let mut name = String::new();
    while let Some(c) = chars.next() {
        match c {
            '.' => {
                if !name.is_empty() {
                    parts.push(Part::Name(std::mem::take(&mut name)));
                }
            }
            '[' => {
                if !name.is_empty() {
                    parts.push(Part::Name(std::mem::take(&mut name)));
                }
                let mut key = String::new();
                let mut in_str = false;
                for c in chars.by_ref() {
                    if c == '"' {
                        in_str = !in_str;
                        key.push(c);
                    } else if c == ']' && !in_str {
                        break;
                    } else {
                        key.push(c);
                    }
                }
                parts.push(Part::Index(serde_json::from_str::<Value>(&key).ok()));
            }
            c => name.push(c),
        }
    }
    if !name.is_empty() {
        parts.push(Part::Name(name));
    }
    parts
}

impl<'a> Plan<'a> {
    fn collect(
        &mut self,
        module: &'a Value,
        modinst: &str,
        unknown: &HashMap<&str, &'a Value>,
        data_only: bool,
    ) -> Result<(), IacError> {
        let modpath = module_path(modinst);
        for r in module
            .get("resources")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let s = |k: &str| r.get(k).and_then(Value::as_str).unwrap_or_default();
            let address = s("address").to_string();
            let mode = s("mode").to_string();
            if address.is_empty() || (data_only && mode != "data") {
                continue;
            }
            if data_only
                && self
                    .resources
                    .iter()
                    .any(|x| x.mode == "data" && x.address == address)
            {
                continue;
            }
            let values = match r.get("values") {
                Some(v @ Value::Object(_)) => v,
                Some(Value::Null) | None => &Value::Null,
                Some(other) => {
                    return Err(IacError::Shape {
                        file: self.file.into(),
                        at: String::new(),
                        message: format!(
                            "{address}: `values` must be an object, found {}",
                            type_name(other)
                        ),
                    })
                }
            };
            let rtype = s("type").to_string();
            let name = s("name").to_string();
            let expressions = self.config_resource(&modpath, &mode, &rtype, &name);
            self.resources.push(Res {
                unknown: unknown.get(address.as_str()).copied(),
                address,
                modinst: modinst.to_string(),
                modpath: modpath.clone(),
                mode,
                rtype,
                name,
                index: r.get("index").cloned(),
                values,
                expressions,
            });
        }
        for child in module
            .get("child_modules")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let addr = child
                .get("address")
                .and_then(Value::as_str)
                .unwrap_or_default();
            self.collect(child, addr, unknown, data_only)?;
        }
        Ok(())
    }

    /// The `count`/`for_each` key of the resource at `address`.
    fn index_of(&self, address: &str) -> Option<&Value> {
        self.by_address
            .get(address)
            .and_then(|i| self.resources[*i].index.as_ref())
    }

    fn config_module(&self, modpath: &[String]) -> Option<&'a Value> {
        let mut m = self.config_root?;
        for name in modpath {
            m = m.get("module_calls")?.get(name)?.get("module")?;
        }
        Some(m)
    }

    fn config_resource(
        &self,
        modpath: &[String],
        mode: &str,
        rtype: &str,
        name: &str,
    ) -> Option<&'a Value> {
        let m = self.config_module(modpath)?;
        let want = if mode == "data" {
            format!("data.{rtype}.{name}")
        } else {
            format!("{rtype}.{name}")
        };
        m.get("resources")?
            .as_array()?
            .iter()
            .find(|r| r.get("address").and_then(Value::as_str) == Some(want.as_str()))
            .map(|r| r.get("expressions").unwrap_or(&Value::Null))
    }

    /// The resource addresses a reference written in module instance `modinst` (`None`: any
    /// instance of `modpath`) names, through module inputs and outputs.
    fn resolve(
        &self,
        modinst: Option<&str>,
        modpath: &[String],
        reference: &str,
        depth: usize,
        prefer: Option<&Value>,
    ) -> Vec<String> {
        if depth > 16 {
            return Vec::new();
        }
        let parts = parse_reference(reference);
        let name = |i: usize| match parts.get(i) {
            Some(Part::Name(n)) => Some(n.as_str()),
            _ => None,
        };
        let refs_of = |e: Option<&Value>| -> Vec<String> {
            e.and_then(|e| e.get("references"))
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default()
        };
        match name(0) {
            Some("var") => {
                let (Some(var), Some((call, parent))) = (name(1), modpath.split_last()) else {
                    return Vec::new();
                };
                let expr = self.config_module(parent).and_then(|m| {
                    m.get("module_calls")?
                        .get(call)?
                        .get("expressions")?
                        .get(var)
                });
                let parent_inst = modinst.map(parent_modinst);
                let mut out = Vec::new();
                let mut seen = std::collections::HashSet::new();
                for r in refs_of(expr) {
                    for a in self.resolve(parent_inst.as_deref(), parent, &r, depth + 1, None) {
                        if seen.insert(a.clone()) {
                            out.push(a);
                        }
                    }
                }
                out
            }
            Some("module") => {
                let (Some(call), Some(output)) = (name(1), name(2)) else {
                    return Vec::new();
                };
                let mut child = modpath.to_vec();
                child.push(call.to_string());
                let expr = self
                    .config_module(&child)
                    .and_then(|m| m.get("outputs")?.get(output)?.get("expression"));
                let mut out = Vec::new();
                let mut seen = std::collections::HashSet::new();
                for r in refs_of(expr) {
                    for a in self.resolve(None, &child, &r, depth + 1, None) {
                        if seen.insert(a.clone()) {
                            out.push(a);
                        }
                    }
                }
                // `module.edge.lb_dns_names["eu"]` of an output keyed like the resources it
                // is built from (`{ for k, lb in aws_lb.ws : k => lb.dns_name }`).
                if let Some(Part::Index(Some(key))) = parts.get(3) {
                    let keyed: Vec<String> = out
                        .iter()
                        .filter(|a| self.index_of(a) == Some(key))
                        .cloned()
                        .collect();
                    if !keyed.is_empty() {
                        out = keyed;
                    }
                }
                out
            }
            Some("local" | "each" | "count" | "path" | "terraform" | "self") | None => Vec::new(),
            Some(first) => {
                let (mode, rtype, rname, idx_at) = if first == "data" {
                    match (name(1), name(2)) {
                        (Some(t), Some(n)) => ("data", t, n, 3),
                        _ => return Vec::new(),
                    }
                } else {
                    match name(1) {
                        Some(n) => ("managed", first, n, 2),
                        None => return Vec::new(),
                    }
                };
                let idx = match parts.get(idx_at) {
                    Some(Part::Index(Some(i))) => Some(i),
                    _ => None,
                };
                let key = (
                    modpath.to_vec(),
                    mode.to_string(),
                    rtype.to_string(),
                    rname.to_string(),
                );
                let all = self
                    .by_name
                    .get(&key)
                    .map(Vec::as_slice)
                    .unwrap_or_default();
                let candidates = || {
                    all.iter().map(|i| &self.resources[*i]).filter(|r| {
                        modinst.is_none_or(|m| r.modinst == m)
                            && idx.is_none_or(|i| r.index.as_ref() == Some(i))
                    })
                };
                // `aws_lb.ws[each.key]` from an instance keyed like the target: that instance
                // (see `link`), found here without listing every other one.
                if let (None, Some(want)) = (idx, prefer) {
                    let same: Vec<String> = candidates()
                        .filter(|r| r.index.as_ref() == Some(want))
                        .map(|r| r.address.clone())
                        .collect();
                    if !same.is_empty() {
                        return same;
                    }
                }
                candidates().map(|r| r.address.clone()).collect()
            }
        }
    }

    fn link(&self, r: &Res<'a>, path: &str) -> Result<Link, IacError> {
        let mut targets: Vec<String> = Vec::new();
        let mut seen: std::collections::HashSet<String> = std::collections::HashSet::new();
        let refs = r.references(path);
        for (i, reference) in refs.iter().enumerate() {
            // Terraform lists a traversal at every depth, most specific first
            // (`aws_lb.ws["eu"].arn`, `aws_lb.ws["eu"]`, `aws_lb.ws`): the shorter ones name
            // no other resource, only less precisely.
            if refs[..i]
                .iter()
                .any(|r0| r0.starts_with(reference.as_str()))
            {
                continue;
            }
            for a in self.resolve(Some(&r.modinst), &r.modpath, reference, 0, r.index.as_ref()) {
                if seen.insert(a.clone()) {
                    targets.push(a);
                }
            }
        }
        // Several instances of a `for_each` resource referenced without a key
        // (`aws_lb.ws[each.key]`): the one with the referrer's own key.
        if targets.len() > 1 {
            if let Some(idx) = &r.index {
                let same: Vec<String> = targets
                    .iter()
                    .filter(|a| self.index_of(a) == Some(idx))
                    .cloned()
                    .collect();
                if !same.is_empty() {
                    targets = same;
                }
            }
        }
        let (literal, unknown) = match r.get(path) {
            Got::Known(Value::String(s)) if !s.is_empty() => (Some(s.clone()), None),
            Got::Known(Value::String(_)) | Got::Absent => (None, None),
            Got::Known(other) => return Err(self.type_err(r, path, "a string", other)),
            Got::Unknown => (None, Some(r.unknown_reason(path))),
        };
        Ok(Link {
            literal,
            targets,
            unknown,
        })
    }

    fn type_err(&self, r: &Res, path: &str, expected: &'static str, found: &Value) -> IacError {
        IacError::AttributeType {
            file: self.file.into(),
            address: r.address.clone(),
            attribute: display_path(path),
            expected,
            found: type_name(found),
        }
    }

    /// A string attribute. Unknown values the configuration does not set are the provider's
    /// to compute: unset. `default`: the provider's schema default, which an unset attribute
    /// holds in the plan and which then reads as unset.
    fn string(
        &self,
        r: &Res<'a>,
        path: &str,
        default: Option<&str>,
    ) -> Result<Option<Val<String>>, IacError> {
        let got = match r.get(path) {
            Got::Known(Value::String(s)) => Val::Known(s.clone(), r.prov(path)),
            Got::Known(other) => return Err(self.type_err(r, path, "a string", other)),
            Got::Unknown => Val::Unknown(r.unknown_reason(path), r.prov(path)),
            Got::Absent => return Ok(None),
        };
        Ok(self.unset_unless_configured(r, path, got, default))
    }

    fn unset_unless_configured<T: PartialEq + ?Sized + ToOwned>(
        &self,
        r: &Res<'a>,
        path: &str,
        got: Val<T::Owned>,
        default: Option<&T>,
    ) -> Option<Val<T::Owned>>
    where
        T::Owned: std::borrow::Borrow<T>,
    {
        use std::borrow::Borrow;
        if r.configured(path) == Some(false) {
            match &got {
                Val::Unknown(..) => return None,
                Val::Known(v, _) if default.is_some_and(|d| v.borrow() == d) => return None,
                _ => {}
            }
        }
        Some(got)
    }

    /// A number attribute, as its decimal text (how the ELB API spells attribute values).
    fn number_text(
        &self,
        r: &Res<'a>,
        path: &str,
        default: Option<&str>,
    ) -> Result<Option<Val<String>>, IacError> {
        let got = match r.get(path) {
            Got::Known(Value::Number(n)) => Val::Known(n.to_string(), r.prov(path)),
            Got::Known(other) => return Err(self.type_err(r, path, "a number", other)),
            Got::Unknown => Val::Unknown(r.unknown_reason(path), r.prov(path)),
            Got::Absent => return Ok(None),
        };
        Ok(self.unset_unless_configured(r, path, got, default))
    }

    /// `deregistration_delay`: a nullable integer the provider stores as a string (`"300"`);
    /// a number is accepted too.
    fn int_text(
        &self,
        r: &Res<'a>,
        path: &str,
        default: Option<&str>,
    ) -> Result<Option<Val<String>>, IacError> {
        match r.get(path) {
            Got::Known(Value::String(s)) if s.trim().parse::<i64>().is_err() => Err(self.type_err(
                r,
                path,
                "an integer (as a number or a string)",
                &Value::String(s.clone()),
            )),
            Got::Known(Value::String(_)) => self.string(r, path, default),
            _ => self.number_text(r, path, default),
        }
    }

    fn bool_text(
        &self,
        r: &Res<'a>,
        path: &str,
        default: Option<&str>,
    ) -> Result<Option<Val<String>>, IacError> {
        let got = match r.get(path) {
            Got::Known(Value::Bool(b)) => Val::Known(b.to_string(), r.prov(path)),
            Got::Known(other) => return Err(self.type_err(r, path, "a boolean", other)),
            Got::Unknown => Val::Unknown(r.unknown_reason(path), r.prov(path)),
            Got::Absent => return Ok(None),
        };
        Ok(self.unset_unless_configured(r, path, got, default))
    }

    fn known_str(&self, r: &Res<'a>, path: &str) -> Result<Option<String>, IacError> {
        match r.get(path) {
            Got::Known(Value::String(s)) => Ok(Some(s.clone())),
            Got::Known(other) => Err(self.type_err(r, path, "a string", other)),
            _ => Ok(None),
        }
    }

    fn known_i64(&self, r: &Res<'a>, path: &str) -> Result<Option<i64>, IacError> {
        match r.get(path) {
            Got::Known(Value::Number(n)) => n
                .as_i64()
                .map(Some)
                .ok_or_else(|| self.type_err(r, path, "an integer", &Value::Number(n.clone()))),
            Got::Known(other) => Err(self.type_err(r, path, "a number", other)),
            _ => Ok(None),
        }
    }

    fn known_bool(&self, r: &Res<'a>, path: &str) -> Result<Option<bool>, IacError> {
        match r.get(path) {
            Got::Known(Value::Bool(b)) => Ok(Some(*b)),
            Got::Known(other) => Err(self.type_err(r, path, "a boolean", other)),
            _ => Ok(None),
        }
    }

    fn str_list(&self, r: &Res<'a>, path: &str) -> Result<Option<Vec<String>>, IacError> {
        match r.get(path) {
            Got::Known(Value::Array(a)) => a
                .iter()
                .map(|v| match v {
                    Value::String(s) => Ok(s.clone()),
                    other => Err(self.type_err(r, path, "a list of strings", other)),
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Some),
            Got::Known(other) => Err(self.type_err(r, path, "a list of strings", other)),
            _ => Ok(None),
        }
    }

    /// How many elements a block list (or list attribute) has.
    fn count(&self, r: &Res<'a>, path: &str) -> Result<usize, IacError> {
        match r.get(path) {
            Got::Known(Value::Array(a)) => Ok(a.len()),
            Got::Known(Value::Object(_)) => Ok(1),
            Got::Known(other) => Err(self.type_err(r, path, "a list of blocks", other)),
            _ => Ok(0),
        }
    }

    fn ids(&self, r: &Res<'a>, keys: &[&str]) -> Vec<String> {
        keys.iter()
            .filter_map(|k| r.values.get(*k).and_then(Value::as_str))
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect()
    }

    /// Every module call of the configuration: its module path and `source`.
    fn module_sources(&self, m: &Value, at: &[String], out: &mut Vec<(Vec<String>, String)>) {
        let Some(calls) = m.get("module_calls").and_then(Value::as_object) else {
            return;
        };
        for (name, call) in calls {
            let mut path = at.to_vec();
            path.push(name.clone());
            if let Some(src) = call.get("source").and_then(Value::as_str) {
                out.push((path.clone(), src.to_string()));
            }
            if let Some(child) = call.get("module") {
                if out.len() < 10_000 {
                    self.module_sources(child, &path, out);
                }
            }
        }
    }

    fn inventory(&self) -> Result<Inventory, IacError> {
        let mut inv = Inventory::new(SourceKind::TerraformPlan, self.file);
        if let Some(root) = self.config_root {
            self.module_sources(root, &[], &mut inv.tf_modules);
        }
        for r in self.resources.iter().filter(|r| r.mode == "managed") {
            inv.tf_resources.insert(
                r.address.clone(),
                (r.modpath.clone(), format!("{}.{}", r.rtype, r.name)),
            );
        }
        let mut attachments: BTreeMap<String, (u32, Prov)> = BTreeMap::new();
        let mut pending_attachments = Vec::new();
        for r in &self.resources {
            let managed = r.mode == "managed";
            match (r.rtype.as_str(), managed) {
                ("aws_lb" | "aws_alb", true) => inv.lbs.push(self.lb(r)?),
                ("aws_lb_listener" | "aws_alb_listener", true) => {
                    inv.listeners.push(self.listener(r)?)
                }
                ("aws_lb_listener_rule" | "aws_alb_listener_rule", true) => {
                    inv.rules.push(self.rule(r)?)
                }
                ("aws_lb_target_group" | "aws_alb_target_group", true) => {
                    inv.target_groups.push(self.target_group(r)?)
                }
                ("aws_lb_target_group_attachment" | "aws_alb_target_group_attachment", true) => {
                    pending_attachments.push((
                        self.link(r, "target_group_arn")?,
                        r.prov("target_group_arn"),
                    ));
                }
                ("aws_cloudfront_distribution", true) => {
                    inv.distributions.push(self.distribution(r)?)
                }
                ("aws_cloudfront_origin_request_policy", _) => inv.policies.push(self.policy(r)?),
                ("cloudflare_zone", _) => inv.zones.push(PZone {
                    key: r.address.clone(),
                    ids: self.ids(r, &["id", "zone_id"]),
                    name: self.known_str(r, "zone")?.or(self.known_str(r, "name")?),
                }),
                ("cloudflare_record" | "cloudflare_dns_record", true) => {
                    inv.records.push(self.record(r)?)
                }
                ("cloudflare_zone_settings_override", true) => {
                    self.settings_override(r, &mut inv)?
                }
                ("cloudflare_zone_setting", true) => {
                    if let Some(id) = self.known_str(r, "setting_id")? {
                        let value = match r.get("value") {
                            Got::Known(v) => Val::Known(v.clone(), r.prov("value")),
                            Got::Unknown => {
                                Val::Unknown(r.unknown_reason("value"), r.prov("value"))
                            }
                            Got::Absent => continue,
                        };
                        inv.zone_settings.push(PZoneSetting {
                            zone: self.link(r, "zone_id")?,
                            id,
                            value,
                        });
                    }
                }
                ("cloudflare_load_balancer", true) => inv.cf_lbs.push(self.cf_lb(r)?),
                ("cloudflare_load_balancer_pool", true) => inv.pools.push(self.pool(r)?),
                _ => {}
            }
        }
        for (link, prov) in pending_attachments {
            for tg in &inv.target_groups {
                if links_to(&link, &tg.key, &tg.ids) {
                    let e = attachments
                        .entry(tg.key.clone())
                        .or_insert((0, prov.clone()));
                    e.0 += 1;
                }
            }
        }
        for tg in &mut inv.target_groups {
            if let Some(n) = attachments.remove(&tg.key) {
                tg.targets = Some(n);
            }
        }
        Ok(inv)
    }

    fn lb(&self, r: &Res<'a>) -> Result<PLb, IacError> {
        let kind = match self.known_str(r, "load_balancer_type")?.as_deref() {
            Some("network") => LbKind::Network,
            Some("application") | None => LbKind::Application,
            Some(_) => LbKind::Other,
        };
        let mut attrs = BTreeMap::new();
        let mut put = |k: &str, v: Option<Val<String>>| {
            if let Some(v) = v {
                attrs.insert(k.to_string(), v);
            }
        };
        // The provider suppresses idle_timeout and enable_http2 on network load balancers.
        if kind != LbKind::Network {
            put(
                "idle_timeout.timeout_seconds",
                self.number_text(r, "idle_timeout", Some("60"))?,
            );
            put(
                "routing.http2.enabled",
                self.bool_text(r, "enable_http2", Some("true"))?,
            );
            put(
                "client_keep_alive.seconds",
                self.number_text(r, "client_keep_alive", Some("3600"))?,
            );
        }
        if self.count(r, "access_logs")? > 0 {
            put(
                "access_logs.s3.enabled",
                self.bool_text(r, "access_logs.0.enabled", Some("false"))?,
            );
            put(
                "access_logs.s3.bucket",
                self.string(r, "access_logs.0.bucket", None)?,
            );
            put(
                "access_logs.s3.prefix",
                self.string(r, "access_logs.0.prefix", None)?,
            );
        }
        Ok(PLb {
            key: r.address.clone(),
            name: self.known_str(r, "name")?,
            kind,
            ids: self.ids(r, &["arn", "id", "dns_name", "name"]),
            dns_name: self.known_str(r, "dns_name")?,
            attrs,
        })
    }

    fn actions(&self, r: &Res<'a>, block: &str) -> Result<Vec<PAction>, IacError> {
        let mut out = Vec::new();
        for i in 0..self.count(r, block)? {
            let p = |s: &str| format!("{block}.{i}.{s}");
            let kind = self.known_str(r, &p("type"))?.unwrap_or_default();
            let tg = self.link(r, &p("target_group_arn"))?;
            let mut forward = Vec::new();
            let mut group_stickiness = None;
            if self.count(r, &p("forward"))? > 0 {
                for j in 0..self.count(r, &p("forward.0.target_group"))? {
                    let q = p(&format!("forward.0.target_group.{j}"));
                    let weight = self.known_i64(r, &format!("{q}.weight"))?;
                    forward.push((
                        self.link(r, &format!("{q}.arn"))?,
                        weight.and_then(|w| i32::try_from(w).ok()),
                    ));
                }
                if self.count(r, &p("forward.0.stickiness"))? > 0 {
                    let enabled = self
                        .known_bool(r, &p("forward.0.stickiness.0.enabled"))?
                        .unwrap_or(false);
                    let duration = self
                        .known_i64(r, &p("forward.0.stickiness.0.duration"))?
                        .and_then(|d| i32::try_from(d).ok());
                    group_stickiness = Some((enabled, duration));
                }
            }
            let redirect = if self.count(r, &p("redirect"))? > 0 {
                let proto = self
                    .known_str(r, &p("redirect.0.protocol"))?
                    .unwrap_or("#{protocol}".into());
                let port = self
                    .known_str(r, &p("redirect.0.port"))?
                    .unwrap_or("#{port}".into());
                let code = self
                    .known_str(r, &p("redirect.0.status_code"))?
                    .unwrap_or_default();
                Some(format!("{proto}:{port} ({code})"))
            } else {
                None
            };
            out.push(PAction {
                kind,
                order: self.known_i64(r, &p("order"))?,
                target_group: (!tg.is_empty()).then_some(tg),
                forward,
                group_stickiness,
                redirect,
                prov: r.prov(&format!("{block}.{i}")),
            });
        }
        Ok(out)
    }

    fn listener(&self, r: &Res<'a>) -> Result<PListener, IacError> {
        let mut attrs = BTreeMap::new();
        if let Some(v) = self.number_text(r, "tcp_idle_timeout_seconds", Some("350"))? {
            attrs.insert("tcp.idle_timeout.seconds".to_string(), v);
        }
        Ok(PListener {
            key: r.address.clone(),
            lb: self.link(r, "load_balancer_arn")?,
            ids: self.ids(r, &["arn", "id"]),
            port: self.known_i64(r, "port")?,
            protocol: self.string(r, "protocol", None)?,
            attrs,
            default_actions: self.actions(r, "default_action")?,
        })
    }

    fn rule(&self, r: &Res<'a>) -> Result<PRule, IacError> {
        let mut conditions = Vec::new();
        for i in 0..self.count(r, "condition")? {
            let p = |s: &str| format!("condition.{i}.{s}");
            let list = |s: &str| self.str_list(r, &p(s));
            if self.count(r, &p("host_header"))? > 0 {
                if let Some(v) = list("host_header.0.values")?.filter(|v| !v.is_empty()) {
                    conditions.push(Condition::Host(v));
                }
                if let Some(v) = list("host_header.0.regex_values")?.filter(|v| !v.is_empty()) {
                    conditions.push(Condition::HostRegex(v));
                }
            }
            if self.count(r, &p("path_pattern"))? > 0 {
                if let Some(v) = list("path_pattern.0.values")?.filter(|v| !v.is_empty()) {
                    conditions.push(Condition::Path(v));
                }
                if let Some(v) = list("path_pattern.0.regex_values")?.filter(|v| !v.is_empty()) {
                    conditions.push(Condition::PathRegex(v));
                }
            }
            if self.count(r, &p("http_request_method"))? > 0 {
                conditions.push(Condition::Method(
                    list("http_request_method.0.values")?.unwrap_or_default(),
                ));
            }
            if self.count(r, &p("http_header"))? > 0 {
                let name = self
                    .known_str(r, &p("http_header.0.http_header_name"))?
                    .unwrap_or_default();
                if let Some(v) = list("http_header.0.values")?.filter(|v| !v.is_empty()) {
                    conditions.push(Condition::Header {
                        name: name.clone(),
                        values: v,
                    });
                }
                if let Some(v) = list("http_header.0.regex_values")?.filter(|v| !v.is_empty()) {
                    conditions.push(Condition::HeaderRegex { name, patterns: v });
                }
            }
            for field in ["query_string", "source_ip"] {
                if self.count(r, &p(field))? > 0 {
                    conditions.push(Condition::Undecidable {
                        field: field.to_string(),
                    });
                }
            }
        }
        Ok(PRule {
            key: r.address.clone(),
            listener: self.link(r, "listener_arn")?,
            priority: self
                .known_i64(r, "priority")?
                .and_then(|p| u32::try_from(p).ok()),
            conditions,
            actions: self.actions(r, "action")?,
        })
    }

    fn target_group(&self, r: &Res<'a>) -> Result<PTg, IacError> {
        let mut attrs = BTreeMap::new();
        let mut put = |k: &str, v: Option<Val<String>>| {
            if let Some(v) = v {
                attrs.insert(k.to_string(), v);
            }
        };
        put(
            "deregistration_delay.timeout_seconds",
            self.int_text(r, "deregistration_delay", Some("300"))?,
        );
        put(
            "load_balancing.algorithm.type",
            self.string(r, "load_balancing_algorithm_type", Some("round_robin"))?,
        );
        put(
            "deregistration_delay.connection_termination.enabled",
            self.bool_text(r, "connection_termination", Some("false"))?,
        );
        if self.count(r, "stickiness")? > 0 {
            // `enabled` defaults to true inside the block (provider schema).
            let enabled = match self.bool_text(r, "stickiness.0.enabled", None)? {
                Some(v) => Some(v),
                None if r.configured("stickiness") != Some(false) => {
                    Some(Val::Known("true".into(), r.prov("stickiness.0")))
                }
                None => None,
            };
            // An untouched target group plans the provider's computed block (disabled
            // lb_cookie): unset, so the documented default speaks.
            let untouched = r.configured("stickiness") == Some(false);
            if !untouched {
                put("stickiness.enabled", enabled);
                let kind = self.string(r, "stickiness.0.type", None)?;
                let duration = self.number_text(r, "stickiness.0.cookie_duration", None)?;
                let prefix = match kind.as_ref().and_then(Val::known).map(String::as_str) {
                    Some("app_cookie") => "stickiness.app_cookie",
                    _ => "stickiness.lb_cookie",
                };
                put(&format!("{prefix}.duration_seconds"), duration);
                put(
                    "stickiness.app_cookie.cookie_name",
                    self.string(r, "stickiness.0.cookie_name", None)?,
                );
                put("stickiness.type", kind);
            }
        } else if matches!(r.get("stickiness"), Got::Unknown)
            && r.configured("stickiness") != Some(false)
        {
            put(
                "stickiness.enabled",
                Some(Val::Unknown(
                    r.unknown_reason("stickiness"),
                    r.prov("stickiness"),
                )),
            );
        }
        Ok(PTg {
            key: r.address.clone(),
            name: self.known_str(r, "name")?,
            ids: self.ids(r, &["arn", "id", "name"]),
            protocol: self.string(r, "protocol", None)?,
            protocol_version: self.string(r, "protocol_version", Some("HTTP1"))?,
            target_type: self.known_str(r, "target_type")?,
            attrs,
            targets: None,
        })
    }

    fn behavior(&self, r: &Res<'a>, path: &str) -> Result<PBehavior, IacError> {
        let p = |s: &str| format!("{path}.{s}");
        let policy = self.link(r, &p("origin_request_policy_id"))?;
        let forwarded_headers = if self.count(r, &p("forwarded_values"))? > 0 {
            self.str_list(r, &p("forwarded_values.0.headers"))?
                .map(|h| Val::Known(h, r.prov(&p("forwarded_values.0.headers"))))
        } else {
            None
        };
        Ok(PBehavior {
            path_pattern: self.known_str(r, &p("path_pattern"))?,
            target_origin_id: self
                .known_str(r, &p("target_origin_id"))?
                .unwrap_or_default(),
            viewer_protocol_policy: self
                .string(r, &p("viewer_protocol_policy"), None)?
                .unwrap_or_else(|| {
                    Val::Unknown(
                        r.unknown_reason(&p("viewer_protocol_policy")),
                        r.prov(&p("viewer_protocol_policy")),
                    )
                }),
            origin_request_policy: (!policy.is_empty() || policy.unknown.is_some())
                .then_some(policy),
            forwarded_headers,
            prov: r.prov(path),
        })
    }

    fn distribution(&self, r: &Res<'a>) -> Result<PDist, IacError> {
        let mut origins = Vec::new();
        for i in 0..self.count(r, "origin")? {
            let p = |s: &str| format!("origin.{i}.{s}");
            let custom = if self.count(r, &p("custom_origin_config"))? > 0 {
                let c = |s: &str| p(&format!("custom_origin_config.0.{s}"));
                let int = |s: &str, d: &str| -> Result<Option<Val<i32>>, IacError> {
                    Ok(self
                        .number_text(r, &c(s), Some(d))?
                        .map(|v| v.map(|t| t.parse::<i32>().unwrap_or_default())))
                };
                Some(PCustomOrigin {
                    http_port: self.known_i64(r, &c("http_port"))?.unwrap_or(80) as i32,
                    https_port: self.known_i64(r, &c("https_port"))?.unwrap_or(443) as i32,
                    protocol_policy: self
                        .string(r, &c("origin_protocol_policy"), None)?
                        .unwrap_or_else(|| {
                            Val::Unknown(
                                r.unknown_reason(&c("origin_protocol_policy")),
                                r.prov(&c("origin_protocol_policy")),
                            )
                        }),
                    read_timeout: int("origin_read_timeout", "30")?,
                    keepalive_timeout: int("origin_keepalive_timeout", "5")?,
                })
            } else {
                None
            };
            origins.push(POrigin {
                id: self.known_str(r, &p("origin_id"))?.unwrap_or_default(),
                domain: self.link(r, &p("domain_name"))?,
                custom,
                prov: r.prov(&format!("origin.{i}")),
            });
        }
        let mut groups = Vec::new();
        for i in 0..self.count(r, "origin_group")? {
            let id = self
                .known_str(r, &format!("origin_group.{i}.origin_id"))?
                .unwrap_or_default();
            let mut members = Vec::new();
            for j in 0..self.count(r, &format!("origin_group.{i}.member"))? {
                if let Some(m) =
                    self.known_str(r, &format!("origin_group.{i}.member.{j}.origin_id"))?
                {
                    members.push(m);
                }
            }
            groups.push((id, members));
        }
        let mut behaviors = Vec::new();
        for i in 0..self.count(r, "ordered_cache_behavior")? {
            behaviors.push(self.behavior(r, &format!("ordered_cache_behavior.{i}"))?);
        }
        let logging = if self.count(r, "logging_config")? > 0 {
            let bucket = self
                .known_str(r, "logging_config.0.bucket")?
                .unwrap_or_default();
            let prefix = self
                .known_str(r, "logging_config.0.prefix")?
                .unwrap_or_default();
            let dest = if prefix.is_empty() {
                format!("s3://{bucket}")
            } else {
                format!("s3://{bucket}/{prefix}")
            };
            Some(Val::Known((true, dest), r.prov("logging_config")))
        } else {
            None
        };
        Ok(PDist {
            key: r.address.clone(),
            ids: self.ids(r, &["id", "arn", "domain_name"]),
            domain_name: self.known_str(r, "domain_name")?,
            aliases: self.str_list(r, "aliases")?.unwrap_or_default(),
            http_version: self.string(r, "http_version", Some("http2"))?,
            logging,
            origins,
            groups,
            default_behavior: self.behavior(r, "default_cache_behavior.0")?,
            behaviors,
        })
    }

    fn policy(&self, r: &Res<'a>) -> Result<PPolicy, IacError> {
        Ok(PPolicy {
            key: r.address.clone(),
            ids: self.ids(r, &["id"]),
            name: self.known_str(r, "name")?.unwrap_or_default(),
            header_behavior: self
                .known_str(r, "headers_config.0.header_behavior")?
                .unwrap_or_else(|| "none".into()),
            headers: self
                .str_list(r, "headers_config.0.headers.0.items")?
                .unwrap_or_default(),
            prov: r.prov("headers_config[0].header_behavior"),
        })
    }

    fn record(&self, r: &Res<'a>) -> Result<PRecord, IacError> {
        // v4 wrote the target as `value` (deprecated) before `content`.
        let content = match r.get("content") {
            Got::Absent => self.link(r, "value")?,
            _ => self.link(r, "content")?,
        };
        let proxied = match r.get("proxied") {
            Got::Known(Value::Bool(b)) => Val::Known(*b, r.prov("proxied")),
            Got::Known(other) => return Err(self.type_err(r, "proxied", "a boolean", other)),
            Got::Unknown => Val::Unknown(r.unknown_reason("proxied"), r.prov("proxied")),
            // The API's default: DNS only.
            Got::Absent => Val::Known(false, r.prov("proxied")),
        };
        Ok(PRecord {
            key: r.address.clone(),
            zone: self.link(r, "zone_id")?,
            name: self
                .known_str(r, "hostname")?
                .filter(|h| !h.is_empty())
                .or(self.known_str(r, "name")?)
                .unwrap_or_default(),
            record_type: self.known_str(r, "type")?.unwrap_or_default(),
            content,
            proxied,
            prov: r.prov("content"),
        })
    }

    fn settings_override(&self, r: &Res<'a>, inv: &mut Inventory) -> Result<(), IacError> {
        let zone = self.link(r, "zone_id")?;
        let Some(Value::Object(settings)) = r.values.get("settings").and_then(|s| s.get(0)) else {
            return Ok(());
        };
        for id in settings.keys() {
            let path = format!("settings.0.{id}");
            if r.configured(&path) == Some(false) {
                // Read-only echoes of the zone's current values are not what the plan sets.
                continue;
            }
            let value = match r.get(&path) {
                Got::Known(v) if !v.is_array() && !v.is_object() => {
                    Val::Known(v.clone(), r.prov(&path))
                }
                Got::Unknown => Val::Unknown(r.unknown_reason(&path), r.prov(&path)),
                _ => continue,
            };
            inv.zone_settings.push(PZoneSetting {
                zone: zone.clone(),
                id: id.clone(),
                value,
            });
        }
        Ok(())
    }

    fn cf_lb(&self, r: &Res<'a>) -> Result<PCfLb, IacError> {
        let mut pools = Vec::new();
        for attr in ["default_pool_ids", "default_pools"] {
            for i in 0..self.count(r, attr)? {
                pools.push(self.link(r, &format!("{attr}.{i}"))?);
            }
        }
        for attr in ["fallback_pool_id", "fallback_pool"] {
            let l = self.link(r, attr)?;
            if !l.is_empty() {
                pools.push(l);
            }
        }
        // Terraform writes one reference list per attribute: an element of a list keeps the
        // list's references, so every pool referenced by the list is named by each element.
        // v4 writes session_affinity_attributes as a block list, v5 as an object.
        let attrs = match r.get("session_affinity_attributes") {
            Got::Known(Value::Array(_)) => "session_affinity_attributes.0",
            _ => "session_affinity_attributes",
        };
        let drain = match r.get(&format!("{attrs}.drain_duration")) {
            Got::Known(Value::Number(n)) => n
                .as_f64()
                .map(|d| Val::Known(d, r.prov(&format!("{attrs}.drain_duration")))),
            Got::Known(other) => {
                return Err(self.type_err(r, &format!("{attrs}.drain_duration"), "a number", other))
            }
            _ => None,
        };
        Ok(PCfLb {
            key: r.address.clone(),
            zone: self.link(r, "zone_id")?,
            name: self.known_str(r, "name")?.unwrap_or_default(),
            pools,
            proxied: self.known_bool(r, "proxied")?.unwrap_or(false),
            session_affinity: self.string(r, "session_affinity", None)?,
            session_affinity_ttl: match r.get("session_affinity_ttl") {
                Got::Known(Value::Number(n)) => n.as_f64(),
                _ => None,
            },
            drain_duration: drain,
            headers: self
                .str_list(r, &format!("{attrs}.headers"))?
                .unwrap_or_default(),
            prov: r.prov("session_affinity"),
        })
    }

    fn pool(&self, r: &Res<'a>) -> Result<PPool, IacError> {
        let mut origins = Vec::new();
        for i in 0..self.count(r, "origins")? {
            let enabled = self
                .known_bool(r, &format!("origins.{i}.enabled"))?
                .unwrap_or(true);
            origins.push((self.link(r, &format!("origins.{i}.address"))?, enabled));
        }
        Ok(PPool {
            key: r.address.clone(),
            ids: self.ids(r, &["id"]),
            origins,
            enabled: self.known_bool(r, "enabled")?.unwrap_or(true),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn module_paths_drop_instance_keys() {
        assert_eq!(module_path(""), Vec::<String>::new());
        assert_eq!(module_path("module.edge"), vec!["edge"]);
        assert_eq!(
            module_path("module.edge[\"e]u.x\"].module.lb[0]"),
            vec!["edge", "lb"]
        );
        assert_eq!(
            parent_modinst("module.a[\"x\"].module.b"),
            "module.a[\"x\"]"
        );
        assert_eq!(parent_modinst("module.a"), "");
    }

    #[test]
    fn references_parse_into_names_and_keys() {
        assert_eq!(
            parse_reference("aws_lb.ws[\"eu\"].arn"),
            vec![
                Part::Name("aws_lb".into()),
                Part::Name("ws".into()),
                Part::Index(Some(Value::String("eu".into()))),
                Part::Name("arn".into()),
            ]
        );
        assert_eq!(
            parse_reference("aws_lb.ws[0]"),
            vec![
                Part::Name("aws_lb".into()),
                Part::Name("ws".into()),
                Part::Index(Some(serde_json::json!(0))),
            ]
        );
        assert_eq!(
            parse_reference("aws_lb.ws[each.key]"),
            vec![
                Part::Name("aws_lb".into()),
                Part::Name("ws".into()),
                Part::Index(None),
            ]
        );
    }
}
