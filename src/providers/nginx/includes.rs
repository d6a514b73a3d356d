//! Reading a configuration with everything it includes: relative patterns joined to the main
//! file's directory, globs listed once, files parsed on worker threads as they are found but
//! numbered in the order nginx (and crossplane) first includes them, and an include cycle
//! rejected with the cycle named.

use super::error::NginxError;
use super::parser::{parse_file, IncludeReq, Parsed};
use super::source::{has_magic, Source};
use super::tree::{ConfFile, Config, Span32};
use std::collections::HashMap;
use std::sync::{mpsc, Mutex};

/// Where one `include` sits, for errors about it.
#[derive(Clone)]
struct At {
    file: u32,
    line: u32,
    col: u32,
}

/// One file to parse: its index, name, text when already read, and the include that found it.
struct Job {
    idx: u32,
    path: String,
    text: Option<String>,
    at: Option<(String, u32, u32)>,
}

pub(super) struct Reader<'s> {
    source: &'s dyn Source,
    config_dir: String,
    index: HashMap<String, u32>,
    paths: Vec<String>,
    files: Vec<Option<ConfFile>>,
    /// (from file, to file, where) for cycle detection.
    edges: Vec<(u32, u32, At)>,
    /// The same `include snippets/*.conf` appears in thousands of servers: list it once.
    globs: HashMap<String, Vec<String>>,
}

impl<'s> Reader<'s> {
    pub(super) fn new(source: &'s dyn Source, main: &str) -> Self {
        let config_dir = match main.rfind('/') {
            Some(0) => "/".to_string(),
            Some(i) => main[..i].to_string(),
            None => String::new(),
        };
        let mut index = HashMap::new();
        index.insert(main.to_string(), 0);
        Reader {
            source,
            config_dir,
            index,
            paths: vec![main.to_string()],
            files: vec![None],
            edges: Vec::new(),
            globs: HashMap::new(),
        }
    }

    pub(super) fn run(mut self, main_text: String, workers: usize) -> Result<Config, NginxError> {
        let source = self.source;
        let (job_tx, job_rx) = mpsc::channel::<Job>();
        let job_rx = Mutex::new(job_rx);
        let (res_tx, res_rx) = mpsc::channel::<(u32, Result<Parsed, NginxError>)>();
        let outcome = std::thread::scope(|s| {
            for _ in 0..workers {
                let rx = &job_rx;
                let tx = res_tx.clone();
                s.spawn(move || worker(source, rx, tx));
            }
            drop(res_tx);
            let main = self.paths[0].clone();
            let _ = job_tx.send(Job {
                idx: 0,
                path: main,
                text: Some(main_text),
                at: None,
            });
            let mut early: HashMap<u32, Result<Parsed, NginxError>> = HashMap::new();
            let mut next = 0u32;
            let result = loop {
                if next as usize == self.paths.len() {
                    break Ok(());
                }
                let r = match early.remove(&next) {
                    Some(r) => r,
                    None => match res_rx.recv() {
                        Ok((i, r)) if i == next => r,
                        Ok((i, r)) => {
                            early.insert(i, r);
                            continue;
                        }
                        Err(_) => {
                            break Err(NginxError::Unreadable {
                                path: self.paths[next as usize].clone(),
                                reason: "the reader stopped unexpectedly".into(),
                            })
                        }
                    },
                };
                let parsed = match r {
                    Ok(p) => p,
                    Err(e) => break Err(e),
                };
                let mut file = parsed.file;
                match self.resolve(&mut file, next, &parsed.includes, &job_tx) {
                    Ok(spans) => {
                        for n in file.nodes.iter_mut().filter(|n| n.is_include) {
                            n.includes = spans[n.includes.start as usize];
                        }
                    }
                    Err(e) => break Err(e),
                }
                self.files[next as usize] = Some(file);
                next += 1;
            };
            // Closing the job queue lets the workers finish.
            drop(job_tx);
            result
        });
        outcome?;
        self.check_cycles()?;
        Ok(Config {
            files: self.files.into_iter().flatten().collect(),
        })
    }

    /// Resolves a file's includes in order, registering (and queueing) files not seen yet.
    fn resolve(
        &mut self,
        file: &mut ConfFile,
        fidx: u32,
        reqs: &[IncludeReq],
        jobs: &mpsc::Sender<Job>,
    ) -> Result<Vec<Span32>, NginxError> {
        let mut spans = Vec::with_capacity(reqs.len());
        for req in reqs {
            let arg = &req.arg;
            let pattern = if arg.starts_with('/') || self.config_dir.is_empty() {
                arg.clone()
            } else if self.config_dir.ends_with('/') {
                format!("{}{arg}", self.config_dir)
            } else {
                format!("{}/{arg}", self.config_dir)
            };
            let mut found: Vec<(String, Option<String>)> = Vec::new();
            if has_magic(&pattern) {
                let source = self.source;
                let list = self
                    .globs
                    .entry(pattern.clone())
                    .or_insert_with(|| source.glob(&pattern));
                for p in list.iter() {
                    found.push((p.clone(), None));
                }
            } else if self.index.contains_key(&pattern) {
                found.push((pattern, None));
            } else {
                match self.source.read(&pattern) {
                    Ok(t) => found.push((pattern, Some(t))),
                    Err(reason) => {
                        return Err(NginxError::Include {
                            file: file.path.clone(),
                            line: req.line,
                            col: req.col,
                            path: pattern,
                            reason,
                        })
                    }
                }
            }
            let start = file.incl.len() as u32;
            for (p, text) in found {
                let idx = match self.index.get(&p) {
                    Some(i) => *i,
                    None => {
                        let i = self.paths.len() as u32;
                        self.index.insert(p.clone(), i);
                        self.paths.push(p.clone());
                        self.files.push(None);
                        let _ = jobs.send(Job {
                            idx: i,
                            path: p,
                            text,
                            at: Some((file.path.clone(), req.line, req.col)),
                        });
                        i
                    }
                };
                self.edges.push((
                    fidx,
                    idx,
                    At {
                        file: fidx,
                        line: req.line,
                        col: req.col,
                    },
                ));
                file.incl.push(idx);
            }
            spans.push(Span32 {
                start,
                len: file.incl.len() as u32 - start,
            });
        }
        Ok(spans)
    }

    /// Depth-first search from the main file; a back edge is a cycle nginx would loop on.
    fn check_cycles(&self) -> Result<(), NginxError> {
        let n = self.paths.len();
        let mut out: Vec<Vec<(u32, &At)>> = vec![Vec::new(); n];
        for (a, b, at) in &self.edges {
            out[*a as usize].push((*b, at));
        }
        // 0 = unvisited, 1 = on the stack, 2 = done.
        let mut state = vec![0u8; n];
        let mut stack: Vec<(u32, usize)> = vec![(0, 0)];
        state[0] = 1;
        while let Some(&mut (node, ref mut next)) = stack.last_mut() {
            if *next < out[node as usize].len() {
                let (to, at) = out[node as usize][*next];
                *next += 1;
                match state[to as usize] {
                    0 => {
                        state[to as usize] = 1;
                        stack.push((to, 0));
                    }
                    1 => {
                        let pos = stack.iter().position(|(f, _)| *f == to).unwrap_or(0);
                        let mut names: Vec<&str> = stack[pos..]
                            .iter()
                            .map(|(f, _)| self.paths[*f as usize].as_str())
                            .collect();
                        names.push(&self.paths[to as usize]);
                        return Err(NginxError::IncludeCycle {
                            file: self.paths[at.file as usize].clone(),
                            line: at.line,
                            col: at.col,
                            cycle: names.join(" -> "),
                        });
                    }
                    _ => {}
                }
            } else {
                state[node as usize] = 2;
                stack.pop();
            }
        }
        Ok(())
    }
}

/// Takes jobs until the queue closes; a panic while parsing becomes an error, so the
/// coordinator never waits for a result that will not come.
fn worker(
    source: &dyn Source,
    jobs: &Mutex<mpsc::Receiver<Job>>,
    results: mpsc::Sender<(u32, Result<Parsed, NginxError>)>,
) {
    loop {
        let job = match jobs.lock() {
            Ok(rx) => rx.recv(),
            Err(_) => return,
        };
        let Ok(job) = job else { return };
        let path = job.path.clone();
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let text = match job.text {
                Some(t) => t,
                None => source.read(&job.path).map_err(|reason| {
                    let (file, line, col) = job.at.clone().unwrap_or_default();
                    NginxError::Include {
                        file,
                        line,
                        col,
                        path: job.path.clone(),
                        reason,
                    }
                })?,
            };
            parse_file(&job.path, text, true)
        }))
        .unwrap_or_else(|_| {
            Err(NginxError::Unreadable {
                path,
                reason: "internal error while parsing".into(),
            })
        });
        if results.send((job.idx, r)).is_err() {
            return;
        }
    }
}
