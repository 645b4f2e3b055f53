//! `ALTER COLUMN … SET NOT NULL` on an existing table scans it under an
//! `ACCESS EXCLUSIVE` lock, unless a validated `CHECK (col IS NOT NULL)`
//! already proves it (PostgreSQL 12+ then skips the scan).

use std::collections::{HashMap, HashSet};

use pg_query::protobuf::{AlterTableType, ConstrType, Constraint, NullTestType};
use pg_query::NodeEnum;

use super::LintRule;
use crate::lint::context::{added_constraint, display_name, string, table_name, Context};
use crate::lint::Diagnostic;

/// The rule.
pub const RULE: LintRule = LintRule {
    id: "set-not-null",
    risk: dbguard_risk::Risk::Medium,
    summary: "SET NOT NULL scans the whole table under an exclusive lock",
    help: "add CHECK (col IS NOT NULL) NOT VALID, VALIDATE it, then SET NOT NULL (PostgreSQL 12+ skips the scan)",
};

/// The column a `CHECK (col IS NOT NULL)` constraint is about.
fn not_null_column(c: &Constraint) -> Option<String> {
    if c.contype() != ConstrType::ConstrCheck {
        return None;
    }
    let NodeEnum::NullTest(test) = c.raw_expr.as_deref()?.node.as_ref()? else {
        return None;
    };
    if test.nulltesttype() != NullTestType::IsNotNull {
        return None;
    }
    let NodeEnum::ColumnRef(col) = test.arg.as_deref()?.node.as_ref()? else {
        return None;
    };
    col.fields.last().and_then(string).map(str::to_lowercase)
}

pub(crate) fn check(cx: &Context, out: &mut Vec<Diagnostic>) {
    // (table, constraint) -> column, for checks added NOT VALID.
    let mut unvalidated: HashMap<(String, String), String> = HashMap::new();
    let mut proven: HashSet<(String, String)> = HashSet::new();
    for (i, alter, cmd) in cx.alterations() {
        let Some(relation) = alter.relation.as_ref() else {
            continue;
        };
        let table = table_name(relation);
        if let Some(c) = added_constraint(cmd) {
            if let Some(column) = not_null_column(c) {
                match c.skip_validation {
                    true => {
                        unvalidated.insert((table.clone(), c.conname.to_lowercase()), column);
                    }
                    false => {
                        proven.insert((table.clone(), column));
                    }
                }
            }
        }
        match cmd.subtype() {
            AlterTableType::AtValidateConstraint => {
                if let Some(column) = unvalidated.remove(&(table.clone(), cmd.name.to_lowercase())) {
                    proven.insert((table, column));
                }
            }
            AlterTableType::AtSetNotNull if !proven.contains(&(table, cmd.name.to_lowercase())) => {
                out.push(cx.diagnostic(
                    RULE,
                    i,
                    format!("SET NOT NULL on {}.{}", display_name(Some(relation)), cmd.name),
                ));
            }
            _ => {}
        }
    }
}
