//! The lint's own rules (locks and rewrites); destructive statements come
//! from the risk classifier under its rule ids. Every rule says what to do
//! instead.

use dbguard_risk::Risk;

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

macro_rules! lint_rules {
    ($($name:ident = $id:literal, $risk:ident, $summary:literal, $help:literal;)*) => {
        $(
            #[doc = $summary]
            pub const $name: LintRule = LintRule { id: $id, risk: Risk::$risk, summary: $summary, help: $help };
        )*
        /// The lint's own rules.
        pub const OWN: &[LintRule] = &[$($name),*];
    };
}

lint_rules! {
    INDEX_NOT_CONCURRENT = "index-not-concurrent", Medium,
        "CREATE INDEX without CONCURRENTLY blocks writes to an existing table while it builds",
        "CREATE INDEX CONCURRENTLY, in a migration of its own (it cannot run inside a transaction)";
    FOREIGN_KEY_NOT_VALID = "foreign-key-not-valid", Medium,
        "adding a foreign key scans the table under a lock that blocks writes",
        "ADD CONSTRAINT … FOREIGN KEY … NOT VALID, then VALIDATE CONSTRAINT in a later migration";
    CHECK_NOT_VALID = "check-not-valid", Medium,
        "adding a CHECK constraint scans the table under a lock that blocks writes",
        "ADD CONSTRAINT … CHECK (…) NOT VALID, then VALIDATE CONSTRAINT in a later migration";
    SET_NOT_NULL = "set-not-null", Medium,
        "SET NOT NULL scans the whole table under an exclusive lock",
        "add CHECK (col IS NOT NULL) NOT VALID, VALIDATE it, then SET NOT NULL (PostgreSQL 12+ skips the scan)";
    ADD_COLUMN_NOT_NULL_WITHOUT_DEFAULT = "add-column-not-null-without-default", High,
        "ADD COLUMN … NOT NULL without a default fails on a table that has rows",
        "add the column with a DEFAULT, or nullable, backfill, then add the constraint";
    VOLATILE_DEFAULT = "volatile-default", Medium,
        "ADD COLUMN with a volatile default (random(), gen_random_uuid(), serial, …) rewrites the whole table",
        "add the column without a default, set the default, and backfill in batches";
    MISSING_LOCK_TIMEOUT = "missing-lock-timeout", Medium,
        "the migration locks existing tables without SET lock_timeout, so it can queue behind a long query and block everyone",
        "start the migration with SET lock_timeout = '5s' (and retry on timeout)";
    UNUSED_IGNORE = "unused-ignore", Low,
        "a dbguard-ignore comment that matched no finding",
        "remove the comment";
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
        "sql-unparseable" => "fix the SQL so PostgreSQL's parser accepts it",
        _ => "review it, and run it through the safety protocol",
    }
}
