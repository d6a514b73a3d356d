//! The one integration-test crate. Every test drives the real binary or the library's public
//! API against real parts on loopback (nginx, moto_server, a Cloudflare-shaped HTTP server, a
//! WebSocket backend); one crate means the AWS SDK and the support code are compiled and linked
//! once. One module per area; `support` holds what several areas share, and `tidy` checks the
//! invariants ARCHITECTURE.md states.

mod aws;
mod caddy;
mod cli;
mod cloudflare;
mod haproxy;
mod iac;
mod k8s;
mod logs;
mod nginx;
mod policy;
mod probe;
mod support;
mod tidy;
