//! No input makes the reader or the semantics panic: arbitrary text, and text stitched from
//! the fragments that stress the tokenizer (quotes, escapes, `${`, Lua blocks, braces).

use proptest::prelude::*;
use wsaudit::providers::nginx::{
    crossplane_payload, route, websocket_layers, Config, Query, VersionSource,
};

fn exercise(text: &str) {
    if let Ok(cfg) = Config::parse_str("fuzz.conf", text) {
        let _ = crossplane_payload(&cfg);
        let _ = websocket_layers(&cfg, &VersionSource::Assumed);
        let q = Query {
            host: "ws.example.com".into(),
            path: "/ws/".into(),
            port: None,
        };
        let _ = route(&cfg, &q, &VersionSource::Assumed);
    }
}

const FRAGMENTS: &[&str] = &[
    "http",
    "server",
    "location",
    "map",
    "upstream",
    "if",
    "(",
    ")",
    "{",
    "}",
    ";",
    " ",
    "\n",
    "\"",
    "'",
    "\\",
    "\\\"",
    "$",
    "${",
    "#",
    "~",
    "~*",
    "^~",
    "=",
    "/ws/",
    "@x",
    "content_by_lua_block",
    "set_by_lua_block",
    "--",
    "proxy_pass",
    "http://u",
    "proxy_set_header",
    "Upgrade",
    "$http_upgrade",
    "Connection",
    "proxy_read_timeout",
    "1h 5x",
    "listen",
    "[::]:443",
    "server_name",
    "*.example.com",
    "ws.example.*",
    "~^(.*)$",
    "default",
    "é",
    "\u{a0}",
    "\r\n",
    "include",
    "keepalive_timeout",
    "access_log",
    "log_format",
    "sticky",
    "rewrite",
    "^/ws/(.*)$",
    "/ws/$1",
    "$9",
    "last",
    "break",
    "return",
    "$scheme",
    "ssl",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,200}") {
        exercise(&text);
    }

    #[test]
    fn stitched_fragments_never_panic(parts in prop::collection::vec(0..FRAGMENTS.len(), 0..80)) {
        let text: String = parts.iter().map(|i| FRAGMENTS[*i]).collect::<Vec<_>>().join(" ");
        exercise(&text);
        let glued: String = parts.iter().map(|i| FRAGMENTS[*i]).collect();
        exercise(&glued);
    }
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    let text = "http {".repeat(100_000);
    assert!(Config::parse_str("deep.conf", &text).is_err());
}
