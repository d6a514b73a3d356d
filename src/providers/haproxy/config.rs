//! The parsed file as HAProxy applies it: each proxy section (frontend, backend, listen) with
//! the defaults section it inherits from (`from NAME`, else the last `defaults` above it), and
//! the effective directive for a keyword: the section's own last one, else its defaults'.

use super::error::HaproxyError;
use super::parser::{Directive, ParsedFile, Section};

pub struct Config {
    pub file: String,
    pub sections: Vec<Section>,
}

/// A proxy section with the chain of defaults it inherits from, nearest first.
#[derive(Clone, Copy)]
pub struct Proxy<'c> {
    pub section: &'c Section,
    pub defaults: Option<&'c Section>,
    cfg: &'c Config,
}

impl Config {
    pub fn new(parsed: ParsedFile) -> Result<Config, HaproxyError> {
        let cfg = Config {
            file: parsed.file,
            sections: parsed.sections,
        };
        for s in &cfg.sections {
            if let Some(from) = &s.from {
                if cfg.named_defaults(from).is_none() {
                    return Err(HaproxyError::Syntax {
                        file: cfg.file.clone(),
                        line: s.line,
                        col: 1,
                        message: format!(
                            "{} inherits from unknown defaults section '{from}'",
                            s.kind
                        ),
                    });
                }
            }
        }
        Ok(cfg)
    }

    fn named_defaults(&self, name: &str) -> Option<&Section> {
        self.sections
            .iter()
            .find(|s| s.kind == "defaults" && s.name.as_deref() == Some(name))
    }

    /// The defaults section `index` inherits from.
    fn defaults_of(&self, index: usize) -> Option<&Section> {
        let s = &self.sections[index];
        if let Some(from) = &s.from {
            return self.named_defaults(from);
        }
        self.sections[..index]
            .iter()
            .rev()
            .find(|d| d.kind == "defaults")
    }

    pub fn proxies(&self) -> impl Iterator<Item = Proxy<'_>> {
        self.sections
            .iter()
            .enumerate()
            .filter(|(_, s)| matches!(s.kind.as_str(), "frontend" | "backend" | "listen"))
            .map(|(i, s)| Proxy {
                section: s,
                defaults: self.defaults_of(i),
                cfg: self,
            })
    }

    pub fn proxy(&self, name: &str, backend: bool) -> Option<Proxy<'_>> {
        self.proxies().find(|p| {
            p.section.name.as_deref() == Some(name)
                && match p.section.kind.as_str() {
                    "listen" => true,
                    "backend" => backend,
                    _ => !backend,
                }
        })
    }

    pub fn global(&self) -> Option<&Section> {
        self.sections.iter().find(|s| s.kind == "global")
    }
}

impl<'c> Proxy<'c> {
    pub fn name(&self) -> &'c str {
        self.section.name.as_deref().unwrap_or("")
    }

    pub fn file(&self) -> &'c str {
        &self.cfg.file
    }

    /// The effective directive whose first words are `key` (`["timeout", "tunnel"]`): the
    /// section's last, else inherited from its defaults (and theirs).
    pub fn get(&self, key: &[&str]) -> Option<&'c Directive> {
        let own = last(self.section, key);
        if own.is_some() {
            return own;
        }
        let mut d = self.defaults;
        let mut seen = 0;
        while let Some(sec) = d {
            if let Some(found) = last(sec, key) {
                return Some(found);
            }
            // Defaults may inherit from named defaults too; a cycle cannot hang the reader.
            seen += 1;
            if seen > 16 {
                return None;
            }
            d = sec.from.as_deref().and_then(|f| self.cfg.named_defaults(f));
        }
        None
    }

    /// Whether `option NAME` is in effect (`no option NAME` later turns it off).
    pub fn option(&self, name: &str) -> Option<(bool, &'c Directive)> {
        let pick = |sec: &'c Section| {
            sec.dirs.iter().rev().find_map(|d| {
                let w: Vec<&str> = d.words.iter().map(String::as_str).collect();
                match w.as_slice() {
                    ["option", n, ..] if *n == name => Some((true, d)),
                    ["no", "option", n, ..] if *n == name => Some((false, d)),
                    _ => None,
                }
            })
        };
        pick(self.section).or_else(|| self.defaults.and_then(pick))
    }

    /// Every directive named `name` in the section itself (rules are not inherited, apart
    /// from what `defaults` documents per keyword).
    pub fn all<'n>(&self, name: &'n str) -> impl Iterator<Item = &'c Directive> + 'n
    where
        'c: 'n,
    {
        self.section.dirs.iter().filter(move |d| d.name() == name)
    }

    /// `mode http` or `mode tcp` (HAProxy's default is tcp).
    pub fn mode(&self) -> (&'c str, Option<&'c Directive>) {
        match self.get(&["mode"]) {
            Some(d) => (d.arg(0).unwrap_or("tcp"), Some(d)),
            None => ("tcp", None),
        }
    }
}

fn last<'c>(sec: &'c Section, key: &[&str]) -> Option<&'c Directive> {
    sec.dirs
        .iter()
        .rev()
        .find(|d| d.words.len() >= key.len() && d.words.iter().zip(key).all(|(w, k)| w == k))
}
