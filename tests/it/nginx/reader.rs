//! The reader against the real tools: every fixture passes `nginx -t`, and `wsaudit`'s parse
//! equals `crossplane parse` byte for byte on every fixture and on a generated corpus; broken
//! configurations fail with nginx-like errors pointing at file:line:col (and nginx -t rejects
//! them too).

use crate::support;

use std::process::Command;
use support::*;
use wsaudit::providers::nginx::{crossplane_payload, read_config, Config, Disk, Input, NginxError};

#[test]
fn every_fixture_passes_nginx_t() {
    let Some(nginx) = nginx() else { return };
    let fx = fixtures();
    assert!(fx.len() >= 7, "fixtures missing: {fx:?}");
    for f in fx {
        let dir = stage(&f);
        let (ok, err) = nginx_t(&nginx, &dir.path().join("nginx.conf"), dir.path());
        assert!(ok, "{}: nginx -t failed: {err}", f.display());
    }
}

#[test]
fn parse_equals_crossplane_on_every_fixture() {
    let Some(cp) = crossplane() else { return };
    let mut files: Vec<_> = fixtures()
        .into_iter()
        .map(|d| d.join("nginx.conf"))
        .collect();
    files.push(repo().join("tests/fixtures/nginx-crossplane-only/lua/nginx.conf"));
    for f in files {
        let path = f.to_string_lossy().to_string();
        let cfg = Config::read(&Disk, &path).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            crossplane_payload(&cfg),
            crossplane_parse(&cp, &path),
            "{path}"
        );
    }
}

#[test]
fn parse_equals_crossplane_on_a_generated_corpus() {
    let Some(cp) = crossplane() else { return };
    let dir = tempfile::tempdir().unwrap();
    let corpus = nginx_corpus::write(
        dir.path(),
        &nginx_corpus::Options {
            servers: 200,
            seed: 1,
            certs: true,
        },
    )
    .unwrap();
    assert!(
        corpus.websocket_locations > 20,
        "{}",
        corpus.websocket_locations
    );
    let main = dir.path().join("nginx.conf").to_string_lossy().to_string();
    let cfg = Config::read(&Disk, &main).unwrap();
    assert!(
        cfg.files.len() > 100,
        "includes not followed: {}",
        cfg.files.len()
    );
    assert_eq!(crossplane_payload(&cfg), crossplane_parse(&cp, &main));
    if let Some(nginx) = nginx() {
        let (ok, err) = nginx_t(&nginx, std::path::Path::new(&main), dir.path());
        assert!(ok, "the generated corpus fails nginx -t: {err}");
    }
}

fn error_of(rel: &str) -> (NginxError, String) {
    let f = repo().join("tests/fixtures/nginx-errors").join(rel);
    let path = f.to_string_lossy().to_string();
    let e = Config::read(&Disk, &path).expect_err("must not read");
    (e, path)
}

#[test]
fn broken_configurations_fail_with_file_line_col() {
    let cases = [
        (
            "unbalanced.conf",
            "",
            6,
            "unexpected end of file, expecting \"}\"",
        ),
        (
            "unterminated.conf",
            "",
            4,
            "unexpected end of file, expecting \" to close the string",
        ),
        ("extra-brace.conf", "", 7, "unexpected \"}\""),
        (
            "missing-include.conf",
            "",
            3,
            "missing.conf\" failed (2: No such file or directory)",
        ),
        ("cycle/nginx.conf", "b.conf", 1, "include cycle:"),
    ];
    for (rel, file_suffix, line, text) in cases {
        let (e, path) = error_of(rel);
        let msg = e.to_string();
        let expect_file = if file_suffix.is_empty() {
            path.clone()
        } else {
            format!("{}/{file_suffix}", path.rsplit_once('/').unwrap().0)
        };
        assert!(
            msg.starts_with(&format!("{expect_file}:{line}:")),
            "{rel}: {msg}"
        );
        assert!(msg.contains(text), "{rel}: {msg}");
    }
    let (e, _) = error_of("cycle/nginx.conf");
    assert!(e.to_string().contains("a.conf -> "), "{e}");
}

#[test]
fn nginx_t_also_rejects_the_broken_configurations() {
    let Some(nginx) = nginx() else { return };
    for rel in [
        "unbalanced.conf",
        "unterminated.conf",
        "extra-brace.conf",
        "missing-include.conf",
    ] {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("logs")).unwrap();
        let conf = dir.path().join("nginx.conf");
        std::fs::copy(repo().join("tests/fixtures/nginx-errors").join(rel), &conf).unwrap();
        let (ok, _) = nginx_t(&nginx, &conf, dir.path());
        assert!(!ok, "{rel} should fail nginx -t");
    }
}

#[test]
fn unreadable_main_file_is_an_error_not_an_empty_config() {
    let e = read_config(&Input::File("/nonexistent/wsaudit/nginx.conf".into())).unwrap_err();
    assert_eq!(
        e.to_string(),
        "open() \"/nonexistent/wsaudit/nginx.conf\" failed (2: No such file or directory)"
    );
}

#[test]
fn includes_follow_nginx_order_and_an_empty_glob_is_fine() {
    let main = repo().join("tests/fixtures/nginx/includes/nginx.conf");
    let cfg = Config::read(&Disk, &main.to_string_lossy()).unwrap();
    let names: Vec<String> = cfg
        .files
        .iter()
        .map(|f| f.path.rsplit('/').next().unwrap().to_string())
        .collect();
    assert_eq!(
        names,
        [
            "nginx.conf",
            "10-upstream.conf",
            "20-site.conf",
            "websocket.conf"
        ]
    );
}

#[test]
fn nginx_dump_keeps_original_file_names_and_lines() {
    let Some(nginx) = nginx() else { return };
    let dir = stage(&repo().join("tests/fixtures/nginx/includes"));
    let conf = dir.path().join("nginx.conf");
    let out = Command::new(&nginx)
        .args(["-T", "-q", "-c"])
        .arg(&conf)
        .arg("-p")
        .arg(format!("{}/", dir.path().display()))
        .args(["-e", "stderr"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let dump = dir.path().join("dump.txt");
    std::fs::write(&dump, &out.stdout).unwrap();
    let from_dump = read_config(&Input::Dump(dump.to_string_lossy().to_string())).unwrap();
    let from_disk = read_config(&Input::File(conf.to_string_lossy().to_string())).unwrap();
    assert_eq!(
        crossplane_payload(&from_dump),
        crossplane_payload(&from_disk)
    );
}

#[test]
fn a_dump_without_sections_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("d.txt");
    std::fs::write(&p, "events {}\n").unwrap();
    let e = read_config(&Input::Dump(p.to_string_lossy().to_string())).unwrap_err();
    assert!(matches!(e, NginxError::BadDump { .. }), "{e}");
}
