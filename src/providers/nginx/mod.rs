//! The nginx provider: reads a configuration the way nginx does (includes, `nginx -T` dumps,
//! server and location selection, directive inheritance, maps) and turns the locations that
//! proxy WebSockets into chain layers.
//!
//! Entry points: [`read_config`] (file, dump or stdin), then [`route`] for "what does nginx
//! do for `Host: D`, path `P`" or [`websocket_layers`] for every WebSocket location;
//! [`crossplane_payload`] shows the parse itself.

mod answer;
mod audit;
mod crossplane;
mod error;
mod http_block;
mod includes;
mod layer;
mod lexer;
mod log_format;
mod parser;
mod pcre;
mod rewrite;
mod scope;
mod select;
mod source;
mod time;
mod tree;
mod upstream;
mod vars;
mod version;

pub use audit::{
    read_config, read_config_on, route, websocket_layers, websocket_locations, Input, Listed,
    Query, Routed,
};
pub use crossplane::crossplane_payload;
pub use error::NginxError;
pub use log_format::{
    access_log_formats, format_for_file, named_log_format, AccessLogFormat, COMBINED,
};
pub use select::ServerMatch;
pub use source::{Disk, Dump, Source, Stdin};
pub use time::parse_nginx_time;
pub use tree::{Block, ConfFile, Config, Dir};
pub use version::{parse_version, NginxVersion, VersionSource};
