//! The nginx provider: reads a configuration the way nginx does (includes, `nginx -T` dumps,
//! server and location selection, directive inheritance, maps) and turns the locations that
//! proxy WebSockets into chain layers.

mod error;
mod json;
mod lexer;
mod source;
mod tree;

pub use error::NginxError;
pub use json::crossplane_payload;
pub use source::{Disk, Dump, Source, Stdin};
pub use tree::{Block, ConfFile, Config, Dir};
