//! The thin binary: parse the command line, run the command, map the outcome to an exit code.

use clap::Parser;
use std::process::ExitCode;
use wsaudit::cli::Cli;
use wsaudit::commands::{self, exit};

fn main() -> ExitCode {
    let cli = Cli::parse();
    match commands::run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("wsaudit: error: {e}");
            ExitCode::from(exit::INPUT_ERROR)
        }
    }
}
