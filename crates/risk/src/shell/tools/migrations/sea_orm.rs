//! SeaORM's CLI: `sea-orm-cli migrate fresh|reset|refresh` drop every
//! table or undo every migration (high); `up`, `down` and a bare `migrate`
//! change the schema (medium).

use super::super::super::opts::Spec;
use super::super::super::walk::{Invocation, Scope, Walker};
use super::{change, report, reset, Args};

/// Program names.
pub const NAMES: &[&str] = &["sea-orm-cli"];

const SPEC: Spec = Spec {
    short_values: "duns",
    long_values: &["database-url", "database-schema", "migration-dir", "num"],
};

/// Classifies a command of this tool.
pub fn classify(w: &mut Walker, inv: &Invocation, _scope: &Scope) {
    let args = Args::read(inv, &SPEC);
    let judged = match args.ops().as_slice() {
        ["migrate", "fresh" | "reset" | "refresh", ..] => {
            reset("sea-orm-cli migrate fresh/reset/refresh drops every table or undoes every migration")
        }
        ["migrate", "up" | "down", ..] | ["migrate"] => change("sea-orm-cli changes the schema"),
        _ => None,
    };
    report(w, inv, &args, judged);
}
