//! The nginx reader and everything downstream of it on arbitrary bytes: must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wsaudit::providers::nginx::{
    crossplane_payload, route, websocket_layers, Config, Query, VersionSource,
};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(cfg) = Config::parse_str("fuzz.conf", &text) {
        let _ = crossplane_payload(&cfg);
        let _ = websocket_layers(&cfg, &VersionSource::Assumed);
        let q = Query {
            host: "ws.example.com".into(),
            path: "/ws/".into(),
            port: None,
        };
        let _ = route(&cfg, &q, &VersionSource::Assumed);
    }
});
