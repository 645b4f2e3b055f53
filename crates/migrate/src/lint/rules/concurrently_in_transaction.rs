//! `CONCURRENTLY` inside an explicit `BEGIN … COMMIT`: PostgreSQL refuses
//! it ("cannot run inside a transaction block"), so the migration fails.

use pg_query::NodeEnum;

use super::LintRule;
use crate::lint::context::Context;
use crate::lint::Diagnostic;

/// The rule.
pub const RULE: LintRule = LintRule {
    id: "concurrently-in-transaction",
    risk: dbguard_risk::Risk::Medium,
    summary: "a CONCURRENTLY statement inside BEGIN … COMMIT fails: it cannot run in a transaction block",
    help: "move the CONCURRENTLY statement out of the transaction, into a migration of its own",
};

fn concurrent(node: &NodeEnum) -> Option<&'static str> {
    match node {
        NodeEnum::IndexStmt(i) if i.concurrent => Some("CREATE INDEX CONCURRENTLY"),
        NodeEnum::DropStmt(d) if d.concurrent => Some("DROP INDEX CONCURRENTLY"),
        n if super::reindex_not_concurrent::is_concurrent(n) => Some("REINDEX CONCURRENTLY"),
        NodeEnum::AlterTableStmt(a) => a
            .cmds
            .iter()
            .any(|c| match &c.node {
                Some(NodeEnum::AlterTableCmd(cmd)) => {
                    super::detach_partition_not_concurrent::detach(cmd) == Some(true)
                }
                _ => false,
            })
            .then_some("DETACH PARTITION … CONCURRENTLY"),
        _ => None,
    }
}

pub(crate) fn check(cx: &Context, out: &mut Vec<Diagnostic>) {
    for (i, s) in cx.statements.iter().enumerate() {
        if s.block.is_none() {
            continue;
        }
        if let Some(what) = concurrent(s.node) {
            out.push(cx.diagnostic(RULE, i, format!("{what} inside BEGIN … COMMIT")));
        }
    }
}
