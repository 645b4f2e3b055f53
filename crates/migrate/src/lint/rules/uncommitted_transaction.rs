//! A `BEGIN` never committed: the session ends, the transaction rolls back,
//! and the migration is recorded as applied while nothing changed.

use super::LintRule;
use crate::lint::context::Context;
use crate::lint::Diagnostic;

/// The rule.
pub const RULE: LintRule = LintRule {
    id: "uncommitted-transaction",
    risk: dbguard_risk::Risk::Medium,
    summary: "a BEGIN with no COMMIT: the changes roll back when the session ends, yet the migration counts as applied",
    help: "end the transaction with COMMIT",
};

pub(crate) fn check(cx: &Context, out: &mut Vec<Diagnostic>) {
    if let Some(begin) = cx.unclosed {
        out.push(cx.diagnostic(RULE, begin, "this transaction is never committed".into()));
    }
}
