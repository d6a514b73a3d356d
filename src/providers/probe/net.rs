//! DNS and TCP: resolve the host once, then dial its addresses in order until one answers.

use super::ProbeError;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};
use tokio::net::TcpStream;

/// What resolution answered; reused by every sample so all of them measure the same address.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub addresses: Vec<SocketAddr>,
    pub elapsed: Duration,
}

pub async fn resolve(host: &str, port: u16, timeout: Duration) -> Result<Resolved, ProbeError> {
    let start = Instant::now();
    // An IP literal needs no lookup (and must not be sent to a resolver).
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(Resolved {
            addresses: vec![SocketAddr::new(ip, port)],
            elapsed: start.elapsed(),
        });
    }
    let lookup = tokio::net::lookup_host((host, port));
    let addresses: Vec<SocketAddr> = match tokio::time::timeout(timeout, lookup).await {
        Err(_) => {
            return Err(ProbeError::Dns {
                host: host.to_string(),
                reason: format!("no answer within {} ms", timeout.as_millis()),
            })
        }
        Ok(Err(e)) => {
            return Err(ProbeError::Dns {
                host: host.to_string(),
                reason: e.to_string(),
            })
        }
        Ok(Ok(a)) => a.collect(),
    };
    if addresses.is_empty() {
        return Err(ProbeError::Dns {
            host: host.to_string(),
            reason: "no address in the answer".into(),
        });
    }
    Ok(Resolved {
        addresses,
        elapsed: start.elapsed(),
    })
}

/// Dials each address in turn, each attempt bounded by `timeout`; the first to connect wins.
pub async fn connect(
    resolved: &Resolved,
    timeout: Duration,
) -> Result<(TcpStream, SocketAddr, Duration), ProbeError> {
    let mut failures = Vec::new();
    for addr in &resolved.addresses {
        let start = Instant::now();
        match tokio::time::timeout(timeout, TcpStream::connect(addr)).await {
            Ok(Ok(stream)) => {
                // Frames are small and latency is what we measure: no Nagle delay.
                let _ = stream.set_nodelay(true);
                return Ok((stream, *addr, start.elapsed()));
            }
            Ok(Err(e)) => failures.push(format!("{addr}: {e}")),
            Err(_) => failures.push(format!(
                "{addr}: no answer within {} ms",
                timeout.as_millis()
            )),
        }
    }
    Err(ProbeError::Connect {
        attempts: failures.join("; "),
    })
}
