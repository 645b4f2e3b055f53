//! Sequelize CLI: `db:drop`, `db:migrate:undo:all` and `db:seed:undo:all`
//! drop the database, every migration or every seeded row (high);
//! `db:migrate`, `db:migrate:undo`, `db:seed…` change the schema or data
//! (medium).

use super::super::super::opts::Spec;
use super::super::super::walk::{Invocation, Scope, Walker};
use super::{change, report, reset, Args};

/// Program names.
pub const NAMES: &[&str] = &["sequelize", "sequelize-cli"];

const SPEC: Spec = Spec {
    short_values: "",
    long_values: &[
        "env",
        "config",
        "options-path",
        "migrations-path",
        "seeders-path",
        "models-path",
        "url",
        "to",
        "seed",
        "name",
    ],
};

/// Classifies a command of this tool.
pub fn classify(w: &mut Walker, inv: &Invocation, _scope: &Scope) {
    let args = Args::read(inv, &SPEC);
    let judged = match args.ops().as_slice() {
        ["db:drop" | "db:migrate:undo:all" | "db:seed:undo:all", ..] => {
            reset("Sequelize drops the database, all migrations or all seeded data")
        }
        ["db:migrate" | "db:migrate:undo" | "db:seed:undo" | "db:seed" | "db:seed:all", ..] => {
            change("Sequelize changes the schema or its data")
        }
        _ => None,
    };
    report(w, inv, &args, judged);
}
