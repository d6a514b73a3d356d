//! The live probe against real servers on loopback: TLS, handshake, idle cuts, errors,
//! `wsaudit probe`, and a cut by a hop wsaudit has no provider for (HAProxy).

mod cli;
mod errors;
mod haproxy;
mod nginx;
mod tls;
