//! What can go wrong reading or running the rule pack. Every message names the file (and the
//! rule, once one is known) so a user-written rule's author can find the line to fix.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum PolicyError {
    #[error("{message}")]
    Parse { file: String, message: String },
    #[error("{file}:{line}: {message}")]
    Metadata {
        file: String,
        line: usize,
        message: String,
    },
    #[error("rule {id} is defined twice: {first} and {second}")]
    Duplicate {
        id: String,
        first: String,
        second: String,
    },
    #[error("{dir}: {message}")]
    Io { dir: String, message: String },
    #[error("rule {rule} ({file}) failed to evaluate: {message}")]
    Eval {
        rule: String,
        file: String,
        message: String,
    },
    #[error("{context}unknown rule id `{id}`{}", suggest(.suggestions))]
    UnknownRule {
        id: String,
        context: String,
        suggestions: Vec<String>,
    },
}

fn suggest(s: &[String]) -> String {
    if s.is_empty() {
        " (see `wsaudit rules`)".to_string()
    } else {
        format!("; did you mean {}?", s.join(", "))
    }
}
