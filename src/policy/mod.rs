//! The policy engine (DESIGN §4): the Rego rule pack in `policies/`, evaluated in-process.

mod config;
mod engine;
mod finding;
mod metadata;
mod severity;

pub use config::{line_col, Config, ConfigError, HeartbeatDecl, RuleRef, Suppression, Thresholds};
pub use engine::{builtin_sources, merge_evaluations, LoadedRule, PolicyError, RulePack};
pub use finding::{Evaluation, Finding, Locator, SuppressedFinding};
pub use metadata::RuleMeta;
pub use severity::Severity;
