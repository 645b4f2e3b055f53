//! golang-migrate (`migrate`): `drop` deletes everything in the database
//! and `down` without a count (or `-all`) undoes every migration (high);
//! `up`, `down N`, `goto` and `force` change the schema or its version
//! (medium).

use super::super::super::opts::Spec;
use super::super::super::walk::{Invocation, Scope, Walker};
use super::{change, go_operands, report, reset, Args};

/// Program names.
pub const NAMES: &[&str] = &["migrate"];

const SPEC: Spec = Spec {
    short_values: "",
    long_values: &[
        "path",
        "database",
        "source",
        "lock-timeout",
        "prefetch",
        "verbose",
        "m",
        "dir",
        "ext",
        "seq-digits",
        "format",
        "tz",
    ],
};

/// Classifies a command of this tool.
pub fn classify(w: &mut Walker, inv: &Invocation, _scope: &Scope) {
    let args = Args::read(inv, &SPEC);
    let ops = go_operands(
        inv,
        &[
            "path",
            "database",
            "source",
            "lock-timeout",
            "prefetch",
            "dir",
            "ext",
            "seq-digits",
            "format",
            "tz",
        ],
    );
    let all = inv.args().iter().any(|a| a.text == "-all" || a.text == "--all");
    let judged = match ops.as_slice() {
        ["drop", ..] => reset("migrate drop deletes everything in the database"),
        ["down"] => reset("migrate down without a count undoes every migration"),
        ["down", ..] if all => reset("migrate down -all undoes every migration"),
        ["up" | "down" | "goto" | "force", ..] => change("migrate changes the schema or its version"),
        _ => None,
    };
    report(w, inv, &args, judged);
}
