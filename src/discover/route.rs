//! An entry point an inventory says carries (or may carry) WebSockets: what `wsaudit scan`
//! audits besides the declared targets.

/// A domain (and the paths the layer routes for it) found in an inventory, with what it was
/// found in and the pins that make the resolution start at that layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiscoveredRoute {
    /// The host clients dial: an alias, a rule's host condition, a record's name, a load
    /// balancer's own DNS name, an nginx `server_name`.
    pub domain: String,
    /// The paths the layer routes for it that can carry WebSockets (path patterns, path
    /// conditions, WebSocket locations). Empty: the layer routes every path the same way.
    pub paths: Vec<String>,
    /// What it was discovered from: `alb arn:aws:…:listener-rule/…`, `cloudfront E123 alias`,
    /// `cloudflare zone example.com record ws.example.com`, `nginx conf/nginx.conf:42`.
    pub from: String,
    pub pins: RoutePins,
}

/// Where the resolution of a discovered route starts (the `--alb`/`--cloudfront`/
/// `--cloudflare-zone` pins of `chain`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RoutePins {
    pub alb: Option<String>,
    pub cloudfront: Option<String>,
    pub cloudflare_zone: Option<String>,
}
