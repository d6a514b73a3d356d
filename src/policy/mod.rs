//! The policy engine (DESIGN §4): the Rego rule pack in `policies/`, evaluated in-process.

mod config;
mod error;
mod evaluate;
mod finding;
mod fix;
mod metadata;
mod pack;
mod scan_config;
mod severity;
mod suppress;

pub use config::{line_col, Config, ConfigError, HeartbeatDecl, RuleRef, Suppression, Thresholds};
pub use error::PolicyError;
pub use finding::{Evaluation, Finding, Fix, FixAlternative, Locator, SuppressedFinding};
pub use metadata::RuleMeta;
pub use pack::{builtin_sources, LoadedRule, RulePack};
pub use scan_config::{AwsAccount, CloudflareAccount, ScanConfig, TargetDecl, DISCOVERABLE};
pub use severity::Severity;
pub use suppress::{merge_evaluations, suppress_per_chain};
