//! Folding probe facts into a chain (`chain --probe`).
//!
//! A measured cut is matched to the layer whose configured idle timeout (or hard maximum
//! duration) explains it; an unpublished limit that was only assumed becomes the measured
//! value. A cut no layer explains is a fact about a hop the audit could not see, so it enters
//! the chain as a layer of its own (provider `unseen`, the measured value with origin
//! `probed`) and the rules judge it like any other; `idle.explained_by` stays null, which is
//! WS203's cue. An observed server ping interval becomes the chain's heartbeat. Layers
//! recognised from headers but absent from the chain become gaps, because the audit then judged
//! a chain with a hop missing.
//!
//! Where the unseen hop sits: the fingerprint lists, edge first, the layers whose own headers
//! are in the answer. A name in it that the chain lacks is the likeliest hop, and the layers
//! around it in the fingerprint that the chain has place it. Without such a name nothing in the
//! answer says where a hop that adds no header sits (nginx replaces the `Server` of whatever is
//! behind it, and a proxy in front passes it on), and it goes in front of every layer read: the
//! layers read are the ones configured for this host, and what an audit misses is most often
//! in front of them (a load balancer or CDN nobody pinned, an egress proxy, NAT).

use super::ProbeTarget;
use crate::model::{
    Chain, Gap, GapCode, Heartbeat, HeartbeatDirection, HeartbeatSource, Layer, LayerKind, Origin,
    ProbeFacts, Provider, Scheme, Seconds, Setting, Target,
};

/// The id of the layer a measured cut adds when no layer read explains it.
pub const UNSEEN_LAYER_ID: &str = "unseen";

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
    /// The id of the layer added for a cut no layer explains.
    pub added_layer: Option<String>,
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
    if outcome.unexplained_cut_s.is_some() {
        if let Some(layer) = measured_layer(chain, &facts, samples) {
            let at = unseen_position(chain, &facts.fingerprint);
            outcome.added_layer = Some(layer.id.clone());
            chain.layers.insert(at, layer);
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
/// facts, the hop that cut the held connection (nothing read explains it, since nothing was
/// read) and, when pings were seen, the probed heartbeat. Layers recognised from headers are
/// not gaps here: nothing else was meant to be read.
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
    let samples = facts.idle.as_ref().map(|i| i.samples.len().max(1) as u32);
    if let Some(layer) = measured_layer(&chain, &facts, samples) {
        chain.layers.push(layer);
    }
    chain.probe = Some(facts);
    chain
}

/// The layer for the hop that cut the held connection, if it was cut: the measured time as
/// its idle timeout, or as its maximum duration when traffic kept the connection busy (pings
/// more often than the cut), since then no idle timer can have run out.
fn measured_layer(chain: &Chain, facts: &ProbeFacts, samples: Option<u32>) -> Option<Layer> {
    let idle = facts.idle.as_ref()?;
    let cut = idle.closed_after_s?;
    let candidates = missing_from_chain(chain, &facts.fingerprint);
    let name = match candidates.as_slice() {
        [] => "a hop no provider read".to_string(),
        names => format!(
            "a hop no provider read (the answer names {})",
            names.join(", ")
        ),
    };
    let mut layer = Layer::new(UNSEEN_LAYER_ID, LayerKind::Unknown, Provider::Unseen, name);
    layer.locator = Some(if facts.fingerprint.is_empty() {
        format!("{} (no layer recognised in the answer)", facts.url)
    } else {
        format!(
            "{} (answered by {})",
            facts.url,
            facts.fingerprint.join(" → ")
        )
    });
    let measured = Setting::probed(cut, facts.url.clone(), samples);
    let busy = [
        idle.client_ping_s,
        facts
            .heartbeat
            .as_ref()
            .and_then(|h| h.server_ping_interval_s),
    ]
    .into_iter()
    .flatten()
    .filter(|every| every.0 < cut.0)
    .min_by(|a, b| a.0.total_cmp(&b.0));
    match busy {
        Some(every) => {
            layer.max_duration = measured;
            layer.idle_timeout = Setting::unknown(format!(
                "pings every {every} kept the connection busy until the cut at {cut}: that is a \
                 cap on its lifetime, and the idle timeout was not reached"
            ));
        }
        None => layer.idle_timeout = measured,
    }
    Some(layer)
}

/// Fingerprint names with no layer (or gap) of that provider in the chain, edge first.
fn missing_from_chain(chain: &Chain, fingerprint: &[String]) -> Vec<String> {
    fingerprint
        .iter()
        .filter(|name| {
            !chain
                .layers
                .iter()
                .any(|l| l.provider.as_str() == name.as_str())
                && !chain
                    .gaps
                    .iter()
                    .any(|g| g.provider.as_str() == name.as_str())
        })
        .cloned()
        .collect()
}

/// Where the unseen hop goes (the module's doc says why): before the first layer the
/// fingerprint shows behind the likeliest hop, else after the last one it shows in front of
/// it, else in front of everything.
fn unseen_position(chain: &Chain, fingerprint: &[String]) -> usize {
    let Some(candidate) = missing_from_chain(chain, fingerprint).into_iter().next() else {
        return 0;
    };
    let rank = |name: &str| fingerprint.iter().position(|n| n == name);
    let k = rank(&candidate).unwrap_or(0);
    let ranks: Vec<Option<usize>> = chain
        .layers
        .iter()
        .map(|l| rank(l.provider.as_str()))
        .collect();
    if let Some(i) = ranks.iter().position(|r| r.is_some_and(|r| r > k)) {
        return i;
    }
    ranks
        .iter()
        .rposition(|r| r.is_some_and(|r| r < k))
        .map_or(0, |i| i + 1)
}

fn within(value: Option<Seconds>, cut: Seconds, tolerance: Seconds) -> bool {
    value.is_some_and(|v| (v.0 - cut.0).abs() <= tolerance.0)
}

/// The layer whose idle timeout, or else hard maximum duration, is closest to the cut within
/// the tolerance; among equals the outermost, which is the one that fires first.
/// Whether a layer of `chain` explains the idle cut `facts` measured (what [`merge_probe`]
/// would record as `explained_by`): how `chain` picks, among a domain's routes, the one the
/// probe's connection took.
pub fn explains_cut(chain: &Chain, facts: &ProbeFacts, tolerance: Seconds) -> bool {
    facts
        .idle
        .as_ref()
        .and_then(|i| i.closed_after_s)
        .is_some_and(|cut| explaining_layer(chain, cut, tolerance).is_some())
}

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
    fn an_unexplained_cut_enters_the_chain_as_an_unseen_layer_in_front() {
        let mut c = chain();
        let o = merge_probe(&mut c, cut_at(4.02), TOLERANCE);
        assert_eq!(o.added_layer.as_deref(), Some(UNSEEN_LAYER_ID));
        let ids: Vec<_> = c.layers.iter().map(|l| l.id.as_str()).collect();
        assert_eq!(ids, ["unseen", "cloudflare", "alb", "nginx:/ws/"]);
        let u = &c.layers[0];
        assert_eq!(u.provider, Provider::Unseen);
        assert_eq!(u.kind, LayerKind::Unknown);
        assert_eq!(u.idle_timeout.value, Some(Seconds(4.02)));
        assert!(
            matches!(&u.idle_timeout.origin, Origin::Probed { url, .. } if url == "wss://ws.example.com/ws/")
        );
        assert!(u.max_duration.is_unknown());
        assert_eq!(
            u.locator.as_deref(),
            Some("wss://ws.example.com/ws/ (no layer recognised in the answer)")
        );
        assert_eq!(c.weakest_link().map(|(i, _)| i), Some(0));
        // An explained cut adds nothing.
        let mut c = chain();
        assert_eq!(
            merge_probe(&mut c, cut_at(60.2), TOLERANCE).added_layer,
            None
        );
        assert_eq!(c.layers.len(), 3);
    }

    #[test]
    fn a_name_in_the_fingerprint_the_chain_lacks_places_the_unseen_hop() {
        let mut c = chain();
        let mut facts = cut_at(4.0);
        facts.fingerprint = vec!["cloudflare".into(), "envoy".into(), "nginx".into()];
        merge_probe(&mut c, facts, TOLERANCE);
        let ids: Vec<_> = c.layers.iter().map(|l| l.id.as_str()).collect();
        assert_eq!(ids, ["cloudflare", "alb", "unseen", "nginx:/ws/"]);
        assert!(c.layers[2].name.contains("envoy"), "{}", c.layers[2].name);
        assert_eq!(
            c.layers[2].locator.as_deref(),
            Some("wss://ws.example.com/ws/ (answered by cloudflare → envoy → nginx)")
        );

        let mut c = chain();
        let mut facts = cut_at(4.0);
        facts.fingerprint = vec!["cloudflare".into(), "envoy".into()];
        merge_probe(&mut c, facts, TOLERANCE);
        let ids: Vec<_> = c.layers.iter().map(|l| l.id.as_str()).collect();
        assert_eq!(ids, ["cloudflare", "unseen", "alb", "nginx:/ws/"]);
    }

    #[test]
    fn a_cut_while_pings_flowed_is_a_lifetime_cap() {
        let mut c = chain();
        let mut facts = cut_at(4.0);
        facts.idle.as_mut().unwrap().client_ping_s = Some(Seconds(1.0));
        merge_probe(&mut c, facts, TOLERANCE);
        let u = &c.layers[0];
        assert_eq!(u.max_duration.value, Some(Seconds(4.0)));
        assert!(matches!(u.max_duration.origin, Origin::Probed { .. }));
        assert!(u.idle_timeout.is_unknown());

        // Pings slower than the cut never ran: an idle cut.
        let mut facts = cut_at(4.0);
        facts.heartbeat = Some(ProbeHeartbeat {
            server_ping_interval_s: Some(Seconds(30.0)),
            server_pings: 2,
        });
        let mut c = chain();
        merge_probe(&mut c, facts, TOLERANCE);
        assert_eq!(c.layers[0].idle_timeout.value, Some(Seconds(4.0)));
    }

    #[test]
    fn a_probe_on_its_own_has_the_hop_that_cut_as_its_one_layer() {
        let target = ProbeTarget::parse("ws://127.0.0.1:8080/ws/").unwrap();
        let mut facts = cut_at(4.0);
        facts.fingerprint = vec!["nginx".into()];
        let c = probe_chain(&target, facts);
        assert_eq!(c.layers.len(), 1);
        assert_eq!(c.layers[0].id, UNSEEN_LAYER_ID);
        assert!(c.layers[0].name.contains("nginx"));
        assert_eq!(c.layers[0].idle_timeout.value, Some(Seconds(4.0)));
        let open = ProbeFacts {
            url: "ws://127.0.0.1:8080/ws/".into(),
            ..ProbeFacts::default()
        };
        assert!(probe_chain(&target, open).layers.is_empty());
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
