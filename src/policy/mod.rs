//! The policy engine (DESIGN §4): the Rego rule pack in `policies/`, evaluated in-process.

mod config;
mod finding;
mod metadata;
mod pack;
mod severity;

pub use config::{line_col, Config, ConfigError, HeartbeatDecl, RuleRef, Suppression, Thresholds};
pub use finding::{Evaluation, Finding, Locator, SuppressedFinding};
pub use metadata::RuleMeta;
pub use pack::{builtin_sources, merge_evaluations, LoadedRule, PolicyError, RulePack};
pub use severity::Severity;
