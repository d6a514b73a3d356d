//! Timestamps as the log formats write them, into seconds since the Unix epoch (UTC). Written
//! by hand: this runs once per line, and a general date parser was most of a line's cost.

/// Days from 1970-01-01 to the civil date (Howard Hinnant's `days_from_civil`).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = m as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn num(b: &[u8]) -> Option<u32> {
    if b.is_empty() || b.len() > 9 {
        return None;
    }
    let mut v = 0u32;
    for &c in b {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + (c - b'0') as u32;
    }
    Some(v)
}

fn month(b: &[u8]) -> Option<u32> {
    Some(match b {
        b"Jan" => 1,
        b"Feb" => 2,
        b"Mar" => 3,
        b"Apr" => 4,
        b"May" => 5,
        b"Jun" => 6,
        b"Jul" => 7,
        b"Aug" => 8,
        b"Sep" => 9,
        b"Oct" => 10,
        b"Nov" => 11,
        b"Dec" => 12,
        _ => return None,
    })
}

fn civil(y: u32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> Option<f64> {
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || s > 60 {
        return None;
    }
    let days = days_from_civil(y as i64, mo, d);
    Some((days * 86_400 + (h * 3600 + mi * 60 + s) as i64) as f64)
}

/// `+0200`, `-07:00`, `Z`: seconds east of UTC.
fn offset(b: &[u8]) -> Option<i64> {
    match b {
        b"Z" | b"z" | b"" => Some(0),
        [sign @ (b'+' | b'-'), rest @ ..] => {
            let digits: Vec<u8> = rest.iter().copied().filter(|c| *c != b':').collect();
            if digits.len() != 4 {
                return None;
            }
            let h = num(&digits[..2])? as i64;
            let m = num(&digits[2..])? as i64;
            let v = h * 3600 + m * 60;
            Some(if *sign == b'-' { -v } else { v })
        }
        _ => None,
    }
}

/// nginx `$time_local`: `10/Oct/2000:13:55:36 -0700`.
pub fn time_local(s: &str) -> Option<f64> {
    let b = s.as_bytes();
    if b.len() < 26 || b[2] != b'/' || b[6] != b'/' || b[11] != b':' || b[20] != b' ' {
        return None;
    }
    let t = civil(
        num(&b[7..11])?,
        month(&b[3..6])?,
        num(&b[0..2])?,
        num(&b[12..14])?,
        num(&b[15..17])?,
        num(&b[18..20])?,
    )?;
    Some(t - offset(&b[21..])? as f64)
}

/// ISO 8601 / RFC 3339: `2018-07-02T22:23:00.186641Z`, `2000-10-10T13:55:36-07:00` (nginx
/// `$time_iso8601`, ALB, Cloudflare `rfc3339`).
pub fn iso8601(s: &str) -> Option<f64> {
    let b = s.as_bytes();
    if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    let mut t = civil(
        num(&b[0..4])?,
        num(&b[5..7])?,
        num(&b[8..10])?,
        num(&b[11..13])?,
        num(&b[14..16])?,
        num(&b[17..19])?,
    )?;
    let mut rest = &b[19..];
    if let [b'.', tail @ ..] = rest {
        let n = tail.iter().take_while(|c| c.is_ascii_digit()).count();
        if n == 0 {
            return None;
        }
        let digits = &tail[..n.min(9)];
        t += num(digits)? as f64 / 10f64.powi(digits.len() as i32);
        rest = &tail[n..];
    }
    Some(t - offset(rest)? as f64)
}

/// CloudFront's separate `date` (`2019-12-04`) and `time` (`21:02:31`), UTC.
pub fn date_and_time(date: &str, time: &str) -> Option<f64> {
    let d = date.as_bytes();
    let t = time.as_bytes();
    if d.len() != 10 || t.len() < 8 || d[4] != b'-' || t[2] != b':' {
        return None;
    }
    civil(
        num(&d[0..4])?,
        num(&d[5..7])?,
        num(&d[8..10])?,
        num(&t[0..2])?,
        num(&t[3..5])?,
        num(&t[6..8])?,
    )
}

/// Seconds with a fraction (`$msec` `1700000000.123`, `$request_time` `3.002`).
pub fn decimal(s: &str) -> Option<f64> {
    let b = s.as_bytes();
    let (int, frac) = match b.iter().position(|c| *c == b'.') {
        Some(i) => (&b[..i], &b[i + 1..]),
        None => (b, &b[..0]),
    };
    if int.is_empty() || int.len() > 12 {
        return None;
    }
    let mut v = 0u64;
    for &c in int {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + (c - b'0') as u64;
    }
    let mut out = v as f64;
    if !frac.is_empty() {
        let f = &frac[..frac.len().min(9)];
        out += num(f)? as f64 / 10f64.powi(f.len() as i32);
    }
    Some(out)
}

/// A Unix timestamp in seconds, milliseconds or nanoseconds (Cloudflare's `unix`, `unixnano`),
/// told apart by magnitude: none of them overlap between 1973 and 2286.
pub fn unix_any(v: f64) -> Option<f64> {
    if !v.is_finite() || v <= 0.0 {
        return None;
    }
    Some(if v > 1e17 {
        v / 1e9
    } else if v > 1e11 {
        v / 1e3
    } else {
        v
    })
}

/// `2026-12-01T10:00:00Z` for an epoch second (reports are UTC).
pub fn rfc3339(t: f64) -> String {
    let secs = t.floor() as i64;
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        (rem / 60) % 60,
        rem % 60
    )
}

fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_agree() {
        let a = time_local("10/Oct/2000:13:55:36 -0700").unwrap();
        let b = iso8601("2000-10-10T13:55:36-07:00").unwrap();
        assert_eq!(a, b);
        assert_eq!(rfc3339(a), "2000-10-10T20:55:36Z");
        assert_eq!(
            iso8601("2018-07-02T22:23:00.186641Z").unwrap(),
            1530570180.186641
        );
        assert_eq!(
            date_and_time("2019-12-04", "21:02:31").unwrap(),
            1575493351.0
        );
        assert_eq!(decimal("3.002"), Some(3.002));
        assert_eq!(decimal("-"), None);
        assert_eq!(unix_any(1.7e18).unwrap(), 1.7e9);
        assert!(time_local("not a time at all, no").is_none());
    }

    proptest::proptest! {
        #[test]
        fn round_trips(t in 0i64..4_000_000_000) {
            let s = rfc3339(t as f64);
            proptest::prop_assert_eq!(iso8601(&s), Some(t as f64));
        }

        #[test]
        fn never_panics(s in "\\PC{0,40}") {
            let _ = (time_local(&s), iso8601(&s), decimal(&s), date_and_time(&s, &s));
        }
    }
}
