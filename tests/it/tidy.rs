//! Tidy checks: the invariants ARCHITECTURE.md states, enforced on the source text so that a
//! change breaking one fails here with the file and line, not later in review.

use crate::support::repo;
use regex::Regex;
use std::path::{Path, PathBuf};

/// Every `.rs` file under `dir`, sorted, as paths relative to the repository.
fn rust_files(dir: &str) -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                if p.file_name().is_some_and(|n| n == "target") {
                    continue;
                }
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    let mut out = Vec::new();
    walk(&repo().join(dir), &mut out);
    out.sort();
    out.into_iter()
        .map(|p| p.strip_prefix(repo()).unwrap().to_path_buf())
        .collect()
}

/// The file's lines with `//` comments blanked: an invariant is about code, and doc comments
/// are free to name the modules they must not use.
fn code_lines(path: &Path) -> Vec<(usize, String)> {
    let text = std::fs::read_to_string(repo().join(path)).unwrap();
    text.lines()
        .enumerate()
        .map(|(i, l)| {
            let code = match l.find("//") {
                Some(at) => &l[..at],
                None => l,
            };
            (i + 1, code.to_string())
        })
        .collect()
}

/// `file:line: text` for every code line under `dirs` matching `pattern`, except in `allowed`
/// files.
fn offences(dirs: &[&str], pattern: &str, allowed: &[&str]) -> Vec<String> {
    let re = Regex::new(pattern).unwrap();
    let mut out = Vec::new();
    for dir in dirs {
        for file in rust_files(dir) {
            let name = file.to_string_lossy().replace('\\', "/");
            if allowed.iter().any(|a| name.starts_with(a)) {
                continue;
            }
            for (line, code) in code_lines(&file) {
                if re.is_match(&code) {
                    out.push(format!("{name}:{line}: {}", code.trim()));
                }
            }
        }
    }
    out
}

fn assert_none(what: &str, found: Vec<String>) {
    assert!(found.is_empty(), "{what}:\n{}", found.join("\n"));
}

/// A path into the crate naming one of `modules`, written out (`crate::policy::…`) or inside a
/// grouped import (`use crate::{model, policy}`).
fn crate_path_to(modules: &[&str]) -> String {
    let alt = modules.join("|");
    format!(r"crate::({alt})\b|use crate::\{{[^}}]*\b({alt})\b")
}

#[test]
fn providers_never_judge_or_format() {
    assert_none(
        "src/providers must not use the rule pack, reports, commands or the CLI",
        offences(
            &["src/providers"],
            &crate_path_to(&["policy", "report", "commands", "cli", "discover"]),
            &[],
        ),
    );
}

#[test]
fn the_model_imports_nothing_from_the_crate() {
    assert_none(
        "src/model must import nothing from the rest of the crate",
        offences(&["src/model"], r"crate::(\{|[a-z_]+)", &[])
            .into_iter()
            .filter(|o| !Regex::new(r"crate::model\b").unwrap().is_match(o))
            .collect(),
    );
}

#[test]
fn reports_never_do_io() {
    assert_none(
        "src/report renders into strings or a caller's writer; it opens, prints and connects nothing",
        offences(
            &["src/report"],
            r"std::(fs|net|process|env)\b|\bFile::|\b(e?print(ln)?)!|\b(stdout|stderr|stdin)\(\)|\btokio::|\breqwest::",
            &[],
        ),
    );
}

#[test]
fn only_commands_read_the_environment() {
    assert_none(
        "the environment is read in src/commands only (providers get values passed in)",
        offences(
            &["src"],
            r"\benv::(var|var_os|vars|vars_os|args|args_os|current_dir|home_dir)\b|use std::env\b",
            &["src/commands/", "src/main.rs"],
        ),
    );
}

#[test]
fn every_source_file_says_what_it_holds() {
    let mut missing = Vec::new();
    for dir in ["src", "tests/it", "benches", "examples", "fuzz"] {
        for file in rust_files(dir) {
            let text = std::fs::read_to_string(repo().join(&file)).unwrap();
            if !text.trim_start().starts_with("//!") {
                missing.push(file.display().to_string());
            }
        }
    }
    assert_none(
        "every source file opens with a //! comment saying what it holds",
        missing,
    );
}

/// The checks above must be able to fail: each pattern catches the line it exists for.
#[test]
fn the_tidy_patterns_catch_what_they_forbid() {
    let providers = Regex::new(&crate_path_to(&["policy", "report"])).unwrap();
    assert!(providers.is_match("use crate::policy::Finding;"));
    assert!(providers.is_match("use crate::{model::Layer, report};"));
    assert!(!providers.is_match("use crate::model::Layer;"));
    let env = Regex::new(r"\benv::(var|var_os)\b").unwrap();
    assert!(env.is_match(r#"let t = std::env::var("CLOUDFLARE_API_TOKEN");"#));
    assert!(!env.is_match("let e = environment::variable();"));
}
