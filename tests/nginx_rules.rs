//! The nginx layer as the rule pack sees it: each broken fixture produces the findings a user
//! relies on, pointing at the line to change; the good fixture produces none.

mod support;

use support::repo;
use wsaudit::model::Seconds;
use wsaudit::policy::{Config as PolicyConfig, Finding, RulePack};
use wsaudit::providers::nginx::{
    read_config, route, single_layer_chain, Input, NginxVersion, Query, VersionSource,
};

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
