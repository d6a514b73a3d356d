//! HAProxy ACLs and `if`/`unless` conditions, evaluated for one WebSocket handshake (its Host,
//! path, scheme and the Upgrade headers every handshake carries). A fetch or match this reader
//! does not model is `Unknown` with the reason, never guessed: the route then says so.

use super::parser::Directive;
use std::collections::BTreeMap;

/// The handshake being routed.
pub struct Handshake<'a> {
    pub host: &'a str,
    /// Without the query string.
    pub path: &'a str,
    pub tls: bool,
    pub http_mode: bool,
}

impl Handshake<'_> {
    fn header(&self, name: &str) -> Option<String> {
        match name.to_ascii_lowercase().as_str() {
            "host" => Some(self.host.to_string()),
            "upgrade" => Some("websocket".into()),
            "connection" => Some("Upgrade".into()),
            "sec-websocket-version" => Some("13".into()),
            "sec-websocket-key" => Some("dGhlIHNhbXBsZSBub25jZQ==".into()),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Truth {
    Yes,
    No,
    Unknown(String),
}

impl Truth {
    fn from(b: bool) -> Truth {
        if b {
            Truth::Yes
        } else {
            Truth::No
        }
    }

    fn not(self) -> Truth {
        match self {
            Truth::Yes => Truth::No,
            Truth::No => Truth::Yes,
            u => u,
        }
    }

    fn and(self, o: Truth) -> Truth {
        match (self, o) {
            (Truth::No, _) | (_, Truth::No) => Truth::No,
            (Truth::Yes, Truth::Yes) => Truth::Yes,
            (Truth::Unknown(a), _) | (_, Truth::Unknown(a)) => Truth::Unknown(a),
        }
    }

    fn or(self, o: Truth) -> Truth {
        match (self, o) {
            (Truth::Yes, _) | (_, Truth::Yes) => Truth::Yes,
            (Truth::No, Truth::No) => Truth::No,
            (Truth::Unknown(a), _) | (_, Truth::Unknown(a)) => Truth::Unknown(a),
        }
    }
}

/// The named ACLs of a frontend: lines with the same name are OR'ed, as HAProxy does.
pub struct Acls<'c> {
    named: BTreeMap<&'c str, Vec<&'c [String]>>,
}

impl<'c> Acls<'c> {
    pub fn of(dirs: impl Iterator<Item = &'c Directive>) -> Acls<'c> {
        let mut named: BTreeMap<&'c str, Vec<&'c [String]>> = BTreeMap::new();
        for d in dirs.filter(|d| d.name() == "acl" && d.words.len() >= 3) {
            named.entry(&d.words[1]).or_default().push(&d.words[2..]);
        }
        Acls { named }
    }

    fn named(&self, name: &str, h: &Handshake<'_>) -> Truth {
        if let Some(lines) = self.named.get(name) {
            return lines
                .iter()
                .fold(Truth::No, |acc, words| acc.or(criterion(words, h)));
        }
        predefined(name, h)
    }

    /// The condition after `if`/`unless` in `words` (the whole rule); a rule without one
    /// always applies.
    pub fn rule_applies(&self, words: &[String], h: &Handshake<'_>) -> Truth {
        let Some(i) = words.iter().position(|w| w == "if" || w == "unless") else {
            return Truth::Yes;
        };
        let t = self.condition(&words[i + 1..], h);
        if words[i] == "unless" {
            t.not()
        } else {
            t
        }
    }

    /// Terms AND'ed, groups OR'ed with `||`/`or`; `!` negates; `{ … }` is an anonymous ACL.
    fn condition(&self, words: &[String], h: &Handshake<'_>) -> Truth {
        let mut any = Truth::No;
        let mut all = Truth::Yes;
        let mut i = 0;
        while i < words.len() {
            let w = words[i].as_str();
            if w == "||" || w == "or" {
                any = any.or(all);
                all = Truth::Yes;
                i += 1;
                continue;
            }
            let (neg, w) = match w.strip_prefix('!') {
                Some(rest) => (true, rest),
                None => (false, w),
            };
            let t = if w == "{"
                || (w.is_empty() && words.get(i + 1).map(String::as_str) == Some("{"))
            {
                if w.is_empty() {
                    i += 1;
                }
                let start = i + 1;
                let end = words[start..]
                    .iter()
                    .position(|x| x == "}")
                    .map(|p| start + p)
                    .unwrap_or(words.len());
                i = end;
                criterion(&words[start..end], h)
            } else {
                self.named(w, h)
            };
            all = all.and(if neg { t.not() } else { t });
            i += 1;
        }
        any.or(all)
    }
}

fn predefined(name: &str, h: &Handshake<'_>) -> Truth {
    match name {
        "TRUE" | "HTTP_1.1" | "METH_GET" => Truth::Yes,
        "HTTP" => Truth::from(h.http_mode),
        "HTTP_URL_SLASH" => Truth::from(h.path.starts_with('/')),
        "FALSE" | "HTTP_1.0" | "HTTP_2.0" | "HTTP_URL_ABS" | "HTTP_URL_STAR" | "METH_CONNECT"
        | "METH_DELETE" | "METH_HEAD" | "METH_OPTIONS" | "METH_POST" | "METH_PUT"
        | "METH_TRACE" | "HTTP_CONTENT" | "RDP_COOKIE" => Truth::No,
        other => Truth::Unknown(format!("ACL '{other}' is not defined in this section")),
    }
}

/// One ACL body: `fetch [flags] [values…]`.
fn criterion(words: &[String], h: &Handshake<'_>) -> Truth {
    let Some(fetch) = words.first() else {
        return Truth::Unknown("an empty ACL".into());
    };
    let (fetch_name, converters) = match fetch.split_once(',') {
        Some((f, c)) => (f, Some(c)),
        None => (fetch.as_str(), None),
    };
    let (base, arg) = match fetch_name.split_once('(') {
        Some((b, a)) => (b, Some(a.trim_end_matches(')'))),
        None => (fetch_name, None),
    };
    let mut icase = false;
    let mut method: Option<String> = None;
    let mut values: Vec<&str> = Vec::new();
    let mut i = 1;
    while i < words.len() {
        let w = words[i].as_str();
        match w {
            "-i" => icase = true,
            "-m" => {
                i += 1;
                method = words.get(i).cloned();
            }
            "-f" | "-M" => {
                return Truth::Unknown(format!("`{fetch} {w}` reads patterns from a file"))
            }
            "-n" | "-u" => {}
            "--" => {
                values.extend(words[i + 1..].iter().map(String::as_str));
                break;
            }
            _ => values.push(w),
        }
        i += 1;
    }
    if let Some(c) = converters {
        if !c.split(',').all(|c| c == "lower" || c == "upper") {
            return Truth::Unknown(format!("the converter in `{fetch}` is not modelled"));
        }
        icase = true;
    }
    // `hdr_beg(host)` is `hdr(host) -m beg`.
    let (sample_kind, suffix) = match base.split_once('_') {
        Some((k, s)) if matches!(k, "hdr" | "path" | "url" | "base") => (k, Some(s)),
        _ => (base.trim_start_matches("req."), None),
    };
    let method = method.or(suffix.map(String::from));
    let sample: Option<String> = match sample_kind {
        "hdr" | "fhdr" => match arg {
            Some(name) => h.header(name.split(',').next().unwrap_or(name)),
            None => return Truth::Unknown(format!("`{fetch}` without a header name")),
        },
        "path" => Some(h.path.to_string()),
        "url" => Some(h.path.to_string()),
        "base" => Some(format!("{}{}", h.host, h.path)),
        "method" => Some("GET".into()),
        "ssl_fc" => {
            return Truth::from(h.tls);
        }
        "ssl_fc_sni" | "ssl_sni" => {
            if h.tls {
                Some(h.host.to_string())
            } else {
                None
            }
        }
        other => return Truth::Unknown(format!("the fetch `{other}` is not modelled")),
    };
    let method = method.unwrap_or_else(|| "str".into());
    if method == "found" {
        return Truth::from(sample.is_some());
    }
    let Some(mut sample) = sample else {
        return Truth::No;
    };
    if method == "len" || method == "cnt" {
        return Truth::Unknown(format!("`{fetch}` compares a length"));
    }
    if icase {
        sample = sample.to_ascii_lowercase();
    }
    let mut unknown = None;
    for v in values {
        let v = if icase {
            v.to_ascii_lowercase()
        } else {
            v.to_string()
        };
        let hit = match method.as_str() {
            "str" => sample == v,
            "beg" => sample.starts_with(&v),
            "end" => sample.ends_with(&v),
            "sub" => sample.contains(&v),
            "dom" => delimited(&sample, &v, &['/', '?', '.', '#', ':']),
            "dir" => delimited(&sample, &v, &['/', '?', '#']),
            "reg" => match regex::RegexBuilder::new(&v).case_insensitive(icase).build() {
                Ok(re) => re.is_match(&sample),
                Err(_) => {
                    unknown = Some(format!("the regex {v:?} is not supported here"));
                    false
                }
            },
            other => {
                unknown = Some(format!("the match method `{other}` is not modelled"));
                false
            }
        };
        if hit {
            return Truth::Yes;
        }
    }
    match unknown {
        Some(u) => Truth::Unknown(u),
        None => Truth::No,
    }
}

/// `dom`/`dir` matching: `v` occurs in `s` bounded by delimiters (or the ends).
fn delimited(s: &str, v: &str, delims: &[char]) -> bool {
    !v.is_empty()
        && s.match_indices(v).any(|(i, _)| {
            let before = s[..i].chars().next_back();
            let after = s[i + v.len()..].chars().next();
            before.is_none_or(|c| delims.contains(&c)) && after.is_none_or(|c| delims.contains(&c))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h() -> Handshake<'static> {
        Handshake {
            host: "ws.example.com",
            path: "/ws/chat",
            tls: true,
            http_mode: true,
        }
    }

    fn words(s: &str) -> Vec<String> {
        s.split(' ').map(String::from).collect()
    }

    #[test]
    fn conditions_and_acls_as_haproxy_evaluates_them() {
        let dirs = [
            "acl is_ws hdr(Upgrade) -i websocket",
            "acl ws_host hdr(host) -i WS.example.com",
            "acl ws_path path_beg /ws/",
            "acl api path_beg /api/",
            "acl api path_beg /v1/",
        ]
        .iter()
        .enumerate()
        .map(|(i, l)| Directive {
            words: words(l),
            line: i as u32 + 1,
            col: 1,
        })
        .collect::<Vec<_>>();
        let acls = Acls::of(dirs.iter());
        let t = |rule: &str| acls.rule_applies(&words(rule), &h());
        assert_eq!(t("use_backend b if is_ws ws_host"), Truth::Yes);
        assert_eq!(t("use_backend b if api"), Truth::No);
        assert_eq!(t("use_backend b if api || ws_path"), Truth::Yes);
        assert_eq!(t("use_backend b unless ws_path"), Truth::No);
        assert_eq!(t("use_backend b if !api ws_path"), Truth::Yes);
        assert_eq!(
            t("use_backend b if { path_beg /ws/ } { ssl_fc }"),
            Truth::Yes
        );
        assert_eq!(
            t("use_backend b if { hdr_end(host) -i .example.com }"),
            Truth::Yes
        );
        assert_eq!(
            t("use_backend b if { req.hdr(host),lower -m dom example }"),
            Truth::Yes
        );
        assert!(matches!(
            t("use_backend b if { src 10.0.0.0/8 }"),
            Truth::Unknown(_)
        ));
        assert!(matches!(t("use_backend b if nosuch"), Truth::Unknown(_)));
        assert_eq!(t("default_backend b"), Truth::Yes);
    }
}
