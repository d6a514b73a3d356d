//! `wsaudit chain`'s AWS read: a narrow inventory filled by the walk itself. The walk
//! (`resolve.rs`) runs over what is read so far and names what it lacks; those reads run at
//! once (CloudFront, Route 53 and the load balancer side by side, as before the inventory), and
//! the walk runs again, until it answers. Every step shares one `--timeout`; a step that runs
//! out of it is recorded as that step's deadline fault, which the walk reports where the
//! step's answer would be.

use super::resolve::{walk, AwsNeed, ALB_STEP, CF_STEP};
use super::AwsInventory;
use crate::discover::{AwsSource, ChainRequest, ProviderOutput};
use crate::model::{NotConsulted, Provider};
use crate::providers::alb::{self, AlbNeed, AlbRequest, AlbSelector, RegionInventory};
use crate::providers::aws::{sdk_loader, AwsClients, AwsError, AwsOptions};
use crate::providers::cloudfront::{self, CfNeed};
use crate::providers::route53::{self, R53Need};
use futures_util::stream::{FuturesUnordered, StreamExt};
use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

/// The one deadline every step of the AWS walk shares: a step that runs out of it says which
/// step it was and how late it began, since it may have had far less than `--timeout`.
struct Walk {
    began: tokio::time::Instant,
    timeout: Duration,
    /// When each step first began, in seconds into the walk.
    first_began: BTreeMap<String, f64>,
}

impl Walk {
    fn start(timeout: Duration) -> Self {
        Walk {
            began: tokio::time::Instant::now(),
            timeout,
            first_began: BTreeMap::new(),
        }
    }

    /// When the walk's time is up.
    fn deadline(&self) -> tokio::time::Instant {
        self.began + self.timeout
    }

    /// Notes that `step` begins (again) now; returns the deadline fault it reports if it runs
    /// out of time.
    fn begin(&mut self, step: &str) -> AwsError {
        let now = self.began.elapsed().as_secs_f64();
        let began_s = *self.first_began.entry(step.to_string()).or_insert(now);
        AwsError::Deadline {
            step: step.to_string(),
            seconds: self.timeout.as_secs_f64(),
            began_s,
        }
    }

    /// `fut` within what is left of the deadline (plus `grace`, for a step that bounds its
    /// own calls by the deadline and keeps what it read before it).
    async fn within<T>(&self, grace: Duration, fut: impl Future<Output = T>) -> Option<T> {
        tokio::time::timeout_at(self.deadline() + grace, fut)
            .await
            .ok()
    }
}

/// More reads than any walk needs (one iteration per read that completes: CloudFront's
/// listing, tenant, distribution, VPC origin and policy; a few per Route 53 lookup; three per
/// region a load balancer is looked for in); a bound so a service answering inconsistently
/// cannot keep the walk going.
const MAX_ROUNDS: usize = 64;

pub(crate) async fn read_aws(
    req: &ChainRequest,
    source: AwsSource,
    opts: &AwsOptions,
) -> ProviderOutput {
    let mut walk_clock = Walk::start(req.timeout);
    let sdk = match source {
        AwsSource::StandardChain => sdk_loader(opts).load().await,
        AwsSource::Config(c) => *c,
    };
    let clients = AwsClients::new(sdk);

    let late = walk_clock.begin("resolving AWS credentials");
    let creds = walk_clock
        .within(Duration::ZERO, clients.check_credentials())
        .await
        .unwrap_or(Err(late));
    if let Err(e) = creds {
        let mut out = ProviderOutput::default();
        let expected = req.alb.is_some() || req.cloudfront.is_some() || req.aws_in_env;
        for (layer, provider) in [("cloudfront", Provider::Cloudfront), ("alb", Provider::Alb)] {
            if expected {
                out.gaps.push(e.to_gap(layer, provider));
            } else {
                out.not_consulted.push(NotConsulted {
                    provider,
                    reason: "no AWS credentials in the environment (AWS_PROFILE, keys, SSO, instance role)"
                        .into(),
                });
            }
        }
        return out;
    }

    let mut inv = AwsInventory {
        default_regions: clients.default_region().into_iter().collect(),
        ..Default::default()
    };
    let clock = walk_clock;
    let page_size = opts.page_size;
    // The load balancer read stops its own late calls at the deadline and keeps the load
    // balancer's idle timeout; only a read still finding the load balancer is abandoned here.
    let fetch_req = AlbRequest {
        selector: AlbSelector::Name(String::new()),
        host: req.domain.clone(),
        path: req.path.clone(),
        port: None,
        page_size,
        deadline: Some((clock.deadline(), req.timeout.as_secs_f64())),
    };
    let mut clock = clock;
    let mut inflight: FuturesUnordered<Pin<Box<dyn Future<Output = Done> + Send + '_>>> =
        FuturesUnordered::new();
    let mut busy: BTreeSet<String> = BTreeSet::new();
    for _ in 0..MAX_ROUNDS {
        let needs = match walk(&inv, req) {
            Ok(out) => return out,
            Err(needs) => needs,
        };
        // Each step progresses on its own: a slow load balancer does not hold CloudFront's
        // next call back, and a step already reading is not started twice.
        for (key, group) in group(needs) {
            if busy.contains(&key) {
                continue;
            }
            // Every region's load balancer read is the one load balancer step of the walk.
            let fault = match &group {
                Group::Alb(..) => clock.begin(ALB_STEP),
                _ => clock.begin(&key),
            };
            busy.insert(key.clone());
            let deadline = clock.deadline();
            match group {
                Group::Cf(needs) => {
                    let client = clients.cloudfront();
                    let mut part = inv.cloudfront.clone();
                    inflight.push(Box::pin(async move {
                        let read = tokio::time::timeout_at(
                            deadline,
                            cloudfront::fetch(&client, &mut part, needs, page_size),
                        )
                        .await;
                        Done::Cf(key, read.ok().map(|()| part), fault)
                    }));
                }
                Group::R53(need) => {
                    let client = clients.route53();
                    let mut part = inv.route53.clone();
                    inflight.push(Box::pin(async move {
                        let read = tokio::time::timeout_at(
                            deadline,
                            route53::fetch(&client, &mut part, need, page_size, None),
                        )
                        .await;
                        Done::R53(key, read.ok().map(|()| part), fault)
                    }));
                }
                Group::Alb(region, needs) => {
                    let client = clients.elbv2(&region);
                    let mut part = inv
                        .regions
                        .remove(&region)
                        .unwrap_or_else(|| RegionInventory::new(&region));
                    let fetch_req = &fetch_req;
                    inflight.push(Box::pin(async move {
                        let read = tokio::time::timeout_at(
                            deadline + ALB_GRACE,
                            alb::fetch(&client, &mut part, needs, fetch_req),
                        )
                        .await;
                        Done::Alb(key, region, read.ok().map(|()| part), fault)
                    }));
                }
            }
        }
        let Some(done) = inflight.next().await else {
            break;
        };
        match done {
            Done::Cf(key, part, fault) => {
                busy.remove(&key);
                match part {
                    Some(p) => inv.cloudfront = p,
                    None => inv.deadlines.push((CF_STEP.into(), fault)),
                }
            }
            Done::R53(key, part, fault) => {
                busy.remove(&key);
                match part {
                    Some(p) => merge_r53(&mut inv.route53, p),
                    None => inv.deadlines.push((key, fault)),
                }
            }
            Done::Alb(key, region, part, fault) => {
                busy.remove(&key);
                match part {
                    Some(p) => {
                        inv.regions.insert(region, p);
                    }
                    None => {
                        if inv.deadline(ALB_STEP).is_none() {
                            inv.deadlines.push((ALB_STEP.into(), fault));
                        }
                    }
                }
            }
        }
    }
    super::resolve_aws(&inv, req)
}

/// Past the deadline, how long a load balancer read may still take to turn its late calls
/// into unread parts.
const ALB_GRACE: Duration = Duration::from_millis(200);

/// What one step's read brought back (`None`: it ran out of the deadline, whose fault is
/// carried along).
enum Done {
    Cf(String, Option<cloudfront::CloudFrontInventory>, AwsError),
    R53(String, Option<route53::Route53Inventory>, AwsError),
    Alb(String, String, Option<RegionInventory>, AwsError),
}

enum Group {
    Cf(Vec<CfNeed>),
    R53(R53Need),
    Alb(String, Vec<AlbNeed>),
}

/// The needs by the step that reads them: CloudFront's together, each Route 53 lookup on its
/// own, the load balancer's per region (each region's read is a step of its own, reported as
/// the load balancer step).
fn group(needs: Vec<AwsNeed>) -> Vec<(String, Group)> {
    let mut cf: Vec<CfNeed> = Vec::new();
    let mut out: Vec<(String, Group)> = Vec::new();
    let mut albs: BTreeMap<String, Vec<AlbNeed>> = BTreeMap::new();
    for n in needs {
        match n {
            AwsNeed::Cf(n) => cf.push(n),
            AwsNeed::R53 { step, need } => {
                if !out.iter().any(|(k, _)| *k == step) {
                    out.push((step, Group::R53(need)));
                }
            }
            AwsNeed::Alb { region, need } => albs.entry(region).or_default().push(need),
        }
    }
    if !cf.is_empty() {
        out.push((CF_STEP.to_string(), Group::Cf(cf)));
    }
    for (region, needs) in albs {
        out.push((format!("{ALB_STEP} in {region}"), Group::Alb(region, needs)));
    }
    out
}

/// What one Route 53 lookup read (a copy of the inventory with its answer), folded back.
fn merge_r53(inv: &mut route53::Route53Inventory, part: route53::Route53Inventory) {
    if !inv.zone_scope.complete && inv.zone_scope.failures.is_empty() {
        inv.zone_scope = part.zone_scope;
        inv.zones = part.zones;
    }
    for (zone, r) in part.records {
        let mine = inv.records.entry(zone).or_default();
        for s in r.sets {
            if !mine.sets.contains(&s) {
                mine.sets.push(s);
            }
        }
        for n in r.names {
            if !mine.names.iter().any(|(x, _)| *x == n.0) {
                mine.names.push(n);
            }
        }
    }
}
