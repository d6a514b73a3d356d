//! The nginx layer as the rule pack sees it: each broken fixture produces the findings a user
//! relies on, pointing at the line to change; the good fixture produces none.

use crate::support;

use support::repo;
use wsaudit::commands::single_layer_chain;
use wsaudit::model::Seconds;
use wsaudit::policy::{Config as PolicyConfig, Finding, RulePack};
use wsaudit::providers::nginx::{read_config, route, Input, NginxVersion, Query, VersionSource};

fn findings(fixture: &str, host: &str, path: &str, heartbeat: Option<f64>) -> Vec<Finding> {
    let p = repo()
        .join("tests/fixtures/nginx")
        .join(fixture)
        .join("nginx.conf");
    let cfg = read_config(&Input::File(p.to_string_lossy().to_string())).unwrap();
    let q = Query {
        host: host.into(),
        path: path.into(),
        port: None,
    };
    let v = VersionSource::Given(NginxVersion(1, 22, 1));
    let layer = route(&cfg, &q, &v).unwrap().layer;
    let chain = single_layer_chain(layer, host, path, heartbeat.map(Seconds));
    let mut pack = RulePack::load(None).unwrap();
    pack.evaluate(&chain, &PolicyConfig::default())
        .unwrap()
        .findings
}

fn rules(f: &[Finding]) -> Vec<&str> {
    let mut v: Vec<&str> = f.iter().map(|x| x.rule.as_str()).collect();
    v.sort();
    v.dedup();
    v
}

#[test]
fn a_correct_websocket_location_has_no_findings() {
    let f = findings("good", "ws.example.com", "/ws/", Some(25.0));
    assert!(f.is_empty(), "{:#?}", f);
}

#[test]
fn the_inheritance_trap_is_reported_at_the_line_that_caused_it() {
    let f = findings("inherit", "ws.example.com", "/ws/", Some(25.0));
    let ws101 = f.iter().find(|x| x.rule == "WS101").expect("WS101");
    let loc = ws101.locator.as_ref().unwrap();
    assert!(loc.target.ends_with("inherit/nginx.conf"));
    assert_eq!(loc.line, Some(19));
    assert!(rules(&f).contains(&"WS102"), "{:?}", rules(&f));
}

#[test]
fn the_keepalive_recipe_on_a_websocket_path_is_ws102() {
    let f = findings("keepalive_recipe", "ws.example.com", "/ws/", Some(25.0));
    let ws102 = f.iter().find(|x| x.rule == "WS102").expect("WS102");
    assert_eq!(ws102.locator.as_ref().unwrap().line, Some(18));
    // least_conn over two servers: no stickiness. gzip on: WS602.
    let r = rules(&f);
    assert!(r.contains(&"WS301") && r.contains(&"WS602"), "{r:?}");
}

#[test]
fn defaults_that_break_websockets_are_reported() {
    // No proxy_http_version, no Connection, 60 s default read timeout, no heartbeat.
    let f = findings("versions", "ws.example.com", "/ws/", None);
    let r = rules(&f);
    for id in ["WS102", "WS103", "WS201", "WS202"] {
        assert!(r.contains(&id), "{id} missing from {r:?}");
    }
}

#[test]
fn an_included_snippet_is_the_locator_of_its_finding() {
    // 45 s from snippets/websocket.conf line 5 is below the 300 s baseline.
    let f = findings("includes", "ws.example.com", "/ws/", Some(25.0));
    let ws201 = f.iter().find(|x| x.rule == "WS201").expect("WS201");
    let loc = ws201.locator.as_ref().unwrap();
    assert!(
        loc.target.ends_with("snippets/websocket.conf"),
        "{}",
        loc.target
    );
    assert_eq!(loc.line, Some(5));
}

/// The generated corpus labels each WebSocket location with the mistake it holds (a comment
/// `# websocket endpoint (variant)` above it): every label must produce its rule, and the
/// correct variants none of the upgrade rules.
#[test]
fn every_websocket_variant_of_a_generated_corpus_gets_its_finding() {
    use std::collections::HashMap;
    let (_dir, layers) = corpus(300);
    let mut labels: HashMap<(String, String), String> = HashMap::new();
    let mut pack = RulePack::load(None).unwrap();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for layer in layers {
        let file = layer.locator.clone().unwrap();
        let pattern = layer.name.rsplit(" location ").next().unwrap().to_string();
        if !labels.keys().any(|(f, _)| *f == file) {
            let text = std::fs::read_to_string(&file).unwrap();
            let lines: Vec<&str> = text.lines().collect();
            for w in lines.windows(2) {
                if let Some(rest) = w[0].trim().strip_prefix("# websocket endpoint (") {
                    let variant = rest.trim_end_matches(')').to_string();
                    let loc = w[1]
                        .trim()
                        .trim_start_matches("location ")
                        .trim_end_matches(" {");
                    labels.insert((file.clone(), loc.to_string()), variant);
                }
            }
            labels.insert((file.clone(), String::new()), String::new());
        }
        let Some(variant) = labels.get(&(file.clone(), pattern.clone())).cloned() else {
            continue;
        };
        let chain = single_layer_chain(layer, "corpus", "/", Some(Seconds(25.0)));
        let f = pack
            .evaluate(&chain, &PolicyConfig::default())
            .unwrap()
            .findings;
        let r = rules(&f);
        let expect: &[&str] = match variant.as_str() {
            "missing_upgrade" => &["WS101"],
            "missing_connection" | "connection_keepalive" => &["WS102"],
            "missing_http_version" => &["WS103"],
            _ => &[],
        };
        for id in expect {
            assert!(
                r.contains(id),
                "{file} {pattern} ({variant}): {id} missing from {r:?}"
            );
        }
        if expect.is_empty() {
            for id in ["WS101", "WS102", "WS103"] {
                assert!(
                    !r.contains(&id),
                    "{file} {pattern} ({variant}): unexpected {id}"
                );
            }
        }
        *seen.entry(variant).or_default() += 1;
    }
    for v in [
        "correct_map",
        "via_snippet",
        "literal_upgrade",
        "missing_upgrade",
        "missing_connection",
        "connection_keepalive",
        "missing_http_version",
    ] {
        assert!(
            seen.get(v).copied().unwrap_or(0) > 0,
            "no {v} location checked: {seen:?}"
        );
    }
}

/// A generated corpus (kept on disk while the layers point into it) and the layers of every
/// WebSocket location in it.
fn corpus(servers: u32) -> (tempfile::TempDir, Vec<wsaudit::model::Layer>) {
    let dir = tempfile::tempdir().unwrap();
    let options = crate::support::nginx_corpus::Options {
        servers,
        seed: 1,
        certs: false,
    };
    crate::support::nginx_corpus::write(dir.path(), &options).unwrap();
    let main = dir.path().join("nginx.conf").to_string_lossy().to_string();
    let cfg = read_config(&Input::File(main)).unwrap();
    let v = VersionSource::Given(NginxVersion(1, 22, 1));
    let layers = wsaudit::providers::nginx::websocket_layers(&cfg, &v).unwrap();
    (dir, layers)
}

/// `evaluate_all` (what `wsaudit nginx` uses) splits the corpus's locations over threads: every
/// finding (message, evidence, locator) must be exactly what judging that chain alone gives,
/// with and without a heartbeat, and when the configuration names one of the layers (a
/// stateless backend, which WS301 compares with the layer's id).
#[test]
fn judging_every_corpus_location_in_a_batch_equals_judging_each_alone() {
    let (_dir, layers) = corpus(1200);
    assert!(layers.len() > 150, "{}", layers.len());
    let stateless = layers
        .iter()
        .find(|l| l.targets.value.is_some_and(|t| t > 1))
        .expect("a corpus location balances over several servers")
        .id
        .clone();
    let named = PolicyConfig::parse(
        &format!("stateless_backends = [{stateless:?}]\n"),
        "wsaudit.toml",
    )
    .unwrap()
    .0;
    let mut pack = RulePack::load(None).unwrap();
    for (heartbeat, config) in [
        (None, PolicyConfig::default()),
        (Some(Seconds(25.0)), PolicyConfig::default()),
        (Some(Seconds(900.0)), named),
    ] {
        let chains: Vec<_> = layers
            .iter()
            .map(|l| single_layer_chain(l.clone(), "*", "/*", heartbeat))
            .collect();
        let alone: Vec<Vec<Finding>> = chains
            .iter()
            .map(|c| pack.evaluate(c, &config).unwrap().findings)
            .collect();
        let batched: Vec<Vec<Finding>> = pack
            .evaluate_all(&chains, &config)
            .unwrap()
            .into_iter()
            .map(|e| e.findings)
            .collect();
        assert!(alone.iter().filter(|f| !f.is_empty()).count() > 50);
        for (i, (a, b)) in alone.iter().zip(&batched).enumerate() {
            assert_eq!(a, b, "{} (heartbeat {heartbeat:?})", chains[i].layers[0].id);
        }
        assert_eq!(alone.len(), batched.len());
    }
}

/// A guard written the wrong way round (`if ($http_upgrade …) { return 403; }`) refuses every
/// handshake: WS104 (the layer has WebSockets switched off) points at the `return`, and its
/// headers are not blamed; the usual guard (`!=`) produces neither.
#[test]
fn an_if_that_answers_the_handshake_is_ws104_at_its_return() {
    let f = findings("if", "ws.example.com", "/ws/", Some(25.0));
    let ws104 = f.iter().find(|f| f.rule == "WS104").expect("WS104");
    let loc = ws104.locator.as_ref().unwrap();
    assert!(loc.target.ends_with("if/nginx.conf"), "{}", loc.target);
    assert_eq!(loc.line, Some(29));
    let why = loc.field.as_deref().unwrap_or("");
    assert!(why.contains("return 403"), "{why}");
    assert!(!rules(&f).contains(&"WS101"), "{:?}", rules(&f));
    // The same at server level: a redirecting rewrite before any location is chosen.
    let old = findings("if", "old.example.com", "/ws/", Some(25.0));
    let ws104 = old.iter().find(|f| f.rule == "WS104").expect("WS104");
    assert_eq!(ws104.locator.as_ref().unwrap().line, Some(65));
    let live = findings("if", "ws.example.com", "/live/", Some(25.0));
    assert!(
        !rules(&live).contains(&"WS104") && !rules(&live).contains(&"WS101"),
        "{:?}",
        rules(&live)
    );
}
