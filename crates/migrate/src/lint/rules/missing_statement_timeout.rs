//! A statement that can run long while it holds a lock other sessions
//! wait for (a scan or rewrite of an existing table), with no
//! `statement_timeout` set before: nothing bounds the outage.

use super::LintRule;
use crate::lint::context::Context;
use crate::lint::locks::{first_without, long_under_lock};
use crate::lint::Diagnostic;

/// The rule.
pub const RULE: LintRule = LintRule {
    id: "missing-statement-timeout",
    risk: dbguard_risk::Risk::Medium,
    summary: "a statement that scans or rewrites an existing table under a blocking lock runs with no statement_timeout",
    help: "SET statement_timeout (for example '5min') before it, so a scan longer than planned is cancelled instead of blocking the application",
};

pub(crate) fn check(cx: &Context, out: &mut Vec<Diagnostic>) {
    if let Some((i, what)) = first_without(cx, "statement_timeout", long_under_lock) {
        out.push(cx.diagnostic(
            RULE,
            i,
            format!("{what} can run long, with no statement_timeout set before"),
        ));
    }
}
