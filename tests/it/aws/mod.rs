//! AWS: the ALB/NLB, CloudFront and Route 53 readers through the real `aws-sdk-*` clients
//! against moto_server (and loopback servers in the service model's wire shape where moto
//! cannot answer), faults, discovery and the CLI.

mod alb;
mod cli;
mod cloudfront;
mod discover;
mod faults;
mod fidelity;
mod inventory;
mod scan;
