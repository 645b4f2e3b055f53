//! dbmate: `drop` deletes the database (high); `up`, `migrate`, `rollback`
//! and `down` apply or undo migrations (medium).

use super::super::super::opts::Spec;
use super::super::super::walk::{Invocation, Scope, Walker};
use super::{change, report, reset, Args};

/// Program names.
pub const NAMES: &[&str] = &["dbmate"];

const SPEC: Spec = Spec {
    short_values: "ued",
    long_values: &[
        "url",
        "env",
        "migrations-dir",
        "schema-file",
        "env-file",
        "migrations-table",
        "wait-timeout",
    ],
};

/// Classifies a command of this tool.
pub fn classify(w: &mut Walker, inv: &Invocation, _scope: &Scope) {
    let args = Args::read(inv, &SPEC);
    let judged = match args.ops().as_slice() {
        ["drop", ..] => reset("dbmate drop deletes the database"),
        ["up" | "migrate" | "rollback" | "down", ..] => change("dbmate applies or undoes migrations"),
        _ => None,
    };
    report(w, inv, &args, judged);
}
