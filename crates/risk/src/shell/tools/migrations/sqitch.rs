//! Sqitch: `revert` undoes deployed changes (every one unless `--to` names
//! a change) and `rebase` reverts then deploys again, both running the
//! project's revert scripts (high); `deploy` applies changes (medium);
//! `status`, `log`, `plan`, `verify` only read.

use super::super::super::opts::Spec;
use super::super::super::walk::{Invocation, Scope, Walker};
use super::{change, report, reset, Args};

/// Program names.
pub const NAMES: &[&str] = &["sqitch"];

const SPEC: Spec = Spec {
    short_values: "tCdfu",
    long_values: &[
        "target",
        "chdir",
        "db-uri",
        "db-name",
        "db-user",
        "db-host",
        "db-port",
        "plan-file",
        "top-dir",
        "to",
        "to-change",
        "onto",
        "onto-change",
        "upto",
        "mode",
        "set",
        "registry",
        "client",
    ],
};

/// Classifies a command of this tool.
pub fn classify(w: &mut Walker, inv: &Invocation, _scope: &Scope) {
    let args = Args::read(inv, &SPEC);
    let judged = match args.ops().as_slice() {
        ["revert", ..] => {
            reset("sqitch revert runs the revert scripts of deployed changes (all of them without --to)")
        }
        ["rebase" | "checkout", ..] => reset("sqitch reverts deployed changes and deploys them again"),
        ["deploy", ..] => change("sqitch deploys changes"),
        _ => None,
    };
    report(w, inv, &args, judged);
}
