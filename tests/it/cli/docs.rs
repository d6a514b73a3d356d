//! The tool documents itself from one source: rule metadata and the clap definition.

use crate::support::run::*;

#[test]
fn readme_rule_table_is_generated_from_the_metadata() {
    let r = wsaudit(&["rules", "--format", "markdown"]);
    assert_eq!(r.code, 0);
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let start = readme
        .find("<!-- rules:begin -->\n")
        .expect("README has the rules:begin marker")
        + "<!-- rules:begin -->\n".len();
    let end = readme
        .find("<!-- rules:end -->")
        .expect("README has the rules:end marker");
    assert!(
        readme[start..end] == r.stdout,
        "README's rule table differs from `wsaudit rules --format markdown`; paste its output between the markers"
    );
}

#[test]
fn every_rule_explains_itself() {
    let rules: Vec<serde_json::Value> =
        serde_json::from_str(&wsaudit(&["rules", "--format", "json"]).stdout).unwrap();
    assert!(!rules.is_empty());
    for rule in rules {
        let id = rule["id"].as_str().unwrap();
        let r = wsaudit(&["explain", id]);
        assert_eq!(r.code, 0, "{id}");
        assert!(
            r.stdout.starts_with(&format!("{id}: ")),
            "{id}: {}",
            r.stdout
        );
        for section in ["Why it breaks WebSockets:", "Fix:", "Example:"] {
            assert!(r.stdout.contains(section), "{id} lacks {section}");
        }
        let md = wsaudit(&["explain", id, "--format", "markdown"]);
        assert!(md.stdout.starts_with(&format!("## {id}: ")));
    }
}

#[test]
fn unknown_rule_lists_close_matches() {
    let r = wsaudit(&["explain", "WS4O1"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr
            .contains("unknown rule id `WS4O1`; did you mean WS401"),
        "{}",
        r.stderr
    );
    let r = wsaudit(&["explain", "nothing-like-it"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("see `wsaudit rules`"), "{}", r.stderr);
}

#[test]
fn rules_refuses_formats_it_cannot_print() {
    let r = wsaudit(&["rules", "--format", "sarif"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("table, json or markdown"), "{}", r.stderr);
}

#[test]
fn completions_and_man_page_come_from_the_cli_definition() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let r = wsaudit(&["completions", shell]);
        assert_eq!(r.code, 0, "{shell}");
        assert!(
            r.stdout.contains("audit") && r.stdout.contains("fail-on"),
            "{shell}"
        );
    }
    let man = wsaudit(&["man"]);
    assert_eq!(man.code, 0);
    assert!(man.stdout.contains(".TH wsaudit 1"));
    assert!(man.stdout.contains("fail\\-on"));
    let bad = wsaudit(&["completions", "tcsh"]);
    assert_eq!(bad.code, 2, "clap usage errors are exit 2");
}

#[test]
fn usage_errors_are_exit_2() {
    assert_eq!(wsaudit(&["audit"]).code, 2);
    assert_eq!(
        wsaudit(&["audit", "x.json", "--fail-on", "sometimes"]).code,
        2
    );
    assert_eq!(wsaudit(&["frobnicate"]).code, 2);
}

/// Every `service:Action` named in a text, in order of appearance, without repeats.
fn iam_actions(text: &str) -> Vec<String> {
    let re =
        regex::Regex::new(r"\b(elasticloadbalancing|cloudfront|route53):[A-Z][A-Za-z]+").unwrap();
    let mut out: Vec<String> = Vec::new();
    for m in re.find_iter(text) {
        if !out.iter().any(|a| a == m.as_str()) {
            out.push(m.as_str().to_string());
        }
    }
    out
}

/// `path` if it is a Rust file, else every Rust file under it, sorted.
fn rust_files(path: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    if path.is_file() {
        out.push(path.to_path_buf());
        return;
    }
    let mut entries: Vec<_> = std::fs::read_dir(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() || p.extension().is_some_and(|x| x == "rs") {
            rust_files(&p, out);
        }
    }
}

/// The IAM policy users paste (README and docs) grants exactly the actions the AWS providers
/// call: a call added without its permission would fail as AccessDenied in every real account.
#[test]
fn readme_iam_policy_lists_exactly_the_actions_the_code_calls() {
    let mut called: Vec<String> = Vec::new();
    // Every file of the AWS providers, so a provider split into more files stays covered.
    let mut files = Vec::new();
    for part in [
        "src/providers/alb",
        "src/providers/cloudfront",
        "src/providers/route53.rs",
    ] {
        rust_files(&repo().join(part), &mut files);
    }
    assert!(files.len() >= 3, "{files:?}");
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        for a in iam_actions(&text) {
            if !called.contains(&a) {
                called.push(a);
            }
        }
    }
    called.sort();
    assert!(called.len() >= 13, "{called:?}");
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let policy_start = readme
        .find("\"Version\": \"2012-10-17\"")
        .expect("README has the policy");
    let policy_end = policy_start + readme[policy_start..].find("```").unwrap();
    let mut in_readme = iam_actions(&readme[policy_start..policy_end]);
    in_readme.sort();
    assert_eq!(in_readme, called, "README's IAM policy");
    let doc = std::fs::read_to_string(repo().join("docs/aws-iam-policy.md")).unwrap();
    let doc_policy = &doc[doc.find("```json").unwrap()..];
    let doc_policy = &doc_policy[..doc_policy[7..].find("```").unwrap()];
    let mut in_doc = iam_actions(doc_policy);
    in_doc.sort();
    assert_eq!(in_doc, called, "docs/aws-iam-policy.md's policy");
}
