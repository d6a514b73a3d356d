//! The RFC 6455 opening handshake over HTTP/1.1, written by hand so that every answer,
//! not only a `101`, is captured whole: status, headers, a body snippet, and the time it took.

use super::target::ProbeTarget;
use super::{IoStream, ProbeError};
use crate::model::HandshakeFacts;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::handshake::client::generate_key;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;

/// Larger response heads are refused: a probe reads bounded input.
const MAX_HEAD: usize = 32 * 1024;
const MAX_SNIPPET: usize = 512;
const MAX_HEADERS: usize = 128;

/// Request options that shape the upgrade request.
#[derive(Debug, Clone, Default)]
pub struct RequestOptions {
    pub headers: Vec<(String, String)>,
    pub origin: Option<String>,
    pub subprotocols: Vec<String>,
}

pub struct HandshakeOutcome {
    pub facts: HandshakeFacts,
    /// The connection, upgraded, and any frame bytes that arrived with the response head;
    /// present only for a valid `101`.
    pub upgraded: Option<(IoStream, Vec<u8>)>,
    pub elapsed: Duration,
}

/// Builds the request text; rejects header names or values that would split the request.
pub fn build_request(
    target: &ProbeTarget,
    opts: &RequestOptions,
    key: &str,
) -> Result<String, ProbeError> {
    let mut req = format!(
        "GET {} HTTP/1.1\r\nHost: {}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\
         User-Agent: wsaudit/{}\r\n",
        target.path_and_query,
        target.host_header,
        env!("CARGO_PKG_VERSION")
    );
    let mut extra: Vec<(String, String)> = Vec::new();
    if let Some(o) = &opts.origin {
        extra.push(("Origin".into(), o.clone()));
    }
    if !opts.subprotocols.is_empty() {
        extra.push((
            "Sec-WebSocket-Protocol".into(),
            opts.subprotocols.join(", "),
        ));
    }
    extra.extend(opts.headers.iter().cloned());
    for (name, value) in extra {
        let name_ok = !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
        if !name_ok || value.contains(['\r', '\n']) {
            return Err(ProbeError::InvalidOption(format!(
                "header `{name}` is not a valid HTTP header (name token, value without line breaks)"
            )));
        }
        req.push_str(&format!("{name}: {value}\r\n"));
    }
    req.push_str("\r\n");
    Ok(req)
}

/// Sends the upgrade request and reads the answer, all within `timeout`.
pub async fn upgrade(
    mut stream: IoStream,
    target: &ProbeTarget,
    opts: &RequestOptions,
    timeout: Duration,
) -> Result<HandshakeOutcome, ProbeError> {
    let key = generate_key();
    let request = build_request(target, opts, &key)?;
    let start = Instant::now();
    let deadline = tokio::time::Instant::now() + timeout;
    let mut facts = HandshakeFacts::default();

    if let Err(e) = tokio::time::timeout_at(deadline, stream.write_all(request.as_bytes()))
        .await
        .unwrap_or_else(|_| Err(std::io::ErrorKind::TimedOut.into()))
    {
        facts.error = Some(format!("could not send the upgrade request: {e}"));
        return Ok(HandshakeOutcome {
            facts,
            upgraded: None,
            elapsed: start.elapsed(),
        });
    }

    // Read until the end of the head (CRLF CRLF), the byte limit, EOF or the deadline.
    let mut buf = Vec::with_capacity(4096);
    let head_end = loop {
        if let Some(pos) = find(&buf, b"\r\n\r\n") {
            break Some(pos + 4);
        }
        if buf.len() > MAX_HEAD {
            facts.error = Some(format!("response head larger than {MAX_HEAD} bytes"));
            break None;
        }
        let mut chunk = [0u8; 4096];
        match tokio::time::timeout_at(deadline, stream.read(&mut chunk)).await {
            Err(_) => {
                facts.error = Some(format!(
                    "no complete HTTP response within {} ms",
                    timeout.as_millis()
                ));
                break None;
            }
            Ok(Err(e)) => {
                facts.error = Some(format!("connection failed while reading the answer: {e}"));
                break None;
            }
            Ok(Ok(0)) => {
                facts.error = Some(if buf.is_empty() {
                    "the server closed the connection without answering".into()
                } else {
                    "the server closed the connection in the middle of its answer".into()
                });
                break None;
            }
            Ok(Ok(n)) => buf.extend_from_slice(&chunk[..n]),
        }
    };
    let elapsed = start.elapsed();
    let Some(head_end) = head_end else {
        if !buf.is_empty() {
            facts.body_snippet = Some(snippet(&buf));
        }
        return Ok(HandshakeOutcome {
            facts,
            upgraded: None,
            elapsed,
        });
    };

    let mut raw_headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut resp = httparse::Response::new(&mut raw_headers);
    if let Err(e) = resp.parse(&buf[..head_end]) {
        facts.error = Some(format!("the answer is not HTTP/1.1: {e}"));
        facts.body_snippet = Some(snippet(&buf));
        return Ok(HandshakeOutcome {
            facts,
            upgraded: None,
            elapsed,
        });
    }
    facts.status = resp.code.unwrap_or(0);
    let mut headers: BTreeMap<String, String> = BTreeMap::new();
    for h in resp.headers.iter() {
        let value = String::from_utf8_lossy(h.value).trim().to_string();
        headers
            .entry(h.name.to_ascii_lowercase())
            .and_modify(|v| {
                v.push_str(", ");
                v.push_str(&value);
            })
            .or_insert(value);
    }
    let leftover = buf[head_end..].to_vec();

    if facts.status != 101 {
        let what = match facts.status {
            300..=399 => format!(
                "expected 101 Switching Protocols, got a {} redirect to `{}` (not followed)",
                facts.status,
                headers.get("location").map(String::as_str).unwrap_or("?")
            ),
            s => format!(
                "expected 101 Switching Protocols, got {s} {}",
                resp.reason.unwrap_or("")
            ),
        };
        facts.error = Some(what.trim_end().to_string());
        facts.body_snippet = read_snippet(&mut stream, leftover, &headers, deadline).await;
        facts.headers = headers;
        return Ok(HandshakeOutcome {
            facts,
            upgraded: None,
            elapsed,
        });
    }

    let expected = derive_accept_key(key.as_bytes());
    facts.accept_ok = headers.get("sec-websocket-accept") == Some(&expected);
    facts.subprotocol = headers.get("sec-websocket-protocol").cloned();
    facts.extensions = headers.get("sec-websocket-extensions").cloned();
    let mut problems = Vec::new();
    match headers.get("sec-websocket-accept") {
        None => problems.push("no Sec-WebSocket-Accept header".to_string()),
        Some(got) if *got != expected => problems.push(format!(
            "Sec-WebSocket-Accept is `{got}`, expected `{expected}`"
        )),
        _ => {}
    }
    if !headers
        .get("upgrade")
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"))
    {
        problems.push("the 101 lacks `Upgrade: websocket`".into());
    }
    if !headers.get("connection").is_some_and(|v| {
        v.split(',')
            .any(|t| t.trim().eq_ignore_ascii_case("upgrade"))
    }) {
        problems.push("the 101 lacks `Connection: upgrade`".into());
    }
    if let Some(p) = &facts.subprotocol {
        if !opts.subprotocols.iter().any(|o| o == p) {
            problems.push(format!(
                "the server chose subprotocol `{p}`, which was not offered"
            ));
        }
    }
    if facts.extensions.is_some() {
        // RFC 6455 §9.1: a server must not answer with an extension the client did not offer.
        problems.push("the server answered with extensions although none were offered".into());
    }
    facts.headers = headers;
    if !problems.is_empty() {
        facts.error = Some(problems.join("; "));
    }
    let upgraded = facts.error.is_none().then_some((stream, leftover));
    Ok(HandshakeOutcome {
        facts,
        upgraded,
        elapsed,
    })
}

/// Up to `MAX_SNIPPET` bytes of a non-101 body: what a proxy's error page says is often the
/// fastest diagnosis ("400 Bad Request: the plain HTTP request was sent to HTTPS port").
async fn read_snippet(
    stream: &mut IoStream,
    mut body: Vec<u8>,
    headers: &BTreeMap<String, String>,
    deadline: tokio::time::Instant,
) -> Option<String> {
    let want = headers
        .get("content-length")
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(MAX_SNIPPET)
        .min(MAX_SNIPPET);
    // A short wait: the head is what matters, the body only illustrates it.
    let body_deadline = deadline.min(tokio::time::Instant::now() + Duration::from_secs(2));
    while body.len() < want {
        let mut chunk = [0u8; 1024];
        match tokio::time::timeout_at(body_deadline, stream.read(&mut chunk)).await {
            Ok(Ok(n)) if n > 0 => body.extend_from_slice(&chunk[..n]),
            _ => break,
        }
    }
    (!body.is_empty()).then(|| snippet(&body))
}

fn snippet(bytes: &[u8]) -> String {
    let cut = &bytes[..bytes.len().min(MAX_SNIPPET)];
    String::from_utf8_lossy(cut).trim().to_string()
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_carries_the_rfc6455_headers_and_options() {
        let t = ProbeTarget::parse("ws://example.com:8080/ws/?x=1").unwrap();
        let opts = RequestOptions {
            headers: vec![("X-Trace".into(), "abc".into())],
            origin: Some("https://app.example.com".into()),
            subprotocols: vec!["chat".into(), "v2".into()],
        };
        let r = build_request(&t, &opts, "dGhlIHNhbXBsZSBub25jZQ==").unwrap();
        assert!(r.starts_with("GET /ws/?x=1 HTTP/1.1\r\nHost: example.com:8080\r\n"));
        assert!(r.contains("Sec-WebSocket-Version: 13\r\n"));
        assert!(r.contains("Origin: https://app.example.com\r\n"));
        assert!(r.contains("Sec-WebSocket-Protocol: chat, v2\r\n"));
        assert!(r.contains("X-Trace: abc\r\n"));
        assert!(r.ends_with("\r\n\r\n"));
    }

    #[test]
    fn header_injection_is_refused() {
        let t = ProbeTarget::parse("ws://example.com/").unwrap();
        for (n, v) in [("X-A", "b\r\nEvil: 1"), ("Bad Name", "x"), ("", "x")] {
            let opts = RequestOptions {
                headers: vec![(n.into(), v.into())],
                ..Default::default()
            };
            assert!(build_request(&t, &opts, "k").is_err(), "{n:?} accepted");
        }
    }
}
