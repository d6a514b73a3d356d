//! Which format a log is in (told from its first lines, or given), and the parser for it.

use super::aws::{self, CloudfrontFields};
use super::cloudflare;
use super::nginx::NginxFormat;
use super::record::{Caps, Record};
use std::sync::Arc;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogKind {
    Nginx,
    Alb,
    Cloudfront,
    Cloudflare,
}

impl LogKind {
    pub fn as_str(self) -> &'static str {
        match self {
            LogKind::Nginx => "nginx",
            LogKind::Alb => "alb",
            LogKind::Cloudfront => "cloudfront",
            LogKind::Cloudflare => "cloudflare",
        }
    }
}

/// A parser for one source: lines in, records out.
#[derive(Debug, Clone)]
pub enum Parser {
    Nginx(Arc<NginxFormat>),
    Alb,
    Cloudfront(CloudfrontFields),
    Cloudflare,
}

impl Parser {
    pub fn kind(&self) -> LogKind {
        match self {
            Parser::Nginx(_) => LogKind::Nginx,
            Parser::Alb => LogKind::Alb,
            Parser::Cloudfront(_) => LogKind::Cloudfront,
            Parser::Cloudflare => LogKind::Cloudflare,
        }
    }

    pub fn caps(&self) -> Caps {
        match self {
            Parser::Nginx(f) => f.caps(),
            Parser::Alb => aws::ALB_CAPS,
            Parser::Cloudfront(_) => aws::CLOUDFRONT_CAPS,
            Parser::Cloudflare => cloudflare::CAPS,
        }
    }

    /// `Ok(None)` for lines that carry no request (CloudFront's `#` headers, blank lines).
    pub fn parse<'a>(&self, line: &'a str) -> Result<Option<Record<'a>>, String> {
        if line.trim().is_empty() {
            return Ok(None);
        }
        match self {
            Parser::Nginx(f) => f.parse(line).map(Some),
            Parser::Alb => aws::parse_alb(line).map(Some),
            Parser::Cloudfront(f) => {
                if line.starts_with('#') {
                    return Ok(None);
                }
                f.parse(line).map(Some)
            }
            Parser::Cloudflare => cloudflare::parse(line).map(Some),
        }
    }
}

/// The lines detection looks at.
pub const SAMPLE_LINES: usize = 50;

/// Picks the format the sample's lines parse in: the one that parses most of them (`forced`
/// limits the choice to one). The nginx candidate uses `nginx`, the format read from the
/// configuration (or `combined`). Errors with why the sample is not a log of any of them.
pub fn detect(
    sample: &[&str],
    forced: Option<LogKind>,
    nginx: &Arc<NginxFormat>,
) -> Result<Parser, String> {
    let lines: Vec<&str> = sample
        .iter()
        .copied()
        .filter(|l| !l.trim().is_empty())
        .collect();
    if lines.is_empty() {
        return Err("it is empty".into());
    }
    let header = lines
        .iter()
        .find(|l| l.starts_with("#Fields:"))
        .and_then(|l| CloudfrontFields::from_header(l));
    let mut candidates = vec![
        Parser::Nginx(nginx.clone()),
        Parser::Alb,
        Parser::Cloudfront(header.unwrap_or_default()),
        Parser::Cloudflare,
    ];
    if let Some(k) = forced {
        candidates.retain(|p| p.kind() == k);
    }
    let mut best: Option<(usize, Parser)> = None;
    let mut first_error: Option<(LogKind, String)> = None;
    for p in candidates {
        let mut ok = 0;
        for l in &lines {
            match p.parse(l) {
                Ok(Some(_)) => ok += 1,
                Ok(None) => {}
                Err(e) => {
                    if first_error.is_none() || forced.is_some() {
                        first_error.get_or_insert((p.kind(), e));
                    }
                }
            }
        }
        if ok > 0 && best.as_ref().is_none_or(|(n, _)| ok > *n) {
            best = Some((ok, p));
        }
    }
    match best {
        Some((_, p)) => Ok(p),
        None => Err(match (forced, first_error) {
            (Some(k), Some((_, e))) => format!(
                "no line of the first {} parses as a {} log (first line: {e})",
                lines.len(),
                k.as_str()
            ),
            _ => format!(
                "none of its first {} lines is an nginx (in the log_format `{}`), ALB, CloudFront or Cloudflare Logpush line",
                lines.len(),
                nginx.text
            ),
        }),
    }
}
