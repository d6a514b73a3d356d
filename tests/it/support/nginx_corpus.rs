//! The project's generator of large, realistic nginx configuration trees: the corpus the reader
//! is compared with `crossplane parse` and `nginx -t` on, the rules are checked against (each
//! WebSocket location is labelled with the mistake it holds) and `scripts/bench-nginx.sh`
//! times (through `examples/gen_nginx_corpus.rs`).
//!
//! The tree is laid out as a distribution ships it: `nginx.conf` includes `conf.d/*.conf` and
//! `sites-enabled/*`, sites live in `sites-available/` behind relative symlinks, snippets are
//! pulled in by glob, and a file in `conf.d` that the glob must not match would break nginx if
//! it were read. The same seed and server count always give byte-identical config files; the
//! optional self-signed certificate is the only thing that differs between runs, and it is not
//! part of the config text.
//!
//! The text comes from templates (the constants at the end, which read as the nginx they
//! produce): a template is a list of parts, each after a `--- PERCENT` line and kept with that
//! chance, and in a kept part `[[a|b|c]]` becomes one of the choices and `[[name]]` a value the
//! code computed (a choice can be such a name).

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io;
use std::ops::Bound;
use std::path::{Path, PathBuf};

/// What to generate.
pub struct Options {
    /// Enabled `server` blocks, the two default servers included (at least 3).
    pub servers: u32,
    /// Anything: each seed is another tree of the same shape.
    pub seed: u64,
    /// Write a self-signed certificate (and the certbot-style links to it) so that the tree
    /// passes `nginx -t`. Without it the config text is the same but names certificate files
    /// that do not exist: such a tree is for the reader only.
    pub certs: bool,
}

/// What was written.
pub struct Corpus {
    /// `nginx.conf`, the file to read.
    pub main: PathBuf,
    /// Config files reachable from `main` through `include`, each counted once.
    pub files: usize,
    /// Their bytes.
    pub bytes: u64,
    /// Labelled WebSocket locations in enabled sites.
    pub websocket_locations: usize,
}

/// The labels of the WebSocket locations (`# websocket endpoint (LABEL)` above each) with
/// weights out of 100: 43 % are broken (the last four), as in the corpus the published
/// benchmark figures were measured on.
const WS_VARIANTS: &str = "correct_map 32|via_snippet 13|literal_upgrade 12|\
    missing_connection 12|missing_upgrade 10|missing_http_version 11|connection_keepalive 10";
const WS_PATHS: &str = "/ws/|/socket.io/|/cable|/realtime/|/graphql-ws|/live/|/notifications/ws";
/// Every spelling of a duration the reader has to understand, and none (the http-level 60s).
const WS_TIMEOUTS: &str = "|60s|75s|300s|3600s|3600|1h|86400s|1d|7d|600000ms|24h";
const KINDS: &str = "proxy 10|spa 3|php 4|static 3";
const DOMAINS: &str = "example.com|example.net|example.org|example.test|shop.example.com";
const WORDS: &str = "api|app|shop|blog|docs|portal|status|admin|media|auth|billing|chat|\
    search|wiki|git|builds|grafana|metrics|mail|forum|news|store|booking|crm|intranet|beta";
/// Access logs are sharded: one file per server would exhaust `nginx -t`'s descriptors.
const LOG_SHARDS: u64 = 32;
const CERT_GROUPS: u32 = 8;
const POOLS_PER_FILE: usize = 250;

/// splitmix64, written out here rather than taken from a crate so that a seed's tree never
/// changes with a dependency's version (the benchmark figures are tied to the bytes).
#[derive(Default)]
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next()) * u128::from(n)) >> 64) as u64
    }
    fn chance(&mut self, p: f64) -> bool {
        ((self.next() >> 11) as f64) < p * (1u64 << 53) as f64
    }
    /// One of the `|`-separated choices (an empty one included).
    fn one<'a>(&mut self, choices: &'a str) -> &'a str {
        let n = choices.split('|').count() as u64;
        choices.split('|').nth(self.below(n) as usize).unwrap()
    }
    /// One of the `|`-separated `NAME WEIGHT` pairs, by weight.
    fn weighted<'a>(&mut self, spec: &'a str) -> &'a str {
        let pairs = spec.split('|').map(|p| p.rsplit_once(' ').unwrap());
        let pairs: Vec<(&str, u64)> = pairs.map(|(n, w)| (n, w.parse().unwrap())).collect();
        let mut r = self.below(pairs.iter().map(|p| p.1).sum());
        for (name, w) in pairs {
            match r.checked_sub(w) {
                Some(rest) => r = rest,
                None => return name,
            }
        }
        unreachable!()
    }
    /// A template's text for this draw (see the module comment).
    fn fill(&mut self, template: &str, vars: &[(&str, &str)]) -> String {
        let mut out = String::new();
        for part in template.split("--- ").skip(1) {
            let (percent, mut text) = part.split_once('\n').unwrap();
            if !self.chance(percent.parse::<f64>().unwrap() / 100.0) {
                continue;
            }
            while let Some((before, rest)) = text.split_once("[[") {
                let (key, after) = rest.split_once("]]").unwrap();
                let choice = match key.contains('|') {
                    true => self.one(key),
                    false => key,
                };
                out += before;
                out += match vars.iter().find(|v| v.0 == choice) {
                    Some(v) => v.1,
                    None if key.contains('|') => choice,
                    None => panic!("template variable {key} not given"),
                };
                text = after;
            }
            out += text;
        }
        out
    }
}

/// Writes the tree under `dir` (created if needed; the generated subdirectories are replaced,
/// so that a second run leaves no stale site behind).
pub fn write(dir: &Path, opts: &Options) -> io::Result<Corpus> {
    if opts.servers < 3 {
        let msg = "a corpus needs at least 3 servers (2 default servers and one site)";
        return Err(io::Error::new(io::ErrorKind::InvalidInput, msg));
    }
    let mut g = Gen::default();
    g.build(opts);
    fs::create_dir_all(dir)?;
    for sub in "conf.d snippets sites-available sites-enabled certs".split(' ') {
        match fs::remove_dir_all(dir.join(sub)) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
    }
    for (rel, text) in &g.files {
        let path = dir.join(rel);
        fs::create_dir_all(path.parent().unwrap())?;
        fs::write(path, text)?;
    }
    for (link, target) in &g.links {
        symlink(&format!("../{target}"), &dir.join(link))?;
    }
    for sub in ["logs", "cache"] {
        fs::create_dir_all(dir.join(sub))?;
    }
    if opts.certs {
        certificate(dir)?;
    }
    let (files, bytes) = g.reachable();
    let main = dir.join("nginx.conf");
    let websocket_locations = g.ws;
    Ok(Corpus {
        main,
        files,
        bytes,
        websocket_locations,
    })
}

/// A relative symlink; where links need privileges, a copy (as admins there do).
fn symlink(target: &str, link: &Path) -> io::Result<()> {
    #[cfg(unix)]
    return std::os::unix::fs::symlink(target, link);
    #[cfg(not(unix))]
    return fs::copy(link.parent().unwrap().join(target), link).map(drop);
}

/// One self-signed certificate for every ssl server, reached through per-domain links the
/// way certbot lays out `live/`.
fn certificate(dir: &Path) -> io::Result<()> {
    let names = vec!["*.example.test".to_string(), "localhost".to_string()];
    let ck = rcgen::generate_simple_self_signed(names).map_err(io::Error::other)?;
    let certs = dir.join("certs");
    fs::create_dir_all(&certs)?;
    fs::write(certs.join("selfsigned.crt"), ck.cert.pem())?;
    fs::write(certs.join("selfsigned.key"), ck.signing_key.serialize_pem())?;
    for domain in DOMAINS.split('|') {
        for g in 0..CERT_GROUPS {
            let live = certs.join(format!("live/{domain}-{g}"));
            fs::create_dir_all(&live)?;
            symlink("../../selfsigned.crt", &live.join("fullchain.pem"))?;
            symlink("../../selfsigned.key", &live.join("privkey.pem"))?;
        }
    }
    Ok(())
}

#[derive(Default)]
struct Gen {
    rng: Rng,
    /// Server blocks still to place.
    left: u32,
    /// Config text by path relative to the tree.
    files: BTreeMap<String, String>,
    /// `sites-enabled/*` links to `sites-available/*`.
    links: BTreeMap<String, String>,
    pools: Vec<String>,
    hosts: Vec<String>,
    /// Whether the site being written is enabled, and the WebSocket locations of enabled ones.
    enabled: bool,
    ws: usize,
}

impl Gen {
    fn build(&mut self, opts: &Options) {
        // sites-enabled/000-default holds two of the servers.
        (self.rng, self.left) = (Rng(opts.seed), opts.servers - 2);
        let hash = opts.servers.saturating_mul(4).next_power_of_two();
        let hash = hash.max(1024).to_string();
        let (seed, servers) = (opts.seed.to_string(), opts.servers.to_string());
        let vars = [("seed", &*seed), ("servers", &*servers), ("hash", &*hash)];
        let main = self.rng.fill(MAIN_CONF, &vars);
        self.files.insert("nginx.conf".into(), main);
        for part in STATIC_FILES.split("\n--- ").skip(1) {
            let (rel, text) = part.split_once('\n').unwrap();
            let text = format!("{}\n", text.trim_end_matches('\n'));
            self.files.insert(rel.into(), text);
        }
        let pools = (opts.servers / 4).max(8);
        self.pools = (0..pools).map(|i| format!("pool_{i:05}")).collect();
        for (n, chunk) in self.pools.clone().chunks(POOLS_PER_FILE).enumerate() {
            let mut s = format!("# shared backend pools, file {n}\n");
            for name in chunk {
                s += &format!("\n{}", self.upstream(name));
            }
            let rel = format!("conf.d/upstreams-{n:03}.conf");
            self.files.insert(rel, s);
        }
        let mut idx = 0;
        while self.left > 0 {
            idx += 1;
            // A few sites stay in sites-available only, as sites that were switched off do.
            self.enabled = !self.rng.chance(0.03);
            let before = (self.left, self.hosts.len());
            let (name, text) = self.site(idx);
            let rel = format!("sites-available/{name}.conf");
            if self.enabled {
                let link = format!("sites-enabled/{name}.conf");
                self.links.insert(link, rel.clone());
            } else {
                self.left = before.0;
                self.hosts.truncate(before.1);
            }
            self.files.insert(rel, text);
        }
        // A big `hostnames` map, read before any server.
        let mut s = String::from("# per-host tier, `hostnames` mode\nmap $host $site_tier {\n");
        s += "    hostnames;\n    default standard;\n";
        for h in self.hosts.iter().step_by(2) {
            s += &format!("    .{h} {};\n", self.rng.one("premium|gold|free|legacy"));
        }
        s += "    \"~^api\\.\" api;\n}\n";
        self.files.insert("conf.d/30-host-tier.conf".into(), s);
    }

    /// Config files reachable from nginx.conf (a symlink counted as its target) and their
    /// bytes, following includes the way nginx expands them.
    fn reachable(&self) -> (usize, u64) {
        let mut seen = BTreeSet::new();
        let mut todo = vec!["nginx.conf".to_string()];
        while let Some(rel) = todo.pop() {
            let rel = self.links.get(&rel).cloned().unwrap_or(rel);
            let Some(text) = self.files.get(&rel).filter(|_| seen.insert(rel.clone())) else {
                continue;
            };
            let lines = text.lines().map(str::trim_start);
            for arg in lines.filter_map(|l| l.strip_prefix("include ")) {
                let pat = arg.split(';').next().unwrap().trim();
                let (pre, suf) = pat.split_once('*').unwrap_or((pat, ""));
                let matches = |k: &&String| {
                    let mid = k[pre.len()..].strip_suffix(suf);
                    k.as_str() == pat || pat.contains('*') && mid.is_some_and(|m| !m.contains('/'))
                };
                for map in [&self.files, &self.links] {
                    let under = map.range::<str, _>((Bound::Included(pre), Bound::Unbounded));
                    let under = under.map(|(k, _)| k).take_while(|k| k.starts_with(pre));
                    todo.extend(under.filter(matches).cloned());
                }
            }
        }
        let bytes = seen.iter().map(|f| self.files[f].len() as u64).sum();
        (seen.len(), bytes)
    }

    fn upstream(&mut self, name: &str) -> String {
        let r = &mut self.rng;
        let method = r.one(UPSTREAM_METHODS);
        let mut s = format!("upstream {name} {{\n");
        if !method.is_empty() {
            s += &format!("    {method};\n");
        }
        let net = format!("10.{}.{}", r.below(256), r.below(256));
        let port = r.one("3000|4000|5000|8000|8080|8081|9000");
        let n = 1 + r.below(5);
        for i in 0..n {
            s += &format!("    server {net}.{}:{port}", 10 + i);
            s += &r.fill(SERVER_PARAMS, &[]);
            // nginx refuses `backup` beside ip_hash and hash.
            if n > 1 && i == n - 1 && r.chance(0.3) {
                let hashed = method.starts_with("hash") || method == "ip_hash";
                s += if hashed { " down" } else { " backup" };
            }
            s += ";\n";
        }
        s + &r.fill(UPSTREAM_TAIL, &[("name", name)])
    }

    /// One site file: a header, sometimes its own upstream, then 1-3 server blocks.
    fn site(&mut self, idx: u32) -> (String, String) {
        let r = &mut self.rng;
        let (word, domain) = (r.one(WORDS), r.one(DOMAINS));
        let name = format!("{word}-{idx:05}");
        let apex = format!("{name}.{domain}");
        let group = format!("{domain}-{}", idx % CERT_GROUPS);
        let kind = r.weighted(KINDS);
        let (owner, ticket) = (r.one(WORDS), 1000 + r.below(99000));
        let mut s = format!("# {apex}: {kind} site, owner team-{owner}\n{SITE_HEADER}{ticket}\n\n");
        let mut backend = String::new();
        if kind != "php" && kind != "static" {
            if r.chance(0.5) {
                backend = format!("{}_backend", name.replace('-', "_"));
                s += &format!("{}\n", self.upstream(&backend));
            } else {
                backend = self.pools[self.rng.below(self.pools.len() as u64) as usize].clone();
            }
        }
        let mut names = vec![apex.clone()];
        names.extend(self.rng.chance(0.5).then(|| format!("www.{apex}")));
        names.extend(self.rng.chance(0.05).then(|| format!("*.{name}.{domain}")));
        if self.rng.chance(0.02) {
            let d = domain.replace('.', "\\.");
            names.push(format!("~^(?<tenant>[a-z0-9-]+)\\.{name}\\.{d}$"));
        }
        self.hosts.push(apex.clone());
        self.left -= 1;
        s += &self.tls_server(&name, &names.join(" "), &group, kind, &backend);
        let plain = names.iter().filter(|n| !n.contains(['*', '~']));
        let list = plain.cloned().collect::<Vec<_>>().join(" ");
        if self.left > 0 && self.rng.chance(0.75) {
            self.left -= 1;
            if self.rng.chance(0.4) {
                // What certbot leaves behind: one `if` per name, then a 404 for the rest.
                s += "\nserver {\n";
                for n in list.split(' ') {
                    s += &format!("    if ($host = {n}) {{\n{CERTBOT_IF}");
                }
                s += &format!("    listen 80;\n    listen [::]:80;\n    server_name {list};\n");
                s += "    return 404; # managed by Certbot\n}\n";
            } else {
                let first = format!("https://{apex}$request_uri");
                let vars = [("names", &*list), ("first", &*first)];
                s += &self.rng.fill(REDIRECT_SERVER, &vars);
            }
        }
        if self.left > 0 && names.len() == 1 && self.rng.chance(0.1) {
            self.left -= 1;
            let vars = [("apex", &*apex), ("group", &*group)];
            s += &self.rng.fill(WWW_REDIRECT, &vars);
        }
        (name, s)
    }

    fn tls_server(&mut self, site: &str, names: &str, group: &str, kind: &str, up: &str) -> String {
        let r = &mut self.rng;
        let ext = ASSET_PATTERNS.split(' ').nth(r.below(3) as usize).unwrap();
        let shard = format!("{:02}", r.below(LOG_SHARDS));
        let format = r.one("main|main|json|combined");
        let log = match r.below(100) {
            0..75 => format!("logs/access-{shard}.log {format}"),
            75..90 => "logs/vhost-$host.log json".into(),
            _ => "off".into(),
        };
        let headers = match r.below(100) {
            // Host from the client's header: what the rules call host spoofing.
            0..5 => "        proxy_set_header Host $http_host;\n",
            5..60 => "        include snippets/proxy-headers.conf;\n",
            _ => PROXY_HEADERS,
        };
        let vars = [
            ("h2", if r.chance(0.9) { " http2" } else { "" }),
            ("names", names),
            ("group", group),
            ("site", site),
            ("log", &log),
            ("shard", &shard),
            ("backend", up),
            ("headers", headers),
            ("php", r.one("unix:/run/php/php8.2-fpm.sock|127.0.0.1:9000")),
            ("ext", ext),
        ];
        let locations = match kind {
            "proxy" => PROXY_ROOT,
            "php" => PHP_LOCATIONS,
            _ => STATIC_LOCATIONS,
        };
        let mut s = r.fill(TLS_SERVER, &vars) + &r.fill(locations, &vars);
        if kind == "proxy" || kind == "spa" {
            if r.chance(0.9) {
                s += &r.fill(API_LOCATION, &vars);
            }
            let mut paths = Vec::new();
            paths.extend(r.chance(0.33).then(|| r.one(WS_PATHS)));
            // A second endpoint (an admin console, say) with its own settings.
            paths.extend(r.chance(0.2).then_some("/ws-admin/"));
            for path in paths {
                s += &self.ws_location(up, path);
            }
        }
        s + &self.rng.fill(SERVER_TAIL, &[])
    }

    fn ws_location(&mut self, backend: &str, path: &str) -> String {
        let r = &mut self.rng;
        // The first enabled locations take every variant in turn, so that even a small tree
        // holds each one; the rest are drawn by weight.
        let variant = match WS_VARIANTS.split('|').nth(self.ws) {
            Some(v) if self.enabled => v.split(' ').next().unwrap(),
            _ => r.weighted(WS_VARIANTS),
        };
        self.ws += usize::from(self.enabled);
        let value = match variant {
            "literal_upgrade" => r.one("\"upgrade\"|\"Upgrade\"|upgrade"),
            "connection_keepalive" => "\"\"",
            _ => "$connection_upgrade",
        };
        let http = "        proxy_http_version 1.1;\n";
        let up = "        proxy_set_header Upgrade $http_upgrade;\n";
        let conn = format!("        proxy_set_header Connection {value};\n");
        let upgrade = match variant {
            "via_snippet" => "        include snippets/websocket.conf;\n".into(),
            "missing_http_version" => format!("{up}{conn}"),
            "missing_upgrade" => format!("{http}{conn}"),
            "missing_connection" => format!("{http}{up}"),
            _ => format!("{http}{up}{conn}"),
        };
        let timeout = r.one(WS_TIMEOUTS);
        let timeouts = match timeout {
            "" => String::new(),
            t => r.fill(WS_TIMEOUT_LINES, &[("t", t)]),
        };
        let vars = [
            ("variant", variant),
            ("path", path),
            ("backend", backend),
            ("upgrade", &upgrade),
            ("timeouts", &timeouts),
        ];
        r.fill(WS_LOCATION, &vars)
    }
}

const UPSTREAM_METHODS: &str =
    "||least_conn|least_conn|ip_hash|hash $request_uri consistent|hash $remote_addr";
/// Static-file location patterns, space-separated: they are alternations themselves.
const ASSET_PATTERNS: &str = r"\.(?:css|js|map)$ \.(?:jpe?g|png|webp|svg|ico)$ \.(?:woff2?|ttf)$";

/// Parameters on one `server` line of an upstream, hence no newlines.
const SERVER_PARAMS: &str = "--- 75
 max_fails=[[1|2|3|5]] fail_timeout=[[10s|30s|1m]]--- 20
 weight=[[2|3|4|5]]--- 10
 max_conns=[[100|256|1000]]";

const UPSTREAM_TAIL: &str = "--- 15
    server unix:/run/[[name]].sock max_fails=2;
--- 70
    keepalive [[8|16|32|64]];
--- 50
    keepalive_timeout [[60s|75s|300s]];
--- 100
}
";

/// The rest of a certbot `if` after its first line.
const CERTBOT_IF: &str = "        return 301 https://$host$request_uri;
    } # managed by Certbot

";

/// The second line of a site file, before its ticket number: what managed files say.
const SITE_HEADER: &str =
    "# deployed by the nginx_site role, edits are overwritten; last change OPS-";

const REDIRECT_SERVER: &str = "--- 100

server {
    listen 80;
    listen [::]:80;
    server_name [[names]];

    include snippets/common/00-acme.conf; # certificates renew over http
    location / {
        return 301 [[https://$host$request_uri|https://${host}${request_uri}|first]];
    }
}
";

const WWW_REDIRECT: &str = "--- 100

server {
    listen 443 ssl http2;
    listen [::]:443 ssl http2;
    server_name www.[[apex]];
    ssl_certificate certs/live/[[group]]/fullchain.pem;
    ssl_certificate_key certs/live/[[group]]/privkey.pem;
    return 301 https://[[apex]]$request_uri;
}
";

const TLS_SERVER: &str = r#"--- 100
server {
    listen 443 ssl[[h2]];
    listen [::]:443 ssl[[h2]];
    server_name [[names]];

    ssl_certificate certs/live/[[group]]/fullchain.pem;[[| # managed by Certbot]]
    ssl_certificate_key certs/live/[[group]]/privkey.pem;[[| # managed by Certbot]]
--- 85
    include snippets/ssl-params.conf;
--- 100

    set $site_id "[[site]]";
    access_log [[log]];
--- 60
    error_log logs/error-[[shard]].log [[warn|error|notice]];
--- 100
    client_max_body_size [[1m|10m|25m|100m]];
--- 30
    limit_conn addr 50;
--- 100

    # ACME and dotfiles for every site
    include snippets/common/*.conf;
--- 85
    include snippets/security-headers.conf;
--- 100
    add_header Strict-Transport-Security "max-age=31536000; includeSubDomains" always;
--- 40
    if ($request_method !~ ^(GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS)$) {
        return 405;
    }
--- 30
    if ($http_user_agent ~* "(AhrefsBot|SemrushBot|bad bot)") {
        return 403;
    }
--- 20
    # braces inside quotes are not a block
    rewrite "^/blog/(\d{4})/(\d{2})/(.*)$" /posts/$1-$2-$3 permanent;
--- 15
    if ($legacy_redirect) {
        return 301 $legacy_redirect;
    }
--- 100

"#;

const PROXY_HEADERS: &str = "        proxy_set_header Host $host;
        proxy_set_header X-Real-IP $remote_addr;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        proxy_set_header X-Forwarded-Proto $scheme;
";

const PROXY_ROOT: &str = "--- 100
    location / {
        proxy_pass http://[[backend]];
[[headers]]        proxy_set_header X-Request-Id $request_id;
        proxy_hide_header X-Powered-By;
        proxy_read_timeout [[30s|60s|90s|120s]];
        proxy_next_upstream error timeout http_502 http_503;
        error_page 502 503 504 = @maintenance;
    }

    location @maintenance {
        root /var/www/maintenance;
        rewrite ^ /maintenance.html break;
    }

";

const STATIC_LOCATIONS: &str = r#"--- 100
    root /var/www/[[site]]/[[public|html|dist]];
    index index.html;

    location / {
        try_files $uri $uri/ [[=404|/index.html]];
    }

    location [[~*|~]] [[ext]] {
        expires [[7d|30d|1y|max]];
        add_header Cache-Control "public, max-age=2592000, immutable";
    }

--- 30
    location /downloads/ {
        autoindex on;
        types {
            application/octet-stream bin exe iso;
        }
        add_header Content-Disposition 'attachment; note=\'legacy\'; filename="$request_filename"';
    }

"#;

const PHP_LOCATIONS: &str = r#"--- 100
    root /var/www/[[site]]/[[public|html|current/public]];
    index index.php index.html;

    location / {
        try_files $uri $uri/ /index.php?$args;
    }

    location ~ \.php$ {
        include snippets/fastcgi-php.conf;
        fastcgi_pass [[php]];
        fastcgi_read_timeout [[60s|120s|300s]];
    }

    location ~ ^/(wp-admin|wp-login\.php) {
        limit_req zone=perip burst=10 nodelay;
        auth_basic "Restricted area: [[site]]";
        auth_basic_user_file htpasswd;

        location ~ \.php$ {
            include snippets/fastcgi-php.conf;
            fastcgi_pass [[php]];
        }
    }

    location ~ /\.ht {
        deny all;
    }

"#;

const API_LOCATION: &str = r#"--- 100
    location /api/ {
        proxy_pass http://[[backend]]/api/;
        proxy_set_header Host $host;
        proxy_set_header X-Request-Id $request_id;
        limit_req zone=api burst=20 nodelay;
--- 30
        proxy_cache api_cache;
        proxy_cache_key "$scheme$request_method$host$request_uri $http_authorization";
--- 40
        if ($request_method = OPTIONS) {
            add_header Access-Control-Allow-Origin $cors_origin;
            return 204;
        }
--- 60

        location /api/v2/ {
            proxy_pass http://[[backend]];
            proxy_set_header X-Api-Version "2";
        }
--- 40

        location /api/upload/ {
            client_max_body_size 512m;
            proxy_pass http://[[backend]];
            limit_except POST PUT {
                deny all;
            }
        }
--- 100
    }

"#;

const WS_TIMEOUT_LINES: &str = "--- 100
        proxy_read_timeout [[t]];[[|| # long-lived sockets]]
--- 50
        proxy_send_timeout [[t]];
";

const WS_LOCATION: &str = "--- 100
    # websocket endpoint ([[variant]])
    location [[path]] {
        proxy_pass http://[[backend]];
[[upgrade]]        proxy_set_header Host $host;
--- 50
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
--- 100
[[timeouts]]--- 50
        proxy_buffering off;
--- 100
    }

";

const SERVER_TAIL: &str = r#"--- 100
    location = /healthz {
        default_type application/json;
        return 200 "{\"status\": \"ok\", \"site\": \"$site_id\", \"variant\": \"$ab_variant\"}";
    }
--- 30

    error_page 500 502 503 504 /50x.html;
--- 100
}
"#;

const MAIN_CONF: &str = r#"--- 100
# generated by wsaudit's corpus generator (seed [[seed]]); check with
# nginx -t -c $PWD/nginx.conf -p $PWD/ (no `user`: it would fail where that user is missing)

worker_processes auto;
pid logs/nginx.pid;
error_log logs/error.log warn;

events {
    worker_connections 4096;
}

http {
    include mime.types;
    default_type application/octet-stream;

    # sized for [[servers]] server blocks, or nginx gives up building the hashes
    server_names_hash_max_size [[hash]];
    server_names_hash_bucket_size 128;
    map_hash_max_size [[hash]];
    map_hash_bucket_size 128;

    # inside the prefix, so that nginx -t needs no system directory
    client_body_temp_path cache/client_body;
    proxy_temp_path cache/proxy 1 2;
    fastcgi_temp_path cache/fastcgi;

    log_format main '$remote_addr - $remote_user [$time_local] "$request" '
                    '$status $body_bytes_sent "$http_referer" "$http_user_agent"';
    log_format json escape=json '{"time":"$time_iso8601","request":"$request","status":$status}';
    # one quoted string over two lines, as hand-edited formats sometimes are
    log_format upstream_debug '$remote_addr [$time_local] "$request" $status
        upstream=$upstream_addr ustatus=$upstream_status urt=$upstream_response_time';
    access_log logs/access.log main;

    include conf.d/*.conf;
    include sites-enabled/*;
}
"#;

/// Files whose text does not depend on the seed, each after a `--- PATH` line.
const STATIC_FILES: &str = r#"
--- mime.types
types {
    text/html                  html htm;
    text/css                   css;
    image/png                  png;
    application/javascript     js mjs;
    application/json           json;
}
--- fastcgi.conf
fastcgi_param  SCRIPT_FILENAME    $document_root$fastcgi_script_name;
fastcgi_param  QUERY_STRING       $query_string;
fastcgi_param  REQUEST_METHOD     $request_method;
fastcgi_param  HTTPS              $https if_not_empty;
--- htpasswd
admin:$apr1$abcdefgh$0123456789abcdefghijk.
--- conf.d/00-tuning.conf
# http-level defaults every site inherits
sendfile on;
keepalive_timeout 65s;
gzip on;
gzip_types text/plain text/css application/json application/javascript
           application/xml image/svg+xml;
proxy_connect_timeout 5s;
proxy_read_timeout 60s; # what a WebSocket location without its own gets
ssl_protocols TLSv1.2 TLSv1.3;
--- conf.d/10-maps.conf
# the WebSocket pattern from the nginx documentation
map $http_upgrade $connection_upgrade {
    default upgrade;
    ''      close;
}

map $http_origin $cors_origin {
    default "";
    "~^https?://([a-z0-9-]+\.)*example\.(com|net|org)(:[0-9]+)?$" $http_origin;
}

map $request_uri $legacy_redirect {
    default "";
    /old-about/                                  /about/;
    ~^/blog/(?<year>[0-9]+)/(?<slug>[^/]+)/?$    /posts/$year/$slug;
}

split_clients "${remote_addr}${http_user_agent}" $ab_variant {
    10%     "canary";
    *       "a";
}
--- conf.d/20-zones.conf
limit_req_zone  $binary_remote_addr zone=perip:10m rate=10r/s;
limit_req_zone  $binary_remote_addr zone=api:20m   rate=50r/s;
limit_conn_zone $binary_remote_addr zone=addr:10m;
proxy_cache_path cache/api levels=1:2 keys_zone=api_cache:10m inactive=10m use_temp_path=off;
--- conf.d/legacy.conf.disabled
# switched off by its suffix: conf.d/*.conf must not read it (a second
# $connection_upgrade map and an unclosed block would stop nginx)
map $http_upgrade $connection_upgrade {
    default upgrade;
}
upstream legacy_backend {
--- snippets/ssl-params.conf
ssl_ciphers ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384;
ssl_session_cache shared:SSL:50m;
ssl_session_timeout 1d;
--- snippets/proxy-headers.conf
proxy_set_header Host              $host;
proxy_set_header X-Real-IP         $remote_addr;
proxy_set_header X-Forwarded-For   $proxy_add_x_forwarded_for;
proxy_set_header X-Forwarded-Proto $scheme;
--- snippets/websocket.conf
# for a location that proxies WebSockets
proxy_http_version 1.1;
proxy_set_header Upgrade    $http_upgrade;
proxy_set_header Connection $connection_upgrade;
--- snippets/security-headers.conf
add_header X-Frame-Options "SAMEORIGIN" always;
add_header Content-Security-Policy "default-src 'self'; img-src 'self' data: https:" always;
--- snippets/fastcgi-php.conf
fastcgi_split_path_info ^(.+?\.php)(/.*)$;
try_files $fastcgi_script_name =404;
fastcgi_param PATH_INFO $fastcgi_path_info;
include fastcgi.conf;
--- snippets/common/00-acme.conf
location ^~ /.well-known/acme-challenge/ {
    root /var/www/letsencrypt;
    default_type "text/plain";
}
--- snippets/common/10-dotfiles.conf
# dotfiles stay private, .well-known excepted
location ~ /\.(?!well-known) {
    deny all;
}
--- sites-enabled/000-default
# catch-all servers; no .conf suffix, which sites-enabled/* matches all the same
server {
    listen 80 default_server;
    listen [::]:80 default_server;
    server_name _;
    return 444;
}

server {
    listen 443 ssl http2 default_server;
    listen [::]:443 ssl http2 default_server;
    server_name _;
    ssl_reject_handshake on;
}
"#;
