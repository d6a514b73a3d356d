//! What can go wrong reading manifests or routing a request through them, with the file and
//! line (YAML: line and column) where there is one.

use crate::model::GapCode;

#[derive(Debug, thiserror::Error)]
pub enum K8sError {
    #[error("{path}: {message}")]
    Io { path: String, message: String },
    #[error("{file}:{line}:{col}: malformed YAML: {message}")]
    Yaml {
        file: String,
        line: u32,
        col: u32,
        message: String,
    },
    #[error("{path}: nothing to audit: {why}")]
    Empty { path: String, why: String },
    /// No Ingress or HTTPRoute takes the request.
    #[error("{0}")]
    NoRoute(String),
    /// An object the route depends on is malformed (an Ingress without rules or a backend).
    #[error("{at}: {message}")]
    Invalid { at: String, message: String },
}

impl K8sError {
    pub fn gap_code(&self) -> GapCode {
        match self {
            K8sError::NoRoute(_) => GapCode::NoRoute,
            _ => GapCode::UnreadableConfig,
        }
    }
}
