//! Provider adapters: each reads one kind of layer through its real client and translates it
//! into the chain model. Providers never format output and never judge; a provider that cannot
//! read its layer returns a `Gap` saying exactly why, so the rest of the chain is still audited.

pub mod alb;
pub mod aws;
pub mod aws_wildcard;
pub mod caddy;
pub mod calls;
pub mod cloudflare;
pub mod cloudfront;
pub mod endpoint_words;
pub mod haproxy;
pub mod iac;
pub mod k8s;
pub mod logs;
pub mod nginx;
pub mod probe;
pub mod route53;
