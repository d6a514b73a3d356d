//! The rule pack: the built-in Rego files plus `--policy DIR`, each rule's metadata read and
//! checked at load, and one generated aggregate module so a chain is judged in one evaluation.
//! Rules are looked up here by id; running them is `evaluate.rs`.

use super::error::PolicyError;
use super::metadata::RuleMeta;
use serde_json::{json, Value as Json};
use std::path::Path;

mod builtin {
    include!(concat!(env!("OUT_DIR"), "/builtin_policies.rs"));
}

/// The built-in pack's files (path, text), as embedded in the binary.
pub fn builtin_sources() -> &'static [(&'static str, &'static str)] {
    builtin::BUILTIN_POLICIES
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
    pub(super) engine: regorus::Engine,
    pub(super) rules: Vec<LoadedRule>,
    /// The pack compiled for regorus' VM: about 3x faster than the tree interpreter on the
    /// built-in pack. `None` when a user rule uses something the VM compiler does not support;
    /// the interpreter then does the work (and always names the failing rule on errors).
    pub(super) vm: Option<regorus::rvm::RegoVM>,
    /// What `vm` was made from, for forks.
    pub(super) compiled: Option<VmProgram>,
    /// The `data` document currently loaded into the engine.
    pub(super) data: Option<Json>,
}

pub(super) const RULES_PREFIX: &str = "data.wsaudit.rules.";
pub(super) const AGGREGATE_RULE: &str = "data.wsaudit_aggregate.findings";

/// The pack compiled for regorus' VM (aggregate entry point): compiled once, shared by every
/// VM made from it (one per thread in `evaluate_all`).
#[derive(Clone)]
pub(super) struct VmProgram {
    policy: regorus::CompiledPolicy,
    program: std::sync::Arc<regorus::rvm::program::Program>,
}

impl VmProgram {
    pub(super) fn compile(engine: &mut regorus::Engine) -> Option<VmProgram> {
        let entry: regorus::Rc<str> = AGGREGATE_RULE.into();
        let policy = engine.compile_with_entrypoint(&entry).ok()?;
        let program = regorus::languages::rego::compiler::Compiler::compile_from_policy(
            &policy,
            &[AGGREGATE_RULE],
        )
        .ok()?;
        Some(VmProgram { policy, program })
    }

    pub(super) fn vm(&self) -> regorus::rvm::RegoVM {
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
