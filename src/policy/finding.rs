//! What a rule reports: a finding, with the layer it is about and where to make the change,
//! as every report format shows it.

use super::severity::Severity;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// One problem in the chain, ready for a report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Finding {
    pub rule: String,
    pub title: String,
    pub severity: Severity,
    pub category: String,
    /// The layer id the finding is about, or `chain` for chain-wide findings.
    pub layer: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    pub message: String,
    /// What happens, in a few words, without the layer's name (`cuts idle WebSockets after
    /// 60 s, below the 300 s baseline`): the one line a terminal shows per finding.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub headline: Option<String>,
    /// The values the rule compared, with their provenance.
    pub evidence: serde_json::Value,
    pub remediation: String,
    /// Where to make the change.
    pub locator: Option<Locator>,
    /// The setting behind the finding (`alb.idle_timeout`): findings that share it are one
    /// problem with one fix (the ALB's 60 s default is behind WS201, WS401 and WS402 at once).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub root_cause: Option<String>,
    /// The change for this resource, ready to run or paste: built from the chain (the real
    /// ARN, file and line) with the value the rule chose. Absent when the fix is not a setting
    /// (an application change, a certificate) or the layer's provider has no known way to set it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fix: Option<Fix>,
}

/// A concrete change: the command, directive or API call, then the same change in other
/// tools (Terraform, the dashboard).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Fix {
    /// `aws-cli`, `nginx`, `cloudflare-api`, `terraform`, `dashboard`, `application`, `manual`.
    pub kind: String,
    /// What to run, or what to write and where; may span several lines.
    pub text: String,
    /// The same change expressed for other tools.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub also: Vec<FixAlternative>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct FixAlternative {
    pub kind: String,
    pub text: String,
}

/// A file position (`kind: file`) or a cloud resource and field (`kind: resource`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Locator {
    pub kind: String,
    pub target: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl Finding {
    /// The headline, or the rule's title for rules that write none.
    pub fn short(&self) -> &str {
        self.headline.as_deref().unwrap_or(&self.title)
    }
}

impl Locator {
    pub fn resource(target: &str, field: Option<String>) -> Self {
        Locator {
            kind: "resource".into(),
            target: target.to_string(),
            line: None,
            column: None,
            field,
        }
    }

    /// `nginx.conf:12`, `arn:…:loadbalancer/app/x (idle_timeout.timeout_seconds)`.
    pub fn display(&self) -> String {
        let mut s = self.target.clone();
        if let Some(l) = self.line {
            s.push_str(&format!(":{l}"));
        }
        if let Some(f) = &self.field {
            if self.line.is_none() {
                s.push_str(&format!(" ({f})"));
            }
        }
        s
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SuppressedFinding {
    pub reason: String,
    pub expires: String,
    pub finding: Finding,
}

#[derive(Debug, Clone, Default)]
pub struct Evaluation {
    pub findings: Vec<Finding>,
    pub suppressed: Vec<SuppressedFinding>,
    /// Things the user should know that are not findings (expired or unused suppressions).
    pub notices: Vec<String>,
    /// Rule ids that ran (disabled ones excluded), for JUnit.
    pub rules_evaluated: Vec<String>,
}
