//! `ALTER TYPE … ADD VALUE` with no `BEFORE`/`AFTER` puts the value last,
//! which changes the answer of readers that compare enum values
//! (`status < 'approved'`).

use pg_query::NodeEnum;

use super::rename_enum_value::enum_name;
use super::LintRule;
use crate::lint::context::Context;
use crate::lint::Diagnostic;

/// The rule.
pub const RULE: LintRule = LintRule {
    id: "enum-value-unordered",
    risk: dbguard_risk::Risk::Low,
    summary:
        "ALTER TYPE … ADD VALUE without BEFORE or AFTER sorts the new value last, which changes comparisons",
    help: "say where the value goes: ADD VALUE '…' BEFORE '…' (or AFTER '…')",
};

pub(crate) fn check(cx: &Context, out: &mut Vec<Diagnostic>) {
    for (i, s) in cx.statements.iter().enumerate() {
        if let NodeEnum::AlterEnumStmt(e) = s.node {
            if e.old_val.is_empty() && !e.new_val.is_empty() && e.new_val_neighbor.is_empty() {
                out.push(cx.diagnostic(
                    RULE,
                    i,
                    format!(
                        "adds '{}' to {} after every other value",
                        e.new_val,
                        enum_name(&e.type_name)
                    ),
                ));
            }
        }
    }
}
