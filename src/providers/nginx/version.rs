//! Which nginx the configuration runs on: defaults changed in 1.29.6 (`sticky` in open source)
//! and 1.29.7 (`proxy_http_version` 1.1, upstream keep-alive on, no `Connection: close`).

use super::error::NginxError;
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct NginxVersion(pub u32, pub u32, pub u32);

impl fmt::Display for NginxVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.0, self.1, self.2)
    }
}

/// Where the version came from; findings built on an assumed version say so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VersionSource {
    /// `--nginx-version`.
    Given(NginxVersion),
    /// `nginx -v` of the local binary.
    Local(NginxVersion),
    /// Neither: the older defaults are assumed.
    Assumed,
}

pub const HTTP11_DEFAULT: NginxVersion = NginxVersion(1, 29, 7);
pub const STICKY_OPEN_SOURCE: NginxVersion = NginxVersion(1, 29, 6);

impl VersionSource {
    pub fn version(&self) -> Option<NginxVersion> {
        match self {
            VersionSource::Given(v) | VersionSource::Local(v) => Some(*v),
            VersionSource::Assumed => None,
        }
    }

    /// Whether the running nginx is at least `v`; an unknown version is taken as older.
    pub fn at_least(&self, v: NginxVersion) -> bool {
        self.version().is_some_and(|x| x >= v)
    }

    /// Words for a Default origin: "nginx 1.22.1 (nginx -v)", "nginx version unknown: …".
    pub fn describe(&self) -> String {
        match self {
            VersionSource::Given(v) => format!("nginx {v} (--nginx-version)"),
            VersionSource::Local(v) => format!("nginx {v} (nginx -v)"),
            VersionSource::Assumed => {
                "nginx version unknown (no --nginx-version, no local nginx): the pre-1.29.7 default is assumed".into()
            }
        }
    }

    /// `--nginx-version` if given, else the local `nginx -v` (binary from `nginx_bin`, or
    /// `nginx` on PATH), else assumed.
    pub fn detect(given: Option<&str>, nginx_bin: Option<&str>) -> Result<Self, NginxError> {
        if let Some(g) = given {
            return parse_version(g).map(VersionSource::Given);
        }
        let bin = nginx_bin.unwrap_or("nginx");
        match std::process::Command::new(bin)
            .arg("-v")
            .stdin(std::process::Stdio::null())
            .output()
        {
            Ok(out) => {
                let text = String::from_utf8_lossy(&out.stderr).to_string()
                    + &String::from_utf8_lossy(&out.stdout);
                match text.split("nginx/").nth(1) {
                    Some(rest) => {
                        let v = rest.split_whitespace().next().unwrap_or("");
                        parse_version(v).map(VersionSource::Local)
                    }
                    None => Ok(VersionSource::Assumed),
                }
            }
            Err(_) => Ok(VersionSource::Assumed),
        }
    }
}

/// `1.22.1`, `1.29` (patch 0).
pub fn parse_version(s: &str) -> Result<NginxVersion, NginxError> {
    let bad = || NginxError::Version(format!("`{s}` is not a version (expected e.g. 1.22.1)"));
    let mut it = s.trim().split('.');
    let mut n = || -> Result<Option<u32>, NginxError> {
        match it.next() {
            None => Ok(None),
            Some(p) => p.parse().map(Some).map_err(|_| bad()),
        }
    };
    let a = n()?.ok_or_else(bad)?;
    let b = n()?.ok_or_else(bad)?;
    let c = n()?.unwrap_or(0);
    if n()?.is_some() {
        return Err(bad());
    }
    Ok(NginxVersion(a, b, c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_orders() {
        assert_eq!(parse_version("1.22.1").unwrap(), NginxVersion(1, 22, 1));
        assert!(parse_version("1.29.7").unwrap() >= HTTP11_DEFAULT);
        assert!(parse_version("1.29.6").unwrap() < HTTP11_DEFAULT);
        assert!(parse_version("x").is_err());
        assert!(parse_version("1").is_err());
        assert!(!VersionSource::Assumed.at_least(NginxVersion(0, 1, 0)));
    }
}
