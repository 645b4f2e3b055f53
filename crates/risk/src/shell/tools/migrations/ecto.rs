//! Ecto (Elixir, through `mix`): `ecto.drop`, `ecto.reset` and
//! `ecto.rollback --all` delete data (high); `ecto.migrate` and
//! `ecto.rollback` change the schema (medium).

use super::super::super::opts::Spec;
use super::super::super::walk::{Invocation, Scope, Walker};
use super::{change, report, reset, Args};

/// Program names.
pub const NAMES: &[&str] = &["mix"];

const SPEC: Spec = Spec {
    short_values: "rn",
    long_values: &["repo", "step", "to", "migrations-path"],
};

/// Classifies a command of this tool.
pub fn classify(w: &mut Walker, inv: &Invocation, _scope: &Scope) {
    let args = Args::read(inv, &SPEC);
    let judged = match args.ops().as_slice() {
        ["ecto.drop" | "ecto.reset", ..] => reset("mix ecto.drop / ecto.reset deletes the database"),
        ["ecto.rollback", ..] if args.has(&["--all"]) => {
            reset("mix ecto.rollback --all undoes every migration")
        }
        ["ecto.migrate" | "ecto.rollback" | "ecto.load", ..] => change("mix ecto changes the schema"),
        _ => None,
    };
    report(w, inv, &args, judged);
}
