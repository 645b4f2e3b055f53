//! Laravel (`php artisan`, `artisan`): `migrate:fresh`, `migrate:reset`,
//! `migrate:refresh` and `db:wipe` drop every table (high); `migrate`,
//! `migrate:rollback` and `db:seed` change the schema or data (medium);
//! `--pretend` only prints the SQL.

use super::super::super::opts::Spec;
use super::super::super::walk::{Invocation, Scope, Walker};
use super::{change, report, reset, Args};

/// Program names.
pub const NAMES: &[&str] = &["artisan"];

const SPEC: Spec = Spec {
    short_values: "",
    long_values: &["database", "path", "step", "class", "env", "seeder"],
};

/// Classifies a command of this tool.
pub fn classify(w: &mut Walker, inv: &Invocation, _scope: &Scope) {
    let args = Args::read(inv, &SPEC);
    let judged = match args.ops().as_slice() {
        ["migrate:fresh" | "migrate:reset" | "migrate:refresh" | "db:wipe", ..] => {
            reset("artisan drops every table (migrate:fresh, migrate:reset, migrate:refresh, db:wipe)")
        }
        ["migrate" | "migrate:rollback" | "db:seed", ..] => change("artisan changes the schema or its data"),
        _ => None,
    };
    report(w, inv, &args, judged);
}
