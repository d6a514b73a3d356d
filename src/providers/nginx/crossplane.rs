//! `wsaudit nginx parse`: the parse as crossplane's JSON payload, byte for byte what
//! `crossplane parse` prints for the same tree (compact separators, ASCII-only escapes), so a
//! user can diff the two and see exactly how wsaudit read their configuration.

use super::tree::{Block, Config};
use std::fmt::Write as _;

/// `{"status":"ok","errors":[],"config":[{"file":…,"status":"ok","errors":[],"parsed":[…]}]}`
pub fn crossplane_payload(cfg: &Config) -> String {
    let mut out = String::with_capacity(1 << 16);
    out.push_str("{\"status\":\"ok\",\"errors\":[],\"config\":[");
    for (i, f) in cfg.files.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str("{\"file\":");
        string(&mut out, &f.path);
        out.push_str(",\"status\":\"ok\",\"errors\":[],\"parsed\":");
        block(&mut out, cfg.file_block(i as u32));
        out.push('}');
    }
    out.push_str("]}");
    out
}

fn block(out: &mut String, b: Block<'_>) {
    out.push('[');
    for (i, d) in b.enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str("{\"directive\":");
        string(out, d.name());
        let _ = write!(out, ",\"line\":{},\"args\":[", d.line());
        for (j, a) in d.args().enumerate() {
            if j > 0 {
                out.push(',');
            }
            string(out, a);
        }
        out.push(']');
        if let Some(inc) = d.includes() {
            out.push_str(",\"includes\":[");
            for (j, f) in inc.iter().enumerate() {
                if j > 0 {
                    out.push(',');
                }
                let _ = write!(out, "{f}");
            }
            out.push(']');
        }
        if d.is_block() {
            out.push_str(",\"block\":");
            block(out, d.children());
        }
        out.push('}');
    }
    out.push(']');
}

/// A JSON string as Python's `json.dumps` writes it with `ensure_ascii=True`.
fn string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            ' '..='~' => out.push(c),
            _ => {
                let mut buf = [0u16; 2];
                for u in c.encode_utf16(&mut buf) {
                    let _ = write!(out, "\\u{:04x}", u);
                }
            }
        }
    }
    out.push('"');
}
