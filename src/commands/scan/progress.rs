//! The scan's progress on standard error: a bar of inventories read, then of targets audited
//! (done/total, failures, ETA). Off with `--no-progress` or `--quiet`, and when standard error
//! is not a terminal (a scheduled job's log would fill with redraws).

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::sync::atomic::{AtomicU64, Ordering};

pub struct Progress {
    bar: ProgressBar,
    failures: AtomicU64,
}

impl Progress {
    pub fn new(enabled: bool) -> Self {
        let shown = enabled && std::io::stderr().is_terminal();
        let bar = if shown {
            ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr())
        } else {
            ProgressBar::hidden()
        };
        Progress {
            bar,
            failures: AtomicU64::new(0),
        }
    }

    /// Starts a phase of `total` steps.
    pub fn phase(&self, what: &'static str, total: u64) {
        self.bar.reset();
        self.bar.set_length(total);
        self.bar.set_position(0);
        self.failures.store(0, Ordering::Relaxed);
        let style = ProgressStyle::with_template(&format!(
            "wsaudit: {what} {{bar:30}} {{pos}}/{{len}} {{msg}} ETA {{eta}}"
        ))
        .unwrap_or_else(|_| ProgressStyle::default_bar());
        self.bar.set_style(style);
        self.bar.set_message("");
    }

    /// The phase turned out to have `total` steps (a target audited at several routes).
    pub fn set_total(&self, total: u64) {
        self.bar.set_length(total);
    }

    /// One step done; `failed` when it could not be completed (a gap, an unresolved target).
    pub fn step(&self, failed: bool) {
        if failed {
            let n = self.failures.fetch_add(1, Ordering::Relaxed) + 1;
            self.bar.set_message(format!("({n} incomplete)"));
        }
        self.bar.inc(1);
    }

    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
