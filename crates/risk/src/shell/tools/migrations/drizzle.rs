//! drizzle-kit: `push --force` applies data-losing changes without asking
//! (high); `push`, `migrate`, `drop` change the schema or its migrations
//! (medium); `generate`, `check`, `studio` stay low.

use super::super::super::opts::Spec;
use super::super::super::walk::{Invocation, Scope, Walker};
use super::{change, report, reset, Args};

/// Program names.
pub const NAMES: &[&str] = &["drizzle-kit"];

const SPEC: Spec = Spec {
    short_values: "",
    long_values: &["config", "dialect", "schema", "out", "url", "table"],
};

/// Classifies a command of this tool.
pub fn classify(w: &mut Walker, inv: &Invocation, _scope: &Scope) {
    let args = Args::read(inv, &SPEC);
    let judged = match args.ops().as_slice() {
        ["push", ..] if args.has(&["--force"]) => {
            reset("drizzle-kit push --force applies data-losing changes without asking")
        }
        ["push" | "migrate" | "drop" | "up", ..] => {
            change("drizzle-kit changes the schema or its migrations")
        }
        _ => None,
    };
    report(w, inv, &args, judged);
}
