//! Diesel: `database reset|drop` deletes the database (high), as do
//! `migration revert --all` and `migration redo --all` (every migration
//! undone, so every table it made comes back empty); `migration
//! run|revert|redo` change the schema (medium).

use super::super::super::opts::Spec;
use super::super::super::walk::{Invocation, Scope, Walker};
use super::{change, report, reset, Args};

/// Program names.
pub const NAMES: &[&str] = &["diesel"];

const SPEC: Spec = Spec {
    short_values: "",
    long_values: &["database-url", "config-file", "migration-dir", "number"],
};

/// Classifies a command of this tool.
pub fn classify(w: &mut Walker, inv: &Invocation, _scope: &Scope) {
    let args = Args::read(inv, &SPEC);
    let judged = match args.ops().as_slice() {
        ["database", "reset" | "drop", ..] => reset("diesel drops the database"),
        ["migration", "revert", ..] if args.has(&["--all", "-a"]) => {
            reset("diesel migration revert --all undoes every migration")
        }
        ["migration", "redo", ..] if args.has(&["--all", "-a"]) => {
            reset("diesel migration redo --all undoes every migration before running them again: the tables come back empty")
        }
        ["migration", "run" | "revert" | "redo", ..] => change("diesel applies or undoes migrations"),
        _ => None,
    };
    report(w, inv, &args, judged);
}
