//! `ADD COLUMN … NOT NULL` without a default on an existing table.

use pg_query::protobuf::{AlterTableType, ConstrType};

use super::LintRule;
use crate::lint::context::{column_constraints, column_def, display_name, Context};
use crate::lint::Diagnostic;

/// The rule.
pub const RULE: LintRule = LintRule {
    id: "add-column-not-null-without-default",
    risk: dbguard_risk::Risk::High,
    summary: "ADD COLUMN … NOT NULL without a default fails on a table that has rows",
    help: "add the column with a DEFAULT, or nullable, backfill, then add the constraint",
};

pub(crate) fn check(cx: &Context, out: &mut Vec<Diagnostic>) {
    for (i, alter, cmd) in cx.alterations() {
        if cmd.subtype() != AlterTableType::AtAddColumn {
            continue;
        }
        let Some(col) = column_def(cmd) else { continue };
        let mut not_null = false;
        let mut filled = false;
        for c in column_constraints(col) {
            match c.contype() {
                ConstrType::ConstrNotnull | ConstrType::ConstrPrimary => not_null = true,
                ConstrType::ConstrDefault | ConstrType::ConstrIdentity | ConstrType::ConstrGenerated => {
                    filled = true
                }
                _ => {}
            }
        }
        let serial = super::volatile_default::type_name(col).ends_with("serial");
        if not_null && !filled && !serial {
            out.push(cx.diagnostic(
                RULE,
                i,
                format!(
                    "{}.{} is NOT NULL with no default",
                    display_name(alter.relation.as_ref()),
                    col.colname
                ),
            ));
        }
    }
}
