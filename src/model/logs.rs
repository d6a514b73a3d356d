//! Facts read from access logs (`wsaudit logs`, `chain --logs`): the 101 ratio, disconnects per
//! minute, live connections, the lifetime distribution and its peaks, and the bursts that look
//! like reconnect storms or mass disconnects. The logs provider fills these; the WS8xx rules
//! read them, so a saved chain with log facts re-judges like a live run.

use super::seconds::Seconds;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
pub struct LogFacts {
    /// Every input read (a file, `-`, an S3 object), in the order given.
    pub sources: Vec<LogSource>,
    /// Lines read over all sources, and how many of them could not be parsed.
    pub lines: u64,
    pub malformed: u64,
    /// The first few malformed lines, as `file:line: why`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub malformed_samples: Vec<String>,
    /// The time the log covers (RFC 3339, UTC): the first connection's start and the last
    /// line's time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<String>,
    /// WebSocket upgrade attempts and their answers.
    pub upgrades: UpgradeStats,
    /// The lifetimes of the WebSockets that were established (the 101s), as a histogram.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lifetimes: Option<LifetimeStats>,
    /// Narrow peaks of the lifetime distribution: where a layer cuts idle connections.
    #[serde(default)]
    pub peaks: Vec<LifetimePeak>,
    /// Disconnects (closes of established WebSockets) per minute.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disconnects_per_minute: Option<Series>,
    /// New WebSockets (101s, by their start) per minute.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connects_per_minute: Option<Series>,
    /// The most WebSockets open at once in each minute (a sweep over [start, end)). A lower
    /// bound: connections still open when the log ends have no line yet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub live_connections: Option<Series>,
    /// The highest value of `live_connections`, and when.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub live_peak: Option<LivePeak>,
    /// Minutes with far more new WebSockets than the log's baseline, merged into windows.
    #[serde(default)]
    pub storms: Vec<ReconnectStorm>,
    /// Seconds in which far more WebSockets ended than in a typical second.
    #[serde(default)]
    pub mass_disconnects: Vec<MassDisconnect>,
    /// Per `$host` + path (without the query string); the busiest first.
    #[serde(default)]
    pub by_path: Vec<GroupStats>,
    /// Per backend (`$upstream_addr`, the ALB target, the Cloudflare colo); the busiest first.
    #[serde(default)]
    pub by_upstream: Vec<GroupStats>,
    /// How connections ended, where the log says (Cloudflare's `ConnectionCloseSource` and
    /// `ConnectionCloseReason`); the most common first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub close_reasons: Vec<CloseReasonCount>,
    /// Metrics the log format cannot give, with the field that would.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub impossible: Vec<ImpossibleMetric>,
    /// Simplifications the reader had to make (per-path groups capped, reconnects across
    /// files not linked, …), so nobody reads more into the numbers than they hold.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
pub struct LogSource {
    /// A path, `-`, or `s3://bucket/key`.
    pub name: String,
    /// `nginx`, `alb`, `cloudfront`, `cloudflare`.
    pub format: String,
    /// For nginx: the `log_format` the lines were parsed with and where it was read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_format: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_format_origin: Option<String>,
    pub lines: u64,
    pub malformed: u64,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
pub struct UpgradeStats {
    /// Requests that asked for a WebSocket (`Upgrade: websocket`, ALB `ws`/`wss`, CloudFront
    /// `cs-protocol` `ws`/`wss`), or, when the format records no upgrade header, the 101s
    /// alone (then `attempts_known` is false and the ratio is not computed).
    pub attempts: u64,
    /// Answered `101 Switching Protocols`.
    pub succeeded: u64,
    /// `succeeded / attempts`, when attempts are known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ratio: Option<f64>,
    pub attempts_known: bool,
    /// The statuses of the attempts that failed, the most common first.
    #[serde(default)]
    pub failing: Vec<StatusCount>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
pub struct StatusCount {
    pub status: u16,
    pub count: u64,
    /// The path (host + path) with most of them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top_path: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
pub struct LifetimeStats {
    pub count: u64,
    pub min_s: Seconds,
    pub median_s: Seconds,
    pub p90_s: Seconds,
    pub max_s: Seconds,
    /// The histogram: buckets of growing width (1 s up to a minute, then wider), empty ones
    /// left out.
    pub buckets: Vec<Bucket>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
pub struct Bucket {
    /// [from_s, to_s)
    pub from_s: Seconds,
    pub to_s: Seconds,
    pub count: u64,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
pub struct LifetimePeak {
    /// The lifetime the peak sits at (the mean of the connections in it).
    pub at_s: Seconds,
    /// Connections whose lifetime is within `half_width_s` of `at_s`.
    pub count: u64,
    pub half_width_s: Seconds,
    /// `count` over every established WebSocket.
    pub share: f64,
    /// How many times denser the peak is than the lifetimes around it (10 s each side).
    pub prominence: f64,
    /// The layer whose configured idle timeout (or maximum duration) is `at_s`, within
    /// `explain_tolerance_s`, when the logs were read with a chain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub explained_by: Option<String>,
    /// Which setting of `explained_by` it matches: `idle_timeout` or `max_duration`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub explained_setting: Option<String>,
    /// Set when the peak sits at k·T of a larger peak at T (k ≥ 2): connections that
    /// survived k−1 idle periods, the mark of a heartbeat at or above T.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub multiple_of_s: Option<Seconds>,
    /// The peak's connections that were Cloudflare edge timeouts (`me`/`timedOut`), when the
    /// log says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edge_timeouts: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
pub struct Series {
    /// The first point's time (RFC 3339, UTC).
    pub start: String,
    /// Seconds between points (60, or a multiple when the log spans more than a day).
    pub step_s: u32,
    pub values: Vec<u64>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
pub struct LivePeak {
    pub at: String,
    pub connections: u64,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
pub struct ReconnectStorm {
    /// The first storm minute (RFC 3339, UTC) and how many minutes it lasted.
    pub start: String,
    pub minutes: u32,
    /// New WebSockets in the window, and in its busiest minute.
    pub new_connections: u64,
    pub peak_per_minute: u64,
    /// The log's typical minute (the median over minutes with any new WebSocket).
    pub baseline_per_minute: f64,
    /// New WebSockets in the window opened by a client within `reconnect_window_s` of one of
    /// its own connections closing.
    pub reconnects: u64,
    pub reconnect_window_s: Seconds,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
pub struct MassDisconnect {
    /// The second (RFC 3339, UTC).
    pub at: String,
    pub count: u64,
    /// The log's typical second (mean ends per second over seconds with any end).
    pub baseline_per_second: f64,
    /// The mean and spread of the lifetimes of the connections that ended then: a spread of
    /// seconds or more means they started at different times and were ended together.
    pub lifetime_mean_s: Seconds,
    pub lifetime_stddev_s: Seconds,
    /// The lifetimes sit at a lifetime peak: a cohort that started together and was cut by
    /// the same idle timeout, not a reload.
    pub at_peak: bool,
    /// The backend most of them were on, when the log records it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top_upstream: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
pub struct GroupStats {
    pub key: String,
    pub attempts: u64,
    pub succeeded: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ratio: Option<f64>,
    /// The most common failing status, and how often.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top_failure: Option<StatusCount>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub median_lifetime_s: Option<Seconds>,
    /// The lifetime most of its WebSockets ended at, to the second.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode_lifetime_s: Option<Seconds>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
pub struct CloseReasonCount {
    /// `me`, `upstream`, `downstream`, `both`.
    pub source: String,
    /// `timedOut`, `peerReset`, …
    pub reason: String,
    pub count: u64,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
pub struct ImpossibleMetric {
    /// `101 ratio`, `lifetimes`, `per backend`, …
    pub metric: String,
    /// What to add to the log format (`$request_time`, `$http_upgrade`).
    pub add: String,
    /// Where the format is defined, when known (the `log_format` line).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format_at: Option<String>,
}
