//! One entry of a Cloudflare v4 answer's `errors` or `messages`: what the envelope decodes and
//! what a [`CloudflareError`](super::CloudflareError) quotes. Its own module so the error type
//! and the envelope decoder each depend on it, and not on each other.
//!
//! The documented shape is `{"code", "message", "error_chain"?}`, but some endpoints answer
//! plain strings in `errors` (and proxies in front of the API answer anything): an entry of
//! another shape keeps its text rather than failing the whole answer.

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

/// One entry of `errors` or `messages`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiMessage {
    /// `0` when the entry carried no numeric code (a plain string).
    pub code: i64,
    pub message: String,
    /// Causes, e.g. 6003 "Invalid request headers" → 6111 "Invalid format for Authorization
    /// header".
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub error_chain: Vec<ApiMessage>,
}

impl<'de> Deserialize<'de> for ApiMessage {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(ApiMessage::from_value(Value::deserialize(d)?))
    }
}

impl ApiMessage {
    /// Never fails: an object gives its code and message, anything else its text.
    pub(super) fn from_value(v: Value) -> ApiMessage {
        match v {
            Value::Object(mut m) => {
                let code = match m.get("code") {
                    Some(Value::Number(n)) => n.as_i64().unwrap_or(0),
                    Some(Value::String(s)) => s.trim().parse().unwrap_or(0),
                    _ => 0,
                };
                let message = match m.remove("message") {
                    Some(Value::String(s)) => s,
                    Some(Value::Null) | None => String::new(),
                    Some(other) => other.to_string(),
                };
                let error_chain = match m.remove("error_chain") {
                    Some(v) => Self::list(v),
                    None => Vec::new(),
                };
                ApiMessage {
                    code,
                    message,
                    error_chain,
                }
            }
            Value::String(s) => ApiMessage {
                code: 0,
                message: s,
                error_chain: Vec::new(),
            },
            other => ApiMessage {
                code: 0,
                message: other.to_string(),
                error_chain: Vec::new(),
            },
        }
    }

    /// `errors` as sent: a list, one entry on its own, or null.
    pub(super) fn list(v: Value) -> Vec<ApiMessage> {
        match v {
            Value::Null => Vec::new(),
            Value::Array(items) => items.into_iter().map(Self::from_value).collect(),
            one => vec![Self::from_value(one)],
        }
    }

    /// This code and every code in its chain.
    pub(super) fn codes(&self) -> Vec<i64> {
        let mut out = vec![self.code];
        for c in &self.error_chain {
            out.extend(c.codes());
        }
        out
    }

    /// `9109 Invalid access token`, or just the text when there is no code.
    pub(super) fn text(&self) -> String {
        if self.code == 0 {
            self.message.clone()
        } else {
            format!("{} {}", self.code, self.message)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn plain_strings_and_odd_entries_keep_their_text() {
        let got = ApiMessage::list(json!([
            "zone is locked",
            {"code": 9109, "message": "Invalid access token"},
            {"code": "1001", "message": null},
            42
        ]));
        let texts: Vec<String> = got.iter().map(ApiMessage::text).collect();
        assert_eq!(
            texts,
            vec!["zone is locked", "9109 Invalid access token", "1001 ", "42"]
        );
        assert!(ApiMessage::list(Value::Null).is_empty());
        assert_eq!(ApiMessage::list(json!("one")).len(), 1);
    }
}
