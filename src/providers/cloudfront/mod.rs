//! Amazon CloudFront, read through `aws-sdk-cloudfront`.
//!
//! One read: the distribution whose alternate domain names match the host (or a pinned ID),
//! the cache behavior CloudFront would use for the path, its origin, and whether the
//! behavior's origin request policy (or legacy `ForwardedValues`) forwards the WebSocket
//! handshake headers. Only `List*`/`Get*` calls are made.
//!
//! As CloudFront routes today: a domain may live on a distribution tenant of a multi-tenant
//! distribution rather than in `Aliases` (`GetDistributionTenantByDomain`); a VPC origin's
//! protocol policy and ports are on the VPC origin resource (`GetVpcOrigin`), its timeouts on
//! the distribution's `VpcOriginConfig`; `ResponseCompletionTimeout` caps how long CloudFront
//! waits for a response to complete; viewer-request functions and a continuous-deployment
//! policy may send some requests another way.

mod inventory;
mod matching;
mod translate;

pub use inventory::{
    fetch, read_all, resolve, snapshot_for, CfNeed, CloudFrontInventory, Distribution,
    DistributionSummary, TenantEntry,
};

pub use matching::{alias_rank, legacy_forwards_ws, pick_behavior, policy_forwards_ws, WS_HEADERS};

use crate::model::{Gap, Layer, Scheme};
use crate::providers::aws::{classify, AwsError};
use aws_sdk_cloudfront::types as t;
use aws_sdk_cloudfront::Client;

#[derive(Debug, Clone, PartialEq)]
pub enum DistributionSelector {
    /// `--cloudfront ID`.
    Id(String),
    /// The viewer's host: matched against alternate domain names (exact, then wildcard).
    Alias(String),
    /// The distribution's own `dxxxx.cloudfront.net` name (from a DNS record).
    DomainName(String),
}

#[derive(Debug, Clone)]
pub struct CloudFrontRequest {
    pub selector: DistributionSelector,
    pub path: String,
    /// What the viewer dials: decides `match-viewer` origin protocol policies.
    pub scheme: Scheme,
    pub page_size: Option<i32>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CustomOrigin {
    pub http_port: i32,
    pub https_port: i32,
    /// `http-only`, `match-viewer`, `https-only`.
    pub protocol_policy: String,
    pub read_timeout: Option<i32>,
    pub keepalive_timeout: Option<i32>,
}

impl CustomOrigin {
    /// Whether CloudFront connects to this origin over TLS for a viewer using `scheme`.
    pub fn uses_tls(&self, scheme: Scheme) -> bool {
        match self.protocol_policy.as_str() {
            "https-only" => true,
            "match-viewer" => scheme == Scheme::Wss,
            _ => false,
        }
    }

    /// The origin port CloudFront connects to for a viewer using `scheme`.
    pub fn port(&self, scheme: Scheme) -> i32 {
        if self.uses_tls(scheme) {
            self.https_port
        } else {
            self.http_port
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct OriginSnapshot {
    pub id: String,
    pub domain_name: String,
    /// `None` for S3 origins; for a VPC origin, its endpoint's protocol policy and ports with
    /// the distribution's `VpcOriginConfig` timeouts (`None` when the VPC origin could not be
    /// read).
    pub custom: Option<CustomOrigin>,
    /// `VpcOriginConfig.VpcOriginId` of a VPC origin (added with VPC origins; `None` for the
    /// others).
    pub vpc_origin_id: Option<String>,
    /// The load balancer a VPC origin points at (`VpcOriginEndpointConfig.Arn`).
    pub vpc_endpoint_arn: Option<String>,
    /// `ResponseCompletionTimeout`: unset means no limit.
    pub response_completion_timeout: Option<i32>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct BehaviorSnapshot {
    /// `None` for the default behavior.
    pub path_pattern: Option<String>,
    pub target_origin_id: String,
    pub viewer_protocol_policy: String,
    pub origin_request_policy_id: Option<String>,
    /// Legacy `ForwardedValues.Headers`, when the behavior uses them.
    pub forwarded_headers: Option<Vec<String>>,
    /// Viewer-request code on the behavior: (`cloudfront-function` or `lambda-edge`, ARN).
    pub viewer_request_code: Vec<(String, String)>,
}

impl BehaviorSnapshot {
    /// How reports name it: `CacheBehaviors[/ws/*]` or `DefaultCacheBehavior`.
    pub fn label(&self) -> String {
        match &self.path_pattern {
            Some(p) => format!("CacheBehaviors[{p}]"),
            None => "DefaultCacheBehavior".to_string(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct PolicySnapshot {
    pub id: String,
    pub name: String,
    /// `none`, `whitelist`, `allViewer`, `allViewerAndWhitelistCloudFront`, `allExcept`.
    pub header_behavior: String,
    pub headers: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DistributionSnapshot {
    pub id: String,
    pub arn: String,
    pub domain_name: String,
    pub aliases: Vec<String>,
    /// `http1.1`, `http2`, `http3`, `http2and3`.
    pub http_version: Option<String>,
    /// `Logging.Enabled` and `s3://bucket/prefix`.
    pub logging: Option<(bool, String)>,
    pub behavior: BehaviorSnapshot,
    pub origin: Option<OriginSnapshot>,
    pub policy: Option<PolicySnapshot>,
    /// `ContinuousDeploymentPolicyId`: a share of requests may go to a staging distribution.
    pub continuous_deployment_policy_id: Option<String>,
    /// The distribution tenant that holds the domain, for a multi-tenant distribution.
    pub tenant: Option<TenantSnapshot>,
}

/// A distribution tenant: a domain served by a multi-tenant distribution.
#[derive(Debug, Clone, PartialEq)]
pub struct TenantSnapshot {
    pub id: String,
    pub name: String,
    pub arn: String,
    pub domain: String,
}

impl DistributionSnapshot {
    /// The `Host` the origin sees for a viewer request to `viewer_host`: the viewer's when the
    /// behavior forwards it (all-viewer policies, `Host` listed), else the origin's own domain
    /// name. An ALB behind CloudFront matches its host-header rules against this.
    pub fn origin_host(&self, viewer_host: &str) -> String {
        let listed = |h: &[String]| h.iter().any(|x| x.eq_ignore_ascii_case("Host") || x == "*");
        let forwards = match (&self.policy, &self.behavior.forwarded_headers) {
            (Some(p), _) => match p.header_behavior.as_str() {
                "allViewer" | "allViewerAndWhitelistCloudFront" => true,
                "whitelist" => listed(&p.headers),
                "allExcept" => !listed(&p.headers),
                _ => false,
            },
            // An unreadable policy: assume the common all-viewer setup for WebSockets.
            (None, _) if self.behavior.origin_request_policy_id.is_some() => true,
            (None, Some(h)) => listed(h),
            (None, None) => false,
        };
        match (&self.origin, forwards) {
            (Some(o), false) => o.domain_name.clone(),
            _ => viewer_host.to_string(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct CloudFrontReading {
    pub layer: Layer,
    pub snapshot: DistributionSnapshot,
    /// Parts that could not be read (the origin request policy) while the rest was.
    pub gaps: Vec<Gap>,
}

/// The layer a snapshot describes, however it was made (a live read, or planned values from
/// infrastructure code): one translation for both, so they compare like with like.
pub fn layer_of(snapshot: &DistributionSnapshot, scheme: Scheme) -> Layer {
    translate::to_layer(snapshot, scheme)
}

/// Reads the distribution for the request. `Ok(None)`: no distribution has the host as an
/// alternate domain name (CloudFront is not in this chain).
///
/// The read is the inventory's: resolve over what is read so far, read what the resolution
/// names as missing (the listing up to the match, the distribution, its VPC origin and
/// origin request policy), resolve again.
pub async fn read_cloudfront(
    client: &Client,
    req: &CloudFrontRequest,
) -> Result<Option<CloudFrontReading>, AwsError> {
    let mut inv = CloudFrontInventory::default();
    // Each round reads at least one missing part: the listing, a tenant, the distribution,
    // then its VPC origin and policy.
    for _ in 0..8 {
        match resolve(&inv, req) {
            Ok(r) => return r,
            Err(needs) => fetch(client, &mut inv, needs, req.page_size).await,
        }
    }
    resolve(&inv, req).unwrap_or_else(|needs| {
        Err(AwsError::Malformed {
            action: "the CloudFront reads".into(),
            detail: format!(
                "the answers never completed the distribution ({needs:?} still missing)"
            ),
        })
    })
}

// `ForwardedValues` is deprecated in favour of policies, but distributions that still use it
// are exactly the ones whose headers must be read from it.
#[allow(deprecated)]
fn behavior_of<B: BehaviorFields>(b: &B) -> BehaviorSnapshot {
    BehaviorSnapshot {
        path_pattern: b.pattern(),
        target_origin_id: b.origin().to_string(),
        viewer_protocol_policy: b.viewer_policy().to_string(),
        origin_request_policy_id: non_empty(b.policy_id()),
        forwarded_headers: b.forwarded(),
        viewer_request_code: viewer_request_code(b.functions(), b.lambdas()),
    }
}

/// The fields a cache behavior and the default behavior share (two SDK types).
trait BehaviorFields {
    fn pattern(&self) -> Option<String>;
    fn origin(&self) -> &str;
    fn viewer_policy(&self) -> &str;
    fn policy_id(&self) -> Option<&str>;
    fn forwarded(&self) -> Option<Vec<String>>;
    fn functions(&self) -> Option<&t::FunctionAssociations>;
    fn lambdas(&self) -> Option<&t::LambdaFunctionAssociations>;
}

macro_rules! behavior_fields {
    ($ty:ty, $pattern:expr) => {
        #[allow(deprecated)]
        impl BehaviorFields for $ty {
            fn pattern(&self) -> Option<String> {
                ($pattern)(self)
            }
            fn origin(&self) -> &str {
                self.target_origin_id()
            }
            fn viewer_policy(&self) -> &str {
                self.viewer_protocol_policy().as_str()
            }
            fn policy_id(&self) -> Option<&str> {
                self.origin_request_policy_id()
            }
            fn forwarded(&self) -> Option<Vec<String>> {
                self.forwarded_values()
                    .map(|f| f.headers().map(|h| h.items().to_vec()).unwrap_or_default())
            }
            fn functions(&self) -> Option<&t::FunctionAssociations> {
                self.function_associations()
            }
            fn lambdas(&self) -> Option<&t::LambdaFunctionAssociations> {
                self.lambda_function_associations()
            }
        }
    };
}

behavior_fields!(t::CacheBehavior, |b: &t::CacheBehavior| Some(
    b.path_pattern().to_string()
));
behavior_fields!(t::DefaultCacheBehavior, |_: &t::DefaultCacheBehavior| None);

/// A distribution's whole configuration, free of SDK types (what the inventory keeps).
fn distribution_of(
    dist: &t::Distribution,
    config: &t::DistributionConfig,
) -> Result<Distribution, AwsError> {
    let default = config
        .default_cache_behavior()
        .ok_or_else(|| AwsError::Malformed {
            action: "cloudfront:GetDistribution".into(),
            detail: "no DefaultCacheBehavior".into(),
        })?;
    let origins: &[t::Origin] = config.origins().map(|o| o.items()).unwrap_or_default();
    Ok(Distribution {
        id: dist.id().to_string(),
        arn: dist.arn().to_string(),
        domain_name: dist.domain_name().to_string(),
        aliases: config
            .aliases()
            .map(|a| a.items().to_vec())
            .unwrap_or_default(),
        http_version: config.http_version().map(|v| v.as_str().to_string()),
        logging: config.logging().map(|l| {
            let dest = if l.prefix().is_empty() {
                format!("s3://{}", l.bucket())
            } else {
                format!("s3://{}/{}", l.bucket(), l.prefix())
            };
            (l.enabled(), dest)
        }),
        default_behavior: behavior_of(default),
        behaviors: config
            .cache_behaviors()
            .map(|b| b.items())
            .unwrap_or_default()
            .iter()
            .map(behavior_of)
            .collect(),
        origins: origins.iter().map(origin_of).collect(),
        origin_groups: config
            .origin_groups()
            .map(|g| g.items())
            .unwrap_or_default()
            .iter()
            .map(|g| {
                (
                    g.id().to_string(),
                    g.members()
                        .and_then(|m| m.items().first())
                        .map(|m| m.origin_id().to_string()),
                )
            })
            .collect(),
        continuous_deployment_policy_id: non_empty(config.continuous_deployment_policy_id()),
    })
}

fn origin_of(o: &t::Origin) -> OriginSnapshot {
    OriginSnapshot {
        id: o.id().to_string(),
        domain_name: o.domain_name().to_string(),
        custom: o
            .custom_origin_config()
            .map(|c| CustomOrigin {
                http_port: c.http_port(),
                https_port: c.https_port(),
                protocol_policy: c.origin_protocol_policy().as_str().to_string(),
                read_timeout: c.origin_read_timeout(),
                keepalive_timeout: c.origin_keepalive_timeout(),
            })
            // The ports and protocol policy are the VPC origin's, read next.
            .or_else(|| {
                o.vpc_origin_config().map(|v| CustomOrigin {
                    http_port: 80,
                    https_port: 443,
                    protocol_policy: String::new(),
                    read_timeout: v.origin_read_timeout(),
                    keepalive_timeout: v.origin_keepalive_timeout(),
                })
            }),
        vpc_origin_id: o.vpc_origin_config().map(|v| v.vpc_origin_id().to_string()),
        vpc_endpoint_arn: None,
        response_completion_timeout: o.response_completion_timeout(),
    }
}

/// The behavior's viewer-request code: CloudFront Functions and Lambda@Edge functions.
fn viewer_request_code(
    functions: Option<&t::FunctionAssociations>,
    lambdas: Option<&t::LambdaFunctionAssociations>,
) -> Vec<(String, String)> {
    let viewer = |e: &t::EventType| *e == t::EventType::ViewerRequest;
    let mut out: Vec<(String, String)> = functions
        .map(|f| f.items())
        .unwrap_or_default()
        .iter()
        .filter(|f| viewer(f.event_type()))
        .map(|f| {
            (
                "cloudfront-function".to_string(),
                f.function_arn().to_string(),
            )
        })
        .collect();
    out.extend(
        lambdas
            .map(|l| l.items())
            .unwrap_or_default()
            .iter()
            .filter(|l| viewer(l.event_type()))
            .map(|l| {
                (
                    "lambda-edge".to_string(),
                    l.lambda_function_arn().to_string(),
                )
            }),
    );
    out
}

/// The distribution tenant holding `domain`: (distribution ID, tenant). `Ok(None)` when no
/// tenant has it (the API answers 404 `EntityNotFound`).
async fn tenant_by_domain(
    client: &Client,
    domain: &str,
) -> Result<Option<(String, TenantSnapshot)>, AwsError> {
    const ACTION: &str = "cloudfront:GetDistributionTenantByDomain";
    let out = match client
        .get_distribution_tenant_by_domain()
        .domain(domain.trim_end_matches('.'))
        .send()
        .await
    {
        Ok(out) => out,
        Err(e) if e.raw_response().is_some_and(|r| r.status().as_u16() == 404) => return Ok(None),
        Err(e) => return Err(classify(e, ACTION)),
    };
    let Some(t) = out.distribution_tenant() else {
        return Ok(None);
    };
    let Some(dist) = t.distribution_id().filter(|d| !d.is_empty()) else {
        return Err(AwsError::Malformed {
            action: ACTION.into(),
            detail: "no DistributionId on the tenant".into(),
        });
    };
    Ok(Some((
        dist.to_string(),
        TenantSnapshot {
            id: t.id().unwrap_or_default().to_string(),
            name: t.name().unwrap_or_default().to_string(),
            arn: t.arn().unwrap_or_default().to_string(),
            domain: domain.trim_end_matches('.').to_ascii_lowercase(),
        },
    )))
}

/// A VPC origin's endpoint: (load balancer ARN, HTTP port, HTTPS port, protocol policy).
async fn vpc_origin(client: &Client, id: &str) -> Result<(String, i32, i32, String), AwsError> {
    const ACTION: &str = "cloudfront:GetVpcOrigin";
    let out = client
        .get_vpc_origin()
        .id(id)
        .send()
        .await
        .map_err(|e| classify(e, ACTION))?;
    let e = out
        .vpc_origin()
        .and_then(|v| v.vpc_origin_endpoint_config())
        .ok_or_else(|| AwsError::Malformed {
            action: ACTION.into(),
            detail: "no VpcOriginEndpointConfig in the response".into(),
        })?;
    Ok((
        e.arn().to_string(),
        e.http_port(),
        e.https_port(),
        e.origin_protocol_policy().as_str().to_string(),
    ))
}

fn non_empty(s: Option<&str>) -> Option<String> {
    s.filter(|s| !s.is_empty()).map(str::to_string)
}

async fn origin_request_policy(client: &Client, id: &str) -> Result<PolicySnapshot, AwsError> {
    const ACTION: &str = "cloudfront:GetOriginRequestPolicy";
    let out = client
        .get_origin_request_policy()
        .id(id)
        .send()
        .await
        .map_err(|e| classify(e, ACTION))?;
    let config = out
        .origin_request_policy()
        .and_then(|p| p.origin_request_policy_config())
        .ok_or_else(|| AwsError::Malformed {
            action: ACTION.into(),
            detail: "no OriginRequestPolicyConfig in the response".into(),
        })?;
    let headers = config.headers_config();
    Ok(PolicySnapshot {
        id: id.to_string(),
        name: config.name().to_string(),
        header_behavior: headers
            .map(|h| h.header_behavior().as_str().to_string())
            .unwrap_or_else(|| "none".into()),
        headers: headers
            .and_then(|h| h.headers())
            .map(|h| h.items().to_vec())
            .unwrap_or_default(),
    })
}
