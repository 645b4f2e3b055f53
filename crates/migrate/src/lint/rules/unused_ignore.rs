//! A `-- dbguard-ignore` comment that silences nothing (found by
//! [`crate::lint::ignores`], after every other rule).

use super::LintRule;

/// The rule.
pub const RULE: LintRule = LintRule {
    id: "unused-ignore",
    risk: dbguard_risk::Risk::Low,
    summary: "a dbguard-ignore comment that matched no finding",
    help: "remove the comment",
};
