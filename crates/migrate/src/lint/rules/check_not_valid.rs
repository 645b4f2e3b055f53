//! A `CHECK` constraint added to an existing table without `NOT VALID`.

use pg_query::protobuf::ConstrType;

use super::LintRule;
use crate::lint::context::{added_constraint, display_name, Context};
use crate::lint::Diagnostic;

/// The rule.
pub const RULE: LintRule = LintRule {
    id: "check-not-valid",
    risk: dbguard_risk::Risk::Medium,
    summary: "adding a CHECK constraint scans the table under a lock that blocks writes",
    help: "ADD CONSTRAINT … CHECK (…) NOT VALID, then VALIDATE CONSTRAINT in a later migration",
};

pub(crate) fn check(cx: &Context, out: &mut Vec<Diagnostic>) {
    for (i, alter, cmd) in cx.alterations() {
        if let Some(c) = added_constraint(cmd) {
            if c.contype() == ConstrType::ConstrCheck && !c.skip_validation {
                let table = display_name(alter.relation.as_ref());
                out.push(cx.diagnostic(
                    RULE,
                    i,
                    format!("check {} on {table} is validated while it is added", c.conname),
                ));
            }
        }
    }
}
