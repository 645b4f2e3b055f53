//! db-migrate (Node.js): `reset` undoes every migration and `db:drop`
//! deletes a database (high); `up`, `down` and `db:create` apply or undo
//! migrations (medium).

use super::super::super::opts::Spec;
use super::super::super::walk::{Invocation, Scope, Walker};
use super::{change, report, reset, Args};

/// Program names.
pub const NAMES: &[&str] = &["db-migrate"];

const SPEC: Spec = Spec {
    short_values: "ecm",
    long_values: &[
        "env",
        "config",
        "migrations-dir",
        "count",
        "sql-file",
        "table",
        "vcseed-dir",
    ],
};

/// Classifies a command of this tool.
pub fn classify(w: &mut Walker, inv: &Invocation, _scope: &Scope) {
    let args = Args::read(inv, &SPEC);
    let judged = match args.ops().as_slice() {
        ["reset", ..] => reset("db-migrate reset undoes every migration"),
        ["db:drop", ..] => reset("db-migrate db:drop deletes a database"),
        ["up" | "down" | "db:create", ..] => change("db-migrate applies or undoes migrations"),
        _ => None,
    };
    report(w, inv, &args, judged);
}
