//! Runs every rule's fixtures (`policies/<rule>_test.json`, beside the rule, trivy-checks
//! style): each `fires` chain must produce a finding of that rule (on the expected layers, with
//! the expected message and severity), each `passes` chain none. Fixtures go through the real chain loader and config parser, so
//! they are valid chains, not hand-made Rego inputs.

use std::collections::BTreeSet;
use std::path::Path;
use wsaudit::model::load_chain;
use wsaudit::policy::{Config, RulePack};

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Fixture {
    rule: String,
    fires: Vec<Case>,
    passes: Vec<Case>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    chain: serde_json::Value,
    /// `wsaudit.toml` text for this case.
    #[serde(default)]
    config: Option<String>,
    #[serde(default)]
    expect_layers: Option<Vec<String>>,
    /// A substring every finding's message must contain.
    #[serde(default)]
    expect_message: Option<String>,
    /// The severity every finding must have (a rule may grade one finding by itself).
    #[serde(default)]
    expect_severity: Option<String>,
}

fn fixtures() -> Vec<(String, Fixture)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("policies");
    let mut out = Vec::new();
    for e in std::fs::read_dir(&dir).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        if name.ends_with("_test.json") {
            let text = std::fs::read_to_string(&p).unwrap();
            let f: Fixture = serde_json::from_str(&text)
                .unwrap_or_else(|e| panic!("{name}: not a fixture file: {e}"));
            out.push((name, f));
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

#[test]
fn every_builtin_rule_has_firing_and_passing_fixtures() {
    let pack = RulePack::load(None).unwrap();
    let fx = fixtures();
    for rule in pack.rules() {
        let mine: Vec<_> = fx.iter().filter(|(_, f)| f.rule == rule.meta.id).collect();
        assert!(
            !mine.is_empty(),
            "{} has no *_test.json fixture beside it",
            rule.meta.id
        );
        for (file, f) in mine {
            assert!(
                !f.fires.is_empty(),
                "{file}: no case where {} must fire",
                f.rule
            );
            assert!(
                !f.passes.is_empty(),
                "{file}: no case where {} must not fire",
                f.rule
            );
            let stem = file.trim_end_matches("_test.json");
            assert!(
                rule.file.ends_with(&format!("{stem}.rego")),
                "{file} sits beside {stem}.rego but {} is defined in {}",
                f.rule,
                rule.file
            );
        }
    }
}

#[test]
fn fixtures_fire_and_pass_as_declared() {
    let mut pack = RulePack::load(None).unwrap();
    let mut failures = Vec::new();
    for (file, f) in fixtures() {
        for (case, must_fire) in f
            .fires
            .iter()
            .map(|c| (c, true))
            .chain(f.passes.iter().map(|c| (c, false)))
        {
            let label = format!("{file} / {}", case.name);
            let chain = load_chain(&case.chain.to_string(), &label)
                .unwrap_or_else(|e| panic!("{label}: fixture is not a valid chain: {e}"));
            let config = match &case.config {
                Some(t) => Config::parse(t, &label).unwrap().0,
                None => Config::default(),
            };
            let eval = pack
                .evaluate(&chain, &config)
                .unwrap_or_else(|e| panic!("{label}: {e}"));
            let mine: Vec<_> = eval.findings.iter().filter(|x| x.rule == f.rule).collect();
            if must_fire {
                if mine.is_empty() {
                    failures.push(format!("{label}: {} did not fire", f.rule));
                    continue;
                }
                if let Some(want) = &case.expect_layers {
                    let got: BTreeSet<_> = mine.iter().map(|x| x.layer.clone()).collect();
                    let want: BTreeSet<_> = want.iter().cloned().collect();
                    if got != want {
                        failures.push(format!("{label}: fired on {got:?}, expected {want:?}"));
                    }
                }
                if let Some(want) = &case.expect_severity {
                    for x in &mine {
                        if x.severity.as_str() != want {
                            failures.push(format!(
                                "{label}: severity {} for {:?}, expected {want}",
                                x.severity.as_str(),
                                x.message
                            ));
                        }
                    }
                }
                if let Some(sub) = &case.expect_message {
                    for x in &mine {
                        if !x.message.contains(sub.as_str()) {
                            failures
                                .push(format!("{label}: message {:?} lacks {sub:?}", x.message));
                        }
                    }
                }
            } else if !mine.is_empty() {
                failures.push(format!(
                    "{label}: {} fired but must not: {:?}",
                    f.rule,
                    mine.iter().map(|x| &x.message).collect::<Vec<_>>()
                ));
            }
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn the_builtin_pack_runs_on_the_vm_and_agrees_with_the_interpreter() {
    // The fixtures above run on the VM; this pins that, and checks the interpreter path (used
    // when a user rule cannot be compiled) reaches the same verdict on every fixture.
    let pack = RulePack::load(None).unwrap();
    assert!(
        pack.uses_vm(),
        "the built-in pack must compile for regorus' VM"
    );
    let mut vm = pack;
    let mut interp = RulePack::load(None).unwrap().without_vm();
    for (file, f) in fixtures() {
        for case in f.fires.iter().chain(f.passes.iter()) {
            let chain = load_chain(&case.chain.to_string(), &file).unwrap();
            let config = match &case.config {
                Some(t) => Config::parse(t, &file).unwrap().0,
                None => Config::default(),
            };
            let a = vm.evaluate(&chain, &config).unwrap().findings;
            let b = interp.evaluate(&chain, &config).unwrap().findings;
            assert_eq!(a, b, "{file} / {}", case.name);
        }
    }
}

/// `evaluate_all` splits a large batch over threads, each with its own copy of the pack: it
/// must judge every chain exactly as the pack does one chain at a time, in the same order.
#[test]
fn judging_a_large_batch_on_threads_equals_judging_one_chain_at_a_time() {
    let mut chains = Vec::new();
    for (file, fx) in fixtures() {
        for case in fx.fires.iter().chain(&fx.passes) {
            if case.config.is_none() {
                chains.push(load_chain(&case.chain.to_string(), &file).unwrap());
            }
        }
    }
    let one_pass = chains.len();
    while chains.len() < 1500 {
        chains.extend_from_within(..one_pass);
    }
    let config = Config::default();
    let mut pack = RulePack::load(None).unwrap();
    let serial: Vec<_> = chains
        .iter()
        .map(|c| pack.evaluate(c, &config).unwrap().findings)
        .collect();
    let batched: Vec<_> = pack
        .evaluate_all(&chains, &config)
        .unwrap()
        .into_iter()
        .map(|e| e.findings)
        .collect();
    assert_eq!(batched.len(), chains.len());
    assert!(serial.iter().any(|f| !f.is_empty()));
    assert_eq!(batched, serial);
}
