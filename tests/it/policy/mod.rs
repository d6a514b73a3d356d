//! The rule pack: every rule's fixtures, and evaluation that never panics on any input.

mod lib_helpers;
mod never_panics;
mod rules;
