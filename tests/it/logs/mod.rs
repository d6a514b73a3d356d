//! `wsaudit logs` and `chain --logs`: a real nginx's own access log, the AWS and Cloudflare
//! formats in their documented field orders (gzip'd), S3 through the emulator, and the input
//! errors a user meets.

mod cli;
mod nginx;
mod s3;
mod samples;

use std::io::Write;
use std::path::Path;

/// Writes `text` gzip'd to `path`.
pub fn write_gz(path: &Path, text: &str) {
    let f = std::fs::File::create(path).unwrap();
    let mut gz = flate2::write::GzEncoder::new(f, flate2::Compression::default());
    gz.write_all(text.as_bytes()).unwrap();
    gz.finish().unwrap();
}

pub fn gz_bytes(text: &str) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(text.as_bytes()).unwrap();
    gz.finish().unwrap()
}

pub fn json(stdout: &str) -> serde_json::Value {
    serde_json::from_str(stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"))
}

/// The rule ids of a report's findings.
pub fn rules(report: &serde_json::Value) -> Vec<String> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap().to_string())
        .collect()
}
