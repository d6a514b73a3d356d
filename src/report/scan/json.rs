//! The scan report as JSON (`--format json`): the document `wsaudit merge` reads back, and
//! its JSON Schema (`wsaudit schema --scan`, published as `schema/scan.schema.json`).

use super::ScanReport;

/// Streams the report as one pretty-printed document with a trailing newline: a scan of a
/// thousand targets carries a thousand chains, which need not be held in memory twice.
pub fn write(report: &ScanReport, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    let mut buffered = std::io::BufWriter::with_capacity(1 << 16, out);
    serde_json::to_writer_pretty(&mut buffered, report)?;
    std::io::Write::write_all(&mut buffered, b"\n")?;
    std::io::Write::flush(&mut buffered)
}

/// The JSON Schema of `write`'s output, generated from the types so it cannot drift.
pub fn schema() -> String {
    let schema = schemars::schema_for!(ScanReport);
    let mut s = serde_json::to_string_pretty(&schema).expect("a schema is JSON");
    s.push('\n');
    s
}
