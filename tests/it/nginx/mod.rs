//! nginx: the reader (against crossplane and `nginx -t`), selection semantics, the rules on
//! real configurations, a live nginx, no-panic properties, `wsaudit nginx` and its fixes applied.

mod cli;
mod fixes;
mod live;
mod no_panic;
mod reader;
mod rules;
mod semantics;
mod verdicts;
