//! haproxy.cfg into sections of directives, each word with its line and column, the way
//! HAProxy splits a line: words separated by blanks, `#` starting a comment outside quotes,
//! double quotes (with backslash escapes), single quotes (none), backslash escapes outside
//! quotes. A section starts at a section keyword and runs to the next one.

use super::error::HaproxyError;

/// Section keywords HAProxy knows; anything else at the top level before a section is an error.
const SECTIONS: &[&str] = &[
    "global",
    "defaults",
    "frontend",
    "backend",
    "listen",
    "peers",
    "resolvers",
    "userlist",
    "mailers",
    "program",
    "http-errors",
    "ring",
    "cache",
    "crt-store",
    "traces",
    "log-forward",
    "fcgi-app",
    "dynamic-update",
    "acme",
];

#[derive(Debug, Clone, PartialEq)]
pub struct Directive {
    pub words: Vec<String>,
    pub line: u32,
    pub col: u32,
}

impl Directive {
    pub fn name(&self) -> &str {
        &self.words[0]
    }

    pub fn arg(&self, i: usize) -> Option<&str> {
        self.words.get(i + 1).map(String::as_str)
    }

    pub fn args(&self) -> &[String] {
        &self.words[1..]
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Section {
    /// `global`, `defaults`, `frontend`, `backend`, `listen`, …
    pub kind: String,
    pub name: Option<String>,
    /// `from NAME`: the defaults section this one inherits from.
    pub from: Option<String>,
    pub line: u32,
    pub dirs: Vec<Directive>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ParsedFile {
    pub file: String,
    pub sections: Vec<Section>,
}

pub fn parse(file: &str, text: &str) -> Result<ParsedFile, HaproxyError> {
    let mut sections: Vec<Section> = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = i as u32 + 1;
        let words = split(raw).map_err(|(col, message)| HaproxyError::Syntax {
            file: file.to_string(),
            line,
            col,
            message,
        })?;
        let Some((first, first_col)) = words.first().cloned() else {
            continue;
        };
        if SECTIONS.contains(&first.as_str()) {
            let mut name = None;
            let mut from = None;
            let mut rest = words[1..].iter().map(|(w, _)| w.clone());
            while let Some(w) = rest.next() {
                if w == "from" {
                    from = rest.next();
                } else if name.is_none() {
                    name = Some(w);
                }
            }
            if matches!(first.as_str(), "frontend" | "backend" | "listen") && name.is_none() {
                return Err(HaproxyError::Syntax {
                    file: file.to_string(),
                    line,
                    col: first_col,
                    message: format!("'{first}' needs a name"),
                });
            }
            sections.push(Section {
                kind: first,
                name,
                from,
                line,
                dirs: Vec::new(),
            });
            continue;
        }
        let Some(current) = sections.last_mut() else {
            return Err(HaproxyError::Syntax {
                file: file.to_string(),
                line,
                col: first_col,
                message: format!("unknown keyword '{first}' out of section"),
            });
        };
        current.dirs.push(Directive {
            words: words.into_iter().map(|(w, _)| w).collect(),
            line,
            col: first_col,
        });
    }
    Ok(ParsedFile {
        file: file.to_string(),
        sections,
    })
}

/// One line into words with their 1-based columns.
fn split(line: &str) -> Result<Vec<(String, u32)>, (u32, String)> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut start: Option<u32> = None;
    let mut chars = line.char_indices().peekable();
    let col = |i: usize| line[..i].chars().count() as u32 + 1;
    while let Some((i, c)) = chars.next() {
        match c {
            ' ' | '\t' => {
                if let Some(s) = start.take() {
                    words.push((std::mem::take(&mut cur), s));
                }
            }
            '#' => break,
            '\\' => {
                start.get_or_insert(col(i));
                match chars.next() {
                    Some((_, n)) => cur.push(n),
                    None => return Err((col(i), "a backslash ends the line".into())),
                }
            }
            '"' => {
                start.get_or_insert(col(i));
                let mut closed = false;
                while let Some((_, n)) = chars.next() {
                    match n {
                        '"' => {
                            closed = true;
                            break;
                        }
                        '\\' => {
                            if let Some((_, e)) = chars.next() {
                                cur.push(e);
                            }
                        }
                        other => cur.push(other),
                    }
                }
                if !closed {
                    return Err((col(i), "unmatched double quote".into()));
                }
            }
            '\'' => {
                start.get_or_insert(col(i));
                let mut closed = false;
                for (_, n) in chars.by_ref() {
                    if n == '\'' {
                        closed = true;
                        break;
                    }
                    cur.push(n);
                }
                if !closed {
                    return Err((col(i), "unmatched single quote".into()));
                }
            }
            other => {
                start.get_or_insert(col(i));
                cur.push(other);
            }
        }
    }
    if let Some(s) = start {
        words.push((cur, s));
    }
    Ok(words)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn sections_directives_quotes_and_comments() {
        let cfg = "global\n  log stdout format raw local0\ndefaults web from base\n  timeout client 30s # idle\nfrontend fe\n  http-request set-header X \"a b\\\"c\" 'd e'\n";
        let p = parse("h.cfg", cfg).unwrap();
        assert_eq!(p.sections.len(), 3);
        assert_eq!(p.sections[1].name.as_deref(), Some("web"));
        assert_eq!(p.sections[1].from.as_deref(), Some("base"));
        assert_eq!(p.sections[1].dirs[0].words, ["timeout", "client", "30s"]);
        let d = &p.sections[2].dirs[0];
        assert_eq!(
            d.words,
            ["http-request", "set-header", "X", "a b\"c", "d e"]
        );
        assert_eq!((d.line, d.col), (6, 3));
    }

    #[test]
    fn errors_name_the_line_and_column() {
        let e = parse("h.cfg", "timeout client 5s\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "h.cfg:1:1: unknown keyword 'timeout' out of section"
        );
        let e = parse("h.cfg", "frontend fe\n  acl a path \"/x\n").unwrap_err();
        assert_eq!(e.to_string(), "h.cfg:2:14: unmatched double quote");
        let e = parse("h.cfg", "backend\n").unwrap_err();
        assert_eq!(e.to_string(), "h.cfg:1:1: 'backend' needs a name");
    }

    proptest! {
        #[test]
        fn never_panics_on_any_text(s in "\\PC{0,400}") {
            let _ = parse("f.cfg", &s);
        }

        #[test]
        fn never_panics_on_config_like_text(lines in proptest::collection::vec(
            "(frontend|backend|defaults|listen|global|  timeout|  use_backend|  acl|  server|#|\"|'|\\\\| )[ a-z0-9\"'\\\\#{}!]{0,30}", 0..30)) {
            let _ = parse("f.cfg", &lines.join("\n"));
        }
    }
}
