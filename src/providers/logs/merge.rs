//! Folding log facts into a chain (`wsaudit logs --chain`, `--nginx-conf`, `chain --logs`).
//!
//! A lifetime peak at T is matched, as the probe's measured cut is (`probe/merge.rs`), to the
//! layer whose configured idle timeout (or hard maximum duration) is T within
//! `explain_tolerance_s`; a peak at k·T of a matched one is the same layer seen after k−1
//! kept-alive periods. The largest peak no layer explains is a hop the audit could not see: it
//! enters the chain as a layer of its own (provider `unseen`, the peak's lifetime as its idle
//! timeout with origin `logged`), in front of every layer read, as the probe places a hop it
//! cannot place from headers. When the peak's connections were closed by Cloudflare's edge
//! for a timeout (`ConnectionCloseSource` `me`, `ConnectionCloseReason` `timedOut`), the log
//! names the hop, and the layer says so.

use crate::model::{Chain, Layer, LayerKind, LogFacts, Provider, Seconds, Setting};

/// The id of the layer a lifetime peak adds when no layer explains it (`unseen` is the
/// probe's; both can be in one chain).
pub const LOGGED_LAYER_ID: &str = "unseen-logs";

#[derive(Debug, Clone, Default, PartialEq)]
pub struct LogMerge {
    /// (peak lifetime, the layer that explains it).
    pub explained: Vec<(Seconds, String)>,
    /// The peak no layer explains, and the layer added for it.
    pub unexplained: Option<Seconds>,
    pub added_layer: Option<String>,
}

fn within(v: Option<Seconds>, t: Seconds, tol: Seconds) -> bool {
    v.is_some_and(|v| (v.0 - t.0).abs() <= tol.0)
}

/// Adds `facts` to `chain` (as `chain.logs`), matching each peak to a layer. `source` names
/// the logs in the added layer's provenance.
pub fn merge_logs(
    chain: &mut Chain,
    mut facts: LogFacts,
    tolerance: Seconds,
    source: &str,
) -> LogMerge {
    let mut out = LogMerge::default();
    let mut explained_at: Vec<(Seconds, String)> = Vec::new();
    // Base peaks first (the largest is first among them), so a multiple finds its base.
    let mut order: Vec<usize> = (0..facts.peaks.len()).collect();
    order.sort_by_key(|i| facts.peaks[*i].multiple_of_s.is_some());
    for i in order {
        let p = &mut facts.peaks[i];
        let by_idle = chain
            .layers
            .iter()
            .find(|l| within(l.idle_timeout.value, p.at_s, tolerance));
        let by_cap = chain
            .layers
            .iter()
            .find(|l| within(l.max_duration.value, p.at_s, tolerance));
        if let Some(l) = by_idle {
            p.explained_by = Some(l.id.clone());
            p.explained_setting = Some("idle_timeout".into());
        } else if let Some(l) = by_cap {
            p.explained_by = Some(l.id.clone());
            p.explained_setting = Some("max_duration".into());
        } else if let Some(base) = p.multiple_of_s {
            if let Some((_, id)) = explained_at.iter().find(|(t, _)| t.0 == base.0) {
                p.explained_by = Some(id.clone());
                p.explained_setting = Some("idle_timeout".into());
            }
        }
        match &p.explained_by {
            Some(id) => {
                explained_at.push((p.at_s, id.clone()));
                out.explained.push((p.at_s, id.clone()));
            }
            None if p.multiple_of_s.is_none() && out.unexplained.is_none() => {
                out.unexplained = Some(p.at_s);
                let edge = p.edge_timeouts.is_some_and(|e| e * 2 >= p.count);
                let name = if edge {
                    "the Cloudflare edge (its log says it closed them: ConnectionCloseSource me, ConnectionCloseReason timedOut)".to_string()
                } else {
                    "a hop no provider read".to_string()
                };
                let mut layer =
                    Layer::new(LOGGED_LAYER_ID, LayerKind::Unknown, Provider::Unseen, name);
                layer.locator = Some(format!(
                    "{source} ({} WebSockets lived {} ± {})",
                    p.count, p.at_s, p.half_width_s
                ));
                layer.idle_timeout = Setting::logged(p.at_s, source, Some(p.count));
                p.explained_by = Some(LOGGED_LAYER_ID.into());
                p.explained_setting = Some("idle_timeout".into());
                out.added_layer = Some(LOGGED_LAYER_ID.into());
                chain.layers.insert(0, layer);
            }
            None => {}
        }
    }
    chain.logs = Some(facts);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{LifetimePeak, Scheme, Target};

    fn chain_with(idle: f64) -> Chain {
        let mut c = Chain::new(Target {
            domain: "ws.example.com".into(),
            path: "/ws/".into(),
            scheme: Scheme::Wss,
        });
        let mut l = Layer::new("alb", LayerKind::LoadBalancer, Provider::Alb, "web");
        l.idle_timeout = Setting::default_documented(Seconds(idle), "60 s", "doc");
        c.layers.push(l);
        c
    }

    fn peak(at: f64, count: u64, multiple: Option<f64>) -> LifetimePeak {
        LifetimePeak {
            at_s: Seconds(at),
            count,
            half_width_s: Seconds(1.0),
            share: 0.5,
            multiple_of_s: multiple.map(Seconds),
            ..LifetimePeak::default()
        }
    }

    #[test]
    fn peaks_are_matched_or_become_a_hop() {
        let mut c = chain_with(60.0);
        let facts = LogFacts {
            peaks: vec![
                peak(60.0, 100, None),
                peak(120.0, 20, Some(60.0)),
                peak(100.0, 50, None),
            ],
            ..LogFacts::default()
        };
        let m = merge_logs(&mut c, facts, Seconds(1.0), "access.log");
        assert_eq!(m.unexplained, Some(Seconds(100.0)));
        assert_eq!(c.layers[0].id, LOGGED_LAYER_ID);
        let peaks = &c.logs.as_ref().unwrap().peaks;
        assert_eq!(peaks[0].explained_by.as_deref(), Some("alb"));
        assert_eq!(peaks[1].explained_by.as_deref(), Some("alb"));
        assert_eq!(peaks[2].explained_by.as_deref(), Some(LOGGED_LAYER_ID));
    }
}
