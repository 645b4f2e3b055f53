//! SQL clients other than psql. `usql` and `pgcli` take psql's options and
//! are judged by [`super::psql`]; DuckDB runs PostgreSQL statements once a
//! PostgreSQL database is attached (`ATTACH 'postgres:…' (TYPE postgres)`),
//! so its SQL (`-c`, an operand, standard input) is classified without
//! DuckDB's own statements, and `postgres_execute(…, 'SQL')` calls run their
//! SQL literally.

use super::super::opts::{read, Items, Spec};
use super::super::walk::{InputText, Invocation, Scope, Walker};
use crate::rules::Rule;

/// DuckDB's own statements, which PostgreSQL's parser does not know.
const DUCKDB_ONLY: &[&str] = &[
    "attach",
    "detach",
    "install",
    "load",
    "use",
    "pragma",
    "summarize",
    "describe",
    "show",
    "force",
];

/// Classifies `duckdb [DB] [-c SQL] [SQL]`.
pub fn duckdb(w: &mut Walker, inv: &Invocation, scope: &Scope) {
    let (items, _) = read(
        inv.args(),
        &Spec {
            short_values: "cs",
            long_values: &[],
        },
        false,
    );
    let mut texts: Vec<String> = items
        .values(&["-c", "-s"])
        .iter()
        .map(|v| v.text.clone())
        .collect();
    texts.extend(items.operands().iter().skip(1).map(|o| o.text.clone()));
    if texts.is_empty() {
        match w.read_input(&inv.stdin, scope) {
            InputText::Text(text, _) => texts.push(text),
            InputText::Unreadable(why) => {
                return w.add(
                    Rule::SqlUnreadable,
                    format!("duckdb reads SQL that cannot be read: {why}"),
                    &inv.text,
                )
            }
            InputText::Interactive => return,
        }
    }
    let all = texts.join(";\n");
    let lower = all.to_lowercase();
    if !lower.contains("postgres") {
        return; // a DuckDB file of its own
    }
    let mut sql = String::new();
    for statement in all.split(';') {
        let first = statement
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_lowercase();
        if DUCKDB_ONLY.contains(&first.as_str()) {
            continue;
        }
        sql.push_str(statement);
        sql.push_str(";\n");
    }
    for (at, _) in lower.match_indices("postgres_execute(") {
        if let Some(inner) = all[at..].split('\'').nth(3) {
            sql.push_str(inner);
            sql.push_str(";\n");
        }
    }
    // DuckDB names attached tables `pg.schema.table`; PostgreSQL reads that as database.schema.table.
    w.nested_sql(
        &sql,
        Some("duckdb, on an attached PostgreSQL database".to_string()),
    );
}
