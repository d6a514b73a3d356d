//! An account's CloudFront distributions as far as they were read, and the pure resolution of
//! a viewer request over them: the distribution (alias, tenant, pinned ID or its own domain
//! name), the cache behavior for the path and its origin, with the VPC origin and origin
//! request policy it references, exactly as `read_cloudfront` reports them.
//!
//! `wsaudit scan` reads everything once ([`read_all`]: every distribution, every VPC origin
//! and origin request policy a behavior references, each ID once, and the tenants);
//! `wsaudit chain` reads only what [`resolve`] names as missing ([`CfNeed`]). Absent from a
//! complete listing means "no such distribution"; from a failed one, a gap.

use super::{
    distribution_of, matching::alias_rank, matching::pick_behavior, origin_request_policy,
    tenant_by_domain, translate, vpc_origin, BehaviorSnapshot, CloudFrontReading,
    CloudFrontRequest, DistributionSelector, DistributionSnapshot, OriginSnapshot, PolicySnapshot,
    TenantSnapshot,
};
use crate::model::{Gap, Provider};
use crate::providers::aws::{classify, AwsError, Scope};
use crate::providers::calls::RateBudget;
use aws_sdk_cloudfront::Client;
use futures_util::future::join_all;
use std::collections::{BTreeMap, BTreeSet};

/// What `ListDistributions` says of one distribution: enough to find it.
#[derive(Debug, Clone, PartialEq)]
pub struct DistributionSummary {
    pub id: String,
    pub domain_name: String,
    pub aliases: Vec<String>,
}

/// A distribution's whole configuration (`GetDistribution`), free of SDK types.
#[derive(Debug, Clone, PartialEq)]
pub struct Distribution {
    pub id: String,
    pub arn: String,
    pub domain_name: String,
    pub aliases: Vec<String>,
    pub http_version: Option<String>,
    pub logging: Option<(bool, String)>,
    pub default_behavior: BehaviorSnapshot,
    /// `CacheBehaviors`, in the order CloudFront evaluates them.
    pub behaviors: Vec<BehaviorSnapshot>,
    pub origins: Vec<OriginSnapshot>,
    /// Origin groups: (group ID, its primary member's origin ID).
    pub origin_groups: Vec<(String, Option<String>)>,
    pub continuous_deployment_policy_id: Option<String>,
}

impl Distribution {
    /// The origin a behavior sends to: an origin group's primary member serves first.
    pub fn origin_for(&self, b: &BehaviorSnapshot) -> Option<&OriginSnapshot> {
        let id = self
            .origin_groups
            .iter()
            .find(|(g, _)| *g == b.target_origin_id)
            .and_then(|(_, first)| first.clone())
            .unwrap_or_else(|| b.target_origin_id.clone());
        self.origins.iter().find(|o| o.id == id)
    }
}

/// A VPC origin's endpoint: the load balancer ARN, HTTP and HTTPS ports, protocol policy.
pub type VpcOriginEndpoint = (String, i32, i32, String);

/// A distribution tenant and the distribution serving it.
#[derive(Debug, Clone, PartialEq)]
pub struct TenantEntry {
    pub distribution_id: String,
    pub tenant: TenantSnapshot,
    /// Every domain the tenant holds (lower case).
    pub domains: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct CloudFrontInventory {
    /// `ListDistributions` over the account.
    pub listing: Scope,
    pub summaries: Vec<DistributionSummary>,
    /// Searches of a partial listing (it stops at an exact match): how each ended.
    pub searches: Vec<(DistributionSelector, Result<(), AwsError>)>,
    /// `GetDistribution`, by ID.
    pub distributions: BTreeMap<String, Result<Distribution, AwsError>>,
    /// `GetVpcOrigin`, by ID.
    pub vpc_origins: BTreeMap<String, Result<VpcOriginEndpoint, AwsError>>,
    /// `GetOriginRequestPolicy`, by ID.
    pub policies: BTreeMap<String, Result<PolicySnapshot, AwsError>>,
    /// `ListDistributionTenants` over the account.
    pub tenant_listing: Scope,
    pub tenants: Vec<TenantEntry>,
    /// `GetDistributionTenantByDomain` lookups (a partial read), by domain.
    pub tenant_lookups: BTreeMap<String, Result<Option<(String, TenantSnapshot)>, AwsError>>,
}

impl CloudFrontInventory {
    /// Another account's distributions merged in (IDs are global, so nothing collides).
    pub fn merge(&mut self, other: CloudFrontInventory) {
        self.listing.merge(other.listing);
        self.summaries.extend(other.summaries);
        self.searches.extend(other.searches);
        self.distributions.extend(other.distributions);
        self.vpc_origins.extend(other.vpc_origins);
        self.policies.extend(other.policies);
        self.tenant_listing.merge(other.tenant_listing);
        self.tenants.extend(other.tenants);
        self.tenant_lookups.extend(other.tenant_lookups);
    }
}

/// What a resolution needs read first.
#[derive(Debug, Clone, PartialEq)]
pub enum CfNeed {
    /// Page through `ListDistributions` until the selector's distribution is found.
    Search(DistributionSelector),
    Tenant(String),
    Distribution(String),
    VpcOrigin(String),
    Policy(String),
}

type Step<T> = Result<Result<T, AwsError>, Vec<CfNeed>>;

/// The best-ranked distribution for `selector` among the summaries read.
fn best(summaries: &[DistributionSummary], selector: &DistributionSelector) -> Option<String> {
    let mut best: Option<(usize, &str)> = None;
    for d in summaries {
        let rank = match selector {
            DistributionSelector::DomainName(name) => d
                .domain_name
                .trim_end_matches('.')
                .eq_ignore_ascii_case(name.trim_end_matches('.'))
                .then_some(usize::MAX),
            DistributionSelector::Alias(host) => {
                d.aliases.iter().filter_map(|a| alias_rank(a, host)).max()
            }
            DistributionSelector::Id(id) => (d.id == *id).then_some(usize::MAX),
        };
        if let Some(r) = rank {
            if best.is_none_or(|(b, _)| r > b) {
                best = Some((r, &d.id));
            }
        }
    }
    best.map(|(_, id)| id.to_string())
}

/// The distribution ID serving `selector` (and the tenant it came through), `None` when no
/// distribution serves it.
fn find_id(
    inv: &CloudFrontInventory,
    selector: &DistributionSelector,
) -> Step<Option<(String, Option<TenantSnapshot>)>> {
    if let DistributionSelector::Id(id) = selector {
        return Ok(Ok(Some((id.clone(), None))));
    }
    let hit = best(&inv.summaries, selector);
    if let Some(e) = inv.listing.failure() {
        // Another account's listing failed: only an exact match is certain (that account
        // could hold an exact alias beating a wildcard found here).
        return match hit {
            Some(id) if exact(&inv.summaries, &id, selector) => Ok(Ok(Some((id, None)))),
            _ => Ok(Err(e.clone())),
        };
    }
    if !inv.listing.complete {
        match inv.searches.iter().find(|(s, _)| s == selector) {
            None => return Err(vec![CfNeed::Search(selector.clone())]),
            Some((_, Err(e))) => return Ok(Err(e.clone())),
            Some((_, Ok(()))) => {}
        }
    }
    if let Some(id) = hit {
        return Ok(Ok(Some((id, None))));
    }
    let DistributionSelector::Alias(host) = selector else {
        return Ok(Ok(None));
    };
    let domain = host.trim_end_matches('.').to_ascii_lowercase();
    if let Some(e) = inv.tenant_listing.failure() {
        return Ok(Err(e.clone()));
    }
    if inv.tenant_listing.complete {
        return Ok(Ok(inv
            .tenants
            .iter()
            .find(|t| t.domains.contains(&domain))
            .map(|t| {
                let mut tenant = t.tenant.clone();
                tenant.domain = domain.clone();
                (t.distribution_id.clone(), Some(tenant))
            })));
    }
    match inv.tenant_lookups.get(&domain) {
        None => Err(vec![CfNeed::Tenant(domain)]),
        Some(Err(e)) => Ok(Err(e.clone())),
        Some(Ok(found)) => Ok(Ok(found.clone().map(|(id, t)| (id, Some(t))))),
    }
}

/// The snapshot CloudFront serves `path` from: the first behavior whose pattern matches, else
/// the default one, and its origin (VPC endpoint and policy not yet filled in).
pub fn snapshot_for(dist: &Distribution, path: &str) -> DistributionSnapshot {
    let behavior = match pick_behavior(
        dist.behaviors
            .iter()
            .map(|b| b.path_pattern.as_deref().unwrap_or_default()),
        path,
    ) {
        Some(i) => dist.behaviors[i].clone(),
        None => dist.default_behavior.clone(),
    };
    DistributionSnapshot {
        id: dist.id.clone(),
        arn: dist.arn.clone(),
        domain_name: dist.domain_name.clone(),
        aliases: dist.aliases.clone(),
        http_version: dist.http_version.clone(),
        logging: dist.logging.clone(),
        origin: dist.origin_for(&behavior).cloned(),
        behavior,
        policy: None,
        continuous_deployment_policy_id: dist.continuous_deployment_policy_id.clone(),
        tenant: None,
    }
}

/// What `read_cloudfront` yields for `req`, from the inventory alone, or what must be read
/// first.
pub fn resolve(
    inv: &CloudFrontInventory,
    req: &CloudFrontRequest,
) -> Step<Option<CloudFrontReading>> {
    let (id, tenant) = match find_id(inv, &req.selector)? {
        Ok(Some(found)) => found,
        Ok(None) => return Ok(Ok(None)),
        Err(e) => return Ok(Err(e)),
    };
    let dist = match inv.distributions.get(&id) {
        Some(Ok(d)) => d,
        Some(Err(e)) => return Ok(Err(e.clone())),
        // A pinned ID the complete listing does not hold does not exist.
        None if inv.listing.complete && !inv.summaries.iter().any(|s| s.id == id) => {
            return Ok(Err(AwsError::NotFound(format!(
                "no CloudFront distribution with ID {id}"
            ))))
        }
        None => return Err(vec![CfNeed::Distribution(id)]),
    };
    let mut snapshot = snapshot_for(dist, &req.path);
    snapshot.tenant = tenant;

    let mut needs = Vec::new();
    let vpc = snapshot
        .origin
        .as_ref()
        .and_then(|o| o.vpc_origin_id.clone());
    let vpc = vpc.map(|id| match inv.vpc_origins.get(&id) {
        Some(r) => Some((id, r)),
        None => {
            needs.push(CfNeed::VpcOrigin(id));
            None
        }
    });
    let pid = snapshot.behavior.origin_request_policy_id.clone();
    let policy = pid.map(|id| match inv.policies.get(&id) {
        Some(r) => Some((id, r)),
        None => {
            needs.push(CfNeed::Policy(id));
            None
        }
    });
    if !needs.is_empty() {
        return Err(needs);
    }

    let mut gaps = Vec::new();
    if let Some(Some((vpc_id, r))) = vpc {
        match r {
            Ok((endpoint_arn, http_port, https_port, policy)) => {
                if let Some(o) = snapshot.origin.as_mut() {
                    o.vpc_endpoint_arn = Some(endpoint_arn.clone());
                    if let Some(c) = o.custom.as_mut() {
                        c.http_port = *http_port;
                        c.https_port = *https_port;
                        c.protocol_policy.clone_from(policy);
                    }
                }
            }
            Err(e) => {
                if let Some(o) = snapshot.origin.as_mut() {
                    o.custom = None;
                }
                gaps.push(Gap {
                    layer: "cloudfront".into(),
                    provider: Provider::Cloudfront,
                    reason: format!("VPC origin {vpc_id} of {}: {e}", snapshot.behavior.label()),
                    code: e.code(),
                });
            }
        }
    }
    if let Some(Some((pid, r))) = policy {
        match r {
            Ok(p) => snapshot.policy = Some(p.clone()),
            Err(e) => gaps.push(Gap {
                layer: "cloudfront".into(),
                provider: Provider::Cloudfront,
                reason: format!(
                    "origin request policy {pid} of {}: {e}",
                    snapshot.behavior.label()
                ),
                code: e.code(),
            }),
        }
    }
    let layer = translate::to_layer(&snapshot, req.scheme);
    Ok(Ok(Some(CloudFrontReading {
        layer,
        snapshot,
        gaps,
    })))
}

/// Reads what `needs` names into `inv`, all at once; a failure is stored where the answer
/// would be.
pub async fn fetch(
    client: &Client,
    inv: &mut CloudFrontInventory,
    needs: Vec<CfNeed>,
    page_size: Option<i32>,
) {
    let reads = needs.into_iter().map(|need| async move {
        let got = match &need {
            CfNeed::Search(sel) => Got::Search(search(client, sel, page_size).await),
            CfNeed::Tenant(domain) => Got::Tenant(tenant_by_domain(client, domain).await),
            CfNeed::Distribution(id) => {
                Got::Distribution(Box::new(get_distribution(client, id).await))
            }
            CfNeed::VpcOrigin(id) => Got::Vpc(vpc_origin(client, id).await),
            CfNeed::Policy(id) => Got::Policy(origin_request_policy(client, id).await),
        };
        (need, got)
    });
    for (need, got) in join_all(reads).await {
        match (need, got) {
            (CfNeed::Search(sel), Got::Search(r)) => match r {
                Ok(found) => {
                    for s in found {
                        if !inv.summaries.contains(&s) {
                            inv.summaries.push(s);
                        }
                    }
                    inv.searches.push((sel, Ok(())));
                }
                Err(e) => inv.searches.push((sel, Err(e))),
            },
            (CfNeed::Tenant(d), Got::Tenant(r)) => {
                inv.tenant_lookups.insert(d, r);
            }
            (CfNeed::Distribution(id), Got::Distribution(r)) => {
                inv.distributions.insert(id, *r);
            }
            (CfNeed::VpcOrigin(id), Got::Vpc(r)) => {
                inv.vpc_origins.insert(id, r);
            }
            (CfNeed::Policy(id), Got::Policy(r)) => {
                inv.policies.insert(id, r);
            }
            _ => {}
        }
    }
}

enum Got {
    Search(Result<Vec<DistributionSummary>, AwsError>),
    Tenant(Result<Option<(String, TenantSnapshot)>, AwsError>),
    Distribution(Box<Result<Distribution, AwsError>>),
    Vpc(Result<VpcOriginEndpoint, AwsError>),
    Policy(Result<PolicySnapshot, AwsError>),
}

/// The pages of `ListDistributions` up to the one holding an exact match for `selector` (all
/// of them when there is none), each page first awaiting `budget` when there is one.
async fn list_distributions(
    client: &Client,
    selector: Option<&DistributionSelector>,
    page_size: Option<i32>,
    budget: Option<&RateBudget>,
) -> Result<Vec<DistributionSummary>, AwsError> {
    let mut marker: Option<String> = None;
    let mut all = Vec::new();
    loop {
        if let Some(b) = budget {
            b.take().await;
        }
        let out = client
            .list_distributions()
            .set_marker(marker.clone())
            .set_max_items(page_size)
            .send()
            .await
            .map_err(|e| classify(e, "cloudfront:ListDistributions"))?;
        let Some(list) = out.distribution_list() else {
            return Ok(all);
        };
        all.extend(list.items().iter().map(|d| DistributionSummary {
            id: d.id().to_string(),
            domain_name: d.domain_name().to_string(),
            aliases: d.aliases().map(|a| a.items().to_vec()).unwrap_or_default(),
        }));
        if let Some(sel) = selector {
            if best(&all, sel).is_some_and(|id| exact(&all, &id, sel)) {
                return Ok(all);
            }
        }
        marker = list
            .next_marker()
            .filter(|m| list.is_truncated() && !m.is_empty())
            .map(str::to_string);
        if marker.is_none() {
            return Ok(all);
        }
    }
}

/// Whether the distribution `id` matches `selector` exactly (not by a wildcard alias): no
/// later page can hold a better one.
fn exact(all: &[DistributionSummary], id: &str, sel: &DistributionSelector) -> bool {
    let Some(d) = all.iter().find(|d| d.id == id) else {
        return false;
    };
    match sel {
        DistributionSelector::Alias(host) => d
            .aliases
            .iter()
            .any(|a| alias_rank(a, host) == Some(usize::MAX)),
        _ => true,
    }
}

async fn search(
    client: &Client,
    selector: &DistributionSelector,
    page_size: Option<i32>,
) -> Result<Vec<DistributionSummary>, AwsError> {
    list_distributions(client, Some(selector), page_size, None).await
}

async fn get_distribution(client: &Client, id: &str) -> Result<Distribution, AwsError> {
    let out = client.get_distribution().id(id).send().await.map_err(|e| {
        match classify(e, "cloudfront:GetDistribution") {
            AwsError::Service { code, .. } if code == "NoSuchDistribution" => {
                AwsError::NotFound(format!("no CloudFront distribution with ID {id}"))
            }
            other => other,
        }
    })?;
    let dist = out.distribution().ok_or_else(|| AwsError::Malformed {
        action: "cloudfront:GetDistribution".into(),
        detail: "no Distribution in the response".into(),
    })?;
    let config = dist
        .distribution_config()
        .ok_or_else(|| AwsError::Malformed {
            action: "cloudfront:GetDistribution".into(),
            detail: "no DistributionConfig in the response".into(),
        })?;
    distribution_of(dist, config)
}

/// Every distribution tenant of the account. An HTTP 404 for the listing is taken as "no
/// tenants", as the live read takes a 404 from `GetDistributionTenantByDomain` as "no tenant
/// holds the domain" (emulators without the multi-tenant API answer so).
async fn list_tenants(client: &Client, budget: &RateBudget) -> Result<Vec<TenantEntry>, AwsError> {
    let mut marker: Option<String> = None;
    let mut all = Vec::new();
    loop {
        budget.take().await;
        let out = match client
            .list_distribution_tenants()
            .set_marker(marker.clone())
            .send()
            .await
        {
            Ok(out) => out,
            Err(e) if e.raw_response().is_some_and(|r| r.status().as_u16() == 404) => {
                return Ok(all)
            }
            Err(e) => return Err(classify(e, "cloudfront:ListDistributionTenants")),
        };
        all.extend(out.distribution_tenant_list().iter().map(|t| {
            TenantEntry {
                distribution_id: t.distribution_id().to_string(),
                tenant: TenantSnapshot {
                    id: t.id().to_string(),
                    name: t.name().to_string(),
                    arn: t.arn().to_string(),
                    domain: String::new(),
                },
                domains: t
                    .domains()
                    .iter()
                    .map(|d| d.domain().trim_end_matches('.').to_ascii_lowercase())
                    .collect(),
            }
        }));
        let next = out
            .next_marker()
            .filter(|m| !m.is_empty() && marker.as_deref() != Some(*m))
            .map(str::to_string);
        if next.is_none() {
            return Ok(all);
        }
        marker = next;
    }
}

/// Everything an account's CloudFront holds that a resolution may ask for: every
/// distribution, the VPC origins and origin request policies their behaviors reference (each
/// ID read once), and the tenants. Each call first awaits `budget`.
pub async fn read_all(
    client: &Client,
    page_size: Option<i32>,
    budget: &RateBudget,
) -> CloudFrontInventory {
    let mut inv = CloudFrontInventory::default();
    let (listing, tenants) = tokio::join!(
        list_distributions(client, None, page_size, Some(budget)),
        list_tenants(client, budget)
    );
    match tenants {
        Ok(t) => {
            inv.tenants = t;
            inv.tenant_listing = Scope::complete();
        }
        Err(e) => inv.tenant_listing = Scope::failed(e),
    }
    match listing {
        Ok(all) => {
            inv.summaries = all;
            inv.listing = Scope::complete();
        }
        Err(e) => {
            inv.listing = Scope::failed(e);
            return inv;
        }
    }
    let mut ids: Vec<String> = inv.summaries.iter().map(|s| s.id.clone()).collect();
    for t in &inv.tenants {
        if !ids.contains(&t.distribution_id) {
            ids.push(t.distribution_id.clone());
        }
    }
    let dists = join_all(ids.iter().map(|id| async move {
        budget.take().await;
        (id.clone(), get_distribution(client, id).await)
    }))
    .await;
    let mut vpcs = BTreeSet::new();
    let mut policies = BTreeSet::new();
    for (_, d) in &dists {
        let Ok(d) = d else { continue };
        for b in d.behaviors.iter().chain([&d.default_behavior]) {
            if let Some(p) = &b.origin_request_policy_id {
                policies.insert(p.clone());
            }
            if let Some(v) = d.origin_for(b).and_then(|o| o.vpc_origin_id.clone()) {
                vpcs.insert(v);
            }
        }
    }
    inv.distributions = dists.into_iter().collect();
    let (vpcs, policies) = tokio::join!(
        join_all(vpcs.into_iter().map(|id| async move {
            budget.take().await;
            let r = vpc_origin(client, &id).await;
            (id, r)
        })),
        join_all(policies.into_iter().map(|id| async move {
            budget.take().await;
            let r = origin_request_policy(client, &id).await;
            (id, r)
        }))
    );
    inv.vpc_origins = vpcs.into_iter().collect();
    inv.policies = policies.into_iter().collect();
    inv
}
