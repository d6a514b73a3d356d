//! Bad input: one precise message naming the file (and the line, the resource address and
//! attribute where there is one), exit 2, nothing audited.

use super::wsaudit;

fn fails(name: &str, text: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    let p = path.display().to_string();
    let run = wsaudit(&["iac", &p]);
    assert_eq!(run.code, 2, "stdout {} stderr {}", run.stdout, run.stderr);
    assert!(run.stdout.is_empty(), "no report: {}", run.stdout);
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    assert!(run.stderr.contains(&p), "names the file: {}", run.stderr);
    run.stderr
}

#[test]
fn not_json_names_the_line_and_column() {
    let e = fails(
        "plan.json",
        "{\n  \"format_version\": \"1.2\",\n  oops\n}\n",
    );
    assert!(e.contains("plan.json:3:3: not JSON"), "{e}");
}

#[test]
fn json_that_is_not_a_plan() {
    let e = fails(
        "plan.json",
        "{\"name\": \"my-app\", \"version\": \"1.0.0\"}",
    );
    assert!(e.contains("neither a Terraform plan"), "{e}");
    let e = fails(
        "state.json",
        "{\"format_version\": \"1.0\", \"terraform_version\": \"1.9.8\", \"values\": {\"root_module\": {}}}",
    );
    assert!(e.contains("this is a Terraform state"), "{e}");
}

#[test]
fn a_future_format_version_is_refused() {
    let e = fails(
        "plan.json",
        "{\"format_version\": \"2.0\", \"planned_values\": {\"root_module\": {}}}",
    );
    assert!(e.contains("format_version \"2.0\" is not supported"), "{e}");
}

#[test]
fn an_attribute_of_the_wrong_type_names_the_address_and_attribute() {
    let plan = std::fs::read_to_string(super::fixture("aws-modules.plan.json")).unwrap();
    let mut doc: serde_json::Value = serde_json::from_str(&plan).unwrap();
    let lb = &mut doc["planned_values"]["root_module"]["child_modules"][0]["resources"][0];
    assert_eq!(lb["address"], "module.edge.aws_lb.ws[\"eu\"]");
    lb["values"]["idle_timeout"] = serde_json::json!("sixty");
    let e = fails("plan.json", &doc.to_string());
    assert!(
        e.contains("module.edge.aws_lb.ws[\"eu\"].idle_timeout: expected a number, found a string (\"sixty\")"),
        "{e}"
    );
}

#[test]
fn a_template_attribute_of_the_wrong_type_names_the_resource() {
    let t = "Resources:\n  Dist:\n    Type: AWS::CloudFront::Distribution\n    Properties:\n      DistributionConfig:\n        Origins:\n          - Id: a\n            DomainName: a.example.com\n            CustomOriginConfig:\n              OriginProtocolPolicy: https-only\n              OriginReadTimeout: soon\n        DefaultCacheBehavior:\n          TargetOriginId: a\n          ViewerProtocolPolicy: https-only\n";
    let e = fails("stack.yaml", t);
    assert!(
        e.contains("Dist.DistributionConfig.Origins[0].CustomOriginConfig.OriginReadTimeout: expected an integer"),
        "{e}"
    );
}

#[test]
fn yaml_that_does_not_parse_names_the_line() {
    let e = fails("stack.yaml", "Resources:\n  A:\n    Type: [unclosed\n");
    assert!(e.contains("stack.yaml:"), "{e}");
    assert!(e.contains("not YAML"), "{e}");
}

#[test]
fn a_template_without_anything_to_audit() {
    let e = fails(
        "stack.yaml",
        "Resources:\n  Bucket:\n    Type: AWS::S3::Bucket\n",
    );
    assert!(e.contains("no resource wsaudit reads"), "{e}");
}

#[test]
fn a_domain_nothing_serves_lists_what_the_code_serves() {
    let path = super::fixture("cloudflare-v5.plan.json");
    let run = wsaudit(&["iac", &path, "--domain", "other.example.net"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("nothing in the code serves other.example.net; it serves: chat.example.com, ws.example.com"),
        "{}",
        run.stderr
    );
}
