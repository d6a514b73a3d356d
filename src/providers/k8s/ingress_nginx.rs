//! An ingress-nginx route as a reverse-proxy layer: each setting from the Ingress's
//! `nginx.ingress.kubernetes.io/*` annotation, else the controller ConfigMap's key, else the
//! controller's documented default (docs/user-guide/nginx-configuration/configmap.md and
//! annotations.md of kubernetes/ingress-nginx; `rootfs/etc/nginx/template/nginx.tmpl` for what
//! every location gets).
//!
//! `*-snippet` annotations count only when the ConfigMap allows them: `allow-snippet-annotations:
//! "true"` (default "false") and `annotations-risk-level: Critical` (default High; snippets are
//! Critical). A directive in an accepted snippet that the template already writes into the
//! location (`proxy_read_timeout`, …) makes `nginx -t` fail on a duplicate, so the controller
//! rejects that configuration: the snippet is reported as not applied either way.

use super::manifests::{Manifests, Object};
use super::route::IngressRoute;
use super::yaml::Node;
use super::{explicit_at, Notes};
use crate::model::{
    AccessLog, IdleResetBy, Layer, LayerKind, Provider, Seconds, Setting, Stickiness,
    WebsocketSupport,
};
use crate::providers::nginx::parse_nginx_time;

pub const PREFIX: &str = "nginx.ingress.kubernetes.io/";
const CONFIGMAP_DOC: &str = "https://github.com/kubernetes/ingress-nginx/blob/main/docs/user-guide/nginx-configuration/configmap.md";
const ANNOTATIONS_DOC: &str = "https://github.com/kubernetes/ingress-nginx/blob/main/docs/user-guide/nginx-configuration/annotations.md";
const TEMPLATE_DOC: &str =
    "https://github.com/kubernetes/ingress-nginx/blob/main/rootfs/etc/nginx/template/nginx.tmpl";
/// The default `log-format-upstream` (log-format.md).
const UPSTREAMINFO: &str = "$remote_addr - $remote_user [$time_local] \"$request\" $status $body_bytes_sent \"$http_referer\" \"$http_user_agent\" $request_length $request_time [$proxy_upstream_name] [$proxy_alternative_upstream_name] $upstream_addr $upstream_response_length $upstream_response_time $upstream_status $req_id";

/// The controller's ConfigMap: named `ingress-nginx-controller` (the Helm chart) or
/// `nginx-configuration` (the static manifests), or labelled as ingress-nginx's.
pub fn controller_configmap(m: &Manifests) -> Option<&Object> {
    let labelled = |o: &&Object| {
        o.node
            .at(&["metadata", "labels", "app.kubernetes.io/name"])
            .and_then(Node::scalar)
            == Some("ingress-nginx")
    };
    m.of_kind("ConfigMap")
        .find(|o| o.name == "ingress-nginx-controller" || o.name == "nginx-configuration")
        .or_else(|| m.of_kind("ConfigMap").find(labelled))
}

/// Where one value comes from.
pub struct Lookup<'a> {
    pub ing: &'a Object,
    pub cm: Option<&'a Object>,
}

pub enum Found<'a> {
    Annotation(&'a str, &'a Node, String),
    ConfigMap(&'a str, &'a Node, String),
    Default,
}

impl<'a> Lookup<'a> {
    pub fn annotation(&self, key: &str) -> Option<(&'a str, &'a Node)> {
        self.ing.annotation(&format!("{PREFIX}{key}"))
    }

    pub fn configmap(&self, key: &str) -> Option<(&'a str, &'a Node)> {
        let n = self.cm?.node.at(&["data", key])?;
        Some((n.scalar().unwrap_or(""), n))
    }

    /// The annotation `ann`, else the ConfigMap key `key`.
    pub fn find(&self, ann: &str, key: &str) -> Found<'a> {
        if let Some((v, n)) = self.annotation(ann) {
            return Found::Annotation(
                v,
                n,
                format!("{} annotation {PREFIX}{ann}", self.ing.reference()),
            );
        }
        if let (Some((v, n)), Some(cm)) = (self.configmap(key), self.cm) {
            return Found::ConfigMap(v, n, format!("{} key {key}", cm.reference()));
        }
        Found::Default
    }

    /// The annotation `ann`, else the ConfigMap key `key`: the value, its file, its node and
    /// what holds it.
    pub fn value(&self, ann: &str, key: &str) -> Option<(&'a str, &'a str, &'a Node, String)> {
        let found = self.find(ann, key);
        let file = self.file_of(&found);
        match found {
            Found::Annotation(v, n, field) | Found::ConfigMap(v, n, field) => {
                Some((v, file, n, field))
            }
            Found::Default => None,
        }
    }

    pub fn file_of(&self, found: &Found) -> &'a str {
        match found {
            Found::Annotation(..) => &self.ing.file,
            Found::ConfigMap(..) => self.cm.map_or("", |c| c.file.as_str()),
            Found::Default => "",
        }
    }
}

/// `3600`, `"3600"`, `3600s`, `1h`: ingress-nginx timeouts are unitless seconds; the nginx
/// time forms are read too (the ConfigMap's `worker-shutdown-timeout` is one).
fn seconds(v: &str) -> Option<Seconds> {
    let v = v.trim();
    v.parse::<f64>()
        .ok()
        .map(Seconds)
        .or_else(|| parse_nginx_time(v).ok())
}

/// A seconds setting: annotation, ConfigMap, documented default.
fn seconds_setting(
    look: &Lookup,
    notes: &mut Notes,
    ann: &str,
    key: &str,
    default: f64,
    documented: &str,
) -> Setting<Seconds> {
    let found = look.find(ann, key);
    match &found {
        Found::Annotation(v, n, field) | Found::ConfigMap(v, n, field) => match seconds(v) {
            Some(s) => explicit_at(s, look.file_of(&found), n, field),
            None => {
                notes.push(format!(
                    "{}:{}: {field} {v:?} is not a number of seconds: the controller ignores it and the default {default} s applies",
                    look.file_of(&found),
                    n.line
                ));
                Setting::default_documented(Seconds(default), documented, CONFIGMAP_DOC)
            }
        },
        Found::Default => Setting::default_documented(Seconds(default), documented, CONFIGMAP_DOC),
    }
}

fn bool_of(v: &str) -> Option<bool> {
    match v.trim() {
        "on" | "true" | "True" => Some(true),
        "off" | "false" | "False" => Some(false),
        _ => None,
    }
}

/// Whether `*-snippet` annotations are applied, and why not when they are not.
fn snippets_allowed(look: &Lookup) -> Result<(), String> {
    let allow = look.configmap("allow-snippet-annotations");
    let risk = look.configmap("annotations-risk-level");
    let cm = look
        .cm
        .map(|c| c.reference())
        .unwrap_or_else(|| "the controller ConfigMap (not in the manifests)".into());
    match allow {
        Some((v, _)) if v.trim() == "true" => {}
        Some((v, n)) => {
            return Err(format!(
                "{cm} key allow-snippet-annotations is {v:?} ({}:{})",
                look.cm.map_or("", |c| c.file.as_str()),
                n.line
            ))
        }
        None => {
            return Err(format!(
                "{cm} does not set allow-snippet-annotations (default \"false\")"
            ))
        }
    }
    match risk {
        Some((v, _)) if v.trim().eq_ignore_ascii_case("critical") => Ok(()),
        Some((v, n)) => Err(format!(
            "{cm} key annotations-risk-level is {v} ({}:{}): snippets are Critical",
            look.cm.map_or("", |c| c.file.as_str()),
            n.line
        )),
        None => Err(format!(
            "{cm} does not set annotations-risk-level (default High): snippets are Critical"
        )),
    }
}

/// Directives the template writes into every proxied location: a snippet that repeats one
/// fails `nginx -t` ("directive is duplicate").
const TEMPLATE_DIRECTIVES: &[&str] = &[
    "proxy_read_timeout",
    "proxy_send_timeout",
    "proxy_connect_timeout",
    "proxy_http_version",
    "proxy_buffering",
    "proxy_request_buffering",
];

/// `proxy_set_header Connection "…"` and friends of an applied snippet.
#[derive(Default)]
struct SnippetEffect {
    connection: Option<String>,
    upgrade: Option<String>,
}

fn snippet(look: &Lookup, notes: &mut Notes) -> SnippetEffect {
    let mut effect = SnippetEffect::default();
    let Some((text, node)) = look.annotation("configuration-snippet") else {
        return effect;
    };
    let at = format!("{}:{}", look.ing.file, node.line);
    let field = format!(
        "{} annotation {PREFIX}configuration-snippet",
        look.ing.reference()
    );
    if let Err(why) = snippets_allowed(look) {
        notes.push(format!(
            "{at}: {field} is not applied: {why}; the controller drops it (and its admission webhook rejects the Ingress)"
        ));
        return effect;
    }
    let directives: Vec<Vec<String>> = text
        .split(';')
        .map(|d| {
            d.split_whitespace()
                .map(|w| w.trim_matches('"').trim_matches('\'').to_string())
                .collect::<Vec<_>>()
        })
        .filter(|d| !d.is_empty())
        .collect();
    if let Some(dup) = directives
        .iter()
        .find(|d| TEMPLATE_DIRECTIVES.contains(&d[0].as_str()))
    {
        notes.push(format!(
            "{at}: {field} is not applied: it repeats `{}`, which the template already writes into the location, so nginx -t fails (\"directive is duplicate\") and the controller keeps its last good configuration; use the {PREFIX}{} annotation instead",
            dup[0],
            dup[0].replace('_', "-")
        ));
        return effect;
    }
    for d in &directives {
        if d[0] == "proxy_set_header" && d.len() >= 2 {
            let value = d.get(2).cloned().unwrap_or_default();
            match d[1].to_ascii_lowercase().as_str() {
                "connection" => effect.connection = Some(value),
                "upgrade" => effect.upgrade = Some(value),
                _ => {}
            }
        }
    }
    effect
}

fn log_fields(format: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for part in format.split('$').skip(1) {
        let name: String = part
            .trim_start_matches('{')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if !name.is_empty() && !out.contains(&name) {
            out.push(name);
        }
    }
    out
}

/// The layer an ingress-nginx route is.
pub fn layer(m: &Manifests, r: &IngressRoute, notes: &mut Notes) -> Layer {
    let cm = controller_configmap(m);
    let look = Lookup { ing: r.ingress, cm };
    let mut l = Layer::new(
        super::layer_id("ingress-nginx", r),
        LayerKind::ReverseProxy,
        Provider::IngressNginx,
        format!("ingress-nginx {}", r.label()),
    );
    super::common(&mut l, r);
    if let Some(cm) = cm {
        l.add_resource("configmap", format!("{}/{}", cm.namespace, cm.name));
    }
    l.proxies = Setting::default_documented(
        true,
        "every Ingress path is proxied to its backend",
        TEMPLATE_DOC,
    );
    l.idle_timeout = seconds_setting(
        &look,
        notes,
        "proxy-read-timeout",
        "proxy-read-timeout",
        60.0,
        "proxy-read-timeout defaults to 60 s",
    );
    l.idle_reset_by = Setting::default_documented(
        IdleResetBy::Either,
        "nginx proxy_read_timeout: traffic in either direction resets it",
        "https://nginx.org/en/docs/http/ngx_http_proxy_module.html#proxy_read_timeout",
    );
    l.send_timeout = seconds_setting(
        &look,
        notes,
        "proxy-send-timeout",
        "proxy-send-timeout",
        60.0,
        "proxy-send-timeout defaults to 60 s",
    );
    l.client_keepalive = seconds_setting(
        &look,
        notes,
        "keep-alive",
        "keep-alive",
        75.0,
        "keep-alive defaults to 75 s",
    );
    l.upstream_keepalive = seconds_setting(
        &look,
        notes,
        "upstream-keepalive-timeout",
        "upstream-keepalive-timeout",
        60.0,
        "upstream-keepalive-timeout defaults to 60 s",
    );
    // worker-shutdown-timeout is a ConfigMap key only: every reload (any Ingress change)
    // leaves old workers that long, then closes their WebSockets.
    l.drain_timeout = match look.configmap("worker-shutdown-timeout") {
        Some((v, n)) => match seconds(v) {
            Some(s) => explicit_at(
                s,
                look.cm.map_or("", |c| c.file.as_str()),
                n,
                &format!(
                    "{} key worker-shutdown-timeout: every reload closes open WebSockets that long after",
                    look.cm.map(|c| c.reference()).unwrap_or_default()
                ),
            ),
            None => Setting::unknown(format!("worker-shutdown-timeout {v:?} is not a duration")),
        },
        None => Setting::default_documented(
            Seconds(240.0),
            "worker-shutdown-timeout defaults to 240s: every reload (any Ingress, Service or ConfigMap change) closes the open WebSockets of the old workers 240 s later",
            CONFIGMAP_DOC,
        ),
    };

    let snip = snippet(&look, notes);
    l.websocket = Setting::default_documented(
        WebsocketSupport::Enabled,
        "WebSocket upgrades are proxied without any annotation",
        TEMPLATE_DOC,
    );
    let snippet_field = format!(
        "{} annotation {PREFIX}configuration-snippet",
        r.ingress.reference()
    );
    let snippet_node = look.annotation("configuration-snippet").map(|(_, n)| n);
    match (&snip.upgrade, snippet_node) {
        (Some(v), Some(n)) => {
            let sent = if v == "$http_upgrade" {
                "websocket".to_string()
            } else {
                v.clone()
            };
            l.forwards_upgrade = explicit_at(!sent.is_empty(), &r.ingress.file, n, &snippet_field);
            l.upgrade_header = explicit_at(sent, &r.ingress.file, n, &snippet_field);
        }
        _ => {
            l.forwards_upgrade = Setting::default_documented(
                true,
                "every location sets proxy_set_header Upgrade $http_upgrade",
                TEMPLATE_DOC,
            );
            l.upgrade_header = Setting::default_documented(
                "websocket".to_string(),
                "proxy_set_header Upgrade $http_upgrade passes the client's",
                TEMPLATE_DOC,
            );
        }
    }
    l.connection_header = match (&snip.connection, snippet_node) {
        (Some(v), Some(n)) => {
            let v = if v == "$connection_upgrade" {
                "upgrade".to_string()
            } else {
                v.clone()
            };
            explicit_at(v, &r.ingress.file, n, &snippet_field)
        }
        _ => match look.annotation("connection-proxy-header") {
            Some((v, n)) => explicit_at(
                v.to_string(),
                &r.ingress.file,
                n,
                &format!(
                    "{} annotation {PREFIX}connection-proxy-header",
                    r.ingress.reference()
                ),
            ),
            None => Setting::default_documented(
                "upgrade".to_string(),
                "Connection $connection_upgrade: `upgrade` for a WebSocket handshake",
                TEMPLATE_DOC,
            ),
        },
    };
    let backend_protocol = look.annotation("backend-protocol");
    l.upstream_http_version = match backend_protocol {
        Some((v, n)) if v.trim().to_ascii_uppercase().starts_with("GRPC") => explicit_at(
            "grpc".to_string(),
            &r.ingress.file,
            n,
            &format!(
                "{} annotation {PREFIX}backend-protocol",
                r.ingress.reference()
            ),
        ),
        _ => match look.value("proxy-http-version", "proxy-http-version") {
            Some((v, file, n, field)) => explicit_at(v.trim().to_string(), file, n, &field),
            None => Setting::default_documented(
                "1.1".to_string(),
                "proxy-http-version defaults to 1.1",
                CONFIGMAP_DOC,
            ),
        },
    };
    l.tls_to_origin = match backend_protocol {
        Some((v, n)) => explicit_at(
            matches!(v.trim().to_ascii_uppercase().as_str(), "HTTPS" | "GRPCS"),
            &r.ingress.file,
            n,
            &format!(
                "{} annotation {PREFIX}backend-protocol",
                r.ingress.reference()
            ),
        ),
        None => {
            Setting::default_documented(false, "backend-protocol defaults to HTTP", ANNOTATIONS_DOC)
        }
    };
    l.buffering = match look.value("proxy-buffering", "proxy-buffering") {
        Some((v, file, n, field)) => match bool_of(v) {
            Some(b) => explicit_at(b, file, n, &field),
            None => Setting::unknown(format!("{field} {v:?} is neither on nor off")),
        },
        None => {
            Setting::default_documented(false, "proxy-buffering defaults to off", CONFIGMAP_DOC)
        }
    };
    l.compression = match look.configmap("use-gzip") {
        Some((v, n)) => explicit_at(
            bool_of(v).unwrap_or(false),
            look.cm.map_or("", |c| c.file.as_str()),
            n,
            &format!(
                "{} key use-gzip",
                look.cm.map(|c| c.reference()).unwrap_or_default()
            ),
        ),
        None => Setting::default_documented(false, "use-gzip defaults to false", CONFIGMAP_DOC),
    };
    l.client_protocols = match look.configmap("use-http2") {
        Some((v, n)) if bool_of(v) == Some(false) => explicit_at(
            vec!["http1.1".to_string()],
            look.cm.map_or("", |c| c.file.as_str()),
            n,
            &format!(
                "{} key use-http2",
                look.cm.map(|c| c.reference()).unwrap_or_default()
            ),
        ),
        _ => Setting::default_documented(
            vec!["http1.1".to_string(), "h2".to_string()],
            "use-http2 defaults to true on TLS servers",
            CONFIGMAP_DOC,
        ),
    };
    l.cleartext_from_client = if r.tls {
        match look.value("ssl-redirect", "ssl-redirect") {
            Some((v, file, n, field)) => {
                let redirect = bool_of(v).unwrap_or(true);
                explicit_at(
                    if redirect { "redirect" } else { "allow" }.to_string(),
                    file,
                    n,
                    &field,
                )
            }
            None => Setting::default_documented(
                "redirect".to_string(),
                "ssl-redirect defaults to true for a host with TLS: http:// and ws:// get a 308",
                CONFIGMAP_DOC,
            ),
        }
    } else {
        Setting::default_documented(
            "allow".to_string(),
            "no spec.tls for the host: served over plain HTTP",
            ANNOTATIONS_DOC,
        )
    };
    stickiness(&mut l, &look, r);
    l.access_log = access_log(&look);
    l
}

fn stickiness(l: &mut Layer, look: &Lookup, r: &IngressRoute) {
    let file = &r.ingress.file;
    let refer = r.ingress.reference();
    if let Some((v, n)) = look.annotation("upstream-hash-by") {
        let field = format!("{refer} annotation {PREFIX}upstream-hash-by");
        l.stickiness = explicit_at(
            Stickiness {
                mode: "hash".into(),
                key: Some(v.to_string()),
                ttl_s: None,
            },
            file,
            n,
            &field,
        );
        l.balancing = explicit_at("hash".to_string(), file, n, &field);
        return;
    }
    if let Some((v, n)) = look.annotation("affinity") {
        let field = format!("{refer} annotation {PREFIX}affinity");
        if v.trim() == "cookie" {
            let name = look
                .annotation("session-cookie-name")
                .map(|(v, _)| v.to_string())
                .unwrap_or_else(|| "INGRESSCOOKIE".into());
            let ttl = look
                .annotation("session-cookie-max-age")
                .or_else(|| look.annotation("session-cookie-expires"))
                .and_then(|(v, _)| v.trim().parse::<f64>().ok())
                .map(Seconds);
            l.stickiness = explicit_at(
                Stickiness {
                    mode: "cookie".into(),
                    key: Some(name),
                    ttl_s: ttl,
                },
                file,
                n,
                &field,
            );
        } else {
            l.stickiness =
                Setting::unknown(format!("{field} {v:?}: cookie is the only affinity type"));
        }
    } else {
        l.stickiness = Setting::default_documented(
            Stickiness::none(),
            "no affinity or upstream-hash-by annotation: requests are balanced without affinity",
            ANNOTATIONS_DOC,
        );
    }
    l.balancing = match look.value("load-balance", "load-balance") {
        Some((v, file, n, field)) => explicit_at(v.trim().to_string(), file, n, &field),
        None => Setting::default_documented(
            "round_robin".to_string(),
            "load-balance defaults to round_robin",
            CONFIGMAP_DOC,
        ),
    };
}

fn access_log(look: &Lookup) -> Setting<AccessLog> {
    let cm_file = look.cm.map_or("", |c| c.file.as_str());
    let cm_ref = look.cm.map(|c| c.reference()).unwrap_or_default();
    if let Some((v, n)) = look.annotation("enable-access-log") {
        if bool_of(v) == Some(false) {
            return explicit_at(
                AccessLog {
                    enabled: false,
                    destination: None,
                    fields: Vec::new(),
                },
                &look.ing.file,
                n,
                &format!(
                    "{} annotation {PREFIX}enable-access-log",
                    look.ing.reference()
                ),
            );
        }
    }
    if let Some((v, n)) = look.configmap("disable-access-log") {
        if bool_of(v) == Some(true) {
            return explicit_at(
                AccessLog {
                    enabled: false,
                    destination: None,
                    fields: Vec::new(),
                },
                cm_file,
                n,
                &format!("{cm_ref} key disable-access-log"),
            );
        }
    }
    match look.configmap("log-format-upstream") {
        Some((v, n)) => explicit_at(
            AccessLog {
                enabled: true,
                destination: Some("/var/log/nginx/access.log (the pod's stdout)".into()),
                fields: log_fields(v),
            },
            cm_file,
            n,
            &format!("{cm_ref} key log-format-upstream"),
        ),
        None => Setting::default_documented(
            AccessLog {
                enabled: true,
                destination: Some("/var/log/nginx/access.log (the pod's stdout)".into()),
                fields: log_fields(UPSTREAMINFO),
            },
            "log-format-upstream defaults to the upstreaminfo format",
            "https://github.com/kubernetes/ingress-nginx/blob/main/docs/user-guide/nginx-configuration/log-format.md",
        ),
    }
}
