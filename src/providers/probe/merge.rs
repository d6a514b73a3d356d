//! Folding probe facts into a chain (`chain --probe`).
//!
//! A measured cut is matched to the layer whose configured idle timeout (or hard maximum
//! duration) explains it; an unpublished limit that was only assumed becomes the measured
//! value; a cut no layer explains stays unexplained (`idle.explained_by` null), which is a
//! finding of its own: a layer the audit could not see. An observed server ping interval
//! becomes the chain's heartbeat. Layers recognised from headers but absent from the chain
//! become gaps, because the audit then judged a chain with a hop missing.

use super::ProbeTarget;
use crate::model::{
    Chain, Gap, GapCode, Heartbeat, HeartbeatDirection, HeartbeatSource, Origin, ProbeFacts,
    Provider, Scheme, Seconds, Setting, Target,
};

/// What [`merge_probe`] changed, for the caller to report.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct MergeOutcome {
    /// The layer whose timeout explains the measured cut.
    pub explained_by: Option<String>,
    /// A measured cut no layer explains, in seconds.
    pub unexplained_cut_s: Option<Seconds>,
    /// Layers whose assumed (unpublished) idle timeout the measurement replaced.
    pub settled: Vec<String>,
    /// The chain's heartbeat now comes from the probe.
    pub heartbeat_probed: bool,
    /// Providers recognised in the answer's headers with no layer in the chain.
    pub unseen_layers: Vec<String>,
}

/// Adds `facts` to `chain` (as `chain.probe`) and updates what the measurement settles. A cut
/// within `tolerance` of a layer's timeout is explained by it (`explain_tolerance_s`, which
/// the command reads from `wsaudit.toml` so WS203 and this agree).
pub fn merge_probe(chain: &mut Chain, mut facts: ProbeFacts, tolerance: Seconds) -> MergeOutcome {
    let mut outcome = MergeOutcome::default();
    let samples = facts.idle.as_ref().map(|i| i.samples.len().max(1) as u32);

    if let Some(idle) = facts.idle.as_mut() {
        if let Some(cut) = idle.closed_after_s {
            match explaining_layer(chain, cut, tolerance) {
                Some(i) => {
                    let layer = &mut chain.layers[i];
                    idle.explained_by = Some(layer.id.clone());
                    outcome.explained_by = Some(layer.id.clone());
                    // An assumed value (Cloudflare's unpublished limit) is replaced by what
                    // was measured; a configured or documented one stays, since it is the
                    // line to change.
                    if matches!(layer.idle_timeout.origin, Origin::Assumed { .. })
                        && within(layer.idle_timeout.value, cut, tolerance)
                    {
                        layer.idle_timeout = Setting::probed(cut, facts.url.clone(), samples);
                        outcome.settled.push(layer.id.clone());
                    }
                }
                None => {
                    idle.explained_by = None;
                    outcome.unexplained_cut_s = Some(cut);
                }
            }
        }
    }

    if let Some(interval) = facts
        .heartbeat
        .as_ref()
        .and_then(|h| h.server_ping_interval_s)
    {
        chain.heartbeat = Some(Heartbeat {
            interval_s: interval,
            direction: HeartbeatDirection::ServerToClient,
            source: HeartbeatSource::Probed,
        });
        outcome.heartbeat_probed = true;
    }

    for name in &facts.fingerprint {
        let Some(provider) = provider_of(name) else {
            continue;
        };
        let present = chain.layers.iter().any(|l| l.provider == provider)
            || chain.gaps.iter().any(|g| g.provider == provider);
        if !present {
            chain.gaps.push(Gap {
                layer: name.clone(),
                provider,
                reason: format!(
                    "the live answer carries {name}'s headers, but the chain has no {name} layer: \
                     its limits were not audited"
                ),
                code: GapCode::SeenByProbe,
            });
            outcome.unseen_layers.push(name.clone());
        }
    }

    chain.probe = Some(facts);
    outcome
}

/// The chain of a probe run on its own (`wsaudit probe`): no configured layers, only the live
/// facts and, when pings were seen, the probed heartbeat. Layers recognised from headers are not
/// gaps here: nothing else was meant to be read.
pub fn probe_chain(target: &ProbeTarget, facts: ProbeFacts) -> Chain {
    let path = target
        .path_and_query
        .split('?')
        .next()
        .unwrap_or("/")
        .to_string();
    let mut chain = Chain::new(Target {
        domain: target.host_header.clone(),
        path,
        scheme: if target.tls { Scheme::Wss } else { Scheme::Ws },
    });
    if let Some(interval) = facts
        .heartbeat
        .as_ref()
        .and_then(|h| h.server_ping_interval_s)
    {
        chain.heartbeat = Some(Heartbeat {
            interval_s: interval,
            direction: HeartbeatDirection::ServerToClient,
            source: HeartbeatSource::Probed,
        });
    }
    chain.probe = Some(facts);
    chain
}

fn within(value: Option<Seconds>, cut: Seconds, tolerance: Seconds) -> bool {
    value.is_some_and(|v| (v.0 - cut.0).abs() <= tolerance.0)
}

/// The layer whose idle timeout, or else hard maximum duration, is closest to the cut within
/// the tolerance; among equals the outermost, which is the one that fires first.
fn explaining_layer(chain: &Chain, cut: Seconds, tolerance: Seconds) -> Option<usize> {
    let mut best: Option<(usize, f64)> = None;
    for (i, layer) in chain.layers.iter().enumerate() {
        for v in [layer.idle_timeout.value, layer.max_duration.value]
            .into_iter()
            .flatten()
        {
            let d = (v.0 - cut.0).abs();
            if d <= tolerance.0 && best.is_none_or(|(_, b)| d < b) {
                best = Some((i, d));
            }
        }
    }
    best.map(|(i, _)| i)
}

fn provider_of(name: &str) -> Option<Provider> {
    Some(match name {
        "cloudflare" => Provider::Cloudflare,
        "cloudfront" => Provider::Cloudfront,
        "alb" => Provider::Alb,
        "nginx" => Provider::Nginx,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{
        IdleFacts, Layer, LayerKind, ProbeHeartbeat, Scheme, Target, DEFAULT_EXPLAIN_TOLERANCE_S,
    };

    const TOLERANCE: Seconds = Seconds(DEFAULT_EXPLAIN_TOLERANCE_S);

    fn chain() -> Chain {
        let mut c = Chain::new(Target {
            domain: "ws.example.com".into(),
            path: "/ws/".into(),
            scheme: Scheme::Wss,
        });
        let mut cf = Layer::new("cloudflare", LayerKind::Cdn, Provider::Cloudflare, "zone");
        cf.idle_timeout = Setting::assumed(Seconds(100.0), "commonly observed", None);
        let mut alb = Layer::new("alb", LayerKind::LoadBalancer, Provider::Alb, "alb");
        alb.idle_timeout = Setting::explicit_field(Seconds(60.0), "arn:alb", "idle_timeout");
        let mut ngx = Layer::new(
            "nginx:/ws/",
            LayerKind::ReverseProxy,
            Provider::Nginx,
            "ngx",
        );
        ngx.idle_timeout = Setting::explicit(Seconds(3600.0), "nginx.conf", Some(12));
        c.layers = vec![cf, alb, ngx];
        c
    }

    fn cut_at(s: f64) -> ProbeFacts {
        ProbeFacts {
            url: "wss://ws.example.com/ws/".into(),
            idle: Some(IdleFacts {
                closed_after_s: Some(Seconds(s)),
                how: "fin".into(),
                ..IdleFacts::default()
            }),
            ..ProbeFacts::default()
        }
    }

    #[test]
    fn a_cut_is_explained_by_the_layer_whose_timeout_matches() {
        let mut c = chain();
        let o = merge_probe(&mut c, cut_at(60.4), TOLERANCE);
        assert_eq!(o.explained_by.as_deref(), Some("alb"));
        let idle = c.probe.unwrap().idle.unwrap();
        assert_eq!(idle.explained_by.as_deref(), Some("alb"));
        assert!(
            o.settled.is_empty(),
            "a configured value is not overwritten"
        );
    }

    #[test]
    fn a_measured_cut_settles_an_assumed_limit() {
        let mut c = chain();
        let o = merge_probe(&mut c, cut_at(100.8), TOLERANCE);
        assert_eq!(o.explained_by.as_deref(), Some("cloudflare"));
        assert_eq!(o.settled, vec!["cloudflare".to_string()]);
        assert_eq!(c.layers[0].idle_timeout.value, Some(Seconds(100.8)));
        assert!(matches!(
            c.layers[0].idle_timeout.origin,
            Origin::Probed { .. }
        ));
    }

    #[test]
    fn a_cut_no_layer_explains_stays_unexplained() {
        let mut c = chain();
        let o = merge_probe(&mut c, cut_at(30.0), TOLERANCE);
        assert_eq!(o.explained_by, None);
        assert_eq!(o.unexplained_cut_s, Some(Seconds(30.0)));
        assert_eq!(c.probe.unwrap().idle.unwrap().explained_by, None);
        // 1.5 s away is outside the tolerance too.
        let o = merge_probe(&mut chain(), cut_at(61.5), TOLERANCE);
        assert_eq!(o.explained_by, None);
    }

    #[test]
    fn a_wider_tolerance_explains_a_later_cut() {
        let o = merge_probe(&mut chain(), cut_at(61.5), Seconds(2.0));
        assert_eq!(o.explained_by.as_deref(), Some("alb"));
    }

    #[test]
    fn an_observed_ping_interval_becomes_the_probed_heartbeat() {
        let mut c = chain();
        c.heartbeat = Some(Heartbeat {
            interval_s: Seconds(25.0),
            direction: HeartbeatDirection::ServerToClient,
            source: HeartbeatSource::Declared,
        });
        let facts = ProbeFacts {
            url: "wss://ws.example.com/ws/".into(),
            heartbeat: Some(ProbeHeartbeat {
                server_ping_interval_s: Some(Seconds(30.0)),
                server_pings: 4,
            }),
            ..ProbeFacts::default()
        };
        assert!(merge_probe(&mut c, facts, TOLERANCE).heartbeat_probed);
        let hb = c.heartbeat.unwrap();
        assert_eq!(hb.interval_s, Seconds(30.0));
        assert_eq!(hb.source, HeartbeatSource::Probed);
    }

    #[test]
    fn a_layer_seen_in_headers_but_missing_from_the_chain_is_a_gap() {
        let mut c = chain();
        c.layers.remove(0);
        let facts = ProbeFacts {
            url: "wss://ws.example.com/ws/".into(),
            fingerprint: vec!["cloudflare".into(), "nginx".into(), "envoy".into()],
            ..ProbeFacts::default()
        };
        let o = merge_probe(&mut c, facts, TOLERANCE);
        assert_eq!(o.unseen_layers, vec!["cloudflare".to_string()]);
        assert_eq!(c.gaps.len(), 1);
        assert_eq!(c.gaps[0].code, GapCode::SeenByProbe);
    }
}
