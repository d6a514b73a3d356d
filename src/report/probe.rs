//! The live probe's facts as lines of text, shared by the table and Markdown reports.

use crate::model::ProbeFacts;

/// One line per fact, most decisive first: the handshake, TLS, who answered, the idle cut.
pub fn lines(p: &ProbeFacts) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(c) = &p.connect {
        let mut s = format!("connected to {}", c.peer);
        if c.addresses.len() > 1 {
            s.push_str(&format!(" (DNS: {})", c.addresses.join(", ")));
        }
        if let Some(t) = &p.timings {
            s.push_str(&format!(
                "; dns {} ms, tcp {} ms{}{}",
                t.dns_ms,
                t.connect_ms,
                t.tls_ms
                    .map(|v| format!(", tls {v} ms"))
                    .unwrap_or_default(),
                t.upgrade_ms
                    .map(|v| format!(", upgrade {v} ms"))
                    .unwrap_or_default()
            ));
        }
        out.push(s);
    }
    if let Some(t) = &p.tls {
        let verdict = if t.verified {
            "verified".to_string()
        } else {
            format!(
                "NOT verified: {}",
                t.error.as_deref().unwrap_or("unknown reason")
            )
        };
        out.push(format!(
            "TLS {}: {verdict}{}{}",
            t.version.as_deref().unwrap_or("?"),
            t.days_to_expiry
                .map(|d| format!("; leaf expires in {d} days"))
                .unwrap_or_default(),
            t.alpn
                .as_deref()
                .map(|a| format!("; ALPN {a}"))
                .unwrap_or_default()
        ));
        for (i, c) in t.chain.iter().enumerate() {
            out.push(format!(
                "  cert {i}: {} (issuer {}, until {})",
                c.subject, c.issuer, c.not_after
            ));
        }
    }
    match &p.handshake {
        Some(h) if h.status == 101 && h.error.is_none() => out.push(format!(
            "handshake: 101, Sec-WebSocket-Accept {}{}",
            if h.accept_ok { "ok" } else { "WRONG" },
            h.subprotocol
                .as_deref()
                .map(|s| format!(", subprotocol {s}"))
                .unwrap_or_default()
        )),
        Some(h) => {
            out.push(format!(
                "handshake FAILED ({}): {}",
                h.status,
                h.error.as_deref().unwrap_or("?")
            ));
            if let Some(b) = &h.body_snippet {
                let first: String = b.lines().take(3).collect::<Vec<_>>().join(" ");
                out.push(format!("  body: {first}"));
            }
        }
        None if p.tls.is_some() => {
            out.push("handshake: not attempted (TLS not verified; --insecure goes on)".into())
        }
        None => {}
    }
    if !p.fingerprint.is_empty() {
        out.push(format!("answered by: {}", p.fingerprint.join(" → ")));
    }
    if let Some(i) = &p.idle {
        let held = i
            .max_hold_s
            .map(|m| format!(" (held up to {m})"))
            .unwrap_or_default();
        let what = match (i.how.as_str(), i.closed_after_s) {
            ("open", _) => format!("idle: still open at the end of the hold{held}"),
            ("close_frame", Some(t)) => format!(
                "idle: closed after {t} with a Close frame{}{}",
                i.close_code.map(|c| format!(" {c}")).unwrap_or_default(),
                i.close_reason
                    .as_deref()
                    .map(|r| format!(" \"{r}\""))
                    .unwrap_or_default()
            ),
            ("fin", Some(t)) => {
                format!("idle: cut after {t} without a Close frame (TCP FIN; clients see 1006)")
            }
            ("rst", Some(t)) => format!("idle: reset (RST) after {t}"),
            (how, t) => format!(
                "idle: {how}{}",
                t.map(|t| format!(" after {t}")).unwrap_or_default()
            ),
        };
        out.push(what);
        if let Some(by) = &i.explained_by {
            out.push(format!("  explained by {by}'s idle timeout"));
        }
        if i.samples.len() > 1 {
            let cuts: Vec<String> = i
                .samples
                .iter()
                .map(|s| match s.closed_after_s {
                    Some(t) => format!("{} at {t}", s.how),
                    None => s.how.clone(),
                })
                .collect();
            out.push(format!("  samples: {}", cuts.join("; ")));
        }
    }
    if let Some(h) = &p.heartbeat {
        match h.server_ping_interval_s {
            Some(iv) => out.push(format!("server pings: {} seen, every {iv}", h.server_pings)),
            None if h.server_pings > 0 => {
                out.push(format!("server pings: {} seen", h.server_pings))
            }
            None => out.push("server pings: none during the hold".into()),
        }
    }
    out
}
