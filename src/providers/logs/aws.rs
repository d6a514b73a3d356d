//! ALB and CloudFront access-log lines, in the field orders AWS documents.
//!
//! ALB (Elastic Load Balancing user guide, "Access log entries"): space-separated, quoted
//! fields in double quotes; `type` is `ws`/`wss` for WebSockets, whose `time` is "the time when
//! the connection is closed", so the lifetime is `time − request_creation_time`.
//!
//! CloudFront standard logs (developer guide, "Standard log file fields"): tab-separated, 33
//! fields, `#Version`/`#Fields` header lines; `cs-protocol` is `ws`/`wss` for WebSockets,
//! `date`/`time` are when the connection ended and `time-taken` how long it took. The `#Fields`
//! line is honoured when present, so files with fewer or reordered fields parse too.

use super::record::{split_request, split_uri, Caps, Record, Upgrade};
use super::time;
use std::borrow::Cow;

/// The first fields of an ALB entry, in order, up to `request_creation_time`.
const ALB_TYPE: usize = 0;
const ALB_TIME: usize = 1;
const ALB_CLIENT: usize = 3;
const ALB_TARGET: usize = 4;
const ALB_ELB_STATUS: usize = 8;
const ALB_REQUEST: usize = 12;
const ALB_DOMAIN: usize = 18;
const ALB_CREATED: usize = 21;

pub const ALB_CAPS: Caps = Caps {
    end: true,
    lifetime: true,
    status: true,
    upgrade: true,
    upstream: true,
    path: true,
    client: true,
};

/// Splits an ALB line into its fields: quoted ones without their quotes.
fn alb_fields<'a>(line: &'a str, out: &mut Vec<&'a str>) -> Result<(), String> {
    out.clear();
    let b = line.as_bytes();
    let mut i = 0;
    while i < b.len() && out.len() <= ALB_CREATED {
        if b[i] == b'"' {
            let rest = &line[i + 1..];
            let end = rest.find('"').ok_or("unterminated quoted field")?;
            out.push(&rest[..end]);
            i += end + 2;
        } else {
            let end = line[i..].find(' ').map_or(b.len(), |e| i + e);
            out.push(&line[i..end]);
            i = end;
        }
        if i < b.len() {
            if b[i] != b' ' {
                return Err("fields are not separated by spaces".into());
            }
            i += 1;
        }
    }
    Ok(())
}

fn host_only(addr: &str) -> &str {
    match addr.rsplit_once(':') {
        Some((h, p)) if p.bytes().all(|c| c.is_ascii_digit()) => h.trim_matches(['[', ']']),
        _ => addr,
    }
}

pub fn parse_alb(line: &str) -> Result<Record<'_>, String> {
    let mut f = Vec::with_capacity(24);
    alb_fields(line, &mut f)?;
    if f.len() <= ALB_CREATED {
        return Err(format!(
            "{} fields, an ALB entry has at least {}",
            f.len(),
            ALB_CREATED + 1
        ));
    }
    let kind = f[ALB_TYPE];
    if !matches!(kind, "http" | "https" | "h2" | "grpcs" | "ws" | "wss") {
        return Err(format!("type {kind:?} is not an ALB request type"));
    }
    let end = time::iso8601(f[ALB_TIME]).ok_or("bad time")?;
    let ws = matches!(kind, "ws" | "wss");
    let mut r = Record::empty();
    r.end = Some(end);
    r.upgrade = if ws {
        Upgrade::Asked
    } else {
        Upgrade::NotAsked
    };
    r.status = f[ALB_ELB_STATUS].parse().ok();
    r.client = Cow::Borrowed(host_only(f[ALB_CLIENT]));
    if f[ALB_TARGET] != "-" {
        r.upstream = Cow::Borrowed(f[ALB_TARGET]);
    }
    let (host, path) = split_request(f[ALB_REQUEST]);
    r.host = Cow::Borrowed(if host.is_empty() { f[ALB_DOMAIN] } else { host });
    r.path = Cow::Borrowed(path);
    if let Some(created) = time::iso8601(f[ALB_CREATED]) {
        // For http lines `time` is when the response was sent, so this is the request's
        // duration; for ws lines the connection's lifetime.
        r.lifetime = Some((end - created).max(0.0));
    }
    Ok(r)
}

/// Where each field CloudFront writes sits in a line.
#[derive(Debug, Clone)]
pub struct CloudfrontFields {
    date: usize,
    time: usize,
    status: usize,
    client: usize,
    host: usize,
    uri: usize,
    protocol: usize,
    time_taken: usize,
    edge: usize,
    width: usize,
}

impl Default for CloudfrontFields {
    /// The documented order of the 33 fields.
    fn default() -> Self {
        CloudfrontFields {
            date: 0,
            time: 1,
            edge: 2,
            client: 4,
            uri: 7,
            status: 8,
            host: 15,
            protocol: 16,
            time_taken: 18,
            width: 19,
        }
    }
}

pub const CLOUDFRONT_CAPS: Caps = Caps {
    end: true,
    lifetime: true,
    status: true,
    upgrade: true,
    upstream: false,
    path: true,
    client: true,
};

impl CloudfrontFields {
    /// From a `#Fields: date time …` header.
    pub fn from_header(line: &str) -> Option<CloudfrontFields> {
        let names: Vec<&str> = line.strip_prefix("#Fields:")?.split_whitespace().collect();
        let at = |n: &str| names.iter().position(|x| *x == n);
        let f = CloudfrontFields {
            date: at("date")?,
            time: at("time")?,
            status: at("sc-status")?,
            client: at("c-ip")?,
            host: at("x-host-header").or_else(|| at("cs(Host)"))?,
            uri: at("cs-uri-stem")?,
            protocol: at("cs-protocol")?,
            time_taken: at("time-taken")?,
            edge: at("x-edge-location")?,
            width: 0,
        };
        let width = [
            f.date,
            f.time,
            f.status,
            f.client,
            f.host,
            f.uri,
            f.protocol,
            f.time_taken,
            f.edge,
        ]
        .into_iter()
        .max()?
            + 1;
        Some(CloudfrontFields { width, ..f })
    }

    pub fn parse<'a>(&self, line: &'a str) -> Result<Record<'a>, String> {
        let f: Vec<&str> = line.split('\t').collect();
        if f.len() < self.width {
            return Err(format!(
                "{} tab-separated fields, a CloudFront entry has at least {}",
                f.len(),
                self.width
            ));
        }
        let end = time::date_and_time(f[self.date], f[self.time]).ok_or("bad date/time")?;
        let mut r = Record::empty();
        r.end = Some(end);
        let proto = f[self.protocol];
        if !matches!(proto, "http" | "https" | "ws" | "wss") {
            return Err(format!(
                "cs-protocol {proto:?} is not a CloudFront protocol"
            ));
        }
        r.upgrade = if matches!(proto, "ws" | "wss") {
            Upgrade::Asked
        } else {
            Upgrade::NotAsked
        };
        // `000`: the viewer closed the connection before the response.
        r.status = f[self.status].parse().ok().filter(|s| *s >= 100);
        r.client = Cow::Borrowed(f[self.client]);
        r.host = Cow::Borrowed(f[self.host]);
        r.path = Cow::Borrowed(split_uri(f[self.uri]).1);
        r.lifetime = time::decimal(f[self.time_taken]);
        // The edge location that served it: CloudFront logs no origin address.
        let _ = f[self.edge];
        Ok(r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// AWS's documentation example of a WebSocket entry.
    pub const ALB_WS: &str = "ws 2018-07-02T22:23:00.186641Z app/my-loadbalancer/50dc6c495c0c9188 10.0.0.140:40914 10.0.1.192:8010 0.001 0.003 0.000 101 101 218 587 \"GET http://10.0.0.30:80/ HTTP/1.1\" \"-\" - - arn:aws:elasticloadbalancing:us-west-2:123456789012:targetgroup/my-targets/73e2d6bc24d8a067 \"Root=1-58337364-23a8c76965a2ef7629b185e3\" \"-\" \"-\" 1 2018-07-02T22:22:48.364000Z \"forward\" \"-\" \"-\" \"10.0.1.192:8010\" \"101\" \"-\" \"-\"";

    #[test]
    fn the_documented_alb_ws_entry() {
        let r = parse_alb(ALB_WS).unwrap();
        assert_eq!(r.status, Some(101));
        assert_eq!(r.upgrade, Upgrade::Asked);
        assert_eq!(r.upstream, "10.0.1.192:8010");
        assert_eq!(r.client, "10.0.0.140");
        assert_eq!(r.host, "10.0.0.30");
        assert_eq!(r.path, "/");
        assert!((r.lifetime.unwrap() - 11.822641).abs() < 1e-6);
        assert!(parse_alb("ws nope").is_err());
    }

    #[test]
    fn cloudfront_header_and_default_agree() {
        let header = "#Fields: date time x-edge-location sc-bytes c-ip cs-method cs(Host) cs-uri-stem sc-status cs(Referer) cs(User-Agent) cs-uri-query cs(Cookie) x-edge-result-type x-edge-request-id x-host-header cs-protocol cs-bytes time-taken x-forwarded-for ssl-protocol ssl-cipher x-edge-response-result-type cs-protocol-version fle-status fle-encrypted-fields c-port time-to-first-byte x-edge-detailed-result-type sc-content-type sc-content-len sc-range-start sc-range-end";
        let f = CloudfrontFields::from_header(header).unwrap();
        let line = "2019-12-04\t21:02:31\tLAX1\t392\t192.0.2.100\tGET\td111111abcdef8.cloudfront.net\t/ws\t101\t-\tMozilla\t-\t-\tMiss\tid==\tws.example.com\twss\t157\t100.002\t-\tTLSv1.3\tTLS_AES_128_GCM_SHA256\tMiss\tHTTP/1.1\t-\t-\t11040\t0.001\tMiss\t-\t-\t-\t-";
        let a = f.parse(line).unwrap();
        let b = CloudfrontFields::default().parse(line).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.lifetime, Some(100.002));
        assert_eq!(a.upgrade, Upgrade::Asked);
        assert_eq!(a.host, "ws.example.com");
    }

    proptest::proptest! {
        #[test]
        fn never_panic(line in "\\PC{0,300}") {
            let _ = parse_alb(&line);
            let _ = CloudfrontFields::default().parse(&line);
        }

        #[test]
        fn alb_lines_with_any_quoted_text_parse(ua in "[ -!#-~]{0,40}") {
            let line = ALB_WS.replacen("\"-\"", &format!("\"{ua}\""), 1);
            proptest::prop_assert!(parse_alb(&line).is_ok());
        }
    }
}
