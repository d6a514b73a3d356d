//! The live probe against real servers on loopback: TLS, handshake, idle cuts, errors and
//! `wsaudit probe`.

mod cli;
mod errors;
mod nginx;
mod tls;
