//! A migration that waits for a lock on an existing object with no
//! `lock_timeout` set before: it queues behind a long query, and every
//! query after it queues behind it.

use super::LintRule;
use crate::lint::context::Context;
use crate::lint::locks::{first_without, locks_existing};
use crate::lint::Diagnostic;

/// The rule.
pub const RULE: LintRule = LintRule {
    id: "missing-lock-timeout",
    risk: dbguard_risk::Risk::Medium,
    summary: "the migration locks existing tables without SET lock_timeout, so it can queue behind a long query and block everyone",
    help: "start the migration with SET lock_timeout = '5s' (and retry on timeout)",
};

pub(crate) fn check(cx: &Context, out: &mut Vec<Diagnostic>) {
    if let Some((i, what)) = first_without(cx, "lock_timeout", locks_existing) {
        out.push(cx.diagnostic(RULE, i, format!("locks {what} with no lock_timeout set before")));
    }
}
