//! The command line as a user meets it: `audit`, `chain`, configuration, reports, docs, golden
//! output, and the whole Cloudflare → ALB → nginx walk.

mod audit;
mod chain;
mod chain_walk;
mod config;
mod docs;
mod golden;
mod merge;
mod reports;
mod scan;
mod scan_examples;
mod scan_reports;
