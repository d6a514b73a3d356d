//! Which targets a scan audits: the declared `[[target]]`s and the routes the inventories
//! discovered, one per domain and path (declared first; a route found twice keeps both
//! sources), then the shard's share of them. Pure: no I/O, unit-tested here.

use crate::discover::{DiscoveredRoute, RoutePins};
use crate::policy::{HeartbeatDecl, TargetDecl};
use crate::report::scan::{shard_of, TargetSource};
use std::collections::BTreeMap;

/// One target to audit.
#[derive(Debug, Clone, PartialEq)]
pub struct TargetSpec {
    /// `domain` + `path`: the target's id in the report, the fingerprint and the shard hash.
    pub id: String,
    pub domain: String,
    pub path: String,
    pub source: TargetSource,
    pub pins: RoutePins,
    pub heartbeat: Option<HeartbeatDecl>,
    pub nginx_conf: Option<String>,
    pub haproxy_conf: Option<String>,
    pub caddy_conf: Option<String>,
}

pub fn target_id(domain: &str, path: &str) -> String {
    format!("{domain}{path}")
}

fn normalize_domain(d: &str) -> String {
    d.trim().trim_end_matches('.').to_ascii_lowercase()
}

/// Declared targets and discovered routes as one list, sorted by id. A discovered route is
/// audited at `websocket_paths` when the settings name them, else at the paths its layer
/// routes (their literal prefix), else at `/`; a declared target without paths likewise.
pub fn plan(
    declared: &[TargetDecl],
    discovered: &[DiscoveredRoute],
    websocket_paths: &[String],
) -> Vec<TargetSpec> {
    let default_paths: Vec<String> = if websocket_paths.is_empty() {
        vec!["/".to_string()]
    } else {
        websocket_paths.to_vec()
    };
    let mut by_id: BTreeMap<String, TargetSpec> = BTreeMap::new();
    for d in declared {
        let domain = normalize_domain(&d.domain);
        let paths = if d.paths.is_empty() {
            &default_paths
        } else {
            &d.paths
        };
        for path in paths {
            let id = target_id(&domain, path);
            by_id.entry(id.clone()).or_insert_with(|| TargetSpec {
                id,
                domain: domain.clone(),
                path: path.clone(),
                source: TargetSource {
                    kind: "declared".into(),
                    from: d.origin.clone(),
                },
                pins: RoutePins {
                    alb: d.alb.clone(),
                    cloudfront: d.cloudfront.clone(),
                    cloudflare_zone: d.cloudflare_zone.clone(),
                },
                heartbeat: d.heartbeat.clone(),
                nginx_conf: d.nginx_conf.clone(),
                haproxy_conf: d.haproxy_conf.clone(),
                caddy_conf: d.caddy_conf.clone(),
            });
        }
    }
    for r in discovered {
        let domain = normalize_domain(&r.domain);
        // A wildcard names no host a client dials; the inventories leave them out, and a
        // route that still has one is not audited as if it were a name.
        if domain.is_empty() || domain.contains('*') {
            continue;
        }
        // The user's `websocket_paths` say where their WebSockets are; without them, the
        // paths the layer routes for the name.
        let paths: Vec<String> = if r.paths.is_empty() || !websocket_paths.is_empty() {
            default_paths.clone()
        } else {
            let mut p: Vec<String> = r.paths.iter().map(|p| dialable_path(p)).collect();
            p.dedup();
            p
        };
        for path in &paths {
            let id = target_id(&domain, path);
            match by_id.get_mut(&id) {
                // Declared targets keep their own pins: the user chose them.
                Some(t) if t.source.kind == "declared" => {}
                Some(t) => {
                    if !t.source.from.split("; ").any(|f| f == r.from) {
                        t.source.from.push_str("; ");
                        t.source.from.push_str(&r.from);
                    }
                    t.pins.alb = t.pins.alb.take().or_else(|| r.pins.alb.clone());
                    t.pins.cloudfront = t
                        .pins
                        .cloudfront
                        .take()
                        .or_else(|| r.pins.cloudfront.clone());
                    t.pins.cloudflare_zone = t
                        .pins
                        .cloudflare_zone
                        .take()
                        .or_else(|| r.pins.cloudflare_zone.clone());
                    if t.nginx_conf.is_none() {
                        t.nginx_conf = nginx_file_of(&r.from);
                    }
                }
                None => {
                    by_id.insert(
                        id.clone(),
                        TargetSpec {
                            id,
                            domain: domain.clone(),
                            path: path.clone(),
                            source: TargetSource {
                                kind: "discovered".into(),
                                from: r.from.clone(),
                            },
                            pins: r.pins.clone(),
                            heartbeat: None,
                            nginx_conf: nginx_file_of(&r.from),
                            haproxy_conf: None,
                            caddy_conf: None,
                        },
                    );
                }
            }
        }
    }
    by_id.into_values().collect()
}

/// A path a client dials for a routed pattern: CloudFront path patterns and ALB path
/// conditions are globs (`/ws/*`, `/socket.io*`); the handshake is audited at their literal
/// prefix, which the pattern matches.
fn dialable_path(pattern: &str) -> String {
    let prefix = pattern.split(['*', '?']).next().unwrap_or_default();
    if prefix.starts_with('/') {
        prefix.to_string()
    } else {
        format!("/{prefix}")
    }
}

/// A route discovered in an nginx configuration is audited with that configuration behind
/// whatever the inventories put in front of it.
fn nginx_file_of(from: &str) -> Option<String> {
    let rest = from.strip_prefix("nginx ")?;
    Some(rest.split(' ').next()?.to_string())
}

/// `--shard I/N` (1-based), else JOB_COMPLETION_INDEX (0-based, a Kubernetes Indexed Job's pod
/// index) with `--shard-count N`. Returns the 0-based index and the count.
pub fn shard(
    flag: Option<&str>,
    job_index: Option<&str>,
    count: Option<u32>,
) -> Result<Option<(u32, u32)>, String> {
    if let Some(spec) = flag {
        let bad = || format!("--shard {spec:?}: expected I/N with 1 <= I <= N (e.g. --shard 2/4)");
        let (i, n) = spec.split_once('/').ok_or_else(bad)?;
        let i: u32 = i.trim().parse().map_err(|_| bad())?;
        let n: u32 = n.trim().parse().map_err(|_| bad())?;
        if n == 0 || i == 0 || i > n {
            return Err(bad());
        }
        if count.is_some_and(|c| c != n) {
            return Err(format!(
                "--shard {spec} and --shard-count {} disagree on the shard count",
                count.unwrap_or_default()
            ));
        }
        return Ok(Some((i - 1, n)));
    }
    match (job_index, count) {
        (_, Some(0)) => Err("--shard-count must be at least 1".into()),
        (Some(idx), Some(n)) => {
            let i: u32 = idx.trim().parse().map_err(|_| {
                format!("JOB_COMPLETION_INDEX={idx:?} is not a pod index (0, 1, …)")
            })?;
            if i >= n {
                return Err(format!(
                    "JOB_COMPLETION_INDEX={i} is not below --shard-count {n} (the Job's completions and the flag disagree)"
                ));
            }
            Ok(Some((i, n)))
        }
        (None, Some(_)) => Err(
            "--shard-count needs --shard I/N or JOB_COMPLETION_INDEX (set by a Kubernetes Indexed Job)"
                .into(),
        ),
        _ => Ok(None),
    }
}

/// The targets of shard `index` (0-based) of `count`.
pub fn of_shard(targets: Vec<TargetSpec>, index: u32, count: u32) -> Vec<TargetSpec> {
    targets
        .into_iter()
        .filter(|t| shard_of(&t.id, count) == index)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decl(domain: &str, paths: &[&str]) -> TargetDecl {
        TargetDecl {
            domain: domain.into(),
            paths: paths.iter().map(|p| p.to_string()).collect(),
            origin: "wsaudit.toml:3".into(),
            ..Default::default()
        }
    }

    fn route(domain: &str, paths: &[&str], from: &str, pins: RoutePins) -> DiscoveredRoute {
        DiscoveredRoute {
            domain: domain.into(),
            paths: paths.iter().map(|p| p.to_string()).collect(),
            from: from.into(),
            pins,
        }
    }

    #[test]
    fn declared_win_discovered_merge_and_websocket_paths_set_the_paths() {
        let declared = [
            decl("WS.Example.com.", &["/ws/"]),
            decl("api.example.com", &[]),
        ];
        let alb = RoutePins {
            alb: Some("arn:lb".into()),
            ..Default::default()
        };
        let zone = RoutePins {
            cloudflare_zone: Some("example.com".into()),
            ..Default::default()
        };
        let discovered = [
            route("ws.example.com", &["/ws/"], "alb rule-1", alb.clone()),
            route("live.example.com", &[], "alb rule-2", alb.clone()),
            route("live.example.com", &[], "cloudflare zone example.com", zone),
            route("*.example.com", &[], "alb rule-3", alb),
            route(
                "chat.example.com",
                &["/cable"],
                "nginx conf/nginx.conf:12",
                RoutePins::default(),
            ),
        ];
        let t = plan(&declared, &discovered, &[]);
        let ids: Vec<&str> = t.iter().map(|t| t.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "api.example.com/",
                "chat.example.com/cable",
                "live.example.com/",
                "ws.example.com/ws/"
            ]
        );
        let ws = &t[3];
        assert_eq!(ws.source.kind, "declared");
        assert_eq!(ws.pins, RoutePins::default(), "declared pins stand");
        let live = &t[2];
        assert_eq!(live.source.from, "alb rule-2; cloudflare zone example.com");
        assert_eq!(live.pins.alb.as_deref(), Some("arn:lb"));
        assert_eq!(live.pins.cloudflare_zone.as_deref(), Some("example.com"));
        assert_eq!(t[1].nginx_conf.as_deref(), Some("conf/nginx.conf:12"));

        // The settings' websocket_paths say where the WebSockets are: every discovered route
        // and every declared target without paths is audited there.
        let t = plan(&declared, &discovered, &["/socket".into()]);
        let ids: Vec<&str> = t.iter().map(|t| t.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "api.example.com/socket",
                "chat.example.com/socket",
                "live.example.com/socket",
                "ws.example.com/socket",
                "ws.example.com/ws/"
            ]
        );
    }

    #[test]
    fn routed_patterns_are_audited_at_their_literal_prefix() {
        let r = route(
            "a.example.com",
            &["/ws/*", "/socket.io*", "*", "/ws/*", "/exact"],
            "cloudfront E1",
            RoutePins::default(),
        );
        let ids: Vec<String> = plan(&[], &[r], &[]).into_iter().map(|t| t.id).collect();
        assert_eq!(
            ids,
            [
                "a.example.com/",
                "a.example.com/exact",
                "a.example.com/socket.io",
                "a.example.com/ws/"
            ]
        );
    }

    #[test]
    fn without_websocket_paths_a_route_is_audited_at_the_root() {
        let t = plan(&[decl("a.example.com", &[])], &[], &[]);
        assert_eq!(t[0].id, "a.example.com/");
    }

    #[test]
    fn shard_specs() {
        assert_eq!(shard(Some("1/4"), None, None), Ok(Some((0, 4))));
        assert_eq!(shard(Some("4/4"), Some("0"), None), Ok(Some((3, 4))));
        assert_eq!(shard(None, Some("2"), Some(3)), Ok(Some((2, 3))));
        assert_eq!(shard(None, Some("2"), None), Ok(None));
        assert_eq!(shard(None, None, None), Ok(None));
        for bad in ["3/2", "0/2", "1/0", "a/b", "2", "1/-2"] {
            let e = shard(Some(bad), None, None).unwrap_err();
            assert!(e.contains("expected I/N"), "{bad}: {e}");
        }
        assert!(shard(None, Some("3"), Some(3))
            .unwrap_err()
            .contains("not below"));
        assert!(shard(None, None, Some(3))
            .unwrap_err()
            .contains("JOB_COMPLETION_INDEX"));
        assert!(shard(Some("1/2"), None, Some(3))
            .unwrap_err()
            .contains("disagree"));
    }

    #[test]
    fn shards_partition_the_targets() {
        let declared: Vec<TargetDecl> = (0..50)
            .map(|i| decl(&format!("t{i}.example.com"), &["/ws"]))
            .collect();
        let all = plan(&declared, &[], &[]);
        let mut seen = 0;
        for i in 0..3 {
            seen += of_shard(all.clone(), i, 3).len();
        }
        assert_eq!(seen, 50);
    }
}
