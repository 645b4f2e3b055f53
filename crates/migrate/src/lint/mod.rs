//! The migration lint: the guide's dangerous patterns (through the risk
//! classifier) plus the lock, rewrite and transaction rules that migration
//! linters know, one module per rule under [`rules`]. Tables created
//! earlier in the same migration are exempt: nobody else can be using them
//! yet (a table dropped first and created again is not new: its rows are
//! lost). `-- dbguard-ignore rule-id[, rule-id]: reason` silences those
//! rules for one statement (see [`ignores`]).

mod classifier;
mod context;
pub mod format;
mod ignores;
mod locks;
pub mod rules;
mod unparseable;

use dbguard_risk::verdict::LineIndex;
use dbguard_risk::Risk;
use serde::Serialize;

use context::Context;

/// One finding of the lint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// The rule id.
    pub rule: String,
    /// Its risk.
    pub risk: Risk,
    /// What was found.
    pub message: String,
    /// What to do instead.
    pub help: String,
    /// 1-based line of the statement.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// Byte offset of the statement.
    #[serde(skip)]
    pub offset: usize,
    /// The statement's text (for finding the tables it touches).
    #[serde(skip)]
    pub statement: String,
}

/// Lints one migration's SQL.
pub fn lint(sql: &str) -> Vec<Diagnostic> {
    let parsed = match pg_query::parse(sql, 0) {
        Ok(parsed) => parsed,
        Err(e) => return vec![unparseable(sql, &e)],
    };
    let cx = Context::new(sql, &parsed);
    let mut found = Vec::new();
    for check in rules::checks() {
        check(&cx, &mut found);
    }
    found.extend(classifier::findings(&cx));
    let mut diagnostics = ignores::apply(sql, &cx.statements, found);
    diagnostics.sort_by(|a, b| (a.line, a.column, &a.rule).cmp(&(b.line, b.column, &b.rule)));
    diagnostics
}

/// The tables `sql` creates, lower-cased (none when it does not parse).
pub fn created_tables(sql: &str) -> Vec<String> {
    match pg_query::parse(sql, 0) {
        Ok(parsed) => Context::new(sql, &parsed).created_tables(),
        Err(_) => Vec::new(),
    }
}

/// The finding for SQL PostgreSQL's parser rejects, at the place it stops.
fn unparseable(sql: &str, e: &pg_query::Error) -> Diagnostic {
    let offset = unparseable::error_offset(sql, &e.to_string());
    let span = LineIndex::new(sql).span(sql, offset, 0);
    Diagnostic {
        rule: "sql-unparseable".into(),
        risk: Risk::High,
        message: format!("PostgreSQL cannot parse this migration: {e}"),
        help: rules::help_for("sql-unparseable").into(),
        line: span.line,
        column: span.column,
        offset: span.offset,
        statement: sql.to_string(),
    }
}
