//! The layer chain: client → CDN → load balancer → reverse proxy → app.
//!
//! This is the contract between providers (which fill it) and the policy engine (which only
//! ever sees it as JSON). Field names are stable: add fields, rename none (DESIGN §3).

use super::gap::GapCode;
use super::logs::LogFacts;
use super::probe::ProbeFacts;
use super::seconds::Seconds;
use super::setting::{Origin, Setting};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The version of the chain JSON this build reads and writes. Bump on a breaking change.
pub const SCHEMA_VERSION: &str = "1";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Chain {
    pub schema_version: String,
    pub target: Target,
    /// Outermost (closest to the client) first.
    pub layers: Vec<Layer>,
    #[serde(default)]
    pub heartbeat: Option<Heartbeat>,
    /// Layers that should have been read but could not be: a chain with gaps is an
    /// incomplete audit (exit 3), never a clean one.
    #[serde(default)]
    pub gaps: Vec<Gap>,
    /// Providers that were deliberately not read (not configured, no credentials given for
    /// them): unlike gaps, they do not make the audit incomplete, but the report lists them so
    /// nobody mistakes "not looked at" for "fine".
    #[serde(default)]
    pub not_consulted: Vec<NotConsulted>,
    /// Facts a live probe observed, when one ran.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probe: Option<ProbeFacts>,
    /// What a provider read but could not use in full (one malformed record of a list, a rule
    /// expression it cannot evaluate, a product whose WebSocket behaviour is only documented):
    /// not gaps, because the facts the chain rests on were read, but said so that nobody takes
    /// a skipped detail for an absent one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notices: Vec<Notice>,
    /// Settings whose live value differs from the one infrastructure code plans
    /// (`wsaudit chain --terraform-plan`): changed by hand, or a plan not yet applied.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub drift: Vec<super::drift::Drift>,
    /// Facts read from access logs, when `wsaudit logs` or `chain --logs` read some.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logs: Option<LogFacts>,
    /// Which of the domain's DNS record sets this chain follows, when there are several
    /// (Route 53 weighted, latency, failover, geolocation): each one is a chain of its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub route: Option<RouteChoice>,
}

/// One record set of several that answer for a name, and where it sends clients.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RouteChoice {
    /// `route53`: a record set of the domain's hosted zone; `cloudflare`: an origin of a
    /// Cloudflare load balancer's pools.
    pub source: String,
    /// Route 53's routing policy (`weighted`, `latency`, `failover`, `geolocation`,
    /// `geoproximity`, `multivalue`, `ip-based`, `simple`), or `pool` for a Cloudflare origin.
    pub policy: String,
    /// The record set's `SetIdentifier`, or the Cloudflare pool's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub set_identifier: Option<String>,
    /// `weight 10`, `region eu-west-1`, `failover SECONDARY`, `country DE`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Where it sends clients: a CloudFront domain name, a load balancer's DNS name.
    pub target: String,
    /// The hosted zone (`hostedzone/Z1`) or load balancer (`zone/Z/load_balancers/ID`).
    pub locator: String,
    /// `ResourceRecordSets[ws.example.com. green]`, `pools[ID].origins[HOST]`.
    pub field: String,
}

impl RouteChoice {
    /// `weighted record set green (weight 10) → alb-green-1.eu-west-1.elb.amazonaws.com`.
    pub fn label(&self) -> String {
        let mut s = match self.source.as_str() {
            "cloudflare" => format!("Cloudflare load balancer {}", self.policy),
            _ => format!("{} record set", self.policy),
        };
        if let Some(id) = &self.set_identifier {
            s.push_str(&format!(" {id}"));
        }
        if let Some(d) = &self.detail {
            s.push_str(&format!(" ({d})"));
        }
        format!("{s} \u{2192} {}", self.target)
    }
}

/// One thing a provider wants the reader to know about its read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Notice {
    /// The layer id it concerns (`cloudflare`).
    pub layer: String,
    pub provider: Provider,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NotConsulted {
    pub provider: Provider,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Target {
    pub domain: String,
    #[serde(default = "default_path")]
    pub path: String,
    /// `ws` or `wss`: what the client dials.
    pub scheme: Scheme,
}

fn default_path() -> String {
    "/".to_string()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Scheme {
    Ws,
    Wss,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum LayerKind {
    Cdn,
    LoadBalancer,
    ReverseProxy,
    App,
    /// A hop a live probe measured but no provider read: what it is is not known.
    Unknown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Provider {
    Cloudflare,
    Cloudfront,
    Alb,
    Nlb,
    Nginx,
    Haproxy,
    Caddy,
    App,
    /// The live probe (a gap when it could not run).
    Probe,
    /// Anything a user's own tooling wrote into a chain (HAProxy, Envoy, …).
    Other,
    /// A Cloudflare Tunnel: `cloudflared` connects out to Cloudflare and carries the edge's
    /// requests to a local service (a CNAME to `<uuid>.cfargotunnel.com`).
    Cloudflared,
    /// kubernetes/ingress-nginx, read from Kubernetes manifests (and its generated nginx.conf).
    IngressNginx,
    /// F5 NGINX Ingress Controller (`nginx.org/*` annotations), read from manifests.
    F5NginxIngress,
    /// A Gateway API implementation (HTTPRoute, Gateway), read from manifests.
    GatewayApi,
    /// An ingress controller wsaudit does not model, named by its IngressClass.
    Kubernetes,
    /// A hop no provider read whose limit a live probe measured: its connection was cut at a
    /// time no layer read explains, so something the audit cannot see sits on the path.
    Unseen,
}

impl Provider {
    pub fn as_str(&self) -> &'static str {
        match self {
            Provider::Cloudflare => "cloudflare",
            Provider::Cloudfront => "cloudfront",
            Provider::Alb => "alb",
            Provider::Nlb => "nlb",
            Provider::Nginx => "nginx",
            Provider::Haproxy => "haproxy",
            Provider::Caddy => "caddy",
            Provider::App => "app",
            Provider::Probe => "probe",
            Provider::Other => "other",
            Provider::Cloudflared => "cloudflared",
            Provider::IngressNginx => "ingress_nginx",
            Provider::F5NginxIngress => "f5_nginx_ingress",
            Provider::GatewayApi => "gateway_api",
            Provider::Kubernetes => "kubernetes",
            Provider::Unseen => "unseen",
        }
    }
}

/// Which traffic resets a layer's idle timer. CloudFront counts only origin→client bytes,
/// so a heartbeat the client sends and nobody answers does not keep it open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum IdleResetBy {
    /// Data in either direction resets the timer (ALB, nginx, Cloudflare per its docs).
    Either,
    /// Only bytes from the origin towards the client reset it (CloudFront).
    ServerToClient,
    /// Only bytes from the client towards the origin reset it.
    ClientToServer,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum WebsocketSupport {
    Enabled,
    Disabled,
    Unknown,
}

/// How a balancing layer keeps a client on one backend.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Stickiness {
    /// `none`, `ip_hash`, `hash`, `cookie`, `source_ip`, `header`, `route`, `learn`, …
    pub mode: String,
    /// Hash key, cookie or header name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl_s: Option<Seconds>,
}

impl Stickiness {
    pub fn none() -> Self {
        Stickiness {
            mode: "none".into(),
            key: None,
            ttl_s: None,
        }
    }
}

/// What a layer's access log records.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AccessLog {
    pub enabled: bool,
    /// Where it goes (a file, an S3 bucket), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destination: Option<String>,
    /// Normalised field names the format records, e.g. `upstream_addr`, `request_time`.
    #[serde(default)]
    pub fields: Vec<String>,
}

/// One hop of the chain, in the provider-neutral vocabulary of DESIGN §3.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Layer {
    /// Unique within the chain, stable across runs (`cloudfront`, `alb`, `nginx:/ws/`).
    pub id: String,
    pub kind: LayerKind,
    pub provider: Provider,
    /// What the provider calls it (`server ws.example.com location /ws/`, a load balancer's
    /// name); how the request got here is in the fields below, not in the name.
    pub name: String,
    /// ARN, zone id, file path: where this layer is configured.
    #[serde(default)]
    pub locator: Option<String>,
    /// The line of code that defines the layer (an nginx `location`, an HAProxy backend, a
    /// Terraform resource block, a CloudFormation resource): where a finding about a setting
    /// left at its default points, and where a fix adds a directive not written yet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub defined_at: Option<SourceLine>,
    /// The internal rewrite (nginx `rewrite … last`) that sent the request to this layer's
    /// configuration: the layer judged is not the one the requested path names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reached_by_rewrite: Option<SourceLine>,
    /// A rewrite on the way whose target is request data, so where it leads is not known: the
    /// layer is the one the request reaches when it does not apply.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rewrite_not_followed: Option<SourceLine>,
    /// The `try_files` or `error_page` that continued the request in this layer's location (a
    /// named `@location`, or the location of another URI): the location the path selects
    /// does not answer the handshake, this one does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reached_by_fallback: Option<SourceLine>,
    /// The resources the layer is made of besides `locator` (the target group and listener
    /// behind an ALB, the CloudFront origin a behavior forwards to): where a fix is applied.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<LayerResource>,
    /// The host and path this layer sends on to the next one when it rewrites them (ALB rule
    /// `Transforms`): the next layer is read for the rewritten request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rewrites_request: Option<RequestRewrite>,
    /// Configuration that may send some requests another way than the one read (a
    /// viewer-request function, a continuous-deployment staging split, several DNS answers):
    /// the audit covers one path, and these say which others exist.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub path_variants: Vec<PathVariant>,

    /// Closes an established, idle WebSocket.
    #[serde(default)]
    pub idle_timeout: Setting<Seconds>,
    /// What traffic resets `idle_timeout`.
    #[serde(default)]
    pub idle_reset_by: Setting<IdleResetBy>,
    /// Hard cap on a connection's life regardless of traffic.
    #[serde(default)]
    pub max_duration: Setting<Seconds>,
    /// How long a write toward the next layer may stall before the connection is closed
    /// (nginx `proxy_send_timeout`). Not an idle timer: it only runs while a write is blocked.
    #[serde(default)]
    pub send_timeout: Setting<Seconds>,
    /// How long this layer waits for the next layer to answer the handshake (CloudFront
    /// `OriginReadTimeout`). Documented for responses only; not known to apply after the 101.
    #[serde(default)]
    pub response_timeout: Setting<Seconds>,
    /// Idle HTTP keep-alive toward the previous (outer) layer: how long an idle client
    /// connection stays open (for an ALB its idle timeout, which closes idle connections).
    #[serde(default)]
    pub client_keepalive: Setting<Seconds>,
    /// The longest a client HTTP connection may live however busy it is (ALB
    /// `client_keep_alive.seconds`): the timer starts when the connection opens, traffic does
    /// not reset it, and when it runs out the layer closes the connection gracefully after its
    /// next response. Not `max_duration`: it is request-driven, and an upgraded WebSocket
    /// sends no further request, so it is not known to end one.
    #[serde(default)]
    pub client_connection_lifetime: Setting<Seconds>,
    /// How long this layer keeps an idle pooled connection to the next (inner) layer open
    /// before reusing it: the other half of the keep-alive 502 race.
    #[serde(default)]
    pub upstream_keepalive: Setting<Seconds>,
    #[serde(default)]
    pub websocket: Setting<WebsocketSupport>,
    /// Whether the layer passes the WebSocket handshake on to a next hop at all. `false` when
    /// it answers the handshake itself (an nginx `return`, a static file, `try_files … =404`):
    /// there is no next hop then, so nothing about forwarding, the upstream protocol,
    /// buffering, upstream timeouts or a proxy's logs applies. Unknown reads as "it does".
    #[serde(default)]
    pub proxies: Setting<bool>,
    /// Whether the handshake's `Upgrade` (and, for CDNs, the `Sec-WebSocket-*` headers)
    /// reaches the next layer.
    #[serde(default)]
    pub forwards_upgrade: Setting<bool>,
    /// The `Upgrade` header value sent upstream for a WebSocket handshake, after variables are
    /// resolved (`websocket` when the client's is passed on; empty when none is sent).
    #[serde(default)]
    pub upgrade_header: Setting<String>,
    /// The `Connection` header value sent upstream for a WebSocket handshake, after maps and
    /// variables are resolved (`upgrade`, `close`, `keep-alive`, empty).
    #[serde(default)]
    pub connection_header: Setting<String>,
    /// What this layer does with a cleartext (`ws://`, `http://`) request from the previous
    /// layer: `allow`, `redirect` (a 301/302/307/308 to https, which WebSocket clients do not
    /// follow) or `reject` (CloudFront `https-only` answers 403).
    #[serde(default)]
    pub cleartext_from_client: Setting<String>,
    /// `1.0`, `1.1`, `2`, `grpc`.
    #[serde(default)]
    pub upstream_http_version: Setting<String>,
    /// Protocols accepted from the previous layer: `http1.1`, `h2`, `h3`.
    #[serde(default)]
    pub client_protocols: Setting<Vec<String>>,
    #[serde(default)]
    pub tls_to_origin: Setting<bool>,
    /// Whether this layer accepts TLS from the previous one (the client, for the outermost):
    /// `false` means a `wss://` client cannot complete its handshake here (Cloudflare SSL
    /// mode Off serves no TLS at the edge).
    #[serde(default)]
    pub tls_from_client: Setting<bool>,
    #[serde(default)]
    pub stickiness: Setting<Stickiness>,
    /// How new connections are spread over the backends: `round_robin`, `least_conn`,
    /// `least_outstanding_requests`, `weighted_random`, `random`, `ip_hash`, `hash`, …
    #[serde(default)]
    pub balancing: Setting<String>,
    /// How many backends this layer balances across.
    #[serde(default)]
    pub targets: Setting<u32>,
    /// How long a deregistered/reloaded backend keeps its connections before they are cut.
    /// Unknown (with the reason) when the layer does not cut them at all.
    #[serde(default)]
    pub drain_timeout: Setting<Seconds>,
    /// How long connections to a backend that fails its health checks stay open before the
    /// layer resets them (NLB `target_health_state.unhealthy.connection_termination.enabled`,
    /// 0 s by default): a health check flapping under load cuts every WebSocket on it.
    #[serde(default)]
    pub unhealthy_drain_timeout: Setting<Seconds>,
    /// What the layer demands of a handshake before passing it on: `none`, or the action
    /// that answers a handshake without a session or token (`authenticate-oidc`,
    /// `authenticate-cognito`: a 302 to the identity provider, or 401 with `deny`;
    /// `jwt-validation`: 401 without a bearer token).
    #[serde(default)]
    pub handshake_auth: Setting<String>,
    /// Whether `Sec-WebSocket-Protocol` (the subprotocol offer) reaches the next layer.
    #[serde(default)]
    pub forwards_subprotocol: Setting<bool>,
    #[serde(default)]
    pub buffering: Setting<bool>,
    #[serde(default)]
    pub compression: Setting<bool>,
    #[serde(default)]
    pub access_log: Setting<AccessLog>,
}

impl Layer {
    /// Where the setting named `name` (its JSON key) comes from; None for an unknown name.
    /// Findings point at it without serializing the layer.
    pub fn origin_of(&self, name: &str) -> Option<&Origin> {
        Some(match name {
            "idle_timeout" => &self.idle_timeout.origin,
            "idle_reset_by" => &self.idle_reset_by.origin,
            "max_duration" => &self.max_duration.origin,
            "send_timeout" => &self.send_timeout.origin,
            "response_timeout" => &self.response_timeout.origin,
            "client_keepalive" => &self.client_keepalive.origin,
            "client_connection_lifetime" => &self.client_connection_lifetime.origin,
            "upstream_keepalive" => &self.upstream_keepalive.origin,
            "websocket" => &self.websocket.origin,
            "proxies" => &self.proxies.origin,
            "upgrade_header" => &self.upgrade_header.origin,
            "forwards_upgrade" => &self.forwards_upgrade.origin,
            "connection_header" => &self.connection_header.origin,
            "cleartext_from_client" => &self.cleartext_from_client.origin,
            "upstream_http_version" => &self.upstream_http_version.origin,
            "client_protocols" => &self.client_protocols.origin,
            "tls_to_origin" => &self.tls_to_origin.origin,
            "tls_from_client" => &self.tls_from_client.origin,
            "stickiness" => &self.stickiness.origin,
            "balancing" => &self.balancing.origin,
            "targets" => &self.targets.origin,
            "drain_timeout" => &self.drain_timeout.origin,
            "unhealthy_drain_timeout" => &self.unhealthy_drain_timeout.origin,
            "handshake_auth" => &self.handshake_auth.origin,
            "forwards_subprotocol" => &self.forwards_subprotocol.origin,
            "buffering" => &self.buffering.origin,
            "compression" => &self.compression.origin,
            "access_log" => &self.access_log.origin,
            _ => return None,
        })
    }

    /// A layer with every setting unknown, for providers to fill in.
    pub fn new(
        id: impl Into<String>,
        kind: LayerKind,
        provider: Provider,
        name: impl Into<String>,
    ) -> Self {
        Layer {
            id: id.into(),
            kind,
            provider,
            name: name.into(),
            locator: None,
            defined_at: None,
            reached_by_rewrite: None,
            rewrite_not_followed: None,
            reached_by_fallback: None,
            resources: Vec::new(),
            rewrites_request: None,
            path_variants: Vec::new(),
            idle_timeout: Setting::default(),
            idle_reset_by: Setting::default(),
            max_duration: Setting::default(),
            send_timeout: Setting::default(),
            response_timeout: Setting::default(),
            client_keepalive: Setting::default(),
            client_connection_lifetime: Setting::default(),
            upstream_keepalive: Setting::default(),
            websocket: Setting::default(),
            proxies: Setting::default(),
            upgrade_header: Setting::default(),
            forwards_upgrade: Setting::default(),
            connection_header: Setting::default(),
            cleartext_from_client: Setting::default(),
            upstream_http_version: Setting::default(),
            client_protocols: Setting::default(),
            tls_to_origin: Setting::default(),
            tls_from_client: Setting::default(),
            stickiness: Setting::default(),
            balancing: Setting::default(),
            targets: Setting::default(),
            drain_timeout: Setting::default(),
            unhealthy_drain_timeout: Setting::default(),
            handshake_auth: Setting::default(),
            forwards_subprotocol: Setting::default(),
            buffering: Setting::default(),
            compression: Setting::default(),
            access_log: Setting::default(),
        }
    }
}

/// One resource a layer is made of, by its role in the layer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LayerResource {
    /// `target_group`, `listener`, `origin`, `upstream`, …
    pub role: String,
    /// The ARN, id or `file:line` that names it.
    pub id: String,
}

impl Layer {
    /// The first resource with this role.
    pub fn resource(&self, role: &str) -> Option<&str> {
        self.resources
            .iter()
            .find(|r| r.role == role)
            .map(|r| r.id.as_str())
    }

    pub fn add_resource(&mut self, role: &str, id: impl Into<String>) {
        self.resources.push(LayerResource {
            role: role.to_string(),
            id: id.into(),
        });
    }
}

/// The request a layer passes on after rewriting it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RequestRewrite {
    /// The `Host` sent on (the original when only the path changes).
    pub host: String,
    /// The path sent on, query string excluded.
    pub path: String,
    /// Where the rewrite is configured (a rule ARN).
    pub locator: String,
    /// The field that holds it (`Transforms[url-rewrite]`).
    pub field: String,
}

/// One way some requests may take a different path than the audited one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PathVariant {
    /// `viewer_function`, `edge_lambda`, `staging`, `dns_routing`.
    pub kind: String,
    /// What differs, in a sentence.
    pub detail: String,
    /// Where it is configured (an ARN, a hosted zone).
    pub locator: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// This path was audited as a chain of its own in the same report (a Route 53 record
    /// set's target): it is not a blind spot of the audit.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub audited: bool,
}

/// A line of a configuration file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SourceLine {
    pub file: String,
    pub line: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum HeartbeatDirection {
    /// The server pings (or sends data); the client answers.
    ServerToClient,
    /// The client sends; nothing comes back. Protocol pings from the client are answered by
    /// pongs, which makes them `both`.
    ClientToServer,
    Both,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum HeartbeatSource {
    Declared,
    Probed,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Heartbeat {
    pub interval_s: Seconds,
    pub direction: HeartbeatDirection,
    pub source: HeartbeatSource,
}

/// A layer that could not be read, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Gap {
    /// The layer id it would have had (`alb`, `cloudflare`, `nginx`).
    pub layer: String,
    pub provider: Provider,
    pub reason: String,
    /// Every gap wsaudit writes has one; a saved chain without it loads as `unknown`.
    #[serde(default)]
    pub code: GapCode,
}

impl Chain {
    pub fn new(target: Target) -> Self {
        Chain {
            schema_version: SCHEMA_VERSION.to_string(),
            target,
            layers: Vec::new(),
            heartbeat: None,
            gaps: Vec::new(),
            not_consulted: Vec::new(),
            probe: None,
            notices: Vec::new(),
            drift: Vec::new(),
            logs: None,
            route: None,
        }
    }

    /// The layer with the shortest known idle timeout (the first of equals, i.e. the
    /// outermost): the one that cuts an idle WebSocket first.
    pub fn weakest_link(&self) -> Option<(usize, Seconds)> {
        let mut best: Option<(usize, Seconds)> = None;
        for (i, l) in self.layers.iter().enumerate() {
            if let Some(v) = l.idle_timeout.value {
                if best.is_none_or(|(_, b)| v.0 < b.0) {
                    best = Some((i, v));
                }
            }
        }
        best
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origin_of_knows_every_setting() {
        let layer = Layer::new("l", LayerKind::ReverseProxy, Provider::Nginx, "n");
        let json = serde_json::to_value(&layer).unwrap();
        let mut settings = 0;
        for (key, value) in json.as_object().unwrap() {
            if value.get("origin").is_some() {
                settings += 1;
                assert!(layer.origin_of(key).is_some(), "origin_of misses {key}");
            }
        }
        assert!(settings >= 20);
        assert!(layer.origin_of("name").is_none());
    }
}
