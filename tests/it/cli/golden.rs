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

/// What a person sees: the table report run in a real terminal (tmux) `columns` wide, the
/// screen captured as tmux draws it (long lines wrapped where the terminal wraps them).
fn on_terminal(columns: u16) -> Option<String> {
    let tmux = crate::support::tmux()?;
    let socket = format!("wsaudit-golden-{}-{columns}", std::process::id());
    let done = "__wsaudit_done__";
    // `exec cat` keeps the pane open (and its screen readable) after wsaudit exits.
    let script = format!(
        "'{}' audit '{}' --heartbeat 25s --color never; printf '{done}'; exec cat",
        env!("CARGO_BIN_EXE_wsaudit"),
        example()
    );
    let tmux_cmd = |args: &[&str]| {
        std::process::Command::new(&tmux)
            .args(["-L", &socket, "-f", "/dev/null"])
            .args(args)
            .env_remove("NO_COLOR")
            .env("TERM", "xterm-256color")
            .output()
            .expect("tmux runs")
    };
    let width = columns.to_string();
    let started = tmux_cmd(&[
        "new-session",
        "-d",
        "-x",
        &width,
        "-y",
        "200",
        "-c",
        repo().to_str().unwrap(),
        &script,
    ]);
    assert!(started.status.success(), "{started:?}");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let screen = loop {
        let cap = tmux_cmd(&["capture-pane", "-p", "-t", "0"]);
        let text = String::from_utf8_lossy(&cap.stdout).to_string();
        if text.contains(done) {
            break text;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "wsaudit did not finish in the terminal:\n{text}"
        );
        std::thread::yield_now();
    };
    tmux_cmd(&["kill-server"]);
    let mut lines: Vec<&str> = screen.lines().map(str::trim_end).collect();
    let end = lines.iter().position(|l| l.contains(done)).unwrap();
    lines.truncate(end);
    Some(lines.join("\n") + "\n")
}

fn check_terminal(columns: u16) {
    let Some(screen) = on_terminal(columns) else {
        return;
    };
    let name = format!("incident.terminal-{columns}.txt");
    let path = repo().join("tests/golden").join(&name);
    if std::env::var_os("WSAUDIT_UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, &screen).unwrap();
    }
    let want = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        screen == want,
        "{name} differs from the golden file\n--- got ---\n{screen}"
    );
    // Every finding reads as one headline with its `at:` and `fix:` lines, on a screen that
    // wraps nothing but the commands that must paste whole.
    assert!(screen.contains("MEDIUM WS201 alb: cuts idle WebSockets after 60 s"));
    assert!(screen.contains("  fix: aws elbv2 modify-load-balancer-attributes"));
}

#[test]
fn terminal_at_80_columns() {
    check_terminal(80);
}

#[test]
fn terminal_at_120_columns() {
    check_terminal(120);
}
