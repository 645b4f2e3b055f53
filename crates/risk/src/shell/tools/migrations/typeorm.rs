//! TypeORM CLI: `schema:drop` drops every table (high); `schema:sync`,
//! `migration:run` and `migration:revert` change the schema (medium);
//! `query SQL` runs the SQL, which is classified.

use super::super::super::opts::Spec;
use super::super::super::walk::{Invocation, Scope, Walker};
use super::{change, report, reset, sql_argument, Args};

/// Program names.
pub const NAMES: &[&str] = &["typeorm", "typeorm-ts-node-commonjs", "typeorm-ts-node-esm"];

const SPEC: Spec = Spec {
    short_values: "dc",
    long_values: &["dataSource", "connection", "config"],
};

/// Classifies a command of this tool.
pub fn classify(w: &mut Walker, inv: &Invocation, _scope: &Scope) {
    let args = Args::read(inv, &SPEC);
    let ops = args.ops();
    let judged = match ops.as_slice() {
        ["schema:drop", ..] => reset("typeorm schema:drop drops every table"),
        ["schema:sync" | "migration:run" | "migration:revert", ..] => change("TypeORM changes the schema"),
        ["query", ..] => {
            let sql = inv.args().iter().skip_while(|a| a.text != "query").nth(1);
            return sql_argument(w, inv, sql, "typeorm query");
        }
        _ => None,
    };
    report(w, inv, &args, judged);
}
