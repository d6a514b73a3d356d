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
    v.map_err(Unsupported)
}

/// A condition's value: decided, or not decidable from the handshake (the reason). `and` and
/// `or` decide what they can: `unknown and false` is false, `unknown or true` is true.
type Tri = Result<bool, String>;

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
    /// A field or function wsaudit cannot know for the handshake (why).
    Unknown(String),
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

    fn or(&mut self) -> Result<Tri, Unsupported> {
        let mut v = self.and()?;
        loop {
            if self.eat_word(&["or"]) || self.eat_sym("||") {
                let r = self.and()?;
                v = match (v, r) {
                    (Ok(true), _) | (_, Ok(true)) => Ok(true),
                    (Err(e), _) | (_, Err(e)) => Err(e),
                    _ => Ok(false),
                };
            } else if self.eat_word(&["xor"]) || self.eat_sym("^^") {
                let r = self.and()?;
                v = match (v, r) {
                    (Ok(a), Ok(b)) => Ok(a ^ b),
                    (Err(e), _) | (_, Err(e)) => Err(e),
                };
            } else {
                return Ok(v);
            }
        }
    }

    fn and(&mut self) -> Result<Tri, Unsupported> {
        let mut v = self.not()?;
        while self.eat_word(&["and"]) || self.eat_sym("&&") {
            let r = self.not()?;
            v = match (v, r) {
                (Ok(false), _) | (_, Ok(false)) => Ok(false),
                (Err(e), _) | (_, Err(e)) => Err(e),
                _ => Ok(true),
            };
        }
        Ok(v)
    }

    fn not(&mut self) -> Result<Tri, Unsupported> {
        if self.eat_word(&["not"]) || self.eat_sym("!") {
            return Ok(self.not()?.map(|b| !b));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Tri, Unsupported> {
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
                    "eq" | "ne"
                        | "lt"
                        | "le"
                        | "gt"
                        | "ge"
                        | "contains"
                        | "matches"
                        | "wildcard"
                        | "strict"
                        | "in"
                ) =>
            {
                w.clone()
            }
            Some(Tok::Sym("==")) => "eq".into(),
            Some(Tok::Sym("!=")) => "ne".into(),
            Some(Tok::Sym("~")) => "matches".into(),
            _ => {
                return match left {
                    Val::Bool(b) => Ok(Ok(b)),
                    Val::Unknown(why) => Ok(Err(why)),
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
            (Val::Unknown(why), _) | (_, Val::Unknown(why)) => return Ok(Err(why.clone())),
            (Val::Str(l), Val::Str(r)) => (l.as_str(), r.as_str()),
            (Val::Bool(l), Val::Bool(r)) => {
                return match op.as_str() {
                    "eq" => Ok(Ok(l == r)),
                    "ne" => Ok(Ok(l != r)),
                    _ => Err(Unsupported(format!("`{op}` on booleans"))),
                }
            }
            _ => return Err(Unsupported("a comparison of different types".into())),
        };
        Ok(Ok(match op.as_str() {
            "eq" => l == r,
            "ne" => l != r,
            "contains" => l.contains(r),
            "matches" => match Regex::new(r) {
                Ok(re) => re.is_match(l),
                Err(e) => return Ok(Err(format!("the regex {r:?} ({e})"))),
            },
            // `wildcard` is case-insensitive, `strict wildcard` is not (Rules language,
            // "Wildcard matching").
            "wildcard" => glob(&l.to_ascii_lowercase(), &r.to_ascii_lowercase()),
            "strict" => glob(l, r),
            other => return Ok(Err(format!("`{other}` on strings"))),
        }))
    }

    fn in_set(&mut self, left: &Val) -> Result<Tri, Unsupported> {
        if !self.eat_sym("{") {
            // `in $list`: a named list, whose contents are account data.
            return Err(Unsupported("a named list (`in $list`)".into()));
        }
        let mut found = false;
        loop {
            match self.next()? {
                Tok::Sym("}") => break,
                Tok::Str(s) => {
                    if *left == Val::Str(s) {
                        found = true;
                    }
                }
                // IP ranges, numbers: only an unknown field is compared with them.
                Tok::Word(_) | Tok::Num(_) => {}
                t => return Err(Unsupported(format!("{t} in a set"))),
            }
        }
        Ok(match left {
            Val::Unknown(why) => Err(why.clone()),
            _ => Ok(found),
        })
    }

    fn operand(&mut self) -> Result<Val, Unsupported> {
        match self.next()? {
            Tok::Str(s) => Ok(Val::Str(s)),
            // Numbers and addresses are only compared with fields wsaudit cannot know.
            Tok::Num(n) => Ok(Val::Unknown(format!("the number {n}"))),
            Tok::Word(w) => {
                if self.eat_sym("(") {
                    return self.function(&w);
                }
                if w.chars().next().is_some_and(|c| c.is_ascii_digit()) {
                    return Ok(Val::Unknown(format!("the value {w}")));
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
            other
                if other.contains('.')
                    || other.chars().all(|c| c.is_ascii_lowercase() || c == '_') =>
            {
                Val::Unknown(format!("the field `{other}`"))
            }
            other => return Err(Unsupported(format!("the word `{other}`"))),
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
        if let Some(Val::Unknown(why)) = args.iter().find(|a| matches!(a, Val::Unknown(_))) {
            return Ok(Val::Unknown(why.clone()));
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
            other => Val::Unknown(format!("the function `{other}`")),
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
        // What the handshake decides anyway is decided.
        assert_eq!(
            ev(r#"ip.src in {192.0.2.0/24} and http.host eq "api.example.com""#),
            Ok(false)
        );
        assert_eq!(
            ev(r#"ip.src.country eq "GB" or http.host eq "ws.example.com""#),
            Ok(true)
        );
        assert!(ev(r#"ip.src in {192.0.2.0/24}"#).is_err());
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
