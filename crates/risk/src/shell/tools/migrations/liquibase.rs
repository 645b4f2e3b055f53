//! Liquibase: `dropAll` (`drop-all`) drops every object (high); `update`,
//! `rollback…`, `changelogSync` and `clearCheckSums` change the schema or
//! its history (medium); `…-sql` forms, `status` and `history` only show.

use super::super::super::walk::{Invocation, Scope, Walker};
use super::{change, report, reset, Args, NO_VALUES};

/// Program names.
pub const NAMES: &[&str] = &["liquibase"];

/// Classifies a command of this tool.
pub fn classify(w: &mut Walker, inv: &Invocation, _scope: &Scope) {
    let args = Args::read(inv, &NO_VALUES);
    let judged = match args.ops().first().map(|c| c.to_lowercase().replace('-', "")) {
        Some(c) if c.ends_with("sql") => None,
        Some(c) if c == "dropall" => reset("liquibase dropAll drops every object in the schema"),
        Some(c)
            if c.starts_with("update")
                || c.starts_with("rollback")
                || c.starts_with("changelogsync")
                || c == "clearchecksums" =>
        {
            change("liquibase changes the schema or its history")
        }
        _ => None,
    };
    report(w, inv, &args, judged);
}
