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
    // Flyway's options are `-key=value`; a wrapper's may take a value
    // (`node-flywaydb -c conf.js clean`): any bare word may be the command.
    let ops = args.ops();
    let judged = if ops.contains(&"clean") {
        reset("flyway clean drops every object in the schemas")
    } else if ops
        .iter()
        .any(|c| matches!(*c, "migrate" | "undo" | "repair" | "baseline"))
    {
        change("flyway changes the schema or its history")
    } else {
        None
    };
    report(w, inv, &args, judged);
}
