//! `CREATE INDEX` without `CONCURRENTLY` on a table that already exists.

use pg_query::NodeEnum;

use super::LintRule;
use crate::lint::context::{display_name, Context};
use crate::lint::Diagnostic;

/// The rule.
pub const RULE: LintRule = LintRule {
    id: "index-not-concurrent",
    risk: dbguard_risk::Risk::Medium,
    summary: "CREATE INDEX without CONCURRENTLY blocks writes to an existing table while it builds",
    help: "CREATE INDEX CONCURRENTLY, in a migration of its own (it cannot run inside a transaction)",
};

pub(crate) fn check(cx: &Context, out: &mut Vec<Diagnostic>) {
    for (i, s) in cx.statements.iter().enumerate() {
        if let NodeEnum::IndexStmt(index) = s.node {
            if !index.concurrent && !cx.is_new_relation(index.relation.as_ref(), i) {
                let table = display_name(index.relation.as_ref());
                out.push(cx.diagnostic(RULE, i, format!("CREATE INDEX on {table} without CONCURRENTLY")));
            }
        }
    }
}
