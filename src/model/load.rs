//! Reading a saved chain: precise errors that name the JSON path, and a version check.

use super::chain::{Chain, SCHEMA_VERSION};
use thiserror::Error;

#[derive(Debug, Error)]
pub enum ChainError {
    #[error("{source_name}: not valid JSON at line {line}, column {column}: {message}")]
    Syntax {
        source_name: String,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{source_name}: at `{path}`: {message}")]
    Shape {
        source_name: String,
        path: String,
        message: String,
    },
    #[error("{source_name}: schema_version {found:?} is not supported (this wsaudit reads {SCHEMA_VERSION:?})")]
    Version { source_name: String, found: String },
}

/// Parses a chain JSON document. A saved report (`{"chain": …, "findings": …}`) is accepted
/// too, so `wsaudit chain --format json > c.json; wsaudit audit c.json` works.
pub fn load_chain(text: &str, source_name: &str) -> Result<Chain, ChainError> {
    load_chains(text, source_name).map(|(c, _)| c)
}

/// [`load_chain`], and the chains of a saved report's other routes (`routes[].chain`: the
/// other entry points the domain sends clients to), which a re-judgement must not drop.
pub fn load_chains(text: &str, source_name: &str) -> Result<(Chain, Vec<Chain>), ChainError> {
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| ChainError::Syntax {
        source_name: source_name.to_string(),
        line: e.line(),
        column: e.column(),
        message: strip_position(&e.to_string()),
    })?;
    let (value, prefix, routes) = match value {
        serde_json::Value::Object(mut map)
            if map.contains_key("chain") && map.contains_key("findings") =>
        {
            let routes = match map.remove("routes") {
                Some(serde_json::Value::Array(a)) => a,
                _ => Vec::new(),
            };
            (
                map.remove("chain").unwrap_or_default(),
                "chain.".to_string(),
                routes,
            )
        }
        other => (other, String::new(), Vec::new()),
    };
    let chain = one_chain(value, &prefix, source_name)?;
    let mut others = Vec::new();
    for (i, mut r) in routes.into_iter().enumerate() {
        let c = r
            .get_mut("chain")
            .map(serde_json::Value::take)
            .unwrap_or_default();
        others.push(one_chain(c, &format!("routes[{i}].chain."), source_name)?);
    }
    Ok((chain, others))
}

fn one_chain(
    value: serde_json::Value,
    prefix: &str,
    source_name: &str,
) -> Result<Chain, ChainError> {
    if let Some(v) = value.get("schema_version") {
        let found = match v {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        if found != SCHEMA_VERSION {
            return Err(ChainError::Version {
                source_name: source_name.to_string(),
                found,
            });
        }
    }
    serde_path_to_error::deserialize::<_, Chain>(value).map_err(|e| {
        let path = e.path().to_string();
        ChainError::Shape {
            source_name: source_name.to_string(),
            path: match (path.as_str(), prefix) {
                (".", "") => "(document)".to_string(),
                (".", p) => p.trim_end_matches('.').to_string(),
                (_, p) => format!("{p}{path}"),
            },
            message: e.into_inner().to_string(),
        }
    })
}

fn strip_position(msg: &str) -> String {
    match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_path_of_a_wrong_type() {
        let doc = r#"{"schema_version":"1","target":{"domain":"d","path":"/","scheme":"wss"},
            "layers":[{"id":"alb","kind":"load_balancer","provider":"alb","name":"x",
            "idle_timeout":{"value":"sixty","origin":{"kind":"unknown"}}}]}"#;
        let err = load_chain(doc, "c.json").unwrap_err().to_string();
        assert!(err.contains("layers[0].idle_timeout.value"), "{err}");
    }

    #[test]
    fn names_a_missing_field() {
        let doc = r#"{"schema_version":"1","target":{"domain":"d","path":"/"},"layers":[]}"#;
        let err = load_chain(doc, "c.json").unwrap_err().to_string();
        assert!(err.contains("target") && err.contains("scheme"), "{err}");
    }

    #[test]
    fn rejects_an_unknown_schema_version() {
        let doc = r#"{"schema_version":"9","target":{"domain":"d","scheme":"ws"},"layers":[]}"#;
        let err = load_chain(doc, "c.json").unwrap_err().to_string();
        assert!(err.contains("schema_version \"9\""), "{err}");
    }
}
