//! Policy evaluation cost: one 6-layer chain, and a batch of 1,000 different chains (what a
//! compliance scan of many domains, or `wsaudit nginx` over a large tree, pays).
//! Target: ≤ 2 ms per chain.

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use wsaudit::model::{load_chain, Chain};
use wsaudit::policy::{Config, RulePack};

fn six_layer_chain(i: usize) -> Chain {
    let idle = |v: usize, kind: &str| {
        let origin = match kind {
            "explicit" => format!(
                r#"{{"kind": "explicit", "locator": "f.conf", "line": {}}}"#,
                i + 1
            ),
            "assumed" => r#"{"kind": "assumed", "basis": "commonly observed"}"#.to_string(),
            _ => r#"{"kind": "default", "documented": "documented default"}"#.to_string(),
        };
        format!(r#"{{"value": {v}, "origin": {origin}}}"#)
    };
    let text = format!(
        r#"{{"schema_version": "1", "target": {{"domain": "d{i}.example.com", "path": "/ws/", "scheme": "wss"}},
        "heartbeat": {{"interval_s": {hb}, "direction": "client_to_server", "source": "declared"}},
        "layers": [
          {{"id": "cloudflare", "kind": "cdn", "provider": "cloudflare", "name": "cf", "idle_timeout": {cf},
            "tls_to_origin": {{"value": {tls}, "origin": {{"kind": "explicit", "locator": "zone/1/settings/ssl"}}}},
            "websocket": {{"value": "enabled", "origin": {{"kind": "explicit", "locator": "zone/1/settings/websockets"}}}}}},
          {{"id": "cloudfront", "kind": "cdn", "provider": "cloudfront", "name": "cfd", "idle_timeout": {cfd},
            "idle_reset_by": {{"value": "server_to_client", "origin": {{"kind": "default", "documented": "quota"}}}},
            "forwards_upgrade": {{"value": true, "origin": {{"kind": "explicit", "locator": "arn:cf"}}}}}},
          {{"id": "alb", "kind": "load_balancer", "provider": "alb", "name": "alb", "idle_timeout": {alb},
            "upstream_keepalive": {alb}, "targets": {{"value": {targets}, "origin": {{"kind": "explicit", "locator": "arn:tg"}}}},
            "stickiness": {{"value": {{"mode": "none"}}, "origin": {{"kind": "default", "documented": "off"}}}},
            "upstream_http_version": {{"value": "1.1", "origin": {{"kind": "explicit", "locator": "arn:tg"}}}},
            "access_log": {{"value": {{"enabled": false, "fields": []}}, "origin": {{"kind": "default", "documented": "off"}}}}}},
          {{"id": "nginx-edge", "kind": "reverse_proxy", "provider": "nginx", "name": "edge", "idle_timeout": {ng1},
            "client_keepalive": {ka}, "forwards_upgrade": {{"value": true, "origin": {{"kind": "explicit", "locator": "a.conf", "line": 3}}}},
            "connection_header": {{"value": "upgrade", "origin": {{"kind": "explicit", "locator": "a.conf", "line": 4}}}},
            "upstream_http_version": {{"value": "1.1", "origin": {{"kind": "explicit", "locator": "a.conf", "line": 5}}}},
            "buffering": {{"value": true, "origin": {{"kind": "default", "documented": "on"}}}}}},
          {{"id": "nginx-app", "kind": "reverse_proxy", "provider": "nginx", "name": "app-proxy", "idle_timeout": {ng2},
            "connection_header": {{"value": "", "origin": {{"kind": "explicit", "locator": "b.conf", "line": 9}}}},
            "upstream_http_version": {{"value": "1.0", "origin": {{"kind": "default", "documented": "1.0 before 1.29.7"}}}}}},
          {{"id": "app", "kind": "app", "provider": "app", "name": "app"}}
        ]}}"#,
        hb = 20 + i % 50,
        cf = idle(100, "assumed"),
        cfd = idle(600, "default"),
        alb = idle(60 + i % 4000, "default"),
        ng1 = idle(3600, "explicit"),
        ng2 = idle(60 + i % 120, "explicit"),
        ka = idle(75, "default"),
        tls = if i.is_multiple_of(3) { "false" } else { "true" },
        targets = 1 + i % 3,
    );
    load_chain(&text, "bench").expect("bench chain is valid")
}

fn bench(c: &mut Criterion) {
    let mut pack = RulePack::load(None).unwrap();
    let config = Config::default();
    let one = six_layer_chain(7);
    let n = pack.evaluate(&one, &config).unwrap().findings.len();
    assert!(n > 0, "the bench chain must exercise rules that fire");

    c.bench_function("evaluate one 6-layer chain", |b| {
        b.iter(|| pack.evaluate(&one, &config).unwrap())
    });

    let many: Vec<Chain> = (0..1000).map(six_layer_chain).collect();
    let mut g = c.benchmark_group("batch");
    g.throughput(Throughput::Elements(many.len() as u64));
    g.sample_size(10);
    g.bench_function("evaluate 1000 6-layer chains", |b| {
        b.iter_batched(
            || (),
            |_| {
                for ch in &many {
                    pack.evaluate(ch, &config).unwrap();
                }
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();

    c.bench_function("load the built-in rule pack", |b| {
        b.iter(|| RulePack::load(None).unwrap())
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
