//! Neon (`neonctl`, `neon`): deleting or resetting a branch, deleting a
//! project, database or role, or restoring a branch over itself (high);
//! list, get and create stay low.

use super::super::super::opts::Spec;
use super::super::super::walk::{Invocation, Scope, Walker};
use super::{hosted, report, Args};

/// Program names.
pub const NAMES: &[&str] = &["neonctl", "neon"];

const SPEC: Spec = Spec {
    short_values: "o",
    long_values: &[
        "project-id",
        "org-id",
        "api-key",
        "output",
        "branch",
        "context-file",
        "name",
        "source",
        "parent",
    ],
};

/// Classifies a command of this tool.
pub fn classify(w: &mut Walker, inv: &Invocation, _scope: &Scope) {
    let args = Args::read(inv, &SPEC);
    let judged = match args.ops().as_slice() {
        ["branches" | "branch", "delete" | "reset" | "restore", ..] => {
            hosted("neonctl deletes, resets or overwrites a branch and its data")
        }
        ["projects" | "project" | "databases" | "database" | "db" | "roles" | "role", "delete", ..] => {
            hosted("neonctl deletes a project, database or role")
        }
        _ => None,
    };
    report(w, inv, &args, judged);
}
