//! `VACUUM FULL` and `CLUSTER` rewrite the table under an
//! `ACCESS EXCLUSIVE` lock: no reads or writes until they finish.

use pg_query::NodeEnum;

use super::LintRule;
use crate::lint::context::{display_name, has_option, Context};
use crate::lint::Diagnostic;

/// The rule.
pub const RULE: LintRule = LintRule {
    id: "vacuum-full-or-cluster",
    risk: dbguard_risk::Risk::Medium,
    summary: "VACUUM FULL and CLUSTER rewrite the table while every read and write waits",
    help: "plain VACUUM (or pg_repack, or REPACK CONCURRENTLY on PostgreSQL 19+), outside the migration",
};

pub(crate) fn check(cx: &Context, out: &mut Vec<Diagnostic>) {
    for (i, s) in cx.statements.iter().enumerate() {
        match s.node {
            NodeEnum::VacuumStmt(v) if v.is_vacuumcmd && has_option(&v.options, "full") => {
                out.push(cx.diagnostic(
                    RULE,
                    i,
                    "VACUUM FULL rewrites the table under an exclusive lock".into(),
                ))
            }
            NodeEnum::ClusterStmt(c) => out.push(cx.diagnostic(
                RULE,
                i,
                format!(
                    "CLUSTER {} rewrites the table under an exclusive lock",
                    display_name(c.relation.as_ref())
                ),
            )),
            _ => {}
        }
    }
}
