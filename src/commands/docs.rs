//! `rules`, `explain`, `completions`, `man`: the tool describing itself.

use super::{CommandError, Context};
use crate::cli::{Cli, Format, GlobalArgs};
use crate::report::rules;
use clap::CommandFactory;
use std::io::IsTerminal;

pub fn rules(global: &GlobalArgs) -> Result<u8, CommandError> {
    let ctx = Context::load(global)?;
    let metas: Vec<_> = ctx.pack.rules().iter().map(|r| r.meta.clone()).collect();
    let text = match global.format {
        Format::Table => {
            let width = (!std::io::stdout().is_terminal()).then_some(120);
            rules::table(&metas, width)
        }
        Format::Json => rules::json(&metas),
        Format::Markdown => rules::markdown(&metas),
        other => {
            return Err(CommandError::Usage(format!(
                "`rules` prints table, json or markdown, not {other:?}"
            )))
        }
    };
    ctx.write(&text)?;
    Ok(super::exit::CLEAN)
}

pub fn explain(global: &GlobalArgs, id: &str) -> Result<u8, CommandError> {
    let ctx = Context::load(global)?;
    let Some(rule) = ctx.pack.get(id) else {
        return Err(ctx.pack.unknown_rule(id, "").into());
    };
    let text = match global.format {
        Format::Markdown => rules::explain_markdown(&rule.meta),
        Format::Json => {
            let mut s = serde_json::to_string_pretty(&rule.meta).expect("metadata serializes");
            s.push('\n');
            s
        }
        _ => rules::explain(&rule.meta),
    };
    ctx.write(&text)?;
    Ok(super::exit::CLEAN)
}

pub fn completions(shell: clap_complete::Shell) -> Result<u8, CommandError> {
    let mut cmd = Cli::command();
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut cmd, "wsaudit", &mut buf);
    use std::io::Write;
    // Written in one go so a closed pipe is ignored rather than a panic inside clap_complete.
    let _ = std::io::stdout().write_all(&buf);
    Ok(super::exit::CLEAN)
}

pub fn man() -> Result<u8, CommandError> {
    let cmd = Cli::command();
    let mut buf = Vec::new();
    clap_mangen::Man::new(cmd)
        .render(&mut buf)
        .map_err(|e| CommandError::io("<stdout>", e))?;
    use std::io::Write;
    let _ = std::io::stdout().write_all(&buf);
    Ok(super::exit::CLEAN)
}

pub fn schema(scan: bool) -> Result<u8, CommandError> {
    use std::io::Write;
    let text = if scan {
        crate::report::scan::schema()
    } else {
        crate::report::json::schema()
    };
    let _ = std::io::stdout().write_all(text.as_bytes());
    Ok(super::exit::CLEAN)
}
