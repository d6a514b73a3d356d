//! Live probe: what the chain actually does, measured from the client side.
//!
//! Configuration says what should happen; the probe shows what does, and settles limits no
//! provider publishes (Cloudflare's WebSocket idle timeout). One probe touches only the URL it
//! is given: one DNS lookup, at most `samples` sockets, no redirect followed, and every wait
//! bounded (`connect_timeout` per step, `idle` for the hold).
//!
//! Steps, one module each: [`net`] (DNS, TCP) → [`tls`] (rustls, chain classification) →
//! [`handshake`] (RFC 6455 over HTTP/1.1) → [`fingerprint`] (who answered) → [`idle`] (hold
//! and classify the cut). [`merge`] folds the facts into a [`Chain`](crate::model::Chain).

mod fingerprint;
mod handshake;
mod idle;
mod merge;
mod net;
mod target;
mod tls;

pub use fingerprint::fingerprint;
pub use merge::{explains_cut, merge_probe, probe_chain, MergeOutcome, UNSEEN_LAYER_ID};
pub use target::ProbeTarget;

use crate::model::{
    ConnectFacts, IdleFacts, IdleSample, ProbeFacts, ProbeHeartbeat, ProbeTimings, Seconds,
};
use handshake::RequestOptions;
use idle::HoldOptions;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::time::Instant;

/// Most connections one probe may hold at once (`--samples`).
pub const MAX_SAMPLES: u32 = 32;
/// Longest hold accepted (`--idle`): a day, far above any published idle limit.
pub const MAX_IDLE: Duration = Duration::from_secs(24 * 3600);
/// Shortest client ping interval accepted: anything faster is a load test, not a probe.
pub const MIN_CLIENT_PING: Duration = Duration::from_millis(100);

/// A byte stream the handshake and the hold run over: plain TCP or TLS.
pub trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}
pub type IoStream = Box<dyn Io>;

#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    #[error("`{url}` is not a WebSocket URL: {reason}")]
    BadUrl { url: String, reason: String },
    #[error("invalid probe option: {0}")]
    InvalidOption(String),
    #[error("cannot use CA file {path}: {reason}")]
    CaFile { path: String, reason: String },
    #[error("DNS lookup of `{host}` failed: {reason}")]
    Dns { host: String, reason: String },
    #[error("cannot connect: {attempts}")]
    Connect { attempts: String },
    #[error("cannot set up TLS: {0}")]
    TlsSetup(String),
    #[error("cannot start the async runtime: {0}")]
    Runtime(String),
}

impl ProbeError {
    /// True when the user's input is at fault (exit 2), false when the target could not be
    /// reached (the probe is incomplete).
    pub fn is_input_error(&self) -> bool {
        matches!(
            self,
            ProbeError::BadUrl { .. } | ProbeError::InvalidOption(_) | ProbeError::CaFile { .. }
        )
    }
}

/// What to probe and how; the flags of `wsaudit probe`.
#[derive(Debug, Clone)]
pub struct ProbeOptions {
    /// `ws://` or `wss://` URL: the only thing the probe touches.
    pub url: String,
    /// Extra request headers (`--header "Name: value"`).
    pub headers: Vec<(String, String)>,
    pub origin: Option<String>,
    /// Offered in `Sec-WebSocket-Protocol`, in order.
    pub subprotocols: Vec<String>,
    /// Go on after a failed certificate verification (the failure is still reported).
    pub insecure: bool,
    /// Trust only these roots instead of the webpki roots.
    pub ca_file: Option<PathBuf>,
    /// Bound for each of DNS, TCP connect, TLS handshake and the upgrade answer.
    pub connect_timeout: Duration,
    /// Hold the upgraded connection idle for at most this long (`--idle`).
    pub idle: Option<Duration>,
    /// Connections held at once for the idle measurement (`--samples`), 1..=`MAX_SAMPLES`.
    pub samples: u32,
    /// Ping from the client this often during the hold (`--client-ping`).
    pub client_ping: Option<Duration>,
}

impl ProbeOptions {
    pub fn new(url: impl Into<String>) -> Self {
        ProbeOptions {
            url: url.into(),
            headers: Vec::new(),
            origin: None,
            subprotocols: Vec::new(),
            insecure: false,
            ca_file: None,
            connect_timeout: Duration::from_secs(10),
            idle: None,
            samples: 1,
            client_ping: None,
        }
    }

    fn validate(&self) -> Result<(), ProbeError> {
        let bad = |m: String| Err(ProbeError::InvalidOption(m));
        if self.samples == 0 || self.samples > MAX_SAMPLES {
            return bad(format!(
                "--samples must be 1..={MAX_SAMPLES}, got {}",
                self.samples
            ));
        }
        if self.connect_timeout.is_zero() {
            return bad("--connect-timeout must be above 0".into());
        }
        if let Some(idle) = self.idle {
            if idle.is_zero() || idle > MAX_IDLE {
                return bad(format!(
                    "--idle must be above 0 and at most {} s",
                    MAX_IDLE.as_secs()
                ));
            }
        }
        if let Some(p) = self.client_ping {
            if p < MIN_CLIENT_PING {
                return bad(format!(
                    "--client-ping must be at least {} ms",
                    MIN_CLIENT_PING.as_millis()
                ));
            }
            if self.idle.is_none() {
                return bad("--client-ping only makes sense with --idle".into());
            }
        }
        Ok(())
    }
}

/// Parses `Name: value` as given to `--header`.
pub fn parse_header(text: &str) -> Result<(String, String), ProbeError> {
    match text.split_once(':') {
        Some((n, v)) if !n.trim().is_empty() => Ok((n.trim().to_string(), v.trim().to_string())),
        _ => Err(ProbeError::InvalidOption(format!(
            "--header `{text}` is not `Name: value`"
        ))),
    }
}

/// Everything the connection steps share: computed once, reused by every sample.
struct Dialer {
    target: ProbeTarget,
    resolved: net::Resolved,
    tls: Option<tls::TlsSetup>,
    request: RequestOptions,
    insecure: bool,
    timeout: Duration,
}

/// Runs the probe. `Err` only when nothing could be asked (bad input, no DNS answer, no TCP
/// connection); TLS and handshake failures are facts (rules WS502, WS105) and come back `Ok`.
pub async fn probe(opts: &ProbeOptions) -> Result<ProbeFacts, ProbeError> {
    opts.validate()?;
    let target = ProbeTarget::parse(&opts.url)?;
    let tls = match target.tls {
        true => Some(tls::TlsSetup::new(opts.ca_file.as_deref())?),
        false => None,
    };
    let request = RequestOptions {
        headers: opts.headers.clone(),
        origin: opts.origin.clone(),
        subprotocols: opts.subprotocols.clone(),
    };
    // Refuse malformed headers before any packet leaves.
    handshake::build_request(&target, &request, "probe")?;

    let start = Instant::now();
    let resolved = net::resolve(&target.host, target.port, opts.connect_timeout).await?;
    let (tcp, peer, connect_time) = net::connect(&resolved, opts.connect_timeout).await?;
    let mut facts = ProbeFacts {
        url: opts.url.trim().to_string(),
        connect: Some(ConnectFacts {
            addresses: resolved.addresses.iter().map(|a| a.to_string()).collect(),
            peer: peer.to_string(),
        }),
        ..ProbeFacts::default()
    };
    let mut timings = ProbeTimings {
        dns_ms: ms(resolved.elapsed),
        connect_ms: ms(connect_time),
        ..ProbeTimings::default()
    };
    let dialer = Arc::new(Dialer {
        target,
        resolved,
        tls,
        request,
        insecure: opts.insecure,
        timeout: opts.connect_timeout,
    });

    let stream: IoStream = match &dialer.tls {
        None => Box::new(tcp),
        Some(setup) => {
            let out = tls::handshake(
                setup,
                tcp,
                &dialer.target.host,
                dialer.insecure,
                dialer.timeout,
            )
            .await?;
            timings.tls_ms = Some(ms(out.elapsed));
            facts.tls = Some(out.facts);
            match out.stream {
                Some(s) => s,
                None => {
                    timings.total_ms = ms(start.elapsed());
                    facts.timings = Some(timings);
                    return Ok(facts);
                }
            }
        }
    };

    let out = handshake::upgrade(stream, &dialer.target, &dialer.request, dialer.timeout).await?;
    let upgraded_at = Instant::now();
    timings.upgrade_ms = Some(ms(out.elapsed));
    timings.total_ms = ms(start.elapsed());
    facts.timings = Some(timings);
    let (layers, hits) = fingerprint(&out.facts.headers);
    facts.fingerprint = layers;
    facts.fingerprint_evidence = hits;
    facts.handshake = Some(out.facts);

    if let (Some(max), Some((stream, leftover))) = (opts.idle, out.upgraded) {
        let hold = HoldOptions {
            max,
            client_ping: opts.client_ping,
        };
        // The extra samples dial at once, so all holds overlap and the whole measurement
        // takes one hold's time.
        let mut extra = Vec::new();
        for _ in 1..opts.samples {
            let d = dialer.clone();
            extra.push(tokio::spawn(async move { extra_sample(&d, hold).await }));
        }
        let mut samples = vec![idle::hold(stream, leftover, upgraded_at, hold).await];
        for h in extra {
            samples.push(h.await.unwrap_or_else(|e| IdleSample {
                how: "error".into(),
                error: Some(format!("sample task failed: {e}")),
                ..IdleSample::default()
            }));
        }
        let (idle_facts, heartbeat) = summarise(samples, max, opts.client_ping);
        facts.idle = Some(idle_facts);
        facts.heartbeat = Some(heartbeat);
    }
    Ok(facts)
}

/// [`probe`] for callers without a runtime (a synchronous `main`).
pub fn probe_blocking(opts: &ProbeOptions) -> Result<ProbeFacts, ProbeError> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| ProbeError::Runtime(e.to_string()))?
        .block_on(probe(opts))
}

/// One more connection, upgraded and held; a failure becomes a sample with `how = "error"`.
async fn extra_sample(d: &Dialer, hold: HoldOptions) -> IdleSample {
    let failed = |e: String| IdleSample {
        how: "error".into(),
        error: Some(e),
        ..IdleSample::default()
    };
    let (tcp, _, _) = match net::connect(&d.resolved, d.timeout).await {
        Ok(c) => c,
        Err(e) => return failed(e.to_string()),
    };
    let stream: IoStream = match &d.tls {
        None => Box::new(tcp),
        Some(setup) => {
            match tls::handshake(setup, tcp, &d.target.host, d.insecure, d.timeout).await {
                Ok(tls::TlsOutcome {
                    stream: Some(s), ..
                }) => s,
                Ok(o) => return failed(o.facts.error.unwrap_or_else(|| "TLS failed".into())),
                Err(e) => return failed(e.to_string()),
            }
        }
    };
    match handshake::upgrade(stream, &d.target, &d.request, d.timeout).await {
        Ok(handshake::HandshakeOutcome {
            upgraded: Some((s, leftover)),
            ..
        }) => idle::hold(s, leftover, Instant::now(), hold).await,
        Ok(o) => failed(
            o.facts
                .error
                .unwrap_or_else(|| format!("handshake answered {}", o.facts.status)),
        ),
        Err(e) => failed(e.to_string()),
    }
}

/// The summary of all samples: the cut is the median of the samples that were cut when at
/// least half were (a single early cut, e.g. an edge restart, does not make a timeout), and the
/// way of closing is the most common among them.
fn summarise(
    samples: Vec<IdleSample>,
    max: Duration,
    client_ping: Option<Duration>,
) -> (IdleFacts, ProbeHeartbeat) {
    let held: Vec<&IdleSample> = samples.iter().filter(|s| s.how != "error").collect();
    let mut cut: Vec<&IdleSample> = held
        .iter()
        .copied()
        .filter(|s| s.closed_after_s.is_some())
        .collect();
    let mut facts = IdleFacts {
        how: if held.is_empty() { "error" } else { "open" }.into(),
        max_hold_s: Some(Seconds(max.as_secs_f64())),
        client_ping_s: client_ping.map(|d| Seconds(d.as_secs_f64())),
        ..IdleFacts::default()
    };
    if !cut.is_empty() && cut.len() * 2 >= held.len() {
        let mut hows: Vec<&str> = cut.iter().map(|s| s.how.as_str()).collect();
        hows.sort_unstable();
        let how = hows
            .iter()
            .max_by_key(|h| hows.iter().filter(|x| x == h).count())
            .copied()
            .unwrap_or("fin")
            .to_string();
        cut.sort_by(|a, b| {
            a.closed_after_s
                .unwrap_or_default()
                .0
                .total_cmp(&b.closed_after_s.unwrap_or_default().0)
        });
        facts.closed_after_s = cut[cut.len() / 2].closed_after_s;
        if let Some(first) = cut.iter().find(|s| s.how == how) {
            facts.close_code = first.close_code;
            facts.close_reason = first.close_reason.clone();
        }
        facts.how = how;
    }
    let mut intervals: Vec<f64> = samples
        .iter()
        .filter_map(|s| s.server_ping_interval_s.map(|i| i.0))
        .collect();
    intervals.sort_by(f64::total_cmp);
    let heartbeat = ProbeHeartbeat {
        server_ping_interval_s: intervals.get(intervals.len() / 2).copied().map(Seconds),
        server_pings: samples.iter().map(|s| s.server_pings).sum(),
    };
    facts.samples = samples;
    (facts, heartbeat)
}

fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 1000.0 * 10.0).round() / 10.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(how: &str, at: Option<f64>) -> IdleSample {
        IdleSample {
            how: how.into(),
            closed_after_s: at.map(Seconds),
            ..IdleSample::default()
        }
    }

    #[test]
    fn summary_takes_the_median_cut_of_a_majority() {
        let (f, _) = summarise(
            vec![
                sample("fin", Some(3.01)),
                sample("fin", Some(2.99)),
                sample("fin", Some(3.2)),
            ],
            Duration::from_secs(10),
            None,
        );
        assert_eq!(f.how, "fin");
        assert_eq!(f.closed_after_s, Some(Seconds(3.01)));
        assert_eq!(f.samples.len(), 3);
    }

    #[test]
    fn one_early_cut_among_survivors_is_not_a_timeout() {
        let (f, _) = summarise(
            vec![
                sample("rst", Some(1.0)),
                sample("open", None),
                sample("open", None),
            ],
            Duration::from_secs(10),
            None,
        );
        assert_eq!(f.how, "open");
        assert_eq!(f.closed_after_s, None);
    }

    #[test]
    fn options_are_bounded() {
        let mut o = ProbeOptions::new("ws://127.0.0.1:1/");
        o.samples = 0;
        assert!(o.validate().is_err());
        o.samples = MAX_SAMPLES + 1;
        assert!(o.validate().is_err());
        o.samples = 2;
        o.idle = Some(MAX_IDLE + Duration::from_secs(1));
        assert!(o.validate().is_err());
        o.idle = Some(Duration::from_secs(5));
        o.client_ping = Some(Duration::from_millis(10));
        assert!(o.validate().is_err());
        o.client_ping = Some(Duration::from_secs(1));
        assert!(o.validate().is_ok());
    }

    #[test]
    fn header_flag_parses() {
        assert_eq!(
            parse_header("Authorization: Bearer x:y").unwrap(),
            ("Authorization".into(), "Bearer x:y".into())
        );
        assert!(parse_header("no colon").is_err());
        assert!(parse_header(": v").is_err());
    }
}
