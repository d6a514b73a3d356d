//! Read errors, worded like nginx's own (`unexpected "}"`, `open() "x" failed`) and always
//! carrying `file:line:col`, so a user can jump to the line nginx would complain about.

use thiserror::Error;

#[derive(Debug, Error, Clone, PartialEq)]
pub enum NginxError {
    /// The text is not a valid nginx configuration (braces, quotes, misplaced `;`).
    #[error("{file}:{line}:{col}: {message}")]
    Syntax {
        file: String,
        line: u32,
        col: u32,
        message: String,
    },
    /// An `include` without wildcards names a file that cannot be opened (nginx refuses to
    /// start in that case; an empty glob is fine).
    #[error("{file}:{line}:{col}: open() \"{path}\" failed ({reason})")]
    Include {
        file: String,
        line: u32,
        col: u32,
        path: String,
        reason: String,
    },
    /// Files that include each other: nginx would recurse until it runs out of descriptors.
    #[error("{file}:{line}:{col}: include cycle: {cycle}")]
    IncludeCycle {
        file: String,
        line: u32,
        col: u32,
        cycle: String,
    },
    /// The main file (or dump) itself cannot be read.
    #[error("open() \"{path}\" failed ({reason})")]
    Unreadable { path: String, reason: String },
    /// `--nginx-dump` input that holds no `# configuration file …:` section.
    #[error("{path}: not an `nginx -T` dump: {reason}")]
    BadDump { path: String, reason: String },
    /// A directive whose value nginx would reject (`proxy_read_timeout 5x`).
    #[error("{file}:{line}:{col}: {message}")]
    Invalid {
        file: String,
        line: u32,
        col: u32,
        message: String,
    },
    /// `nginx -v` could not be run or understood, or `--nginx-version` is malformed.
    #[error("nginx version: {0}")]
    Version(String),
}

impl NginxError {
    /// The file the error points at, when it points at one.
    pub fn file(&self) -> Option<&str> {
        match self {
            NginxError::Syntax { file, .. }
            | NginxError::Include { file, .. }
            | NginxError::IncludeCycle { file, .. }
            | NginxError::Invalid { file, .. } => Some(file),
            NginxError::Unreadable { path, .. } | NginxError::BadDump { path, .. } => Some(path),
            NginxError::Version(_) => None,
        }
    }
}
