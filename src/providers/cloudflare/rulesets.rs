//! Configuration Rules and Origin Rules: the zone rules that change, for the hostname, the SSL
//! mode (Configuration Rules, `set_config` with `ssl`) and the next hop's host, port, `Host`
//! header and SNI (Origin Rules, `route`).
//!
//! Endpoint (API v4 reference, Rulesets → Phases → Get a zone entry point ruleset):
//! `GET /zones/{zone_id}/rulesets/phases/{phase}/entrypoint` for the phases
//! `http_config_settings` and `http_request_origin`; 404 when the zone has no rules there.
//! When several rules match, their settings merge and a later rule's value wins (Origin
//! Rules FAQ, "What happens if more than one origin rule matches"; Configuration Rules
//! behave the same way). Token permissions, as Cloudflare names them for these phases:
//! "Config Settings Read" (Configuration Rules) and "Origin Read" (Origin Rules), as the
//! Terraform provider's ruleset scopes list them.

use super::client::CloudflareClient;
use super::error::CloudflareError;
use super::expression::{evaluate, Request};
use serde::{Deserialize, Deserializer, Serialize};

pub(crate) const CONFIG_PHASE: &str = "http_config_settings";
pub(crate) const ORIGIN_PHASE: &str = "http_request_origin";
pub(crate) const CONFIG_RULES_READ: &str = "Config Settings Read (Configuration Rules)";
pub(crate) const ORIGIN_RULES_READ: &str = "Origin Read (Origin Rules)";

fn null_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ruleset {
    pub id: String,
    #[serde(default)]
    pub phase: Option<String>,
    #[serde(default, deserialize_with = "null_default")]
    pub rules: Vec<Rule>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rule {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub action: Option<String>,
    #[serde(default)]
    pub expression: Option<String>,
    /// Defaults to enabled.
    #[serde(default)]
    pub enabled: Option<bool>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub action_parameters: Option<serde_json::Value>,
}

/// One value a matching rule sets, and where.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleValue<T> {
    pub value: T,
    /// `zone/<zone>/rulesets/<ruleset>/rules/<rule>`.
    pub locator: String,
    /// `action_parameters.ssl`, `action_parameters.origin.port`, …
    pub field: &'static str,
    pub description: Option<String>,
}

/// What the matching rules of one phase set for the request, merged.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RuleEffects {
    pub ssl: Option<RuleValue<String>>,
    pub host_header: Option<RuleValue<String>>,
    pub origin_host: Option<RuleValue<String>>,
    pub origin_port: Option<RuleValue<u16>>,
    pub sni: Option<RuleValue<String>>,
    /// Rules whose expression could not be evaluated, so whether they apply is unknown:
    /// `(locator, what they would set, why)`.
    pub undecided: Vec<(String, String, String)>,
    /// Rules that execute another ruleset: not followed.
    pub not_followed: Vec<String>,
}

/// A phase's entry point as read: `Ok(None)` when the zone has no rules in it.
pub(crate) async fn read_phase(
    client: &CloudflareClient,
    zone_id: &str,
    phase: &str,
    permission: &str,
    account: Option<&str>,
) -> Result<Option<Ruleset>, CloudflareError> {
    let got = client
        .get::<Ruleset>(
            &format!("{phase} rules of zone {zone_id}"),
            &["zones", zone_id, "rulesets", "phases", phase, "entrypoint"],
            &[],
        )
        .await;
    match got {
        Ok(p) => Ok(Some(p.result)),
        Err(CloudflareError::NotFound { .. }) => Ok(None),
        Err(e) => Err(client.explain_denial(e, permission, account).await),
    }
}

/// The merged effect of every enabled rule of `set` that matches `req`, in rule order.
pub fn effects(zone_id: &str, set: &Ruleset, req: &Request<'_>) -> RuleEffects {
    let mut out = RuleEffects::default();
    for rule in set.rules.iter().filter(|r| r.enabled != Some(false)) {
        let locator = format!(
            "zone/{zone_id}/rulesets/{}/rules/{}",
            set.id,
            rule.id.as_deref().unwrap_or("?")
        );
        let params = rule
            .action_parameters
            .clone()
            .unwrap_or(serde_json::Value::Null);
        let sets = setting_names(rule.action.as_deref(), &params);
        if rule.action.as_deref() == Some("execute") {
            out.not_followed.push(locator);
            continue;
        }
        if sets.is_empty() {
            continue;
        }
        let expr = rule.expression.as_deref().unwrap_or("");
        match evaluate(expr, req) {
            Ok(false) => {}
            Ok(true) => apply(&mut out, &locator, rule, &params),
            Err(why) => {
                out.undecided
                    .push((locator, sets.join(", "), format!("{why} in `{expr}`")))
            }
        }
    }
    out
}

/// What a rule sets that matters to a WebSocket: nothing else makes it worth evaluating.
fn setting_names(action: Option<&str>, p: &serde_json::Value) -> Vec<String> {
    let mut names = Vec::new();
    match action {
        Some("set_config") if p.get("ssl").is_some() => names.push("ssl".to_string()),
        Some("route") => {
            for (key, name) in [("host_header", "host_header"), ("sni", "sni")] {
                if p.get(key).is_some() {
                    names.push(name.to_string());
                }
            }
            if let Some(o) = p.get("origin") {
                for key in ["host", "port"] {
                    if o.get(key).is_some() {
                        names.push(format!("origin.{key}"));
                    }
                }
            }
        }
        _ => {}
    }
    names
}

fn apply(out: &mut RuleEffects, locator: &str, rule: &Rule, p: &serde_json::Value) {
    let at = |value, field| RuleValue {
        value,
        locator: locator.to_string(),
        field,
        description: rule.description.clone(),
    };
    let s = |v: Option<&serde_json::Value>| v.and_then(|v| v.as_str()).map(str::to_string);
    if let Some(v) = s(p.get("ssl")) {
        out.ssl = Some(at(v, "action_parameters.ssl"));
    }
    if let Some(v) = s(p.get("host_header")) {
        out.host_header = Some(at(v, "action_parameters.host_header"));
    }
    if let Some(v) = s(p.get("sni").and_then(|x| x.get("value"))) {
        out.sni = Some(at(v, "action_parameters.sni.value"));
    }
    if let Some(o) = p.get("origin") {
        if let Some(v) = s(o.get("host")) {
            out.origin_host = Some(at(v, "action_parameters.origin.host"));
        }
        if let Some(port) = o
            .get("port")
            .and_then(|v| v.as_u64())
            .and_then(|n| u16::try_from(n).ok())
        {
            out.origin_port = Some(RuleValue {
                value: port,
                locator: locator.to_string(),
                field: "action_parameters.origin.port",
                description: rule.description.clone(),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn later_matching_rules_win_and_unknown_expressions_are_undecided() {
        let set: Ruleset = serde_json::from_value(json!({
            "id": "rs1", "phase": "http_request_origin",
            "rules": [
                {"id": "a", "action": "route", "expression": "(http.host eq \"ws.example.com\")",
                 "action_parameters": {"host_header": "app.internal", "origin": {"port": 8080}}},
                {"id": "b", "action": "route", "expression": "starts_with(http.request.uri.path, \"/ws\")",
                 "action_parameters": {"origin": {"port": 8443}}},
                {"id": "c", "action": "route", "expression": "http.host eq \"other.example.com\"",
                 "action_parameters": {"host_header": "nope"}},
                {"id": "d", "action": "route", "expression": "ip.src in {192.0.2.0/24}",
                 "action_parameters": {"sni": {"value": "x"}}},
                {"id": "e", "action": "route", "enabled": false, "expression": "true",
                 "action_parameters": {"host_header": "disabled"}}
            ]
        }))
        .unwrap();
        let req = Request {
            host: "ws.example.com",
            path: "/ws/",
            tls: true,
        };
        let fx = effects("z", &set, &req);
        assert_eq!(fx.host_header.as_ref().unwrap().value, "app.internal");
        assert_eq!(fx.origin_port.as_ref().unwrap().value, 8443);
        assert_eq!(
            fx.origin_port.as_ref().unwrap().locator,
            "zone/z/rulesets/rs1/rules/b"
        );
        assert_eq!(fx.undecided.len(), 1);
        assert!(fx.undecided[0].2.contains("ip.src"), "{:?}", fx.undecided);
        assert!(fx.sni.is_none());
    }
}
