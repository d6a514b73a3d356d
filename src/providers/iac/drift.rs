//! A live chain beside a planned one: the settings where the live value differs from the
//! planned value (drift), and planned layers filling in for layers nothing live read.
//!
//! Both sides come out of the same translation, so a difference is a difference in the
//! resource, not in how it was read. Only values known on both sides are compared; the
//! number of targets is left out (autoscaling changes it all day).

use crate::model::{Chain, Drift, Layer, LayerKind, Provider};
use serde_json::Value;

/// The settings compared, by their JSON keys.
const COMPARED: &[&str] = &[
    "idle_timeout",
    "max_duration",
    "client_keepalive",
    "upstream_keepalive",
    "response_timeout",
    "websocket",
    "forwards_upgrade",
    "cleartext_from_client",
    "upstream_http_version",
    "client_protocols",
    "tls_to_origin",
    "stickiness",
    "balancing",
    "drain_timeout",
    "access_log",
];

fn same_kind(a: &Layer, b: &Layer) -> bool {
    let family = |p: Provider| match p {
        Provider::Alb | Provider::Nlb => Provider::Alb,
        other => other,
    };
    family(a.provider) == family(b.provider)
}

/// Where the settings of `live` differ from `planned`'s.
pub fn compare(live: &Layer, planned: &Layer) -> Vec<Drift> {
    let (Ok(l), Ok(p)) = (serde_json::to_value(live), serde_json::to_value(planned)) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for key in COMPARED {
        let (Some(lv), Some(pv)) = (l.get(*key), p.get(*key)) else {
            continue;
        };
        let (lval, pval) = (&lv["value"], &pv["value"]);
        if lval.is_null() || pval.is_null() || equal(lval, pval) {
            continue;
        }
        let Ok(planned_origin) = serde_json::from_value(pv["origin"].clone()) else {
            continue;
        };
        // One value may fill two settings (an ALB's idle timeout is also its keep-alive
        // toward the targets): one difference, reported once.
        if out.iter().any(|d: &Drift| {
            d.planned_origin == planned_origin && &d.live == lval && &d.planned == pval
        }) {
            continue;
        }
        out.push(Drift {
            layer: live.id.clone(),
            setting: key.to_string(),
            live: lval.clone(),
            planned: pval.clone(),
            planned_origin,
        });
    }
    out
}

/// Numbers compare by value (60 and 60.0 are the same timeout); an access log by whether it
/// is on and where it goes (the fields it records follow from the provider).
fn equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Object(x), Value::Object(y)) if x.contains_key("enabled") => {
            x.get("enabled") == y.get("enabled")
                && (x.get("enabled") == Some(&Value::Bool(false))
                    || x.get("destination") == y.get("destination"))
        }
        _ => a == b,
    }
}

fn rank(l: &Layer) -> u8 {
    match (l.kind, l.provider) {
        (LayerKind::Cdn, Provider::Cloudflare) => 0,
        (LayerKind::Cdn, _) => 1,
        (LayerKind::LoadBalancer, _) => 3,
        (LayerKind::ReverseProxy, _) => 4,
        (LayerKind::App, _) => 5,
        (LayerKind::Unknown, _) => 6,
    }
}

/// Adds a planned chain to a live one: a layer read live is compared with its planned twin
/// (each difference becomes a `drift` entry); a planned layer nothing live read takes its
/// place in the chain, and the provider is no longer listed as not consulted.
pub fn merge_planned(live: &mut Chain, planned: &Chain) {
    for p in &planned.layers {
        match live.layers.iter().find(|l| same_kind(l, p)) {
            Some(l) => {
                let found = compare(l, p);
                live.drift.extend(found);
            }
            None => {
                live.not_consulted.retain(|n| {
                    !(n.provider == p.provider
                        || (n.provider == Provider::Alb && p.provider == Provider::Nlb))
                });
                let at = live
                    .layers
                    .iter()
                    .position(|l| rank(l) > rank(p))
                    .unwrap_or(live.layers.len());
                live.layers.insert(at, p.clone());
            }
        }
    }
}
