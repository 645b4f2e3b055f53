//! Knex: `migrate:rollback --all` undoes every migration (high);
//! `migrate:latest|up|down|rollback` and `seed:run` change the schema or
//! its data (medium).

use super::super::super::opts::Spec;
use super::super::super::walk::{Invocation, Scope, Walker};
use super::{change, report, reset, Args};

/// Program names.
pub const NAMES: &[&str] = &["knex"];

const SPEC: Spec = Spec {
    short_values: "",
    long_values: &[
        "knexfile",
        "env",
        "cwd",
        "client",
        "connection",
        "migrations-directory",
        "specific",
        "name",
    ],
};

/// Classifies a command of this tool.
pub fn classify(w: &mut Walker, inv: &Invocation, _scope: &Scope) {
    let args = Args::read(inv, &SPEC);
    let judged = match args.ops().as_slice() {
        ["migrate:rollback", ..] if args.has(&["--all"]) => {
            reset("knex migrate:rollback --all undoes every migration")
        }
        ["migrate:rollback" | "migrate:down" | "migrate:latest" | "migrate:up" | "seed:run", ..] => {
            change("knex changes the schema or its data")
        }
        _ => None,
    };
    report(w, inv, &args, judged);
}
