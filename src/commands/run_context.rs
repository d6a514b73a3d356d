//! What every judging command shares: the settings file, the rule pack, the report writer and
//! the exit code.

use super::error::CommandError;
use crate::cli::{ColorChoice, FailOn, Format, GlobalArgs};
use crate::model::{Chain, Heartbeat, HeartbeatDirection, HeartbeatSource, Seconds};
use crate::policy::{Config, Evaluation, RulePack, Severity};
use crate::report::{self, RenderOptions, Report};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

pub struct Context {
    pub global: GlobalArgs,
    pub config: Config,
    pub pack: RulePack,
}

/// A chain with its verdict, ready to render.
pub struct Judged {
    pub report: Report,
}

impl Context {
    /// Reads `--config` (or `./wsaudit.toml` when present) and the rule pack (plus `--policy`),
    /// and checks that every rule id the settings name exists.
    pub fn load(global: &GlobalArgs) -> Result<Context, CommandError> {
        let pack = RulePack::load(global.policy.as_deref())?;
        let config_path: Option<PathBuf> = match &global.config {
            Some(p) => Some(p.clone()),
            None => {
                let default = Path::new("wsaudit.toml");
                default.exists().then(|| default.to_path_buf())
            }
        };
        let config = match config_path {
            None => Config::default(),
            Some(p) => {
                let (config, refs) = Config::load(&p)?;
                for r in refs {
                    if pack.get(&r.id).is_none() {
                        return Err(pack
                            .unknown_rule(
                                &r.id,
                                &format!("{}:{}:{}: ", p.display(), r.line, r.column),
                            )
                            .into());
                    }
                }
                config
            }
        };
        Ok(Context {
            global: global.clone(),
            config,
            pack,
        })
    }

    /// Progress and diagnostics go to standard error, never into a report.
    pub fn info(&self, msg: &str) {
        if !self.global.quiet && !self.global.no_progress {
            eprintln!("wsaudit: {msg}");
        }
    }

    pub fn debug(&self, msg: &str) {
        if self.global.verbose >= 2 && !self.global.quiet {
            eprintln!("wsaudit: debug: {msg}");
        }
    }

    /// The heartbeat the user declared (flag, then wsaudit.toml) replaces whatever the chain
    /// carries, except a probed one, which is what actually happened.
    pub fn apply_heartbeat(&self, chain: &mut Chain, flag: Option<(Seconds, HeartbeatDirection)>) {
        let declared = flag.or_else(|| {
            self.config
                .heartbeat
                .as_ref()
                .map(|h| (h.interval, h.direction))
        });
        let probed = matches!(
            chain.heartbeat,
            Some(Heartbeat {
                source: HeartbeatSource::Probed,
                ..
            })
        );
        if let (Some((interval, direction)), false) = (declared, probed) {
            chain.heartbeat = Some(Heartbeat {
                interval_s: interval,
                direction,
                source: HeartbeatSource::Declared,
            });
        }
    }

    pub fn judge(&mut self, chain: Chain) -> Result<Judged, CommandError> {
        let Evaluation {
            findings,
            suppressed,
            notices,
            rules_evaluated,
        } = self.pack.evaluate(&chain, &self.config)?;
        // What providers noticed while reading is shown with the policy's own notices.
        let notices: Vec<String> = chain
            .notices
            .iter()
            .map(|n| format!("{}: {}", n.layer, n.message))
            .chain(notices)
            .collect();
        for n in &notices {
            self.info(n);
        }
        let fail_on = fail_on_severity(self.global.fail_on);
        let report = Report::new(
            chain,
            findings,
            suppressed,
            notices,
            rules_evaluated,
            fail_on,
        );
        Ok(Judged { report })
    }

    /// Renders the report in the chosen format, writes it, and returns the exit code.
    /// A listing's report (`nginx`, `haproxy`, `k8s`, `iac` without a domain): every chain was
    /// judged on its own (`judged`, in order); the layers are shown together in `all` and the
    /// findings merged, with the user's suppressions applied once over them all.
    /// The other routes of a domain (chains `chain.route` names), each judged like the main
    /// one, for [`crate::report::Report::add_routes`].
    pub fn judge_routes(
        &mut self,
        routes: Vec<Chain>,
    ) -> Result<Vec<crate::report::RouteReport>, CommandError> {
        let mut judged = Vec::new();
        for r in routes {
            let j = self.judge(r)?;
            let headline = j.report.headline();
            let route = crate::report::RouteReport::from_report(j.report).ok_or_else(|| {
                CommandError::Usage(
                    "a chain under `routes` has no `route`: it is not a route of this report"
                        .into(),
                )
            })?;
            self.info(&format!("route {}: {headline}", route.route.label()));
            judged.push(route);
        }
        Ok(judged)
    }

    pub fn emit_listing(
        &self,
        all: Chain,
        judged: Vec<Evaluation>,
        notices: Vec<String>,
    ) -> Result<u8, CommandError> {
        let mut merged = crate::policy::merge_evaluations(judged, &self.config);
        for n in &merged.notices {
            self.info(n);
        }
        merged.notices.extend(notices);
        let report = Report::new(
            all,
            merged.findings,
            merged.suppressed,
            merged.notices,
            merged.rules_evaluated,
            fail_on_severity(self.global.fail_on),
        );
        self.emit(&Judged { report })
    }

    pub fn emit(&self, judged: &Judged) -> Result<u8, CommandError> {
        let opts = RenderOptions {
            color: self.use_color(),
            verbose: self.global.verbose >= 1,
            width: terminal_width(),
        };
        if self.global.format == Format::Json {
            self.write_with(|out| report::json::write(&judged.report, out))?;
            return Ok(judged.report.summary.exit_code);
        }
        let rules: Vec<_> = self.pack.rules().iter().map(|r| r.meta.clone()).collect();
        let text = match self.global.format {
            Format::Table => report::table::render(&judged.report, &opts),
            Format::Json => unreachable!("streamed above"),
            Format::Markdown => report::markdown::render(&judged.report),
            Format::Sarif => report::sarif::render(&judged.report, &rules),
            Format::Junit => report::junit::render(&judged.report),
        };
        self.write(&text)?;
        Ok(judged.report.summary.exit_code)
    }

    /// Renders a scan (or merged shards) in the chosen format, writes it, and returns the
    /// scan's exit code.
    pub fn emit_scan(&self, scan: &crate::report::scan::ScanReport) -> Result<u8, CommandError> {
        let render = RenderOptions {
            color: self.use_color(),
            verbose: self.global.verbose >= 1,
            width: terminal_width(),
        };
        let rules: Vec<_> = self.pack.rules().iter().map(|r| r.meta.clone()).collect();
        let rules_evaluated = self.rules_evaluated();
        let opts = crate::report::scan::ScanRenderOptions {
            rules: &rules,
            rules_evaluated: &rules_evaluated,
            render: &render,
        };
        let format = self.global.format;
        self.write_with(|out| crate::report::scan::write_scan(scan, format, &opts, out))?;
        Ok(scan.scan.summary.exit_code)
    }

    /// The rule ids a judgement runs: the pack's, less those wsaudit.toml disables (what
    /// `Evaluation::rules_evaluated` says of one chain, for reports read back from JSON).
    pub fn rules_evaluated(&self) -> Vec<String> {
        self.pack
            .rules()
            .iter()
            .filter(|r| {
                !self
                    .config
                    .disabled_rules
                    .iter()
                    .any(|d| d.eq_ignore_ascii_case(&r.meta.id))
            })
            .map(|r| r.meta.id.clone())
            .collect()
    }

    pub fn write(&self, text: &str) -> Result<(), CommandError> {
        match &self.global.output {
            Some(path) => {
                std::fs::write(path, text).map_err(|e| CommandError::io(path.display(), e))
            }
            None => {
                let mut out = std::io::stdout().lock();
                // A closed pipe (`| head`) is not an error worth a message.
                let _ = out.write_all(text.as_bytes());
                let _ = out.flush();
                Ok(())
            }
        }
    }

    /// Like `write`, for output produced piecewise (buffered, never held whole).
    fn write_with(
        &self,
        produce: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
    ) -> Result<(), CommandError> {
        match &self.global.output {
            Some(path) => {
                let file =
                    std::fs::File::create(path).map_err(|e| CommandError::io(path.display(), e))?;
                let mut out = std::io::BufWriter::new(file);
                produce(&mut out)
                    .and_then(|()| out.flush())
                    .map_err(|e| CommandError::io(path.display(), e))
            }
            None => {
                let mut out = std::io::BufWriter::new(std::io::stdout().lock());
                // A closed pipe (`| head`) is not an error worth a message.
                let _ = produce(&mut out).and_then(|()| out.flush());
                Ok(())
            }
        }
    }

    fn use_color(&self) -> bool {
        if self.global.output.is_some() {
            return false;
        }
        match self.global.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                    && std::io::stdout().is_terminal()
            }
        }
    }
}

pub fn fail_on_severity(f: FailOn) -> Option<Severity> {
    match f {
        FailOn::Info => Some(Severity::Info),
        FailOn::Low => Some(Severity::Low),
        FailOn::Medium => Some(Severity::Medium),
        FailOn::High => Some(Severity::High),
        FailOn::Critical => Some(Severity::Critical),
        FailOn::Never => None,
    }
}

/// The terminal's width, or a fixed 120 columns when not on a terminal, which keeps piped and
/// saved tables byte-stable.
fn terminal_width() -> Option<u16> {
    let on_terminal = std::io::stdout().is_terminal();
    match terminal_size::terminal_size() {
        Some((terminal_size::Width(w), _)) if on_terminal => Some(w),
        _ => Some(120),
    }
}
