//! Hasura's CLI: `migrate apply --down all` (or `--goto 0`) undoes every
//! migration and `metadata clear` removes every permission and
//! relationship (high); other `migrate apply` forms and `metadata apply`
//! change the schema or its access rules (medium).

use super::super::super::opts::Spec;
use super::super::super::walk::{Invocation, Scope, Walker};
use super::{change, report, reset, Args};

/// Program names.
pub const NAMES: &[&str] = &["hasura"];

const SPEC: Spec = Spec {
    short_values: "",
    long_values: &[
        "endpoint",
        "admin-secret",
        "project",
        "database-name",
        "down",
        "up",
        "goto",
        "version",
        "type",
        "envfile",
        "log-level",
    ],
};

/// Classifies a command of this tool.
pub fn classify(w: &mut Walker, inv: &Invocation, _scope: &Scope) {
    let args = Args::read(inv, &SPEC);
    let value = |name: &str| args.value(&[name]).map(|v| v.text.as_str());
    let judged = match args.ops().as_slice() {
        ["migrate", "apply", ..] if value("--down") == Some("all") || value("--goto") == Some("0") => {
            reset("hasura migrate apply --down all undoes every migration")
        }
        ["migrate", "apply", ..] => change("hasura migrate apply changes the schema"),
        ["metadata", "clear" | "reset", ..] => {
            reset("hasura metadata clear removes every permission, relationship and tracked table")
        }
        ["metadata", "apply", ..] => change("hasura metadata apply changes access rules"),
        _ => None,
    };
    report(w, inv, &args, judged);
}
