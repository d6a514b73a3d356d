//! The stable codes a [`Gap`](super::Gap) carries: why a layer could not be read.
//!
//! Each code's meaning is written once, as its doc comment: the macro below turns that same
//! text into [`GapCode::describe`], and schemars puts it into the JSON Schema, so the schema,
//! the docs and the code cannot tell different stories.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

macro_rules! gap_codes {
    ($(
        $(#[doc = $doc:literal])+
        $(#[serde($($serde:tt)*)])*
        $variant:ident = $name:literal,
    )+) => {
        /// Why a layer could not be read. Scripts match on these, so a code is never renamed
        /// without keeping the old spelling as an alias.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
        #[serde(rename_all = "kebab-case")]
        pub enum GapCode {
            $(
                $(#[doc = $doc])+
                $(#[serde($($serde)*)])*
                $variant,
            )+
        }

        impl GapCode {
            /// Every code, in declaration order.
            pub const ALL: &'static [GapCode] = &[$(GapCode::$variant),+];

            /// The kebab-case name written into the JSON (a test holds it to serde's).
            pub fn as_str(self) -> &'static str {
                match self {
                    $(GapCode::$variant => $name,)+
                }
            }

            /// What the code means, for docs and help: the variant's doc comment.
            pub fn describe(self) -> &'static str {
                match self {
                    $(GapCode::$variant => concat!($($doc),+).trim_ascii_start(),)+
                }
            }
        }
    };
}

gap_codes! {
    /// No credentials for the provider were found (environment, profile, SSO, instance role).
    NoCredentials = "no-credentials",
    /// The provider rejected the credentials: malformed, expired or revoked.
    InvalidCredentials = "invalid-credentials",
    /// The credentials are valid but may not read this resource (a missing permission, or a
    /// plan without the feature).
    AccessDenied = "access-denied",
    /// The provider kept rate-limiting the reads and the retries did not get through.
    Throttled = "throttled",
    /// The provider kept answering with a server error (5xx) and the retries did not get
    /// through.
    ServerError = "server-error",
    /// The read did not finish within `--timeout`.
    Timeout = "timeout",
    /// The provider answered with something that could not be decoded: not its documented
    /// format, or a field of an unexpected shape.
    MalformedResponse = "malformed-response",
    /// The provider's endpoint could not be reached (DNS, connection, TLS).
    #[serde(alias = "network-error")]
    Unreachable = "unreachable",
    /// The provider refused the request with an error that no more specific code names.
    ApiError = "api-error",
    /// No AWS region is known for the resource: set `AWS_REGION` or pass `--regions`.
    NoRegion = "no-region",
    /// What the layer would be read from does not exist (no zone, record, distribution or
    /// load balancer for the domain).
    NotFound = "not-found",
    /// wsaudit's own settings for the provider cannot be used as given (an API URL or token
    /// from the environment).
    ConfigError = "config-error",
    /// The domain asked about is not a DNS host name.
    InvalidDomain = "invalid-domain",
    /// The local configuration (nginx files, a dump) could not be read or parsed.
    UnreadableConfig = "unreadable-config",
    /// The nginx version could not be told from `--nginx-version` or the nginx binary.
    BadVersion = "bad-version",
    /// The nginx configuration has no server or location that would take the request.
    NoRoute = "no-route",
    /// The live answer carries the provider's headers, but the chain has no layer for it: its
    /// limits were not audited.
    SeenByProbe = "seen-by-probe",
    /// The live probe could not run to the end.
    ProbeFailed = "probe-failed",
    /// What the domain leads to is a resource wsaudit does not read as a layer: a Gateway
    /// Load Balancer passes packets to appliances and is not a hop a WebSocket is addressed to.
    UnsupportedLayer = "unsupported-layer",
    /// A code this wsaudit does not know, or none: a chain written by other tooling or by an
    /// older wsaudit (`parse-error` meant either `malformed-response` or `unreadable-config`).
    #[serde(other)]
    Unknown = "unknown",
}

impl Default for GapCode {
    /// What a saved gap without a code loads as.
    fn default() -> Self {
        GapCode::Unknown
    }
}

impl std::fmt::Display for GapCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn every_code_has_a_unique_name_and_a_description() {
        let mut seen = HashSet::new();
        for code in GapCode::ALL {
            let name = code.as_str();
            assert!(seen.insert(name), "{name} is used twice");
            assert_eq!(
                serde_json::to_value(code).unwrap(),
                serde_json::Value::String(name.to_string()),
                "as_str disagrees with serde for {code:?}"
            );
            assert!(
                !code.describe().trim().is_empty(),
                "{name} has no description"
            );
            assert!(!code.describe().starts_with(' '), "{name}");
        }
    }

    #[test]
    fn every_name_reads_back_as_its_code() {
        for code in GapCode::ALL {
            let back: GapCode = serde_json::from_str(&format!("\"{code}\"")).unwrap();
            assert_eq!(back, *code);
        }
    }

    #[test]
    fn retired_and_foreign_spellings_still_load() {
        let code: GapCode = serde_json::from_str("\"network-error\"").unwrap();
        assert_eq!(code, GapCode::Unreachable);
        let code: GapCode = serde_json::from_str("\"haproxy-stats-down\"").unwrap();
        assert_eq!(code, GapCode::Unknown);
    }

    #[test]
    fn the_schema_lists_every_code() {
        let schema = serde_json::to_string(&schemars::schema_for!(GapCode)).unwrap();
        for code in GapCode::ALL {
            assert!(schema.contains(&format!("\"{code}\"")), "{code} missing");
        }
    }
}
