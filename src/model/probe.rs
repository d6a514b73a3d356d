//! Facts a live probe observed. The probe provider fills these; rules WS105 and WS502 read
//! them, so a saved chain with probe facts re-judges like a live run.

use super::seconds::Seconds;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// How far (seconds) a measured idle cut may be from a layer's configured timeout and still be
/// explained by it, unless `wsaudit.toml` sets `explain_tolerance_s`: timers fire late by
/// scheduling, and the probe measures from the `101`.
pub const DEFAULT_EXPLAIN_TOLERANCE_S: f64 = 1.0;

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
    /// Which header recognised each layer, so a reader can check the claim.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fingerprint_evidence: Vec<FingerprintHit>,
    /// What DNS answered and which address was dialled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connect: Option<ConnectFacts>,
    /// Milliseconds spent in each step up to the `101`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timings: Option<ProbeTimings>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
pub struct FingerprintHit {
    pub layer: String,
    /// `header: value` as received.
    pub header: String,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
pub struct ConnectFacts {
    /// Every address DNS returned, in the order tried.
    pub addresses: Vec<String>,
    /// The address the connection was made to.
    pub peer: String,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
pub struct ProbeTimings {
    pub dns_ms: f64,
    pub connect_ms: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_ms: Option<f64>,
    /// From sending the upgrade request to the end of the response headers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upgrade_ms: Option<f64>,
    /// From the start (DNS) to the end of the response headers.
    pub total_ms: f64,
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
    /// `TLSv1_3`, `TLSv1_2`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// The verification was skipped on request (`--insecure`): `verified` still says what a
    /// verifying client would have concluded.
    #[serde(default)]
    pub insecure: bool,
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
    /// `Sec-WebSocket-Protocol` the server chose, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subprotocol: Option<String>,
    /// `Sec-WebSocket-Extensions` the server answered with, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extensions: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
pub struct IdleFacts {
    /// Null when the connection survived the whole hold.
    pub closed_after_s: Option<Seconds>,
    /// `close_frame`, `fin`, `rst`, `open` (survived).
    pub how: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub close_code: Option<u16>,
    /// The layer whose configured idle timeout explains the cut (within `explain_tolerance_s`,
    /// default 1 s), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub explained_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub close_reason: Option<String>,
    /// The longest the probe was allowed to hold (`--idle`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_hold_s: Option<Seconds>,
    /// Interval of the pings the probe itself sent (`--client-ping`), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_ping_s: Option<Seconds>,
    /// Every connection held (`--samples`); the fields above summarise them (median cut,
    /// most common way of closing).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub samples: Vec<IdleSample>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
pub struct IdleSample {
    pub closed_after_s: Option<Seconds>,
    pub how: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub close_code: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub close_reason: Option<String>,
    /// Why this sample could not be held (its handshake failed), if so.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(default)]
    pub server_pings: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_ping_interval_s: Option<Seconds>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
pub struct ProbeHeartbeat {
    pub server_ping_interval_s: Option<Seconds>,
    /// Ping frames the server sent during the hold, over all samples.
    #[serde(default)]
    pub server_pings: u32,
}
