//! Translates what the API said into the chain model's CDN layer: every value with its
//! provenance, every value Cloudflare does not publish labelled as such.

use super::error::CloudflareError;
use super::expression::{self, Request};
use super::load_balancers::{pool_locator, LoadBalancer, Pool};
use super::rulesets::RuleValue;
use super::settings::ZoneSettings;
use super::zone::{DnsRecord, Zone};
use crate::model::{
    Gap, IdleResetBy, Layer, LayerKind, Origin, Provider, Seconds, Setting, Stickiness,
    WebsocketSupport,
};
use std::collections::BTreeMap;

/// The id of the Cloudflare layer in a chain (there is at most one).
pub const LAYER_ID: &str = "cloudflare";

const WEBSOCKETS_DOC: &str = "https://developers.cloudflare.com/network/websockets/";
const LIMITS_DOC: &str =
    "https://developers.cloudflare.com/fundamentals/reference/connection-limits/";
const AFFINITY_DOC: &str =
    "https://developers.cloudflare.com/load-balancing/understand-basics/session-affinity/";
const STEERING_DOC: &str =
    "https://developers.cloudflare.com/load-balancing/understand-basics/traffic-steering/";
const TUNNEL_DOC: &str =
    "https://developers.cloudflare.com/cloudflare-one/networks/connectors/cloudflare-tunnel/";

/// Cloudflare does not publish its WebSocket idle timeout. About 100 s of silence is what
/// operators commonly report (it matches the historic 100 s proxy read timeout); one 2026
/// probe saw no fixed value at all. It is modelled as an assumption, never as a default, so a
/// finding built on it says so, and a live probe can replace it.
pub const ASSUMED_WS_IDLE_S: f64 = 100.0;

/// Cookie Cloudflare Load Balancing uses for `cookie` and `ip_cookie` affinity.
const AFFINITY_COOKIE: &str = "__cflb";

/// Where the hostname's traffic goes after the edge.
pub(crate) enum Backends<'a> {
    /// Proxied A/AAAA/CNAME records of the hostname.
    Records(&'a [DnsRecord]),
    /// A Cloudflare load balancer named like the hostname, and its pools as read.
    LoadBalancer {
        lb: &'a LoadBalancer,
        account_id: &'a str,
        pools: &'a [(String, Result<Pool, CloudflareError>)],
        /// What its rules override for the handshake ([`rule_overrides`]).
        overrides: &'a RuleOverrides,
    },
}

/// What the zone's Configuration Rules say about the SSL mode for this request.
pub(crate) enum SslRule<'a> {
    /// No rule sets it: the zone setting applies.
    None,
    /// A matching rule sets it (the last one wins).
    Set(&'a RuleValue<String>),
    /// A rule that sets it could not be evaluated (or the rules could not be read): the mode
    /// for this hostname is not known.
    Undecided(String),
}

pub(crate) fn build_layer(
    zone: &Zone,
    settings: &ZoneSettings,
    backends: &Backends<'_>,
    ssl_rule: &SslRule<'_>,
) -> (Layer, Vec<Gap>) {
    let mut layer = Layer::new(LAYER_ID, LayerKind::Cdn, Provider::Cloudflare, &zone.name);
    layer.locator = Some(format!("zone/{}", zone.id));
    let mut failures: Vec<(String, CloudflareError)> = Vec::new();
    for (id, read) in &settings.reads {
        if let Err(e) = read {
            failures.push((id.clone(), e.clone()));
        }
    }

    let ws = settings.str_value("websockets");
    layer.websocket = match ws {
        Some("on") => explicit(WebsocketSupport::Enabled, settings, "websockets"),
        Some("off") => explicit(WebsocketSupport::Disabled, settings, "websockets"),
        _ => unreadable(settings, "websockets"),
    };
    // The zone toggle is the only switch: with it on, the Upgrade handshake is passed to the
    // origin with no further configuration (Cloudflare WebSockets docs).
    layer.forwards_upgrade = match ws {
        Some("on") => explicit(true, settings, "websockets"),
        Some("off") => explicit(false, settings, "websockets"),
        _ => unreadable(settings, "websockets"),
    };

    // `off` and `flexible` reach the origin over plain HTTP: a `wss://` client gets `ws` to
    // the origin. `full`, `strict` (and Enterprise's `origin_pull`) use TLS. `off` also
    // serves no TLS to visitors at all (SSL modes docs: "no encryption" between visitor and
    // Cloudflare), so a `wss://` client fails at the edge itself.
    let (mode, locator, field) = match ssl_rule {
        SslRule::Set(r) => (Some(r.value.as_str()), r.locator.clone(), r.field),
        _ => (settings.str_value("ssl"), settings.locator("ssl"), "value"),
    };
    let at = |v: bool| Setting::explicit_field(v, locator.clone(), field);
    (layer.tls_to_origin, layer.tls_from_client) = match (ssl_rule, mode) {
        (SslRule::Undecided(why), _) => {
            (Setting::unknown(why.clone()), Setting::unknown(why.clone()))
        }
        (_, Some("off")) => (at(false), at(false)),
        (_, Some("flexible")) => (at(false), at(true)),
        (_, Some("full" | "strict" | "origin_pull")) => (at(true), at(true)),
        _ => (unreadable(settings, "ssl"), unreadable(settings, "ssl")),
    };

    layer.client_protocols = client_protocols(settings);

    layer.upstream_http_version = match settings.str_value("origin_max_http_version") {
        Some("1") => explicit("1.1".to_string(), settings, "origin_max_http_version"),
        // "2" lets ordinary requests use HTTP/2 to the origin; whether upgraded WebSockets
        // then still go over HTTP/1.1 is not documented, so no version is claimed for them.
        Some("2") => Setting::unknown(format!(
            "{} is \"2\"; Cloudflare does not document which HTTP version carries WebSocket \
             upgrades to the origin then",
            settings.locator("origin_max_http_version")
        )),
        _ => unreadable(settings, "origin_max_http_version"),
    };

    // The time Cloudflare waits between two reads from the origin for an HTTP response (524
    // when it runs out); answered as a number, or as a string such as "2" (seconds either
    // way). Not documented to apply once a WebSocket is upgraded.
    layer.response_timeout = match settings.seconds_value("proxy_read_timeout") {
        Some(v) => {
            Setting::explicit_field(Seconds(v), settings.locator("proxy_read_timeout"), "value")
        }
        None => unreadable(settings, "proxy_read_timeout"),
    };

    layer.idle_timeout = Setting::assumed(
        Seconds(ASSUMED_WS_IDLE_S),
        idle_basis(settings),
        Some(WEBSOCKETS_DOC),
    );
    layer.idle_reset_by = Setting::default_documented(
        IdleResetBy::Either,
        "closed when no data flows in either direction",
        WEBSOCKETS_DOC,
    );
    layer.max_duration = Setting::unknown(
        "Cloudflare publishes no maximum WebSocket duration; edge restarts during releases \
         close connections regardless",
    );
    layer.client_keepalive = Setting::default_documented(
        Seconds(400.0),
        "HTTP/1.1 keep-alive and HTTP/2 idle between client and Cloudflare: 400 s",
        LIMITS_DOC,
    );
    layer.upstream_keepalive = Setting::default_documented(
        Seconds(900.0),
        "idle pooled connection from Cloudflare to the origin: 900 s",
        LIMITS_DOC,
    );

    match backends {
        Backends::Records(records) => map_records(&mut layer, zone, records),
        Backends::LoadBalancer {
            lb,
            account_id,
            pools,
            overrides,
        } => map_load_balancer(
            &mut layer,
            zone,
            (lb, overrides),
            account_id,
            pools,
            &mut failures,
        ),
    }

    (layer, group_gaps(failures))
}

/// A live probe measured when the edge closed an idle WebSocket. Replaces the assumption
/// (or an unknown) with the measurement; a value read from configuration is kept, since a
/// probe cut may come from another layer. The caller decides the cut was Cloudflare's.
pub fn apply_probed_idle(layer: &mut Layer, measured: Seconds, url: &str, samples: Option<u32>) {
    if matches!(
        layer.idle_timeout.origin,
        Origin::Assumed { .. } | Origin::Unknown { .. }
    ) {
        layer.idle_timeout = Setting::probed(measured, url, samples);
    }
}

fn explicit<T>(value: T, settings: &ZoneSettings, id: &str) -> Setting<T> {
    Setting::explicit_field(value, settings.locator(id), "value")
}

/// Unknown, saying whether the setting could not be read or held a value this build does not
/// recognise (the failed read itself becomes a gap).
fn unreadable<T>(settings: &ZoneSettings, id: &str) -> Setting<T> {
    match settings.get(id) {
        Some(Ok(v)) => Setting::unknown(format!(
            "{} has a value wsaudit does not recognise: {}",
            settings.locator(id),
            v.value
        )),
        Some(Err(e)) => Setting::unknown(format!("{} not read: {e}", settings.locator(id))),
        None => Setting::unknown(format!("{} not read", settings.locator(id))),
    }
}

fn client_protocols(settings: &ZoneSettings) -> Setting<Vec<String>> {
    let on = |id: &str| match settings.str_value(id) {
        Some("on") => Some(true),
        Some("off") => Some(false),
        _ => None,
    };
    match (on("http2"), on("http3")) {
        (Some(h2), Some(h3)) => {
            let mut p = vec!["http1.1".to_string()];
            if h2 {
                p.push("h2".into());
            }
            if h3 {
                p.push("h3".into());
            }
            Setting::explicit_field(
                p,
                format!("zone/{}/settings", settings.zone_id),
                "http2, http3",
            )
        }
        (None, _) => unreadable(settings, "http2"),
        (_, None) => unreadable(settings, "http3"),
    }
}

fn idle_basis(settings: &ZoneSettings) -> String {
    let mut basis = format!(
        "Cloudflare does not publish its WebSocket idle timeout; about {ASSUMED_WS_IDLE_S} s of \
         silence is commonly observed (Enterprise zones can have a custom value set by \
         Cloudflare); a live probe measures it"
    );
    if let Some(Ok(v)) = settings.get("proxy_read_timeout") {
        let editable = match v.editable {
            Some(true) => ", editable on this plan",
            Some(false) => ", not editable on this plan",
            None => "",
        };
        let value = settings
            .seconds_value("proxy_read_timeout")
            .map(|s| Seconds(s).to_string())
            .unwrap_or_else(|| v.value.to_string());
        basis.push_str(&format!(
            ". The zone's proxy_read_timeout is {value}{editable} ({}); it governs HTTP \
             responses and is not documented to apply to upgraded WebSockets",
            settings.locator("proxy_read_timeout")
        ));
    }
    basis
}

fn map_records(layer: &mut Layer, zone: &Zone, records: &[DnsRecord]) {
    let mut contents: Vec<&str> = records.iter().map(|r| r.content.as_str()).collect();
    contents.sort_unstable();
    contents.dedup();
    let (locator, field) = match records {
        [one] => (
            format!(
                "zone/{}/dns_records/{}",
                zone.id,
                one.id.as_deref().unwrap_or("?")
            ),
            "content".to_string(),
        ),
        _ => (
            format!("zone/{}/dns_records", zone.id),
            format!(
                "{} records named {}",
                records.len(),
                records.first().map(|r| r.name.as_str()).unwrap_or("")
            ),
        ),
    };
    layer.targets = Setting::explicit_field(contents.len() as u32, locator, field);
    // Several proxied records are balanced by Cloudflare without any affinity: pinning a
    // client to one origin exists only in Load Balancing.
    layer.stickiness = Setting::default_documented(
        Stickiness::none(),
        "DNS records have no session affinity; it exists only with Cloudflare Load Balancing",
        AFFINITY_DOC,
    );
}

fn map_load_balancer(
    layer: &mut Layer,
    zone: &Zone,
    (lb, overrides): (&LoadBalancer, &RuleOverrides),
    account_id: &str,
    pools: &[(String, Result<Pool, CloudflareError>)],
    failures: &mut Vec<(String, CloudflareError)>,
) {
    let lb_loc = lb.locator(&zone.id);
    layer.stickiness = stickiness(lb, &lb_loc, overrides);
    layer.balancing = steering(lb, &lb_loc, overrides);
    layer.drain_timeout = match lb
        .session_affinity_attributes
        .as_ref()
        .and_then(|a| a.drain_duration)
    {
        Some(d) if d.is_finite() && d >= 0.0 => Setting::explicit_field(
            Seconds(d),
            lb_loc.clone(),
            "session_affinity_attributes.drain_duration",
        ),
        _ => Setting::unknown(format!(
            "{lb_loc} sets no session_affinity_attributes.drain_duration"
        )),
    };

    let mut addresses: Vec<&str> = Vec::new();
    let mut unread = Vec::new();
    for (id, read) in pools {
        match read {
            // An origin of weight 0 gets no share of its pool's traffic: not a backend a
            // WebSocket can land on, so not counted.
            Ok(pool) if pool.enabled != Some(false) => addresses.extend(
                pool.origins
                    .iter()
                    .filter(|o| o.receives_traffic())
                    .map(|o| o.address.as_str()),
            ),
            Ok(_) => {}
            Err(e) => {
                unread.push(id.as_str());
                failures.push((format!("load balancer pool {id}"), e.clone()));
            }
        }
    }
    addresses.sort_unstable();
    addresses.dedup();
    layer.targets = if pools.is_empty() {
        Setting::unknown(format!("{lb_loc} names no pools"))
    } else if unread.is_empty() {
        let ids: Vec<&str> = pools.iter().map(|(id, _)| id.as_str()).collect();
        let locator = match ids.as_slice() {
            [one] => pool_locator(account_id, one),
            _ => lb_loc.clone(),
        };
        Setting::explicit_field(
            addresses.len() as u32,
            locator,
            format!(
                "enabled origins of weight above 0 in pools {}",
                ids.join(", ")
            ),
        )
    } else {
        Setting::unknown(format!("pools {} not read", unread.join(", ")))
    };
}

/// `steering_policy`: how the load balancer picks a pool (and so an origin) for a new
/// connection. `""` and `off` are failover in pool order.
fn steering(lb: &LoadBalancer, lb_loc: &str, ov: &RuleOverrides) -> Setting<String> {
    let (policy, field) = match &ov.steering {
        Some(o) => (Some(o.value.as_str()), o.field.clone()),
        None => (lb.steering_policy.as_deref(), "steering_policy".to_string()),
    };
    match policy {
        None | Some("") if ov.steering.is_none() => Setting::default_documented(
            "failover".to_string(),
            "steering_policy unset: pools are used in failover order",
            STEERING_DOC,
        ),
        None | Some("" | "off") => Setting::explicit_field("failover".to_string(), lb_loc, field),
        Some(p) => Setting::explicit_field(p.to_string(), lb_loc, field),
    }
}

fn affinity_mode(mode: Option<&str>) -> &str {
    match mode {
        None | Some("") => "none",
        Some(m) => m,
    }
}

/// The documented TTL defaults: 23 h for cookie affinities, 30 min for header affinity.
fn default_ttl(mode: &str) -> Option<f64> {
    match mode {
        "cookie" | "ip_cookie" => Some(82_800.0),
        "header" => Some(1_800.0),
        _ => None,
    }
}

fn valid_ttl(t: f64) -> bool {
    t.is_finite() && t >= 0.0
}

/// A field a load-balancing rule overrides for this handshake, and the rule's field as its
/// provenance: `rules[0].overrides.session_affinity_ttl (rule "ws", when COND)`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Overridden<T> {
    value: T,
    field: String,
}

/// What the load balancer's rules change, for one handshake, of the fields that decide
/// stickiness and steering; and, in words, the rules that may or may not apply.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct RuleOverrides {
    affinity: Option<Overridden<String>>,
    ttl: Option<Overridden<f64>>,
    steering: Option<Overridden<String>>,
    pub(crate) notices: Vec<String>,
}

impl RuleOverrides {
    fn mode<'a>(&'a self, lb: &'a LoadBalancer) -> &'a str {
        match &self.affinity {
            Some(o) => affinity_mode(Some(&o.value)),
            None => affinity_mode(lb.session_affinity.as_deref()),
        }
    }

    fn ttl(&self, lb: &LoadBalancer) -> Option<f64> {
        self.ttl
            .as_ref()
            .map(|o| o.value)
            .or(lb.session_affinity_ttl)
            .filter(|t| valid_ttl(*t))
            .or_else(|| default_ttl(self.mode(lb)))
    }
}

/// The overrides of `session_affinity`, `session_affinity_ttl` and `steering_policy` that the
/// load balancer's rules give the handshake `req` (`None`: no handshake is known, so every
/// condition is undecided), in Cloudflare's order (see [`LbRule`](super::load_balancers::LbRule)):
/// the last matching rule's override of a field wins, and a matching rule that terminates
/// ends the evaluation.
///
/// A rule whose condition cannot be evaluated may or may not apply. Its override is taken when
/// it is worse for WebSockets than what applies without it (no affinity where there was one, a
/// shorter affinity TTL): reconnects of the clients it matches then do land on another
/// backend, and a verdict must never be clean on a guess that they do not. An override that
/// is not worse (another steering policy, which no ordering ranks for WebSockets, or more
/// affinity) leaves the load balancer's own value. Either way a notice names the rule.
pub(crate) fn rule_overrides(
    lb: &LoadBalancer,
    lb_loc: &str,
    req: Option<&Request<'_>>,
) -> RuleOverrides {
    let mut out = RuleOverrides::default();
    // Set once a rule that may have ended the evaluation is passed: the rules after it apply
    // only if it did not match.
    let mut maybe_ended: Option<String> = None;
    for (i, r) in lb.rules_in_order() {
        let cond = r
            .condition
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty());
        let decided = match (cond, req) {
            (None, _) => Ok(true),
            (Some(c), Some(req)) => expression::evaluate(c, req).map_err(|u| u.to_string()),
            (Some(_), None) => Err("no handshake to evaluate it for".to_string()),
        };
        let doubt = match decided {
            Ok(false) => continue,
            Ok(true) => maybe_ended.clone(),
            Err(why) => Some(format!("wsaudit cannot evaluate its condition ({why})")),
        };
        let name = r.name.as_deref().unwrap_or("");
        let when = cond.unwrap_or("always");
        let label = |f: &str| format!("rules[{i}].overrides.{f} (rule {name:?}, when {when})");
        if let Some(o) = &r.overrides {
            if let Some(m) = &o.session_affinity {
                let m = affinity_mode(Some(m)).to_string();
                let worse = m == "none" && out.mode(lb) != "none";
                let what = format!("session_affinity to {m}");
                let f = label("session_affinity");
                out.affinity = take(
                    out.affinity.take(),
                    m,
                    f,
                    (&doubt, worse),
                    lb_loc,
                    &what,
                    &mut out.notices,
                );
            }
            if let Some(t) = o.session_affinity_ttl.filter(|t| valid_ttl(*t)) {
                let worse = out.mode(lb) != "none" && out.ttl(lb).is_some_and(|now| t < now);
                let what = format!("session_affinity_ttl to {t} s");
                let f = label("session_affinity_ttl");
                out.ttl = take(
                    out.ttl.take(),
                    t,
                    f,
                    (&doubt, worse),
                    lb_loc,
                    &what,
                    &mut out.notices,
                );
            }
            if let Some(p) = &o.steering_policy {
                let what = format!("steering_policy to {p:?}");
                let f = label("steering_policy");
                out.steering = take(
                    out.steering.take(),
                    p.clone(),
                    f,
                    (&doubt, false),
                    lb_loc,
                    &what,
                    &mut out.notices,
                );
            }
        }
        if r.terminates || r.fixed_response.is_some() {
            match doubt {
                None => break,
                Some(d) => {
                    maybe_ended.get_or_insert(format!(
                        "rule {name:?} (rules[{i}]) before it ends the evaluation when it \
                         matches, and {d}"
                    ));
                }
            }
        }
    }
    out
}

/// The override a rule gives a field: taken when the rule applies for sure, or when it may
/// apply and is `worse` for WebSockets; else the field keeps what it had (`now`).
fn take<T>(
    now: Option<Overridden<T>>,
    value: T,
    field: String,
    (doubt, worse): (&Option<String>, bool),
    lb_loc: &str,
    what: &str,
    notices: &mut Vec<String>,
) -> Option<Overridden<T>> {
    let Some(d) = doubt else {
        return Some(Overridden { value, field });
    };
    let outcome = if worse {
        "it is taken as applying, since it is worse for WebSockets than what applies without it"
    } else {
        "the load balancer's value without it is kept"
    };
    notices.push(format!(
        "load balancer {lb_loc} {field} sets {what} for the requests it matches; {d}, so it may \
         or may not apply to this handshake: {outcome}"
    ));
    if worse {
        Some(Overridden {
            value,
            field: format!("{field}; may not apply: {d}"),
        })
    } else {
        now
    }
}

fn stickiness(lb: &LoadBalancer, lb_loc: &str, ov: &RuleOverrides) -> Setting<Stickiness> {
    let mode = match &ov.affinity {
        Some(o) => o.value.as_str(),
        // Absent: the API's default applies.
        None if lb.session_affinity.is_none() => {
            return Setting::default_documented(
                Stickiness::none(),
                "session_affinity defaults to none",
                AFFINITY_DOC,
            )
        }
        None => affinity_mode(lb.session_affinity.as_deref()),
    };
    let mut field = match &ov.affinity {
        Some(o) => o.field.clone(),
        None => "session_affinity".to_string(),
    };
    if mode != "none" {
        if let Some(t) = &ov.ttl {
            field = format!("{field}, {}", t.field);
        }
    }
    let ttl = ov.ttl(lb);
    let value = match mode {
        "none" => Stickiness::none(),
        "cookie" | "ip_cookie" => Stickiness {
            mode: mode.to_string(),
            key: Some(AFFINITY_COOKIE.into()),
            ttl_s: ttl.map(Seconds),
        },
        "header" => Stickiness {
            mode: "header".into(),
            key: lb
                .session_affinity_attributes
                .as_ref()
                .map(|a| a.headers.join(","))
                .filter(|h| !h.is_empty()),
            ttl_s: ttl.map(Seconds),
        },
        other => Stickiness {
            mode: other.to_string(),
            key: None,
            ttl_s: ttl.map(Seconds),
        },
    };
    Setting::explicit_field(value, lb_loc, field)
}

/// The Cloudflare Tunnel hop: `cloudflared` receives the edge's requests over its outbound
/// connection and forwards them to the service its ingress rules name. What it does with a
/// WebSocket is its own configuration (locally in `config.yml`, or remotely managed), which
/// the API record does not show.
pub(crate) fn tunnel_layer(zone: &Zone, tunnel_host: &str, record_locator: &str) -> Layer {
    let id = tunnel_host.split('.').next().unwrap_or(tunnel_host);
    let mut layer = Layer::new(
        "cloudflared",
        LayerKind::ReverseProxy,
        Provider::Cloudflared,
        format!("Cloudflare Tunnel {id}"),
    );
    layer.locator = Some(format!("account/{}/cfd_tunnel/{id}", account_id(zone)));
    layer.proxies = Setting::explicit_field(true, record_locator, "content");
    let why = format!(
        "cloudflared's ingress rules and originRequest settings are in its own configuration \
         (config.yml or the remotely managed tunnel), not in the DNS record ({TUNNEL_DOC})"
    );
    layer.idle_timeout = Setting::unknown(why.clone());
    layer.forwards_upgrade = Setting::unknown(why);
    layer
}

fn account_id(zone: &Zone) -> &str {
    zone.account.as_ref().map(|a| a.id.as_str()).unwrap_or("?")
}

/// One gap per kind of failure, naming every setting it hit, so a token without the zone
/// settings permission gives one "access denied" gap, not seven.
fn group_gaps(failures: Vec<(String, CloudflareError)>) -> Vec<Gap> {
    // Keyed by the code's name, so the gaps come in the order of their codes' spelling.
    let mut by_code: BTreeMap<&'static str, Vec<(String, CloudflareError)>> = BTreeMap::new();
    for (what, e) in failures {
        by_code
            .entry(e.gap_code().as_str())
            .or_default()
            .push((what, e));
    }
    by_code
        .into_values()
        .map(|items| {
            let names: Vec<&str> = items.iter().map(|(w, _)| w.as_str()).collect();
            Gap {
                layer: LAYER_ID.to_string(),
                provider: Provider::Cloudflare,
                reason: format!("not read: {} ({})", names.join(", "), items[0].1),
                code: items[0].1.gap_code(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::GapCode;

    #[test]
    fn a_probe_replaces_the_assumption_but_not_a_configured_value() {
        let mut layer = Layer::new(LAYER_ID, LayerKind::Cdn, Provider::Cloudflare, "z");
        layer.idle_timeout = Setting::assumed(Seconds(ASSUMED_WS_IDLE_S), "lore", None);
        apply_probed_idle(
            &mut layer,
            Seconds(215.0),
            "wss://ws.example.com/ws/",
            Some(3),
        );
        assert_eq!(layer.idle_timeout.value, Some(Seconds(215.0)));
        assert!(matches!(layer.idle_timeout.origin, Origin::Probed { .. }));

        layer.idle_timeout = Setting::explicit_field(Seconds(600.0), "zone/x", "custom");
        apply_probed_idle(&mut layer, Seconds(215.0), "wss://ws.example.com/ws/", None);
        assert_eq!(layer.idle_timeout.value, Some(Seconds(600.0)));
    }

    #[test]
    fn rules_after_one_that_may_have_ended_the_evaluation_apply_only_when_worse() {
        let lb: LoadBalancer = serde_json::from_value(serde_json::json!({
            "id": "lb", "name": "ws.example.com", "session_affinity": "cookie",
            "session_affinity_ttl": 600, "steering_policy": "random",
            "rules": [
                {"name": "blocked", "condition": "ip.src in {192.0.2.0/24}",
                 "fixed_response": {"status_code": 403}},
                {"name": "longer", "overrides": {"session_affinity_ttl": 86400}},
                {"name": "none", "overrides": {"session_affinity": "none"}}
            ]
        }))
        .unwrap();
        let req = Request {
            host: "ws.example.com",
            path: "/ws/",
            tls: true,
        };
        let ov = rule_overrides(&lb, "zone/z/load_balancers/lb", Some(&req));
        let s = stickiness(&lb, "zone/z/load_balancers/lb", &ov);
        assert_eq!(s.value, Some(Stickiness::none()));
        let Origin::Explicit {
            field: Some(field), ..
        } = &s.origin
        else {
            panic!("{:?}", s.origin)
        };
        assert!(
            field.starts_with("rules[2].overrides.session_affinity (rule \"none\", when always)")
                && field.contains("rule \"blocked\" (rules[0]) before it ends the evaluation"),
            "{field}"
        );
        assert_eq!(ov.notices.len(), 2, "{:?}", ov.notices);
        assert!(ov.notices[0].contains("value without it is kept"));

        // Without a handshake (a plan has none), a condition is undecided.
        let ov = rule_overrides(&lb, "zone/z/load_balancers/lb", None);
        assert!(ov.notices[0].contains("no handshake to evaluate it for"));
    }

    #[test]
    fn gaps_are_grouped_by_kind() {
        let denied = CloudflareError::Forbidden {
            what: "x".into(),
            status: 403,
            errors: Vec::new(),
            permission: None,
        };
        let slow = CloudflareError::Timeout {
            what: "y".into(),
            after: std::time::Duration::from_secs(1),
        };
        let gaps = group_gaps(vec![
            ("http3".into(), denied.clone()),
            ("ssl".into(), slow),
            ("proxy_read_timeout".into(), denied),
        ]);
        assert_eq!(gaps.len(), 2);
        let denied = gaps
            .iter()
            .find(|g| g.code == GapCode::AccessDenied)
            .unwrap();
        assert!(denied.reason.contains("http3, proxy_read_timeout"));
        assert!(gaps.iter().all(|g| g.layer == "cloudflare"));
    }
}
