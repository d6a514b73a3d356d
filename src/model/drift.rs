//! Drift: a setting whose live value differs from the value infrastructure code plans for it.

use super::setting::Origin;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// One setting of one layer read live whose planned value (a Terraform plan, a CloudFormation
/// template) is another: someone changed it by hand, or the plan is not applied yet.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Drift {
    /// The live layer's id.
    pub layer: String,
    /// The setting's JSON key (`idle_timeout`).
    pub setting: String,
    /// The value read live.
    pub live: serde_json::Value,
    /// The value the code plans.
    pub planned: serde_json::Value,
    /// Where the code sets it (or the documented default it leaves in place).
    pub planned_origin: Origin,
}
