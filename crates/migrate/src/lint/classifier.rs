//! The risk classifier's findings that matter in a migration (dropped
//! tables and columns, mass writes, …), under the classifier's rule ids,
//! except on tables the migration created before the statement, and except
//! where the lint knows better: `DROP INDEX CONCURRENTLY` is the safe drop
//! the advice asks for, a binary-coercible type change keeps every value,
//! and a permissive `CREATE POLICY` is how a reviewed migration sets up
//! row-level security (on a protected database the guard still refuses one
//! beside a table's existing policies without an approval; `ALTER POLICY`
//! stays a finding).

use dbguard_risk::{classify_sql, Risk, SqlOptions};
use pg_query::NodeEnum;

use super::context::Context;
use super::rules::{self, column_type_rewrite};
use super::Diagnostic;

/// Risk rules that are normal in a migration.
const EXPECTED_IN_MIGRATIONS: &[&str] = &["schema-change", "permission-change", "write-one-row"];

/// The classifier's findings on the migration.
pub(crate) fn findings(cx: &Context) -> Vec<Diagnostic> {
    classify_sql(cx.sql, &SqlOptions::default())
        .findings
        .into_iter()
        .filter(|f| f.risk > Risk::Low && !EXPECTED_IN_MIGRATIONS.contains(&f.rule.id()))
        .filter_map(|f| {
            let offset = f.span.map_or(0, |s| s.offset);
            let at = cx.statement_at(offset);
            if let Some(at) = at {
                let written = dbguard_risk::tables_written(&f.text);
                let new = |t: &String| cx.is_new(&t.rsplit('.').next().unwrap_or(t).to_lowercase(), at);
                if !written.is_empty() && written.iter().all(new) {
                    return None;
                }
                let node = cx.statements[at].node;
                match f.rule.id() {
                    "drop-index" if matches!(node, NodeEnum::DropStmt(d) if d.concurrent) => return None,
                    "alter-column-type" if column_type_rewrite::keeps_values(cx, at) => return None,
                    "loosen-policy" if matches!(node, NodeEnum::CreatePolicyStmt(_)) => return None,
                    _ => {}
                }
            }
            let span = f.span.unwrap_or(dbguard_risk::Span {
                offset: 0,
                len: 0,
                line: 1,
                column: 1,
            });
            Some(Diagnostic {
                rule: f.rule.id().to_string(),
                risk: f.risk,
                help: rules::help_for(f.rule.id()).to_string(),
                line: span.line,
                column: span.column,
                offset: at.map_or(span.offset, |at| cx.statements[at].offset),
                statement: at.map_or(f.text, |at| cx.text(at).to_string()),
                message: f.message,
            })
        })
        .collect()
}
