//! One file's text into its arena: directives, their arguments and blocks, `if (…)`
//! parentheses stripped as crossplane does, and the `include`s met, which `includes.rs`
//! resolves. Files are parsed independently of each other so several can be parsed at once.

use super::error::NginxError;
use super::lexer::{Kind, LexError, Lexer, Token};
use super::tree::{ConfFile, Node, Span32, Sym, EXTRA};

/// An `include` met while parsing a file; resolved by the coordinator in file order.
pub(super) struct IncludeReq {
    pub(super) arg: String,
    pub(super) line: u32,
    pub(super) col: u32,
}

pub(super) struct Parsed {
    pub(super) file: ConfFile,
    pub(super) includes: Vec<IncludeReq>,
}

const MAX_DEPTH: u32 = 256;

/// Parses one file on its own: files are independent until their includes are resolved, so
/// several are parsed at once while the coordinator assigns indices in crossplane's order.
pub(super) fn parse_file(path: &str, text: String, follow: bool) -> Result<Parsed, NginxError> {
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
