//! Why a command stopped before it could audit (exit 2): each input error, with the file,
//! option or URL it is about.

use crate::model::ChainError;
use crate::policy::{ConfigError, PolicyError};
use crate::providers::nginx::NginxError;
use thiserror::Error;

/// Everything that stops a command before it can audit: exit code 2.
#[derive(Debug, Error)]
pub enum CommandError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Policy(#[from] PolicyError),
    #[error(transparent)]
    Chain(#[from] ChainError),
    #[error(transparent)]
    Nginx(#[from] NginxError),
    #[error(transparent)]
    Haproxy(#[from] crate::providers::haproxy::HaproxyError),
    #[error(transparent)]
    Caddy(#[from] crate::providers::caddy::CaddyError),
    #[error(transparent)]
    Iac(#[from] crate::providers::iac::IacError),
    #[error(transparent)]
    K8s(#[from] crate::providers::k8s::K8sError),
    #[error("{0}")]
    Usage(String),
    /// A bad URL or option, or a target that could not be reached at all.
    #[error(transparent)]
    Probe(#[from] crate::providers::probe::ProbeError),
    #[error("{path}: {message}")]
    Io { path: String, message: String },
}

impl CommandError {
    pub fn io(path: impl std::fmt::Display, e: std::io::Error) -> Self {
        CommandError::Io {
            path: path.to_string(),
            message: e.to_string(),
        }
    }
}
