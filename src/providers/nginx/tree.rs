//! The parsed configuration: every file nginx would read, each parsed once (as crossplane
//! does), with `include` directives pointing at the files they pull in.
//!
//! Nodes live in one arena per file and the children of a block are contiguous, so a 50k-server
//! tree costs a few machine words per directive instead of a heap object per token. The arena
//! is filled by `parser.rs` (one file) and `includes.rs` (the files it pulls in).

use super::error::NginxError;
use super::includes::Reader;
use super::parser::parse_file;
use super::source::Source;

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
    pub(super) off: u32,
    pub(super) len: u32,
}

pub(super) const EXTRA: u32 = 1 << 31;

#[derive(Clone, Debug)]
pub(crate) struct Node {
    pub(super) name: Sym,
    pub(super) args: Span32,
    pub(super) line: u32,
    pub(super) col: u32,
    pub(super) block: Option<Span32>,
    pub(super) includes: Span32,
    pub(super) is_include: bool,
}

/// One configuration file as read.
#[derive(Debug)]
pub struct ConfFile {
    /// The name as nginx (and crossplane) would print it: the include pattern joined to the
    /// main file's directory, or the name in the dump.
    pub path: String,
    pub(super) text: String,
    pub(super) extra: String,
    pub(super) syms: Vec<Sym>,
    pub(super) nodes: Vec<Node>,
    pub(super) incl: Vec<u32>,
    pub(super) root: Span32,
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
        Self::read_on(source, main, crate::parallel::threads())
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
