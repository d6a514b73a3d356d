//! `wsaudit scan` through the binary against the loopback API v4 server: every proxied record
//! of the zones a token (named by `token_env`) can read is a target, the calls counted in the
//! report are the calls the server answered, and a token whose variable is unset is a gap on
//! the targets it could have held, never a clean verdict.

use crate::support::cloudflare::*;
use crate::support::run::{wsaudit_full, NO_AWS};
use serde_json::Value;

const Z2: &str = "1b2c3d4e5f60718293a4b5c6d7e8f901";

fn zone(id: &str, name: &str) -> ZoneSpec {
    let mut records: Vec<Value> = (0..20)
        .map(|i| {
            record_object(
                &format!("live{i}.{name}"),
                "CNAME",
                "ws-alb-1.eu-west-1.elb.amazonaws.com",
                true,
            )
        })
        .collect();
    records.push(record_object(
        &format!("mail.{name}"),
        "TXT",
        "v=spf1 -all",
        false,
    ));
    ZoneSpec {
        id: id.into(),
        name: name.into(),
        records,
    }
}

#[tokio::test]
async fn every_proxied_record_is_a_target_and_an_unset_token_is_a_gap() {
    let cf = FakeCloudflare::start().await;
    cf.zones(&[zone(ZONE_ID, "example.com"), zone(Z2, "example.org")])
        .await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("wsaudit.toml"),
        "websocket_paths = [\"/ws\"]\n\n[scan]\ndiscover = [\"cloudflare\"]\n\n\
         [[cloudflare.account]]\ntoken_env = \"CF_SCAN_TOKEN\"\n\n\
         [[cloudflare.account]]\ntoken_env = \"CF_OTHER_TOKEN\"\n\n\
         [[target]]\ndomain = \"chat.example.io\"\npath = \"/ws\"\n",
    )
    .unwrap();
    let base = cf.base_url();
    let dir_path = dir.path().to_path_buf();
    let r = tokio::task::spawn_blocking(move || {
        let mut env: Vec<(&str, &str)> = NO_AWS.to_vec();
        env.extend([
            ("CF_SCAN_TOKEN", "scan-token-value-must-not-leak"),
            ("WSAUDIT_CLOUDFLARE_API_URL", base.as_str()),
            ("CLOUDFLARE_API_TOKEN", ""),
        ]);
        wsaudit_full(&dir_path, &["scan", "--format", "json"], None, &env)
    })
    .await
    .unwrap();
    assert!(!r.stdout.contains("scan-token-value-must-not-leak"));
    assert!(!r.stderr.contains("scan-token-value-must-not-leak"));
    let v: Value = serde_json::from_str(&r.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}\n{}", r.stdout, r.stderr));
    let targets = v["scan"]["targets"].as_array().unwrap();
    // 40 proxied records at the configured WebSocket path, and the declared target.
    assert_eq!(targets.len(), 41, "{}", r.stderr);
    for t in targets
        .iter()
        .filter(|t| t["source"]["kind"] == "discovered")
    {
        let id = t["target"].as_str().unwrap();
        assert!(id.starts_with("live") && id.ends_with("/ws"), "{id}");
        assert!(
            t["source"]["from"]
                .as_str()
                .unwrap()
                .contains("(token CF_SCAN_TOKEN)"),
            "{t}"
        );
        assert_eq!(t["chain"]["layers"][0]["provider"], "cloudflare", "{t}");
        assert!(t["chain"]["gaps"].as_array().unwrap().is_empty(), "{t}");
    }
    // The declared name is in no zone CF_SCAN_TOKEN sees, and CF_OTHER_TOKEN is unset: what
    // that token holds is unknown, so the target is incomplete and the scan says so.
    let declared = targets
        .iter()
        .find(|t| t["target"] == "chat.example.io/ws")
        .unwrap();
    let gaps = declared["chain"]["gaps"].to_string();
    assert!(gaps.contains("CF_OTHER_TOKEN"), "{declared}");
    assert_eq!(r.code, 3, "{}", r.stderr);
    // Each call the report counts is one the server answered: the zone list, each zone's
    // records, load balancers, settings and phases, read once for all 41 targets.
    let served = cf.requests().await.len() as u64;
    assert_eq!(v["scan"]["api_calls"]["cloudflare"], served);
    assert!(served < 41, "{served} calls for 41 targets");
}
