//! graphile-migrate: `reset` drops and re-creates the database (high);
//! `migrate`, `watch`, `commit` and `uncommit` change it (medium).

use super::super::super::opts::Spec;
use super::super::super::walk::{Invocation, Scope, Walker};
use super::{change, report, reset, Args};

/// Program names.
pub const NAMES: &[&str] = &["graphile-migrate"];

const SPEC: Spec = Spec {
    short_values: "",
    long_values: &["config"],
};

/// Classifies a command of this tool.
pub fn classify(w: &mut Walker, inv: &Invocation, _scope: &Scope) {
    let args = Args::read(inv, &SPEC);
    let judged = match args.ops().as_slice() {
        ["reset", ..] => reset("graphile-migrate reset drops and re-creates the database"),
        ["migrate" | "watch" | "commit" | "uncommit", ..] => change("graphile-migrate changes the schema"),
        _ => None,
    };
    report(w, inv, &args, judged);
}
