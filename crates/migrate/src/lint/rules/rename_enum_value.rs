//! `ALTER TYPE … RENAME VALUE`: every running reader and writer that uses
//! the old label fails (`invalid input value for enum`) the moment it commits.

use pg_query::NodeEnum;

use super::LintRule;
use crate::lint::context::{string, Context};
use crate::lint::Diagnostic;

/// The rule.
pub const RULE: LintRule = LintRule {
    id: "rename-enum-value",
    risk: dbguard_risk::Risk::Medium,
    summary: "ALTER TYPE … RENAME VALUE breaks running code that still reads or writes the old label",
    help: "ADD VALUE the new label, move the application and the rows to it, and stop using the old one (enum values cannot be dropped)",
};

/// The enum's name as written.
pub(crate) fn enum_name(names: &[pg_query::Node]) -> String {
    names.iter().filter_map(string).collect::<Vec<_>>().join(".")
}

pub(crate) fn check(cx: &Context, out: &mut Vec<Diagnostic>) {
    for (i, s) in cx.statements.iter().enumerate() {
        if let NodeEnum::AlterEnumStmt(e) = s.node {
            if !e.old_val.is_empty() {
                out.push(cx.diagnostic(
                    RULE,
                    i,
                    format!(
                        "renames value '{}' of {} to '{}'",
                        e.old_val,
                        enum_name(&e.type_name),
                        e.new_val
                    ),
                ));
            }
        }
    }
}
