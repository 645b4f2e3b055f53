//! `BEGIN` inside an open transaction, or `COMMIT`/`ROLLBACK` with none
//! open: PostgreSQL only warns, and the statements run in a transaction
//! other than the one the author meant.

use pg_query::protobuf::TransactionStmtKind;
use pg_query::NodeEnum;

use super::LintRule;
use crate::lint::context::Context;
use crate::lint::Diagnostic;

/// The rule.
pub const RULE: LintRule = LintRule {
    id: "transaction-nesting",
    risk: dbguard_risk::Risk::Medium,
    summary: "BEGIN inside an open transaction, or COMMIT/ROLLBACK with none open (transactions do not nest)",
    help: "one BEGIN … COMMIT per transaction; use SAVEPOINT for a nested step, or split the migration",
};

pub(crate) fn check(cx: &Context, out: &mut Vec<Diagnostic>) {
    let mut open = false;
    for (i, s) in cx.statements.iter().enumerate() {
        let NodeEnum::TransactionStmt(t) = s.node else {
            continue;
        };
        match t.kind() {
            TransactionStmtKind::TransStmtBegin | TransactionStmtKind::TransStmtStart => {
                if open {
                    out.push(cx.diagnostic(RULE, i, "BEGIN while a transaction is already open".into()));
                }
                open = true;
            }
            TransactionStmtKind::TransStmtCommit
            | TransactionStmtKind::TransStmtRollback
            | TransactionStmtKind::TransStmtPrepare => {
                if !open {
                    out.push(cx.diagnostic(RULE, i, "COMMIT or ROLLBACK with no transaction open".into()));
                }
                open = false;
            }
            _ => {}
        }
    }
}
