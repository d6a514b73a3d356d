use super::Report;

/// The report as one pretty-printed JSON document with a trailing newline.
pub fn render(report: &Report) -> String {
    let mut s = serde_json::to_string_pretty(report).expect("the report always serializes");
    s.push('\n');
    s
}

/// The JSON Schema of `render`'s output, generated from the types so it cannot drift.
pub fn schema() -> String {
    let schema = schemars::schema_for!(Report);
    let mut s = serde_json::to_string_pretty(&schema).expect("a schema is JSON");
    s.push('\n');
    s
}
