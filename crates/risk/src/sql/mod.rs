//! SQL classification with PostgreSQL's own grammar (`pg_query`).
//!
//! Every statement of a multi-statement string counts. Writes are found
//! wherever they can run: top level, CTEs, `EXPLAIN ANALYZE`, `PREPARE`,
//! `COPY (…)`, `DO` blocks and the literal SQL of `EXECUTE '…'` inside them.
//! Text the parser rejects is high risk.

mod plpgsql;
mod statements;
pub mod where_clause;

use std::collections::{HashMap, HashSet};

use crate::rules::Rule;
use crate::verdict::{Finding, Span, Verdict};
use crate::MAX_DEPTH;

/// The largest SQL text analysed; larger text is high risk unread.
pub const MAX_SQL_BYTES: usize = 1024 * 1024;

/// What the caller knows about the database.
#[derive(Debug, Clone, Default)]
pub struct SqlOptions {
    /// The unique keys of tables, by lower-case table name (optionally
    /// `schema.table`), each key a list of columns. A table not listed is
    /// assumed to have the key `id`.
    pub keys: HashMap<String, Vec<Vec<String>>>,
}

impl SqlOptions {
    fn keys_of(&self, schema: &str, table: &str) -> Vec<Vec<String>> {
        let table = table.to_lowercase();
        let qualified = format!("{}.{table}", schema.to_lowercase());
        self.keys
            .get(&qualified)
            .or_else(|| self.keys.get(&table))
            .cloned()
            .unwrap_or_else(|| vec![vec!["id".to_string()]])
    }
}

/// Classifies SQL text.
pub fn classify_sql(sql: &str, options: &SqlOptions) -> Verdict {
    Verdict::from_findings(crate::guard_panics(sql, || analyse(sql, options, 0)))
}

/// The findings of `sql` at nesting `depth` (0 for text given by the caller).
pub(crate) fn analyse(sql: &str, options: &SqlOptions, depth: usize) -> Vec<Finding> {
    let whole = || Span::locate(sql, 0, sql.len());
    if sql.len() > MAX_SQL_BYTES {
        return vec![Finding::new(
            Rule::InputTooLarge,
            format!("{} bytes of SQL, over the {MAX_SQL_BYTES}-byte limit", sql.len()),
            sql,
        )
        .at(whole())];
    }
    if depth > MAX_DEPTH {
        return vec![Finding::new(Rule::NestingTooDeep, "SQL nested too deeply to follow", sql).at(whole())];
    }
    let parsed = match pg_query::parse(sql, 0) {
        Ok(parsed) => parsed,
        Err(e) => {
            return vec![
                Finding::new(Rule::SqlUnparseable, format!("could not be analysed: {e}"), sql).at(whole()),
            ]
        }
    };
    let mut walker = statements::Walker {
        options,
        depth,
        prepared: HashSet::new(),
        findings: Vec::new(),
    };
    for raw in &parsed.protobuf.stmts {
        let start = usize::try_from(raw.stmt_location).unwrap_or(0).min(sql.len());
        let len = match usize::try_from(raw.stmt_len).unwrap_or(0) {
            0 => sql.len() - start,
            n => n,
        };
        let span = Span::locate(sql, start, len);
        let text = sql.get(span.offset..span.offset + span.len).unwrap_or(sql);
        if let Some(node) = raw.stmt.as_deref() {
            walker.statement(node, text, span);
        }
    }
    walker.findings
}
