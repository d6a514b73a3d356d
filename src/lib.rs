//! wsaudit: reads every layer of a WebSocket proxy chain, puts them in one model and says which
//! one breaks the connection and how to fix it.
//!
//! The flow reads top-down: `cli` → `providers` → `model` → `policy` → `report`.

pub mod cli;
pub mod commands;
pub mod discover;
pub mod model;
pub(crate) mod parallel;
pub mod policy;
pub mod providers;
pub mod report;
