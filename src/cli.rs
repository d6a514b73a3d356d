//! The command line (DESIGN §1), defined once with clap: help, completions and the man page are
//! generated from it.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "wsaudit",
    version,
    about = "Audits WebSocket proxy chains and says which layer breaks the connection",
    long_about = "wsaudit reads every layer between a WebSocket client and the app (CDN, load \
balancer, nginx), puts them in one chain model, and runs a rule pack over it: which layer cuts \
idle connections first, which one drops the Upgrade headers, where stickiness or protocol is \
wrong, and what to change.",
    after_help = "Exit codes: 0 nothing at or above --fail-on; 1 a finding at or above it; \
2 usage, config or input error (nothing audited); 3 the audit is incomplete (a layer could not \
be read) and no finding reached --fail-on."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
    /// Report format.
    #[arg(long, global = true, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Write the report to FILE instead of standard output.
    #[arg(long, short = 'o', global = true, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Exit 1 when a finding is at or above this severity.
    #[arg(long, global = true, value_enum, default_value_t = FailOn::High)]
    pub fail_on: FailOn,
    /// Settings file (default: ./wsaudit.toml when present).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// A directory of extra Rego rules, in the form of the built-in pack.
    #[arg(long, global = true, value_name = "DIR")]
    pub policy: Option<PathBuf>,
    /// More detail on standard error (-vv for debug).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Only errors on standard error.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// Colour in table output (NO_COLOR is honoured).
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// No progress messages on standard error.
    #[arg(long, global = true)]
    pub no_progress: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Table,
    Json,
    Markdown,
    Sarif,
    Junit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    Info,
    Low,
    Medium,
    High,
    Critical,
    Never,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

// Parsed once per run: the size of `chain`'s arguments does not matter.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Discover and read the whole chain for a domain and path (CloudFront, ALB, …), then judge it.
    Chain(Box<ChainArgs>),
    /// Judge a saved chain (JSON from `--format json`, or a chain document) with the rule pack.
    Audit(AuditArgs),
    /// Probe a live endpoint: TLS chain, the 101, who answered, and who cuts an idle
    /// WebSocket when. Touches only the URL given; follows no redirect.
    Probe(ProbeArgs),
    /// Read WebSocket access logs (nginx, ALB, CloudFront, Cloudflare Logpush; plain, gzip'd,
    /// or in S3): the 101 ratio, disconnects per minute, live connections, lifetime peaks,
    /// and which layer cuts, judged by the WS8xx rules.
    Logs(LogsArgs),
    /// nginx only: the location nginx would pick for --domain/--path, or every WebSocket
    /// location, judged by the rule pack. `wsaudit nginx parse PATH` prints the parse.
    Nginx(NginxArgs),
    /// HAProxy only: the frontend → backend pair HAProxy routes the handshake for
    /// --domain/--path to (or, without them, every frontend's default route), judged.
    Haproxy(HaproxyArgs),
    /// Caddy only: the `reverse_proxy` a handshake for --domain/--path ends in (JSON config,
    /// or a Caddyfile through `caddy adapt`), judged.
    Caddy(CaddyArgs),
    /// Infrastructure code before deploy: a Terraform plan (`terraform show -json tfplan`) or a
    /// CloudFormation template (JSON or YAML), every chain it defines (or the one serving
    /// --domain), judged by the rule pack.
    Iac(IacArgs),
    /// Kubernetes manifests only: the Ingress or HTTPRoute the controller routes
    /// --domain/--path to, as the layer its controller is (ingress-nginx, the AWS Load Balancer
    /// Controller's ALB, F5 NGINX Ingress, Gateway API), or every WebSocket route, judged.
    K8s(K8sArgs),
    /// Scheduled compliance scan: every declared `[[target]]` and every WebSocket entry point
    /// discovered across the configured AWS accounts and regions, Cloudflare zones and nginx
    /// configurations, each API read once, judged as one report.
    Scan(ScanArgs),
    /// Merge the JSON reports of scan shards (`scan --shard I/N`) into one report, in any
    /// format.
    Merge(MergeArgs),
    /// List the rule pack.
    Rules,
    /// Explain one rule: the mechanism, the fix, a snippet.
    Explain {
        /// Rule id, e.g. WS401.
        id: String,
    },
    /// Print a shell completion script.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff), generated from this command line definition.
    Man,
    /// Print the JSON Schema of the JSON report (also published as schema/report.schema.json).
    Schema {
        /// The scan report's schema instead (`scan`/`merge --format json`; published as
        /// schema/scan.schema.json).
        #[arg(long)]
        scan: bool,
    },
}

#[derive(Debug, Clone, Args)]
pub struct AuditArgs {
    /// The chain JSON file, or - for standard input.
    pub file: PathBuf,
    /// The app's heartbeat interval (e.g. 25s), overriding the chain's and the config's.
    #[arg(long, value_name = "DUR")]
    pub heartbeat: Option<String>,
    /// Who sends the heartbeat.
    #[arg(long, value_enum, default_value_t = HeartbeatFrom::Server, requires = "heartbeat")]
    pub heartbeat_from: HeartbeatFrom,
}

#[derive(Debug, Clone, Args)]
pub struct ScanArgs {
    /// Targets audited at once (inventory reads are bounded per account and region separately).
    #[arg(long, value_name = "N")]
    pub concurrency: Option<usize>,
    /// A previous scan's JSON report: findings are marked new, unchanged or fixed against it.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Only findings that are new against --baseline fail the scan (exit 1).
    #[arg(long, requires = "baseline")]
    pub fail_on_new: bool,
    /// Audit only shard I of N (1-based; targets split by a stable hash of their id). Without
    /// it, JOB_COMPLETION_INDEX (a Kubernetes Indexed Job's pod index, 0-based) with
    /// --shard-count picks the shard.
    #[arg(long, value_name = "I/N")]
    pub shard: Option<String>,
    /// The shard count when the index comes from JOB_COMPLETION_INDEX.
    #[arg(long, value_name = "N")]
    pub shard_count: Option<u32>,
    /// Per-provider deadline for one target's resolution and each inventory read.
    #[arg(long, default_value = "60s", value_name = "DUR")]
    pub timeout: String,
    /// List the targets (declared and discovered) and exit without auditing them.
    #[arg(long)]
    pub list_targets: bool,
}

#[derive(Debug, Clone, Args)]
pub struct MergeArgs {
    /// The shards' JSON reports (`wsaudit scan --shard I/N --format json`).
    #[arg(required = true, value_name = "SHARD.json")]
    pub shards: Vec<PathBuf>,
    /// A previous (merged) report: statuses are recomputed against it.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Only findings new against the baseline fail the merged report.
    #[arg(long)]
    pub fail_on_new: bool,
}

#[derive(Debug, Clone, Args)]
pub struct ChainArgs {
    /// The domain WebSocket clients connect to, e.g. ws.example.com.
    #[arg(long)]
    pub domain: String,
    /// The WebSocket path (decides the CloudFront behavior, ALB rule and nginx location).
    #[arg(long, default_value = "/")]
    pub path: String,
    /// The app's heartbeat interval (e.g. 25s), overriding the config's.
    #[arg(long, value_name = "DUR")]
    pub heartbeat: Option<String>,
    /// Who sends the heartbeat.
    #[arg(long, value_enum, default_value_t = HeartbeatFrom::Server, requires = "heartbeat")]
    pub heartbeat_from: HeartbeatFrom,
    /// Read this load balancer instead of discovering it (name or ARN).
    #[arg(long, value_name = "NAME|ARN")]
    pub alb: Option<String>,
    /// Read this CloudFront distribution instead of discovering it.
    #[arg(long, value_name = "ID")]
    pub cloudfront: Option<String>,
    /// Regions to search for a load balancer whose region is not in its DNS name or ARN
    /// (default: AWS_REGION).
    #[arg(long, value_name = "REGION,...", value_delimiter = ',')]
    pub regions: Vec<String>,
    /// Total time each provider may take (e.g. 30s); a provider still running then is a gap.
    #[arg(long, value_name = "DUR", default_value = "30s")]
    pub timeout: String,
    /// What clients dial.
    #[arg(long, value_enum, default_value_t = SchemeArg::Wss)]
    pub scheme: SchemeArg,
    /// Read Cloudflare's zone NAME or ID instead of finding it from the domain.
    #[arg(long, value_name = "NAME|ID")]
    pub cloudflare_zone: Option<String>,
    /// The nginx main file (includes followed; - for standard input).
    /// Default: /etc/nginx/nginx.conf when it exists.
    #[arg(long, value_name = "PATH", conflicts_with = "nginx_dump")]
    pub nginx_conf: Option<String>,
    /// The output of `nginx -T` (several files in one; - for standard input).
    #[arg(long, value_name = "FILE")]
    pub nginx_dump: Option<String>,
    /// The nginx version whose defaults apply (else `nginx -v`, else the older defaults).
    #[arg(long, value_name = "X.Y.Z")]
    pub nginx_version: Option<String>,
    /// An HAProxy configuration on the path (placed in front of nginx): the frontend and
    /// backend it routes the handshake to become a layer.
    #[arg(long, value_name = "FILE")]
    pub haproxy_conf: Option<String>,
    /// A Caddy config on the path (JSON, or a Caddyfile through `caddy adapt`): the
    /// `reverse_proxy` the handshake ends in becomes a layer.
    #[arg(long, value_name = "FILE")]
    pub caddy_conf: Option<String>,
    /// Leave nginx out even if /etc/nginx/nginx.conf exists (the local nginx is not in this
    /// chain).
    #[arg(long, conflicts_with_all = ["nginx_conf", "nginx_dump"])]
    pub no_nginx: bool,
    /// Kubernetes manifests (a file or directory of YAML/JSON, e.g. `kubectl get
    /// ingress,svc,configmap,ingressclass -A -o yaml` or a Helm render): the ingress layer.
    #[arg(long, value_name = "PATH")]
    pub k8s: Option<String>,
    /// ingress-nginx's generated nginx.conf (`kubectl ingress-nginx conf`): the ingress layer
    /// as the controller runs it, cross-checked against the --k8s annotations.
    #[arg(long, value_name = "FILE")]
    pub ingress_nginx_conf: Option<String>,
    /// Add live facts: probe the endpoint (handshake, TLS) and match what it sees to the chain.
    #[arg(long)]
    pub probe: bool,
    /// With --probe: also hold an idle WebSocket up to MAX and attribute the cut to a layer.
    #[arg(long, value_name = "MAX", requires = "probe")]
    pub probe_idle: Option<String>,
    /// With --probe: probe this URL instead of SCHEME://DOMAIN/PATH (another port, a staging
    /// address of the same chain).
    #[arg(long, value_name = "URL", requires = "probe")]
    pub probe_url: Option<String>,
    /// A Terraform plan (`terraform show -json tfplan`): its layers stand in for those nothing
    /// live read, and a live value that differs from the planned one is reported as drift.
    #[arg(long, value_name = "PLAN.json")]
    pub terraform_plan: Option<String>,
    /// A CloudFormation template (JSON or YAML), used like --terraform-plan.
    #[arg(long, value_name = "FILE")]
    pub cloudformation: Option<String>,
    /// With --terraform-plan: the root module the plan was made from, for the line of each
    /// planned value (default: the plan's directory, when it holds `.tf` files).
    #[arg(long, value_name = "DIR", requires = "terraform_plan")]
    pub tf_dir: Option<String>,
    /// Add what access logs show (repeatable): lifetime peaks are matched to the layers read,
    /// and the WS8xx rules judge the logs (see `wsaudit logs`).
    #[arg(long = "logs", value_name = "FILE|-|s3://BUCKET/PREFIX")]
    pub logs: Vec<String>,
    /// With --logs: the logs' format, instead of telling it from their first lines.
    #[arg(long, value_enum, requires = "logs")]
    pub log_format: Option<LogFormatArg>,
}

#[derive(Debug, Clone, Args)]
pub struct IacArgs {
    /// The plan JSON (`terraform show -json tfplan > plan.json`) or the template; - reads
    /// standard input.
    #[arg(value_name = "PLAN.json|TEMPLATE")]
    pub file: String,
    /// The domain clients dial: judge the chain that serves it (default: every chain the
    /// code defines).
    #[arg(long, value_name = "D")]
    pub domain: Option<String>,
    /// The WebSocket path (with --domain; default /).
    #[arg(long, value_name = "P", requires = "domain")]
    pub path: Option<String>,
    /// What clients dial.
    #[arg(long, value_enum, default_value_t = SchemeArg::Wss)]
    pub scheme: SchemeArg,
    /// The Terraform root module the plan was made from: findings point at the line of its
    /// `.tf` files (default: the plan's directory, when it holds `.tf` files).
    #[arg(long, value_name = "DIR")]
    pub tf_dir: Option<String>,
    /// The app's heartbeat interval (e.g. 25s).
    #[arg(long, value_name = "DUR")]
    pub heartbeat: Option<String>,
    /// Who sends the heartbeat.
    #[arg(long, value_enum, default_value_t = HeartbeatFrom::Server, requires = "heartbeat")]
    pub heartbeat_from: HeartbeatFrom,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormatArg {
    /// nginx, in the `log_format` the configuration defines (`combined` without one).
    Nginx,
    /// AWS Application Load Balancer access logs.
    Alb,
    /// CloudFront standard logs.
    Cloudfront,
    /// Cloudflare Logpush (`websocket_analytics`, `http_requests`), NDJSON.
    Cloudflare,
}

#[derive(Debug, Clone, Args)]
pub struct LogsArgs {
    /// Log files (plain or gzip'd), - for standard input, or s3://BUCKET/PREFIX (every object
    /// under the prefix).
    #[arg(required = true, value_name = "FILE|-|s3://BUCKET/PREFIX")]
    pub inputs: Vec<String>,
    /// The logs' format, instead of telling it from their first lines.
    #[arg(long, value_enum)]
    pub log_format: Option<LogFormatArg>,
    /// The nginx configuration that wrote the log: its `log_format` is used to parse it, and
    /// the location logging to it names the layer that cuts.
    #[arg(long, value_name = "PATH", conflicts_with = "nginx_dump")]
    pub nginx_conf: Option<String>,
    /// The output of `nginx -T`, instead of --nginx-conf.
    #[arg(long, value_name = "FILE")]
    pub nginx_dump: Option<String>,
    /// The `log_format` to parse with, by name (when several are in use and none of the
    /// configuration's `access_log` paths is the file's).
    #[arg(long, value_name = "NAME")]
    pub nginx_log_format: Option<String>,
    /// A saved chain (`wsaudit chain --format json`) to match lifetime peaks to its layers.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["nginx_conf", "nginx_dump"])]
    pub chain: Option<PathBuf>,
    /// The domain the logs are for (with --nginx-conf: the server nginx picks).
    #[arg(long, value_name = "D")]
    pub domain: Option<String>,
    /// The WebSocket path (with --nginx-conf: the location nginx picks).
    #[arg(long, value_name = "P")]
    pub path: Option<String>,
    /// With s3://: only objects whose key's time is at or after this (RFC 3339 or YYYY-MM-DD).
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,
    /// With s3://: only objects whose key's time is at or before this.
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,
    /// Also draw the lifetime histogram and disconnects per minute into this SVG file.
    #[arg(long, value_name = "FILE.svg")]
    pub plot: Option<PathBuf>,
    /// The app's heartbeat interval (e.g. 25s).
    #[arg(long, value_name = "DUR")]
    pub heartbeat: Option<String>,
    /// Who sends the heartbeat.
    #[arg(long, value_enum, default_value_t = HeartbeatFrom::Server, requires = "heartbeat")]
    pub heartbeat_from: HeartbeatFrom,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SchemeArg {
    Ws,
    Wss,
}

#[derive(Debug, Clone, Args)]
pub struct ProbeArgs {
    /// `ws://` or `wss://` URL: the only address probed.
    pub url: String,
    /// Extra request header, repeatable (`-H "Authorization: Bearer …"`).
    #[arg(long = "header", short = 'H', value_name = "NAME: VALUE")]
    pub headers: Vec<String>,
    /// `Origin` header, as a browser would send it.
    #[arg(long, value_name = "URL")]
    pub origin: Option<String>,
    /// Subprotocol to offer, repeatable, in order of preference.
    #[arg(long = "subprotocol", value_name = "NAME")]
    pub subprotocols: Vec<String>,
    /// Go on after a failed certificate verification (still reported).
    #[arg(long, short = 'k')]
    pub insecure: bool,
    /// Trust only the CA certificates in this PEM file instead of the public roots.
    #[arg(long, value_name = "FILE")]
    pub ca_file: Option<PathBuf>,
    /// Bound for each of DNS, TCP connect, TLS and the upgrade answer.
    #[arg(long, value_name = "DUR", default_value = "10s")]
    pub connect_timeout: String,
    /// Hold the connection idle until something cuts it, at most MAX (e.g. 600s).
    #[arg(long, value_name = "MAX")]
    pub idle: Option<String>,
    /// Idle connections held at once, for confidence (at most 32).
    #[arg(long, value_name = "N", default_value_t = 1, requires = "idle")]
    pub samples: u32,
    /// Ping from the client this often during the hold, to show a client heartbeat keeps it
    /// open.
    #[arg(long, value_name = "DUR", requires = "idle")]
    pub client_ping: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum HeartbeatFrom {
    /// Server pings or messages (the client answers).
    Server,
    /// Client messages nobody answers.
    Client,
    /// Both sides, or client pings answered by pongs.
    Both,
}

#[derive(Debug, Clone, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct NginxArgs {
    #[command(subcommand)]
    pub action: Option<NginxAction>,
    /// The main configuration file (includes are followed), or - for standard input.
    #[arg(value_name = "PATH", required_unless_present = "nginx_dump")]
    pub conf: Option<String>,
    /// Read the output of `nginx -T` instead (several files in one; - for standard input).
    #[arg(long, value_name = "FILE")]
    pub nginx_dump: Option<String>,
    /// The Host to route, as nginx would pick its server block.
    #[arg(long, value_name = "D", requires = "path")]
    pub domain: Option<String>,
    /// The request path to route, as nginx would pick its location.
    #[arg(long, value_name = "P", requires = "domain")]
    pub path: Option<String>,
    /// The port the request arrives on (default: 443 if any server listens there, else 80).
    #[arg(long, value_name = "N")]
    pub port: Option<u16>,
    /// What clients dial (default: `wss` for a server's `listen … ssl` socket, `ws` for a
    /// plain one).
    #[arg(long, value_enum)]
    pub scheme: Option<SchemeArg>,
    /// The nginx version the configuration runs on (defaults changed in 1.29.6 and 1.29.7);
    /// default: `nginx -v` of a local nginx, else the older defaults are assumed.
    #[arg(long, value_name = "X.Y.Z")]
    pub nginx_version: Option<String>,
    /// The app's heartbeat interval (e.g. 25s).
    #[arg(long, value_name = "DUR")]
    pub heartbeat: Option<String>,
    /// Who sends the heartbeat.
    #[arg(long, value_enum, default_value_t = HeartbeatFrom::Server, requires = "heartbeat")]
    pub heartbeat_from: HeartbeatFrom,
}

#[derive(Debug, Clone, Args)]
pub struct HaproxyArgs {
    /// The configuration file (haproxy.cfg).
    #[arg(value_name = "FILE")]
    pub conf: String,
    /// The Host of the handshake, as the frontend's ACLs see it.
    #[arg(long, value_name = "D", requires = "path")]
    pub domain: Option<String>,
    /// The request path of the handshake.
    #[arg(long, value_name = "P", requires = "domain")]
    pub path: Option<String>,
    /// The port the handshake arrives on (picks the frontend that binds it).
    #[arg(long, value_name = "N")]
    pub port: Option<u16>,
    /// What clients dial: `wss` picks a frontend that binds with `ssl`, `ws` one without
    /// (default: the first frontend, and its bind's scheme).
    #[arg(long, value_enum)]
    pub scheme: Option<SchemeArg>,
    /// The app's heartbeat interval (e.g. 25s).
    #[arg(long, value_name = "DUR")]
    pub heartbeat: Option<String>,
    /// Who sends the heartbeat.
    #[arg(long, value_enum, default_value_t = HeartbeatFrom::Server, requires = "heartbeat")]
    pub heartbeat_from: HeartbeatFrom,
}

#[derive(Debug, Clone, Args)]
pub struct CaddyArgs {
    /// Caddy's JSON config, or a Caddyfile (read through `caddy adapt`).
    #[arg(value_name = "FILE")]
    pub conf: String,
    /// The Host of the handshake.
    #[arg(long, value_name = "D")]
    pub domain: String,
    /// The request path of the handshake.
    #[arg(long, value_name = "P", default_value = "/")]
    pub path: String,
    /// What clients dial: picks the server that serves TLS (`wss`) or plain HTTP (`ws`).
    #[arg(long, value_enum)]
    pub scheme: Option<SchemeArg>,
    /// The app's heartbeat interval (e.g. 25s).
    #[arg(long, value_name = "DUR")]
    pub heartbeat: Option<String>,
    /// Who sends the heartbeat.
    #[arg(long, value_enum, default_value_t = HeartbeatFrom::Server, requires = "heartbeat")]
    pub heartbeat_from: HeartbeatFrom,
}

#[derive(Debug, Clone, Subcommand)]
pub enum NginxAction {
    /// Print the parse as crossplane's JSON payload (`crossplane parse` compatible).
    Parse {
        /// The main configuration file, or - for standard input.
        #[arg(value_name = "PATH", required_unless_present = "nginx_dump")]
        conf: Option<String>,
        /// Read the output of `nginx -T` instead.
        #[arg(long, value_name = "FILE")]
        nginx_dump: Option<String>,
    },
}

#[derive(Debug, Clone, Args)]
pub struct K8sArgs {
    /// A manifest file or a directory of them (YAML or JSON, several documents per file, `List`
    /// objects too), or - for standard input.
    #[arg(value_name = "PATH")]
    pub manifests: String,
    /// The Host to route, as the controller matches Ingress rules and HTTPRoute hostnames.
    #[arg(long, value_name = "D", requires = "path")]
    pub domain: Option<String>,
    /// The request path to route.
    #[arg(long, value_name = "P", requires = "domain")]
    pub path: Option<String>,
    /// ingress-nginx's generated nginx.conf: the layer as the controller runs it, and a
    /// finding for every annotation that did not make it into it.
    #[arg(long, value_name = "FILE", requires = "domain")]
    pub ingress_nginx_conf: Option<String>,
    /// The controller's nginx version, for the generated nginx.conf's defaults.
    #[arg(long, value_name = "X.Y.Z")]
    pub nginx_version: Option<String>,
    /// What clients dial (default: `wss` for a host under the Ingress's spec.tls, else `ws`).
    #[arg(long, value_enum)]
    pub scheme: Option<SchemeArg>,
    /// The app's heartbeat interval (e.g. 25s).
    #[arg(long, value_name = "DUR")]
    pub heartbeat: Option<String>,
    /// Who sends the heartbeat.
    #[arg(long, value_enum, default_value_t = HeartbeatFrom::Server, requires = "heartbeat")]
    pub heartbeat_from: HeartbeatFrom,
}
