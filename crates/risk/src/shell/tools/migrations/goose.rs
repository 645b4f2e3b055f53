//! goose: `reset` and `down-to 0` undo every migration (high); `up`,
//! `down`, `redo`, `up-to` and `down-to` change the schema (medium). The
//! command follows the driver and connection string operands.

use super::super::super::opts::Spec;
use super::super::super::walk::{Invocation, Scope, Walker};
use super::{change, go_operands, report, reset, Args};

/// Program names.
pub const NAMES: &[&str] = &["goose"];

const SPEC: Spec = Spec {
    short_values: "",
    long_values: &["dir", "table", "env", "certfile", "ssl-cert", "ssl-key"],
};

/// Classifies a command of this tool.
pub fn classify(w: &mut Walker, inv: &Invocation, _scope: &Scope) {
    let args = Args::read(inv, &SPEC);
    let ops = go_operands(
        inv,
        &["dir", "table", "env", "certfile", "ssl-cert", "ssl-key", "s"],
    );
    let command = ops.iter().position(|o| {
        matches!(
            *o,
            "reset" | "down-to" | "down" | "up" | "up-to" | "up-by-one" | "redo" | "fix"
        )
    });
    let judged = match command.map(|i| &ops[i..]) {
        Some(["reset", ..]) | Some(["down-to", "0", ..]) => reset("goose undoes every migration"),
        Some([_, ..]) if ops[command.unwrap_or(0)] != "fix" => change("goose changes the schema"),
        _ => None,
    };
    report(w, inv, &args, judged);
}
