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
    // `mix do ecto.drop, ecto.create` (or `+`): each task in turn.
    if inv.args().first().is_some_and(|a| a.text == "do") {
        let joined = inv.args()[1..]
            .iter()
            .map(|a| a.text.as_str())
            .collect::<Vec<_>>()
            .join(" ");
        for task in joined.split([',', '+']).map(str::trim).filter(|t| !t.is_empty()) {
            let mut words = vec![inv.words[0].clone()];
            words.extend(
                task.split_whitespace()
                    .map(super::super::super::ast::Word::literal),
            );
            task_of(w, &inv.with_words(words));
        }
        return;
    }
    task_of(w, inv);
}

/// One task and its options.
fn task_of(w: &mut Walker, inv: &Invocation) {
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
