//! A VPC and two subnets for a load balancer (ELBv2 needs subnets in two availability zones for
//! an ALB), created in the emulator through boto3, the AWS SDK for Python that comes with moto
//! (`vpc.py` beside this file). Everything the product reads is created through the Rust SDK
//! clients in `fixtures.rs`; the VPC is only the emulator's floor, and building aws-sdk-ec2 for
//! it cost more than half of a clean CI build (its one crate compiled for ~4 minutes).

use aws_config::SdkConfig;
use aws_credential_types::provider::ProvideCredentials;
use std::process::Command;

/// Creates a VPC with two subnets in two availability zones of the SDK's region; returns the
/// VPC and subnet ids.
pub async fn vpc(sdk: &SdkConfig) -> (String, Vec<String>) {
    let region = sdk
        .region()
        .expect("the test SDK config has a region")
        .to_string();
    let endpoint = sdk
        .endpoint_url()
        .expect("the test SDK config points at the emulator")
        .to_string();
    let python = crate::support::required(
        std::env::var_os("WSAUDIT_VENV")
            .map(|v| std::path::PathBuf::from(v).join("bin/python3"))
            .filter(|p| p.is_file()),
        "the venv with moto and boto3",
        "WSAUDIT_VENV",
    )
    .expect("moto_url() was set, so scripts/test.sh made the venv");
    let script = crate::support::repo().join("tests/it/support/aws/vpc.py");
    // The VPC belongs to the account the SDK's credentials name (the emulator keys by it).
    let creds = sdk
        .credentials_provider()
        .expect("the test SDK config has credentials")
        .provide_credentials()
        .await
        .expect("test credentials");
    let out = tokio::task::spawn_blocking(move || {
        let mut cmd = Command::new(python);
        cmd.arg(script)
            .args([&endpoint, &region])
            .env("AWS_ACCESS_KEY_ID", creds.access_key_id())
            .env("AWS_SECRET_ACCESS_KEY", creds.secret_access_key());
        match creds.session_token() {
            Some(t) => cmd.env("AWS_SESSION_TOKEN", t),
            None => cmd.env_remove("AWS_SESSION_TOKEN"),
        };
        cmd.output()
    })
    .await
    .unwrap()
    .expect("python3 runs");
    assert!(
        out.status.success(),
        "vpc.py failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ids: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .split_whitespace()
        .map(str::to_string)
        .collect();
    assert_eq!(
        ids.len(),
        3,
        "vpc.py prints the VPC and two subnets: {ids:?}"
    );
    (ids[0].clone(), ids[1..].to_vec())
}
