//! No input makes the chain loader or the rule pack panic: arbitrary JSON, and valid chains
//! with arbitrary values, either load and evaluate or fail with an error.

use proptest::prelude::*;
use serde_json::{json, Value};
use wsaudit::model::load_chain;
use wsaudit::policy::{Config, RulePack};

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| json!(f)),
        "[a-z_]{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    Just("schema_version".to_string()),
                    Just("layers".to_string()),
                    Just("value".to_string()),
                    Just("origin".to_string()),
                    Just("kind".to_string()),
                    "[a-z_]{1,10}"
                ],
                inner,
                0..6
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn setting() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(json!({"value": null, "origin": {"kind": "unknown"}})),
        (0.0f64..1e7)
            .prop_map(|v| json!({"value": v, "origin": {"kind": "default", "documented": "d"}})),
        (0u32..100_000).prop_map(
            |v| json!({"value": v, "origin": {"kind": "explicit", "locator": "f", "line": 1}})
        ),
    ]
}

fn arb_chain() -> impl Strategy<Value = Value> {
    let layer = (
        prop_oneof![Just("cdn"), Just("load_balancer"), Just("reverse_proxy"), Just("app")],
        prop_oneof![Just("alb"), Just("nginx"), Just("cloudfront"), Just("cloudflare"), Just("app")],
        setting(),
        setting(),
        setting(),
        any::<Option<bool>>(),
        prop_oneof![Just("1.0"), Just("1.1"), Just("2"), Just("grpc"), Just("")],
    )
        .prop_map(|(kind, provider, idle, ka, targets, fwd, ver)| {
            json!({"id": format!("{provider}-{kind}"), "kind": kind, "provider": provider, "name": "n",
                   "idle_timeout": idle, "client_keepalive": ka, "upstream_keepalive": ka,
                   "max_duration": idle, "drain_timeout": targets,
                   "forwards_upgrade": {"value": fwd, "origin": {"kind": "explicit", "locator": "f", "line": 2}},
                   "upstream_http_version": {"value": ver, "origin": {"kind": "default", "documented": "d"}}})
        });
    (
        prop::collection::vec(layer, 0..7),
        prop_oneof![
            Just(Value::Null),
            (0.0f64..1e5).prop_map(
                |i| json!({"interval_s": i, "direction": "client_to_server", "source": "declared"})
            )
        ],
    )
        .prop_map(|(layers, hb)| {
            json!({"schema_version": "1", "target": {"domain": "d", "path": "/", "scheme": "wss"},
                   "layers": layers, "heartbeat": hb, "gaps": []})
        })
}

thread_local! {
    static PACK: std::cell::RefCell<RulePack> = std::cell::RefCell::new(RulePack::load(None).unwrap());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn arbitrary_json_never_panics(v in arb_json()) {
        let _ = load_chain(&v.to_string(), "fuzz.json");
    }

    #[test]
    fn arbitrary_bytes_never_panic(s in "\\PC{0,200}") {
        let _ = load_chain(&s, "fuzz.json");
    }

    #[test]
    fn valid_chains_with_arbitrary_values_evaluate(v in arb_chain()) {
        let chain = load_chain(&v.to_string(), "fuzz.json");
        if let Ok(chain) = chain {
            let eval = PACK.with(|p| p.borrow_mut().evaluate(&chain, &Config::default()));
            prop_assert!(eval.is_ok(), "{:?}", eval.err());
        }
    }
}
