//! Adding a `UNIQUE` or `PRIMARY KEY` constraint to an existing table
//! builds its index under an `ACCESS EXCLUSIVE` lock, unless the constraint
//! takes over an index built concurrently before (`USING INDEX`).

use pg_query::protobuf::{AlterTableType, ConstrType, Constraint};

use super::LintRule;
use crate::lint::context::{added_constraint, column_constraints, column_def, display_name, Context};
use crate::lint::Diagnostic;

/// The rule.
pub const RULE: LintRule = LintRule {
    id: "unique-without-index",
    risk: dbguard_risk::Risk::Medium,
    summary: "adding a UNIQUE or PRIMARY KEY constraint builds its index while reads and writes to the table wait",
    help: "CREATE UNIQUE INDEX CONCURRENTLY first, then ADD CONSTRAINT … UNIQUE USING INDEX (or PRIMARY KEY USING INDEX)",
};

fn builds_index(c: &Constraint) -> Option<&'static str> {
    let kind = match c.contype() {
        ConstrType::ConstrUnique => "UNIQUE",
        ConstrType::ConstrPrimary => "PRIMARY KEY",
        _ => return None,
    };
    c.indexname.is_empty().then_some(kind)
}

pub(crate) fn check(cx: &Context, out: &mut Vec<Diagnostic>) {
    for (i, alter, cmd) in cx.alterations() {
        let table = display_name(alter.relation.as_ref());
        if let Some(kind) = added_constraint(cmd).and_then(builds_index) {
            out.push(cx.diagnostic(
                RULE,
                i,
                format!("ADD {kind} on {table} builds its index under an ACCESS EXCLUSIVE lock"),
            ));
        }
        if cmd.subtype() == AlterTableType::AtAddColumn {
            if let Some(col) = column_def(cmd) {
                if let Some(kind) = column_constraints(col).find_map(builds_index) {
                    out.push(cx.diagnostic(
                        RULE,
                        i,
                        format!(
                            "ADD COLUMN {} … {kind} on {table} builds its index under an ACCESS EXCLUSIVE lock",
                            col.colname
                        ),
                    ));
                }
            }
        }
    }
}
