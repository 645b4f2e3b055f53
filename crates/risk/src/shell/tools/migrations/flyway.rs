//! Flyway: `clean` drops every object in the configured schemas (high);
//! `migrate`, `undo`, `repair` and `baseline` change the schema or its
//! history (medium); `info` and `validate` stay low.

use super::super::super::walk::{Invocation, Scope, Walker};
use super::{change, report, reset, Args, NO_VALUES};

/// Program names.
pub const NAMES: &[&str] = &["flyway"];

/// Classifies a command of this tool.
pub fn classify(w: &mut Walker, inv: &Invocation, _scope: &Scope) {
    let args = Args::read(inv, &NO_VALUES);
    let judged = match args.ops().first().copied() {
        Some("clean") => reset("flyway clean drops every object in the schemas"),
        Some("migrate" | "undo" | "repair" | "baseline") => {
            change("flyway changes the schema or its history")
        }
        _ => None,
    };
    report(w, inv, &args, judged);
}
