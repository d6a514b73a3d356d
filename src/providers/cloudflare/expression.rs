//! The part of Cloudflare's Rules language (the wirefilter syntax of rule expressions) that
//! decides whether a rule applies to the WebSocket's handshake: the host, the path and the
//! scheme, compared, combined with `and`/`or`/`not`.
//!
//! An expression that uses anything else (a client IP, a country, a header, a bot score) is
//! not guessed at: [`evaluate`] answers [`Unsupported`] naming what it could not evaluate, and
//! the caller says the rule may or may not apply. Reference: Rules language, "Fields",
//! "Operators" and "Functions" (developers.cloudflare.com/ruleset-engine/rules-language/).

use regex::Regex;
use std::fmt;

/// The request a rule is evaluated for: the handshake as the client sends it.
#[derive(Debug, Clone, PartialEq)]
pub struct Request<'a> {
    /// Lower case, no port (`http.host`).
    pub host: &'a str,
    /// `http.request.uri.path`.
    pub path: &'a str,
    /// `ssl`: the client dialled `wss://` (or `https://`).
    pub tls: bool,
}

/// Why an expression was not evaluated.
#[derive(Debug, Clone, PartialEq)]
pub struct Unsupported(pub String);

impl fmt::Display for Unsupported {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Whether `expr` matches `req`.
pub fn evaluate(expr: &str, req: &Request<'_>) -> Result<bool, Unsupported> {
    let tokens = lex(expr)?;
    let mut p = Parser {
        tokens,
        pos: 0,
        req,
    };
    let v = p.or()?;
    if p.pos != p.tokens.len() {
        return Err(Unsupported(format!(
            "unexpected {} after a complete expression",
            p.tokens[p.pos]
        )));
    }
    Ok(v)
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Word(String),
    Str(String),
    Num(String),
    Sym(&'static str),
}

impl fmt::Display for Tok {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Tok::Word(w) | Tok::Num(w) => write!(f, "`{w}`"),
            Tok::Str(s) => write!(f, "{s:?}"),
            Tok::Sym(s) => write!(f, "`{s}`"),
        }
    }
}

const SYMBOLS: [&str; 12] = [
    "==", "!=", "&&", "||", "^^", "(", ")", "{", "}", ",", "!", "~",
];

fn lex(s: &str) -> Result<Vec<Tok>, Unsupported> {
    let chars: Vec<char> = s.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        if c == '"' {
            let mut v = String::new();
            i += 1;
            loop {
                match chars.get(i) {
                    None => return Err(Unsupported("an unterminated string".into())),
                    Some('"') => {
                        i += 1;
                        break;
                    }
                    Some('\\') => {
                        match chars.get(i + 1) {
                            Some(n) => v.push(*n),
                            None => return Err(Unsupported("an unterminated string".into())),
                        }
                        i += 2;
                    }
                    Some(ch) => {
                        v.push(*ch);
                        i += 1;
                    }
                }
            }
            out.push(Tok::Str(v));
            continue;
        }
        if c == 'r' && chars.get(i + 1) == Some(&'#') {
            return Err(Unsupported("a raw string literal".into()));
        }
        if let Some(sym) = SYMBOLS.iter().find(|sym| {
            let sc: Vec<char> = sym.chars().collect();
            chars[i..].starts_with(&sc)
        }) {
            out.push(Tok::Sym(sym));
            i += sym.len();
            continue;
        }
        if c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '[' || c == '*' {
            let start = i;
            while i < chars.len()
                && (chars[i].is_ascii_alphanumeric()
                    || matches!(chars[i], '_' | '.' | '[' | ']' | '*' | ':' | '/' | '-'))
            {
                i += 1;
            }
            let w: String = chars[start..i].iter().collect();
            if w.chars().all(|c| c.is_ascii_digit()) {
                out.push(Tok::Num(w));
            } else {
                out.push(Tok::Word(w));
            }
            continue;
        }
        return Err(Unsupported(format!("the character {c:?}")));
    }
    Ok(out)
}

/// A value an operand evaluates to.
#[derive(Debug, Clone, PartialEq)]
enum Val {
    Str(String),
    Bool(bool),
}

struct Parser<'r, 'a> {
    tokens: Vec<Tok>,
    pos: usize,
    req: &'r Request<'a>,
}

impl Parser<'_, '_> {
    fn peek(&self) -> Option<&Tok> {
        self.tokens.get(self.pos)
    }

    fn next(&mut self) -> Result<Tok, Unsupported> {
        let t = self
            .tokens
            .get(self.pos)
            .cloned()
            .ok_or_else(|| Unsupported("an expression that ends too early".into()))?;
        self.pos += 1;
        Ok(t)
    }

    fn eat_word(&mut self, words: &[&str]) -> bool {
        match self.peek() {
            Some(Tok::Word(w)) if words.contains(&w.as_str()) => {
                self.pos += 1;
                true
            }
            _ => false,
        }
    }

    fn eat_sym(&mut self, sym: &str) -> bool {
        match self.peek() {
            Some(Tok::Sym(s)) if *s == sym => {
                self.pos += 1;
                true
            }
            _ => false,
        }
    }

    fn expect_sym(&mut self, sym: &str) -> Result<(), Unsupported> {
        if self.eat_sym(sym) {
            Ok(())
        } else {
            Err(Unsupported(format!(
                "expected `{sym}`, found {}",
                self.peek()
                    .map(|t| t.to_string())
                    .unwrap_or_else(|| "the end".into())
            )))
        }
    }

    fn or(&mut self) -> Result<bool, Unsupported> {
        let mut v = self.and()?;
        loop {
            if self.eat_word(&["or"]) || self.eat_sym("||") {
                let r = self.and()?;
                v = v || r;
            } else if self.eat_word(&["xor"]) || self.eat_sym("^^") {
                let r = self.and()?;
                v ^= r;
            } else {
                return Ok(v);
            }
        }
    }

    fn and(&mut self) -> Result<bool, Unsupported> {
        let mut v = self.not()?;
        while self.eat_word(&["and"]) || self.eat_sym("&&") {
            let r = self.not()?;
            v = v && r;
        }
        Ok(v)
    }

    fn not(&mut self) -> Result<bool, Unsupported> {
        if self.eat_word(&["not"]) || self.eat_sym("!") {
            return Ok(!self.not()?);
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<bool, Unsupported> {
        if self.eat_sym("(") {
            let v = self.or()?;
            self.expect_sym(")")?;
            return Ok(v);
        }
        let left = self.operand()?;
        // A comparison, or a bare boolean (`ssl`, `true`).
        let op = match self.peek() {
            Some(Tok::Word(w))
                if matches!(
                    w.as_str(),
                    "eq" | "ne" | "contains" | "matches" | "wildcard" | "strict" | "in"
                ) =>
            {
                w.clone()
            }
            Some(Tok::Sym("==")) => "eq".into(),
            Some(Tok::Sym("!=")) => "ne".into(),
            Some(Tok::Sym("~")) => "matches".into(),
            _ => {
                return match left {
                    Val::Bool(b) => Ok(b),
                    Val::Str(_) => Err(Unsupported("a string used as a condition".into())),
                }
            }
        };
        self.pos += 1;
        if op == "in" {
            return self.in_set(&left);
        }
        if op == "strict" && !self.eat_word(&["wildcard"]) {
            return Err(Unsupported("`strict` without `wildcard`".into()));
        }
        let right = self.operand()?;
        let (l, r) = match (&left, &right) {
            (Val::Str(l), Val::Str(r)) => (l.as_str(), r.as_str()),
            (Val::Bool(l), Val::Bool(r)) => {
                return match op.as_str() {
                    "eq" => Ok(l == r),
                    "ne" => Ok(l != r),
                    _ => Err(Unsupported(format!("`{op}` on booleans"))),
                }
            }
            _ => return Err(Unsupported("a comparison of different types".into())),
        };
        Ok(match op.as_str() {
            "eq" => l == r,
            "ne" => l != r,
            "contains" => l.contains(r),
            "matches" => Regex::new(r)
                .map_err(|e| Unsupported(format!("the regex {r:?} ({e})")))?
                .is_match(l),
            // `wildcard` is case-insensitive, `strict wildcard` is not (Rules language,
            // "Wildcard matching").
            "wildcard" => glob(&l.to_ascii_lowercase(), &r.to_ascii_lowercase()),
            "strict" => glob(l, r),
            _ => unreachable!("operators are listed above"),
        })
    }

    fn in_set(&mut self, left: &Val) -> Result<bool, Unsupported> {
        if let Some(Tok::Sym("$")) | Some(Tok::Word(_)) = self.peek() {
            return Err(Unsupported("a named list (`in $list`)".into()));
        }
        self.expect_sym("{")?;
        let mut found = false;
        loop {
            match self.next()? {
                Tok::Sym("}") => return Ok(found),
                Tok::Str(s) => {
                    if *left == Val::Str(s) {
                        found = true;
                    }
                }
                t => return Err(Unsupported(format!("{t} in a set"))),
            }
        }
    }

    fn operand(&mut self) -> Result<Val, Unsupported> {
        match self.next()? {
            Tok::Str(s) => Ok(Val::Str(s)),
            Tok::Word(w) => {
                if self.eat_sym("(") {
                    return self.function(&w);
                }
                self.field(&w)
            }
            t => Err(Unsupported(format!("{t} as a value"))),
        }
    }

    fn field(&self, name: &str) -> Result<Val, Unsupported> {
        Ok(match name {
            "http.host" | "http.request.host" => Val::Str(self.req.host.to_string()),
            "http.request.uri.path" => Val::Str(self.req.path.to_string()),
            "http.request.full_uri" => Val::Str(format!(
                "{}://{}{}",
                if self.req.tls { "https" } else { "http" },
                self.req.host,
                self.req.path
            )),
            "ssl" => Val::Bool(self.req.tls),
            "true" => Val::Bool(true),
            "false" => Val::Bool(false),
            other => return Err(Unsupported(format!("the field `{other}`"))),
        })
    }

    fn function(&mut self, name: &str) -> Result<Val, Unsupported> {
        let mut args = Vec::new();
        if !self.eat_sym(")") {
            loop {
                args.push(self.operand()?);
                if self.eat_sym(")") {
                    break;
                }
                self.expect_sym(",")?;
            }
        }
        let s = |i: usize| match args.get(i) {
            Some(Val::Str(s)) => Ok(s.clone()),
            _ => Err(Unsupported(format!("`{name}` with these arguments"))),
        };
        Ok(match name {
            "lower" => Val::Str(s(0)?.to_ascii_lowercase()),
            "upper" => Val::Str(s(0)?.to_ascii_uppercase()),
            "starts_with" => Val::Bool(s(0)?.starts_with(&s(1)?)),
            "ends_with" => Val::Bool(s(0)?.ends_with(&s(1)?)),
            "len" => return Err(Unsupported("`len`".into())),
            other => return Err(Unsupported(format!("the function `{other}`"))),
        })
    }
}

/// `*` matches any run of characters (none included); everything else matches itself.
pub fn glob(text: &str, pattern: &str) -> bool {
    let t: Vec<char> = text.chars().collect();
    let p: Vec<char> = pattern.chars().collect();
    let (mut ti, mut pi) = (0usize, 0usize);
    let (mut star, mut mark) = (None::<usize>, 0usize);
    while ti < t.len() {
        if pi < p.len() && p[pi] != '*' && p[pi] == t[ti] {
            ti += 1;
            pi += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const REQ: Request<'static> = Request {
        host: "ws.example.com",
        path: "/ws/chat",
        tls: true,
    };

    fn ev(e: &str) -> Result<bool, Unsupported> {
        evaluate(e, &REQ)
    }

    #[test]
    fn host_path_and_scheme_expressions() {
        assert_eq!(ev(r#"(http.host eq "ws.example.com")"#), Ok(true));
        assert_eq!(ev(r#"http.host == "www.example.com""#), Ok(false));
        assert_eq!(
            ev(r#"http.host in {"a.example.com" "ws.example.com"}"#),
            Ok(true)
        );
        assert_eq!(
            ev(r#"starts_with(http.request.uri.path, "/ws/") and ssl"#),
            Ok(true)
        );
        assert_eq!(ev(r#"http.request.uri.path matches "^/api/""#), Ok(false));
        assert_eq!(ev(r#"not http.host contains "example""#), Ok(false));
        assert_eq!(ev(r#"http.host wildcard "*.EXAMPLE.com""#), Ok(true));
        assert_eq!(
            ev(r#"http.host strict wildcard "*.EXAMPLE.com""#),
            Ok(false)
        );
        assert_eq!(ev("true"), Ok(true));
        assert_eq!(
            ev(r#"(http.host eq "x") or (lower(http.request.uri.path) eq "/ws/chat")"#),
            Ok(true)
        );
    }

    #[test]
    fn what_it_cannot_see_is_not_guessed() {
        let e = ev(r#"ip.src eq 192.0.2.1 and http.host eq "ws.example.com""#).unwrap_err();
        assert!(e.0.contains("ip.src"), "{e}");
        assert!(ev(r#"http.host in $hosts"#).is_err());
        assert!(ev(r#"http.host eq"#).is_err());
        assert!(ev(r#"(http.host eq "a""#).is_err());
        assert!(ev(r#"any(http.request.headers.names[*] == "x")"#).is_err());
    }

    #[test]
    fn globs() {
        assert!(glob("a.b.example.com", "*.example.com"));
        assert!(!glob("example.com", "*.example.com"));
        assert!(glob("/ws/x", "/ws/*"));
        assert!(glob("", "*"));
    }

    proptest! {
        /// Any text is answered or refused, never a panic.
        #[test]
        fn never_panics(s in ".{0,80}") {
            let _ = ev(&s);
        }

        #[test]
        fn a_host_equality_is_decided(host in "[a-z]{1,10}\\.example\\.com") {
            let e = format!("http.host eq \"{host}\"");
            prop_assert_eq!(ev(&e), Ok(host == "ws.example.com"));
        }
    }
}
