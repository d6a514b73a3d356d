//! The access-log provider (`wsaudit logs`): reads nginx (in the `log_format` the nginx
//! configuration defines), ALB, CloudFront and Cloudflare Logpush logs from files, standard
//! input or S3, plain or gzip'd, in one pass and bounded memory, into the log facts of the
//! chain (`model::LogFacts`). Like every provider it reports what it read, never whether that
//! is a problem: the WS8xx rules judge.
//!
//! Files: `record.rs` (a line as the metrics need it), `nginx.rs`, `aws.rs` (ALB,
//! CloudFront), `cloudflare.rs` (the parsers), `format.rs` (detection), `time.rs`,
//! `read.rs` (gzip, chunking, threads), `aggregate.rs` (the counters), `facts.rs` (peaks,
//! storms, series), `s3.rs`, `merge.rs` (peaks onto the chain's layers).

mod aggregate;
mod aws;
mod cloudflare;
mod facts;
mod format;
mod merge;
mod nginx;
mod read;
mod record;
pub mod s3;
mod time;

pub use format::LogKind;
pub use merge::{merge_logs, LogMerge, LOGGED_LAYER_ID};
pub use nginx::NginxFormat;
pub use read::{Opener, ReadOptions, Source};
pub use time::{iso8601 as parse_iso8601, rfc3339};

use crate::model::LogFacts;
use crate::providers::aws::AwsError;
use std::io::Read;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum LogError {
    /// Nothing in it parses as a log: exit 2, since nothing could be audited from it.
    #[error("{name}: not an access log: {why}")]
    NotALog { name: String, why: String },
    #[error("{name}: cannot read: {message}")]
    Unreadable { name: String, message: String },
    #[error("{0}")]
    Format(String),
    /// An S3 read failed: what was read of other sources is kept, this one is a gap.
    #[error("{name}: {err}")]
    Aws { name: String, err: AwsError },
}

impl LogError {
    pub fn io(name: &str, e: std::io::Error) -> LogError {
        LogError::Unreadable {
            name: name.to_string(),
            message: e.to_string(),
        }
    }
}

/// A file on disk (read on the thread that parses it).
pub fn file_source(path: &str) -> Source {
    let name = path.to_string();
    Source {
        name: name.clone(),
        open: Box::new(move || {
            let f = std::fs::File::open(&name).map_err(|e| LogError::io(&name, e))?;
            if f.metadata().is_ok_and(|m| m.is_dir()) {
                return Err(LogError::Unreadable {
                    name,
                    message: "is a directory".into(),
                });
            }
            Ok(Box::new(f) as Box<dyn Read + Send>)
        }),
    }
}

/// Standard input (`-`).
pub fn stdin_source() -> Source {
    Source {
        name: "-".into(),
        open: Box::new(|| Ok(Box::new(std::io::stdin()) as Box<dyn Read + Send>)),
    }
}

/// What [`read_logs`] read, and the sources an AWS read failed for.
pub struct LogsRead {
    pub facts: LogFacts,
    pub failed: Vec<(String, AwsError)>,
}

/// Reads every source and computes the facts. The caller adds the chain (`merge_logs`).
pub fn read_logs(sources: Vec<Source>, opts: &ReadOptions) -> Result<LogsRead, LogError> {
    let several = sources.len() > 1;
    let read = read::read_all(sources, opts)?;
    let failed = read.failed;
    let caps = read.caps;
    let others = read.agg.by_path.contains_key(aggregate::OTHER_GROUP)
        || read.agg.by_upstream.contains_key(aggregate::OTHER_GROUP);
    let mut facts = facts::finish(read.agg, read.reconnects, caps);
    let format_at = read
        .sources
        .iter()
        .find_map(|s| s.log_format_origin.clone());
    facts.impossible = facts::impossible(caps, read.nginx_used, format_at.as_deref());
    facts.sources = read.sources;
    facts.malformed_samples = read.malformed_samples;
    if facts.live_connections.is_some() {
        facts.notes.push(
            "live connections are a lower bound near the end of the log: a WebSocket's line is written when it closes, so those still open have none yet".into(),
        );
    }
    if several {
        facts.notes.push(
            "reconnects are linked within each source, not across sources (a client whose connections are logged by two nodes is counted by each)".into(),
        );
    }
    if others {
        facts.notes.push(format!(
            "more than {} distinct paths or backends: the rest are counted as {}",
            aggregate::MAX_GROUPS,
            aggregate::OTHER_GROUP
        ));
    }
    Ok(LogsRead { facts, failed })
}
