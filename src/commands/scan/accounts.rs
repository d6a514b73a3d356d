//! The accounts a scan reads, as clients: each `[[aws.account]]` by its profile or by a role
//! assumed (aws-config's standard assume-role provider, from the ambient credentials), each
//! `[[cloudflare.account]]` by the environment variable that holds its token. With none
//! declared, the ambient AWS credentials and `CLOUDFLARE_API_TOKEN` are one account each when
//! the environment names them.

use crate::policy::{AwsAccount, CloudflareAccount};
use crate::providers::aws::{sdk_loader, AwsClients, AwsOptions};
use crate::providers::calls::CallCounter;
use crate::providers::cloudflare::{ClientOptions, CloudflareClient, API_URL_ENV, TOKEN_ENV};
use aws_config::retry::RetryConfig;
use aws_config::sts::AssumeRoleProvider;

/// An AWS account ready to read, or why it cannot be.
pub struct AwsTarget {
    /// How reports name it: the role's account id, `profile NAME`, or `ambient`.
    pub label: String,
    pub clients: Result<AwsClients, String>,
    pub regions: Vec<String>,
}

/// The scan's retry policy: the SDK's adaptive mode, which slows the client down when the
/// service throttles instead of retrying at full speed into the same limit.
fn loader(opts: &AwsOptions) -> aws_config::ConfigLoader {
    sdk_loader(opts).retry_config(
        RetryConfig::adaptive()
            .with_max_attempts(opts.max_attempts.max(1))
            .with_initial_backoff(opts.initial_backoff),
    )
}

/// How reports name an account: the role's account id, `profile NAME`, or `ambient`.
pub fn label(account: &AwsAccount) -> String {
    match (&account.role_arn, &account.profile) {
        (Some(_), _) => account.account_id().unwrap_or("role").to_string(),
        (None, Some(p)) => format!("profile {p}"),
        (None, None) => "ambient".to_string(),
    }
}

pub async fn aws_account(
    account: &AwsAccount,
    opts: &AwsOptions,
    counter: &CallCounter,
) -> AwsTarget {
    let label = label(account);
    let mut l = loader(opts);
    if let Some(p) = &account.profile {
        l = l.profile_name(p);
    }
    let base = l.load().await;
    let sdk = match &account.role_arn {
        None => base,
        Some(arn) => {
            let mut b = AssumeRoleProvider::builder(arn.clone()).session_name(
                account
                    .session_name
                    .clone()
                    .unwrap_or_else(|| "wsaudit-scan".into()),
            );
            if let Some(id) = &account.external_id {
                b = b.external_id(id.clone());
            }
            let provider = b.configure(&base).build().await;
            let mut l = loader(opts).credentials_provider(provider);
            if let Some(p) = &account.profile {
                l = l.profile_name(p);
            }
            l.load().await
        }
    };
    let clients = AwsClients::counted(sdk, counter.clone());
    let regions = if account.regions.is_empty() {
        clients.default_region().into_iter().collect()
    } else {
        account.regions.clone()
    };
    let checked = match clients.check_credentials().await {
        Err(e) => Err(format!("{} ({})", e, account.origin)),
        Ok(()) if regions.is_empty() => Err(format!(
            "no region: set `regions` on the [[aws.account]] at {} or AWS_REGION",
            account.origin
        )),
        Ok(()) => Ok(clients),
    };
    AwsTarget {
        label,
        clients: checked,
        regions,
    }
}

/// The ambient credentials as the one account of a scan that declares none.
pub fn ambient_account() -> AwsAccount {
    AwsAccount {
        profile: None,
        role_arn: None,
        external_id: None,
        session_name: None,
        regions: Vec::new(),
        origin: "the environment".into(),
    }
}

/// A Cloudflare account: its token's variable name and the client, or why there is none.
pub struct CloudflareTarget {
    pub label: String,
    pub client: Result<CloudflareClient, String>,
}

/// `lookup` is the process environment (tests of this module pass a map).
pub fn cloudflare_account(
    account: &CloudflareAccount,
    lookup: impl Fn(&str) -> Option<String>,
    counter: &CallCounter,
) -> CloudflareTarget {
    let token = lookup(&account.token_env).filter(|t| !t.trim().is_empty());
    let base = lookup(API_URL_ENV).filter(|s| !s.trim().is_empty());
    let client = match token {
        None => Err(format!(
            "{} is not set (the [[cloudflare.account]] at {} names it)",
            account.token_env, account.origin
        )),
        Some(t) => CloudflareClient::new(Some(t), base.as_deref(), ClientOptions::default())
            .map(|c| c.with_counter(counter.clone()))
            // The message names the variable, never the token.
            .map_err(|e| e.to_string().replace(TOKEN_ENV, &account.token_env)),
    };
    CloudflareTarget {
        label: account.token_env.clone(),
        client,
    }
}

pub fn ambient_cloudflare() -> CloudflareAccount {
    CloudflareAccount {
        token_env: TOKEN_ENV.into(),
        origin: "the environment".into(),
    }
}
