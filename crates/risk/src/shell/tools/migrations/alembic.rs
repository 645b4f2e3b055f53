//! Alembic (SQLAlchemy migrations): `downgrade base` unapplies every
//! migration (high); `upgrade`, `downgrade REV` and `stamp` change the schema
//! or its history (medium); `--sql` (offline mode) only prints SQL.

use super::super::super::opts::Spec;
use super::super::super::walk::{Invocation, Scope, Walker};
use super::{change, report, reset, Args};

/// Program names.
pub const NAMES: &[&str] = &["alembic"];

const SPEC: Spec = Spec {
    short_values: "cnx",
    long_values: &["config", "name", "raiseerr"],
};

/// Classifies a command of this tool.
pub fn classify(w: &mut Walker, inv: &Invocation, _scope: &Scope) {
    let args = Args::read(inv, &SPEC);
    if args.has(&["--sql"]) {
        return;
    }
    let judged = match args.ops().as_slice() {
        ["downgrade", "base", ..] => {
            reset("alembic downgrade base unapplies every migration, dropping their tables")
        }
        ["downgrade", ..] => change("alembic downgrade unapplies migrations"),
        ["upgrade" | "stamp" | "merge", ..] => change("alembic changes the schema or its migration history"),
        _ => None,
    };
    report(w, inv, &args, judged);
}
