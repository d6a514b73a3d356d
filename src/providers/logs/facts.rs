//! From the merged counters to the facts the chain carries: the 101 ratio, the lifetime
//! histogram and its peaks, the per-minute series, the storm windows and mass-disconnect
//! seconds. These are statistics of what the log shows; whether they are a problem is the
//! WS8xx rules' call.

use super::aggregate::{
    hash_str, Agg, Group, Reconnects, COARSE_LIMIT_S, COARSE_STEP_S, FINE_LIMIT_S, FINE_STEP_S,
    RECONNECT_WINDOW_S,
};
use super::record::Caps;
use super::time::rfc3339;
use crate::model::{
    Bucket, CloseReasonCount, GroupStats, ImpossibleMetric, LifetimePeak, LifetimeStats, LivePeak,
    LogFacts, MassDisconnect, ReconnectStorm, Seconds, Series, StatusCount, UpgradeStats,
};
use rustc_hash::FxHashMap;

/// A peak is the count of lifetimes within ± this of its centre (the "± 1 s").
pub const PEAK_HALF_WIDTH_S: f64 = 1.0;
/// The lifetimes around a peak it is compared with: this far on each side beyond it.
const PEAK_NEIGHBOURHOOD_S: f64 = 10.0;
/// What makes a cluster a peak: enough connections, a share of all, and far denser than its
/// surroundings.
pub const PEAK_MIN_COUNT: u64 = 5;
pub const PEAK_MIN_SHARE: f64 = 0.05;
pub const PEAK_MIN_PROMINENCE: f64 = 5.0;
/// Below this, a cluster is the app (or a client) closing right after the handshake, not an
/// idle timer.
pub const PEAK_MIN_AT_S: f64 = 1.5;
/// A storm minute has this many times the baseline's new WebSockets, and at least
/// [`STORM_MIN_PER_MINUTE`].
pub const STORM_FACTOR: f64 = 5.0;
pub const STORM_MIN_PER_MINUTE: u64 = 20;
/// A mass-disconnect second has this many times the mean ends per second, and at least
/// [`MASS_MIN_COUNT`].
pub const MASS_FACTOR: f64 = 10.0;
pub const MASS_MIN_COUNT: u64 = 10;
/// Series are at most this many points long (a longer log is shown in wider steps).
const MAX_POINTS: usize = 1440;
const TOP: usize = 20;

pub fn finish(agg: Agg, reconnects: Reconnects, caps: Caps) -> LogFacts {
    let mut f = LogFacts {
        lines: agg.lines,
        malformed: agg.malformed,
        ..LogFacts::default()
    };
    if agg.t_min.is_finite() {
        f.from = Some(rfc3339(agg.t_min));
        f.until = Some(rfc3339(agg.t_max));
    }
    let attempts_known = caps.upgrade && agg.unknown_upgrade == 0;
    f.upgrades = UpgradeStats {
        attempts: agg.attempts,
        succeeded: agg.succeeded,
        ratio: (attempts_known && agg.attempts > 0)
            .then(|| agg.succeeded as f64 / agg.attempts as f64),
        attempts_known,
        failing: failing(&agg.failing, &agg.failing_paths),
    };
    f.lifetimes = lifetimes(&agg);
    f.peaks = peaks(&agg);
    if !agg.disconnects.is_empty() {
        f.disconnects_per_minute = Some(minute_series(&agg.disconnects, Fold::Sum));
        f.connects_per_minute = Some(minute_series(&agg.connects, Fold::Sum));
    }
    if let Some((series, peak)) = live(&agg.live_delta) {
        f.live_connections = Some(series);
        f.live_peak = Some(peak);
    }
    f.storms = storms(&agg.connects, &reconnects.per_minute);
    f.mass_disconnects = mass_disconnects(&agg, &f.peaks);
    f.by_path = groups(&agg.by_path, attempts_known);
    f.by_upstream = groups(&agg.by_upstream, attempts_known);
    let mut reasons: Vec<CloseReasonCount> = agg
        .close_reasons
        .iter()
        .map(|((s, r), c)| CloseReasonCount {
            source: s.to_string(),
            reason: r.to_string(),
            count: *c,
        })
        .collect();
    reasons.sort_by(|a, b| {
        b.count
            .cmp(&a.count)
            .then_with(|| (&a.source, &a.reason).cmp(&(&b.source, &b.reason)))
    });
    f.close_reasons = reasons;
    f
}

/// The metrics `caps` cannot give, with what a format needs for them.
pub fn impossible(caps: Caps, nginx: bool, format_at: Option<&str>) -> Vec<ImpossibleMetric> {
    let mut out = Vec::new();
    let mut need = |metric: &str, nginx_var: &str, other: &str| {
        out.push(ImpossibleMetric {
            metric: metric.to_string(),
            add: if nginx { nginx_var } else { other }.to_string(),
            format_at: format_at.map(str::to_string),
        })
    };
    if !caps.status {
        need(
            "the 101 ratio and every WebSocket metric",
            "$status",
            "the status field",
        );
    }
    if !caps.upgrade {
        need(
            "the 101 ratio (failed upgrades cannot be told from other requests)",
            "\"$http_upgrade\"",
            "the upgrade header",
        );
    }
    if !caps.lifetime {
        need(
            "lifetimes, idle-cut peaks, live connections",
            "$request_time",
            "the connection's duration",
        );
    }
    if !caps.end {
        need(
            "disconnects per minute, storms, mass disconnects",
            "$msec (or [$time_local])",
            "a timestamp",
        );
    }
    if !caps.upstream {
        need(
            "per backend",
            "\"$upstream_addr\"",
            "the backend (CloudFront logs do not record the origin)",
        );
    }
    if !caps.client {
        need(
            "reconnects of the same client",
            "$remote_addr",
            "the client address",
        );
    }
    out
}

fn failing(
    by_status: &FxHashMap<u16, u64>,
    paths: &FxHashMap<(u16, Box<str>), u64>,
) -> Vec<StatusCount> {
    let mut v: Vec<StatusCount> = by_status
        .iter()
        .map(|(s, c)| StatusCount {
            status: *s,
            count: *c,
            top_path: paths
                .iter()
                .filter(|((st, _), _)| st == s)
                .max_by(|a, b| a.1.cmp(b.1).then_with(|| b.0 .1.cmp(&a.0 .1)))
                .map(|((_, p), _)| p.to_string()),
        })
        .collect();
    v.sort_by(|a, b| b.count.cmp(&a.count).then(a.status.cmp(&b.status)));
    v
}

/// (lower edge, width, count) of every non-empty histogram bucket, shortest first.
fn buckets(agg: &Agg) -> Vec<(f64, f64, u64)> {
    let mut v: Vec<(f64, f64, u64)> = Vec::new();
    // One-second buckets up to a minute, ten seconds up to 10 minutes, a minute beyond: a
    // chart people read, while peaks are found in the 100 ms buckets.
    let mut push = |from: f64, width: f64, count: u64| {
        if count == 0 {
            return;
        }
        match v.last_mut() {
            Some(last) if last.0 == from => last.2 += count,
            _ => v.push((from, width, count)),
        }
    };
    for (i, c) in agg.fine.iter().enumerate() {
        let t = i as f64 * FINE_STEP_S;
        let width = if t < 60.0 {
            1.0
        } else if t < 600.0 {
            10.0
        } else {
            60.0
        };
        push((t / width).floor() * width, width, *c);
    }
    for (i, c) in agg.coarse.iter().enumerate() {
        let t = i as f64 * COARSE_STEP_S;
        if t >= FINE_LIMIT_S {
            push(t, COARSE_STEP_S, *c);
        }
    }
    push(COARSE_LIMIT_S, f64::INFINITY, agg.overflow);
    v
}

fn lifetimes(agg: &Agg) -> Option<LifetimeStats> {
    if agg.lt_count == 0 {
        return None;
    }
    let quantile = |q: f64| -> f64 {
        let target = ((agg.lt_count as f64) * q).ceil().max(1.0) as u64;
        let mut seen = 0;
        for (i, c) in agg.fine.iter().enumerate() {
            seen += c;
            if seen >= target {
                return (i as f64 + 0.5) * FINE_STEP_S;
            }
        }
        for (i, c) in agg.coarse.iter().enumerate() {
            seen += c;
            if seen >= target {
                return (i as f64 + 0.5) * COARSE_STEP_S;
            }
        }
        agg.lt_max
    };
    let clamp = |v: f64| round3(v.clamp(agg.lt_min, agg.lt_max));
    Some(LifetimeStats {
        count: agg.lt_count,
        min_s: Seconds(round3(agg.lt_min)),
        median_s: Seconds(clamp(quantile(0.5))),
        p90_s: Seconds(clamp(quantile(0.9))),
        max_s: Seconds(round3(agg.lt_max)),
        buckets: buckets(agg)
            .into_iter()
            .map(|(from, width, count)| Bucket {
                from_s: Seconds(from),
                to_s: Seconds(if width.is_finite() {
                    from + width
                } else {
                    // "Longer than 48 h": the JSON has no infinity.
                    from
                }),
                count,
            })
            .collect(),
    })
}

fn round3(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

/// Peaks of the 100 ms histogram: windows of ± [`PEAK_HALF_WIDTH_S`] that hold enough of the
/// connections and are far denser than the [`PEAK_NEIGHBOURHOOD_S`] on each side; the
/// largest first, none overlapping another's window.
fn peaks(agg: &Agg) -> Vec<LifetimePeak> {
    let total = agg.lt_count;
    if total == 0 {
        return Vec::new();
    }
    let fine = &agg.fine;
    let n = fine.len();
    let mut prefix = vec![0u64; n + 1];
    for i in 0..n {
        prefix[i + 1] = prefix[i] + fine[i];
    }
    let sum = |a: isize, b: isize| -> u64 {
        let a = a.clamp(0, n as isize) as usize;
        let b = b.clamp(0, n as isize) as usize;
        prefix[b.max(a)] - prefix[a]
    };
    let half = (PEAK_HALF_WIDTH_S / FINE_STEP_S).round() as isize;
    // The centre is where the most lifetimes sit within ± half a second: a window of ± 1 s
    // would drift towards unrelated lifetimes nearby.
    let core = half / 2;
    let around = (PEAK_NEIGHBOURHOOD_S / FINE_STEP_S).round() as isize;
    let mut candidates: Vec<(u64, u64, f64, isize)> = Vec::new();
    for c in 0..n as isize {
        if fine[c as usize] == 0 {
            continue;
        }
        let inside = sum(c - half, c + half + 1);
        if inside < PEAK_MIN_COUNT || (inside as f64) < PEAK_MIN_SHARE * total as f64 {
            continue;
        }
        let outside = sum(c - half - around, c - half) + sum(c + half + 1, c + half + 1 + around);
        // Per window width: the neighbourhood is `around / (2 half + 1)` windows wide on each
        // side; one connection is added so an empty neighbourhood does not divide by zero.
        let windows = 2.0 * around as f64 / (2 * half + 1) as f64;
        let prominence = inside as f64 / (outside as f64 / windows + 1.0);
        if prominence < PEAK_MIN_PROMINENCE {
            continue;
        }
        candidates.push((sum(c - core, c + core + 1), inside, prominence, c));
    }
    candidates.sort_by(|a, b| {
        b.0.cmp(&a.0)
            .then(b.1.cmp(&a.1))
            .then(b.2.total_cmp(&a.2))
            .then(a.3.cmp(&b.3))
    });
    let mut taken: Vec<(isize, u64, f64)> = Vec::new();
    for (_, inside, prominence, c) in candidates {
        if taken.iter().any(|(t, _, _)| (t - c).abs() <= 2 * half) {
            continue;
        }
        taken.push((c, inside, prominence));
    }
    let mut out: Vec<LifetimePeak> = taken
        .into_iter()
        .filter_map(|(c, inside, prominence)| {
            let (mut weighted, mut count, mut edge) = (0.0, 0u64, 0u64);
            for i in (c - core).max(0)..=(c + core).min(n as isize - 1) {
                weighted += agg.fine_sum[i as usize];
                count += fine[i as usize];
            }
            for i in (c - half).max(0)..=(c + half).min(n as isize - 1) {
                edge += agg.edge_timeouts.get(&(i as u32)).copied().unwrap_or(0);
            }
            let at = round3(weighted / count.max(1) as f64);
            (at >= PEAK_MIN_AT_S).then(|| LifetimePeak {
                at_s: Seconds(at),
                count: inside,
                half_width_s: Seconds(PEAK_HALF_WIDTH_S),
                share: round3(inside as f64 / total as f64),
                prominence: (prominence * 10.0).round() / 10.0,
                edge_timeouts: (!agg.edge_timeouts.is_empty()).then_some(edge),
                ..LifetimePeak::default()
            })
        })
        .collect();
    // k·T: a smaller peak at a multiple of a larger one's lifetime.
    let base: Vec<(f64, u64)> = out.iter().map(|p| (p.at_s.0, p.count)).collect();
    for p in &mut out {
        p.multiple_of_s = base
            .iter()
            .filter(|(t, count)| *t < p.at_s.0 && *count >= p.count && *t >= PEAK_MIN_AT_S)
            .find(|(t, _)| {
                let k = (p.at_s.0 / t).round();
                k >= 2.0 && (p.at_s.0 - k * t).abs() <= PEAK_HALF_WIDTH_S * k
            })
            .map(|(t, _)| Seconds(*t));
    }
    out
}

#[derive(Clone, Copy)]
enum Fold {
    Sum,
    Max,
}

/// A per-minute map as a series from its first to its last minute, in wider steps when that
/// is more than [`MAX_POINTS`] minutes.
fn minute_series(map: &FxHashMap<i64, u64>, fold: Fold) -> Series {
    let first = *map.keys().min().expect("non-empty");
    let last = *map.keys().max().expect("non-empty");
    let minutes = (last - first + 1) as usize;
    let step = minutes.div_ceil(MAX_POINTS).max(1);
    let mut values = vec![0u64; minutes.div_ceil(step)];
    for (m, v) in map {
        let slot = &mut values[(m - first) as usize / step];
        *slot = match fold {
            Fold::Sum => *slot + v,
            Fold::Max => (*slot).max(*v),
        };
    }
    Series {
        start: rfc3339(first as f64 * 60.0),
        step_s: 60 * step as u32,
        values,
    }
}

/// The sweep over [start, end): the most connections open at once in each minute.
fn live(delta: &FxHashMap<i64, i64>) -> Option<(Series, LivePeak)> {
    if delta.is_empty() {
        return None;
    }
    let mut seconds: Vec<(i64, i64)> = delta.iter().map(|(k, v)| (*k, *v)).collect();
    seconds.sort_unstable();
    let mut open: i64 = 0;
    let mut per_minute: FxHashMap<i64, u64> = FxHashMap::default();
    let mut best = (0i64, seconds[0].0);
    for (s, d) in seconds {
        open += d;
        let m = s.div_euclid(60);
        let e = per_minute.entry(m).or_default();
        *e = (*e).max(open.max(0) as u64);
        if open > best.0 {
            best = (open, s);
        }
    }
    Some((
        minute_series(&per_minute, Fold::Max),
        LivePeak {
            at: rfc3339(best.1 as f64),
            connections: best.0.max(0) as u64,
        },
    ))
}

fn median(mut v: Vec<u64>) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_unstable();
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2] as f64
    } else {
        (v[n / 2 - 1] + v[n / 2]) as f64 / 2.0
    }
}

fn storms(connects: &FxHashMap<i64, u64>, reconnects: &FxHashMap<i64, u64>) -> Vec<ReconnectStorm> {
    let baseline = median(connects.values().copied().collect());
    let threshold = (baseline * STORM_FACTOR).max(STORM_MIN_PER_MINUTE as f64);
    let mut minutes: Vec<i64> = connects
        .iter()
        .filter(|(_, c)| **c as f64 >= threshold)
        .map(|(m, _)| *m)
        .collect();
    minutes.sort_unstable();
    let mut out: Vec<ReconnectStorm> = Vec::new();
    let mut last: Option<i64> = None;
    for m in minutes {
        let c = connects[&m];
        let r = reconnects.get(&m).copied().unwrap_or(0);
        match (out.last_mut(), last) {
            (Some(s), Some(prev)) if m == prev + 1 => {
                s.minutes += 1;
                s.new_connections += c;
                s.peak_per_minute = s.peak_per_minute.max(c);
                s.reconnects += r;
            }
            _ => out.push(ReconnectStorm {
                start: rfc3339(m as f64 * 60.0),
                minutes: 1,
                new_connections: c,
                peak_per_minute: c,
                baseline_per_minute: baseline,
                reconnects: r,
                reconnect_window_s: Seconds(RECONNECT_WINDOW_S),
            }),
        }
        last = Some(m);
    }
    out.sort_by(|a, b| {
        b.new_connections
            .cmp(&a.new_connections)
            .then(a.start.cmp(&b.start))
    });
    out.truncate(TOP);
    out
}

fn mass_disconnects(agg: &Agg, peaks: &[LifetimePeak]) -> Vec<MassDisconnect> {
    let Some(first) = agg.ends.keys().min() else {
        return Vec::new();
    };
    let last = agg.ends.keys().max().expect("non-empty");
    let total: u64 = agg.ends.values().map(|s| s.count).sum();
    let baseline = total as f64 / (last - first + 1) as f64;
    let threshold = (baseline * MASS_FACTOR).max(MASS_MIN_COUNT as f64);
    let names: FxHashMap<u64, &str> = agg
        .by_upstream
        .keys()
        .map(|k| (hash_str(k), k.as_ref()))
        .collect();
    let mut out: Vec<(i64, MassDisconnect)> = agg
        .ends
        .iter()
        .filter(|(_, s)| s.count as f64 >= threshold)
        .map(|(sec, s)| {
            let n = s.count as f64;
            let mean = s.sum / n;
            let var = (s.sumsq / n - mean * mean).max(0.0);
            let stddev = var.sqrt();
            let at_peak = stddev <= PEAK_HALF_WIDTH_S
                && peaks
                    .iter()
                    .any(|p| (p.at_s.0 - mean).abs() <= p.half_width_s.0);
            // The majority candidate holds the majority only if it does; a vote count above
            // zero is necessary, and enough when most lines name a backend.
            let top_upstream = (s.votes > 0)
                .then(|| names.get(&s.candidate).map(|n| n.to_string()))
                .flatten();
            (
                *sec,
                MassDisconnect {
                    at: rfc3339(*sec as f64),
                    count: s.count,
                    baseline_per_second: round3(baseline),
                    lifetime_mean_s: Seconds(round3(mean)),
                    lifetime_stddev_s: Seconds(round3(stddev)),
                    at_peak,
                    top_upstream,
                },
            )
        })
        .collect();
    out.sort_by(|a, b| b.1.count.cmp(&a.1.count).then(a.0.cmp(&b.0)));
    out.truncate(TOP);
    out.into_iter().map(|(_, m)| m).collect()
}

fn groups(map: &FxHashMap<Box<str>, Group>, attempts_known: bool) -> Vec<GroupStats> {
    let mut v: Vec<GroupStats> = map
        .iter()
        .map(|(k, g)| {
            let top_failure = g
                .failing
                .iter()
                .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
                .map(|(s, c)| StatusCount {
                    status: *s,
                    count: *c,
                    top_path: None,
                });
            let n: u64 = g.lifetimes.values().sum();
            let (median, mode) = if n == 0 {
                (None, None)
            } else {
                let mut secs: Vec<(u32, u64)> = g.lifetimes.iter().map(|(s, c)| (*s, *c)).collect();
                secs.sort_unstable();
                let mut seen = 0;
                let mut med = secs[0].0;
                for (s, c) in &secs {
                    seen += c;
                    if seen * 2 >= n {
                        med = *s;
                        break;
                    }
                }
                let mode = secs
                    .iter()
                    .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)))
                    .map(|(s, _)| *s);
                (Some(Seconds(med as f64)), mode.map(|m| Seconds(m as f64)))
            };
            GroupStats {
                key: if k.is_empty() {
                    "-".into()
                } else {
                    k.to_string()
                },
                attempts: g.attempts,
                succeeded: g.succeeded,
                ratio: (attempts_known && g.attempts > 0)
                    .then(|| round3(g.succeeded as f64 / g.attempts as f64)),
                top_failure,
                median_lifetime_s: median,
                mode_lifetime_s: mode,
            }
        })
        .collect();
    v.sort_by(|a, b| b.attempts.cmp(&a.attempts).then(a.key.cmp(&b.key)));
    v.truncate(TOP);
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::logs::record::{Record, Upgrade};
    use std::borrow::Cow;

    fn ws(end: f64, lifetime: f64, client: &str) -> Record<'_> {
        let mut r = Record::empty();
        r.end = Some(end);
        r.lifetime = Some(lifetime);
        r.status = Some(101);
        r.upgrade = Upgrade::Asked;
        r.client = Cow::Borrowed(client);
        r.path = Cow::Borrowed("/ws/");
        r
    }

    #[test]
    fn an_idle_cut_is_a_peak_and_a_spread_is_not() {
        let mut a = Agg::default();
        for i in 0..100 {
            a.add(&ws(
                1_000_000.0 + i as f64 * 7.0,
                60.0 + (i % 3) as f64 * 0.001,
                "c",
            ));
        }
        for i in 0..100 {
            a.add(&ws(1_000_000.0 + i as f64, 1.0 + i as f64 * 13.7, "d"));
        }
        let caps = Caps {
            end: true,
            lifetime: true,
            status: true,
            upgrade: true,
            ..Caps::default()
        };
        let f = finish(a, Reconnects::default(), caps);
        assert_eq!(f.peaks.len(), 1, "{:?}", f.peaks);
        assert!((f.peaks[0].at_s.0 - 60.0).abs() < 0.01, "{:?}", f.peaks);
        assert!(f.peaks[0].count >= 100);
        assert_eq!(f.upgrades.ratio, Some(1.0));
    }

    #[test]
    fn a_reload_is_a_mass_disconnect_not_a_peak() {
        let mut a = Agg::default();
        // Steady traffic for an hour, then 200 connections of every age end in one second.
        for i in 0..3600 {
            a.add(&ws(2_000_000.0 + i as f64, 5.0 + (i % 500) as f64, "x"));
        }
        for i in 0..200 {
            a.add(&ws(2_001_800.5, 10.0 + i as f64 * 9.0, "y"));
        }
        let f = finish(a, Reconnects::default(), Caps::default());
        assert!(f.peaks.is_empty(), "{:?}", f.peaks);
        let m = &f.mass_disconnects[0];
        assert!(m.count >= 200 && !m.at_peak, "{m:?}");
    }

    #[test]
    fn a_mass_close_followed_by_reconnects_is_a_storm() {
        let mut a = Agg::default();
        let mut r = Reconnects::default();
        let t0 = 3_000_000.0;
        let clients: Vec<String> = (0..600)
            .map(|i| format!("10.0.{}.{}", i / 256, i % 256))
            .collect();
        // An hour of ten new WebSockets a minute, each living 30 s.
        for (i, c) in clients.iter().enumerate() {
            let end = t0 + i as f64 * 6.0 + 30.0;
            a.add(&ws(end, 30.0, c));
            r.add(hash_str(c), end - 30.0, end);
        }
        // At minute 70, 500 of those clients come back within two seconds of a close.
        let close = t0 + 70.0 * 60.0;
        for c in clients.iter().take(500) {
            r.add(hash_str(c), close - 100.0, close);
        }
        for (k, c) in clients.iter().take(500).enumerate() {
            let start = close + 1.0 + (k % 10) as f64 * 0.1;
            a.add(&ws(start + 5.0, 5.0, c));
            r.add(hash_str(c), start, start + 5.0);
        }
        let f = finish(a, r, Caps::default());
        assert_eq!(f.storms.len(), 1, "{:?}", f.storms);
        let s = &f.storms[0];
        assert_eq!(s.new_connections, 500);
        assert_eq!(s.reconnects, 500);
        assert_eq!(s.baseline_per_minute, 10.0);
    }

    #[test]
    fn reconnects_follow_their_own_close() {
        let mut r = Reconnects::default();
        r.add(hash_str("a"), 100.0, 160.0);
        r.add(hash_str("a"), 161.0, 221.0);
        r.add(hash_str("b"), 100.0, 230.0);
        assert_eq!(r.per_minute.values().sum::<u64>(), 1);
    }
}
