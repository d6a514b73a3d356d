//! The access logs a configuration writes and the `log_format` of each, for `wsaudit logs`: a
//! custom format parses without the user describing it. Every `access_log` directive at any
//! level (http, server, location, nested) is listed with its format resolved the way nginx
//! resolves it (a named `log_format` in the http block, else the built-in `combined`).

use super::http_block::HttpModel;
use super::tree::{Config, Dir};

/// nginx's predefined format (ngx_http_log_module: "the configuration always includes the
/// predefined combined format").
pub const COMBINED: &str = "$remote_addr - $remote_user [$time_local] \"$request\" $status $body_bytes_sent \"$http_referer\" \"$http_user_agent\"";

/// One `access_log` directive and the format its lines are written in.
#[derive(Debug, Clone, PartialEq)]
pub struct AccessLogFormat {
    /// The path as written (`/var/log/nginx/ws.log`), or `syslog:…`.
    pub path: String,
    /// The format's name (`combined` when none is given).
    pub name: String,
    /// The format string, its parts joined as nginx joins them.
    pub text: String,
    /// `file:line` of the `log_format`, or `built-in` for `combined`.
    pub format_at: String,
    /// `file:line` of the `access_log`.
    pub access_log_at: String,
}

/// Every `access_log` in the configuration that writes somewhere, in file order.
pub fn access_log_formats(cfg: &Config) -> Vec<AccessLogFormat> {
    let (model, servers) = HttpModel::without_servers(cfg);
    let mut out = Vec::new();
    for d in &model.http {
        collect(cfg, &model, *d, &mut out);
    }
    for s in servers {
        collect(cfg, &model, s, &mut out);
    }
    out
}

fn collect(cfg: &Config, model: &HttpModel<'_>, d: Dir<'_>, out: &mut Vec<AccessLogFormat>) {
    if d.is_block() {
        for c in cfg.expanded(d.children()) {
            collect(cfg, model, c, out);
        }
        return;
    }
    if d.name() != "access_log" {
        return;
    }
    let Some(path) = d.arg(0).filter(|p| *p != "off") else {
        return;
    };
    let name = d.arg(1).unwrap_or("combined");
    let (text, format_at) = format_text(model, name);
    out.push(AccessLogFormat {
        path: path.to_string(),
        name: name.to_string(),
        text,
        format_at,
        access_log_at: format!("{}:{}", d.file(), d.line()),
    });
}

/// The format called `name` (`combined` included) and where it is defined; None when the
/// configuration defines no such format.
pub fn named_log_format(cfg: &Config, name: &str) -> Option<(String, String)> {
    let (model, _) = HttpModel::without_servers(cfg);
    (name == "combined" || model.log_formats.contains_key(name)).then(|| format_text(&model, name))
}

/// The text of the format called `name` and where it is defined.
pub fn format_text(model: &HttpModel<'_>, name: &str) -> (String, String) {
    match model.log_formats.get(name) {
        Some(f) => (
            f.args()
                .skip(1)
                .filter(|a| !a.starts_with("escape="))
                .collect::<Vec<_>>()
                .join(""),
            format!("{}:{}", f.file(), f.line()),
        ),
        None => (COMBINED.to_string(), "built-in".to_string()),
    }
}

/// The format a log file was written in: the `access_log` writing to that file (same path,
/// else same file name); else the one format every `access_log` uses; else `combined` when
/// no `access_log` is written at all (nginx's default). `None` when several formats are in
/// use and none writes to the file: then the caller must ask which.
pub fn format_for_file<'a>(
    formats: &'a [AccessLogFormat],
    log_file: Option<&str>,
) -> Option<&'a AccessLogFormat> {
    if let Some(file) = log_file {
        if let Some(f) = formats.iter().find(|f| f.path == file) {
            return Some(f);
        }
        let base = |p: &str| {
            p.rsplit('/')
                .next()
                .unwrap_or(p)
                .trim_end_matches(".gz")
                .to_string()
        };
        let want = base(file);
        // `access.log.1`, `access.log.2.gz` (logrotate) are the same log.
        let want = want
            .trim_end_matches(|c: char| c.is_ascii_digit())
            .trim_end_matches('.')
            .to_string();
        if let Some(f) = formats.iter().find(|f| base(&f.path) == want) {
            return Some(f);
        }
    }
    let first = formats.first()?;
    formats
        .iter()
        .all(|f| f.text == first.text)
        .then_some(first)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_come_from_the_configuration() {
        let cfg = Config::parse_str(
            "nginx.conf",
            "http {\n log_format ws '$remote_addr [$time_local] '\n   '\"$request\" $status rt=$request_time';\n access_log /var/log/a.log;\n server { location /ws/ { access_log /var/log/ws.log ws; } location /x/ { access_log off; } }\n}\n",
        )
        .unwrap();
        let all = access_log_formats(&cfg);
        assert_eq!(all.len(), 2);
        assert_eq!(all[0].name, "combined");
        assert_eq!(all[0].format_at, "built-in");
        assert_eq!(all[1].name, "ws");
        assert_eq!(
            all[1].text,
            "$remote_addr [$time_local] \"$request\" $status rt=$request_time"
        );
        assert_eq!(all[1].format_at, "nginx.conf:2");
        let f = format_for_file(&all, Some("/tmp/copy/ws.log.1")).unwrap();
        assert_eq!(f.name, "ws");
        assert!(format_for_file(&all, Some("other.log")).is_none());
        assert_eq!(format_for_file(&[], None), None);
    }
}
