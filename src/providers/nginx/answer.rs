//! What a location does with a WebSocket handshake when it does not proxy it: nginx's own
//! answer (a `return`, a redirect, a 404 for a path that is no file), or where it sends the
//! request on (`try_files` and `error_page` to a named location or another URI).
//!
//! wsaudit cannot see the disk. A WebSocket path (`/ws/`, `/cable`) is an endpoint, not a
//! file, so `try_files` candidates and static `root`/`alias` lookups are taken not to match it;
//! every answer built on that says so, so a reader knows which part is an assumption.

use super::scope::Scope;
use super::tree::Dir;
use super::upstream::PASS_DIRECTIVES;

/// Where a location sends a handshake it does not answer or proxy itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Onward {
    /// `@name`: the named location, with the URI unchanged.
    Named(String),
    /// A URI: nginx searches the locations again with it (query string dropped).
    Uri(String),
}

/// What the content phase of a location that has no `*_pass` does with the handshake.
#[derive(Debug, Clone)]
pub enum Content<'a> {
    /// `try_files … @name` or `try_files … /uri`: the request goes on from there.
    Onward { by: Dir<'a>, to: Onward },
    /// nginx answers: the status (for `error_page`) and, in words, what the client gets.
    Answers {
        by: Dir<'a>,
        status: u16,
        words: String,
    },
}

const NOT_A_FILE: &str = "wsaudit cannot see the disk and takes a WebSocket path not to be a file";

/// The content phase of a location without a `*_pass` of its own (`anchor` is the location,
/// or the server when no location matched).
pub fn content<'a>(level: &[Dir<'a>], anchor: Dir<'a>) -> Content<'a> {
    if let Some(tf) = level.iter().find(|d| d.name() == "try_files").copied() {
        let args: Vec<&str> = tf.args().collect();
        let last = args.last().copied().unwrap_or("");
        let written = format!("try_files {}", args.join(" "));
        if let Some(code) = last.strip_prefix('=') {
            let status = code.parse().unwrap_or(404);
            return Content::Answers {
                by: tf,
                status,
                words: format!(
                    "{written}: no candidate is a file for the handshake ({NOT_A_FILE}), so nginx answers {status}"
                ),
            };
        }
        let to = match last.strip_prefix('@') {
            Some(_) => Onward::Named(last.to_string()),
            None => Onward::Uri(last.split('?').next().unwrap_or("").to_string()),
        };
        return Content::Onward { by: tf, to };
    }
    let words = if anchor.name() == "server" {
        format!("no location matches: nginx serves the path from root as a file and answers 404 ({NOT_A_FILE})")
    } else {
        let from = level
            .iter()
            .find(|d| matches!(d.name(), "root" | "alias"))
            .map_or("root".to_string(), |d| {
                format!("{} {}", d.name(), d.args().collect::<Vec<_>>().join(" "))
            });
        format!(
            "location (no proxy_pass) serves files from {from}: nginx answers 404 ({NOT_A_FILE})"
        )
    };
    Content::Answers {
        by: anchor,
        status: 404,
        words,
    }
}

/// Whether a level has a `*_pass` of its own.
pub fn passes(level: &[Dir<'_>]) -> bool {
    level.iter().any(|d| PASS_DIRECTIVES.contains(&d.name()))
}

/// What a `return` or a redirecting `rewrite` sends the client, in words, and the status
/// an `error_page` would catch (None when nothing can catch it: a redirect, 444, a body).
pub fn stop_words(d: Dir<'_>) -> (String, Option<u16>) {
    let args: Vec<&str> = d.args().collect();
    if d.name() == "rewrite" {
        let (code, how) = if args.get(2) == Some(&"permanent") {
            (301, "permanent")
        } else {
            (302, "temporary")
        };
        let to = args.get(1).copied().unwrap_or("");
        return (
            format!("nginx answers {code} (a {how} redirect to {to}; WebSocket clients do not follow redirects)"),
            None,
        );
    }
    let first = args.first().copied().unwrap_or("");
    let Ok(code) = first.parse::<u16>() else {
        return (
            format!("nginx answers 302 (a redirect to {first}; WebSocket clients do not follow redirects)"),
            None,
        );
    };
    let rest = args.get(1).copied();
    match code {
        444 => (
            "nginx closes the connection without sending any response".to_string(),
            None,
        ),
        301 | 302 | 303 | 307 | 308 => (
            format!(
                "nginx answers {code} (a redirect to {}; WebSocket clients do not follow redirects)",
                rest.unwrap_or("the URL given")
            ),
            None,
        ),
        _ if rest.is_some() => (
            format!("nginx answers {code} with the text given, never 101"),
            None,
        ),
        _ if code >= 400 => (format!("nginx answers {code}"), Some(code)),
        _ => (format!("nginx answers {code}, never 101"), None),
    }
}

/// Whether a `return` or a redirecting `rewrite` sends the client to an `https://` URL: the
/// "force https" answer a cleartext handshake gets.
pub fn redirects_to_https(d: Dir<'_>) -> bool {
    let to = match d.name() {
        "rewrite" => d.arg(1),
        _ => d.args().find(|a| a.parse::<u16>().is_err()),
    };
    to.is_some_and(|t| t.starts_with("https://"))
}

/// The `error_page` that catches `status` for this scope (the nearest level that has any,
/// as nginx inherits them), and where it sends the request.
pub fn error_page<'a>(scope: &Scope<'_, 'a>, status: u16) -> Option<(Dir<'a>, Onward)> {
    let (pages, _) = scope.array("error_page")?;
    let code = status.to_string();
    pages.into_iter().find_map(|d| {
        let args: Vec<&str> = d.args().collect();
        let (&to, codes) = args.split_last()?;
        let codes: Vec<&str> = codes
            .iter()
            .copied()
            .filter(|c| !c.starts_with('='))
            .collect();
        if !codes.contains(&code.as_str()) {
            return None;
        }
        let onward = match to.strip_prefix('@') {
            Some(_) => Onward::Named(to.to_string()),
            // A full URL is a redirect to the client, not an internal one.
            None if to.contains("://") || to.starts_with("$scheme") => return None,
            None => Onward::Uri(to.split('?').next().unwrap_or("").to_string()),
        };
        Some((d, onward))
    })
}

/// `try_files $uri @app` at `file:line`, for the notes the commands print.
pub fn written(d: Dir<'_>) -> String {
    std::iter::once(d.name())
        .chain(d.args())
        .collect::<Vec<_>>()
        .join(" ")
}
