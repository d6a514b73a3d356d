//! Reading sources in one pass: gzip told from its magic bytes, the format detected from the
//! first lines, then lines parsed into the counters. One large source is cut into 1 MiB
//! chunks at line ends that parser threads take in turn while this thread reads (and inflates)
//! the next; several sources are read side by side, one per thread. Either way what is held is
//! a few chunks and the counters, whatever the size of the input.

use super::aggregate::{hash_str, Agg, Reconnects, MALFORMED_SAMPLES};
use super::format::{detect, LogKind, Parser, SAMPLE_LINES};
use super::nginx::NginxFormat;
use super::record::Caps;
use super::LogError;
use crate::model::LogSource;
use flate2::read::MultiGzDecoder;
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};
use std::sync::{mpsc, Arc, Mutex};

const CHUNK: usize = 1 << 20;

/// Opens a source's bytes (a file, standard input, an S3 object). Called on the thread that
/// reads it.
pub type Opener = Box<dyn FnOnce() -> Result<Box<dyn Read + Send>, LogError> + Send>;

pub struct Source {
    /// A path, `-`, or `s3://bucket/key`.
    pub name: String,
    pub open: Opener,
}

#[derive(Clone)]
pub struct ReadOptions {
    pub forced: Option<LogKind>,
    /// The nginx `log_format` lines are parsed with (from the configuration, else combined).
    pub nginx: Arc<NginxFormat>,
    /// Where that format was read (`nginx.conf:12`), for the report.
    pub nginx_origin: Option<String>,
    pub threads: usize,
}

/// What reading all sources gave: the merged counters, in-order reconnects, and per source
/// what was read.
pub struct ReadOutcome {
    pub agg: Agg,
    pub reconnects: Reconnects,
    pub sources: Vec<LogSource>,
    pub malformed_samples: Vec<String>,
    pub caps: Caps,
    pub nginx_used: bool,
    /// Sources an AWS read failed for: gaps, the rest is still read.
    pub failed: Vec<(String, crate::providers::aws::AwsError)>,
}

struct SourceDone {
    agg: Agg,
    reconnects: Reconnects,
    source: LogSource,
    samples: Vec<String>,
    caps: Caps,
}

/// Reads every source; the first one that is not a log (or cannot be opened) is the error.
pub fn read_all(sources: Vec<Source>, opts: &ReadOptions) -> Result<ReadOutcome, LogError> {
    let n = sources.len();
    let results: Vec<Result<SourceDone, LogError>> = if n == 1 {
        let s = sources.into_iter().next().expect("one");
        vec![read_one(s, opts, opts.threads.max(1))]
    } else {
        // Several sources: one per thread, each parsed on the thread that reads it.
        let queue = Mutex::new(sources.into_iter().enumerate().collect::<Vec<_>>());
        let threads = opts.threads.clamp(1, n);
        let mut out: Vec<(usize, Result<SourceDone, LogError>)> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..threads)
                .map(|_| {
                    s.spawn(|| {
                        let mut done = Vec::new();
                        loop {
                            let next = queue.lock().expect("queue").pop();
                            let Some((i, src)) = next else { break };
                            done.push((i, read_one(src, opts, 1)));
                        }
                        done
                    })
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().expect("a log reader thread panicked"))
                .collect()
        });
        out.sort_by_key(|(i, _)| *i);
        out.into_iter().map(|(_, r)| r).collect()
    };
    let mut total = ReadOutcome {
        agg: Agg::default(),
        reconnects: Reconnects::default(),
        sources: Vec::new(),
        malformed_samples: Vec::new(),
        caps: Caps::default(),
        nginx_used: false,
        failed: Vec::new(),
    };
    for r in results {
        let done = match r {
            Ok(done) => done,
            Err(LogError::Aws { name, err }) => {
                total.failed.push((name, err));
                continue;
            }
            Err(e) => return Err(e),
        };
        total.agg.merge(done.agg);
        total.reconnects.merge(done.reconnects);
        total.nginx_used |= done.source.format == "nginx";
        total.caps = super::aggregate::union_caps(total.caps, done.caps);
        total.sources.push(done.source);
        for s in done.samples {
            if total.malformed_samples.len() < MALFORMED_SAMPLES {
                total.malformed_samples.push(s);
            }
        }
    }
    Ok(total)
}

/// Wraps a reader in gzip decoding when its first bytes are gzip's magic.
fn decoded(r: Box<dyn Read + Send>, name: &str) -> Result<Box<dyn BufRead + Send>, LogError> {
    let mut br = BufReader::with_capacity(256 * 1024, r);
    let head = br.fill_buf().map_err(|e| LogError::io(name, e))?;
    if head.starts_with(&[0x1f, 0x8b]) {
        Ok(Box::new(BufReader::with_capacity(
            256 * 1024,
            MultiGzDecoder::new(br),
        )))
    } else {
        Ok(Box::new(br))
    }
}

/// The next chunk: whole lines, about [`CHUNK`] bytes (longer when one line is).
fn next_chunk(r: &mut dyn BufRead, name: &str) -> Result<Option<Vec<u8>>, LogError> {
    let mut buf = Vec::with_capacity(CHUNK + 4096);
    let mut eof = false;
    while buf.len() < CHUNK {
        let avail = r.fill_buf().map_err(|e| LogError::io(name, e))?;
        if avail.is_empty() {
            eof = true;
            break;
        }
        let n = avail.len().min(CHUNK - buf.len());
        buf.extend_from_slice(&avail[..n]);
        r.consume(n);
    }
    if !eof {
        // Complete the last line.
        let mut rest = Vec::new();
        r.read_until(b'\n', &mut rest)
            .map_err(|e| LogError::io(name, e))?;
        buf.extend_from_slice(&rest);
    }
    if buf.is_empty() {
        return Ok(None);
    }
    Ok(Some(buf))
}

/// A chunk's lines parsed into `agg`; the established WebSockets' (client, start, end) for the
/// in-order reconnect pass; malformed lines by their number within the chunk.
struct ChunkOut {
    lines: u64,
    websockets: Vec<(u64, f64, f64)>,
    samples: Vec<(u64, String)>,
}

fn parse_chunk(chunk: &[u8], parser: &Parser, agg: &mut Agg) -> ChunkOut {
    let mut out = ChunkOut {
        lines: 0,
        websockets: Vec::new(),
        samples: Vec::new(),
    };
    let mut start = 0;
    let mut line_no = 0u64;
    let mut push_line = |raw: &[u8], out: &mut ChunkOut, agg: &mut Agg| {
        line_no += 1;
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        if raw.is_empty() {
            return;
        }
        agg.lines += 1;
        let text: Cow<'_, str> = match std::str::from_utf8(raw) {
            Ok(s) => Cow::Borrowed(s),
            Err(_) => String::from_utf8_lossy(raw),
        };
        match parser.parse(&text) {
            Ok(Some(r)) => {
                agg.add(&r);
                if r.is_websocket() && !r.client.is_empty() {
                    if let Some(end) = r.end {
                        out.websockets.push((
                            hash_str(&r.client),
                            end - r.lifetime.unwrap_or(0.0),
                            end,
                        ));
                    }
                }
            }
            Ok(None) => agg.lines -= 1,
            Err(why) => {
                agg.malformed += 1;
                if out.samples.len() < MALFORMED_SAMPLES {
                    out.samples.push((line_no, why));
                }
            }
        }
    };
    for nl in memchr::memchr_iter(b'\n', chunk) {
        push_line(&chunk[start..nl], &mut out, agg);
        start = nl + 1;
    }
    if start < chunk.len() {
        push_line(&chunk[start..], &mut out, agg);
    }
    out.lines = line_no;
    out
}

fn read_one(src: Source, opts: &ReadOptions, workers: usize) -> Result<SourceDone, LogError> {
    let name = src.name.clone();
    let raw = (src.open)()?;
    let mut reader = decoded(raw, &name)?;
    let Some(first) = next_chunk(&mut *reader, &name)? else {
        return Err(LogError::NotALog {
            name,
            why: "it is empty".into(),
        });
    };
    if first.iter().take(8192).any(|b| *b == 0) {
        return Err(LogError::NotALog {
            name,
            why: "it holds binary data (NUL bytes), not text lines".into(),
        });
    }
    let sample: Vec<String> = first
        .split(|b| *b == b'\n')
        .take(SAMPLE_LINES)
        .map(|l| String::from_utf8_lossy(l.strip_suffix(b"\r").unwrap_or(l)).into_owned())
        .collect();
    let sample_refs: Vec<&str> = sample.iter().map(String::as_str).collect();
    let parser =
        detect(&sample_refs, opts.forced, &opts.nginx).map_err(|why| LogError::NotALog {
            name: name.clone(),
            why,
        })?;

    let mut agg = Agg::default();
    let mut reconnects = Reconnects::default();
    let mut samples: Vec<String> = Vec::new();
    let mut line_base = 0u64;
    let mut take = |out: ChunkOut, reconnects: &mut Reconnects, samples: &mut Vec<String>| {
        for (client, start, end) in out.websockets {
            reconnects.add(client, start, end);
        }
        for (n, why) in out.samples {
            if samples.len() < MALFORMED_SAMPLES {
                samples.push(format!("{name}:{}: {why}", line_base + n));
            }
        }
        line_base += out.lines;
    };

    if workers <= 1 {
        let mut chunk = Some(first);
        while let Some(c) = chunk {
            let out = parse_chunk(&c, &parser, &mut agg);
            take(out, &mut reconnects, &mut samples);
            chunk = next_chunk(&mut *reader, &name)?;
        }
    } else {
        let (to_workers, from_reader) = mpsc::sync_channel::<(usize, Vec<u8>)>(workers * 2);
        let from_reader = Mutex::new(from_reader);
        let (to_main, results) = mpsc::channel::<(usize, ChunkOut)>();
        let parser = &parser;
        let read_result = std::thread::scope(|s| {
            let handles: Vec<_> = (0..workers)
                .map(|_| {
                    let to_main = to_main.clone();
                    let from_reader = &from_reader;
                    s.spawn(move || {
                        let mut agg = Agg::default();
                        loop {
                            let next = from_reader.lock().expect("chunk queue").recv();
                            let Ok((i, chunk)) = next else { break };
                            let out = parse_chunk(&chunk, parser, &mut agg);
                            if to_main.send((i, out)).is_err() {
                                break;
                            }
                        }
                        agg
                    })
                })
                .collect();
            drop(to_main);
            let mut pending: BTreeMap<usize, ChunkOut> = BTreeMap::new();
            let mut next_in_order = 0usize;
            let mut drain = |pending: &mut BTreeMap<usize, ChunkOut>,
                             reconnects: &mut Reconnects,
                             samples: &mut Vec<String>| {
                for (i, out) in results.try_iter() {
                    pending.insert(i, out);
                }
                while let Some(out) = pending.remove(&next_in_order) {
                    take(out, reconnects, samples);
                    next_in_order += 1;
                }
            };
            let mut sent = 0usize;
            let mut chunk = Some(first);
            let mut failure = None;
            while let Some(c) = chunk {
                if to_workers.send((sent, c)).is_err() {
                    break;
                }
                sent += 1;
                drain(&mut pending, &mut reconnects, &mut samples);
                match next_chunk(&mut *reader, &name) {
                    Ok(c) => chunk = c,
                    Err(e) => {
                        failure = Some(e);
                        break;
                    }
                }
            }
            drop(to_workers);
            for h in handles {
                agg.merge(h.join().expect("a log parser thread panicked"));
            }
            drain(&mut pending, &mut reconnects, &mut samples);
            debug_assert_eq!(next_in_order, sent);
            match failure {
                Some(e) => Err(e),
                None => Ok(()),
            }
        });
        read_result?;
    }
    let caps = parser.caps();
    let (log_format, log_format_origin) = match &parser {
        Parser::Nginx(f) => (Some(f.text.clone()), opts.nginx_origin.clone()),
        _ => (None, None),
    };
    Ok(SourceDone {
        source: LogSource {
            name,
            format: parser.kind().as_str().to_string(),
            log_format,
            log_format_origin,
            lines: agg.lines,
            malformed: agg.malformed,
        },
        agg,
        reconnects,
        samples,
        caps,
    })
}
