//! The process environment, read here and nowhere else: the commands pass what it says down,
//! so the providers can be driven with any values (tests, embedding) and a token's only way
//! in is the environment the user set.

use crate::providers::aws::aws_configured_in;
use crate::providers::cloudflare::{ClientOptions, CloudflareClient, CloudflareError};

/// The nginx binary `nginx -v` runs when no `--nginx-version` is given.
pub const NGINX_BIN_ENV: &str = "WSAUDIT_NGINX_BIN";

/// Pins the nginx reader's parser threads (benchmarks compare 1 against the default).
pub const NGINX_READ_THREADS_ENV: &str = "WSAUDIT_NGINX_READ_THREADS";

pub fn nginx_bin() -> Option<String> {
    std::env::var(NGINX_BIN_ENV).ok()
}

/// `WSAUDIT_HAPROXY_BIN`: the `haproxy` binary for `haproxy -c` (else `haproxy` on PATH).
pub fn haproxy_bin() -> String {
    std::env::var("WSAUDIT_HAPROXY_BIN").unwrap_or_else(|_| "haproxy".to_string())
}

/// `WSAUDIT_CADDY_BIN`: the `caddy` binary for `caddy adapt` and `caddy version` (else
/// `caddy` on PATH).
pub fn caddy_bin() -> String {
    std::env::var("WSAUDIT_CADDY_BIN").unwrap_or_else(|_| "caddy".to_string())
}

/// `WSAUDIT_NGINX_READ_THREADS` when it is a positive number, else the machine's cores (up to
/// the cap every parallel step shares).
pub fn nginx_read_threads() -> usize {
    std::env::var(NGINX_READ_THREADS_ENV)
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .filter(|n| *n > 0)
        .unwrap_or_else(crate::parallel::threads)
}

/// The Cloudflare client for `CLOUDFLARE_API_TOKEN` and `WSAUDIT_CLOUDFLARE_API_URL`.
pub fn cloudflare_client() -> Result<CloudflareClient, CloudflareError> {
    CloudflareClient::from_lookup(|k| std::env::var(k).ok(), ClientOptions::default())
}

/// Whether the environment names AWS credentials, a profile or an endpoint.
pub fn aws_in_env() -> bool {
    aws_configured_in(|k| std::env::var_os(k))
}

/// Parser threads for `wsaudit logs` (`WSAUDIT_LOG_THREADS`, for benchmarks), else the cores.
pub fn log_threads() -> usize {
    std::env::var("WSAUDIT_LOG_THREADS")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .filter(|n| *n > 0)
        .unwrap_or_else(crate::parallel::threads)
}

/// `JOB_COMPLETION_INDEX`: a Kubernetes Indexed Job's pod index, the scan's shard.
pub fn job_completion_index() -> Option<String> {
    std::env::var("JOB_COMPLETION_INDEX")
        .ok()
        .filter(|v| !v.trim().is_empty())
}

/// The process environment, for the commands that take a variable named in the settings
/// (`token_env`).
pub fn var(name: &str) -> Option<String> {
    std::env::var(name).ok()
}
