//! The lint's own rules, one module per rule (as ruff and squawk do): each
//! has an id, a risk, what it catches and the safe alternative, and a
//! check over the migration's statements. Destructive statements come from
//! the risk classifier under its rule ids (see [`super::classifier`]).

use dbguard_risk::Risk;

use super::context::Context;
use super::Diagnostic;

pub mod add_column_not_null_without_default;
pub mod check_not_valid;
pub mod column_type_rewrite;
pub mod concurrently_in_transaction;
pub mod detach_partition_not_concurrent;
pub mod drop_and_recreate;
pub mod enum_value_unordered;
pub mod foreign_key_not_valid;
pub mod identifier_too_long;
pub mod index_not_concurrent;
pub mod missing_lock_timeout;
pub mod missing_statement_timeout;
pub mod reindex_not_concurrent;
pub mod rename_enum_value;
pub mod set_not_null;
pub mod transaction_nesting;
pub mod uncommitted_transaction;
pub mod unique_without_index;
pub mod unused_ignore;
pub mod vacuum_full_or_cluster;
pub mod validate_in_same_transaction;
pub mod volatile_default;

/// A lint rule: id, risk, and the safe alternative.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LintRule {
    /// Stable kebab-case id.
    pub id: &'static str,
    /// How risky a finding is.
    pub risk: Risk,
    /// What the rule catches.
    pub summary: &'static str,
    /// What to do instead.
    pub help: &'static str,
}

/// A rule's check: the findings it has on one migration.
pub(crate) type Check = fn(&Context, &mut Vec<Diagnostic>);

/// Every rule with its check, in the order the README lists them.
const ALL: &[(LintRule, Option<Check>)] = &[
    (index_not_concurrent::RULE, Some(index_not_concurrent::check)),
    (unique_without_index::RULE, Some(unique_without_index::check)),
    (foreign_key_not_valid::RULE, Some(foreign_key_not_valid::check)),
    (check_not_valid::RULE, Some(check_not_valid::check)),
    (
        validate_in_same_transaction::RULE,
        Some(validate_in_same_transaction::check),
    ),
    (set_not_null::RULE, Some(set_not_null::check)),
    (
        add_column_not_null_without_default::RULE,
        Some(add_column_not_null_without_default::check),
    ),
    (volatile_default::RULE, Some(volatile_default::check)),
    (column_type_rewrite::RULE, Some(column_type_rewrite::check)),
    (reindex_not_concurrent::RULE, Some(reindex_not_concurrent::check)),
    (vacuum_full_or_cluster::RULE, Some(vacuum_full_or_cluster::check)),
    (
        detach_partition_not_concurrent::RULE,
        Some(detach_partition_not_concurrent::check),
    ),
    (
        concurrently_in_transaction::RULE,
        Some(concurrently_in_transaction::check),
    ),
    (transaction_nesting::RULE, Some(transaction_nesting::check)),
    (
        uncommitted_transaction::RULE,
        Some(uncommitted_transaction::check),
    ),
    (missing_lock_timeout::RULE, Some(missing_lock_timeout::check)),
    (
        missing_statement_timeout::RULE,
        Some(missing_statement_timeout::check),
    ),
    (rename_enum_value::RULE, Some(rename_enum_value::check)),
    (enum_value_unordered::RULE, Some(enum_value_unordered::check)),
    (identifier_too_long::RULE, Some(identifier_too_long::check)),
    (drop_and_recreate::RULE, Some(drop_and_recreate::check)),
    // Found while applying ignore comments, after every other rule.
    (unused_ignore::RULE, None),
];

/// The lint's own rules.
pub const OWN: &[LintRule] = &{
    let mut rules = [unused_ignore::RULE; ALL.len()];
    let mut i = 0;
    while i < ALL.len() {
        rules[i] = ALL[i].0;
        i += 1;
    }
    rules
};

/// The checks of every rule that has one.
pub(crate) fn checks() -> impl Iterator<Item = Check> {
    ALL.iter().filter_map(|(_, check)| *check)
}

/// The safe alternative for a risk rule found in a migration.
pub fn help_for(risk_rule: &str) -> &'static str {
    match risk_rule {
        "drop-table" | "drop-schema" | "drop-database" | "drop-owned" | "drop-cascade" => {
            "stop using the table in the application first, back up, then drop it in a later migration"
        }
        "drop-column" => {
            "stop reading and writing the column in the application first, then drop it in a later migration"
        }
        "alter-column-type" => {
            "add a new column, backfill it in batches, switch the application, then drop the old one"
        }
        "rename" => {
            "add the new name (a new column or a view), move the application, then remove the old name"
        }
        "truncate" => "do not empty tables in a migration; use a data script run through the safety protocol",
        "delete-many-rows" | "update-many-rows" | "merge" => {
            "move data changes out of the migration into a script run through the safety protocol, in batches"
        }
        "drop-constraint" => {
            "make sure the application enforces the rule first; drop it in its own migration"
        }
        "drop-index" => "DROP INDEX CONCURRENTLY, after checking no query needs it",
        "disable-row-security" => "keep row-level security on tenant tables; change the policy instead",
        "loosen-policy" => {
            "make the change a RESTRICTIVE policy or a new policy reviewed with the table's others, and check what each role sees"
        }
        "sql-unparseable" => "fix the SQL so PostgreSQL's parser accepts it",
        _ => "review it, and run it through the safety protocol",
    }
}
