//! The AWS inventory: what one or several accounts hold in the regions read (load balancers,
//! listeners, rules, target groups and their attributes; CloudFront distributions, the VPC
//! origins and origin request policies they reference, tenants; Route 53 zones and record
//! sets), and the pure resolution of a request (domain + path) to the AWS layers over it.
//!
//! Two commands fill it. `wsaudit scan` reads each account once ([`AwsInventory::read_account`])
//! and resolves every target over it. `wsaudit chain` (`aws_task`) starts from an empty
//! inventory and lets the resolution say what it lacks: `read.rs` reads exactly that and
//! resolves again, so the on-call path and the scan share one walk (`resolve.rs`) and cannot
//! drift. `routes.rs` lists the entry points a scan discovers.

mod read;
mod resolve;
mod routes;

pub(crate) use read::read_aws;
pub use resolve::AwsNeed;

use super::{ChainRequest, DiscoveredRoute, ProviderOutput};
use crate::model::{Gap, GapCode, Provider};
use crate::providers::alb::{self, RegionInventory};
use crate::providers::aws::{in_account, AwsClients, AwsError, AwsOptions, Scope};
use crate::providers::calls::RateBudget;
use crate::providers::cloudfront::{self, CloudFrontInventory};
use crate::providers::route53::{self, Route53Inventory};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct AwsInventory {
    /// The accounts it holds, as configured (empty for `chain`'s nameless one).
    pub accounts: Vec<String>,
    /// Accounts that could not be read at all: a lookup that finds nothing elsewhere is a gap
    /// naming them, since they may hold it.
    pub unreadable: Vec<AwsError>,
    /// Load balancers and target groups by region (every account's merged).
    pub regions: BTreeMap<String, RegionInventory>,
    /// Every region that may hold something was read (a scan): a region not in `regions` is
    /// one not configured, never "read it".
    pub complete: bool,
    pub cloudfront: CloudFrontInventory,
    pub route53: Route53Inventory,
    /// Where a load balancer known only by name is looked for when the request names no
    /// `--regions`: the configured region for `chain`, every region read for a scan.
    pub default_regions: Vec<String>,
    /// Steps of a live walk that ran out of `--timeout` (`reading CloudFront`, …), with the
    /// deadline fault each reports.
    pub deadlines: Vec<(String, AwsError)>,
}

impl AwsInventory {
    /// Reads one account (the clients' credentials) in `regions`. Never fails as a whole: a
    /// scope that could not be read (AccessDenied, throttled past retries) is recorded in the
    /// inventory and becomes a gap on every target it could have served. Independent reads
    /// run concurrently; each call first awaits its budget (`elb_budget(region)` for ELB,
    /// `global_budget` for CloudFront and Route 53). Bound the whole read with a timeout at
    /// the caller: a read abandoned there is best recorded with [`AwsInventory::unreadable`].
    pub async fn read_account(
        account: &str,
        clients: &AwsClients,
        regions: &[String],
        opts: &AwsOptions,
        elb_budget: impl Fn(&str) -> RateBudget,
        global_budget: RateBudget,
    ) -> AwsInventory {
        if let Err(e) = clients.check_credentials().await {
            return AwsInventory::failed(account, in_account(account, e));
        }
        let page_size = opts.page_size;
        let region_reads = regions.iter().map(|r| {
            let client = clients.elbv2(r);
            let budget = elb_budget(r);
            async move {
                let mut inv = alb::read_region(&client, r, page_size, &budget).await;
                let label = if account.is_empty() {
                    format!("region {r}")
                } else {
                    format!("{account}, region {r}")
                };
                label_scope(&mut inv.listing, &label);
                label_scope(&mut inv.target_group_listing, &label);
                inv
            }
        });
        let cf_client = clients.cloudfront();
        let r53_client = clients.route53();
        let (regional, mut cf, mut r53) = tokio::join!(
            futures_util::future::join_all(region_reads),
            cloudfront::read_all(&cf_client, page_size, &global_budget),
            route53::read_all(&r53_client, page_size, &global_budget),
        );
        if !account.is_empty() {
            label_scope(&mut cf.listing, account);
            label_scope(&mut cf.tenant_listing, account);
            label_scope(&mut r53.zone_scope, account);
            for z in r53.records.values_mut() {
                label_scope(&mut z.scope, account);
            }
        }
        AwsInventory {
            accounts: vec![account.to_string()],
            unreadable: Vec::new(),
            regions: regional
                .into_iter()
                .map(|r| (r.region.clone(), r))
                .collect(),
            complete: true,
            cloudfront: cf,
            route53: r53,
            default_regions: regions.to_vec(),
            deadlines: Vec::new(),
        }
    }

    /// An account that could not be read at all (its role not assumed, no credentials).
    pub fn unreadable(account: &str, reason: String) -> AwsInventory {
        let e = AwsError::AccountUnreadable {
            account: account.to_string(),
            reason,
        };
        AwsInventory::failed(account, e)
    }

    /// An account every scope of which failed with `e`.
    fn failed(account: &str, e: AwsError) -> AwsInventory {
        let mut inv = AwsInventory {
            accounts: vec![account.to_string()],
            unreadable: vec![e.clone()],
            complete: true,
            ..Default::default()
        };
        inv.cloudfront.listing = Scope::failed(e.clone());
        inv.cloudfront.tenant_listing = Scope::failed(e.clone());
        inv.route53.zone_scope = Scope::failed(e);
        inv
    }

    /// Several accounts as one: a distribution in one account may front a load balancer in
    /// another, and a lookup that misses in every account read but one that failed is a gap.
    pub fn merge(all: Vec<AwsInventory>) -> AwsInventory {
        let mut iter = all.into_iter();
        let Some(mut out) = iter.next() else {
            return AwsInventory {
                complete: true,
                ..Default::default()
            };
        };
        for inv in iter {
            out.accounts.extend(inv.accounts);
            out.unreadable.extend(inv.unreadable);
            for (region, r) in inv.regions {
                match out.regions.get_mut(&region) {
                    Some(mine) => mine.merge(r),
                    None => {
                        out.regions.insert(region, r);
                    }
                }
            }
            out.complete = out.complete && inv.complete;
            out.cloudfront.merge(inv.cloudfront);
            out.route53.merge(inv.route53);
            for r in inv.default_regions {
                if !out.default_regions.contains(&r) {
                    out.default_regions.push(r);
                }
            }
            out.deadlines.extend(inv.deadlines);
        }
        out
    }

    /// Every entry point the inventory routes that can carry WebSockets.
    pub fn routes(&self) -> Vec<DiscoveredRoute> {
        routes::routes(self)
    }

    /// The deadline fault of a walk step that ran out of time.
    fn deadline(&self, step: &str) -> Option<AwsError> {
        self.deadlines
            .iter()
            .find(|(s, _)| s == step)
            .map(|(_, e)| e.clone())
    }
}

/// A scope's failures named by whose scope it was.
fn label_scope(scope: &mut Scope, label: &str) {
    for e in &mut scope.failures {
        *e = in_account(label, e.clone());
    }
}

/// The AWS layers serving `req`, without I/O: what `aws_task` yields for a live read. Over an
/// inventory that lacks what the walk needs (one not read for this request), the layers it
/// would have filled are gaps saying so, never clean.
pub fn resolve_aws(inv: &AwsInventory, req: &ChainRequest) -> ProviderOutput {
    match resolve::walk(inv, req) {
        Ok(out) => out,
        Err(needs) => {
            let mut out = ProviderOutput::default();
            for (layer, provider) in [("cloudfront", Provider::Cloudfront), ("alb", Provider::Alb)]
            {
                let mine: Vec<String> = needs
                    .iter()
                    .filter(|n| match n {
                        AwsNeed::Alb { .. } => provider == Provider::Alb,
                        _ => provider == Provider::Cloudfront,
                    })
                    .map(|n| format!("{n:?}"))
                    .collect();
                if !mine.is_empty() {
                    out.gaps.push(Gap {
                        layer: layer.into(),
                        provider,
                        reason: format!(
                            "the AWS inventory does not hold what this request needs: {}",
                            mine.join(", ")
                        ),
                        code: GapCode::NotFound,
                    });
                }
            }
            out
        }
    }
}

#[cfg(test)]
mod tests;
