//! SQLx CLI (`sqlx`, `cargo sqlx`): `database drop|reset` deletes the
//! database (high); `migrate run|revert` change the schema (medium).

use super::super::super::opts::Spec;
use super::super::super::walk::{Invocation, Scope, Walker};
use super::{change, report, reset, Args};

/// Program names.
pub const NAMES: &[&str] = &["sqlx"];

const SPEC: Spec = Spec {
    short_values: "D",
    long_values: &["database-url", "source", "target-version", "connect-timeout"],
};

/// Classifies a command of this tool.
pub fn classify(w: &mut Walker, inv: &Invocation, _scope: &Scope) {
    let args = Args::read(inv, &SPEC);
    let judged = match args.ops().as_slice() {
        ["database" | "db", "drop" | "reset", ..] => reset("sqlx drops the database"),
        ["migrate", "revert", ..] if args.value(&["--target-version"]).is_some_and(|v| v.text == "0") => {
            reset("sqlx migrate revert --target-version 0 undoes every migration")
        }
        ["migrate", "run" | "revert", ..] => change("sqlx applies or undoes migrations"),
        _ => None,
    };
    report(w, inv, &args, judged);
}
