//! A foreign key added to an existing table without `NOT VALID`.

use pg_query::protobuf::{AlterTableType, ConstrType};

use super::LintRule;
use crate::lint::context::{added_constraint, column_constraints, column_def, display_name, Context};
use crate::lint::Diagnostic;

/// The rule.
pub const RULE: LintRule = LintRule {
    id: "foreign-key-not-valid",
    risk: dbguard_risk::Risk::Medium,
    summary: "adding a foreign key scans the table under a lock that blocks writes",
    help: "ADD CONSTRAINT … FOREIGN KEY … NOT VALID, then VALIDATE CONSTRAINT in a later migration",
};

pub(crate) fn check(cx: &Context, out: &mut Vec<Diagnostic>) {
    for (i, alter, cmd) in cx.alterations() {
        let table = display_name(alter.relation.as_ref());
        if let Some(c) = added_constraint(cmd) {
            if c.contype() == ConstrType::ConstrForeign && !c.skip_validation {
                out.push(cx.diagnostic(
                    RULE,
                    i,
                    format!(
                        "foreign key {} on {table} is validated while it is added",
                        c.conname
                    ),
                ));
            }
        }
        if cmd.subtype() == AlterTableType::AtAddColumn {
            let references = column_def(cmd)
                .is_some_and(|col| column_constraints(col).any(|c| c.contype() == ConstrType::ConstrForeign));
            if references {
                out.push(cx.diagnostic(
                    RULE,
                    i,
                    format!("a column added to {table} with REFERENCES is validated while it is added"),
                ));
            }
        }
    }
}
