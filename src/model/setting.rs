//! A value together with where it came from.
//!
//! Every number in a chain must be traceable: a finding that says "nginx keeps 3600 s but the
//! ALB default of 60 s wins" needs to know that one value was written on a line of a file and
//! the other is AWS's documented default. `Origin` carries that.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A setting of one layer: the value (null when unknown) and its provenance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Setting<T> {
    /// The effective value, or null when it could not be determined.
    pub value: Option<T>,
    pub origin: Origin,
}

impl<T> Default for Setting<T> {
    fn default() -> Self {
        Setting {
            value: None,
            origin: Origin::Unknown { reason: None },
        }
    }
}

/// Where a setting's value comes from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Origin {
    /// Written down by the operator: a config file line, an API field of a named resource.
    Explicit {
        /// A file path, an ARN, a zone id plus setting name, …
        locator: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        line: Option<u32>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        column: Option<u32>,
        /// The directive, attribute or API field that holds the value.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        field: Option<String>,
    },
    /// Not set; the provider's documented default applies.
    Default {
        /// What the documentation says, in a few words.
        documented: String,
        /// Where it says it (URL).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        source: Option<String>,
    },
    /// Not published by the provider; a commonly observed value is assumed. Findings built on
    /// an assumption say so.
    Assumed {
        basis: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        source: Option<String>,
    },
    /// Measured by a live probe.
    Probed {
        url: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        samples: Option<u32>,
    },
    /// Measured in access logs: a peak of connection lifetimes (`wsaudit logs`).
    Logged {
        /// The log (a file, `s3://…`) the lifetimes were read from.
        source: String,
        /// How many connections the peak holds.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        connections: Option<u64>,
    },
    /// Could not be determined (the value is null).
    Unknown {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
}

impl<T> Setting<T> {
    pub fn explicit(value: T, locator: impl Into<String>, line: Option<u32>) -> Self {
        Setting {
            value: Some(value),
            origin: Origin::Explicit {
                locator: locator.into(),
                line,
                column: None,
                field: None,
            },
        }
    }

    pub fn explicit_field(value: T, locator: impl Into<String>, field: impl Into<String>) -> Self {
        Setting {
            value: Some(value),
            origin: Origin::Explicit {
                locator: locator.into(),
                line: None,
                column: None,
                field: Some(field.into()),
            },
        }
    }

    pub fn default_documented(value: T, documented: impl Into<String>, source: &str) -> Self {
        Setting {
            value: Some(value),
            origin: Origin::Default {
                documented: documented.into(),
                source: Some(source.to_string()),
            },
        }
    }

    pub fn assumed(value: T, basis: impl Into<String>, source: Option<&str>) -> Self {
        Setting {
            value: Some(value),
            origin: Origin::Assumed {
                basis: basis.into(),
                source: source.map(str::to_string),
            },
        }
    }

    pub fn probed(value: T, url: impl Into<String>, samples: Option<u32>) -> Self {
        Setting {
            value: Some(value),
            origin: Origin::Probed {
                url: url.into(),
                samples,
            },
        }
    }

    pub fn logged(value: T, source: impl Into<String>, connections: Option<u64>) -> Self {
        Setting {
            value: Some(value),
            origin: Origin::Logged {
                source: source.into(),
                connections,
            },
        }
    }

    pub fn unknown(reason: impl Into<String>) -> Self {
        Setting {
            value: None,
            origin: Origin::Unknown {
                reason: Some(reason.into()),
            },
        }
    }

    pub fn is_unknown(&self) -> bool {
        self.value.is_none()
    }
}

impl Origin {
    /// "examples/nginx.conf:12", an ARN, or the documented default in words.
    pub fn describe(&self) -> String {
        match self {
            Origin::Explicit {
                locator,
                line,
                field,
                ..
            } => {
                let mut s = locator.clone();
                if let Some(l) = line {
                    s.push_str(&format!(":{l}"));
                }
                if let Some(f) = field {
                    s.push_str(&format!(" ({f})"));
                }
                s
            }
            Origin::Default { documented, .. } => format!("default: {documented}"),
            Origin::Assumed { basis, .. } => format!("assumed: {basis}"),
            Origin::Probed { url, .. } => format!("probed: {url}"),
            Origin::Logged { source, .. } => format!("logged: {source}"),
            Origin::Unknown { reason } => match reason {
                Some(r) => format!("unknown: {r}"),
                None => "unknown".to_string(),
            },
        }
    }

    /// Where to look, in a few words: the file and line or resource for explicit values, the
    /// kind of origin otherwise (the documented text stays in the JSON report).
    pub fn short(&self) -> String {
        match self {
            Origin::Explicit { .. } => self.describe(),
            Origin::Default { .. } => "documented default".to_string(),
            Origin::Assumed { .. } => "assumed (not published)".to_string(),
            Origin::Probed { .. } => "measured by probe".to_string(),
            Origin::Logged { .. } => "measured in access logs".to_string(),
            Origin::Unknown { .. } => "-".to_string(),
        }
    }

    /// A short tag for tables: "set", "default", "assumed", "probed", "unknown".
    pub fn tag(&self) -> &'static str {
        match self {
            Origin::Explicit { .. } => "set",
            Origin::Default { .. } => "default",
            Origin::Assumed { .. } => "assumed",
            Origin::Probed { .. } => "probed",
            Origin::Logged { .. } => "logged",
            Origin::Unknown { .. } => "unknown",
        }
    }
}
