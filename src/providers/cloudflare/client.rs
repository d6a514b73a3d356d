//! The HTTP client for the Cloudflare API v4: where the token and base URL come from, how a
//! request is sent, retried and handed to the one envelope decoder.
//!
//! Read-only: this client can only send GET. The token is held in a type whose `Debug` is
//! redacted, goes out only in a sensitive `Authorization` header, and every piece of server
//! text is scrubbed of it before it can reach an error message.

use super::envelope::{decode, Page, AMBIGUOUS_AUTH_CODES};
use super::error::CloudflareError;
use super::message::ApiMessage;
use crate::providers::calls::{CallCounter, RateBudget};
use reqwest::header::{HeaderMap, RETRY_AFTER};
use reqwest::Url;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use std::collections::HashMap;
use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;
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
    /// Token-verify answers by owner (`""` for the user, else the account id): asked at most
    /// once each per run, and only after a refusal that needs it.
    verified: Arc<tokio::sync::Mutex<HashMap<String, TokenCheck>>>,
    /// Counts each call (retries are the same call) as `cloudflare`, `GET /zones/:id/…`.
    counter: Option<CallCounter>,
    /// Spent before every attempt, retries included: Cloudflare counts each request against
    /// the token's limit.
    budget: Option<RateBudget>,
}

/// A list as read: what decoded, and each item that did not.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Listed<T> {
    pub items: Vec<T>,
    pub skipped: Vec<Skipped>,
}

/// One list item that could not be decoded (and so was left out).
#[derive(Debug, Clone, PartialEq)]
pub struct Skipped {
    /// The list it belongs to ("DNS records named ws.example.com in zone example.com").
    pub what: String,
    /// Its position in the whole list, from 0.
    pub index: u32,
    pub id: Option<String>,
    /// Its `name`, when it had one: a skipped item named like the hostname matters.
    pub name: Option<String>,
    pub why: String,
}

impl Skipped {
    /// Whether the skipped item was named `name`.
    pub fn names(&self, name: &str) -> bool {
        self.name
            .as_deref()
            .is_some_and(|n| n.trim().trim_end_matches('.').eq_ignore_ascii_case(name))
    }

    /// The sentence a notice carries.
    pub fn describe(&self) -> String {
        let which = match (&self.id, &self.name) {
            (Some(id), Some(n)) => format!("{n} (id {id})"),
            (Some(id), None) => format!("id {id}"),
            (None, Some(n)) => n.clone(),
            (None, None) => format!("item {}", self.index + 1),
        };
        format!(
            "one entry of {} was skipped, the rest were read: {which} does not have the documented shape ({})",
            self.what, self.why
        )
    }
}

/// What token verify said.
#[derive(Debug, Clone, PartialEq)]
enum TokenCheck {
    Active,
    /// `disabled` or `expired`.
    Status(String),
    /// Verify itself refused the token.
    Invalid(Vec<ApiMessage>),
    /// Verify could not be asked (network, timeout, a body of another shape).
    Failed(String),
}

/// `result` of `GET /user/tokens/verify`: `{"id", "status": "active"|"disabled"|"expired",
/// "not_before"?, "expires_on"?}` (API reference, User → Tokens → Verify Token).
#[derive(Debug, Deserialize)]
struct TokenStatus {
    status: String,
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
            verified: Arc::new(tokio::sync::Mutex::new(HashMap::new())),
            counter: None,
            budget: None,
        })
    }

    /// The same client, counting every call it makes into `counter` (shared by clones).
    pub fn with_counter(mut self, counter: CallCounter) -> Self {
        self.counter = Some(counter);
        self
    }

    /// The same client, waiting on `budget` before every request it sends.
    pub fn with_budget(mut self, budget: RateBudget) -> Self {
        self.budget = Some(budget);
        self
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
        if let Some(c) = &self.counter {
            c.add("cloudflare", &operation(segments));
        }
        let mut attempt: u32 = 0;
        loop {
            attempt += 1;
            if let Some(b) = &self.budget {
                b.take().await;
            }
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

    /// Every page of a list endpoint, in order, asking `per_page` items a page.
    ///
    /// Where the list ends, as the API and cloudflare-go's `pagination.go` tell it:
    /// `result_info.total_pages` when present; else `total_count` / `per_page`; else the
    /// first page shorter than `per_page`. A page that brings only items already seen means
    /// the endpoint ignores `page` (it answered the whole list each time), and ends it too.
    /// Running past `max_pages` is an error, never a silent stop.
    ///
    /// Items are decoded one by one: one that does not fit `T` (a record without `content`)
    /// is skipped and reported in [`Listed::skipped`], and the others are kept.
    pub(crate) async fn get_all<T: DeserializeOwned>(
        &self,
        what: &str,
        segments: &[&str],
        query: &[(&str, String)],
        per_page: u32,
    ) -> Result<Listed<T>, CloudflareError> {
        self.get_all_pages(what, segments, query, per_page, self.options.max_pages)
            .await
    }

    /// [`Self::get_all`] with its own page limit: the inventory lists whole zones, whose
    /// size the per-name lookups of `chain` never see.
    pub(crate) async fn get_all_pages<T: DeserializeOwned>(
        &self,
        what: &str,
        segments: &[&str],
        query: &[(&str, String)],
        per_page: u32,
        max_pages: u32,
    ) -> Result<Listed<T>, CloudflareError> {
        let mut out = Listed {
            items: Vec::new(),
            skipped: Vec::new(),
        };
        let mut seen: std::collections::HashSet<String> = std::collections::HashSet::new();
        for page in 1..=max_pages {
            let mut q = query.to_vec();
            q.push(("page", page.to_string()));
            q.push(("per_page", per_page.to_string()));
            let got: Page<Vec<serde_json::Value>> = self.get(what, segments, &q).await?;
            let n = got.result.len() as u32;
            let mut fresh = 0u32;
            for (i, raw) in got.result.into_iter().enumerate() {
                let id = raw.get("id").and_then(|v| v.as_str()).map(str::to_string);
                if let Some(id) = &id {
                    if !seen.insert(id.clone()) {
                        continue;
                    }
                }
                fresh += 1;
                let name = raw.get("name").and_then(|v| v.as_str()).map(str::to_string);
                match serde_path_to_error::deserialize::<_, T>(raw) {
                    Ok(item) => out.items.push(item),
                    Err(e) => out.skipped.push(Skipped {
                        what: what.to_string(),
                        index: (page - 1) * per_page + i as u32,
                        id,
                        name,
                        why: format!("at `{}`: {}", e.path(), e.inner()),
                    }),
                }
            }
            let info = got.info.unwrap_or_default();
            let per = info.per_page.filter(|p| *p > 0).unwrap_or(per_page);
            let total_pages = info
                .total_pages
                .filter(|t| *t > 0)
                .or_else(|| info.total_count.filter(|c| *c > 0).map(|c| c.div_ceil(per)));
            let last = match total_pages {
                Some(t) => page >= t,
                None => n < per,
            };
            if n == 0 || fresh == 0 || last {
                return Ok(out);
            }
        }
        Err(CloudflareError::Malformed {
            what: what.to_string(),
            message: format!("pagination did not end after {max_pages} pages"),
        })
    }

    /// Turns a refusal that may mean "invalid token" or "valid token without the permission"
    /// (9109, 10000, a 403) into the one it is, by asking the token-verify endpoint (once per
    /// run and token owner: the answer is cached). `permission` is Cloudflare's name for what
    /// this read needs; `account` is where an account-owned token is verified.
    pub(crate) async fn explain_denial(
        &self,
        e: CloudflareError,
        permission: &str,
        account: Option<&str>,
    ) -> CloudflareError {
        let ambiguous = match &e {
            CloudflareError::Forbidden { .. } => true,
            CloudflareError::Unauthorized { errors, .. } => errors
                .iter()
                .flat_map(ApiMessage::codes)
                .any(|c| AMBIGUOUS_AUTH_CODES.contains(&c)),
            _ => false,
        };
        if !ambiguous {
            return e;
        }
        let mut check = self.verify(None).await;
        if let (TokenCheck::Invalid(_), Some(acct)) = (&check, account) {
            // A user-token verify refuses an account-owned token; its own endpoint is
            // under the account.
            let acct_check = self.verify(Some(acct)).await;
            if !matches!(acct_check, TokenCheck::Invalid(_) | TokenCheck::Failed(_)) {
                check = acct_check;
            }
        }
        let (what, status, errors) = match e {
            CloudflareError::Forbidden {
                what,
                status,
                errors,
                ..
            }
            | CloudflareError::Unauthorized {
                what,
                status,
                errors,
                ..
            } => (what, status, errors),
            other => return other,
        };
        match check {
            TokenCheck::Active => CloudflareError::Forbidden {
                what,
                status,
                errors,
                permission: Some(permission.to_string()),
            },
            TokenCheck::Status(s) => CloudflareError::Unauthorized {
                what,
                status,
                errors,
                verified: Some(format!("token verify says the token is {s}")),
            },
            TokenCheck::Invalid(v) => CloudflareError::Unauthorized {
                what,
                status,
                errors,
                verified: Some(format!(
                    "token verify refuses it too ({})",
                    v.iter()
                        .map(ApiMessage::text)
                        .collect::<Vec<_>>()
                        .join("; ")
                )),
            },
            // Verify itself could not be asked: the refusal stays as ambiguous as it was, and
            // says so with the permission it would need.
            TokenCheck::Failed(why) => CloudflareError::Forbidden {
                what,
                status,
                errors,
                permission: None,
            }
            .with_unverified(permission, &why),
        }
    }

    /// `GET /user/tokens/verify` (or `/accounts/{id}/tokens/verify` for an account-owned
    /// token), cached per owner for the life of the client.
    async fn verify(&self, account: Option<&str>) -> TokenCheck {
        let key = account.unwrap_or("").to_string();
        let mut cache = self.verified.lock().await;
        if let Some(c) = cache.get(&key) {
            return c.clone();
        }
        let segments: Vec<&str> = match account {
            None => vec!["user", "tokens", "verify"],
            Some(a) => vec!["accounts", a, "tokens", "verify"],
        };
        let got = self
            .get::<TokenStatus>("token verify", &segments, &[])
            .await;
        let check = match got {
            Ok(p) if p.result.status == "active" => TokenCheck::Active,
            Ok(p) => TokenCheck::Status(p.result.status),
            Err(
                CloudflareError::Unauthorized { errors, .. }
                | CloudflareError::Forbidden { errors, .. }
                | CloudflareError::Api { errors, .. },
            ) => TokenCheck::Invalid(errors),
            Err(e) => TokenCheck::Failed(e.to_string()),
        };
        cache.insert(key, check.clone());
        check
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

/// The call's name for the counter: the path with every id replaced by `:id`, so calls to
/// different zones are one operation (`GET /zones/:id/dns_records`); a setting's or a phase's
/// name stays, since each is its own endpoint.
fn operation(segments: &[&str]) -> String {
    let mut parts = Vec::with_capacity(segments.len());
    let mut prev = "";
    for s in segments {
        let is_id = matches!(prev, "zones" | "accounts" | "pools" | "cfd_tunnel");
        parts.push(if is_id { ":id" } else { s });
        prev = s;
    }
    format!("GET /{}", parts.join("/"))
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
    fn operations_name_the_endpoint_not_the_ids() {
        assert_eq!(operation(&["zones"]), "GET /zones");
        assert_eq!(
            operation(&["zones", "023e", "dns_records"]),
            "GET /zones/:id/dns_records"
        );
        assert_eq!(
            operation(&["accounts", "01a7", "load_balancers", "pools", "17b5"]),
            "GET /accounts/:id/load_balancers/pools/:id"
        );
        assert_eq!(
            operation(&["zones", "z", "settings", "websockets"]),
            "GET /zones/:id/settings/websockets"
        );
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
