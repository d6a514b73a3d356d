//! Where configuration text comes from: the file system (following `include` like nginx), an
//! `nginx -T` dump (every file nginx read, in one stream), or standard input.

use super::error::NginxError;
use std::collections::BTreeMap;

/// Reads files and expands globs. The reader never touches the file system directly, so a
/// dump from another machine resolves its includes exactly like the live tree did.
pub trait Source: Sync {
    /// The text of one file (invalid UTF-8 replaced, as crossplane does), or why not.
    fn read(&self, path: &str) -> Result<String, String>;
    /// Paths matching a glob pattern, sorted bytewise as glob(3) does in the C locale.
    fn glob(&self, pattern: &str) -> Vec<String>;
}

/// The local file system.
#[derive(Debug, Default, Clone, Copy)]
pub struct Disk;

impl Source for Disk {
    fn read(&self, path: &str) -> Result<String, String> {
        match std::fs::read(path) {
            Ok(bytes) => Ok(match String::from_utf8(bytes) {
                Ok(s) => s,
                Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
            }),
            Err(e) => Err(os_reason(&e)),
        }
    }

    fn glob(&self, pattern: &str) -> Vec<String> {
        let mut out = Vec::new();
        let (root, rest) = match pattern.strip_prefix('/') {
            Some(r) => ("/".to_string(), r),
            None => (String::new(), pattern),
        };
        let parts: Vec<&str> = rest.split('/').collect();
        glob_walk(&root, &parts, &mut out);
        out.sort();
        out
    }
}

/// nginx's wording for an OS error: `2: No such file or directory`.
pub(crate) fn os_reason(e: &std::io::Error) -> String {
    let text = e.to_string();
    let text = text.split(" (os error").next().unwrap_or(&text).to_string();
    match e.raw_os_error() {
        Some(code) => format!("{code}: {text}"),
        None => text,
    }
}

fn join(base: &str, name: &str) -> String {
    if base.is_empty() {
        name.to_string()
    } else if base.ends_with('/') {
        format!("{base}{name}")
    } else {
        format!("{base}/{name}")
    }
}

fn glob_walk(base: &str, parts: &[&str], out: &mut Vec<String>) {
    let Some((first, rest)) = parts.split_first() else {
        return;
    };
    if !has_magic(first) {
        let p = join(base, first);
        if rest.is_empty() {
            if std::path::Path::new(&p).exists() {
                out.push(p);
            }
        } else {
            glob_walk(&p, rest, out);
        }
        return;
    }
    let dir = if base.is_empty() { "." } else { base };
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut names: Vec<String> = entries
        .flatten()
        .filter_map(|e| e.file_name().to_str().map(str::to_string))
        .filter(|n| fnmatch(first, n))
        .collect();
    names.sort();
    for n in names {
        let p = join(base, &n);
        if rest.is_empty() {
            out.push(p);
        } else if std::path::Path::new(&p).is_dir() {
            glob_walk(&p, rest, out);
        }
    }
}

pub(crate) fn has_magic(s: &str) -> bool {
    s.contains(['*', '?', '['])
}

/// Shell-style matching of one path component (`*`, `?`, `[a-z]`, `[!x]`); a leading dot
/// must be matched literally, as glob(3) requires.
pub(crate) fn fnmatch(pat: &str, name: &str) -> bool {
    if name.starts_with('.') && !pat.starts_with('.') {
        return false;
    }
    let p: Vec<char> = pat.chars().collect();
    let n: Vec<char> = name.chars().collect();
    match_from(&p, &n)
}

fn match_from(p: &[char], n: &[char]) -> bool {
    // Iterative with one backtrack point for the last `*`: linear enough for file names.
    let (mut pi, mut ni) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ni < n.len() {
        if pi < p.len() {
            match p[pi] {
                '*' => {
                    star = Some((pi, ni));
                    pi += 1;
                    continue;
                }
                '?' => {
                    pi += 1;
                    ni += 1;
                    continue;
                }
                '[' => {
                    if let Some((ok, len)) = class(&p[pi..], n[ni]) {
                        if ok {
                            pi += len;
                            ni += 1;
                            continue;
                        }
                    } else if n[ni] == '[' {
                        pi += 1;
                        ni += 1;
                        continue;
                    }
                }
                '\\' if pi + 1 < p.len() => {
                    if p[pi + 1] == n[ni] {
                        pi += 2;
                        ni += 1;
                        continue;
                    }
                }
                c => {
                    if c == n[ni] {
                        pi += 1;
                        ni += 1;
                        continue;
                    }
                }
            }
        }
        match star {
            Some((sp, sn)) => {
                pi = sp + 1;
                ni = sn + 1;
                star = Some((sp, sn + 1));
            }
            None => return false,
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

/// A `[...]` class at the start of `p`: (matches, pattern length), or None if unterminated.
fn class(p: &[char], c: char) -> Option<(bool, usize)> {
    let mut i = 1;
    let negate = i < p.len() && (p[i] == '!' || p[i] == '^');
    if negate {
        i += 1;
    }
    let mut matched = false;
    let mut first = true;
    while i < p.len() {
        if p[i] == ']' && !first {
            return Some((matched != negate, i + 1));
        }
        first = false;
        if i + 2 < p.len() && p[i + 1] == '-' && p[i + 2] != ']' {
            if p[i] <= c && c <= p[i + 2] {
                matched = true;
            }
            i += 3;
        } else {
            if p[i] == c {
                matched = true;
            }
            i += 1;
        }
    }
    None
}

/// The files of an `nginx -T` dump, by the name nginx printed.
#[derive(Debug, Clone, Default)]
pub struct Dump {
    /// The first file of the dump: the main configuration.
    pub main: String,
    files: BTreeMap<String, String>,
}

const HEADER: &str = "# configuration file ";

impl Dump {
    /// Splits `nginx -T` output into its files. nginx writes each file as
    /// `# configuration file NAME:` + its bytes + one extra newline; lines before the first
    /// header (`nginx: the configuration file … syntax is ok`) are ignored.
    pub fn parse(text: &str, label: &str) -> Result<Dump, NginxError> {
        let mut files = BTreeMap::new();
        let mut main = None;
        let mut current: Option<(String, usize)> = None;
        let mut offset = 0;
        let mut sections: Vec<(String, usize, usize)> = Vec::new();
        for line in text.split_inclusive('\n') {
            let bare = line.trim_end_matches(['\n', '\r']);
            if let Some(rest) = bare.strip_prefix(HEADER) {
                if let Some(name) = rest.strip_suffix(':') {
                    if let Some((n, start)) = current.take() {
                        sections.push((n, start, offset));
                    }
                    current = Some((name.to_string(), offset + line.len()));
                }
            }
            offset += line.len();
        }
        if let Some((n, start)) = current.take() {
            sections.push((n, start, text.len()));
        }
        for (name, start, end) in sections {
            let mut body = &text[start..end];
            // The newline nginx adds after each file's contents.
            body = body.strip_suffix('\n').unwrap_or(body);
            if main.is_none() {
                main = Some(name.clone());
            }
            files.entry(name).or_insert_with(|| body.to_string());
        }
        match main {
            Some(main) => Ok(Dump { main, files }),
            None => Err(NginxError::BadDump {
                path: label.to_string(),
                reason:
                    "no `# configuration file NAME:` section (is this the output of `nginx -T`?)"
                        .into(),
            }),
        }
    }

    /// Whether the text looks like `nginx -T` output rather than one configuration file.
    pub fn looks_like_dump(text: &str) -> bool {
        text.lines()
            .take_while(|l| l.starts_with("nginx: ") || l.starts_with(HEADER) || l.is_empty())
            .any(|l| l.starts_with(HEADER) && l.ends_with(':'))
    }

    pub fn files(&self) -> impl Iterator<Item = &str> {
        self.files.keys().map(String::as_str)
    }
}

impl Source for Dump {
    fn read(&self, path: &str) -> Result<String, String> {
        self.files
            .get(path)
            .cloned()
            .ok_or_else(|| "2: No such file or directory (not in the dump)".to_string())
    }

    fn glob(&self, pattern: &str) -> Vec<String> {
        let pp: Vec<&str> = pattern.split('/').collect();
        let mut out: Vec<String> = self
            .files
            .keys()
            .filter(|name| {
                let np: Vec<&str> = name.split('/').collect();
                np.len() == pp.len() && pp.iter().zip(&np).all(|(p, n)| fnmatch(p, n))
            })
            .cloned()
            .collect();
        out.sort();
        out
    }
}

/// A single text (standard input) plus the file system for what it includes.
pub struct Stdin {
    pub name: String,
    pub text: String,
}

impl Source for Stdin {
    fn read(&self, path: &str) -> Result<String, String> {
        if path == self.name {
            Ok(self.text.clone())
        } else {
            Disk.read(path)
        }
    }
    fn glob(&self, pattern: &str) -> Vec<String> {
        Disk.glob(pattern)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnmatch_follows_glob_rules() {
        assert!(fnmatch("*.conf", "a.conf"));
        assert!(!fnmatch("*.conf", ".hidden.conf"));
        assert!(!fnmatch("*.conf", "a.conf.disabled"));
        assert!(fnmatch("[0-9]*-?.conf", "10-a.conf"));
        assert!(!fnmatch("[!0-9]*", "1x"));
        assert!(fnmatch("*", "x"));
        assert!(fnmatch("a*b*c", "aXbYbc"));
    }

    #[test]
    fn dump_sections_keep_names_and_bodies() {
        let t = "nginx: the configuration file /e/n.conf syntax is ok\n# configuration file /e/n.conf:\nhttp {\n include /e/a/*.conf;\n}\n\n# configuration file /e/a/x.conf:\nserver {}\n\n";
        let d = Dump::parse(t, "dump").unwrap();
        assert_eq!(d.main, "/e/n.conf");
        assert_eq!(
            d.read("/e/n.conf").unwrap(),
            "http {\n include /e/a/*.conf;\n}\n"
        );
        assert_eq!(d.glob("/e/a/*.conf"), vec!["/e/a/x.conf".to_string()]);
        assert!(Dump::looks_like_dump(t));
        assert!(Dump::parse("events {}", "x").is_err());
    }
}
