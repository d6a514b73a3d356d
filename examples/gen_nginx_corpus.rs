//! Writes a generated nginx tree (the generator the tests use, in
//! `tests/it/support/nginx_corpus.rs`) for `scripts/bench-nginx.sh` and for looking at by hand.
//! Prints one line: files reachable by include, their bytes, WebSocket locations.
//!
//! `cargo run --example gen_nginx_corpus -- --servers N --out DIR [--seed S] [--no-certs]`

#[path = "../tests/it/support/nginx_corpus.rs"]
mod nginx_corpus;

use std::path::PathBuf;

const USAGE: &str = "usage: gen_nginx_corpus --servers N --out DIR [--seed S] [--no-certs]";

fn main() {
    let mut servers = None;
    let mut out = None;
    let mut seed = 1;
    let mut certs = true;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = || {
            args.next()
                .unwrap_or_else(|| fail(&format!("{a} needs a value")))
        };
        match a.as_str() {
            "--servers" => {
                let n = number(&value(), "--servers");
                servers = Some(u32::try_from(n).unwrap_or_else(|_| fail("--servers is too large")));
            }
            "--out" => out = Some(PathBuf::from(value())),
            "--seed" => seed = number(&value(), "--seed"),
            "--no-certs" => certs = false,
            "-h" | "--help" => {
                println!("{USAGE}");
                return;
            }
            _ => fail(&format!("unknown argument {a}")),
        }
    }
    let (Some(servers), Some(out)) = (servers, out) else {
        fail("--servers and --out are required")
    };
    let opts = nginx_corpus::Options {
        servers,
        seed,
        certs,
    };
    match nginx_corpus::write(&out, &opts) {
        Ok(c) => println!(
            "files={} bytes={} websocket_locations={} main={}",
            c.files,
            c.bytes,
            c.websocket_locations,
            c.main.display()
        ),
        Err(e) => {
            eprintln!("error: {}: {e}", out.display());
            std::process::exit(1);
        }
    }
}

fn number(s: &str, what: &str) -> u64 {
    s.parse()
        .unwrap_or_else(|_| fail(&format!("{what} takes a number, not {s:?}")))
}

fn fail(msg: &str) -> ! {
    eprintln!("error: {msg}\n{USAGE}");
    std::process::exit(2)
}
