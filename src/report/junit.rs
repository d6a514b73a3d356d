//! JUnit XML for CI dashboards: one test case per rule × layer, failed where that rule found
//! something on that layer. Chain-wide findings (layer `chain`) get a case of their own; a
//! layer that could not be read, and a scan target that could not be resolved, is an error.

use super::Report;
use crate::model::GapCode;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use quick_xml::Writer;

/// One `testsuite` for the chain, and one for each other route the domain's DNS has.
pub fn render(report: &Report) -> String {
    let routes: Vec<(String, Report)> = report
        .routes
        .iter()
        .map(|r| {
            (
                format!("{} via {}", report.target_url(), r.route.label()),
                r.as_report(report),
            )
        })
        .collect();
    let mut all = vec![(report.target_url(), report)];
    all.extend(routes.iter().map(|(n, r)| (n.clone(), r)));
    render_many(&all)
}

/// One `testsuite` per report, in one `testsuites`.
pub fn render_many(reports: &[(String, &Report)]) -> String {
    let inputs: Vec<SuiteInput<'_>> = reports
        .iter()
        .map(|(name, report)| SuiteInput {
            name: name.clone(),
            report,
            unresolved: None,
        })
        .collect();
    render_suites(&inputs)
}

/// One report as a `testsuite`; `unresolved` (a scan target that could not be resolved at
/// all) becomes an error case of its own, so the suite never passes for want of a chain.
pub struct SuiteInput<'r> {
    pub name: String,
    pub report: &'r Report,
    pub unresolved: Option<&'r str>,
}

/// One `testsuite` per input (a scan's targets), in one `testsuites`.
pub fn render_suites(inputs: &[SuiteInput<'_>]) -> String {
    let suites: Vec<Suite<'_>> = inputs
        .iter()
        .map(|i| suite(&i.name, i.report, i.unresolved))
        .collect();
    let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
    let _ = w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)));
    let mut all = BytesStart::new("testsuites");
    let tests: usize = suites.iter().map(|s| s.cases.len() + s.errors()).sum();
    let failures: usize = suites.iter().map(Suite::failures).sum();
    let errors: usize = suites.iter().map(Suite::errors).sum();
    all.push_attribute(("name", "wsaudit"));
    all.push_attribute(("tests", tests.to_string().as_str()));
    all.push_attribute(("failures", failures.to_string().as_str()));
    all.push_attribute(("errors", errors.to_string().as_str()));
    let _ = w.write_event(Event::Start(all));
    for s in &suites {
        write_suite(&mut w, s);
    }
    let _ = w.write_event(Event::End(BytesEnd::new("testsuites")));
    let mut s = String::from_utf8(w.into_inner()).expect("quick-xml writes UTF-8");
    s.push('\n');
    s
}

type Case<'r> = (String, String, Vec<&'r crate::policy::Finding>);

struct Suite<'r> {
    name: String,
    report: &'r Report,
    cases: Vec<Case<'r>>,
    unresolved: Option<&'r str>,
}

impl Suite<'_> {
    fn failures(&self) -> usize {
        self.cases.iter().filter(|c| !c.2.is_empty()).count()
    }

    fn errors(&self) -> usize {
        self.report.chain.gaps.len() + usize::from(self.unresolved.is_some())
    }
}

fn suite<'r>(name: &str, report: &'r Report, unresolved: Option<&'r str>) -> Suite<'r> {
    let mut layers: Vec<String> = report.chain.layers.iter().map(|l| l.id.clone()).collect();
    layers.push("chain".to_string());
    let mut cases = Vec::new();
    for rule in &report.rules_evaluated {
        for layer in &layers {
            let hits: Vec<_> = report
                .findings
                .iter()
                .filter(|f| &f.rule == rule && &f.layer == layer)
                .collect();
            // Chain-level cases exist only where a rule reported at chain level, so that
            // layer-scoped rules do not get a meaningless extra pass.
            if layer == "chain" && hits.is_empty() {
                continue;
            }
            cases.push((rule.clone(), layer.clone(), hits));
        }
    }
    Suite {
        name: name.to_string(),
        report,
        cases,
        unresolved,
    }
}

fn write_suite(w: &mut Writer<Vec<u8>>, s: &Suite<'_>) {
    let report = s.report;
    let errors = s.errors();
    let mut suite = BytesStart::new("testsuite");
    suite.push_attribute(("name", s.name.as_str()));
    suite.push_attribute(("tests", (s.cases.len() + errors).to_string().as_str()));
    suite.push_attribute(("failures", s.failures().to_string().as_str()));
    suite.push_attribute(("errors", errors.to_string().as_str()));
    let _ = w.write_event(Event::Start(suite));
    for (rule, layer, hits) in &s.cases {
        let mut tc = BytesStart::new("testcase");
        let name = format!("{rule} on {layer}");
        let class = format!("wsaudit.{rule}");
        tc.push_attribute(("name", name.as_str()));
        tc.push_attribute(("classname", class.as_str()));
        if hits.is_empty() {
            let _ = w.write_event(Event::Empty(tc));
            continue;
        }
        let _ = w.write_event(Event::Start(tc));
        for f in hits {
            let mut fail = BytesStart::new("failure");
            fail.push_attribute(("message", f.message.as_str()));
            fail.push_attribute(("type", f.severity.as_str()));
            let _ = w.write_event(Event::Start(fail));
            let mut body = format!("{}\nFix: {}", f.message, f.remediation);
            if let Some(l) = &f.locator {
                body.push_str(&format!("\nAt: {}", l.display()));
            }
            let _ = w.write_event(Event::Text(BytesText::new(&body)));
            let _ = w.write_event(Event::End(BytesEnd::new("failure")));
        }
        let _ = w.write_event(Event::End(BytesEnd::new("testcase")));
    }
    for g in &report.chain.gaps {
        let mut tc = BytesStart::new("testcase");
        let name = format!("read {}", g.layer);
        tc.push_attribute(("name", name.as_str()));
        tc.push_attribute(("classname", "wsaudit.read"));
        let _ = w.write_event(Event::Start(tc));
        let mut err = BytesStart::new("error");
        err.push_attribute(("message", g.reason.as_str()));
        // A saved gap without a known code kept the type older reports gave a codeless one.
        let kind = match g.code {
            GapCode::Unknown => "unreadable",
            code => code.as_str(),
        };
        err.push_attribute(("type", kind));
        let _ = w.write_event(Event::Empty(err));
        let _ = w.write_event(Event::End(BytesEnd::new("testcase")));
    }
    if let Some(why) = s.unresolved {
        let mut tc = BytesStart::new("testcase");
        let name = format!("resolve {}", s.name);
        tc.push_attribute(("name", name.as_str()));
        tc.push_attribute(("classname", "wsaudit.resolve"));
        let _ = w.write_event(Event::Start(tc));
        let mut err = BytesStart::new("error");
        err.push_attribute(("message", why));
        err.push_attribute(("type", "unresolved"));
        let _ = w.write_event(Event::Empty(err));
        let _ = w.write_event(Event::End(BytesEnd::new("testcase")));
    }
    let _ = w.write_event(Event::End(BytesEnd::new("testsuite")));
}
