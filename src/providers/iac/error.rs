//! Why an infrastructure-code file cannot be audited: each error names the file and, where
//! there is one, the line, the resource address and the attribute.

use thiserror::Error;

#[derive(Debug, Error, Clone, PartialEq)]
pub enum IacError {
    #[error("{file}: {message}")]
    Io { file: String, message: String },
    #[error("{file}:{line}:{column}: not JSON: {message}")]
    NotJson {
        file: String,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{file}:{line}:{column}: not YAML: {message}")]
    NotYaml {
        file: String,
        line: usize,
        column: usize,
        message: String,
    },
    /// Parseable, but neither a Terraform plan nor a CloudFormation template.
    #[error("{file}: {message}")]
    NotIac { file: String, message: String },
    #[error(
        "{file}: Terraform plan format_version {found:?} is not supported (this wsaudit reads major version 1, and 0.x of Terraform 0.12-1.0); a new major version changes the format incompatibly"
    )]
    FormatVersion { file: String, found: String },
    /// A resource attribute whose value has a type the provider schema does not give it.
    #[error("{file}: {address}.{attribute}: expected {expected}, found {found}")]
    AttributeType {
        file: String,
        address: String,
        attribute: String,
        expected: &'static str,
        found: String,
    },
    /// A template or plan part of the wrong shape (`Resources` not a mapping, …).
    #[error("{file}{at}: {message}")]
    Shape {
        file: String,
        /// `:line:column` when known.
        at: String,
        message: String,
    },
}
