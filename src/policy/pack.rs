//! Loads the Rego rule pack (built-in plus `--policy DIR`) and evaluates it over a chain.
//!
//! Rules see only the chain as JSON (`input`) and the thresholds (`data.wsaudit.config`).
//! What a rule returns is a partial finding (`layer`, `message`, `evidence`, optionally the
//! `setting` it is about); the engine adds the metadata, resolves the setting's provenance into
//! a locator, then applies the user's severity overrides and suppressions. Keeping those in
//! Rust means every rule, built-in or user-written, obeys them the same way.

use super::config::{Config, Suppression};
use super::finding::{Evaluation, Finding, Locator, SuppressedFinding};
use super::metadata::RuleMeta;
use crate::model::{Chain, Origin};
use serde_json::{json, Value as Json};
use std::path::Path;
use thiserror::Error;

mod builtin {
    include!(concat!(env!("OUT_DIR"), "/builtin_policies.rs"));
}

/// The built-in pack's files (path, text), as embedded in the binary.
pub fn builtin_sources() -> &'static [(&'static str, &'static str)] {
    builtin::BUILTIN_POLICIES
}

#[derive(Debug, Error)]
pub enum PolicyError {
    #[error("{message}")]
    Parse { file: String, message: String },
    #[error("{file}:{line}: {message}")]
    Metadata {
        file: String,
        line: usize,
        message: String,
    },
    #[error("rule {id} is defined twice: {first} and {second}")]
    Duplicate {
        id: String,
        first: String,
        second: String,
    },
    #[error("{dir}: {message}")]
    Io { dir: String, message: String },
    #[error("rule {rule} ({file}) failed to evaluate: {message}")]
    Eval {
        rule: String,
        file: String,
        message: String,
    },
    #[error("{context}unknown rule id `{id}`{}", suggest(.suggestions))]
    UnknownRule {
        id: String,
        context: String,
        suggestions: Vec<String>,
    },
}

fn suggest(s: &[String]) -> String {
    if s.is_empty() {
        " (see `wsaudit rules`)".to_string()
    } else {
        format!("; did you mean {}?", s.join(", "))
    }
}

#[derive(Debug, Clone)]
pub struct LoadedRule {
    pub meta: RuleMeta,
    /// `data.wsaudit.rules.ws401`
    pub package: String,
    /// The file it was read from (`policies/ws401_…rego` for built-ins).
    pub file: String,
    pub builtin: bool,
}

pub struct RulePack {
    engine: regorus::Engine,
    rules: Vec<LoadedRule>,
    /// The pack compiled for regorus' VM: about 3x faster than the tree interpreter on the
    /// built-in pack. `None` when a user rule uses something the VM compiler does not support;
    /// the interpreter then does the work (and always names the failing rule on errors).
    vm: Option<regorus::rvm::RegoVM>,
    /// What `vm` was made from, for forks.
    compiled: Option<VmProgram>,
    /// The `data` document currently loaded into the engine.
    data: Option<Json>,
}

const RULES_PREFIX: &str = "data.wsaudit.rules.";
const AGGREGATE_RULE: &str = "data.wsaudit_aggregate.findings";

/// The pack compiled for regorus' VM (aggregate entry point): compiled once, shared by every
/// VM made from it (one per thread in `evaluate_all`).
#[derive(Clone)]
struct VmProgram {
    policy: regorus::CompiledPolicy,
    program: std::sync::Arc<regorus::rvm::program::Program>,
}

impl VmProgram {
    fn compile(engine: &mut regorus::Engine) -> Option<VmProgram> {
        let entry: regorus::Rc<str> = AGGREGATE_RULE.into();
        let policy = engine.compile_with_entrypoint(&entry).ok()?;
        let program = regorus::languages::rego::compiler::Compiler::compile_from_policy(
            &policy,
            &[AGGREGATE_RULE],
        )
        .ok()?;
        Some(VmProgram { policy, program })
    }

    fn vm(&self) -> regorus::rvm::RegoVM {
        let mut vm = regorus::rvm::RegoVM::new_with_policy(self.policy.clone());
        vm.load_program(self.program.clone());
        vm
    }
}

/// A generated module collecting every rule's findings into one object. Array comprehensions
/// keep a rule with no findings an empty list rather than undefined (which would make the
/// whole object undefined).
fn aggregate_module(rules: &[LoadedRule]) -> String {
    let mut m = String::from("package wsaudit_aggregate\n\nimport rego.v1\n\nfindings := {\n");
    for r in rules {
        let leaf = r.package.trim_start_matches(RULES_PREFIX);
        m.push_str(&format!(
            "\t{leaf:?}: [f | some f in {}.findings],\n",
            r.package
        ));
    }
    m.push_str("}\n");
    m
}

impl RulePack {
    /// The built-in pack, plus every `*.rego` under `user_dir` (tests excluded).
    pub fn load(user_dir: Option<&Path>) -> Result<RulePack, PolicyError> {
        let mut sources: Vec<(String, String, bool)> = builtin::BUILTIN_POLICIES
            .iter()
            .map(|(p, t)| (p.to_string(), t.to_string(), true))
            .collect();
        if let Some(dir) = user_dir {
            let mut files = Vec::new();
            collect_rego(dir, &mut files).map_err(|e| PolicyError::Io {
                dir: dir.display().to_string(),
                message: e.to_string(),
            })?;
            if files.is_empty() {
                return Err(PolicyError::Io {
                    dir: dir.display().to_string(),
                    message: "no .rego files found".into(),
                });
            }
            for f in files {
                let text = std::fs::read_to_string(&f).map_err(|e| PolicyError::Io {
                    dir: f.display().to_string(),
                    message: e.to_string(),
                })?;
                sources.push((f.display().to_string(), text, false));
            }
        }
        Self::from_sources(sources)
    }

    fn from_sources(sources: Vec<(String, String, bool)>) -> Result<RulePack, PolicyError> {
        let mut engine = regorus::Engine::new();
        let mut packages = Vec::new();
        for (file, text, builtin) in &sources {
            let package =
                engine
                    .add_policy(file.clone(), text.clone())
                    .map_err(|e| PolicyError::Parse {
                        file: file.clone(),
                        message: tidy_rego_error(&e.to_string()),
                    })?;
            if package.starts_with(RULES_PREFIX) {
                packages.push((package, file.clone(), text.clone(), *builtin));
            }
        }
        let mut rules: Vec<LoadedRule> = Vec::new();
        for (package, file, text, builtin) in packages {
            let line = line_of(&text, "metadata");
            let missing = || {
                PolicyError::Metadata {
                file: file.clone(),
                line: line_of(&text, "package"),
                message: format!("{package} defines no `metadata` object (id, title, severity, category, why, remediation, snippet)"),
            }
            };
            let raw = match engine.eval_rule(format!("{package}.metadata")) {
                Ok(v) => v,
                Err(e) if e.to_string().contains("not a valid rule path") => return Err(missing()),
                Err(e) => {
                    return Err(PolicyError::Metadata {
                        file: file.clone(),
                        line,
                        message: format!("cannot evaluate `metadata`: {e}"),
                    })
                }
            };
            let json = serde_json::to_value(&raw).unwrap_or(Json::Null);
            if json.is_null() || json == json!("<undefined>") {
                return Err(missing());
            }
            let meta: RuleMeta =
                serde_json::from_value(json).map_err(|e| PolicyError::Metadata {
                    file: file.clone(),
                    line,
                    message: format!("metadata: {e}"),
                })?;
            meta.validate().map_err(|m| PolicyError::Metadata {
                file: file.clone(),
                line,
                message: m,
            })?;
            if let Some(prev) = rules.iter().find(|r| r.meta.id == meta.id) {
                return Err(PolicyError::Duplicate {
                    id: meta.id,
                    first: prev.file.clone(),
                    second: file,
                });
            }
            rules.push(LoadedRule {
                meta,
                package,
                file,
                builtin,
            });
        }
        rules.sort_by(|a, b| a.meta.id.cmp(&b.meta.id));
        engine
            .add_policy("(generated aggregate)".into(), aggregate_module(&rules))
            .map_err(|e| PolicyError::Parse {
                file: "(generated aggregate)".into(),
                message: e.to_string(),
            })?;
        let compiled = VmProgram::compile(&mut engine);
        Ok(RulePack {
            engine,
            rules,
            vm: compiled.as_ref().map(VmProgram::vm),
            compiled,
            data: None,
        })
    }

    /// The aggregate evaluation failed: find the rule whose own evaluation fails, so the
    /// message names it and its file.
    fn blame(&mut self, aggregate_error: String) -> PolicyError {
        for rule in &self.rules {
            if let Err(e) = self.engine.eval_rule(format!("{}.findings", rule.package)) {
                return PolicyError::Eval {
                    rule: rule.meta.id.clone(),
                    file: rule.file.clone(),
                    message: e.to_string(),
                };
            }
        }
        PolicyError::Eval {
            rule: "(rule pack)".into(),
            file: "-".into(),
            message: aggregate_error,
        }
    }

    /// The same pack evaluated by the interpreter only (for comparisons and diagnosis).
    pub fn without_vm(mut self) -> Self {
        self.vm = None;
        self
    }

    /// Whether evaluation runs on regorus' VM (else on its interpreter).
    pub fn uses_vm(&self) -> bool {
        self.vm.is_some()
    }

    pub fn rules(&self) -> &[LoadedRule] {
        &self.rules
    }

    pub fn get(&self, id: &str) -> Option<&LoadedRule> {
        self.rules
            .iter()
            .find(|r| r.meta.id.eq_ignore_ascii_case(id))
    }

    /// An error for an id that names no rule, with the closest ids.
    pub fn unknown_rule(&self, id: &str, context: &str) -> PolicyError {
        let mut scored: Vec<(f64, &str)> = self
            .rules
            .iter()
            .map(|r| {
                (
                    strsim::jaro_winkler(&id.to_ascii_uppercase(), &r.meta.id),
                    r.meta.id.as_str(),
                )
            })
            .filter(|(s, _)| *s > 0.7)
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0));
        PolicyError::UnknownRule {
            id: id.to_string(),
            context: context.to_string(),
            suggestions: scored
                .iter()
                .take(3)
                .map(|(_, id)| id.to_string())
                .collect(),
        }
    }

    /// Runs every enabled rule over the chain.
    pub fn evaluate(&mut self, chain: &Chain, config: &Config) -> Result<Evaluation, PolicyError> {
        self.evaluate_chain(chain, config, Suppress::Yes)
    }

    fn evaluate_chain(
        &mut self,
        chain: &Chain,
        config: &Config,
        suppress: Suppress,
    ) -> Result<Evaluation, PolicyError> {
        // Straight from JSON text into regorus' value tree: building a serde_json tree first
        // and converting it took 0.13 ms per location of the 10k-server benchmark corpus,
        // against 0.08 ms this way.
        let text = serde_json::to_string(chain).expect("the chain model always serializes");
        let input = regorus::Value::from_json_str(&text).expect("serde_json writes valid JSON");
        self.evaluate_input(chain, input, config, suppress)
    }

    /// Judges many independent chains (every WebSocket location of a large nginx tree), on
    /// up to four threads, each with its own copy of the pack; results in the input's order.
    /// Suppressions are not applied here: they apply to the report as a whole
    /// (`merge_evaluations`), where an unused one can be told from one that matched elsewhere.
    pub fn evaluate_all(
        &mut self,
        chains: &[Chain],
        config: &Config,
    ) -> Result<Vec<Evaluation>, PolicyError> {
        // Below this, threads cost more than they save.
        if chains.len() < 512 {
            return chains
                .iter()
                .map(|c| self.evaluate_chain(c, config, Suppress::No))
                .collect();
        }
        let this = &*self;
        crate::parallel::map_chunks(chains, |part| {
            let mut pack = this.fork();
            part.iter()
                .map(|c| pack.evaluate_chain(c, config, Suppress::No))
                .collect::<Result<Vec<_>, _>>()
        })
        .into_iter()
        .try_fold(Vec::with_capacity(chains.len()), |mut out, part| {
            out.extend(part?);
            Ok(out)
        })
    }

    /// An independent copy for another thread: same modules and compiled program, its own
    /// VM and data.
    fn fork(&self) -> RulePack {
        RulePack {
            engine: self.engine.clone(),
            rules: self.rules.clone(),
            vm: self
                .vm
                .as_ref()
                .and(self.compiled.as_ref())
                .map(VmProgram::vm),
            compiled: self.compiled.clone(),
            data: None,
        }
    }

    /// Like `evaluate`, with the chain's JSON already made.
    pub fn evaluate_json(
        &mut self,
        chain: &Chain,
        input: Json,
        config: &Config,
    ) -> Result<Evaluation, PolicyError> {
        self.evaluate_input(chain, regorus::Value::from(input), config, Suppress::Yes)
    }

    fn evaluate_input(
        &mut self,
        chain: &Chain,
        input: regorus::Value,
        config: &Config,
        suppress: Suppress,
    ) -> Result<Evaluation, PolicyError> {
        // Replacing data makes the interpreter re-analyse every module (several ms), so it is
        // done only when the thresholds change, not per chain.
        let data = json!({"wsaudit": {"config": config.thresholds}});
        if self.data.as_ref() != Some(&data) {
            self.engine.clear_data();
            self.engine
                .add_data(regorus::Value::from(data.clone()))
                .expect("thresholds are a JSON object");
            if let Some(vm) = &mut self.vm {
                if vm.set_data(regorus::Value::from(data.clone())).is_err() {
                    self.vm = None;
                }
            }
            self.data = Some(data);
        }

        // All rules in one evaluation: the lib's derived values (effective idle timeout, the
        // cutter, …) are computed once instead of once per rule.
        let result = match &mut self.vm {
            Some(vm) => {
                vm.set_input(input.clone());
                vm.execute_entry_point_by_name(AGGREGATE_RULE)
                    .map_err(|e| e.to_string())
            }
            None => {
                self.engine.set_input(input.clone());
                self.engine
                    .eval_rule(AGGREGATE_RULE.to_string())
                    .map_err(|e| e.to_string())
            }
        };
        let mut all = match result {
            Ok(v) => serde_json::to_value(&v).unwrap_or(Json::Null),
            Err(e) => {
                self.engine.set_input(input);
                return Err(self.blame(e));
            }
        };
        let mut raw_findings = Vec::new();
        let mut evaluated = Vec::new();
        for rule in &self.rules {
            if config
                .disabled_rules
                .iter()
                .any(|d| d.eq_ignore_ascii_case(&rule.meta.id))
            {
                continue;
            }
            evaluated.push(rule.meta.id.clone());
            let leaf = rule.package.trim_start_matches(RULES_PREFIX);
            let items = match all.get_mut(leaf).map(Json::take) {
                Some(Json::Array(a)) => a,
                Some(other) => {
                    return Err(PolicyError::Eval {
                        rule: rule.meta.id.clone(),
                        file: rule.file.clone(),
                        message: format!("`findings` must be a set of objects, got {other}"),
                    })
                }
                None => Vec::new(),
            };
            for item in items {
                raw_findings.push(build_finding(rule, item, chain, config)?);
            }
        }
        let layer_pos = |id: &str| {
            chain
                .layers
                .iter()
                .position(|l| l.id == id)
                .unwrap_or(usize::MAX)
        };
        raw_findings.sort_by(|a, b| {
            b.severity
                .cmp(&a.severity)
                .then_with(|| a.rule.cmp(&b.rule))
                .then_with(|| layer_pos(&a.layer).cmp(&layer_pos(&b.layer)))
                .then_with(|| a.message.cmp(&b.message))
        });
        let (findings, suppressed, notices) = match suppress {
            Suppress::Yes => apply_suppressions(raw_findings, &config.suppressions, today()),
            Suppress::No => (raw_findings, Vec::new(), Vec::new()),
        };
        Ok(Evaluation {
            findings,
            suppressed,
            notices,
            rules_evaluated: evaluated,
        })
    }
}

/// Whether an evaluation applies the user's suppressions itself.
#[derive(Clone, Copy)]
enum Suppress {
    Yes,
    No,
}

fn build_finding(
    rule: &LoadedRule,
    mut item: Json,
    chain: &Chain,
    config: &Config,
) -> Result<Finding, PolicyError> {
    let bad = |m: &str| PolicyError::Eval {
        rule: rule.meta.id.clone(),
        file: rule.file.clone(),
        message: m.to_string(),
    };
    let obj = item
        .as_object_mut()
        .ok_or_else(|| bad("each finding must be an object"))?;
    let layer = obj
        .get("layer")
        .and_then(Json::as_str)
        .ok_or_else(|| bad("a finding needs a string `layer` (a layer id, or \"chain\")"))?
        .to_string();
    let message = obj
        .get("message")
        .and_then(Json::as_str)
        .ok_or_else(|| bad("a finding needs a string `message`"))?
        .to_string();
    let evidence = obj.remove("evidence").unwrap_or(Json::Null);
    let the_layer = chain.layers.iter().find(|l| l.id == layer);
    let setting = obj.get("setting").and_then(Json::as_str);
    let locator = match (the_layer, setting) {
        (Some(l), Some(name)) => locator_for_setting(l, name),
        (Some(l), None) => l.locator.as_ref().map(|r| Locator::resource(r, None)),
        (None, _) => None,
    };
    let severity = config
        .severity_overrides
        .iter()
        .find(|(id, _)| id.eq_ignore_ascii_case(&rule.meta.id))
        .map(|(_, s)| *s);
    // A rule may grade one finding differently from its default (an expired certificate versus
    // one expiring soon); the user's override in wsaudit.toml still wins.
    let from_rule = match obj.get("severity") {
        Some(Json::String(s)) => Some(s.parse::<super::Severity>().map_err(|m| bad(&m))?),
        Some(_) => return Err(bad("`severity` must be a string")),
        None => None,
    };
    let severity = severity.or(from_rule).unwrap_or(rule.meta.severity);
    Ok(Finding {
        rule: rule.meta.id.clone(),
        title: rule.meta.title.clone(),
        severity,
        category: rule.meta.category.clone(),
        layer,
        provider: the_layer.map(|l| l.provider.as_str().to_string()),
        message,
        evidence,
        remediation: rule.meta.remediation.clone(),
        locator,
    })
}

/// Points at the line that set the value, or at the resource whose default applies.
fn locator_for_setting(layer: &crate::model::Layer, name: &str) -> Option<Locator> {
    match layer.origin_of(name)? {
        Origin::Explicit {
            locator,
            line,
            column,
            field,
        } => Some(if line.is_some() {
            Locator {
                kind: "file".into(),
                target: locator.clone(),
                line: *line,
                column: *column,
                field: field.clone(),
            }
        } else {
            Locator::resource(locator, field.clone().or_else(|| Some(name.to_string())))
        }),
        _ => layer
            .locator
            .as_ref()
            .map(|r| Locator::resource(r, Some(name.to_string()))),
    }
}

/// Evaluations of many chains reported together (every WebSocket location of an nginx tree):
/// findings in chain order, suppressions applied to the whole, so a suppression that matched in
/// one chain is not called unused because the others lacked the finding.
pub fn merge_evaluations(evaluations: Vec<Evaluation>, config: &Config) -> Evaluation {
    let mut all = Vec::new();
    let mut rules_evaluated = Vec::new();
    for ev in evaluations {
        all.extend(ev.findings);
        all.extend(ev.suppressed.into_iter().map(|s| s.finding));
        if rules_evaluated.is_empty() {
            rules_evaluated = ev.rules_evaluated;
        }
    }
    let (findings, suppressed, notices) = apply_suppressions(all, &config.suppressions, today());
    Evaluation {
        findings,
        suppressed,
        notices,
        rules_evaluated,
    }
}

pub(crate) fn today() -> time::Date {
    time::OffsetDateTime::now_utc().date()
}

/// Moves findings matched by a live suppression aside. An expired suppression stops
/// suppressing and says so; one that matched nothing is reported so waivers do not rot.
pub(crate) fn apply_suppressions(
    findings: Vec<Finding>,
    suppressions: &[Suppression],
    today: time::Date,
) -> (Vec<Finding>, Vec<SuppressedFinding>, Vec<String>) {
    let mut kept = Vec::new();
    let mut suppressed = Vec::new();
    let mut used = vec![false; suppressions.len()];
    for f in findings {
        let hit = suppressions.iter().position(|s| {
            s.rule.eq_ignore_ascii_case(&f.rule)
                && s.layer.as_ref().is_none_or(|l| *l == f.layer)
                && s.expires >= today
        });
        match hit {
            Some(i) => {
                used[i] = true;
                suppressed.push(SuppressedFinding {
                    reason: suppressions[i].reason.clone(),
                    expires: suppressions[i].expires.to_string(),
                    finding: f,
                });
            }
            None => kept.push(f),
        }
    }
    let mut notices = Vec::new();
    for (i, s) in suppressions.iter().enumerate() {
        let scope = match &s.layer {
            Some(l) => format!("{} on layer {l}", s.rule),
            None => s.rule.clone(),
        };
        if s.expires < today {
            notices.push(format!(
                "{}: the suppression of {scope} expired on {}; its findings are reported again",
                s.origin, s.expires
            ));
        } else if !used[i] {
            notices.push(format!(
                "{}: the suppression of {scope} matches no finding; remove it",
                s.origin
            ));
        }
    }
    (kept, suppressed, notices)
}

fn collect_rego(dir: &Path, out: &mut Vec<std::path::PathBuf>) -> std::io::Result<()> {
    for e in std::fs::read_dir(dir)? {
        let p = e?.path();
        if p.is_dir() {
            collect_rego(&p, out)?;
        } else if p.extension().is_some_and(|x| x == "rego")
            && !p.to_string_lossy().ends_with("_test.rego")
        {
            out.push(p);
        }
    }
    out.sort();
    Ok(())
}

fn line_of(text: &str, word: &str) -> usize {
    text.lines()
        .position(|l| l.trim_start().starts_with(word))
        .map(|i| i + 1)
        .unwrap_or(1)
}

/// regorus reports `\n--> file:10:1\n   |\n10 | }\n   | ^\nerror: expecting expression`;
/// users get `file:10:1: expecting expression` first, the excerpt after.
fn tidy_rego_error(raw: &str) -> String {
    let trimmed = raw.trim();
    let location = trimmed
        .lines()
        .find_map(|l| l.trim_start().strip_prefix("--> "))
        .map(str::trim);
    let message = trimmed
        .lines()
        .rev()
        .find_map(|l| l.trim_start().strip_prefix("error: "))
        .map(str::trim);
    match (location, message) {
        (Some(loc), Some(msg)) => {
            let excerpt: Vec<&str> = trimmed
                .lines()
                .filter(|l| {
                    l.trim_start()
                        .starts_with(|c: char| c.is_ascii_digit() || c == '|')
                })
                .collect();
            format!("{loc}: {msg}\n{}", excerpt.join("\n"))
        }
        _ => trimmed.to_string(),
    }
}
