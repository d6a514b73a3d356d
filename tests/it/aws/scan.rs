//! `wsaudit scan` against the AWS emulator: two accounts (the second, and each test's own,
//! reached by assuming a role into it: moto keys resources by the account the credentials
//! belong to) × three regions, 54 load balancers with host/path rules, CloudFront
//! distributions in front of some and Route 53 records for the declared targets, all created
//! through the SDK. What a compliance team relies on: every entry point found and audited once,
//! each API read once per account and region (the call count does not grow with the targets),
//! and one account that cannot be read being a gap on its targets, never a clean verdict.

use super::cli::{as_refs, assert_no_secret, aws_env, wsaudit};
use crate::support::aws::fixtures::{self, forward, Behavior, Lb, Origin as Orig};
use crate::support::aws::proxy::{Fault, Proxy, Rule};
use crate::support::aws::{fast_options, moto_url, sdk_config, unique};
use aws_config::sts::AssumeRoleProvider;
use aws_config::{Region, SdkConfig};
use aws_sdk_cloudfront::types::{HttpVersion, OriginProtocolPolicy};
use aws_sdk_elasticloadbalancingv2::types::ProtocolEnum;
use serde_json::Value;
use wsaudit::providers::aws::sdk_loader;

const REGIONS: [&str; 3] = ["us-east-1", "eu-west-1", "ap-southeast-2"];
const LBS_PER_REGION: usize = 9;

/// A 12-digit account id no other test uses (so the scan sees only this test's resources).
fn account_id() -> String {
    use std::hash::BuildHasher;
    let n = std::collections::hash_map::RandomState::new().hash_one("account");
    format!("{:012}", n % 900_000_000_000 + 100_000_000_000)
}

fn role(account: &str) -> String {
    format!("arn:aws:iam::{account}:role/wsaudit-read")
}

/// The SDK configuration of `account` in `region`, by assuming its role as the scan does.
async fn account_sdk(moto: &str, account: &str, region: &str) -> SdkConfig {
    let base = sdk_config(moto, &fast_options()).await;
    let provider = AssumeRoleProvider::builder(role(account))
        .session_name("wsaudit-fixture")
        .configure(&base)
        .build()
        .await;
    sdk_loader(&fast_options())
        .timeout_config(crate::support::aws::test_timeouts())
        .endpoint_url(moto)
        .region(Region::new(region.to_string()))
        .credentials_provider(provider)
        .load()
        .await
}

struct Account {
    id: String,
    /// (region, load balancer, the host its rule routes `/ws/*` for)
    lbs: Vec<(String, Lb, String)>,
    aliases: Vec<String>,
    /// Declared targets: a Route 53 alias to one of the load balancers, with its DNS name.
    records: Vec<(String, String)>,
}

async fn account(moto: &str, records: usize) -> Account {
    let id = account_id();
    let mut lbs = Vec::new();
    for region in REGIONS {
        let sdk = account_sdk(moto, &id, region).await;
        let (vpc, subnets) = crate::support::aws::ec2::vpc(&sdk).await;
        let made = futures_util::future::join_all((0..LBS_PER_REGION).map(|i| {
            let sdk = sdk.clone();
            let id = id.clone();
            let (vpc, subnets) = (vpc.clone(), subnets.clone());
            async move {
                let lb =
                    fixtures::load_balancer_in(&sdk, &unique("scan"), false, vpc, subnets).await;
                let tg = fixtures::target_group(
                    &sdk,
                    &lb,
                    &unique("t"),
                    ProtocolEnum::Http,
                    None,
                    1,
                    &[],
                )
                .await;
                let l =
                    fixtures::listener(&sdk, &lb.arn, ProtocolEnum::Http, 80, forward(&tg)).await;
                let host = format!("h{i}-{}.a{id}.example.com", lb.name.to_ascii_lowercase());
                fixtures::rule(&sdk, &l, 1, &[&host], &["/ws/*"], forward(&tg)).await;
                (region.to_string(), lb, host)
            }
        }))
        .await;
        lbs.extend(made);
    }
    let global = account_sdk(moto, &id, "us-east-1").await;
    let front = lbs[0].1.dns.clone();
    let mut aliases = Vec::new();
    for d in 0..3 {
        let names = [
            format!("cf{d}-0.a{id}.example.net"),
            format!("cf{d}-1.a{id}.example.net"),
        ];
        fixtures::distribution(
            &global,
            &[&names[0], &names[1]],
            &[Orig {
                id: "alb",
                domain: &front,
                custom: Some((OriginProtocolPolicy::HttpOnly, 30, 5)),
            }],
            &[
                Behavior {
                    pattern: None,
                    origin: "alb",
                    origin_request_policy: None,
                    headers: &["*"],
                    viewer: None,
                },
                Behavior {
                    pattern: Some("/ws/*"),
                    origin: "alb",
                    origin_request_policy: None,
                    headers: &["*"],
                    viewer: None,
                },
            ],
            HttpVersion::Http2,
        )
        .await;
        aliases.extend(names);
    }
    let mut recs = Vec::new();
    for i in 0..records {
        let name = format!("r{i}.a{id}.example.org");
        let dns = lbs[i % lbs.len()].1.dns.clone();
        fixtures::alias_record(&global, &format!("r{i}.a{id}.example.org"), &name, &dns).await;
        recs.push((name, dns));
    }
    Account {
        id,
        lbs,
        aliases,
        records: recs,
    }
}

fn settings(accounts: &[&Account], declared: usize) -> String {
    let mut s = String::from("[scan]\ndiscover = [\"alb\", \"cloudfront\"]\n\n");
    for a in accounts {
        s.push_str(&format!(
            "[[aws.account]]\nrole_arn = \"{}\"\nregions = [\"us-east-1\", \"eu-west-1\", \"ap-southeast-2\"]\n\n",
            role(&a.id)
        ));
    }
    for a in accounts {
        for (name, _) in a.records.iter().take(declared) {
            s.push_str(&format!(
                "[[target]]\ndomain = \"{name}\"\npath = \"/ws/\"\n\n"
            ));
        }
    }
    s
}

fn scan(dir: &std::path::Path, endpoint: &str, extra: &[&str]) -> (std::process::Output, Value) {
    let env = aws_env(endpoint);
    let config = dir.join("wsaudit.toml");
    let mut args = vec![
        "scan",
        "--config",
        config.to_str().unwrap(),
        "--format",
        "json",
    ];
    args.extend_from_slice(extra);
    let out = wsaudit(&args, &as_refs(&env));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out, v)
}

fn target<'a>(v: &'a Value, id: &str) -> &'a Value {
    v["scan"]["targets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["target"] == id)
        .unwrap_or_else(|| {
            let ids: Vec<&Value> = v["scan"]["targets"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| &t["target"])
                .collect();
            panic!("no target {id} among {ids:?}")
        })
}

#[tokio::test]
async fn two_accounts_three_regions_every_entry_point_found_and_each_api_read_once() {
    let Some(moto) = moto_url() else { return };
    let (a, b) = tokio::join!(account(&moto, 6), account(&moto, 6));
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("wsaudit.toml"), settings(&[&a, &b], 3)).unwrap();
    let (out, v) = scan(dir.path(), &moto, &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_no_secret(&out);
    assert_eq!(
        v["scan"]["summary"]["incomplete"], 0,
        "every layer was readable: {stderr}"
    );

    for acct in [&a, &b] {
        // Every listener rule's host, at the path its condition routes.
        for (region, lb, host) in &acct.lbs {
            let t = target(&v, &format!("{host}/ws/"));
            assert_eq!(t["source"]["kind"], "discovered");
            let alb = &t["chain"]["layers"][0];
            assert_eq!(alb["provider"], "alb", "{t}");
            assert!(
                alb["locator"].as_str().unwrap().contains(&lb.arn),
                "{region}: {alb}"
            );
        }
        // Every CloudFront alias, with the distribution in front of its load balancer.
        for alias in &acct.aliases {
            let t = target(&v, &format!("{alias}/ws/"));
            let providers: Vec<&Value> = t["chain"]["layers"]
                .as_array()
                .unwrap()
                .iter()
                .map(|l| &l["provider"])
                .collect();
            assert_eq!(providers, ["cloudfront", "alb"], "{alias}");
        }
        // Declared targets: through Route 53 to their load balancer.
        for (name, dns) in acct.records.iter().take(3) {
            let t = target(&v, &format!("{name}/ws/"));
            assert_eq!(t["source"]["kind"], "declared");
            let lb = acct.lbs.iter().find(|(_, lb, _)| &lb.dns == dns).unwrap();
            assert!(
                t["chain"]["layers"][0]["locator"]
                    .as_str()
                    .unwrap()
                    .contains(&lb.1.arn),
                "{t}"
            );
        }
    }
    let calls = v["scan"]["api_calls"].clone();
    let elb = calls["elasticloadbalancing"].as_u64().unwrap();
    // O(accounts × regions + resources): per region a listing, per load balancer its
    // attributes, listeners and rules, per target group its attributes and health; never per
    // target.
    let lbs = (a.lbs.len() + b.lbs.len()) as u64;
    assert!(
        elb <= 6 * 2 + lbs * 6,
        "{elb} ELB calls for {lbs} load balancers"
    );

    // Twice the declared targets: not one call more.
    std::fs::write(dir.path().join("wsaudit.toml"), settings(&[&a, &b], 6)).unwrap();
    let (_, more) = scan(dir.path(), &moto, &[]);
    assert_eq!(
        more["scan"]["summary"]["targets"].as_u64().unwrap(),
        v["scan"]["summary"]["targets"].as_u64().unwrap() + 6
    );
    assert_eq!(
        more["scan"]["api_calls"], calls,
        "calls do not grow with targets"
    );
    assert!(stderr.contains("API calls: "), "{stderr}");
}

// The binary runs on a blocking call: the fault proxy needs a runtime thread of its own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_account_whose_role_cannot_be_assumed_is_a_gap_on_its_targets_the_others_are_audited() {
    let Some(moto) = moto_url() else { return };
    let (a, b) = tokio::join!(account(&moto, 2), account(&moto, 2));
    // The STS answer for B's role: AccessDenied (B's id is in the AssumeRole request body).
    let proxy = Proxy::start(
        &moto,
        vec![Rule::when("AssumeRole", &b.id, Fault::AccessDenied)],
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("wsaudit.toml"), settings(&[&a, &b], 2)).unwrap();
    // Findings would fail the scan first (exit 1); without a threshold, the account that
    // could not be read is what the exit code says.
    let (out, v) = scan(dir.path(), &proxy.url, &["--fail-on", "never"]);
    assert_no_secret(&out);
    assert_eq!(out.status.code(), Some(3), "{v}");
    // A's entry points are audited as if B did not exist.
    for (_, _, host) in &a.lbs {
        let t = target(&v, &format!("{host}/ws/"));
        assert!(t["chain"]["gaps"].as_array().unwrap().is_empty(), "{t}");
    }
    // B's declared targets: a gap naming the account and the denial, never clean.
    for (name, _) in &b.records {
        let t = target(&v, &format!("{name}/ws/"));
        let gaps = t["chain"]["gaps"].to_string();
        assert!(
            gaps.contains(&b.id) && gaps.contains("AccessDenied"),
            "{name}: {t}"
        );
    }
    assert!(v["scan"]["summary"]["incomplete"].as_u64().unwrap() >= 2);
    // And the scan itself says which account it could not read.
    let unread = v["scan"]["unread"].to_string();
    assert!(
        unread.contains(&b.id) && !unread.contains(&a.id),
        "{unread}"
    );
}

/// A declared target whose Route 53 name is weighted over two load balancers is audited at
/// both, as `chain` does: the heavy route keeps the target's id, the light one is
/// `ID via TARGET` with its own findings, and the scan fails on the route that cuts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_weighted_name_is_one_scan_target_per_load_balancer_it_sends_clients_to() {
    let Some(moto) = moto_url() else { return };
    let id = account_id();
    let sdk = account_sdk(&moto, &id, "us-east-1").await;
    let blue = fixtures::simple_alb(&sdk, "blue", 1, 80).await;
    let green = fixtures::simple_alb(&sdk, "green", 1, 80).await;
    fixtures::lb_attributes(&sdk, &blue.arn, &[("idle_timeout.timeout_seconds", "20")]).await;
    fixtures::lb_attributes(
        &sdk,
        &green.arn,
        &[("idle_timeout.timeout_seconds", "3600")],
    )
    .await;
    let zone = format!("w{id}.example.org");
    let name = format!("ws.{zone}");
    fixtures::weighted_aliases(
        &sdk,
        &zone,
        &name,
        &[("blue", &blue.dns, 10), ("green", &green.dns, 90)],
    )
    .await;

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("wsaudit.toml"),
        format!(
            "[[aws.account]]\nrole_arn = \"{}\"\nregions = [\"us-east-1\"]\n\n[[target]]\ndomain = \"{name}\"\npath = \"/ws/\"\nheartbeat = \"30s\"\n",
            role(&id)
        ),
    )
    .unwrap();
    let (out, v) = scan(dir.path(), &moto, &["--fail-on", "high"]);
    assert_no_secret(&out);
    assert_eq!(
        v["scan"]["targets"].as_array().unwrap().len(),
        2,
        "{}",
        v["scan"]["targets"]
    );
    let heavy = target(&v, &format!("{name}/ws/"));
    let light = target(
        &v,
        &format!("{name}/ws/ via {}", blue.dns.to_ascii_lowercase()),
    );
    assert_eq!(heavy["chain"]["route"]["set_identifier"], "green");
    assert_eq!(light["chain"]["route"]["set_identifier"], "blue");
    let rules = |t: &Value| crate::support::rules_of(&t["findings"]);
    assert!(
        rules(light).contains(&"WS202".to_string()),
        "{}",
        light["findings"]
    );
    assert!(
        !rules(heavy).contains(&"WS202".to_string()),
        "{}",
        heavy["findings"]
    );
    // Each audited, so neither is a path not followed.
    assert!(
        !rules(heavy).contains(&"WS108".to_string())
            && !rules(light).contains(&"WS108".to_string())
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
