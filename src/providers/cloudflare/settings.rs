//! The zone settings that decide what happens to a WebSocket at Cloudflare's edge.
//!
//! Each is read on its own (`GET /zones/{zone_id}/settings/{setting_id}`, API v4 "Get zone
//! setting") rather than through the all-settings list, so one setting the plan or the token
//! cannot read leaves only that setting unknown, and each value's provenance can name exactly
//! the resource it came from.

use super::client::CloudflareClient;
use super::error::CloudflareError;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The token permission these reads need (API token permissions reference).
pub(crate) const SETTINGS_READ: &str = "Zone Settings Read";

/// The settings wsaudit reads, in the order they are reported.
pub const SETTING_IDS: [&str; 7] = [
    "websockets",
    "ssl",
    "min_tls_version",
    "http2",
    "http3",
    "origin_max_http_version",
    "proxy_read_timeout",
];

/// One setting as the API returned it. `value` stays raw JSON here: interpreting it (and
/// refusing values this build does not know) is the layer mapping's job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SettingValue {
    pub id: String,
    pub value: serde_json::Value,
    /// Whether the plan allows changing it (`proxy_read_timeout`: Enterprise only).
    #[serde(default)]
    pub editable: Option<bool>,
    #[serde(default)]
    pub modified_on: Option<String>,
}

/// Every setting of [`SETTING_IDS`], read or not.
#[derive(Debug, Clone, PartialEq)]
pub struct ZoneSettings {
    pub zone_id: String,
    pub reads: BTreeMap<String, Result<SettingValue, CloudflareError>>,
}

impl ZoneSettings {
    pub fn get(&self, id: &str) -> Option<&Result<SettingValue, CloudflareError>> {
        self.reads.get(id)
    }

    /// The value as a string (`"on"`, `"strict"`, `"1.2"`), if read and a string.
    pub fn str_value(&self, id: &str) -> Option<&str> {
        match self.reads.get(id) {
            Some(Ok(v)) => v.value.as_str(),
            _ => None,
        }
    }

    /// A value in seconds: the API answers numbers, but `proxy_read_timeout` also comes back
    /// as a string (`"2"`, as Terraform's provider writes it); both mean seconds.
    pub fn seconds_value(&self, id: &str) -> Option<f64> {
        match self.reads.get(id) {
            Some(Ok(v)) => seconds(&v.value),
            _ => None,
        }
    }

    /// `zone/<id>/settings/<name>`: what a finding points at.
    pub fn locator(&self, id: &str) -> String {
        setting_locator(&self.zone_id, id)
    }
}

/// A non-negative number of seconds from a JSON number or a numeric string.
pub(crate) fn seconds(v: &serde_json::Value) -> Option<f64> {
    let n = match v {
        serde_json::Value::Number(n) => n.as_f64(),
        serde_json::Value::String(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    }?;
    (n.is_finite() && n >= 0.0).then_some(n)
}

pub fn setting_locator(zone_id: &str, id: &str) -> String {
    format!("zone/{zone_id}/settings/{id}")
}

pub(crate) async fn read_settings(
    client: &CloudflareClient,
    zone_id: &str,
    account: Option<&str>,
) -> ZoneSettings {
    // Concurrent: seven small GETs, and the slowest one bounds the wait.
    let (a, b, c, d, e, f, g) = tokio::join!(
        read_one(client, zone_id, account, SETTING_IDS[0]),
        read_one(client, zone_id, account, SETTING_IDS[1]),
        read_one(client, zone_id, account, SETTING_IDS[2]),
        read_one(client, zone_id, account, SETTING_IDS[3]),
        read_one(client, zone_id, account, SETTING_IDS[4]),
        read_one(client, zone_id, account, SETTING_IDS[5]),
        read_one(client, zone_id, account, SETTING_IDS[6]),
    );
    let reads = SETTING_IDS
        .iter()
        .map(|s| s.to_string())
        .zip([a, b, c, d, e, f, g])
        .collect();
    ZoneSettings {
        zone_id: zone_id.to_string(),
        reads,
    }
}

async fn read_one(
    client: &CloudflareClient,
    zone_id: &str,
    account: Option<&str>,
    id: &str,
) -> Result<SettingValue, CloudflareError> {
    let what = format!("zone setting {id}");
    let got = match client
        .get::<SettingValue>(&what, &["zones", zone_id, "settings", id], &[])
        .await
    {
        Ok(p) => p.result,
        Err(e) => return Err(client.explain_denial(e, SETTINGS_READ, account).await),
    };
    if got.id != id {
        return Err(CloudflareError::Malformed {
            what,
            message: format!("asked for setting {id:?}, the answer is for {:?}", got.id),
        });
    }
    Ok(got)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn seconds_come_as_numbers_or_strings() {
        assert_eq!(seconds(&json!(100)), Some(100.0));
        assert_eq!(seconds(&json!("2")), Some(2.0));
        assert_eq!(seconds(&json!(" 120 ")), Some(120.0));
        assert_eq!(seconds(&json!("soon")), None);
        assert_eq!(seconds(&json!(-1)), None);
    }
}
