//! Facts a live probe observed. The probe provider fills these; rules WS105 and WS502 read
//! them, so a saved chain with probe facts re-judges like a live run.

use super::seconds::Seconds;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
pub struct ProbeFacts {
    pub url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<TlsFacts>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handshake: Option<HandshakeFacts>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idle: Option<IdleFacts>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub heartbeat: Option<ProbeHeartbeat>,
    /// Layers recognised from response headers (`cloudflare`, `cloudfront`, `alb`, `nginx`).
    #[serde(default)]
    pub fingerprint: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
pub struct TlsFacts {
    /// The served chain verified against the trust roots.
    pub verified: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The server sent its leaf without the intermediate(s) needed to reach a root.
    #[serde(default)]
    pub missing_intermediate: bool,
    #[serde(default)]
    pub expired: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub days_to_expiry: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alpn: Option<String>,
    #[serde(default)]
    pub chain: Vec<CertSummary>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
pub struct CertSummary {
    pub subject: String,
    pub issuer: String,
    pub not_after: String,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
pub struct HandshakeFacts {
    /// HTTP status of the upgrade answer; 0 when no answer came.
    pub status: u16,
    pub accept_ok: bool,
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_snippet: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
pub struct IdleFacts {
    /// Null when the connection survived the whole hold.
    pub closed_after_s: Option<Seconds>,
    /// `close_frame`, `fin`, `rst`, `open` (survived).
    pub how: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub close_code: Option<u16>,
    /// The layer whose configured idle timeout explains the cut (within 1 s), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub explained_by: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
pub struct ProbeHeartbeat {
    pub server_ping_interval_s: Option<Seconds>,
}
