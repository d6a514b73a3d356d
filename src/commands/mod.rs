//! What each subcommand does: read inputs, build or load the chain, judge it, report it.
//! Every command returns the process exit code of DESIGN §1 or a `CommandError` (exit 2).

mod audit;
mod caddy;
mod chain;
mod docs;
mod env;
mod error;
mod haproxy;
mod iac;
mod k8s;
mod logs;
mod merge;
mod nginx;
mod probe;
mod run_context;
mod scan;

pub use chain::chain_request;
pub use error::CommandError;
pub use nginx::single_layer_chain;
pub use run_context::{Context, Judged};

use crate::cli::{Cli, Command};

/// Exit codes of DESIGN §1.
pub mod exit {
    pub const CLEAN: u8 = 0;
    pub const FINDINGS: u8 = 1;
    pub const INPUT_ERROR: u8 = 2;
    pub const INCOMPLETE: u8 = 3;
}

pub fn run(cli: Cli) -> Result<u8, CommandError> {
    match cli.command {
        Command::Chain(args) => chain::run(&cli.global, &args),
        Command::Audit(args) => audit::run(&cli.global, &args),
        Command::Probe(args) => probe::run(&cli.global, &args),
        Command::Nginx(args) => nginx::run(&cli.global, &args),
        Command::Haproxy(args) => haproxy::run(&cli.global, &args),
        Command::Caddy(args) => caddy::run(&cli.global, &args),
        Command::Iac(args) => iac::run(&cli.global, &args),
        Command::K8s(args) => k8s::run(&cli.global, &args),
        Command::Logs(args) => logs::run(&cli.global, &args),
        Command::Scan(args) => scan::run(&cli.global, &args),
        Command::Merge(args) => merge::run(&cli.global, &args),
        Command::Rules => docs::rules(&cli.global),
        Command::Explain { id } => docs::explain(&cli.global, &id),
        Command::Completions { shell } => docs::completions(shell),
        Command::Man => docs::man(),
        Command::Schema { scan } => docs::schema(scan),
    }
}
