//! Which layers answered, read from the response headers each one adds.
//!
//! Only headers a layer sets by itself count; the list is outermost-first so it reads like
//! the chain. Names match the chain model's provider names where one exists.

use crate::model::FingerprintHit;
use std::collections::BTreeMap;

/// (layer, header, test on the lower-cased value). Order = edge first, origin last.
type Test = fn(&str) -> bool;
const SIGNS: &[(&str, &str, Test)] = &[
    ("cloudflare", "server", |v| v == "cloudflare"),
    ("cloudflare", "cf-ray", |_| true),
    ("cloudfront", "x-amz-cf-id", |_| true),
    ("cloudfront", "x-amz-cf-pop", |_| true),
    ("cloudfront", "via", |v| v.contains("cloudfront")),
    ("cloudfront", "x-cache", |v| v.contains("cloudfront")),
    ("fastly", "x-served-by", |v| v.starts_with("cache-")),
    ("fastly", "x-fastly-request-id", |_| true),
    ("akamai", "server", |v| v.starts_with("akamaighost")),
    ("varnish", "via", |v| v.contains("varnish")),
    ("alb", "server", |v| v.starts_with("awselb")),
    ("envoy", "server", |v| v == "envoy"),
    ("envoy", "x-envoy-upstream-service-time", |_| true),
    ("haproxy", "server", |v| v.starts_with("haproxy")),
    ("traefik", "server", |v| v.starts_with("traefik")),
    ("nginx", "server", |v| {
        v.starts_with("nginx") || v.starts_with("openresty")
    }),
];

/// The layers recognised, in chain order without repeats, and the header behind each hit.
pub fn fingerprint(headers: &BTreeMap<String, String>) -> (Vec<String>, Vec<FingerprintHit>) {
    let mut layers: Vec<String> = Vec::new();
    let mut hits = Vec::new();
    for (layer, header, test) in SIGNS {
        if let Some(value) = headers.get(*header) {
            if test(&value.to_ascii_lowercase()) {
                hits.push(FingerprintHit {
                    layer: layer.to_string(),
                    header: format!("{header}: {value}"),
                });
                if !layers.iter().any(|l| l == layer) {
                    layers.push(layer.to_string());
                }
            }
        }
    }
    (layers, hits)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn recognises_each_layer_from_its_own_headers() {
        let (l, hits) = fingerprint(&h(&[
            ("server", "cloudflare"),
            ("cf-ray", "8a1b2c3d4e5f-AMS"),
        ]));
        assert_eq!(l, vec!["cloudflare"]);
        assert_eq!(hits.len(), 2);

        let (l, _) = fingerprint(&h(&[
            ("via", "1.1 0123abcd.cloudfront.net (CloudFront)"),
            ("x-amz-cf-id", "abc=="),
            ("server", "awselb/2.0"),
        ]));
        assert_eq!(l, vec!["cloudfront", "alb"]);

        let (l, _) = fingerprint(&h(&[("server", "nginx/1.22.1")]));
        assert_eq!(l, vec!["nginx"]);
    }

    #[test]
    fn unrelated_headers_recognise_nothing() {
        let (l, hits) = fingerprint(&h(&[
            ("server", "uvicorn"),
            ("x-cache", "HIT"),
            ("via", "1.1 proxy.internal"),
        ]));
        assert!(l.is_empty());
        assert!(hits.is_empty());
    }
}
