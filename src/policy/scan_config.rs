//! The `wsaudit scan` part of `wsaudit.toml`: declared `[[target]]`s, the `[scan]` table (what
//! to discover, concurrency), `[[aws.account]]`s (a profile or a role to assume, regions) and
//! `[[cloudflare.account]]`s (a token by the name of the environment variable that holds it,
//! never the token). Strict like the rest of the file: an unknown key, a target without a
//! domain, a malformed role ARN is an error at its `file:line:column`.

use super::config::{line_col, ConfigError, HeartbeatDecl};
use crate::model::{parse_duration, HeartbeatDirection};
use serde::Deserialize;

/// What the providers can discover targets from.
pub const DISCOVERABLE: &[&str] = &["cloudfront", "alb", "cloudflare", "nginx"];

#[derive(Debug, Clone, PartialEq, Default)]
pub struct ScanConfig {
    pub targets: Vec<TargetDecl>,
    pub discover: Vec<String>,
    pub concurrency: Option<usize>,
    /// `[scan] nginx_conf`: the nginx configurations `discover = ["nginx"]` lists WebSocket
    /// locations from (relative to the settings file).
    pub nginx_confs: Vec<String>,
    pub aws_accounts: Vec<AwsAccount>,
    pub cloudflare_accounts: Vec<CloudflareAccount>,
}

/// One declared target: a domain, its paths and the pins `chain` takes.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TargetDecl {
    pub domain: String,
    pub paths: Vec<String>,
    pub heartbeat: Option<HeartbeatDecl>,
    pub alb: Option<String>,
    pub cloudfront: Option<String>,
    pub cloudflare_zone: Option<String>,
    pub nginx_conf: Option<String>,
    pub haproxy_conf: Option<String>,
    pub caddy_conf: Option<String>,
    /// `file:line` of the `[[target]]`.
    pub origin: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AwsAccount {
    pub profile: Option<String>,
    pub role_arn: Option<String>,
    pub external_id: Option<String>,
    pub session_name: Option<String>,
    pub regions: Vec<String>,
    pub origin: String,
}

impl AwsAccount {
    /// The account id a role ARN names (`arn:aws:iam::123456789012:role/x`).
    pub fn account_id(&self) -> Option<&str> {
        self.role_arn.as_deref()?.split(':').nth(4)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct CloudflareAccount {
    /// The environment variable that holds the token (`CF_TOKEN_PROD`).
    pub token_env: String,
    pub origin: String,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawScan {
    #[serde(default)]
    discover: Vec<toml::Spanned<String>>,
    concurrency: Option<toml::Spanned<i64>>,
    nginx_conf: Option<OneOrMany>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTarget {
    domain: Option<String>,
    path: Option<toml::Spanned<String>>,
    #[serde(default)]
    paths: Vec<toml::Spanned<String>>,
    heartbeat: Option<toml::Spanned<String>>,
    alb: Option<String>,
    cloudfront: Option<String>,
    cloudflare_zone: Option<String>,
    nginx_conf: Option<String>,
    haproxy_conf: Option<String>,
    caddy_conf: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAws {
    #[serde(default)]
    account: Vec<toml::Spanned<RawAwsAccount>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAwsAccount {
    profile: Option<String>,
    role_arn: Option<toml::Spanned<String>>,
    external_id: Option<String>,
    session_name: Option<String>,
    #[serde(default)]
    regions: Vec<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCloudflare {
    #[serde(default)]
    account: Vec<toml::Spanned<RawCloudflareAccount>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCloudflareAccount {
    token_env: toml::Spanned<String>,
}

/// The parts of the raw file the scan reads.
pub(super) struct RawScanParts {
    pub scan: Option<toml::Spanned<RawScan>>,
    pub target: Vec<toml::Spanned<RawTarget>>,
    pub aws: Option<RawAws>,
    pub cloudflare: Option<RawCloudflare>,
}

/// `arn:aws:iam::123456789012:role/path/name` (any partition).
fn valid_role_arn(s: &str) -> bool {
    let parts: Vec<&str> = s.splitn(6, ':').collect();
    matches!(parts.as_slice(), ["arn", partition, "iam", "", account, resource]
        if partition.starts_with("aws")
            && account.len() == 12
            && account.bytes().all(|b| b.is_ascii_digit())
            && resource.strip_prefix("role/").is_some_and(|n| !n.is_empty()))
}

/// A path in the settings file is relative to the file, so a scheduled job finds the same
/// files whatever directory it runs in.
fn relative_to(settings: &str, path: &str) -> String {
    let p = std::path::Path::new(path);
    match std::path::Path::new(settings).parent() {
        Some(dir) if p.is_relative() && !dir.as_os_str().is_empty() => {
            dir.join(p).to_string_lossy().into_owned()
        }
        _ => path.to_string(),
    }
}

pub(super) fn build(raw: RawScanParts, text: &str, file: &str) -> Result<ScanConfig, ConfigError> {
    let at = |offset: usize, message: String| {
        let (line, column) = line_col(text, offset);
        ConfigError::Invalid {
            file: file.to_string(),
            line,
            column,
            message,
        }
    };
    let origin = |offset: usize| format!("{file}:{}", line_col(text, offset).0);
    let mut out = ScanConfig::default();
    if let Some(scan) = raw.scan {
        let scan = scan.into_inner();
        for d in scan.discover {
            if !DISCOVERABLE.contains(&d.get_ref().as_str()) {
                return Err(at(
                    d.span().start,
                    format!(
                        "scan.discover: {:?} is not something wsaudit discovers from (one of {})",
                        d.get_ref(),
                        DISCOVERABLE.join(", ")
                    ),
                ));
            }
            out.discover.push(d.into_inner());
        }
        if let Some(c) = scan.concurrency {
            if *c.get_ref() < 1 || *c.get_ref() > 256 {
                return Err(at(
                    c.span().start,
                    format!("scan.concurrency must be 1-256, got {}", c.get_ref()),
                ));
            }
            out.concurrency = Some(*c.get_ref() as usize);
        }
        out.nginx_confs = match scan.nginx_conf {
            None => Vec::new(),
            Some(OneOrMany::One(f)) => vec![relative_to(file, &f)],
            Some(OneOrMany::Many(fs)) => fs.iter().map(|f| relative_to(file, f)).collect(),
        };
    }
    for t in raw.target {
        let start = t.span().start;
        let t = t.into_inner();
        let Some(domain) = t.domain.filter(|d| !d.trim().is_empty()) else {
            return Err(at(start, "a [[target]] needs a `domain`".into()));
        };
        let mut paths = Vec::new();
        for p in t.path.into_iter().chain(t.paths) {
            if !p.get_ref().starts_with('/') {
                return Err(at(
                    p.span().start,
                    format!("target path {:?} must start with \"/\"", p.get_ref()),
                ));
            }
            paths.push(p.into_inner());
        }
        let heartbeat = match t.heartbeat {
            None => None,
            Some(h) => Some(HeartbeatDecl {
                interval: parse_duration(h.get_ref())
                    .map_err(|m| at(h.span().start, format!("target heartbeat: {m}")))?,
                direction: HeartbeatDirection::ServerToClient,
            }),
        };
        out.targets.push(TargetDecl {
            domain,
            paths,
            heartbeat,
            alb: t.alb,
            cloudfront: t.cloudfront,
            cloudflare_zone: t.cloudflare_zone,
            nginx_conf: t.nginx_conf.map(|f| relative_to(file, &f)),
            haproxy_conf: t.haproxy_conf.map(|f| relative_to(file, &f)),
            caddy_conf: t.caddy_conf.map(|f| relative_to(file, &f)),
            origin: origin(start),
        });
    }
    for a in raw.aws.map(|a| a.account).unwrap_or_default() {
        let start = a.span().start;
        let a = a.into_inner();
        if let Some(arn) = &a.role_arn {
            if !valid_role_arn(arn.get_ref()) {
                return Err(at(
                    arn.span().start,
                    format!(
                        "role_arn {:?} is not an IAM role ARN (arn:aws:iam::<12-digit account>:role/<name>)",
                        arn.get_ref()
                    ),
                ));
            }
        }
        if a.profile.is_none() && a.role_arn.is_none() {
            return Err(at(
                start,
                "an [[aws.account]] needs a `profile` or a `role_arn`".into(),
            ));
        }
        out.aws_accounts.push(AwsAccount {
            profile: a.profile,
            role_arn: a.role_arn.map(toml::Spanned::into_inner),
            external_id: a.external_id,
            session_name: a.session_name,
            regions: a.regions,
            origin: origin(start),
        });
    }
    for c in raw.cloudflare.map(|c| c.account).unwrap_or_default() {
        let start = c.span().start;
        let c = c.into_inner();
        let name = c.token_env.get_ref();
        // The token itself is never in the file: only the name of the variable that holds it.
        if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            return Err(at(
                c.token_env.span().start,
                "token_env is the NAME of the environment variable holding the token (e.g. CF_TOKEN_PROD), never the token".into(),
            ));
        }
        out.cloudflare_accounts.push(CloudflareAccount {
            token_env: name.clone(),
            origin: origin(start),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use crate::policy::Config;

    fn err(text: &str) -> String {
        Config::parse(text, "w.toml").unwrap_err().to_string()
    }

    #[test]
    fn targets_accounts_and_scan_settings_are_read() {
        let (c, _) = Config::parse(
            "[scan]\ndiscover = [\"alb\", \"nginx\"]\nconcurrency = 4\n\n[[target]]\ndomain = \"ws.example.com\"\npaths = [\"/ws/\", \"/cable\"]\nheartbeat = \"25s\"\nalb = \"web\"\n\n[[aws.account]]\nrole_arn = \"arn:aws:iam::123456789012:role/wsaudit-read\"\nregions = [\"eu-west-1\", \"us-east-1\"]\n\n[[cloudflare.account]]\ntoken_env = \"CF_TOKEN_PROD\"\n",
            "w.toml",
        )
        .unwrap();
        let s = &c.scan;
        assert_eq!(s.discover, ["alb", "nginx"]);
        assert_eq!(s.concurrency, Some(4));
        assert_eq!(s.targets[0].domain, "ws.example.com");
        assert_eq!(s.targets[0].paths, ["/ws/", "/cable"]);
        assert_eq!(s.targets[0].origin, "w.toml:5");
        assert_eq!(s.aws_accounts[0].account_id(), Some("123456789012"));
        assert_eq!(s.cloudflare_accounts[0].token_env, "CF_TOKEN_PROD");
    }

    #[test]
    fn bad_scan_input_points_at_its_line_and_column() {
        assert!(err("[[target]]\npath = \"/ws\"\n")
            .starts_with("w.toml:1:1: a [[target]] needs a `domain`"));
        assert!(err("[[target]]\ndomain = \"a\"\npath = \"ws\"\n")
            .starts_with("w.toml:3:8: target path"));
        assert!(
            err("[[aws.account]]\nrole_arn = \"arn:aws:iam::1234:role/x\"\n").starts_with(
                "w.toml:2:12: role_arn \"arn:aws:iam::1234:role/x\" is not an IAM role ARN"
            )
        );
        assert!(err("[scan]\ndiscover = [\"route53\"]\n").starts_with("w.toml:2:13: scan.discover"));
        assert!(err("[[target]]\ndomain = \"a\"\nbogus = 1\n").starts_with("w.toml:3:1:"));
        assert!(
            err("[[cloudflare.account]]\ntoken_env = \"abc-123.secret\"\n")
                .contains("never the token")
        );
    }
}
