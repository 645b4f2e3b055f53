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
use crate::verdict::{Collector, Finding, LineIndex, Span, Verdict};
use crate::MAX_DEPTH;

/// The most SQL analysed for one verdict; more is high risk unread.
/// PostgreSQL's parser reads about 3 to 10 MB/s (its tree goes through
/// protobuf), so this keeps the worst case near 25 ms. Real migrations are
/// far smaller (the largest in the external corpus is 8 KB).
pub const MAX_SQL_BYTES: usize = 64 * 1024;

/// What the caller knows about the database.
#[derive(Debug, Clone, Default)]
pub struct SqlOptions {
    /// The unique keys of tables, by lower-case table name (optionally
    /// `schema.table`), each key a list of columns. A table not listed is
    /// assumed to have the key `id`.
    pub keys: HashMap<String, Vec<Vec<String>>>,
    /// Names that stand for values in this SQL, lower-case: the parameters
    /// and variables of the function or `DO` block it runs in. A reference
    /// to one (or to a field of one, `old.id`) is a value, as `$1` is.
    pub variables: Vec<String>,
}

impl SqlOptions {
    /// These options, with `names` standing for values too.
    fn with_variables(&self, names: impl IntoIterator<Item = String>) -> SqlOptions {
        let mut options = self.clone();
        options
            .variables
            .extend(names.into_iter().map(|n| n.to_lowercase()));
        options
    }

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

/// The tables SQL text writes or changes (DML and DDL), as named in it;
/// empty when it does not parse.
pub fn tables_written(sql: &str) -> Vec<String> {
    if sql.len() > MAX_SQL_BYTES {
        return Vec::new();
    }
    let Ok(parsed) = pg_query::parse(sql, 0) else {
        return Vec::new();
    };
    let mut tables: Vec<String> = parsed
        .dml_tables()
        .into_iter()
        .chain(parsed.ddl_tables())
        .collect();
    // pg_query's table lists leave out renames.
    for raw in &parsed.protobuf.stmts {
        if let Some(pg_query::NodeEnum::RenameStmt(r)) = raw.stmt.as_deref().and_then(|n| n.node.as_ref()) {
            if let Some(rel) = &r.relation {
                tables.push(rel.relname.clone());
            }
        }
    }
    tables.sort();
    tables.dedup();
    tables
}

/// Classifies SQL text.
pub fn classify_sql(sql: &str, options: &SqlOptions) -> Verdict {
    crate::guard_panics(sql, || Verdict::from_collector(analyse(sql, options, 0)))
}

/// The findings of `sql` at nesting `depth` (0 for text given by the caller).
pub(crate) fn analyse(sql: &str, options: &SqlOptions, depth: usize) -> Collector {
    let only = |finding: Finding| {
        let mut collector = Collector::default();
        collector.push(finding.at(Span::locate(sql, 0, sql.len())));
        collector
    };
    if sql.len() > MAX_SQL_BYTES {
        return only(Finding::new(
            Rule::InputTooLarge,
            format!(
                "{} bytes of SQL, over the {MAX_SQL_BYTES}-byte limit of one check",
                sql.len()
            ),
            sql,
        ));
    }
    if depth > MAX_DEPTH {
        return only(Finding::new(
            Rule::NestingTooDeep,
            "SQL nested too deeply to follow",
            sql,
        ));
    }
    let parsed = match pg_query::parse(sql, 0) {
        Ok(parsed) => parsed,
        Err(e) => {
            return only(Finding::new(
                Rule::SqlUnparseable,
                format!("could not be analysed: {e}"),
                sql,
            ))
        }
    };
    let mut walker = statements::Walker {
        options,
        depth,
        sql,
        lines: LineIndex::new(sql),
        prepared: HashSet::new(),
        temp_tables: HashSet::new(),
        findings: Collector::default(),
    };
    for raw in &parsed.protobuf.stmts {
        let start = usize::try_from(raw.stmt_location).unwrap_or(0).min(sql.len());
        let len = match usize::try_from(raw.stmt_len).unwrap_or(0) {
            0 => sql.len() - start,
            n => n.min(sql.len() - start),
        };
        let text = sql.get(start..start + len).unwrap_or(sql);
        if let Some(node) = raw.stmt.as_deref() {
            walker.statement(node, text, Loc { start, len });
        }
    }
    walker.findings
}

/// Where a statement is in the analysed text (bytes); turned into a [`Span`]
/// only for statements with findings.
#[cfg(test)]
mod tests {
    #[test]
    fn tables_written_are_named() {
        assert_eq!(
            super::tables_written("SELECT * FROM farms; DELETE FROM tasks; TRUNCATE batches, orders"),
            vec!["batches", "orders", "tasks"]
        );
        assert!(super::tables_written("SELECT 1").is_empty());
        assert_eq!(
            super::tables_written("ALTER TABLE users RENAME COLUMN a TO b"),
            vec!["users"]
        );
        assert!(super::tables_written("not sql").is_empty());
    }
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Loc {
    /// Byte offset.
    pub start: usize,
    /// Length in bytes.
    pub len: usize,
}
