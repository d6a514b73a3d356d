//! nginx's time syntax (`ngx_parse_time`): `ms s m h d w M y`, combinable with optional spaces
//! in decreasing order (`1h 30m`), a bare number meaning seconds.

use crate::model::Seconds;

/// Parses an nginx time value, or says why nginx would reject it.
pub fn parse_nginx_time(text: &str) -> Result<Seconds, String> {
    let s = text.as_bytes();
    if s.is_empty() {
        return Err("empty time value".into());
    }
    let mut total: f64 = 0.0;
    let mut i = 0;
    // Units must get strictly smaller, as ngx_parse_time enforces.
    let mut last_rank = u8::MAX;
    let mut valid = false;
    while i < s.len() {
        let start = i;
        while i < s.len() && s[i].is_ascii_digit() {
            i += 1;
        }
        if i == start {
            return Err(format!("invalid time value \"{text}\""));
        }
        let n: f64 = text[start..i]
            .parse()
            .map_err(|_| format!("invalid time value \"{text}\""))?;
        let (factor, rank, len) = match (s.get(i), s.get(i + 1)) {
            (Some(b'm'), Some(b's')) => (0.001, 1, 2),
            (Some(b'y'), _) => (365.0 * 86400.0, 9, 1),
            (Some(b'M'), _) => (30.0 * 86400.0, 8, 1),
            (Some(b'w'), _) => (7.0 * 86400.0, 7, 1),
            (Some(b'd'), _) => (86400.0, 6, 1),
            (Some(b'h'), _) => (3600.0, 5, 1),
            (Some(b'm'), _) => (60.0, 4, 1),
            (Some(b's'), _) => (1.0, 3, 1),
            (None, _) | (Some(b' '), _) => (1.0, 2, 0),
            _ => return Err(format!("invalid time value \"{text}\"")),
        };
        if rank >= last_rank {
            return Err(format!(
                "invalid time value \"{text}\" (units out of order)"
            ));
        }
        last_rank = rank;
        total += n * factor;
        valid = true;
        i += len;
        while i < s.len() && s[i] == b' ' {
            i += 1;
        }
    }
    if !valid {
        return Err(format!("invalid time value \"{text}\""));
    }
    Ok(Seconds(total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_and_combinations() {
        let p = |t| parse_nginx_time(t).unwrap().0;
        assert_eq!(p("60"), 60.0);
        assert_eq!(p("60s"), 60.0);
        assert_eq!(p("500ms"), 0.5);
        assert_eq!(p("1h 30m"), 5400.0);
        assert_eq!(p("1h30m"), 5400.0);
        assert_eq!(p("7d"), 604800.0);
        assert_eq!(p("2w"), 1209600.0);
        assert_eq!(p("1M"), 2592000.0);
        assert_eq!(p("1y"), 31536000.0);
        assert_eq!(p("1m 1s 1ms"), 61.001);
        for bad in ["", "5x", "1m 1h", "s", "1.5h", "-1s"] {
            assert!(parse_nginx_time(bad).is_err(), "{bad}");
        }
    }
}
