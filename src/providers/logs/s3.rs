//! Logs in S3 (`s3://bucket/prefix`), read-only: `ListObjectsV2` (IAM `s3:ListBucket`) under
//! the prefix, then `GetObject` (`s3:GetObject`) for each key, through `aws-sdk-s3` with the
//! standard credential chain (`AWS_ENDPOINT_URL` honoured by it). `--since/--until` choose
//! objects by the time in their key, as the services name them:
//! - ALB: `…_app.NAME.ID_20140215T2340Z_IP_RANDOM.log.gz`, the end of a 5-minute interval;
//! - CloudFront: `…/DISTRIBUTION.2019-11-14-20.UNIQUE.gz`, an hour;
//! - Cloudflare Logpush: `…/20180101T000000Z_20180101T000100Z_HASH.log.gz`, start and end.

use super::time::days_from_civil;
use crate::providers::aws::{classify, AwsError};
use aws_config::SdkConfig;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Url {
    pub bucket: String,
    pub prefix: String,
}

impl S3Url {
    pub fn parse(s: &str) -> Option<S3Url> {
        let rest = s.strip_prefix("s3://")?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        (!bucket.is_empty()).then(|| S3Url {
            bucket: bucket.to_string(),
            prefix: prefix.to_string(),
        })
    }
}

/// An S3 client from the loaded configuration. Path-style addressing when an endpoint is
/// configured (an emulator, a private endpoint), where bucket host names do not resolve.
pub fn client(sdk: &SdkConfig) -> aws_sdk_s3::Client {
    let mut b = aws_sdk_s3::config::Builder::from(sdk);
    if sdk.endpoint_url().is_some() {
        b = b.force_path_style(true);
    }
    if sdk.region().is_none() {
        b = b.region(aws_config::Region::new("us-east-1"));
    }
    aws_sdk_s3::Client::from_conf(b.build())
}

/// The interval an object's key names, in epoch seconds: (start, end).
pub fn key_time(key: &str) -> Option<(f64, f64)> {
    let name = key.rsplit('/').next().unwrap_or(key);
    let b = name.as_bytes();
    let digits = |s: &[u8]| -> Option<u32> {
        if s.is_empty() || !s.iter().all(u8::is_ascii_digit) {
            return None;
        }
        std::str::from_utf8(s).ok()?.parse().ok()
    };
    let stamp = |at: usize| -> Option<(f64, usize)> {
        // yyyymmddThhmm[ss]Z
        let s = b.get(at..at + 14)?;
        if s[8] != b'T' {
            return None;
        }
        let (y, mo, d, h, mi) = (
            digits(&s[0..4])?,
            digits(&s[4..6])?,
            digits(&s[6..8])?,
            digits(&s[9..11])?,
            digits(&s[11..13])?,
        );
        let (sec, len) = match (b.get(at + 13), b.get(at + 15)) {
            (Some(b'Z'), _) => (0, 14),
            (_, Some(b'Z')) => (digits(&b[at + 13..at + 15])?, 16),
            _ => return None,
        };
        if !(1..=12).contains(&mo) || !(1..=31).contains(&d) {
            return None;
        }
        let t = days_from_civil(y as i64, mo, d) * 86_400 + (h * 3600 + mi * 60 + sec) as i64;
        Some((t as f64, len))
    };
    for i in 0..b.len() {
        if let Some((t, len)) = stamp(i) {
            // Cloudflare: start_end.
            if b.get(i + len) == Some(&b'_') {
                if let Some((t2, _)) = stamp(i + len + 1) {
                    return Some((t, t2));
                }
            }
            // ALB: the end of a five-minute interval.
            return Some((t - 300.0, t));
        }
    }
    // CloudFront: .yyyy-mm-dd-hh.
    let hour = |s: &[u8]| -> Option<f64> {
        if s[0] != b'.' || s[5] != b'-' || s[8] != b'-' || s[11] != b'-' {
            return None;
        }
        let (y, mo, d, h) = (
            digits(&s[1..5])?,
            digits(&s[6..8])?,
            digits(&s[9..11])?,
            digits(&s[12..14])?,
        );
        ((1..=12).contains(&mo) && (1..=31).contains(&d) && h < 24)
            .then(|| (days_from_civil(y as i64, mo, d) * 86_400 + (h * 3600) as i64) as f64)
    };
    for i in 0..b.len().saturating_sub(13) {
        if let Some(t) = hour(&b[i..i + 14]) {
            return Some((t, t + 3600.0));
        }
    }
    None
}

/// What a listing chose.
#[derive(Debug, Default)]
pub struct Listing {
    pub keys: Vec<String>,
    /// Keys outside `--since/--until`.
    pub skipped_by_time: usize,
    /// Keys with no time in their name, read whatever `--since/--until` say.
    pub without_time: usize,
}

pub async fn list(
    s3: &aws_sdk_s3::Client,
    url: &S3Url,
    since: Option<f64>,
    until: Option<f64>,
) -> Result<Listing, AwsError> {
    let mut out = Listing::default();
    let mut pages = s3
        .list_objects_v2()
        .bucket(&url.bucket)
        .prefix(&url.prefix)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| classify(e, "s3:ListBucket"))?;
        for obj in page.contents() {
            let Some(key) = obj.key() else { continue };
            if key.ends_with('/') {
                continue;
            }
            match key_time(key) {
                Some((start, end)) => {
                    if since.is_some_and(|s| end < s) || until.is_some_and(|u| start > u) {
                        out.skipped_by_time += 1;
                        continue;
                    }
                }
                None => out.without_time += 1,
            }
            out.keys.push(key.to_string());
        }
    }
    out.keys.sort();
    Ok(out)
}

/// The object as a stream, read as it arrives and never held whole: an ALB log file is a few
/// MB gzip'd, a Logpush batch or a concatenated export can be far larger, and `wsaudit logs`
/// promises memory independent of the input's size.
pub async fn open(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
) -> Result<std::pin::Pin<Box<dyn tokio::io::AsyncBufRead + Send>>, AwsError> {
    let obj = s3
        .get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .map_err(|e| classify(e, "s3:GetObject"))?;
    Ok(Box::pin(obj.body.into_async_read()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_times() {
        let alb = "AWSLogs/123456789012/elasticloadbalancing/us-east-2/2014/02/15/123456789012_elasticloadbalancing_us-east-2_app.my-loadbalancer.1234567890abcdef_20140215T2340Z_172.160.001.192_20sg8hgm.log.gz";
        let (s, e) = key_time(alb).unwrap();
        assert_eq!(e - s, 300.0);
        assert_eq!(super::super::time::rfc3339(e), "2014-02-15T23:40:00Z");
        let cf = "prefix/EMLARXS9EXAMPLE.2019-11-14-20.RT4KCN4SGK9.gz";
        let (s, _) = key_time(cf).unwrap();
        assert_eq!(super::super::time::rfc3339(s), "2019-11-14T20:00:00Z");
        let cfl = "20180101/20180101T000000Z_20180101T000100Z_abcd.log.gz";
        assert_eq!(key_time(cfl).map(|(s, e)| e - s), Some(60.0));
        assert_eq!(key_time("plain.log"), None);
        assert_eq!(
            S3Url::parse("s3://b/p/q"),
            Some(S3Url {
                bucket: "b".into(),
                prefix: "p/q".into()
            })
        );
        assert_eq!(S3Url::parse("s3://"), None);
    }
}
