//! `REINDEX` without `CONCURRENTLY` locks out the table's writes (and
//! reads that use the index) while it rebuilds.

use pg_query::NodeEnum;

use super::LintRule;
use crate::lint::context::{has_option, Context};
use crate::lint::Diagnostic;

/// The rule.
pub const RULE: LintRule = LintRule {
    id: "reindex-not-concurrent",
    risk: dbguard_risk::Risk::Medium,
    summary: "REINDEX without CONCURRENTLY blocks the table while the index is rebuilt",
    help: "REINDEX … CONCURRENTLY, in a migration of its own (it cannot run inside a transaction)",
};

/// Whether statement `node` is a `REINDEX … CONCURRENTLY`.
pub(crate) fn is_concurrent(node: &NodeEnum) -> bool {
    matches!(node, NodeEnum::ReindexStmt(r) if has_option(&r.params, "concurrently"))
}

pub(crate) fn check(cx: &Context, out: &mut Vec<Diagnostic>) {
    for (i, s) in cx.statements.iter().enumerate() {
        if let NodeEnum::ReindexStmt(r) = s.node {
            if !is_concurrent(s.node) && !cx.is_new_relation(r.relation.as_ref(), i) {
                out.push(cx.diagnostic(RULE, i, "REINDEX without CONCURRENTLY".into()));
            }
        }
    }
}
