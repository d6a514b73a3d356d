//! The plan and template readers never panic: mutated real plans (values replaced by arbitrary
//! JSON at arbitrary places) and arbitrary text are read or refused with an error.

use proptest::prelude::*;
use serde_json::{json, Value};
use wsaudit::model::Scheme;
use wsaudit::providers::iac::{planned_chains, read_text};

fn arb_leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        "[a-z_.\\[\\]\"0-9]{0,16}".prop_map(Value::String),
        Just(json!([])),
        Just(json!({})),
        Just(json!(true)),
    ]
}

/// Every path to a value in the document.
fn paths(v: &Value, at: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    out.push(at.clone());
    match v {
        Value::Object(m) => {
            for (k, c) in m {
                at.push(k.clone());
                paths(c, at, out);
                at.pop();
            }
        }
        Value::Array(a) => {
            for (i, c) in a.iter().enumerate() {
                at.push(i.to_string());
                paths(c, at, out);
                at.pop();
            }
        }
        _ => {}
    }
}

fn set(v: &mut Value, path: &[String], new: Value) {
    let mut cur = v;
    for p in path {
        cur = match cur {
            Value::Object(m) => m.get_mut(p).unwrap(),
            Value::Array(a) => &mut a[p.parse::<usize>().unwrap()],
            _ => return,
        };
    }
    *cur = new;
}

fn plans() -> Vec<Value> {
    [
        "aws-modules.plan.json",
        "cloudflare-v4.plan.json",
        "cloudflare-v5.plan.json",
    ]
    .iter()
    .map(|f| serde_json::from_str(&std::fs::read_to_string(super::fixture(f)).unwrap()).unwrap())
    .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 192, .. ProptestConfig::default() })]

    #[test]
    fn mutated_plans_are_read_or_refused(which in 0usize..3, picks in prop::collection::vec((any::<prop::sample::Index>(), arb_leaf()), 1..6), domain in prop::option::of("[a-z]{1,6}\\.example\\.com")) {
        let mut doc = plans().swap_remove(which);
        for (pick, leaf) in picks {
            let mut all = Vec::new();
            paths(&doc, &mut Vec::new(), &mut all);
            let path = pick.get(&all).clone();
            set(&mut doc, &path, leaf);
        }
        if let Ok(inv) = read_text(&doc.to_string(), "plan.json") {
            let q = domain.as_deref().map(|d| (d, "/ws/"));
            let _ = planned_chains(&inv, q, Scheme::Wss);
            let _ = planned_chains(&inv, None, Scheme::Ws);
        }
    }

    #[test]
    fn arbitrary_text_is_read_or_refused(text in "\\PC{0,200}") {
        let _ = read_text(&text, "x");
    }

    #[test]
    fn template_like_yaml_is_read_or_refused(lines in prop::collection::vec("( {0,6})(Resources|Type|Properties|!Ref|!GetAtt|- |Key|Value|AWS::ElasticLoadBalancingV2::LoadBalancer|AWS::CloudFront::Distribution|DistributionConfig|Origins|\\[|\\]|\\{|\\}|:|,|&a|\\*a|[a-z]{1,5})( ?)(:?)( ?)([a-z0-9!:\\[\\]{}]{0,8})", 0..24)) {
        let _ = read_text(&lines.join("\n"), "t.yaml").map(|inv| planned_chains(&inv, None, Scheme::Wss));
    }
}
