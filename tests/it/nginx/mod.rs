//! nginx: the reader (against crossplane and `nginx -t`), selection semantics, the rules on
//! real configurations, a live nginx, no-panic properties and `wsaudit nginx`.

mod cli;
mod live;
mod no_panic;
mod reader;
mod rules;
mod semantics;
mod verdicts;
