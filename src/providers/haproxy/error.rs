//! What can go wrong reading an HAProxy configuration, worded with `file:line:col` like
//! HAProxy's own messages.

use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Error)]
pub enum HaproxyError {
    #[error("{file}: {message}")]
    Io { file: String, message: String },
    #[error("{file}:{line}:{col}: {message}")]
    Syntax {
        file: String,
        line: u32,
        col: u32,
        message: String,
    },
    #[error("{file}: {message}")]
    NoRoute { file: String, message: String },
}
