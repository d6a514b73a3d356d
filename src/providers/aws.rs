//! What the AWS providers share: loading the standard configuration, building regional
//! clients, and turning an SDK failure into a named fault that becomes a `Gap`.
//!
//! Credentials and endpoints come only from `aws-config`'s standard chain (environment,
//! profiles, SSO, IMDS, `AWS_ENDPOINT_URL`). Nothing here reads argv, and no error message ever
//! carries a credential: messages are built from the fault's kind and the IAM action, never from
//! request bodies or headers.

use crate::model::{Gap, GapCode, Provider};
use crate::providers::calls::CallCounter;
use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, ConfigLoader, Region, SdkConfig};
use aws_credential_types::provider::error::CredentialsError;
use aws_credential_types::provider::ProvideCredentials;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use std::error::Error as StdError;
use std::ffi::OsString;
use std::time::Duration;
use thiserror::Error;

/// How much of one listing an inventory holds: all of it (absence means the thing does not
/// exist), part of it (only what was looked up; absence means "read it"), or a failure (per
/// account in a merged inventory; absence may hide the thing, so it is a gap, never "not
/// found").
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Scope {
    pub complete: bool,
    pub failures: Vec<AwsError>,
}

impl Scope {
    pub fn complete() -> Self {
        Scope {
            complete: true,
            failures: Vec::new(),
        }
    }

    pub fn failed(error: AwsError) -> Self {
        Scope {
            complete: false,
            failures: vec![error],
        }
    }

    /// The scope of several accounts' listings as one: complete only if each is.
    pub fn merge(&mut self, other: Scope) {
        self.complete = self.complete && other.complete;
        self.failures.extend(other.failures);
    }

    /// The first failure, which a lookup that found nothing reports.
    pub fn failure(&self) -> Option<&AwsError> {
        self.failures.first()
    }
}

/// `error` labelled with the account it happened in (unlabelled for a nameless account, as in
/// `wsaudit chain`, whose messages name no account).
pub fn in_account(account: &str, error: AwsError) -> AwsError {
    if account.is_empty() {
        error
    } else {
        AwsError::InAccount {
            account: account.to_string(),
            error: Box::new(error),
        }
    }
}

/// CloudFront and Route 53 are global services whose API lives in us-east-1.
pub const GLOBAL_REGION: &str = "us-east-1";

/// Retry behaviour for every AWS call. Throttling and 5xx answers are retried with exponential
/// backoff and full jitter by the SDK's standard retry strategy; the provider's total deadline
/// (`--timeout`) bounds the whole read regardless.
#[derive(Debug, Clone)]
pub struct AwsOptions {
    pub max_attempts: u32,
    pub initial_backoff: Duration,
    /// Page size for list calls; `None` lets the service choose (tests set it small to
    /// exercise pagination).
    pub page_size: Option<i32>,
}

impl Default for AwsOptions {
    fn default() -> Self {
        AwsOptions {
            max_attempts: 4,
            initial_backoff: Duration::from_millis(500),
            page_size: None,
        }
    }
}

/// The standard-chain loader with wsaudit's retry policy. The CLI calls `.load()` on it as is;
/// tests add an endpoint and test credentials before loading, exactly as the environment would.
pub fn sdk_loader(opts: &AwsOptions) -> ConfigLoader {
    aws_config::defaults(BehaviorVersion::latest()).retry_config(
        RetryConfig::standard()
            .with_max_attempts(opts.max_attempts.max(1))
            .with_initial_backoff(opts.initial_backoff),
    )
}

/// Clients built from one loaded configuration. With a [`CallCounter`] every client counts
/// the operations it executes (the scan's API-call summary).
#[derive(Debug, Clone)]
pub struct AwsClients {
    sdk: SdkConfig,
    counter: Option<CallCounter>,
}

impl AwsClients {
    pub fn new(sdk: SdkConfig) -> Self {
        AwsClients { sdk, counter: None }
    }

    pub fn counted(sdk: SdkConfig, counter: CallCounter) -> Self {
        AwsClients {
            sdk,
            counter: Some(counter),
        }
    }

    pub fn sdk(&self) -> &SdkConfig {
        &self.sdk
    }

    /// The region the configuration names (`AWS_REGION`, profile), if any.
    pub fn default_region(&self) -> Option<String> {
        self.sdk.region().map(|r| r.as_ref().to_string())
    }

    /// An ELBv2 client for one region (load balancers are regional).
    pub fn elbv2(&self, region: &str) -> aws_sdk_elasticloadbalancingv2::Client {
        let mut conf = aws_sdk_elasticloadbalancingv2::config::Builder::from(&self.sdk)
            .region(Region::new(region.to_string()));
        if let Some(c) = &self.counter {
            conf = conf.interceptor(c.interceptor("elasticloadbalancing"));
        }
        aws_sdk_elasticloadbalancingv2::Client::from_conf(conf.build())
    }

    pub fn cloudfront(&self) -> aws_sdk_cloudfront::Client {
        let mut conf =
            aws_sdk_cloudfront::config::Builder::from(&self.sdk).region(Region::new(GLOBAL_REGION));
        if let Some(c) = &self.counter {
            conf = conf.interceptor(c.interceptor("cloudfront"));
        }
        aws_sdk_cloudfront::Client::from_conf(conf.build())
    }

    pub fn route53(&self) -> aws_sdk_route53::Client {
        let mut conf =
            aws_sdk_route53::config::Builder::from(&self.sdk).region(Region::new(GLOBAL_REGION));
        if let Some(c) = &self.counter {
            conf = conf.interceptor(c.interceptor("route53"));
        }
        aws_sdk_route53::Client::from_conf(conf.build())
    }

    /// Resolves credentials once, before any API call, so "no credentials" is one clear fault
    /// instead of one per call.
    pub async fn check_credentials(&self) -> Result<(), AwsError> {
        let Some(provider) = self.sdk.credentials_provider() else {
            return Err(AwsError::NoCredentials {
                detail: "no credentials provider is configured".into(),
            });
        };
        match provider.provide_credentials().await {
            Ok(_) => Ok(()),
            Err(e) => Err(credentials_fault(&e)),
        }
    }
}

/// Whether the environment `var` looks up (the commands pass the process's) says AWS is meant
/// to be used. When it does not and no credentials are found, the AWS layers are "not
/// consulted" rather than gaps.
pub fn aws_configured_in(var: impl Fn(&str) -> Option<OsString>) -> bool {
    const VARS: &[&str] = &[
        "AWS_PROFILE",
        "AWS_ACCESS_KEY_ID",
        "AWS_ROLE_ARN",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_ENDPOINT_URL",
    ];
    if VARS.iter().any(|v| var(v).is_some_and(|x| !x.is_empty())) {
        return true;
    }
    let home = var("HOME").map(std::path::PathBuf::from);
    let config = var("AWS_CONFIG_FILE")
        .map(std::path::PathBuf::from)
        .or_else(|| home.as_ref().map(|h| h.join(".aws/config")));
    let creds = var("AWS_SHARED_CREDENTIALS_FILE")
        .map(std::path::PathBuf::from)
        .or_else(|| home.as_ref().map(|h| h.join(".aws/credentials")));
    config.is_some_and(|p| p.is_file()) || creds.is_some_and(|p| p.is_file())
}

/// One AWS read that failed, named so a report can say what to fix.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum AwsError {
    #[error("no AWS credentials found in the standard chain (environment, profile, SSO, instance role): {detail}")]
    NoCredentials { detail: String },
    #[error("the credentials were rejected ({code}) when calling {action}")]
    InvalidCredentials { action: String, code: String },
    #[error("AccessDenied: the credentials are not allowed to call {action} (grant it; see docs/aws-iam-policy.md)")]
    AccessDenied { action: String, code: String },
    #[error("{action} was throttled ({code}) and retries with backoff did not get through")]
    Throttled { action: String, code: String },
    #[error("{action} failed with HTTP {status} from AWS (server error, retried)")]
    ServerError { action: String, status: u16 },
    #[error("{action} timed out")]
    Timeout { action: String },
    /// Every AWS step (credentials, CloudFront, Route 53, the load balancer) shares one
    /// `--timeout`; a late step may have had only what the earlier ones left of it.
    #[error("the AWS walk (CloudFront, Route 53, load balancer) did not finish within {seconds} s (--timeout): it was {step}, begun {began_s:.1} s into the walk")]
    Deadline {
        /// What the walk was doing, e.g. `reading the load balancer`.
        step: String,
        seconds: f64,
        /// When that step began, in seconds since the walk began.
        began_s: f64,
    },
    /// One call of a read that had already got its essentials (the load balancer and its
    /// idle timeout) was still running when `--timeout` ran out: what it would have added is
    /// unknown, the rest is kept.
    #[error("{action} had not answered when the --timeout deadline ({seconds} s) passed; what was read before it is kept")]
    CallDeadline { action: String, seconds: f64 },
    #[error("{action} returned a response that could not be parsed ({detail})")]
    Malformed { action: String, detail: String },
    #[error("could not reach the AWS endpoint for {action} ({detail})")]
    Unreachable { action: String, detail: String },
    #[error("{action} failed: {code}: {message}")]
    Service {
        action: String,
        code: String,
        message: String,
    },
    #[error("no AWS region for {what}: set AWS_REGION or pass --regions")]
    NoRegion { what: String },
    #[error("{0}")]
    NotFound(String),
    /// The resource exists but is not a kind of layer wsaudit reads (a Gateway Load Balancer).
    #[error("{0}")]
    Unsupported(String),
    /// A fault of one account of a multi-account scan: the account is named so the gap says
    /// whose scope it was.
    #[error("account {account}: {error}")]
    InAccount {
        account: String,
        error: Box<AwsError>,
    },
    /// The account could not be read at all (its role not assumed, no credentials for it).
    #[error("account {account} could not be read: {reason}")]
    AccountUnreadable { account: String, reason: String },
}

impl AwsError {
    /// The code the `Gap` carries.
    pub fn code(&self) -> GapCode {
        match self {
            AwsError::NoCredentials { .. } => GapCode::NoCredentials,
            AwsError::InvalidCredentials { .. } => GapCode::InvalidCredentials,
            AwsError::AccessDenied { .. } => GapCode::AccessDenied,
            AwsError::Throttled { .. } => GapCode::Throttled,
            AwsError::ServerError { .. } => GapCode::ServerError,
            AwsError::Timeout { .. }
            | AwsError::Deadline { .. }
            | AwsError::CallDeadline { .. } => GapCode::Timeout,
            AwsError::Malformed { .. } => GapCode::MalformedResponse,
            AwsError::Unreachable { .. } => GapCode::Unreachable,
            AwsError::Service { .. } => GapCode::ApiError,
            AwsError::NoRegion { .. } => GapCode::NoRegion,
            AwsError::NotFound(_) => GapCode::NotFound,
            AwsError::Unsupported(_) => GapCode::UnsupportedLayer,
            AwsError::InAccount { error, .. } => error.code(),
            AwsError::AccountUnreadable { .. } => GapCode::NoCredentials,
        }
    }

    /// The IAM action involved, when the fault is about one call.
    pub fn action(&self) -> Option<&str> {
        match self {
            AwsError::InvalidCredentials { action, .. }
            | AwsError::AccessDenied { action, .. }
            | AwsError::Throttled { action, .. }
            | AwsError::ServerError { action, .. }
            | AwsError::Timeout { action }
            | AwsError::CallDeadline { action, .. }
            | AwsError::Malformed { action, .. }
            | AwsError::Unreachable { action, .. }
            | AwsError::Service { action, .. } => Some(action),
            AwsError::InAccount { error, .. } => error.action(),
            _ => None,
        }
    }

    pub fn to_gap(&self, layer: &str, provider: Provider) -> Gap {
        Gap {
            layer: layer.to_string(),
            provider,
            reason: self.to_string(),
            code: self.code(),
        }
    }
}

const THROTTLING_CODES: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottledException",
    "TooManyRequestsException",
    "RequestLimitExceeded",
    "RequestThrottled",
    "PriorRequestNotComplete",
    "SlowDown",
];

const ACCESS_DENIED_CODES: &[&str] = &[
    "AccessDenied",
    "AccessDeniedException",
    "UnauthorizedOperation",
    "UnauthorizedAccess",
];

const BAD_CREDENTIAL_CODES: &[&str] = &[
    "InvalidClientTokenId",
    "SignatureDoesNotMatch",
    "ExpiredToken",
    "ExpiredTokenException",
    "UnrecognizedClientException",
    "InvalidAccessKeyId",
];

/// Maps an SDK failure of the call `action` (an IAM action such as
/// `elasticloadbalancing:DescribeRules`) to a named fault.
pub fn classify<E>(err: SdkError<E, HttpResponse>, action: &str) -> AwsError
where
    E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
{
    let action = action.to_string();
    if let Some(c) = find_in_chain::<CredentialsError>(&err) {
        return credentials_fault(c);
    }
    let status = err.raw_response().map(|r| r.status().as_u16());
    match &err {
        SdkError::ServiceError(ctx) => {
            let e = ctx.err();
            let code = e.code().map(str::to_string);
            match code {
                Some(c) if THROTTLING_CODES.contains(&c.as_str()) => {
                    AwsError::Throttled { action, code: c }
                }
                Some(c) if ACCESS_DENIED_CODES.contains(&c.as_str()) => {
                    AwsError::AccessDenied { action, code: c }
                }
                Some(c) if BAD_CREDENTIAL_CODES.contains(&c.as_str()) => {
                    AwsError::InvalidCredentials { action, code: c }
                }
                _ if status == Some(429) => AwsError::Throttled {
                    action,
                    code: "HTTP 429".into(),
                },
                _ if status.is_some_and(|s| s >= 500) => AwsError::ServerError {
                    action,
                    status: status.unwrap_or(500),
                },
                Some(c) => AwsError::Service {
                    action,
                    message: short(e.message().unwrap_or("")),
                    code: c,
                },
                // No error code: the body was not an AWS error document. On a 2xx this is a
                // success response the SDK could not deserialize.
                None => AwsError::Malformed {
                    action,
                    detail: format!(
                        "HTTP {}: {}",
                        status.unwrap_or(0),
                        short(&chain_text(e as &dyn StdError))
                    ),
                },
            }
        }
        SdkError::TimeoutError(_) => AwsError::Timeout { action },
        SdkError::ResponseError(_) => {
            if status.is_some_and(|s| s >= 500) {
                AwsError::ServerError {
                    action,
                    status: status.unwrap_or(500),
                }
            } else {
                AwsError::Malformed {
                    action,
                    detail: short(&chain_text(&err)),
                }
            }
        }
        SdkError::DispatchFailure(d) => {
            if d.is_timeout() {
                AwsError::Timeout { action }
            } else {
                AwsError::Unreachable {
                    action,
                    detail: short(&chain_text(&err)),
                }
            }
        }
        _ => AwsError::Unreachable {
            action,
            detail: short(&chain_text(&err)),
        },
    }
}

fn credentials_fault(e: &CredentialsError) -> AwsError {
    let detail = match e {
        CredentialsError::CredentialsNotLoaded(_) => {
            "no provider in the chain had credentials".to_string()
        }
        CredentialsError::ProviderTimedOut(_) => "the credentials provider timed out".to_string(),
        CredentialsError::InvalidConfiguration(_) => {
            "the AWS configuration (profile) is invalid".to_string()
        }
        // An assumed role's STS answer (AccessDenied on sts:AssumeRole, an invalid external
        // id) is in the chain: it is what the user has to fix.
        CredentialsError::ProviderError(_) => {
            format!("the credentials provider failed: {}", chain_text(e))
        }
        _ => "the credentials provider failed".to_string(),
    };
    AwsError::NoCredentials { detail }
}

fn find_in_chain<'a, T: StdError + 'static>(err: &'a (dyn StdError + 'static)) -> Option<&'a T> {
    let mut cur: Option<&(dyn StdError + 'static)> = Some(err);
    while let Some(e) = cur {
        if let Some(t) = e.downcast_ref::<T>() {
            return Some(t);
        }
        cur = e.source();
    }
    None
}

/// The error and its causes on one line. SDK error texts describe the failure (I/O, parse);
/// they never contain request headers, so no credential can leak through them.
fn chain_text(err: &(dyn StdError + 'static)) -> String {
    let mut parts = Vec::new();
    let mut cur: Option<&(dyn StdError + 'static)> = Some(err);
    while let Some(e) = cur {
        let s = e.to_string();
        if !s.is_empty() && parts.last() != Some(&s) {
            parts.push(s);
        }
        cur = e.source();
    }
    parts.join(": ")
}

fn short(s: &str) -> String {
    const MAX: usize = 200;
    let s = s.trim();
    if s.len() <= MAX {
        return s.to_string();
    }
    let mut end = MAX;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

/// The region an ELB DNS name encodes: `name-1.us-east-1.elb.amazonaws.com` (ALB, classic),
/// `name-1.elb.eu-west-1.amazonaws.com` (NLB), with optional `dualstack.` / `internal-`.
pub fn region_from_elb_dns(dns: &str) -> Option<String> {
    let d = normalize_dns(dns);
    let labels: Vec<&str> = d.split('.').collect();
    let i = labels.iter().position(|l| *l == "elb")?;
    let looks_like_region = |s: &str| {
        let parts: Vec<&str> = s.split('-').collect();
        parts.len() >= 3
            && parts
                .last()
                .is_some_and(|p| p.chars().all(|c| c.is_ascii_digit()))
    };
    if i >= 1 && looks_like_region(labels[i - 1]) {
        return Some(labels[i - 1].to_string());
    }
    labels
        .get(i + 1)
        .filter(|l| looks_like_region(l))
        .map(|l| l.to_string())
}

/// Whether a host name is an Elastic Load Balancing DNS name.
pub fn is_elb_dns(dns: &str) -> bool {
    let d = normalize_dns(dns);
    (d.ends_with(".amazonaws.com") || d.ends_with(".amazonaws.com.cn"))
        && d.split('.').any(|l| l == "elb")
}

/// Lower case, no trailing dot, no `dualstack.` prefix: how ELB DNS names are compared.
pub fn normalize_dns(dns: &str) -> String {
    let d = dns.trim().trim_end_matches('.').to_ascii_lowercase();
    d.strip_prefix("dualstack.")
        .map(str::to_string)
        .unwrap_or(d)
}

/// The region in an ARN (`arn:aws:elasticloadbalancing:eu-west-1:…`).
pub fn region_from_arn(arn: &str) -> Option<String> {
    let parts: Vec<&str> = arn.split(':').collect();
    (parts.len() > 4 && parts[0] == "arn" && !parts[3].is_empty()).then(|| parts[3].to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_from_elb_names() {
        assert_eq!(
            region_from_elb_dns("web-1.us-east-1.elb.amazonaws.com").as_deref(),
            Some("us-east-1")
        );
        assert_eq!(
            region_from_elb_dns("dualstack.Internal-Web-123.EU-WEST-1.elb.amazonaws.com.")
                .as_deref(),
            Some("eu-west-1")
        );
        assert_eq!(
            region_from_elb_dns("net-abc.elb.ap-southeast-2.amazonaws.com").as_deref(),
            Some("ap-southeast-2")
        );
        assert_eq!(region_from_elb_dns("example.com"), None);
        assert!(is_elb_dns("dualstack.web-1.us-east-1.elb.amazonaws.com"));
        assert!(!is_elb_dns("d111.cloudfront.net"));
        assert_eq!(
            region_from_arn("arn:aws:elasticloadbalancing:eu-west-1:123:loadbalancer/app/x/1")
                .as_deref(),
            Some("eu-west-1")
        );
        assert_eq!(region_from_arn("web"), None);
    }

    #[test]
    fn gap_codes_are_stable() {
        let e = AwsError::AccessDenied {
            action: "elasticloadbalancing:DescribeRules".into(),
            code: "AccessDenied".into(),
        };
        let g = e.to_gap("alb", Provider::Alb);
        assert_eq!(g.code, GapCode::AccessDenied);
        assert!(g.reason.contains("elasticloadbalancing:DescribeRules"));
    }
}
