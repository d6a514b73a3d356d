//! A rule's self-description, read from the `metadata` object of its Rego file. It is the one
//! place a rule is documented: `wsaudit rules`, `explain`, SARIF descriptors and the README
//! table are all rendered from it.

use super::severity::Severity;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleMeta {
    /// `WS401`: stable, never renumbered.
    pub id: String,
    pub title: String,
    pub severity: Severity,
    /// `upgrade`, `idle`, `sticky`, `align`, `protocol`, `buffering`, `observability`, …
    pub category: String,
    /// The mechanism: why this breaks (or hides) WebSocket connections.
    pub why: String,
    /// What to change.
    pub remediation: String,
    /// A concrete fix: config lines or a command.
    pub snippet: String,
    /// Documentation the rule's facts come from.
    #[serde(default)]
    pub references: Vec<String>,
}

impl RuleMeta {
    /// Checks what serde cannot: the id's shape and non-empty prose.
    pub fn validate(&self) -> Result<(), String> {
        let id_ok = self.id.len() >= 3
            && self
                .id
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-' || c == '_')
            && self
                .id
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_uppercase());
        if !id_ok {
            return Err(format!(
                "metadata.id `{}` must be upper-case letters and digits, e.g. WS401 or ACME101",
                self.id
            ));
        }
        for (name, v) in [
            ("title", &self.title),
            ("category", &self.category),
            ("why", &self.why),
            ("remediation", &self.remediation),
            ("snippet", &self.snippet),
        ] {
            if v.trim().is_empty() {
                return Err(format!("metadata.{name} of {} is empty", self.id));
            }
        }
        Ok(())
    }
}
