//! What a run asked the APIs: calls counted per service and operation, and the client-side
//! budget that keeps a scan under each API's rate limit.
//!
//! The counter is how `wsaudit scan` shows (and its tests assert) that each API is read once
//! per account and region, not once per target. The budget is a token bucket: AWS documents
//! its ELB `Describe*` limit as one (about 40 requests burst, 10 per second refill per account
//! and region) and Cloudflare its API limit as 1,200 requests per 5 minutes per user. Written
//! by hand because it is 40 lines and needs to be awaited from inside the readers; `governor`
//! would add a dependency tree for the same arithmetic.

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::BeforeSerializationInterceptorContextRef;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::Instant;

/// Calls made, shared by every client of one run. Cloning shares the count.
#[derive(Debug, Clone, Default)]
pub struct CallCounter {
    counts: Arc<Mutex<BTreeMap<(String, String), u64>>>,
}

impl CallCounter {
    pub fn new() -> Self {
        Self::default()
    }

    /// One call of `operation` on `service` (`elasticloadbalancing`, `cloudfront`, `route53`,
    /// `cloudflare`). Retries of the same call are not counted again.
    pub fn add(&self, service: &str, operation: &str) {
        let mut c = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        *c.entry((service.to_string(), operation.to_string()))
            .or_default() += 1;
    }

    /// Calls per service.
    pub fn per_service(&self) -> BTreeMap<String, u64> {
        let c = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        let mut out = BTreeMap::new();
        for ((service, _), n) in c.iter() {
            *out.entry(service.clone()).or_default() += n;
        }
        out
    }

    /// Calls per `service:operation`, for `--debug` and tests.
    pub fn per_operation(&self) -> BTreeMap<String, u64> {
        let c = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        c.iter()
            .map(|((s, o), n)| (format!("{s}:{o}"), *n))
            .collect()
    }

    pub fn total(&self) -> u64 {
        self.per_service().values().sum()
    }

    /// The SDK interceptor that counts every operation a client executes under `service`.
    pub fn interceptor(&self, service: &'static str) -> CountCalls {
        CountCalls {
            service,
            counter: self.clone(),
        }
    }
}

/// Counts each SDK operation once, before it is serialized (so retries are one call). Not in
/// `read_before_execution`: a client interceptor runs that before the operation's
/// configuration (its `Metadata`, the operation name) is in the bag.
#[derive(Debug, Clone)]
pub struct CountCalls {
    service: &'static str,
    counter: CallCounter,
}

impl Intercept for CountCalls {
    fn name(&self) -> &'static str {
        "wsaudit::CountCalls"
    }

    fn read_before_serialization(
        &self,
        _context: &BeforeSerializationInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let op = cfg
            .load::<Metadata>()
            .map(|m| m.name().to_string())
            .unwrap_or_else(|| "unknown".into());
        self.counter.add(self.service, &op);
        Ok(())
    }
}

/// A token bucket: `burst` calls at once, then `per_second`. Cloning shares the bucket.
#[derive(Debug, Clone)]
pub struct RateBudget {
    inner: Arc<Mutex<Bucket>>,
    burst: f64,
    per_second: f64,
}

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

impl RateBudget {
    pub fn new(burst: u32, per_second: f64) -> Self {
        RateBudget {
            inner: Arc::new(Mutex::new(Bucket {
                tokens: f64::from(burst),
                at: Instant::now(),
            })),
            burst: f64::from(burst.max(1)),
            per_second: per_second.max(0.001),
        }
    }

    /// Below the ELB `Describe*` bucket of one account and region (40 burst, 10/s): a scan
    /// leaves room for the account's other users of the same bucket.
    pub fn elb() -> Self {
        RateBudget::new(30, 8.0)
    }

    /// Below Cloudflare's 1,200 requests per 5 minutes (4/s) for one token.
    pub fn cloudflare() -> Self {
        RateBudget::new(100, 3.5)
    }

    /// CloudFront and Route 53 are global APIs with a few requests per second each.
    pub fn global_aws() -> Self {
        RateBudget::new(20, 4.0)
    }

    /// Waits until one call may be made, then spends it.
    pub async fn take(&self) {
        loop {
            let wait = {
                let mut b = self.inner.lock().unwrap_or_else(|p| p.into_inner());
                let now = Instant::now();
                let refill = now.duration_since(b.at).as_secs_f64() * self.per_second;
                b.tokens = (b.tokens + refill).min(self.burst);
                b.at = now;
                if b.tokens >= 1.0 {
                    b.tokens -= 1.0;
                    return;
                }
                Duration::from_secs_f64((1.0 - b.tokens) / self.per_second)
            };
            tokio::time::sleep(wait).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_per_service_and_operation() {
        let c = CallCounter::new();
        c.add("elasticloadbalancing", "DescribeLoadBalancers");
        c.add("elasticloadbalancing", "DescribeListeners");
        c.clone().add("elasticloadbalancing", "DescribeListeners");
        c.add("cloudflare", "GET /zones");
        assert_eq!(c.per_service()["elasticloadbalancing"], 3);
        assert_eq!(c.per_service()["cloudflare"], 1);
        assert_eq!(
            c.per_operation()["elasticloadbalancing:DescribeListeners"],
            2
        );
        assert_eq!(c.total(), 4);
    }

    #[tokio::test(start_paused = true)]
    async fn budget_spends_the_burst_then_refills_at_the_rate() {
        let b = RateBudget::new(5, 10.0);
        let t0 = Instant::now();
        for _ in 0..5 {
            b.take().await;
        }
        assert!(t0.elapsed() < Duration::from_millis(1), "the burst is free");
        for _ in 0..10 {
            b.take().await;
        }
        // Ten more at 10/s take about a second of (virtual) time.
        let took = t0.elapsed().as_secs_f64();
        assert!((0.95..1.1).contains(&took), "took {took}");
    }
}
