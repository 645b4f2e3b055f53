//! MikroORM: `schema:drop`, `schema:fresh` and `migration:fresh` drop
//! every table (high, unless only `--dump`ed); `schema:update`,
//! `migration:up|down` change the schema (medium).

use super::super::super::opts::Spec;
use super::super::super::walk::{Invocation, Scope, Walker};
use super::{change, report, reset, Args};

/// Program names.
pub const NAMES: &[&str] = &["mikro-orm", "mikro-orm-esm"];

const SPEC: Spec = Spec {
    short_values: "",
    long_values: &["config", "contextName", "to", "from", "only"],
};

/// Classifies a command of this tool.
pub fn classify(w: &mut Walker, inv: &Invocation, _scope: &Scope) {
    let args = Args::read(inv, &SPEC);
    if args.has(&["--dump"]) && !args.has(&["--run", "-r"]) {
        return;
    }
    let judged = match args.ops().as_slice() {
        ["schema:drop" | "schema:fresh" | "migration:fresh", ..] => reset("MikroORM drops every table"),
        ["migration:down", ..] if args.value(&["--to"]).is_some_and(|v| v.text == "0") => {
            reset("MikroORM undoes every migration")
        }
        ["schema:update" | "migration:up" | "migration:down", ..] => change("MikroORM changes the schema"),
        _ => None,
    };
    report(w, inv, &args, judged);
}
