//! Durations in seconds, as the chain JSON carries them.

use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// A duration in seconds. Fractions are allowed (nginx takes `ms`, probes measure), but whole
/// values serialize as JSON integers so reports read `60`, not `60.0`.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Default, JsonSchema)]
#[schemars(transparent)]
pub struct Seconds(pub f64);

impl Serialize for Seconds {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let v = self.0;
        if v.fract() == 0.0 && v.abs() < 9.0e15 {
            s.serialize_i64(v as i64)
        } else {
            s.serialize_f64(v)
        }
    }
}

impl<'de> Deserialize<'de> for Seconds {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = f64::deserialize(d)?;
        if !v.is_finite() || v < 0.0 {
            return Err(serde::de::Error::custom(format!(
                "a duration must be a finite number of seconds >= 0, got {v}"
            )));
        }
        Ok(Seconds(v))
    }
}

impl fmt::Display for Seconds {
    /// `60 s`, `1.5 s`, `3600 s`: seconds are what every provider's documentation uses.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.fract() == 0.0 {
            write!(f, "{} s", self.0 as i64)
        } else {
            write!(f, "{} s", (self.0 * 1000.0).round() / 1000.0)
        }
    }
}

/// Parses a human duration such as `25s`, `1m30s`, `1.5s`, `500ms`, `2h` or a bare number of
/// seconds. Used for `--heartbeat` and `wsaudit.toml`; nginx's own time syntax lives in the
/// nginx provider because nginx's rules differ (`M`, `y`, spaces).
pub fn parse_duration(text: &str) -> Result<Seconds, String> {
    let t = text.trim();
    if t.is_empty() {
        return Err("empty duration".into());
    }
    if let Ok(v) = t.parse::<f64>() {
        if v.is_finite() && v >= 0.0 {
            return Ok(Seconds(v));
        }
    }
    let mut total = 0.0;
    let mut rest = t;
    while !rest.is_empty() {
        let num_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        if num_len == 0 {
            return Err(format!(
                "`{text}` is not a duration (expected e.g. 25s, 1m30s, 500ms)"
            ));
        }
        let n: f64 = rest[..num_len]
            .parse()
            .map_err(|_| format!("`{text}` is not a duration (bad number)"))?;
        rest = &rest[num_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let unit = rest[..unit_len].trim();
        rest = rest[unit_len..].trim_start();
        let factor = match unit {
            "ms" => 0.001,
            "s" | "sec" | "secs" => 1.0,
            "m" | "min" | "mins" => 60.0,
            "h" | "hr" | "hrs" => 3600.0,
            "d" => 86400.0,
            _ => {
                return Err(format!(
                    "`{text}`: unknown unit `{unit}` (use ms, s, m, h or d)"
                ))
            }
        };
        total += n * factor;
    }
    Ok(Seconds(total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_common_forms() {
        assert_eq!(parse_duration("25s").unwrap(), Seconds(25.0));
        assert_eq!(parse_duration("1m30s").unwrap(), Seconds(90.0));
        assert_eq!(parse_duration("500ms").unwrap(), Seconds(0.5));
        assert_eq!(parse_duration("2h").unwrap(), Seconds(7200.0));
        assert_eq!(parse_duration("45").unwrap(), Seconds(45.0));
        assert!(parse_duration("5 parsecs").is_err());
        assert!(parse_duration("").is_err());
        assert!(parse_duration("-3").is_err());
    }

    #[test]
    fn whole_seconds_serialize_as_integers() {
        assert_eq!(serde_json::to_string(&Seconds(60.0)).unwrap(), "60");
        assert_eq!(serde_json::to_string(&Seconds(2.5)).unwrap(), "2.5");
        assert_eq!(Seconds(3600.0).to_string(), "3600 s");
    }
}
