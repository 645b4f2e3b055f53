//! Phinx (`phinx rollback -t 0` undoes every migration: high; `migrate`,
//! `rollback` medium) and Yii (`yii migrate/fresh` and `migrate/down all`:
//! high; `migrate`, `migrate/up|down|redo|to` medium).

use super::super::super::opts::Spec;
use super::super::super::walk::{Invocation, Scope, Walker};
use super::{change, report, reset, Args};

/// Program names.
pub const NAMES: &[&str] = &["phinx", "yii"];

const SPEC: Spec = Spec {
    short_values: "ctep",
    long_values: &["configuration", "target", "environment", "parser", "date"],
};

/// Classifies a command of this tool.
pub fn classify(w: &mut Walker, inv: &Invocation, _scope: &Scope) {
    let args = Args::read(inv, &SPEC);
    let target = args.value(&["-t", "--target"]).map(|t| t.text.as_str());
    let judged = match args.ops().as_slice() {
        ["rollback", ..] if target == Some("0") => reset("phinx rollback -t 0 undoes every migration"),
        ["migrate/fresh", ..] => reset("yii migrate/fresh drops every table"),
        ["migrate/down", "all", ..] => reset("yii migrate/down all undoes every migration"),
        ["migrate" | "rollback" | "seed:run", ..] => change("changes the schema or its data"),
        [command, ..]
            if command.starts_with("migrate/")
                && !command.ends_with("history")
                && !command.ends_with("new") =>
        {
            change("yii changes the schema")
        }
        _ => None,
    };
    report(w, inv, &args, judged);
}
