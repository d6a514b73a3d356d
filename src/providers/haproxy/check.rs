//! `haproxy -c`, when an HAProxy binary runs here: the reader parses what it needs and skips
//! keywords it does not model, so HAProxy's own check is what catches a configuration HAProxy
//! would refuse (a misspelt keyword, a bad argument). Its first alert is the error, with the
//! `file:line` HAProxy names.

use super::error::HaproxyError;
use std::process::Command;

/// `Ok(true)`: checked and valid; `Ok(false)`: no HAProxy binary runs here (not checked).
pub fn check(bin: &str, file: &str) -> Result<bool, HaproxyError> {
    let Ok(out) = Command::new(bin).args(["-c", "-f", file]).output() else {
        return Ok(false);
    };
    if out.status.success() {
        return Ok(true);
    }
    let text =
        String::from_utf8_lossy(&out.stderr).to_string() + &String::from_utf8_lossy(&out.stdout);
    // `[ALERT] (123) : config : parsing [haproxy.cfg:6] : unknown keyword 'use_backen' …`
    let alert = text
        .lines()
        .filter(|l| l.contains("[ALERT]"))
        .find_map(|l| {
            let at = l.find("parsing [")?;
            let rest = &l[at + "parsing [".len()..];
            let (loc, msg) = rest.split_once("] : ")?;
            let (_, line) = loc.rsplit_once(':')?;
            Some((line.parse::<u32>().ok()?, msg.trim().to_string()))
        });
    Err(match alert {
        Some((line, message)) => HaproxyError::Syntax {
            file: file.to_string(),
            line,
            col: 1,
            message: format!("{message} (haproxy -c)"),
        },
        None => HaproxyError::Io {
            file: file.to_string(),
            message: format!(
                "haproxy -c rejects it: {}",
                text.lines()
                    .filter(|l| l.contains("[ALERT]"))
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
        },
    })
}
