//! Cloudflare: the API v4 client and provider against a loopback server answering in the
//! documented shapes, its faults, and the rules over what it reads.

mod api;
mod faults;
mod fidelity;
mod inventory;
mod rules;
mod scan;
