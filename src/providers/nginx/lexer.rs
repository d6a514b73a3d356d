//! The tokenizer: splits configuration text the way crossplane does (and, for every
//! configuration `nginx -t` accepts, the way nginx does; `docs/nginx-reader.md` lists the corner
//! cases where they differ).
//!
//! Hand-written rather than built on a parser crate because the reader's contract is "the same
//! tokens as crossplane, with spans", and that needs crossplane's exact rules for escapes
//! (`\x` is one unit everywhere), `${var}`, quotes inside words and opaque `*_by_lua_block`
//! bodies. Tokens are byte ranges into the file's text, so a 67 MB tree is not copied token by
//! token.

/// Lua directives whose `{ … }` body is Lua code, kept as one opaque argument.
const LUA_BLOCKS: &[&str] = &[
    "access_by_lua_block",
    "balancer_by_lua_block",
    "body_filter_by_lua_block",
    "content_by_lua_block",
    "header_filter_by_lua_block",
    "init_by_lua_block",
    "init_worker_by_lua_block",
    "log_by_lua_block",
    "rewrite_by_lua_block",
    "set_by_lua_block",
    "ssl_certificate_by_lua_block",
    "ssl_session_fetch_by_lua_block",
    "ssl_session_store_by_lua_block",
];

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Kind {
    Word,
    Quoted,
    Semi,
    Open,
    Close,
}

/// One token: a byte range of the source, or (for a quoted string holding an escaped quote)
/// an owned value.
#[derive(Clone, Debug)]
pub(crate) struct Token {
    pub kind: Kind,
    pub start: usize,
    pub end: usize,
    pub owned: Option<String>,
    pub line: u32,
    pub col: u32,
}

#[derive(Debug)]
pub(crate) struct LexError {
    pub line: u32,
    pub col: u32,
    pub message: String,
}

pub(crate) struct Lexer<'a> {
    s: &'a [u8],
    text: &'a str,
    pos: usize,
    line: u32,
    line_start: usize,
    next_is_directive: bool,
    /// Tokens already cut (a Lua block yields three at once), popped from the end.
    pending: Vec<Token>,
}

/// crossplane splits on Python's `str.isspace()`: ASCII blanks, \x1c-\x1f and Unicode spaces.
pub(crate) fn is_space_char(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

impl<'a> Lexer<'a> {
    pub fn new(text: &'a str) -> Self {
        Lexer {
            s: text.as_bytes(),
            text,
            pos: 0,
            line: 1,
            line_start: 0,
            next_is_directive: true,
            pending: Vec::new(),
        }
    }

    /// Length of the unit at `p`: a backslash and the character after it form one unit.
    fn unit(&self, p: usize) -> usize {
        let b = self.s[p];
        if b == b'\\' && p + 1 < self.s.len() {
            1 + char_len(self.s[p + 1])
        } else {
            char_len(b)
        }
    }

    #[inline]
    fn is_space(&self, p: usize) -> bool {
        let b = self.s[p];
        if b < 0x80 {
            return CLASS[b as usize] == SPACE;
        }
        self.text[p..].chars().next().is_some_and(is_space_char)
    }

    fn bump(&mut self, len: usize) {
        self.pos += len;
        if self.s[self.pos - 1] == b'\n' {
            self.line += 1;
            self.line_start = self.pos;
        }
    }

    fn col(&self) -> u32 {
        (self.pos - self.line_start + 1) as u32
    }

    fn err(&self, line: u32, col: u32, message: impl Into<String>) -> LexError {
        LexError {
            line,
            col,
            message: message.into(),
        }
    }

    fn tok(&self, kind: Kind, start: usize, end: usize, line: u32, col: u32) -> Token {
        Token {
            kind,
            start,
            end,
            owned: None,
            line,
            col,
        }
    }

    pub fn next_token(&mut self) -> Result<Option<Token>, LexError> {
        if let Some(t) = self.pending.pop() {
            return Ok(Some(t));
        }
        // Blanks and comments between tokens.
        loop {
            if self.pos >= self.s.len() {
                return Ok(None);
            }
            if self.is_space(self.pos) {
                let u = self.unit(self.pos);
                self.bump(u);
                continue;
            }
            if self.s[self.pos] == b'#' {
                while self.pos < self.s.len() {
                    let u = self.unit(self.pos);
                    self.bump(u);
                    if self.s[self.pos - 1] == b'\n' {
                        break;
                    }
                }
                continue;
            }
            break;
        }
        let (line, col, start) = (self.line, self.col(), self.pos);
        let c = self.s[start];
        if c == b'"' || c == b'\'' {
            let t = self.quoted(c, line, col)?;
            self.after_argument(&t, true)?;
            return Ok(Some(t));
        }
        if matches!(c, b'{' | b'}' | b';') {
            self.bump(1);
            self.next_is_directive = true;
            let kind = match c {
                b'{' => Kind::Open,
                b'}' => Kind::Close,
                _ => Kind::Semi,
            };
            return Ok(Some(self.tok(kind, start, start + 1, line, col)));
        }
        let mut by_space = false;
        while self.pos < self.s.len() {
            // Fast path: plain ASCII bytes cannot end a word or start an escape.
            while self.pos < self.s.len() && CLASS[self.s[self.pos] as usize] == PLAIN {
                self.pos += 1;
            }
            if self.pos >= self.s.len() {
                break;
            }
            let p = self.pos;
            let u = self.unit(p);
            let b = self.s[p];
            if u == 1 && b == b'{' && self.s[p - 1] == b'$' {
                // `${var}`: the brace belongs to the word up to the closing brace.
                while self.pos < self.s.len() {
                    if self.s[self.pos - 1] == b'}' || self.is_space(self.pos) {
                        break;
                    }
                    let u = self.unit(self.pos);
                    self.bump(u);
                }
                // crossplane appends whatever stopped that loop, even a blank.
                if self.pos < self.s.len() && self.is_space(self.pos) {
                    let u = self.unit(self.pos);
                    self.bump(u);
                }
                continue;
            }
            if self.is_space(p) {
                by_space = true;
                break;
            }
            if u == 1 && matches!(b, b'{' | b'}' | b';') {
                break;
            }
            self.bump(u);
        }
        let t = self.tok(Kind::Word, start, self.pos, line, col);
        if by_space {
            self.after_argument(&t, false)?;
        }
        Ok(Some(t))
    }

    fn quoted(&mut self, q: u8, line: u32, col: u32) -> Result<Token, LexError> {
        self.bump(1);
        let begin = self.pos;
        let mut owned: Option<String> = None;
        loop {
            if self.pos >= self.s.len() {
                return Err(self.err(
                    line,
                    col,
                    format!(
                        "unexpected end of file, expecting {} to close the string",
                        if q == b'"' { "\"" } else { "'" }
                    ),
                ));
            }
            let p = self.pos;
            let u = self.unit(p);
            if u == 1 && self.s[p] == q {
                break;
            }
            if u == 2 && self.s[p] == b'\\' && self.s[p + 1] == q {
                owned
                    .get_or_insert_with(|| self.text[begin..p].to_string())
                    .push(q as char);
            } else if let Some(o) = owned.as_mut() {
                o.push_str(&self.text[p..p + u]);
            }
            self.bump(u);
        }
        let end = self.pos;
        self.bump(1);
        let mut t = self.tok(Kind::Quoted, begin, end, line, col);
        t.owned = owned;
        Ok(t)
    }

    /// After a word or string: a Lua block name in directive position swallows its body.
    fn after_argument(&mut self, t: &Token, _quoted: bool) -> Result<(), LexError> {
        if self.next_is_directive {
            let v = t.owned.as_deref().unwrap_or(&self.text[t.start..t.end]);
            if LUA_BLOCKS.contains(&v) {
                let set = v == "set_by_lua_block";
                self.lua_block(set, t)?;
                self.next_is_directive = true;
                return Ok(());
            }
        }
        self.next_is_directive = false;
        Ok(())
    }

    fn skip_blanks(&mut self) {
        while self.pos < self.s.len() && self.is_space(self.pos) {
            let u = self.unit(self.pos);
            self.bump(u);
        }
    }

    fn lua_block(&mut self, set: bool, directive: &Token) -> Result<(), LexError> {
        let eof = |lx: &Self| {
            lx.err(
                directive.line,
                directive.col,
                "unexpected end of file in Lua block",
            )
        };
        let mut out = Vec::with_capacity(3);
        if set {
            self.skip_blanks();
            let (line, col, start) = (self.line, self.col(), self.pos);
            while self.pos < self.s.len() && !self.is_space(self.pos) {
                let u = self.unit(self.pos);
                self.bump(u);
            }
            if self.pos >= self.s.len() {
                return Err(eof(self));
            }
            out.push(self.tok(Kind::Word, start, self.pos, line, col));
            // crossplane consumes the blank that ended the argument.
            self.bump(self.unit(self.pos));
        }
        self.skip_blanks();
        if self.pos >= self.s.len() {
            return Err(eof(self));
        }
        if self.s[self.pos] != b'{' {
            return Err(self.err(self.line, self.col(), "expected { to start Lua block"));
        }
        let (line, col) = (self.line, self.col());
        self.bump(1);
        let begin = self.pos;
        let mut depth = 1u32;
        loop {
            if self.pos >= self.s.len() {
                return Err(eof(self));
            }
            let p = self.pos;
            let u = self.unit(p);
            let b = self.s[p];
            if u == 1 && b == b'-' && p + 1 < self.s.len() && self.s[p + 1] == b'-' {
                // A Lua comment: braces in it do not count.
                while self.pos < self.s.len() && self.s[self.pos] != b'\n' {
                    let u = self.unit(self.pos);
                    self.bump(u);
                }
                if self.pos >= self.s.len() {
                    return Err(eof(self));
                }
                self.bump(1);
                continue;
            }
            if u == 1 && (b == b'"' || b == b'\'') {
                self.bump(1);
                loop {
                    if self.pos >= self.s.len() {
                        return Err(eof(self));
                    }
                    let u = self.unit(self.pos);
                    if u == 1 && self.s[self.pos] == b {
                        break;
                    }
                    self.bump(u);
                }
                self.bump(1);
                continue;
            }
            if u == 1 && b == b'{' {
                depth += 1;
            } else if u == 1 && b == b'}' {
                depth -= 1;
                if depth == 0 {
                    let (eline, ecol) = (self.line, self.col());
                    out.push(self.tok(Kind::Quoted, begin, p, line, col));
                    out.push(self.tok(Kind::Semi, p, p + 1, eline, ecol));
                    self.bump(1);
                    break;
                }
            }
            self.bump(u);
        }
        out.reverse();
        self.pending = out;
        Ok(())
    }
}

const PLAIN: u8 = 0;
const SPACE: u8 = 1;
const SPECIAL: u8 = 2;

/// Byte classes for the word scanner; every byte >= 0x80 takes the slow path.
static CLASS: [u8; 256] = {
    let mut t = [SPECIAL; 256];
    let mut i = 0x21;
    while i < 0x7f {
        t[i] = PLAIN;
        i += 1;
    }
    let specials = [b'{', b'}', b';', b'\\', b'$', b'"', b'\'', b'#'];
    let mut j = 0;
    while j < specials.len() {
        t[specials[j] as usize] = SPECIAL;
        j += 1;
    }
    let spaces = [
        b' ', b'\t', b'\n', b'\r', 0x0b, 0x0c, 0x1c, 0x1d, 0x1e, 0x1f,
    ];
    let mut k = 0;
    while k < spaces.len() {
        t[spaces[k] as usize] = SPACE;
        k += 1;
    }
    t
};

fn char_len(b: u8) -> usize {
    match b {
        0x00..=0x7f => 1,
        0xc0..=0xdf => 2,
        0xe0..=0xef => 3,
        0xf0..=0xf7 => 4,
        // Not a lead byte: only reachable on invalid input, which `str` rules out.
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<(String, u32)> {
        let mut lx = Lexer::new(s);
        let mut v = Vec::new();
        while let Some(t) = lx.next_token().unwrap() {
            v.push((
                t.owned
                    .clone()
                    .unwrap_or_else(|| s[t.start..t.end].to_string()),
                t.line,
            ));
        }
        v
    }

    #[test]
    fn quotes_escapes_and_variables() {
        let t = toks("a \"b\\\"c\" 'd e' f\\ g ${x}y;\n# c {\nz{}");
        let vals: Vec<_> = t.iter().map(|x| x.0.as_str()).collect();
        assert_eq!(
            vals,
            ["a", "b\"c", "d e", "f\\ g", "${x}y", ";", "z", "{", "}"]
        );
        assert_eq!(t[6].1, 3);
    }

    #[test]
    fn lua_block_is_one_opaque_token() {
        let t = toks("content_by_lua_block { local t = {1} -- }\n ngx.say('}') }\nx;");
        assert_eq!(t[0].0, "content_by_lua_block");
        assert_eq!(t[1].0, " local t = {1} -- }\n ngx.say('}') ");
        assert_eq!(t[2].0, "}");
        assert_eq!(t[3].0, "x");
    }

    #[test]
    fn unterminated_quote_is_an_error_at_its_start() {
        let mut lx = Lexer::new("a;\n  b \"oops;\n");
        let mut err = None;
        for _ in 0..10 {
            match lx.next_token() {
                Ok(Some(_)) => continue,
                Ok(None) => break,
                Err(e) => {
                    err = Some(e);
                    break;
                }
            }
        }
        let e = err.expect("an error");
        assert_eq!((e.line, e.col), (2, 5));
    }
}
