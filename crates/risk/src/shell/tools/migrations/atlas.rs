//! Atlas: `schema clean` drops every object of the schema (high); `schema
//! apply`, `migrate apply|down` change the schema (medium); `--dry-run`
//! and `schema inspect|diff` only show.

use super::super::super::opts::Spec;
use super::super::super::walk::{Invocation, Scope, Walker};
use super::{change, report, reset, Args};

/// Program names.
pub const NAMES: &[&str] = &["atlas"];

const SPEC: Spec = Spec {
    short_values: "cu",
    long_values: &[
        "url",
        "env",
        "config",
        "to",
        "dev-url",
        "dir",
        "schema",
        "to-version",
        "to-tag",
    ],
};

/// Classifies a command of this tool.
pub fn classify(w: &mut Walker, inv: &Invocation, _scope: &Scope) {
    let args = Args::read(inv, &SPEC);
    let judged = match args.ops().as_slice() {
        ["schema", "clean", ..] => reset("atlas schema clean drops every object in the schema"),
        ["migrate", "down", ..] if args.value(&["--to-version"]).is_some_and(|v| v.text == "0") => {
            reset("atlas migrate down --to-version 0 undoes every migration")
        }
        ["schema", "apply", ..] | ["migrate", "apply" | "down" | "set", ..] => {
            change("atlas changes the schema")
        }
        _ => None,
    };
    report(w, inv, &args, judged);
}
