//! Writes a realistic nginx access log for `scripts/bench-logs.sh`: `combined` plus the fields
//! a WebSocket location logs (`rt=$request_time ua="$upstream_addr" up="$http_upgrade"`), so
//! GoAccess reads it as COMBINED (it ignores what follows the user agent) and wsaudit reads
//! lifetimes from it. One day of traffic, in close order as nginx writes it: WebSockets (most
//! cut idle at a 60 s `proxy_read_timeout`, the rest closed by their clients), failed
//! upgrades, and plain HTTP requests. Deterministic: the same N gives the same file.
//!
//! Usage: `cargo run --release --example gen_nginx_log -- LINES OUT.log`

use std::io::{BufWriter, Write};

/// The `log_format` the lines are written in (for `--nginx-conf` of the bench).
pub const FORMAT: &str = "$remote_addr - $remote_user [$time_local] \"$request\" $status $body_bytes_sent \"$http_referer\" \"$http_user_agent\" rt=$request_time ua=\"$upstream_addr\" up=\"$http_upgrade\"";

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];
const PATHS: [&str; 6] = [
    "/ws/chat",
    "/ws/notifications",
    "/cable",
    "/socket.io/?EIO=4&transport=websocket",
    "/hubs/live",
    "/ws/prices",
];
const HTTP_PATHS: [&str; 5] = [
    "/",
    "/api/v1/items?page=2",
    "/static/app.js",
    "/static/app.css",
    "/health",
];
const AGENTS: [&str; 3] = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
    "okhttp/4.12.0",
];

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let lines: u64 = args
        .get(1)
        .and_then(|n| n.parse().ok())
        .expect("usage: gen_nginx_log LINES OUT.log");
    let out = args.get(2).expect("usage: gen_nginx_log LINES OUT.log");
    let mut w = BufWriter::with_capacity(1 << 20, std::fs::File::create(out).expect("create"));
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    // 2026-12-01T00:00:00Z, a day of traffic.
    let t0: f64 = 1_764_547_200.0;
    let step = 86_400.0 / lines as f64;
    let mut cached_sec = -1i64;
    let mut stamp = String::new();
    for i in 0..lines {
        let end = t0 + i as f64 * step;
        let sec = end as i64;
        if sec != cached_sec {
            cached_sec = sec;
            let s = sec - t0 as i64;
            stamp = format!(
                "{:02}/{}/2026:{:02}:{:02}:{:02} +0000",
                1 + s / 86_400,
                MONTHS[11],
                (s / 3600) % 24,
                (s / 60) % 60,
                s % 60
            );
        }
        let client = rng.below(50_000);
        let agent = AGENTS[rng.below(3) as usize];
        let upstream = rng.below(8);
        let roll = rng.below(100);
        let (path, status, bytes, rt, up) = if roll < 70 {
            let path = PATHS[rng.below(PATHS.len() as u64) as usize];
            // 60 % of WebSockets sit idle until nginx's 60 s proxy_read_timeout cuts them;
            // the rest are closed by their users after an exponential time.
            let rt = if rng.below(100) < 60 {
                60.0 + rng.unit() * 0.004
            } else {
                -(1.0 - rng.unit()).ln() * 240.0
            };
            (path, 101, 0u64, rt, "websocket")
        } else if roll < 73 {
            let path = PATHS[rng.below(PATHS.len() as u64) as usize];
            let status = [502u16, 426, 403][rng.below(3) as usize];
            (path, status, 157, rng.unit() * 0.05, "websocket")
        } else {
            let path = HTTP_PATHS[rng.below(HTTP_PATHS.len() as u64) as usize];
            (path, 200, 512 + rng.below(20_000), rng.unit() * 0.2, "-")
        };
        writeln!(
            w,
            "10.{}.{}.{} - - [{stamp}] \"GET {path} HTTP/1.1\" {status} {bytes} \"-\" \"{agent}\" rt={rt:.3} ua=\"10.1.0.{upstream}:8080\" up=\"{up}\"",
            client >> 16,
            (client >> 8) & 255,
            client & 255,
        )
        .expect("write");
    }
    w.flush().expect("flush");
    let _ = FORMAT;
}
