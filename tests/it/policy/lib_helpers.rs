//! The rule pack's shared helpers (`policies/lib/*.rego`) against fixtures of their own
//! (`policies/lib/*_test.json`): every rule leans on `effective_idle`, `cutter`, `origin_text`
//! and the others, so a helper that drifts would change many rules' verdicts at once. Each case
//! is a valid chain (through the real loader and config parser), a Rego query and the value it
//! must give, or that it must be undefined (a helper is undefined, never an error, on a chain
//! that lacks what it reads).

use std::path::Path;
use wsaudit::model::load_chain;
use wsaudit::policy::{builtin_sources, Config};

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Fixture {
    /// The package the cases query, for the reader.
    helpers: String,
    cases: Vec<Case>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    query: String,
    chain: serde_json::Value,
    /// `wsaudit.toml` text for this case.
    #[serde(default)]
    config: Option<String>,
    #[serde(default)]
    expect: Option<serde_json::Value>,
    #[serde(default)]
    expect_undefined: bool,
}

/// JSON equality with numbers compared by value (Rego has one number type: 60 and 60.0 are the
/// same helper result).
fn same(a: &serde_json::Value, b: &serde_json::Value) -> bool {
    use serde_json::Value::*;
    match (a, b) {
        (Number(x), Number(y)) => x.as_f64() == y.as_f64(),
        (Array(x), Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b)),
        (Object(x), Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

fn lib_engine() -> regorus::Engine {
    let mut engine = regorus::Engine::new();
    let mut loaded = 0;
    for (file, text) in builtin_sources() {
        if text.contains("package wsaudit.lib") {
            engine
                .add_policy(file.to_string(), text.to_string())
                .unwrap_or_else(|e| panic!("{file}: {e}"));
            loaded += 1;
        }
    }
    assert!(
        loaded > 0,
        "no package wsaudit.lib among the built-in sources"
    );
    engine
}

#[test]
fn every_lib_helper_case_gives_its_expected_value() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("policies/lib");
    let mut cases = 0;
    for e in std::fs::read_dir(&dir).unwrap() {
        let p = e.unwrap().path();
        let file = p.file_name().unwrap().to_string_lossy().to_string();
        if !file.ends_with("_test.json") {
            continue;
        }
        let fixture: Fixture = serde_json::from_str(&std::fs::read_to_string(&p).unwrap())
            .unwrap_or_else(|e| panic!("{file}: not a helper fixture file: {e}"));
        assert!(fixture.helpers.starts_with("data.wsaudit.lib"), "{file}");
        for case in fixture.cases {
            let what = format!("{file}: {}", case.name);
            assert!(
                case.expect.is_some() != case.expect_undefined,
                "{what}: give exactly one of expect, expect_undefined"
            );
            let chain = load_chain(&case.chain.to_string(), &what)
                .unwrap_or_else(|e| panic!("{what}: not a valid chain: {e}"));
            let config = match &case.config {
                Some(text) => Config::parse(text, "wsaudit.toml").unwrap().0,
                None => Config::default(),
            };
            let mut engine = lib_engine();
            let data = serde_json::json!({"wsaudit": {"config": config.thresholds}});
            engine.add_data(regorus::Value::from(data)).unwrap();
            engine.set_input(regorus::Value::from(serde_json::to_value(&chain).unwrap()));
            let results = engine
                .eval_query(case.query.clone(), false)
                .unwrap_or_else(|e| panic!("{what}: {} is an error, not a value: {e}", case.query));
            let got: Option<serde_json::Value> = results
                .result
                .first()
                .and_then(|r| r.expressions.first())
                .map(|x| serde_json::to_value(&x.value).unwrap())
                .filter(|v| v.as_str() != Some("<undefined>"));
            match (&case.expect, got) {
                (Some(want), Some(got)) => assert!(
                    same(want, &got),
                    "{what}: {} gave {got}, expected {want}",
                    case.query
                ),
                (Some(want), None) => {
                    panic!("{what}: {} is undefined, expected {want}", case.query)
                }
                (None, Some(got)) => {
                    panic!("{what}: {} gave {got}, expected undefined", case.query)
                }
                (None, None) => {}
            }
            cases += 1;
        }
    }
    assert!(
        cases >= 20,
        "only {cases} helper cases found under {}",
        dir.display()
    );
}
