//! Directive inheritance: a location sees the directives of the `http`, `server` and
//! enclosing `location` levels, resolved the way nginx merges them. Scalars come from the
//! nearest level that sets them; array-like directives (`proxy_set_header`, `add_header`,
//! `access_log`) come from the nearest level that has *any* of them, so one
//! `proxy_set_header` in a location silently drops every inherited one.

use super::tree::Dir;

/// The levels a location inherits from, outermost (`http`) first.
#[derive(Debug, Clone)]
pub struct Scope<'s, 'a> {
    pub levels: Vec<(&'static str, &'s [Dir<'a>])>,
}

impl<'s, 'a> Scope<'s, 'a> {
    /// The directive that supplies a scalar, if any level sets it.
    pub fn scalar(&self, name: &str) -> Option<Dir<'a>> {
        self.levels
            .iter()
            .rev()
            .find_map(|(_, l)| l.iter().find(|d| d.name() == name).copied())
    }

    /// The directives that make up an array-like setting, and the level they come from.
    pub fn array(&self, name: &str) -> Option<(Vec<Dir<'a>>, &'static str)> {
        for (kind, l) in self.levels.iter().rev() {
            let found: Vec<Dir<'a>> = l.iter().filter(|d| d.name() == name).copied().collect();
            if !found.is_empty() {
                return Some((found, kind));
            }
        }
        None
    }

    /// The same array-like directive at outer levels that the nearest one replaces: what a
    /// user expected to inherit.
    pub fn shadowed(&self, name: &str) -> Vec<Dir<'a>> {
        let mut seen_inner = false;
        let mut out = Vec::new();
        for (_, l) in self.levels.iter().rev() {
            let found: Vec<Dir<'a>> = l.iter().filter(|d| d.name() == name).copied().collect();
            if found.is_empty() {
                continue;
            }
            if seen_inner {
                out.extend(found);
            }
            seen_inner = true;
        }
        out
    }

    /// The last `set $name …` that runs for the request: server level first, then locations.
    pub fn set_var(&self, name: &str) -> Option<Dir<'a>> {
        self.levels.iter().rev().find_map(|(kind, l)| {
            if *kind == "http" {
                return None;
            }
            l.iter()
                .rev()
                .find(|d| {
                    d.name() == "set" && d.arg(0).map(|v| v.trim_start_matches('$')) == Some(name)
                })
                .copied()
        })
    }
}
