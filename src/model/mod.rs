//! The provider-neutral chain model (DESIGN §3). Providers translate into it; the policy
//! engine and the reports read only it.

mod chain;
mod drift;
mod gap;
mod load;
mod logs;
mod probe;
mod seconds;
mod setting;

pub use chain::*;
pub use drift::Drift;
pub use gap::GapCode;
pub use load::{load_chain, load_chains, ChainError};
pub use logs::*;
pub use probe::*;
pub use seconds::{parse_duration, Seconds};
pub use setting::{Origin, Setting};
