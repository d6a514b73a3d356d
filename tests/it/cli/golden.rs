//! The exact bytes of the reports for the bundled example: what lands in a ticket or a CI log.
//! After an intended change, regenerate with `WSAUDIT_UPDATE_GOLDEN=1 cargo test --test it cli::golden`
//! and review the diff.

use crate::support::run::*;

fn check(name: &str, args: &[&str]) {
    let r = wsaudit(args);
    let path = repo().join("tests/golden").join(name);
    if std::env::var_os("WSAUDIT_UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, &r.stdout).unwrap();
    }
    let want = std::fs::read_to_string(&path).unwrap_or_else(|_| {
        panic!(
            "{} missing: run with WSAUDIT_UPDATE_GOLDEN=1",
            path.display()
        )
    });
    assert!(
        r.stdout == want,
        "{name} differs from the golden file\n--- got ---\n{}",
        r.stdout
    );
}

#[test]
fn markdown_bytes() {
    check(
        "incident.md",
        &[
            "audit",
            &example(),
            "--format",
            "markdown",
            "--heartbeat",
            "25s",
        ],
    );
}

#[test]
fn table_bytes() {
    check(
        "incident.table.txt",
        &["audit", &example(), "--heartbeat", "25s"],
    );
}

#[test]
fn junit_bytes() {
    check(
        "incident.junit.xml",
        &[
            "audit",
            &example(),
            "--format",
            "junit",
            "--heartbeat",
            "25s",
        ],
    );
}
