//! A loopback HTTP proxy between the SDK and the emulator that injects faults: throttling,
//! access denied, 500s, delays, garbage, or a canned answer for an API the emulator lacks.
//! Every request is forwarded unchanged unless a rule matches it; matches are counted so a
//! test can assert that retries happened.

use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

#[derive(Clone)]
pub enum Fault {
    /// 400 with an AWS `Throttling` error document.
    Throttle,
    /// 403 `AccessDenied`.
    AccessDenied,
    /// 500 with a non-XML body.
    ServerError,
    /// Waits, then forwards.
    Delay(Duration),
    /// 200 with a body that is not XML.
    Garbage,
    /// A canned answer.
    Respond { status: u16, body: String },
}

pub struct Rule {
    /// Matches the Query API `Action=` parameter, or a substring of the REST path.
    pub pattern: String,
    pub fault: Fault,
    /// How many matching requests get the fault; `None`: all of them.
    pub times: Option<usize>,
    /// Only requests whose raw bytes (headers and body) contain this: one account's
    /// `AssumeRole` (its role ARN is in the body), one region's calls (the signature's scope).
    pub containing: Option<String>,
}

impl Rule {
    pub fn always(pattern: &str, fault: Fault) -> Rule {
        Rule {
            pattern: pattern.into(),
            fault,
            times: None,
            containing: None,
        }
    }

    pub fn first(n: usize, pattern: &str, fault: Fault) -> Rule {
        Rule {
            pattern: pattern.into(),
            fault,
            times: Some(n),
            containing: None,
        }
    }

    /// Every request matching `pattern` whose bytes contain `text`.
    pub fn when(pattern: &str, text: &str, fault: Fault) -> Rule {
        Rule {
            containing: Some(text.into()),
            ..Rule::always(pattern, fault)
        }
    }
}

struct State {
    rules: Vec<(Rule, usize)>,
    /// Every request seen: the Query action or `METHOD path`.
    seen: Vec<String>,
}

pub struct Proxy {
    pub url: String,
    state: Arc<Mutex<State>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Proxy {
    pub async fn start(upstream: &str, rules: Vec<Rule>) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let upstream = upstream
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_string();
        let state = Arc::new(Mutex::new(State {
            rules: rules.into_iter().map(|r| (r, 0)).collect(),
            seen: Vec::new(),
        }));
        let st = state.clone();
        let task = tokio::spawn(async move {
            while let Ok((sock, _)) = listener.accept().await {
                let st = st.clone();
                let upstream = upstream.clone();
                tokio::spawn(async move {
                    let _ = serve(sock, &upstream, st).await;
                });
            }
        });
        Proxy { url, state, task }
    }

    /// How many requests matched `pattern` (faulted or not).
    pub fn count(&self, pattern: &str) -> usize {
        let st = self.state.lock().expect("lock");
        st.seen.iter().filter(|s| matches(pattern, s)).count()
    }
}

fn matches(pattern: &str, key: &str) -> bool {
    key == pattern || (pattern.starts_with('/') && key.contains(pattern))
}

async fn read_request(sock: &mut TcpStream) -> std::io::Result<Option<Vec<u8>>> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        if let Some(end) = find(&buf, b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
            let len: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0);
            if buf.len() >= end + 4 + len {
                return Ok(Some(buf));
            }
        }
        let n = sock.read(&mut chunk).await?;
        if n == 0 {
            return Ok(None);
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// `DescribeRules` for Query APIs, `GET /2020-05-31/distribution` for REST ones.
fn request_key(req: &[u8]) -> String {
    let text = String::from_utf8_lossy(req);
    let body = text.split("\r\n\r\n").nth(1).unwrap_or("");
    if let Some(a) = body.split('&').find_map(|kv| kv.strip_prefix("Action=")) {
        return a.to_string();
    }
    let first = text.lines().next().unwrap_or("");
    let mut parts = first.split(' ');
    let method = parts.next().unwrap_or("");
    let path = parts.next().unwrap_or("").split('?').next().unwrap_or("");
    format!("{method} {path}")
}

fn error_doc(code: &str, message: &str) -> String {
    format!(
        "<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>wsaudit-test</RequestId></ErrorResponse>"
    )
}

fn response(status: u16, content_type: &str, body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 {status} X\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nx-amzn-RequestId: wsaudit-test\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

async fn serve(mut sock: TcpStream, upstream: &str, st: Arc<Mutex<State>>) -> std::io::Result<()> {
    let Some(req) = read_request(&mut sock).await? else {
        return Ok(());
    };
    let key = request_key(&req);
    let raw = String::from_utf8_lossy(&req).into_owned();
    let fault = {
        let mut s = st.lock().expect("lock");
        s.seen.push(key.clone());
        s.rules.iter_mut().find_map(|(rule, used)| {
            if matches(&rule.pattern, &key)
                && rule.times.is_none_or(|t| *used < t)
                && rule
                    .containing
                    .as_ref()
                    .is_none_or(|c| raw.contains(c.as_str()))
            {
                *used += 1;
                Some(rule.fault.clone())
            } else {
                None
            }
        })
    };
    let reply = match fault {
        Some(Fault::Throttle) => {
            response(400, "text/xml", &error_doc("Throttling", "Rate exceeded"))
        }
        Some(Fault::AccessDenied) => response(
            403,
            "text/xml",
            &error_doc(
                "AccessDenied",
                "User is not authorized to perform this action",
            ),
        ),
        Some(Fault::ServerError) => response(500, "text/plain", "upstream exploded"),
        Some(Fault::Garbage) => response(200, "text/xml", "\u{1}\u{2}not xml at all {{{"),
        Some(Fault::Respond { status, body }) => response(status, "text/xml", &body),
        Some(Fault::Delay(d)) => {
            tokio::time::sleep(d).await;
            forward(&req, upstream).await?
        }
        None => forward(&req, upstream).await?,
    };
    sock.write_all(&reply).await?;
    sock.shutdown().await
}

/// Sends the request to the emulator on a fresh connection and returns its answer with
/// `Connection: close`, since this proxy serves one request per connection.
async fn forward(req: &[u8], upstream: &str) -> std::io::Result<Vec<u8>> {
    let end = find(req, b"\r\n\r\n").unwrap_or(req.len());
    let head = String::from_utf8_lossy(&req[..end]);
    let mut out = String::new();
    for line in head.split("\r\n") {
        let l = line.to_ascii_lowercase();
        if l.starts_with("connection:") || l.starts_with("keep-alive:") {
            continue;
        }
        out.push_str(line);
        out.push_str("\r\n");
    }
    out.push_str("Connection: close\r\n\r\n");
    let mut up = TcpStream::connect(upstream).await?;
    up.write_all(out.as_bytes()).await?;
    up.write_all(&req[(end + 4).min(req.len())..]).await?;
    let mut resp = Vec::new();
    up.read_to_end(&mut resp).await?;
    let rend = find(&resp, b"\r\n\r\n").unwrap_or(resp.len());
    let rhead = String::from_utf8_lossy(&resp[..rend]);
    let mut fixed = String::new();
    for line in rhead.split("\r\n") {
        if line.to_ascii_lowercase().starts_with("connection:") {
            continue;
        }
        fixed.push_str(line);
        fixed.push_str("\r\n");
    }
    fixed.push_str("Connection: close\r\n\r\n");
    let mut bytes = fixed.into_bytes();
    bytes.extend_from_slice(&resp[(rend + 4).min(resp.len())..]);
    Ok(bytes)
}
