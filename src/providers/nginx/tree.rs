//! The parsed configuration: every file nginx would read, each parsed once (as crossplane
//! does), with `include` directives pointing at the files they pull in.
//!
//! Nodes live in one arena per file and the children of a block are contiguous, so a 50k-server
//! tree costs a few machine words per directive instead of a heap object per token.

use super::error::NginxError;
use super::lexer::{Kind, LexError, Lexer, Token};
use super::source::{has_magic, Source};
use std::collections::HashMap;
use std::sync::{mpsc, Mutex};

/// A contiguous range in one of a file's arenas.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Span32 {
    pub start: u32,
    pub len: u32,
}

impl Span32 {
    fn range(self) -> std::ops::Range<usize> {
        self.start as usize..(self.start + self.len) as usize
    }
}

/// A token's text: a range of the file's source, or of its `extra` buffer (bit 31 of `len`).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Sym {
    off: u32,
    len: u32,
}

const EXTRA: u32 = 1 << 31;

#[derive(Clone, Debug)]
pub(crate) struct Node {
    name: Sym,
    args: Span32,
    line: u32,
    col: u32,
    block: Option<Span32>,
    includes: Span32,
    is_include: bool,
}

/// One configuration file as read.
#[derive(Debug)]
pub struct ConfFile {
    /// The name as nginx (and crossplane) would print it: the include pattern joined to the
    /// main file's directory, or the name in the dump.
    pub path: String,
    text: String,
    extra: String,
    syms: Vec<Sym>,
    nodes: Vec<Node>,
    incl: Vec<u32>,
    root: Span32,
}

impl ConfFile {
    fn sym(&self, s: Sym) -> &str {
        if s.len & EXTRA != 0 {
            let l = (s.len & !EXTRA) as usize;
            &self.extra[s.off as usize..s.off as usize + l]
        } else {
            &self.text[s.off as usize..(s.off + s.len) as usize]
        }
    }
}

/// Every file of one configuration; `files[0]` is the main file.
#[derive(Debug)]
pub struct Config {
    pub files: Vec<ConfFile>,
}

/// One directive, seen through its file.
#[derive(Clone, Copy)]
pub struct Dir<'a> {
    file: &'a ConfFile,
    fidx: u32,
    node: &'a Node,
}

impl std::fmt::Debug for Dir<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}:{} {} {:?}",
            self.file.path,
            self.line(),
            self.name(),
            self.args().collect::<Vec<_>>()
        )
    }
}

impl<'a> Dir<'a> {
    pub fn name(&self) -> &'a str {
        self.file.sym(self.node.name)
    }
    pub fn args(&self) -> impl ExactSizeIterator<Item = &'a str> + 'a {
        let f = self.file;
        f.syms[self.node.args.range()]
            .iter()
            .map(move |s| f.sym(*s))
    }
    pub fn arg(&self, i: usize) -> Option<&'a str> {
        if i < self.node.args.len as usize {
            Some(
                self.file
                    .sym(self.file.syms[self.node.args.start as usize + i]),
            )
        } else {
            None
        }
    }
    pub fn nargs(&self) -> usize {
        self.node.args.len as usize
    }
    pub fn line(&self) -> u32 {
        self.node.line
    }
    pub fn col(&self) -> u32 {
        self.node.col
    }
    pub fn file(&self) -> &'a str {
        &self.file.path
    }
    pub fn file_index(&self) -> u32 {
        self.fidx
    }
    pub fn is_block(&self) -> bool {
        self.node.block.is_some()
    }
    /// The directives of this block, as written (includes not expanded).
    pub fn children(&self) -> Block<'a> {
        Block {
            file: self.file,
            fidx: self.fidx,
            span: self.node.block.unwrap_or_default(),
            pos: 0,
        }
    }
    /// For `include`: indices of the files it pulls in, in nginx's (sorted) order.
    pub fn includes(&self) -> Option<&'a [u32]> {
        self.node
            .is_include
            .then(|| &self.file.incl[self.node.includes.range()])
    }
}

/// The directives of one block, in order.
#[derive(Clone)]
pub struct Block<'a> {
    file: &'a ConfFile,
    fidx: u32,
    span: Span32,
    pos: u32,
}

impl<'a> Iterator for Block<'a> {
    type Item = Dir<'a>;
    fn next(&mut self) -> Option<Dir<'a>> {
        if self.pos >= self.span.len {
            return None;
        }
        let node = &self.file.nodes[(self.span.start + self.pos) as usize];
        self.pos += 1;
        Some(Dir {
            file: self.file,
            fidx: self.fidx,
            node,
        })
    }
}

impl Config {
    /// The main file's top-level directives.
    pub fn root(&self) -> Block<'_> {
        self.file_block(0)
    }

    pub fn file_block(&self, fidx: u32) -> Block<'_> {
        let file = &self.files[fidx as usize];
        Block {
            file,
            fidx,
            span: file.root,
            pos: 0,
        }
    }

    /// The directives nginx sees in a block: `include` replaced by the included files'
    /// top-level directives, recursively (cycles are rejected when reading).
    pub fn expand<'a>(&'a self, block: Block<'a>, out: &mut Vec<Dir<'a>>) {
        for d in block {
            match d.includes() {
                Some(files) => {
                    for f in files {
                        self.expand(self.file_block(*f), out);
                    }
                }
                None => out.push(d),
            }
        }
    }

    pub fn expanded<'a>(&'a self, block: Block<'a>) -> Vec<Dir<'a>> {
        let mut v = Vec::new();
        self.expand(block, &mut v);
        v
    }

    /// Reads `main` and everything it includes, parsing files on the machine's cores.
    pub fn read(source: &dyn Source, main: &str) -> Result<Config, NginxError> {
        Self::read_on(source, main, crate::par::threads())
    }

    /// Like [`read`](Self::read) on `threads` parser threads (at least one): benchmarks
    /// compare one thread against the default.
    pub fn read_on(source: &dyn Source, main: &str, threads: usize) -> Result<Config, NginxError> {
        let text = source.read(main).map_err(|reason| NginxError::Unreadable {
            path: main.to_string(),
            reason,
        })?;
        Reader::new(source, main).run(text, threads.max(1))
    }

    /// Parses one text with no includes followed (tests, fuzzing).
    pub fn parse_str(name: &str, text: &str) -> Result<Config, NginxError> {
        let parsed = parse_file(name, text.to_string(), false)?;
        Ok(Config {
            files: vec![parsed.file],
        })
    }
}

/// Where one `include` sits, for errors about it.
#[derive(Clone)]
struct At {
    file: u32,
    line: u32,
    col: u32,
}

/// An `include` met while parsing a file; resolved by the coordinator in file order.
struct IncludeReq {
    arg: String,
    line: u32,
    col: u32,
}

struct Parsed {
    file: ConfFile,
    includes: Vec<IncludeReq>,
}

/// One file to parse: its index, name, text when already read, and the include that found it.
struct Job {
    idx: u32,
    path: String,
    text: Option<String>,
    at: Option<(String, u32, u32)>,
}

const MAX_DEPTH: u32 = 256;

/// Parses one file on its own: files are independent until their includes are resolved, so
/// several are parsed at once while the coordinator assigns indices in crossplane's order.
fn parse_file(path: &str, text: String, follow: bool) -> Result<Parsed, NginxError> {
    if text.len() >= EXTRA as usize {
        return Err(NginxError::Unreadable {
            path: path.to_string(),
            reason: "file larger than 2 GiB".into(),
        });
    }
    let mut file = empty_file(path);
    // Typical configurations hold about one argument per 8 bytes and one directive per 40:
    // reserving up front avoids regrowing (and re-faulting) the arenas.
    file.syms.reserve(text.len() / 8);
    file.nodes.reserve(text.len() / 40);
    let mut p = FileParser {
        follow,
        scratch: Vec::new(),
        includes: Vec::new(),
    };
    let mut lx = Lexer::new(&text);
    let root = p
        .block(&mut file, &text, &mut lx, 0, None)
        .map_err(|e| e.into_error(path))?;
    file.root = root;
    file.text = text;
    Ok(Parsed {
        file,
        includes: p.includes,
    })
}

struct FileParser {
    follow: bool,
    /// Children are collected here and moved to the arena when their block closes, so they
    /// end up contiguous without a vector per block.
    scratch: Vec<Node>,
    includes: Vec<IncludeReq>,
}

impl FileParser {
    /// Parses directives until the closing brace (`open` is where its block started) or EOF.
    fn block(
        &mut self,
        file: &mut ConfFile,
        text: &str,
        lx: &mut Lexer,
        depth: u32,
        open: Option<(u32, u32)>,
    ) -> Result<Span32, ReadErr> {
        let mark = self.scratch.len();
        loop {
            let Some(t) = lx.next_token()? else {
                if open.is_some() {
                    return Err(ReadErr::at_eof(
                        text,
                        "unexpected end of file, expecting \"}\"",
                    ));
                }
                break;
            };
            match t.kind {
                Kind::Close => {
                    if open.is_some() {
                        break;
                    }
                    return Err(ReadErr::syn(&t, "unexpected \"}\""));
                }
                Kind::Semi => return Err(ReadErr::syn(&t, "unexpected \";\"")),
                Kind::Open => return Err(ReadErr::syn(&t, "unexpected \"{\"")),
                Kind::Word | Kind::Quoted => {}
            }
            let name = push_sym(file, text, &t);
            let args_start = file.syms.len() as u32;
            let terminator = loop {
                let Some(a) = lx.next_token()? else {
                    return Err(ReadErr::at_eof(
                        text,
                        "unexpected end of file, expecting \";\" or \"}\"",
                    ));
                };
                match a.kind {
                    Kind::Word | Kind::Quoted => {
                        let s = push_sym(file, text, &a);
                        file.syms.push(s);
                    }
                    Kind::Close => return Err(ReadErr::syn(&a, "unexpected \"}\"")),
                    _ => break a,
                }
            };
            let mut args = Span32 {
                start: args_start,
                len: file.syms.len() as u32 - args_start,
            };
            let dname = sym_text(file, text, name);
            let is_include = dname == "include";
            if dname == "if" {
                args = strip_if_parens(file, text, args);
            }
            let mut node = Node {
                name,
                args,
                line: t.line,
                col: t.col,
                block: None,
                includes: Span32::default(),
                is_include: false,
            };
            if is_include && self.follow {
                if args.len != 1 {
                    return Err(ReadErr::Syntax {
                        line: t.line,
                        col: t.col,
                        message: "invalid number of arguments in \"include\" directive".into(),
                    });
                }
                let arg = sym_text(file, text, file.syms[args.start as usize]).to_string();
                node.is_include = true;
                // Until resolved, `includes.start` is the index of the request.
                node.includes = Span32 {
                    start: self.includes.len() as u32,
                    len: 0,
                };
                self.includes.push(IncludeReq {
                    arg,
                    line: t.line,
                    col: t.col,
                });
            }
            if terminator.kind == Kind::Open {
                if depth >= MAX_DEPTH {
                    return Err(ReadErr::syn(&terminator, "blocks nested too deeply"));
                }
                let inner = self.block(
                    file,
                    text,
                    lx,
                    depth + 1,
                    Some((terminator.line, terminator.col)),
                )?;
                node.block = Some(inner);
            }
            self.scratch.push(node);
        }
        let start = file.nodes.len() as u32;
        let len = (self.scratch.len() - mark) as u32;
        file.nodes.extend(self.scratch.drain(mark..));
        Ok(Span32 { start, len })
    }
}

struct Reader<'s> {
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
    fn new(source: &'s dyn Source, main: &str) -> Self {
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

    fn run(mut self, main_text: String, workers: usize) -> Result<Config, NginxError> {
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

fn empty_file(path: &str) -> ConfFile {
    ConfFile {
        path: path.to_string(),
        text: String::new(),
        extra: String::new(),
        syms: Vec::new(),
        nodes: Vec::new(),
        incl: Vec::new(),
        root: Span32::default(),
    }
}

fn push_sym(file: &mut ConfFile, _text: &str, t: &Token) -> Sym {
    match &t.owned {
        Some(o) => {
            let off = file.extra.len() as u32;
            file.extra.push_str(o);
            Sym {
                off,
                len: o.len() as u32 | EXTRA,
            }
        }
        None => Sym {
            off: t.start as u32,
            len: (t.end - t.start) as u32,
        },
    }
}

/// crossplane's `_prepare_if_args`: `if ($a = b)` → args `$a`, `=`, `b`.
fn strip_if_parens(file: &mut ConfFile, text: &str, args: Span32) -> Span32 {
    if args.len == 0 {
        return args;
    }
    let first = args.start as usize;
    let last = first + args.len as usize - 1;
    let a0 = sym_text(file, text, file.syms[first]).to_string();
    let an = sym_text(file, text, file.syms[last]).to_string();
    if !(a0.starts_with('(') && an.ends_with(')')) {
        return args;
    }
    // Trim in place: both ends are sub-ranges of the same text.
    let trim_front = |s: Sym, t: &str| {
        let rest = &t[1..];
        let lead = t.len() - 1 - rest.trim_start_matches(super::lexer::is_space_char).len();
        Sym {
            off: s.off + 1 + lead as u32,
            len: s.len - 1 - lead as u32,
        }
    };
    let trim_back = |s: Sym, t: &str| {
        let rest = &t[..t.len() - 1];
        let trail = t.len() - 1 - rest.trim_end_matches(super::lexer::is_space_char).len();
        Sym {
            off: s.off,
            len: s.len - 1 - trail as u32,
        }
    };
    let s0 = trim_front(file.syms[first], &a0);
    file.syms[first] = s0;
    let an_now = sym_text(file, text, file.syms[last]).to_string();
    file.syms[last] = trim_back(file.syms[last], &an_now);
    let empty = |f: &ConfFile, i: usize| (f.syms[i].len & !EXTRA) == 0;
    let mut start = args.start;
    let mut len = args.len;
    if empty(file, first) {
        start += 1;
        len -= 1;
    }
    if len > 0 && empty(file, last) {
        len -= 1;
    }
    Span32 { start, len }
}

fn sym_text<'a>(file: &'a ConfFile, text: &'a str, s: Sym) -> &'a str {
    if s.len & EXTRA != 0 {
        let l = (s.len & !EXTRA) as usize;
        &file.extra[s.off as usize..s.off as usize + l]
    } else {
        &text[s.off as usize..(s.off + s.len) as usize]
    }
}

/// A read error before the file name is known.
pub(crate) enum ReadErr {
    Syntax {
        line: u32,
        col: u32,
        message: String,
    },
    Done(NginxError),
}

impl From<LexError> for ReadErr {
    fn from(e: LexError) -> Self {
        ReadErr::Syntax {
            line: e.line,
            col: e.col,
            message: e.message,
        }
    }
}

impl From<NginxError> for ReadErr {
    fn from(e: NginxError) -> Self {
        ReadErr::Done(e)
    }
}

impl ReadErr {
    fn syn(t: &Token, message: &str) -> Self {
        ReadErr::Syntax {
            line: t.line,
            col: t.col,
            message: message.into(),
        }
    }

    fn at_eof(text: &str, message: &str) -> Self {
        let line = 1 + text.bytes().filter(|b| *b == b'\n').count() as u32;
        let col = 1 + text.rsplit('\n').next().map_or(0, str::len) as u32;
        ReadErr::Syntax {
            line,
            col,
            message: message.into(),
        }
    }

    fn into_error(self, file: &str) -> NginxError {
        match self {
            ReadErr::Syntax { line, col, message } => NginxError::Syntax {
                file: file.to_string(),
                line,
                col,
                message,
            },
            ReadErr::Done(e) => e,
        }
    }
}
