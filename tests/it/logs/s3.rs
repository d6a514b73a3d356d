//! `wsaudit logs s3://bucket/prefix` against moto_server through the real aws-sdk-s3: the ALB
//! objects AWS would deliver (gzip'd, named by their interval), `--since/--until` choosing by
//! the time in the key, and a bucket that cannot be read as a gap (exit 3), not a clean run.

use super::{gz_bytes, json, samples};
use crate::support::aws::{fast_options, moto_url, sdk_config, unique, TEST_KEY_ID, TEST_SECRET};
use crate::support::run::wsaudit_full;

fn env(endpoint: &str) -> Vec<(&'static str, String)> {
    vec![
        ("AWS_ENDPOINT_URL", endpoint.to_string()),
        ("AWS_ACCESS_KEY_ID", TEST_KEY_ID.to_string()),
        ("AWS_SECRET_ACCESS_KEY", TEST_SECRET.to_string()),
        ("AWS_REGION", "us-east-1".to_string()),
    ]
}

const PREFIX: &str = "AWSLogs/123456789012/elasticloadbalancing/us-west-2/2026/12/01/";

fn key(stamp: &str) -> String {
    format!("{PREFIX}123456789012_elasticloadbalancing_us-west-2_app.my-loadbalancer.50dc6c495c0c9188_{stamp}_10.0.0.1_2f8kq3ab.log.gz")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alb_logs_in_s3_are_read_by_the_time_in_their_keys() {
    let Some(endpoint) = moto_url() else {
        return;
    };
    let sdk = sdk_config(&endpoint, &fast_options()).await;
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&sdk)
            .force_path_style(true)
            .build(),
    );
    let bucket = unique("wsaudit-logs").to_lowercase();
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    let body = gz_bytes(&samples::alb_log());
    for stamp in ["20261201T1005Z", "20261201T1010Z", "20261130T2300Z"] {
        s3.put_object()
            .bucket(&bucket)
            .key(key(stamp))
            .body(body.clone().into())
            .send()
            .await
            .unwrap();
    }
    let url = format!("s3://{bucket}/AWSLogs/");
    let env = env(&endpoint);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let run = tokio::task::spawn_blocking({
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let url = url.clone();
        move || {
            let env: Vec<(&str, &str)> =
                env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            wsaudit_full(
                &crate::support::repo(),
                &["logs", &url, "--since", "2026-12-01", "--format", "json"],
                None,
                &env,
            )
        }
    })
    .await
    .unwrap();
    assert_eq!(run.code, 1, "{}", run.stderr);
    let r = json(&run.stdout);
    let logs = &r["chain"]["logs"];
    let names: Vec<&str> = logs["sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(names
        .iter()
        .all(|n| n.starts_with(&format!("s3://{bucket}/AWSLogs/"))));
    assert!(names.iter().all(|n| !n.contains("20261130")), "{names:?}");
    assert_eq!(logs["sources"][0]["format"], "alb");
    assert_eq!(logs["lines"], 80);
    assert!(
        run.stderr.contains("1 outside --since/--until"),
        "{}",
        run.stderr
    );
    assert!(r["chain"]["gaps"].as_array().unwrap().is_empty());

    // A bucket that does not exist: a gap with its code, exit 3, never a clean verdict.
    let missing = format!("s3://{bucket}-missing/x/");
    let run = tokio::task::spawn_blocking({
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move || {
            let env: Vec<(&str, &str)> =
                env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            wsaudit_full(
                &crate::support::repo(),
                &["logs", &missing, "--format", "json"],
                None,
                &env,
            )
        }
    })
    .await
    .unwrap();
    assert_eq!(run.code, 3, "{} {}", run.stdout, run.stderr);
    let r = json(&run.stdout);
    let gap = &r["chain"]["gaps"][0];
    assert!(
        gap["layer"].as_str().unwrap().starts_with("logs:s3://"),
        "{gap}"
    );
    assert!(
        gap["reason"].as_str().unwrap().contains("s3:ListBucket"),
        "{gap}"
    );
}
