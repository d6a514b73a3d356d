//! nginx access-log lines in any `log_format`: the format string is compiled once into
//! literals and variables, and a line is split by finding each literal after the previous
//! one (nginx escapes `"` inside variables as `\x22`, so a quoted variable ends at its quote).
//!
//! nginx writes a WebSocket's line when the connection closes, with `$status` 101 and
//! `$request_time` ≈ its lifetime (measured on nginx 1.22.1: an idle cut at
//! `proxy_read_timeout 3s` logs 3.002); so the line's time is the close and the start is the
//! close minus `$request_time`.

use super::record::{split_request, split_uri, Caps, Record, Upgrade};
use super::time;
use memchr::memmem::Finder;
use std::borrow::Cow;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Var {
    RemoteAddr,
    ForwardedFor,
    TimeLocal,
    TimeIso,
    Msec,
    Request,
    RequestUri,
    Uri,
    Status,
    RequestTime,
    UpstreamAddr,
    Host,
    HttpUpgrade,
    Other,
}

fn var_of(name: &str) -> Var {
    match name {
        "remote_addr" | "realip_remote_addr" => Var::RemoteAddr,
        "http_x_forwarded_for" => Var::ForwardedFor,
        "time_local" => Var::TimeLocal,
        "time_iso8601" => Var::TimeIso,
        "msec" => Var::Msec,
        "request" => Var::Request,
        "request_uri" => Var::RequestUri,
        "uri" | "document_uri" => Var::Uri,
        "status" => Var::Status,
        "request_time" => Var::RequestTime,
        "upstream_addr" => Var::UpstreamAddr,
        "host" | "http_host" | "server_name" => Var::Host,
        "http_upgrade" => Var::HttpUpgrade,
        _ => Var::Other,
    }
}

#[derive(Debug)]
struct Seg {
    var: Var,
    /// The literal text after the variable (empty only for the last one).
    after: Finder<'static>,
    after_len: usize,
}

/// A compiled `log_format`.
#[derive(Debug)]
pub struct NginxFormat {
    pub text: String,
    prefix: Vec<u8>,
    segs: Vec<Seg>,
    caps: Caps,
}

impl NginxFormat {
    /// Compiles a format string. Fails when two variables touch (`$a$b`): nothing in a line
    /// says where one ends.
    pub fn compile(text: &str) -> Result<NginxFormat, String> {
        let b = text.as_bytes();
        let mut prefix = Vec::new();
        let mut segs: Vec<(Var, String, Vec<u8>)> = Vec::new();
        let mut lit = Vec::new();
        let mut i = 0;
        while i < b.len() {
            if b[i] == b'$' {
                let braced = b.get(i + 1) == Some(&b'{');
                let start = if braced { i + 2 } else { i + 1 };
                let n = b[start..]
                    .iter()
                    .take_while(|c| c.is_ascii_alphanumeric() || **c == b'_')
                    .count();
                if n > 0 {
                    let name = &text[start..start + n];
                    match segs.last_mut() {
                        None => prefix = std::mem::take(&mut lit),
                        Some(last) => {
                            if lit.is_empty() {
                                return Err(format!(
                                    "${} and ${name} touch in the log_format: a line cannot be split between them",
                                    last.1
                                ));
                            }
                            last.2 = std::mem::take(&mut lit);
                        }
                    }
                    segs.push((var_of(name), name.to_string(), Vec::new()));
                    i = start + n + usize::from(braced);
                    continue;
                }
            }
            lit.push(b[i]);
            i += 1;
        }
        match segs.last_mut() {
            Some(last) => last.2 = lit,
            None => return Err("the log_format has no variable".into()),
        }
        let mut caps = Caps::default();
        for (v, _, _) in &segs {
            match v {
                Var::TimeLocal | Var::TimeIso | Var::Msec => caps.end = true,
                Var::RequestTime => caps.lifetime = true,
                Var::Status => caps.status = true,
                Var::HttpUpgrade => caps.upgrade = true,
                Var::UpstreamAddr => caps.upstream = true,
                Var::Request | Var::RequestUri | Var::Uri => caps.path = true,
                Var::RemoteAddr | Var::ForwardedFor => caps.client = true,
                _ => {}
            }
        }
        Ok(NginxFormat {
            text: text.to_string(),
            prefix,
            segs: segs
                .into_iter()
                .map(|(var, _, after)| Seg {
                    var,
                    after_len: after.len(),
                    after: Finder::new(&after).into_owned(),
                })
                .collect(),
            caps,
        })
    }

    pub fn caps(&self) -> Caps {
        self.caps
    }

    pub fn parse<'a>(&self, line: &'a str) -> Result<Record<'a>, String> {
        let b = line.as_bytes();
        if !b.starts_with(&self.prefix) {
            return Err("does not start like the log_format".into());
        }
        let mut pos = self.prefix.len();
        let mut r = Record::empty();
        let last = self.segs.len() - 1;
        for (k, seg) in self.segs.iter().enumerate() {
            let value = if seg.after_len == 0 {
                let v = &line[pos..];
                pos = b.len();
                v
            } else {
                let found = if k == last {
                    // The closing literal ends the line; searching from the end keeps a value
                    // that contains it whole.
                    b.len()
                        .checked_sub(seg.after_len)
                        .filter(|&at| at >= pos && b[at..] == *seg.after.needle())
                } else {
                    seg.after.find(&b[pos..]).map(|at| pos + at)
                };
                let Some(at) = found else {
                    return Err(format!(
                        "no {:?} after the field at byte {pos}",
                        String::from_utf8_lossy(seg.after.needle())
                    ));
                };
                let v = &line[pos..at];
                pos = at + seg.after_len;
                v
            };
            set(&mut r, seg.var, value)?;
        }
        if pos != b.len() {
            return Err("text after the last field of the log_format".into());
        }
        if r.upgrade == Upgrade::Unknown && self.caps.upgrade {
            r.upgrade = Upgrade::NotAsked;
        }
        Ok(r)
    }
}

fn set<'a>(r: &mut Record<'a>, var: Var, v: &'a str) -> Result<(), String> {
    let dash = v == "-" || v.is_empty();
    match var {
        Var::RemoteAddr => r.client = Cow::Borrowed(v),
        Var::ForwardedFor if !dash => {
            // The client is the first address of the list.
            r.client = Cow::Borrowed(v.split(',').next().unwrap_or(v).trim());
        }
        Var::TimeLocal => {
            r.end = Some(time::time_local(v).ok_or_else(|| format!("bad $time_local {v:?}"))?)
        }
        Var::TimeIso => {
            r.end = Some(time::iso8601(v).ok_or_else(|| format!("bad $time_iso8601 {v:?}"))?)
        }
        Var::Msec => r.end = Some(time::decimal(v).ok_or_else(|| format!("bad $msec {v:?}"))?),
        Var::Request => {
            let (host, path) = split_request(v);
            if !host.is_empty() && r.host.is_empty() {
                r.host = Cow::Borrowed(host);
            }
            if r.path.is_empty() {
                r.path = Cow::Borrowed(path);
            }
        }
        Var::RequestUri | Var::Uri => r.path = Cow::Borrowed(split_uri(v).1),
        Var::Status => {
            r.status = Some(
                v.parse::<u16>()
                    .ok()
                    .filter(|s| (100..1000).contains(s))
                    .ok_or_else(|| format!("bad $status {v:?}"))?,
            )
        }
        Var::RequestTime if !dash => {
            r.lifetime = Some(time::decimal(v).ok_or_else(|| format!("bad $request_time {v:?}"))?)
        }
        Var::UpstreamAddr if !dash => {
            // Retries (`a, b`) and internal redirects (`a : b`): the last one served.
            let last = v.rsplit(", ").next().unwrap_or(v);
            let last = last.rsplit(" : ").next().unwrap_or(last);
            r.upstream = Cow::Borrowed(last.trim());
        }
        Var::Host if !dash => r.host = Cow::Borrowed(v),
        Var::HttpUpgrade => {
            r.upgrade = if v.eq_ignore_ascii_case("websocket") {
                Upgrade::Asked
            } else {
                Upgrade::NotAsked
            }
        }
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::nginx::COMBINED;

    const WS: &str = "$remote_addr - [$time_local] \"$request\" $status $body_bytes_sent rt=$request_time ua=\"$upstream_addr\" up=\"$http_upgrade\" host=$host";

    #[test]
    fn a_custom_format_parses() {
        let f = NginxFormat::compile(WS).unwrap();
        let r = f
            .parse("127.0.0.1 - [01/Dec/2026:10:00:03 +0000] \"GET /ws/?x=1 HTTP/1.1\" 101 0 rt=3.002 ua=\"127.0.0.1:9001\" up=\"websocket\" host=ws.example.com")
            .unwrap();
        assert_eq!(r.status, Some(101));
        assert_eq!(r.lifetime, Some(3.002));
        assert_eq!(r.upstream, "127.0.0.1:9001");
        assert_eq!(r.path, "/ws/");
        assert_eq!(r.host, "ws.example.com");
        assert_eq!(r.upgrade, Upgrade::Asked);
        assert_eq!(r.end, time::iso8601("2026-12-01T10:00:03Z"));
        let caps = f.caps();
        assert!(caps.lifetime && caps.upgrade && caps.upstream && caps.end);
    }

    #[test]
    fn combined_lacks_lifetimes() {
        let f = NginxFormat::compile(COMBINED).unwrap();
        let r = f
            .parse("10.0.0.1 - - [10/Oct/2000:13:55:36 -0700] \"GET /ws/ HTTP/1.1\" 101 0 \"-\" \"Mozilla/5.0 (X11) \\x22q\\x22\"")
            .unwrap();
        assert_eq!(r.status, Some(101));
        assert_eq!(r.upgrade, Upgrade::Unknown);
        assert!(!f.caps().lifetime && !f.caps().upgrade);
        assert!(f.parse("garbage").is_err());
        assert!(f
            .parse("10.0.0.1 - - [xx] \"GET / HTTP/1.1\" 200 0 \"-\" \"-\"")
            .is_err());
    }

    #[test]
    fn upstream_retries_keep_the_last() {
        let f = NginxFormat::compile("$status $upstream_addr").unwrap();
        assert_eq!(
            f.parse("502 10.0.0.1:80, 10.0.0.2:80").unwrap().upstream,
            "10.0.0.2:80"
        );
        assert_eq!(
            f.parse("101 10.0.0.1:80 : 10.0.0.3:81").unwrap().upstream,
            "10.0.0.3:81"
        );
        assert!(NginxFormat::compile("$a$b").is_err());
    }

    proptest::proptest! {
        #[test]
        fn never_panics(line in "\\PC{0,200}") {
            let f = NginxFormat::compile(WS).unwrap();
            let _ = f.parse(&line);
            let c = NginxFormat::compile(COMBINED).unwrap();
            let _ = c.parse(&line);
        }
    }
}
