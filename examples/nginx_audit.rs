//! What `scripts/bench-nginx.sh` times: read a tree, build a layer for every WebSocket
//! location and (with `--judge`) run the rule pack over each. Prints one summary line.
//!
//! `cargo run --release --example nginx_audit -- NGINX.CONF [--judge] [--parse-only]`

use std::time::Instant;
use wsaudit::commands::single_layer_chain;
use wsaudit::policy::{Config as PolicyConfig, RulePack};
use wsaudit::providers::nginx::{
    crossplane_payload, read_config, read_config_on, websocket_layers, Input, VersionSource,
};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(path) = args.iter().find(|a| !a.starts_with("--")) else {
        eprintln!("usage: nginx_audit NGINX.CONF [--judge] [--parse-only] [--json]");
        std::process::exit(2);
    };
    let t0 = Instant::now();
    // WSAUDIT_NGINX_READ_THREADS pins the parser threads, as it does for the CLI.
    let threads = std::env::var("WSAUDIT_NGINX_READ_THREADS")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .filter(|n| *n > 0);
    let input = Input::File(path.clone());
    let read = match threads {
        Some(n) => read_config_on(&input, n),
        None => read_config(&input),
    };
    let cfg = match read {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(2);
        }
    };
    let t_read = t0.elapsed();
    if args.iter().any(|a| a == "--json") {
        println!("{}", crossplane_payload(&cfg));
        return;
    }
    if args.iter().any(|a| a == "--parse-only") {
        println!(
            "files={} read_ms={:.1}",
            cfg.files.len(),
            t_read.as_secs_f64() * 1e3
        );
        return;
    }
    let version = VersionSource::Assumed;
    let layers = websocket_layers(&cfg, &version).unwrap_or_else(|e| {
        eprintln!("error: {e}");
        std::process::exit(2);
    });
    let t_layers = t0.elapsed();
    let mut findings = 0usize;
    let mut judge_ms = 0.0;
    if args.iter().any(|a| a == "--judge") {
        let t = Instant::now();
        let mut pack = RulePack::load(None).unwrap();
        let conf = PolicyConfig::default();
        for l in layers.iter().cloned() {
            let chain = single_layer_chain(l, "bench", "/", None);
            findings += pack.evaluate(&chain, &conf).unwrap().findings.len();
        }
        judge_ms = t.elapsed().as_secs_f64() * 1e3;
    }
    println!(
        "files={} websocket_locations={} findings={} read_ms={:.1} layers_ms={:.1} judge_ms={:.1}",
        cfg.files.len(),
        layers.len(),
        findings,
        t_read.as_secs_f64() * 1e3,
        (t_layers - t_read).as_secs_f64() * 1e3,
        judge_ms
    );
    // Like a CLI about to exit: the OS reclaims the tree faster than freeing it node by node.
    std::mem::forget(layers);
    std::mem::forget(cfg);
}
