//! From a domain and path to the chain: which layers serve it, read concurrently.
//!
//! Discovery is a list of provider tasks run at the same time, each bounded by the request's
//! deadline, so the chain takes about as long as the slowest provider rather than the sum.
//! A task reports the layers it read, the gaps it could not fill (a named fault on that layer,
//! never an abort), and the layers it did not consult because they are not configured. The
//! CLI adds one task per configured provider (`aws_task` here; nginx, Cloudflare and the live
//! probe add theirs the same way); layers are then ordered outermost first.

mod aws_inventory;
mod caddy_task;
mod cloudflare_inventory;
mod cloudflare_task;
mod haproxy_task;
mod k8s_task;
mod nginx_task;
mod route;

pub use aws_inventory::{resolve_aws, AwsInventory};
pub use caddy_task::{caddy_task, CaddyConfig};
pub use cloudflare_inventory::{resolve_cloudflare, CloudflareInventory};
pub use cloudflare_task::cloudflare_task;
pub use haproxy_task::haproxy_task;
pub use k8s_task::{k8s_task, read_k8s, K8sSource};
pub use nginx_task::{nginx_task, NginxSource, DEFAULT_NGINX_CONF};
pub use route::{DiscoveredRoute, RoutePins};

use crate::model::PathVariant;
use crate::model::{
    Chain, Gap, GapCode, Heartbeat, Layer, LayerKind, NotConsulted, Notice, Provider, Scheme,
    Target,
};
use crate::providers::alb::{read_alb, AlbReading, AlbRequest, AlbSelector};
use crate::providers::aws::{
    is_elb_dns, region_from_arn, region_from_elb_dns, sdk_loader, AwsClients, AwsError, AwsOptions,
};
use crate::providers::cloudfront::{
    read_cloudfront, CloudFrontReading, CloudFrontRequest, DistributionSelector,
};
use crate::providers::route53::{resolve_through, Candidate, DnsTarget, Resolved};
use aws_config::SdkConfig;
use futures_util::FutureExt;
use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, Instant};

/// What `wsaudit chain` was asked (DESIGN §1).
#[derive(Debug, Clone)]
pub struct ChainRequest {
    pub domain: String,
    /// Defaults to `/`.
    pub path: String,
    pub scheme: Scheme,
    pub heartbeat: Option<Heartbeat>,
    /// `--alb NAME|ARN`: skip discovery for the load balancer.
    pub alb: Option<String>,
    /// `--cloudfront ID`: skip discovery for the distribution.
    pub cloudfront: Option<String>,
    /// The host name an outer layer forwards to (a Cloudflare record's target) when it is not
    /// a load balancer's own DNS name: Route 53 resolves it instead of the domain.
    pub via: Option<String>,
    /// The `Host` header an outer layer sends to the next hop when it is not the domain (a
    /// Cloudflare Origin Rule or a pool origin's Host header): what nginx selects its server
    /// by.
    pub host_header: Option<String>,
    /// `--regions`: where to look for a load balancer whose region is not otherwise known.
    pub regions: Vec<String>,
    /// `--timeout`: the total deadline of each provider.
    pub timeout: Duration,
    /// The environment names AWS credentials, a profile or an endpoint (the command looked):
    /// finding no credentials is then a gap, not "not consulted".
    pub aws_in_env: bool,
}

impl ChainRequest {
    pub fn new(domain: impl Into<String>, path: impl Into<String>) -> Self {
        ChainRequest {
            domain: domain.into(),
            path: path.into(),
            scheme: Scheme::Wss,
            heartbeat: None,
            alb: None,
            cloudfront: None,
            via: None,
            host_header: None,
            regions: Vec::new(),
            timeout: Duration::from_secs(30),
            aws_in_env: false,
        }
    }
}

/// What one provider task found.
#[derive(Debug, Clone, Default)]
pub struct ProviderOutput {
    pub layers: Vec<Layer>,
    pub gaps: Vec<Gap>,
    /// Layers not read because nothing configures them (not gaps).
    pub not_consulted: Vec<NotConsulted>,
    /// Host names this layer forwards to (a Cloudflare record's target), for the next step of
    /// the walk.
    pub next_hops: Vec<String>,
    /// The `Host` header those next hops receive, when the layer rewrites it.
    pub next_host_header: Option<String>,
    pub notices: Vec<Notice>,
    /// Declared values the running layer does not have (Kubernetes manifests against the
    /// generated configuration).
    pub drift: Vec<crate::model::Drift>,
}

pub type ProviderFuture = Pin<Box<dyn Future<Output = ProviderOutput> + Send>>;

/// One provider's read, ready to run next to the others.
pub struct ProviderTask {
    /// `aws`, `nginx`, `cloudflare`, `probe`.
    pub name: &'static str,
    /// The layers this task would fill: a task still running at the deadline leaves a gap on
    /// each.
    pub layers: Vec<(String, Provider)>,
    pub run: ProviderFuture,
}

#[derive(Debug, Clone)]
pub struct ProviderTiming {
    pub name: &'static str,
    pub elapsed: Duration,
}

/// The discovered chain (its `not_consulted` lists the layers nothing configures) and how
/// discovery went.
#[derive(Debug, Clone)]
pub struct Discovered {
    pub chain: Chain,
    pub timings: Vec<ProviderTiming>,
    /// Wall time of the whole discovery.
    pub elapsed: Duration,
    /// Every task's next hops, in task order.
    pub next_hops: Vec<String>,
    /// The first task's rewritten `Host` header for them, if any.
    pub next_host_header: Option<String>,
}

impl Discovered {
    /// Adds a later discovery step's layers, gaps and timings to this one.
    pub fn absorb(&mut self, later: Discovered) {
        self.chain.layers.extend(later.chain.layers);
        self.chain.layers.sort_by_key(layer_rank);
        self.chain.gaps.extend(later.chain.gaps);
        self.chain.not_consulted.extend(later.chain.not_consulted);
        self.timings.extend(later.timings);
        self.elapsed += later.elapsed;
        self.next_hops.extend(later.next_hops);
        self.chain.drift.extend(later.chain.drift);
        self.chain.notices.extend(later.chain.notices);
        if self.next_host_header.is_none() {
            self.next_host_header = later.next_host_header;
        }
    }
}

/// The request the layers behind the read ones receive: the original, unless a load balancer's
/// rule rewrote its host or path (ALB `Transforms`), in which case nginx is asked for the
/// rewritten one, as it would receive it.
pub fn request_for_next_layer(chain: &Chain, req: &ChainRequest) -> ChainRequest {
    let mut next = req.clone();
    let rewrite = chain
        .layers
        .iter()
        .rev()
        .find_map(|l| l.rewrites_request.as_ref());
    if let Some(r) = rewrite {
        next.domain = r.host.split(':').next().unwrap_or(&r.host).to_string();
        next.path.clone_from(&r.path);
        // The rewritten host is the one that arrives, whatever an outer layer sent.
        next.host_header = None;
    }
    next
}

/// Extra time a task gets past the request deadline before it is abandoned: tasks enforce the
/// deadline themselves and need a moment to turn it into gaps.
const GRACE: Duration = Duration::from_millis(500);

/// Runs every task concurrently and assembles the chain, outermost layer first.
pub async fn discover(req: &ChainRequest, tasks: Vec<ProviderTask>) -> Discovered {
    let started = Instant::now();
    let limit = req.timeout + GRACE;
    let runs = tasks.into_iter().map(|task| async move {
        let t0 = Instant::now();
        let out = match tokio::time::timeout(limit, task.run).await {
            Ok(out) => out,
            Err(_) => ProviderOutput {
                gaps: task
                    .layers
                    .iter()
                    .map(|(layer, provider)| Gap {
                        layer: layer.clone(),
                        provider: *provider,
                        reason: format!(
                            "the {} provider did not finish within {} s (--timeout)",
                            task.name,
                            req.timeout.as_secs_f64()
                        ),
                        code: GapCode::Timeout,
                    })
                    .collect(),
                ..Default::default()
            },
        };
        (
            ProviderTiming {
                name: task.name,
                elapsed: t0.elapsed(),
            },
            out,
        )
    });
    let results = futures_util::future::join_all(runs).await;

    let mut chain = Chain::new(Target {
        domain: req.domain.clone(),
        path: req.path.clone(),
        scheme: req.scheme,
    });
    chain.heartbeat = req.heartbeat.clone();
    let mut timings = Vec::new();
    let mut next_hops = Vec::new();
    let mut next_host_header = None;
    for (timing, out) in results {
        next_hops.extend(out.next_hops);
        next_host_header = next_host_header.or(out.next_host_header);
        chain.notices.extend(out.notices);
        chain.drift.extend(out.drift);
        timings.push(timing);
        chain.layers.extend(out.layers);
        chain.gaps.extend(out.gaps);
        chain.not_consulted.extend(out.not_consulted);
    }
    chain.layers.sort_by_key(layer_rank);
    Discovered {
        chain,
        timings,
        elapsed: started.elapsed(),
        next_hops,
        next_host_header,
    }
}

/// Position from the client inwards: Cloudflare fronts CloudFront when both exist.
fn layer_rank(l: &Layer) -> u8 {
    match (l.kind, l.provider) {
        (LayerKind::Cdn, Provider::Cloudflare) => 0,
        (LayerKind::Cdn, Provider::Cloudfront) => 1,
        (LayerKind::Cdn, _) => 2,
        (LayerKind::LoadBalancer, _) => 3,
        // HAProxy in front of nginx: the common self-hosted layout (HAProxy balancing across
        // nginx boxes); the other way round is rare.
        (LayerKind::ReverseProxy, Provider::Haproxy) => 4,
        // An ingress controller sits in front of any proxy inside the cluster (and behind an
        // HAProxy at the edge).
        (
            LayerKind::ReverseProxy,
            Provider::IngressNginx
            | Provider::F5NginxIngress
            | Provider::GatewayApi
            | Provider::Kubernetes,
        ) => 5,
        (LayerKind::ReverseProxy, _) => 6,
        (LayerKind::App, _) => 7,
        // No provider reads one: the probe merge places a measured hop itself.
        (LayerKind::Unknown, _) => 8,
    }
}

/// Where the AWS configuration comes from.
#[derive(Debug, Clone)]
pub enum AwsSource {
    /// `aws-config`'s standard chain: environment, profiles, SSO, IMDS, `AWS_ENDPOINT_URL`.
    StandardChain,
    /// An already loaded configuration (tests point it at the emulator this way).
    Config(Box<SdkConfig>),
}

/// The AWS task: CloudFront (by alias or `--cloudfront`) and the load balancer behind it (by
/// the origin's DNS name, a Route 53 record, or `--alb`).
pub fn aws_task(req: &ChainRequest, source: AwsSource, opts: AwsOptions) -> ProviderTask {
    let req = req.clone();
    ProviderTask {
        name: "aws",
        layers: vec![
            ("cloudfront".into(), Provider::Cloudfront),
            ("alb".into(), Provider::Alb),
        ],
        run: Box::pin(async move { read_aws(&req, source, &opts).await }),
    }
}

/// The one deadline every step of the AWS walk shares: a step that runs out of it says which
/// step it was and how late it began, since it may have had far less than `--timeout`.
struct Walk {
    began: tokio::time::Instant,
    timeout: Duration,
}

impl Walk {
    fn start(timeout: Duration) -> Self {
        Walk {
            began: tokio::time::Instant::now(),
            timeout,
        }
    }

    /// Runs `fut` as the step `step` (`reading CloudFront`) within what is left of the
    /// deadline.
    async fn step<T>(
        &self,
        step: &str,
        fut: impl Future<Output = Result<T, AwsError>>,
    ) -> Result<T, AwsError> {
        self.step_with_grace(step, Duration::ZERO, fut).await
    }

    /// When the walk's time is up.
    fn deadline(&self) -> tokio::time::Instant {
        self.began + self.timeout
    }

    /// Like `step`, abandoning `fut` only `grace` after the deadline: for a step that bounds
    /// its own calls by the deadline and keeps what it read before it.
    async fn step_with_grace<T>(
        &self,
        step: &str,
        grace: Duration,
        fut: impl Future<Output = Result<T, AwsError>>,
    ) -> Result<T, AwsError> {
        let began_s = self.began.elapsed().as_secs_f64();
        tokio::time::timeout_at(self.deadline() + grace, fut)
            .await
            .unwrap_or_else(|_| {
                Err(AwsError::Deadline {
                    step: step.to_string(),
                    seconds: self.timeout.as_secs_f64(),
                    began_s,
                })
            })
    }
}

async fn read_aws(req: &ChainRequest, source: AwsSource, opts: &AwsOptions) -> ProviderOutput {
    let walk = Walk::start(req.timeout);
    let mut out = ProviderOutput::default();
    let sdk = match source {
        AwsSource::StandardChain => sdk_loader(opts).load().await,
        AwsSource::Config(c) => *c,
    };
    let clients = AwsClients::new(sdk);

    let creds = walk
        .step("resolving AWS credentials", clients.check_credentials())
        .await;
    if let Err(e) = creds {
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

    let cf_client = clients.cloudfront();
    let cloudfront = async {
        let selector = match &req.cloudfront {
            Some(id) => DistributionSelector::Id(id.clone()),
            None => DistributionSelector::Alias(req.domain.clone()),
        };
        read_cf(&cf_client, req, selector, opts, &walk).await
    };
    // Route 53 only matters when nothing is pinned; it runs alongside CloudFront.
    let route53 = async {
        if req.alb.is_some() || req.cloudfront.is_some() {
            return None;
        }
        let name = req.via.as_deref().unwrap_or(&req.domain);
        let r53 = clients.route53();
        Some(
            walk.step(
                &format!("reading the Route 53 record for {name}"),
                resolve_through(&r53, name, opts.page_size),
            )
            .await,
        )
    };
    let pinned_alb = async {
        let pin = req.alb.as_ref()?;
        let port = default_port(req.scheme);
        Some(
            read_alb_in_region(
                &clients,
                req,
                AlbSelector::from_pin(pin),
                &req.domain,
                port,
                opts,
                &walk,
            )
            .await,
        )
    };
    let (mut cf, dns, pinned) = tokio::join!(cloudfront, route53, pinned_alb);

    // A Route 53 alias to a distribution whose aliases did not name the domain.
    let cf_by_dns = match (&cf, &dns) {
        (
            Ok(None),
            Some(Ok(Some(Resolved {
                target: DnsTarget::CloudFront(name),
                ..
            }))),
        ) => Some(name.clone()),
        _ => None,
    };
    // Other targets the domain's record sets send some clients to: the outermost AWS layer
    // read says so.
    let mut edge_variants = match &dns {
        Some(Ok(Some(r))) => dns_variants(r),
        _ => Vec::new(),
    };
    let mut alb_variants = Vec::new();
    if let Some(name) = cf_by_dns {
        cf = read_cf(
            &cf_client,
            req,
            DistributionSelector::DomainName(name),
            opts,
            &walk,
        )
        .await;
    }

    // Where the load balancer comes from, decided by what CloudFront and Route 53 said.
    let mut plan = AlbPlan::NotConsulted(format!(
        "no CloudFront origin or Route 53 record for {} points at a load balancer (pin one with --alb)",
        req.domain
    ));
    let mut cf_decided = false;
    // A custom origin named by its own host name (`origin.example.com`, needed for an
    // https-only origin's certificate): Route 53 may lead from it to the load balancer.
    let mut origin_by_name = None;
    match cf {
        Ok(Some(reading)) => {
            cf_decided = true;
            let snap = &reading.snapshot;
            plan = match &snap.origin {
                Some(o) => {
                    let port = o
                        .custom
                        .as_ref()
                        .and_then(|c| u16::try_from(c.port(req.scheme)).ok())
                        .unwrap_or(default_port(req.scheme));
                    let host = snap.origin_host(&req.domain);
                    let not_lb = format!(
                        "the CloudFront origin {} for {} is not a load balancer",
                        o.domain_name,
                        snap.behavior.label()
                    );
                    // A VPC origin names its load balancer by ARN.
                    if let Some(arn) = &o.vpc_endpoint_arn {
                        AlbPlan::Read(AlbSelector::Arn(arn.clone()), host, port)
                    } else if is_elb_dns(&o.domain_name) {
                        AlbPlan::Read(AlbSelector::DnsName(o.domain_name.clone()), host, port)
                    } else {
                        if o.custom.is_some() {
                            origin_by_name = Some((o.domain_name.clone(), host, port));
                        }
                        AlbPlan::NotConsulted(not_lb)
                    }
                }
                None => AlbPlan::NotConsulted(format!(
                    "{} targets origin {}, which the distribution does not define",
                    snap.behavior.label(),
                    snap.behavior.target_origin_id
                )),
            };
            out.gaps.extend(reading.gaps);
            let mut layer = reading.layer;
            layer.path_variants.append(&mut edge_variants);
            out.layers.push(layer);
        }
        Ok(None) => out.not_consulted.push(NotConsulted {
            provider: Provider::Cloudfront,
            reason: format!(
                "no CloudFront distribution has {} as an alternate domain name",
                req.domain
            ),
        }),
        Err(e) => {
            cf_decided = true;
            plan = AlbPlan::Unknown;
            out.gaps.push(e.to_gap("cloudfront", Provider::Cloudfront));
        }
    }
    if let Some((origin, host, port)) = origin_by_name {
        let r53 = clients.route53();
        let found = walk
            .step(
                &format!("reading the Route 53 record for the CloudFront origin {origin}"),
                resolve_through(&r53, &origin, opts.page_size),
            )
            .await;
        match found {
            Ok(Some(
                r @ Resolved {
                    target: DnsTarget::Elb(_),
                    ..
                },
            )) => {
                alb_variants = dns_variants(&r);
                plan = AlbPlan::Read(
                    AlbSelector::DnsName(r.target.name().to_string()),
                    host,
                    port,
                );
            }
            Ok(_) => {
                if let AlbPlan::NotConsulted(reason) = &mut plan {
                    reason.push_str(
                        " and no Route 53 record leads from it to one (pin one with --alb)",
                    );
                }
            }
            Err(e) => {
                out.gaps.push(e.to_gap("alb", Provider::Alb));
                plan = AlbPlan::Unknown;
            }
        }
    }
    if !cf_decided {
        match dns {
            Some(Ok(Some(Resolved {
                target: DnsTarget::Elb(name),
                ..
            }))) => {
                plan = AlbPlan::Read(
                    AlbSelector::DnsName(name),
                    req.domain.clone(),
                    default_port(req.scheme),
                )
            }
            // Route 53 could not be read: whether a load balancer is behind is unknown.
            Some(Err(e)) => {
                out.gaps.push(e.to_gap("alb", Provider::Alb));
                plan = AlbPlan::Unknown;
            }
            _ => {}
        }
    }

    let alb = match (pinned, plan) {
        (Some(r), _) => Some(r),
        (None, AlbPlan::Read(selector, host, port)) => {
            Some(read_alb_in_region(&clients, req, selector, &host, port, opts, &walk).await)
        }
        (None, AlbPlan::NotConsulted(reason)) => {
            out.not_consulted.push(NotConsulted {
                provider: Provider::Alb,
                reason,
            });
            None
        }
        (None, AlbPlan::Unknown) => None,
    };
    match alb {
        Some(Ok(mut reading)) => {
            // Calls that failed after the load balancer was read: the layer stands, with
            // what they would have filled unknown.
            out.gaps.extend(reading.gaps);
            if !out
                .layers
                .iter()
                .any(|l| l.provider == Provider::Cloudfront)
            {
                reading.layer.path_variants.append(&mut edge_variants);
            }
            reading.layer.path_variants.append(&mut alb_variants);
            out.layers.push(reading.layer);
        }
        Some(Err(e)) => out.gaps.push(e.to_gap("alb", Provider::Alb)),
        None => {}
    }
    out
}

/// The record sets not followed, as path variants of the layer the followed one led to. A
/// `--alb` or `--cloudfront` pin audits one of them.
fn dns_variants(r: &Resolved) -> Vec<PathVariant> {
    let describe = |c: &Candidate| {
        let mut s = format!("{} record set", c.policy);
        if let Some(id) = &c.set_identifier {
            s.push_str(&format!(" {id}"));
        }
        if let Some(d) = &c.detail {
            s.push_str(&format!(" ({d})"));
        }
        s
    };
    let pin = |t: &DnsTarget| match t {
        DnsTarget::Elb(n) => format!("--alb {n}"),
        DnsTarget::CloudFront(_) => "--cloudfront ID".to_string(),
        DnsTarget::Other(_) => "a pin for it".to_string(),
    };
    r.others
        .iter()
        .map(|c| PathVariant {
            kind: "dns_routing".into(),
            detail: format!(
                "Route 53 {} for {} sends some clients to {} instead of {} ({}), the path \
                 audited here; audit it with {}",
                describe(c),
                c.name.trim_end_matches('.'),
                c.target.name(),
                r.chosen.target.name(),
                describe(&r.chosen),
                pin(&c.target),
            ),
            locator: format!(
                "hostedzone/{}",
                c.zone_id.trim_start_matches("/hostedzone/")
            ),
            field: Some(format!(
                "ResourceRecordSets[{}{}]",
                c.name,
                c.set_identifier
                    .as_deref()
                    .map(|i| format!(" {i}"))
                    .unwrap_or_default()
            )),
        })
        .collect()
}

enum AlbPlan {
    /// Read the load balancer named so, for this `Host`, on this listener port.
    Read(AlbSelector, String, u16),
    NotConsulted(String),
    /// An upstream read failed; its gap already says why the load balancer is unknown.
    Unknown,
}

fn default_port(scheme: Scheme) -> u16 {
    match scheme {
        Scheme::Wss => 443,
        Scheme::Ws => 80,
    }
}

async fn read_cf(
    client: &aws_sdk_cloudfront::Client,
    req: &ChainRequest,
    selector: DistributionSelector,
    opts: &AwsOptions,
    walk: &Walk,
) -> Result<Option<CloudFrontReading>, AwsError> {
    let cf_req = CloudFrontRequest {
        selector,
        path: req.path.clone(),
        scheme: req.scheme,
        page_size: opts.page_size,
    };
    walk.step("reading CloudFront", read_cloudfront(client, &cf_req))
        .await
}

/// Reads the load balancer in the region its DNS name or ARN names, else in `AWS_REGION`, else
/// in every `--regions` entry at once (the first that has it wins).
async fn read_alb_in_region(
    clients: &AwsClients,
    req: &ChainRequest,
    selector: AlbSelector,
    host: &str,
    port: u16,
    opts: &AwsOptions,
    walk: &Walk,
) -> Result<AlbReading, AwsError> {
    let known = match &selector {
        AlbSelector::DnsName(d) => region_from_elb_dns(d),
        AlbSelector::Arn(a) => region_from_arn(a),
        AlbSelector::Name(_) => None,
    };
    let regions: Vec<String> = match known {
        Some(r) => vec![r],
        None if !req.regions.is_empty() => req.regions.clone(),
        None => clients.default_region().into_iter().collect(),
    };
    if regions.is_empty() {
        return Err(AwsError::NoRegion {
            what: "the load balancer".into(),
        });
    }
    let alb_req = AlbRequest {
        selector,
        host: host.to_string(),
        path: req.path.clone(),
        port: Some(port),
        page_size: opts.page_size,
        deadline: Some((walk.deadline(), req.timeout.as_secs_f64())),
    };
    let attempts = regions.iter().map(|r| {
        let client = clients.elbv2(r);
        let alb_req = &alb_req;
        async move { read_alb(&client, alb_req).await }
    });
    // The read stops its own late calls at the deadline and keeps the load balancer's idle
    // timeout; only a read still finding the load balancer itself is abandoned here.
    let all = walk
        .step_with_grace(
            "reading the load balancer",
            Duration::from_millis(200),
            futures_util::future::join_all(attempts).map(Ok),
        )
        .await?;
    let mut first_err = None;
    let mut not_found = Vec::new();
    for r in all {
        match r {
            Ok(reading) => return Ok(reading),
            Err(AwsError::NotFound(m)) => not_found.push(m),
            Err(e) => {
                first_err.get_or_insert(e);
            }
        }
    }
    Err(first_err.unwrap_or_else(|| AwsError::NotFound(not_found.join("; "))))
}
