//! One entry of a Cloudflare v4 answer's `errors` or `messages`: what the envelope decodes and
//! what a [`CloudflareError`](super::CloudflareError) quotes. Its own module so the error type
//! and the envelope decoder each depend on it, and not on each other.

use serde::{Deserialize, Serialize};

/// One entry of `errors` or `messages`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiMessage {
    #[serde(default)]
    pub code: i64,
    #[serde(default)]
    pub message: String,
    /// Causes, e.g. 6003 "Invalid request headers" → 6111 "Invalid format for Authorization
    /// header".
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub error_chain: Vec<ApiMessage>,
}

impl ApiMessage {
    /// This code and every code in its chain.
    pub(super) fn codes(&self) -> Vec<i64> {
        let mut out = vec![self.code];
        for c in &self.error_chain {
            out.extend(c.codes());
        }
        out
    }
}
