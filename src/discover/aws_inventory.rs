//! STUB (interface agreed for the scan; the AWS inventory branch replaces this file).
//!
//! The AWS inventory: everything one account holds in the given regions (load balancers,
//! listeners, rules, target groups and their attributes; CloudFront distributions, their
//! policies, tenants and VPC origins; Route 53 zones and record sets), read once, paginated;
//! and the pure resolution of a request (domain + path) to the AWS layers over it.

use super::{ChainRequest, DiscoveredRoute, ProviderOutput};
use crate::providers::aws::{AwsClients, AwsOptions};
use crate::providers::calls::RateBudget;

#[derive(Debug, Clone, Default)]
pub struct AwsInventory {}

impl AwsInventory {
    /// Reads one account (the clients' credentials) in `regions`. Never fails as a whole: a
    /// scope that could not be read (AccessDenied, throttled past retries, a deadline) is
    /// recorded in the inventory and becomes a gap on every target it could have served.
    pub async fn read_account(
        _account: &str,
        _clients: &AwsClients,
        _regions: &[String],
        _opts: &AwsOptions,
        _elb_budget: impl Fn(&str) -> RateBudget,
        _global_budget: RateBudget,
    ) -> AwsInventory {
        AwsInventory::default()
    }

    /// An account that could not be read at all (its role not assumed, no credentials).
    pub fn unreadable(_account: &str, _reason: String) -> AwsInventory {
        AwsInventory::default()
    }

    /// Several accounts as one: a distribution in one account may front a load balancer in
    /// another.
    pub fn merge(_all: Vec<AwsInventory>) -> AwsInventory {
        AwsInventory::default()
    }

    /// Every entry point the inventory routes that can carry WebSockets.
    pub fn routes(&self) -> Vec<DiscoveredRoute> {
        Vec::new()
    }
}

/// The AWS layers serving `req`, without I/O: what `aws_task` yields for a live read.
pub fn resolve_aws(_inv: &AwsInventory, _req: &ChainRequest) -> ProviderOutput {
    ProviderOutput::default()
}
