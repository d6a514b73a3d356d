//! The HTTP client for the Cloudflare API v4: where the token and base URL come from, how a
//! request is sent, retried and handed to the one envelope decoder.
//!
//! Read-only: this client can only send GET. The token is held in a type whose `Debug` is
//! redacted, goes out only in a sensitive `Authorization` header, and every piece of server
//! text is scrubbed of it before it can reach an error message.

use super::envelope::{decode, Page};
use super::error::CloudflareError;
use reqwest::header::{HeaderMap, RETRY_AFTER};
use reqwest::Url;
use serde::de::DeserializeOwned;
use std::fmt;
use std::net::IpAddr;
use std::time::Duration;

/// The only place the token is read from (DESIGN §1: credentials never come from argv).
pub const TOKEN_ENV: &str = "CLOUDFLARE_API_TOKEN";
/// Overrides the API base; tests point it at a loopback server.
pub const API_URL_ENV: &str = "WSAUDIT_CLOUDFLARE_API_URL";
pub const DEFAULT_API_URL: &str = "https://api.cloudflare.com/client/v4";

/// A body larger than this is not an API answer wsaudit asked for; reading stops there so a
/// misbehaving endpoint cannot exhaust memory.
const MAX_BODY_BYTES: usize = 8 * 1024 * 1024;

/// How patient the client is. The defaults keep one provider from holding up a whole
/// `wsaudit chain` run for more than a few tens of seconds.
#[derive(Debug, Clone, PartialEq)]
pub struct ClientOptions {
    /// Per HTTP request, connect to last byte.
    pub request_timeout: Duration,
    /// Attempts per request when the answer is 429 or 5xx (the first try included).
    pub max_attempts: u32,
    /// A `Retry-After` longer than this is not waited for: the request fails as throttled.
    pub max_retry_wait: Duration,
    /// First pause after a 5xx or a 429 without `Retry-After`; doubled on each retry.
    pub backoff: Duration,
    /// List endpoints are followed for at most this many pages.
    pub max_pages: u32,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            request_timeout: Duration::from_secs(10),
            max_attempts: 3,
            max_retry_wait: Duration::from_secs(10),
            backoff: Duration::from_millis(500),
            max_pages: 20,
        }
    }
}

/// The API token. Deliberately not `Display`, and `Debug` prints nothing of it.
#[derive(Clone)]
struct ApiToken(String);

impl fmt::Debug for ApiToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiToken([redacted])")
    }
}

#[derive(Clone)]
pub struct CloudflareClient {
    http: reqwest::Client,
    base: Url,
    token: Option<ApiToken>,
    options: ClientOptions,
}

/// Written by hand so a `{:?}` of the client (or of anything holding it) never shows the token.
impl fmt::Debug for CloudflareClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CloudflareClient")
            .field("base", &self.base.as_str())
            .field(
                "token",
                &if self.token.is_some() {
                    "[redacted]"
                } else {
                    "<none>"
                },
            )
            .field("options", &self.options)
            .finish()
    }
}

impl CloudflareClient {
    /// Takes `CLOUDFLARE_API_TOKEN` and `WSAUDIT_CLOUDFLARE_API_URL` from `lookup`: the
    /// commands pass the process environment, tests a map, so none mutates the environment.
    /// No token is not an error: the client then reports "not consulted".
    pub fn from_lookup(
        lookup: impl Fn(&str) -> Option<String>,
        options: ClientOptions,
    ) -> Result<Self, CloudflareError> {
        let base = lookup(API_URL_ENV).filter(|s| !s.trim().is_empty());
        Self::new(lookup(TOKEN_ENV), base.as_deref(), options)
    }

    /// `token`: `None` or blank means not configured. `base_url`: `None` means the public API.
    pub fn new(
        token: Option<String>,
        base_url: Option<&str>,
        options: ClientOptions,
    ) -> Result<Self, CloudflareError> {
        // A token pasted from a file often ends in a newline; it is never meaningful.
        let token = token
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty());
        if let Some(t) = &token {
            if !t.chars().all(|c| c.is_ascii_graphic()) {
                // The token itself is not repeated: the message says what is wrong with it.
                return Err(CloudflareError::Config(format!(
                    "{TOKEN_ENV} contains characters that cannot be sent in an HTTP header"
                )));
            }
        }
        let base = parse_base(base_url.unwrap_or(DEFAULT_API_URL))?;
        let mut builder = reqwest::Client::builder();
        if base.scheme() == "http" {
            // Clear text is allowed only to loopback (see `parse_base`); an HTTP_PROXY from
            // the environment must not carry the token off this machine in the clear.
            builder = builder.no_proxy();
        }
        let http = builder
            .timeout(options.request_timeout)
            .connect_timeout(options.request_timeout)
            .user_agent(concat!("wsaudit/", env!("CARGO_PKG_VERSION")))
            // Redirects would re-send the Authorization header to wherever they point.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| CloudflareError::Config(format!("cannot build the HTTP client: {e}")))?;
        Ok(CloudflareClient {
            http,
            base,
            token: token.map(ApiToken),
            options,
        })
    }

    /// Whether a token is set, i.e. whether Cloudflare will be consulted at all.
    pub fn is_configured(&self) -> bool {
        self.token.is_some()
    }

    pub fn base_url(&self) -> &str {
        self.base.as_str()
    }

    pub fn options(&self) -> &ClientOptions {
        &self.options
    }

    /// Replaces every occurrence of the token in text that came from outside.
    pub(crate) fn redact(&self, text: &str) -> String {
        match &self.token {
            Some(t) => text.replace(t.0.as_str(), "[redacted]"),
            None => text.to_string(),
        }
    }

    /// One GET of `segments` (path segments under the base, each percent-encoded, so an id
    /// from an API answer cannot climb out of its place in the path).
    pub(crate) async fn get<T: DeserializeOwned>(
        &self,
        what: &str,
        segments: &[&str],
        query: &[(&str, String)],
    ) -> Result<Page<T>, CloudflareError> {
        let token = self.token.as_ref().ok_or_else(|| {
            CloudflareError::Config(format!("{TOKEN_ENV} is not set; Cloudflare not consulted"))
        })?;
        let mut url = self.base.clone();
        url.path_segments_mut()
            .map_err(|_| CloudflareError::Config("the API base URL cannot take a path".into()))?
            .pop_if_empty()
            .extend(segments);
        let mut attempt: u32 = 0;
        loop {
            attempt += 1;
            let sent = self
                .http
                .get(url.clone())
                .query(query)
                .bearer_auth(&token.0)
                .header("Accept", "application/json")
                .send()
                .await;
            let resp = match sent {
                Ok(r) => r,
                Err(e) => return Err(self.transport_error(what, &e)),
            };
            let status = resp.status().as_u16();
            if status == 429 {
                let retry_after = parse_retry_after(resp.headers());
                let wait = retry_after.unwrap_or_else(|| self.backoff(attempt));
                if attempt >= self.options.max_attempts || wait > self.options.max_retry_wait {
                    return Err(CloudflareError::RateLimited {
                        what: what.to_string(),
                        attempts: attempt,
                        retry_after,
                    });
                }
                tokio::time::sleep(wait).await;
                continue;
            }
            if status >= 500 && attempt < self.options.max_attempts {
                tokio::time::sleep(self.backoff(attempt)).await;
                continue;
            }
            let body = self.read_body(what, resp).await?;
            return decode(what, status, &self.redact(&body));
        }
    }

    /// Every page of a list endpoint, in order. `result_info.total_pages` says when to stop;
    /// an answer without it is a single page.
    pub(crate) async fn get_all<T: DeserializeOwned>(
        &self,
        what: &str,
        segments: &[&str],
        query: &[(&str, String)],
    ) -> Result<Vec<T>, CloudflareError> {
        let mut all = Vec::new();
        for page in 1..=self.options.max_pages {
            let mut q = query.to_vec();
            q.push(("page", page.to_string()));
            let got: Page<Vec<T>> = self.get(what, segments, &q).await?;
            let n = got.result.len();
            all.extend(got.result);
            let total = got.info.as_ref().and_then(|i| i.total_pages).unwrap_or(1);
            if n == 0 || page >= total {
                return Ok(all);
            }
        }
        Err(CloudflareError::Malformed {
            what: what.to_string(),
            message: format!(
                "pagination did not end after {} pages",
                self.options.max_pages
            ),
        })
    }

    fn backoff(&self, attempt: u32) -> Duration {
        self.options
            .backoff
            .saturating_mul(1u32 << attempt.saturating_sub(1).min(6))
    }

    async fn read_body(
        &self,
        what: &str,
        mut resp: reqwest::Response,
    ) -> Result<String, CloudflareError> {
        let mut buf: Vec<u8> = Vec::new();
        loop {
            match resp.chunk().await {
                Ok(Some(chunk)) => {
                    if buf.len() + chunk.len() > MAX_BODY_BYTES {
                        return Err(CloudflareError::Malformed {
                            what: what.to_string(),
                            message: format!("body larger than {MAX_BODY_BYTES} bytes"),
                        });
                    }
                    buf.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(e) => return Err(self.transport_error(what, &e)),
            }
        }
        Ok(String::from_utf8_lossy(&buf).into_owned())
    }

    fn transport_error(&self, what: &str, e: &reqwest::Error) -> CloudflareError {
        if e.is_timeout() {
            return CloudflareError::Timeout {
                what: what.to_string(),
                after: self.options.request_timeout,
            };
        }
        // reqwest's top-level message is generic ("error sending request"); the cause chain
        // says "connection refused" or "dns error", which is what an operator needs.
        let mut message = e.to_string();
        let mut source = std::error::Error::source(e);
        while let Some(s) = source {
            message.push_str(": ");
            message.push_str(&s.to_string());
            source = s.source();
        }
        CloudflareError::Network {
            what: what.to_string(),
            message: self.redact(&message),
        }
    }
}

/// `Retry-After` in delta-seconds, the form Cloudflare's API sends. An HTTP-date is not
/// interpreted (the client falls back to its own backoff).
fn parse_retry_after(headers: &HeaderMap) -> Option<Duration> {
    let v = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    v.parse::<u64>().ok().map(Duration::from_secs)
}

fn parse_base(text: &str) -> Result<Url, CloudflareError> {
    let url = Url::parse(text.trim()).map_err(|e| {
        CloudflareError::Config(format!("{API_URL_ENV} is not a URL ({e}): {text:?}"))
    })?;
    match url.scheme() {
        "https" => {}
        // Plain HTTP would send the bearer token in clear text; it is allowed only to this
        // machine, which is what tests and local API stubs need.
        "http" if is_loopback(&url) => {}
        "http" => {
            return Err(CloudflareError::Config(format!(
                "{API_URL_ENV} uses http:// to a non-loopback host; the API token would travel \
                 unencrypted (use https://)"
            )))
        }
        other => {
            return Err(CloudflareError::Config(format!(
                "{API_URL_ENV} must be an http(s) URL, not {other}://"
            )))
        }
    }
    if url.cannot_be_a_base() {
        return Err(CloudflareError::Config(format!(
            "{API_URL_ENV} cannot be used as a base URL"
        )));
    }
    Ok(url)
}

fn is_loopback(url: &Url) -> bool {
    let host = url.host_str().unwrap_or("");
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_token_means_not_configured() {
        let c = CloudflareClient::new(Some(" \n".into()), None, ClientOptions::default()).unwrap();
        assert!(!c.is_configured());
        assert_eq!(c.base_url(), "https://api.cloudflare.com/client/v4");
    }

    #[test]
    fn clear_text_is_only_allowed_to_loopback() {
        let ok = |u: &str| CloudflareClient::new(None, Some(u), ClientOptions::default()).is_ok();
        assert!(ok("http://127.0.0.1:8080/client/v4"));
        assert!(ok("http://[::1]:8080/"));
        assert!(ok("http://localhost:1/"));
        assert!(!ok("http://api.example.com/client/v4"));
        assert!(!ok("ftp://127.0.0.1/"));
        assert!(!ok("not a url"));
    }

    #[test]
    fn debug_and_errors_never_show_the_token() {
        let token = "tok-SECRET-0123456789abcdef";
        let c = CloudflareClient::new(Some(token.into()), None, ClientOptions::default()).unwrap();
        let dump = format!("{c:?} {:#?}", c);
        assert!(!dump.contains(token), "{dump}");
        assert!(dump.contains("[redacted]"));
        assert_eq!(
            c.redact(&format!("bad token {token}!")),
            "bad token [redacted]!"
        );
        let err = CloudflareClient::new(Some("a\u{7f}b".into()), None, ClientOptions::default())
            .unwrap_err();
        assert!(!err.to_string().contains("a\u{7f}b"));
    }

    #[test]
    fn retry_after_is_read_in_seconds() {
        let mut h = HeaderMap::new();
        h.insert(RETRY_AFTER, "7".parse().unwrap());
        assert_eq!(parse_retry_after(&h), Some(Duration::from_secs(7)));
        h.insert(
            RETRY_AFTER,
            "Wed, 21 Oct 2026 07:28:00 GMT".parse().unwrap(),
        );
        assert_eq!(parse_retry_after(&h), None);
    }
}
