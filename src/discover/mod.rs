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
mod walk;

pub use aws_inventory::{resolve_aws, AwsInventory, AwsNeed};
pub use caddy_task::{caddy_task, CaddyConfig};
pub use cloudflare_inventory::{resolve_cloudflare, CloudflareInventory};
pub use cloudflare_task::cloudflare_task;
pub use haproxy_task::haproxy_task;
pub use k8s_task::{k8s_task, read_k8s, K8sSource};
pub use nginx_task::{nginx_task, resolve_nginx, NginxInventory, NginxSource, DEFAULT_NGINX_CONF};
pub use route::{DiscoveredRoute, RoutePins};
pub use walk::{
    mark_audited, other_routes, ready_task, request_after_edge, request_behind_haproxy,
    request_for_proxies, walk_inventories, Inventories,
};

use crate::model::{
    Chain, Gap, GapCode, Heartbeat, Layer, LayerKind, NotConsulted, Notice, Provider, RouteChoice,
    Scheme, Target,
};
use crate::providers::aws::AwsOptions;
use aws_config::SdkConfig;
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
    /// The entry point to follow where several are offered (a Cloudflare load balancer's pool
    /// origins, the domain's Route 53 record sets): the one sending clients to this target (a
    /// CloudFront or load balancer DNS name) instead of the preferred one.
    pub route_target: Option<String>,
    /// The port an outer layer connects to the proxies on, when it says so (a pool origin's
    /// `port`, an Origin Rule's `origin.port`, a tunnel service's URL): the listen socket a
    /// proxy selects its server on. `None`: nothing says, the proxy's own default applies.
    pub port: Option<u16>,
    /// `--regions`: where to look for a load balancer whose region is not otherwise known.
    pub regions: Vec<String>,
    /// `--timeout`: the total deadline of each provider.
    pub timeout: Duration,
    /// The environment names AWS credentials, a profile or an endpoint (the command looked):
    /// finding no credentials is then a gap, not "not consulted".
    pub aws_in_env: bool,
}

impl ChainRequest {
    /// The `Host` a proxy behind the read layers selects by: the one the outer layer sends (an
    /// Origin Rule's or pool origin's Host header, without its port), else the domain.
    pub fn selecting_host(&self) -> String {
        match self.host_header.as_deref() {
            Some(h) => h.split(':').next().unwrap_or(h).to_string(),
            None => self.domain.clone(),
        }
    }

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
            route_target: None,
            port: None,
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
    /// The port those next hops are connected to on, when the layer says (not past a load
    /// balancer of another provider: see [`request_for_next_layer`]).
    pub next_port: Option<u16>,
    pub notices: Vec<Notice>,
    /// Declared values the running layer does not have (Kubernetes manifests against the
    /// generated configuration).
    pub drift: Vec<crate::model::Drift>,
    /// The layer sends clients to several entry points (a Cloudflare load balancer's pool
    /// origins, the domain's Route 53 record sets): the one this walk followed and the others.
    pub routes: Option<RouteSplit>,
}

/// The entry points a layer sends clients to: the one a walk followed, and every other.
#[derive(Debug, Clone, PartialEq)]
pub struct RouteSplit {
    pub followed: RouteChoice,
    pub others: Vec<RouteChoice>,
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
    /// The entry points the outermost layer that has several sends clients to (the followed one
    /// is `chain.route`).
    pub routes: Option<RouteSplit>,
    /// The first task's port for them, if any.
    pub next_port: Option<u16>,
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
        if self.routes.is_none() {
            self.chain.route = later.chain.route;
            self.routes = later.routes;
        }
        if self.next_port.is_none() {
            self.next_port = later.next_port;
        }
    }
}

/// The request the layers behind the read ones receive: the original, unless a load balancer's
/// rule rewrote its host or path (ALB `Transforms`), in which case nginx is asked for the
/// rewritten one, as it would receive it. The port an edge connects to is the load balancer's
/// listener when one is read behind it: the proxies then receive on the target group's port,
/// which the edge does not say.
pub fn request_for_next_layer(chain: &Chain, req: &ChainRequest) -> ChainRequest {
    let mut next = req.clone();
    if chain.layers.iter().any(|l| {
        matches!(
            l.provider,
            Provider::Alb | Provider::Nlb | Provider::Cloudfront
        )
    }) {
        next.port = None;
    }
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
    let mut routes: Option<RouteSplit> = None;
    let mut next_port = None;
    for (timing, out) in results {
        if routes.is_none() {
            routes = out.routes;
        }
        next_hops.extend(out.next_hops);
        next_host_header = next_host_header.or(out.next_host_header);
        next_port = next_port.or(out.next_port);
        chain.notices.extend(out.notices);
        chain.drift.extend(out.drift);
        timings.push(timing);
        chain.layers.extend(out.layers);
        chain.gaps.extend(out.gaps);
        chain.not_consulted.extend(out.not_consulted);
    }
    chain.layers.sort_by_key(layer_rank);
    chain.route = routes.as_ref().map(|r| r.followed.clone());
    Discovered {
        chain,
        timings,
        elapsed: started.elapsed(),
        next_hops,
        next_host_header,
        routes,
        next_port,
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
        run: Box::pin(async move { aws_inventory::read_aws(&req, source, &opts).await }),
    }
}
