//! Everything that can go wrong talking to the Cloudflare API, and the stable gap code each
//! one becomes. No variant ever holds the API token: messages that come from the server are
//! passed through [`super::client::CloudflareClient`]'s redaction before they land here.

use super::message::ApiMessage;
use crate::model::GapCode;
use std::time::Duration;
use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Error)]
pub enum CloudflareError {
    /// `WSAUDIT_CLOUDFLARE_API_URL` or `CLOUDFLARE_API_TOKEN` cannot be used as given.
    #[error("Cloudflare API configuration: {0}")]
    Config(String),
    /// The token was refused: missing, malformed, expired, revoked (9106, 9109, 10000, …).
    #[error("Cloudflare rejected the API token (HTTP {status}{}{}): check CLOUDFLARE_API_TOKEN", codes_text(.errors), verified_text(.verified))]
    Unauthorized {
        /// The read that was refused.
        what: String,
        status: u16,
        errors: Vec<ApiMessage>,
        /// What the token-verify endpoint said about the token, when it was asked.
        verified: Option<String>,
    },
    /// The token is valid but may not read this resource, or the plan does not include it.
    #[error("Cloudflare denied access to {what} (HTTP {status}{}){}", codes_text(.errors), permission_text(.permission))]
    Forbidden {
        what: String,
        status: u16,
        errors: Vec<ApiMessage>,
        /// The token permission this read needs (Cloudflare's name for it), when the
        /// token-verify endpoint confirmed the token itself is valid.
        permission: Option<String>,
    },
    #[error("Cloudflare has no {what}{}", not_found_detail(.status, .errors))]
    NotFound {
        what: String,
        /// `None` when the absence was seen in a successful answer (an empty list).
        status: Option<u16>,
        errors: Vec<ApiMessage>,
    },
    /// 429 that did not clear within the retry budget.
    #[error("Cloudflare API rate limit (HTTP 429) on {what} after {attempts} attempt(s){}", retry_text(.retry_after))]
    RateLimited {
        what: String,
        attempts: u32,
        /// What the last answer's `Retry-After` asked for, when it had one.
        retry_after: Option<Duration>,
    },
    /// 5xx that did not clear within the retry budget.
    #[error("Cloudflare API server error HTTP {status} on {what}")]
    Server { what: String, status: u16 },
    #[error("Cloudflare API did not answer {what} within {}s", .after.as_secs_f64())]
    Timeout { what: String, after: Duration },
    #[error("cannot reach the Cloudflare API for {what}: {message}")]
    Network { what: String, message: String },
    /// The body is not the documented v4 envelope, or `result` has an unexpected shape.
    #[error("Cloudflare API answered {what} with an unexpected body: {message}")]
    Malformed { what: String, message: String },
    /// `success: false` with an error this client has no better name for.
    #[error("Cloudflare API refused {what} (HTTP {status}{})", codes_text(.errors))]
    Api {
        what: String,
        status: u16,
        errors: Vec<ApiMessage>,
    },
}

impl CloudflareError {
    /// A refusal token verify could not settle: the message names the permission the read
    /// would need, and why the token itself was not checked.
    pub(super) fn with_unverified(self, permission: &str, why: &str) -> CloudflareError {
        match self {
            CloudflareError::Forbidden {
                what,
                status,
                mut errors,
                ..
            } => {
                errors.push(ApiMessage {
                    code: 0,
                    message: format!(
                        "either the token is invalid or it lacks the \"{permission}\" permission; token verify could not tell ({why})"
                    ),
                    error_chain: Vec::new(),
                });
                CloudflareError::Forbidden {
                    what,
                    status,
                    errors,
                    permission: None,
                }
            }
            other => other,
        }
    }

    /// The code the `Gap` carries.
    pub fn gap_code(&self) -> GapCode {
        match self {
            CloudflareError::Config(_) => GapCode::ConfigError,
            CloudflareError::Unauthorized { .. } => GapCode::InvalidCredentials,
            CloudflareError::Forbidden { .. } => GapCode::AccessDenied,
            CloudflareError::NotFound { .. } => GapCode::NotFound,
            CloudflareError::RateLimited { .. } => GapCode::Throttled,
            CloudflareError::Server { .. } => GapCode::ServerError,
            CloudflareError::Timeout { .. } => GapCode::Timeout,
            CloudflareError::Network { .. } => GapCode::Unreachable,
            CloudflareError::Malformed { .. } => GapCode::MalformedResponse,
            CloudflareError::Api { .. } => GapCode::ApiError,
        }
    }
}

fn codes_text(errors: &[ApiMessage]) -> String {
    if errors.is_empty() {
        return String::new();
    }
    let parts: Vec<String> = errors.iter().map(ApiMessage::text).collect();
    format!(", {}", parts.join("; "))
}

fn verified_text(verified: &Option<String>) -> String {
    match verified {
        Some(v) => format!("; {v}"),
        None => String::new(),
    }
}

fn permission_text(permission: &Option<String>) -> String {
    match permission {
        Some(p) => format!(
            ": the token is valid (token verify says active), so it lacks the \"{p}\" \
             permission (add it to the token) or the zone's plan does not include this product"
        ),
        None => String::new(),
    }
}

fn not_found_detail(status: &Option<u16>, errors: &[ApiMessage]) -> String {
    match status {
        Some(s) => format!(" (HTTP {s}{})", codes_text(errors)),
        None => String::new(),
    }
}

fn retry_text(retry_after: &Option<Duration>) -> String {
    match retry_after {
        Some(d) => format!("; Retry-After was {} s", d.as_secs()),
        None => String::new(),
    }
}
