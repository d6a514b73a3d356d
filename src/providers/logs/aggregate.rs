//! The one-pass aggregation: histograms and per-minute and per-second counters, never the rows,
//! so memory grows with the time the log spans (and its distinct paths, capped), not with its
//! lines. Parser threads each fill an [`Agg`]; those merge at the end. Reconnects need the
//! lines in order, so [`Reconnects`] runs on one thread per source.

use super::record::{Caps, Record, Upgrade};
use rustc_hash::{FxHashMap, FxHasher};
use std::hash::{Hash, Hasher};

/// The lifetime histogram's fine part: 100 ms buckets up to 2 h (a peak is located to the
/// tenth of a second); then one-minute buckets up to 48 h; beyond that one overflow bucket.
pub const FINE_STEP_S: f64 = 0.1;
pub const FINE_LIMIT_S: f64 = 7200.0;
const FINE_BUCKETS: usize = 72_000;
pub const COARSE_STEP_S: f64 = 60.0;
pub const COARSE_LIMIT_S: f64 = 172_800.0;
const COARSE_BUCKETS: usize = 2_760;

/// Distinct paths and backends kept; the rest are counted as `(other)`, so a path with ids in
/// it (`/ws/123`) cannot grow memory with the log.
pub const MAX_GROUPS: usize = 1000;
pub const OTHER_GROUP: &str = "(other)";

/// A new WebSocket from a client within this many seconds of one of its own closing is a
/// reconnect.
pub const RECONNECT_WINDOW_S: f64 = 10.0;
/// Clients remembered for reconnects; past it, those whose last close is over an hour older
/// than the newest are forgotten.
const MAX_CLIENTS: usize = 1 << 20;

#[derive(Debug, Default, Clone)]
pub struct Group {
    pub attempts: u64,
    pub succeeded: u64,
    pub failing: FxHashMap<u16, u64>,
    /// Lifetimes of its WebSockets by whole second.
    pub lifetimes: FxHashMap<u32, u64>,
}

#[derive(Debug, Default, Clone, Copy)]
pub struct SecondEnds {
    pub count: u64,
    pub sum: f64,
    pub sumsq: f64,
    /// Boyer–Moore majority vote over the backends' hashes: the backend most of them were on,
    /// if one holds the majority.
    pub candidate: u64,
    pub votes: i64,
}

#[derive(Debug)]
pub struct Agg {
    pub lines: u64,
    pub malformed: u64,
    pub attempts: u64,
    pub succeeded: u64,
    /// Lines that were not 101 and do not say whether they asked for an upgrade.
    pub unknown_upgrade: u64,
    pub failing: FxHashMap<u16, u64>,
    pub failing_paths: FxHashMap<(u16, Box<str>), u64>,
    pub fine: Vec<u64>,
    /// The sum of the lifetimes in each fine bucket, so a peak's centre is exact.
    pub fine_sum: Vec<f64>,
    pub coarse: Vec<u64>,
    pub overflow: u64,
    pub lt_count: u64,
    pub lt_min: f64,
    pub lt_max: f64,
    /// Cloudflare edge timeouts (`me`/`timedOut`) by fine lifetime bucket.
    pub edge_timeouts: FxHashMap<u32, u64>,
    pub disconnects: FxHashMap<i64, u64>,
    pub connects: FxHashMap<i64, u64>,
    pub live_delta: FxHashMap<i64, i64>,
    pub ends: FxHashMap<i64, SecondEnds>,
    pub by_path: FxHashMap<Box<str>, Group>,
    pub by_upstream: FxHashMap<Box<str>, Group>,
    pub close_reasons: FxHashMap<(Box<str>, Box<str>), u64>,
    pub t_min: f64,
    pub t_max: f64,
    key: String,
}

/// How many malformed lines are kept, with their line, for the report.
pub const MALFORMED_SAMPLES: usize = 5;

pub fn hash_str(s: &str) -> u64 {
    let mut h = FxHasher::default();
    s.hash(&mut h);
    h.finish()
}

impl Default for Agg {
    fn default() -> Self {
        Agg {
            lines: 0,
            malformed: 0,
            attempts: 0,
            succeeded: 0,
            unknown_upgrade: 0,
            failing: FxHashMap::default(),
            failing_paths: FxHashMap::default(),
            fine: vec![0; FINE_BUCKETS],
            fine_sum: vec![0.0; FINE_BUCKETS],
            coarse: vec![0; COARSE_BUCKETS],
            overflow: 0,
            lt_count: 0,
            lt_min: f64::INFINITY,
            lt_max: 0.0,
            edge_timeouts: FxHashMap::default(),
            disconnects: FxHashMap::default(),
            connects: FxHashMap::default(),
            live_delta: FxHashMap::default(),
            ends: FxHashMap::default(),
            by_path: FxHashMap::default(),
            by_upstream: FxHashMap::default(),
            close_reasons: FxHashMap::default(),
            t_min: f64::INFINITY,
            t_max: f64::NEG_INFINITY,
            key: String::new(),
        }
    }
}

fn group<'m>(map: &'m mut FxHashMap<Box<str>, Group>, key: &str) -> &'m mut Group {
    if !map.contains_key(key) {
        let k = if map.len() >= MAX_GROUPS {
            OTHER_GROUP
        } else {
            key
        };
        return map.entry(k.into()).or_default();
    }
    map.get_mut(key).expect("checked")
}

pub fn fine_bucket(lifetime: f64) -> Option<usize> {
    let i = (lifetime / FINE_STEP_S) as usize;
    (lifetime < FINE_LIMIT_S).then_some(i.min(FINE_BUCKETS - 1))
}

impl Agg {
    pub fn add(&mut self, r: &Record<'_>) {
        let ws = r.is_websocket();
        let attempt = match r.upgrade {
            Upgrade::Asked => true,
            Upgrade::NotAsked => ws,
            Upgrade::Unknown => {
                if !ws {
                    self.unknown_upgrade += 1;
                }
                ws
            }
        };
        self.key.clear();
        self.key.push_str(&r.host);
        self.key.push_str(&r.path);
        if let Some(end) = r.end {
            self.t_max = self.t_max.max(end);
            let start = end - r.lifetime.unwrap_or(0.0);
            self.t_min = self.t_min.min(start);
        }
        if !attempt {
            return;
        }
        self.attempts += 1;
        let status = r.status.unwrap_or(0);
        let path_group = group(&mut self.by_path, &self.key);
        path_group.attempts += 1;
        let upstream_group = (!r.upstream.is_empty()).then_some(r.upstream.as_ref());
        if !ws {
            *self.failing.entry(status).or_default() += 1;
            *path_group.failing.entry(status).or_default() += 1;
            if let Some(u) = upstream_group {
                let g = group(&mut self.by_upstream, u);
                g.attempts += 1;
                *g.failing.entry(status).or_default() += 1;
            }
            let k = (status, Box::<str>::from(self.key.as_str()));
            if self.failing_paths.len() < MAX_GROUPS || self.failing_paths.contains_key(&k) {
                *self.failing_paths.entry(k).or_default() += 1;
            }
            return;
        }
        self.succeeded += 1;
        path_group.succeeded += 1;
        let lifetime = r.lifetime;
        if let Some(lt) = lifetime {
            *path_group.lifetimes.entry(lt as u32).or_default() += 1;
        }
        if let Some(u) = upstream_group {
            let g = group(&mut self.by_upstream, u);
            g.attempts += 1;
            g.succeeded += 1;
            if let Some(lt) = lifetime {
                *g.lifetimes.entry(lt as u32).or_default() += 1;
            }
        }
        if !r.close_source.is_empty() || !r.close_reason.is_empty() {
            *self
                .close_reasons
                .entry((
                    r.close_source.as_ref().into(),
                    r.close_reason.as_ref().into(),
                ))
                .or_default() += 1;
        }
        if let Some(lt) = lifetime {
            self.lt_count += 1;
            self.lt_min = self.lt_min.min(lt);
            self.lt_max = self.lt_max.max(lt);
            match fine_bucket(lt) {
                Some(i) => {
                    self.fine[i] += 1;
                    self.fine_sum[i] += lt;
                    if r.close_source == "me" && r.close_reason == "timedOut" {
                        *self.edge_timeouts.entry(i as u32).or_default() += 1;
                    }
                }
                None if lt < COARSE_LIMIT_S => {
                    self.coarse[((lt / COARSE_STEP_S) as usize).min(COARSE_BUCKETS - 1)] += 1
                }
                None => self.overflow += 1,
            }
        }
        if let Some(end) = r.end {
            let start = end - lifetime.unwrap_or(0.0);
            *self
                .disconnects
                .entry((end / 60.0).floor() as i64)
                .or_default() += 1;
            *self
                .connects
                .entry((start / 60.0).floor() as i64)
                .or_default() += 1;
            if lifetime.is_some() {
                *self.live_delta.entry(start.floor() as i64).or_default() += 1;
                *self.live_delta.entry(end.floor() as i64).or_default() -= 1;
            }
            let s = self.ends.entry(end.floor() as i64).or_default();
            let lt = lifetime.unwrap_or(0.0);
            s.count += 1;
            s.sum += lt;
            s.sumsq += lt * lt;
            let h = upstream_group.map_or(0, hash_str);
            if s.votes == 0 {
                s.candidate = h;
                s.votes = 1;
            } else if s.candidate == h {
                s.votes += 1;
            } else {
                s.votes -= 1;
            }
        }
    }

    /// Folds `o` in. The majority votes of two halves combine as the vote over the whole does
    /// when one backend holds the majority of the second, which is what the report asks.
    pub fn merge(&mut self, o: Agg) {
        self.lines += o.lines;
        self.malformed += o.malformed;
        self.attempts += o.attempts;
        self.succeeded += o.succeeded;
        self.unknown_upgrade += o.unknown_upgrade;
        add_maps(&mut self.failing, o.failing);
        for (k, v) in o.failing_paths {
            if self.failing_paths.len() < MAX_GROUPS || self.failing_paths.contains_key(&k) {
                *self.failing_paths.entry(k).or_default() += v;
            }
        }
        for (a, b) in self.fine.iter_mut().zip(o.fine) {
            *a += b;
        }
        for (a, b) in self.fine_sum.iter_mut().zip(o.fine_sum) {
            *a += b;
        }
        for (a, b) in self.coarse.iter_mut().zip(o.coarse) {
            *a += b;
        }
        self.overflow += o.overflow;
        self.lt_count += o.lt_count;
        self.lt_min = self.lt_min.min(o.lt_min);
        self.lt_max = self.lt_max.max(o.lt_max);
        add_maps(&mut self.edge_timeouts, o.edge_timeouts);
        add_maps(&mut self.disconnects, o.disconnects);
        add_maps(&mut self.connects, o.connects);
        for (k, v) in o.live_delta {
            *self.live_delta.entry(k).or_default() += v;
        }
        for (k, v) in o.ends {
            let s = self.ends.entry(k).or_default();
            s.count += v.count;
            s.sum += v.sum;
            s.sumsq += v.sumsq;
            if s.candidate == v.candidate {
                s.votes += v.votes;
            } else if v.votes > s.votes {
                s.candidate = v.candidate;
                s.votes = v.votes - s.votes;
            } else {
                s.votes -= v.votes;
            }
        }
        merge_groups(&mut self.by_path, o.by_path);
        merge_groups(&mut self.by_upstream, o.by_upstream);
        add_maps(&mut self.close_reasons, o.close_reasons);
        self.t_min = self.t_min.min(o.t_min);
        self.t_max = self.t_max.max(o.t_max);
    }
}

fn add_maps<K: Eq + Hash>(a: &mut FxHashMap<K, u64>, b: FxHashMap<K, u64>) {
    for (k, v) in b {
        *a.entry(k).or_default() += v;
    }
}

fn merge_groups(a: &mut FxHashMap<Box<str>, Group>, b: FxHashMap<Box<str>, Group>) {
    for (k, g) in b {
        let key: Box<str> = if a.contains_key(&k) || a.len() < MAX_GROUPS {
            k
        } else {
            OTHER_GROUP.into()
        };
        let t = a.entry(key).or_default();
        t.attempts += g.attempts;
        t.succeeded += g.succeeded;
        add_maps(&mut t.failing, g.failing);
        add_maps(&mut t.lifetimes, g.lifetimes);
    }
}

/// Reconnects, in line order: a WebSocket that a client opened within
/// [`RECONNECT_WINDOW_S`] of one of its own closing.
#[derive(Debug, Default)]
pub struct Reconnects {
    last_close: FxHashMap<u64, f64>,
    newest: f64,
    /// Reconnects by the minute they started in.
    pub per_minute: FxHashMap<i64, u64>,
}

impl Reconnects {
    pub fn add(&mut self, client: u64, start: f64, end: f64) {
        if let Some(prev) = self.last_close.get(&client) {
            let gap = start - prev;
            // Timestamps are to the second in some formats: a reconnect can look like it
            // started just before the close it follows.
            if (-1.0..=RECONNECT_WINDOW_S).contains(&gap) {
                *self
                    .per_minute
                    .entry((start / 60.0).floor() as i64)
                    .or_default() += 1;
            }
        }
        let e = self.last_close.entry(client).or_insert(end);
        *e = e.max(end);
        self.newest = self.newest.max(end);
        if self.last_close.len() > MAX_CLIENTS {
            let horizon = self.newest - 3600.0;
            self.last_close.retain(|_, t| *t >= horizon);
        }
    }

    pub fn merge(&mut self, o: Reconnects) {
        add_maps(&mut self.per_minute, o.per_minute);
    }
}

/// What a source's format can tell, combined over sources (a metric is possible when one of
/// them gives it).
pub fn union_caps(a: Caps, b: Caps) -> Caps {
    Caps {
        end: a.end || b.end,
        lifetime: a.lifetime || b.lifetime,
        status: a.status || b.status,
        upgrade: a.upgrade || b.upgrade,
        upstream: a.upstream || b.upstream,
        path: a.path || b.path,
        client: a.client || b.client,
    }
}
