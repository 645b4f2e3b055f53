//! `ADD CONSTRAINT … NOT VALID` followed by `VALIDATE CONSTRAINT` in the
//! same transaction: the transaction keeps the `ACCESS EXCLUSIVE` lock of
//! the first while the second scans the table, so `NOT VALID` bought nothing.

use pg_query::protobuf::AlterTableType;

use super::LintRule;
use crate::lint::context::{added_constraint, display_name, table_name, Context};
use crate::lint::Diagnostic;

/// The rule.
pub const RULE: LintRule = LintRule {
    id: "validate-in-same-transaction",
    risk: dbguard_risk::Risk::Medium,
    summary: "VALIDATE CONSTRAINT in the transaction that added the constraint NOT VALID scans the table while the lock is still held",
    help: "VALIDATE CONSTRAINT in a later migration (or after COMMIT), so the scan runs under the weaker lock",
};

pub(crate) fn check(cx: &Context, out: &mut Vec<Diagnostic>) {
    let mut not_valid: Vec<(usize, String, String)> = Vec::new();
    for (i, alter, cmd) in cx.alterations() {
        let Some(relation) = alter.relation.as_ref() else {
            continue;
        };
        if let Some(c) = added_constraint(cmd).filter(|c| c.skip_validation) {
            not_valid.push((i, table_name(relation), c.conname.clone()));
        }
        if cmd.subtype() == AlterTableType::AtValidateConstraint {
            let added = not_valid
                .iter()
                .find(|(at, table, name)| *table == table_name(relation) && *name == cmd.name && *at <= i);
            if let Some((at, _, _)) = added {
                if *at == i || cx.same_transaction(*at, i) {
                    out.push(cx.diagnostic(
                        RULE,
                        i,
                        format!(
                            "VALIDATE CONSTRAINT {} on {} runs in the transaction that added it NOT VALID",
                            cmd.name,
                            display_name(Some(relation))
                        ),
                    ));
                }
            }
        }
    }
}
