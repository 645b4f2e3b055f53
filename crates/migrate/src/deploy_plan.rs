//! What a deploy must ask a person about: the verdict over one or more
//! pending migrations, built from the lint (each finding once, named by its
//! migration, at most [`SHOWN`] per migration with the rest counted and
//! pointed at `dbguard lint`), and whether a first deploy puts any data at
//! risk at all.

use dbguard_risk::{Finding, Risk, Rule, Verdict};

use crate::lint::{created_tables, lint, Diagnostic};
use crate::Migration;

/// Findings of one migration listed one by one; the rest are counted.
pub const SHOWN: usize = 20;

/// Whether a lint finding makes a person's approval necessary: the risk
/// classifier's rules above low (except plain schema and permission
/// changes), and the lint's own high-risk rules.
fn needs_approval(d: &Diagnostic) -> bool {
    match Rule::ALL.iter().find(|r| r.id() == d.rule) {
        Some(Rule::SchemaChange | Rule::PermissionChange) => false,
        Some(_) => d.risk > Risk::Low,
        None => d.risk == Risk::High,
    }
}

/// The findings of `migration` that need approval, once each, in order.
pub fn findings(migration: &Migration) -> Vec<Diagnostic> {
    let mut found: Vec<Diagnostic> = lint(&migration.sql).into_iter().filter(needs_approval).collect();
    found.dedup_by(|a, b| a.rule == b.rule && a.line == b.line && a.message == b.message);
    found
}

/// The verdict over `pending`: every finding that needs approval, as
/// `MIGRATION line N: message`, under the classifier's rule (or
/// `migration-lint` for the lint's own rules, with its id); past [`SHOWN`]
/// per migration, one finding saying how many more there are and the
/// command that lists them all (it keeps their statements, so the tables
/// they touch are still assessed).
pub fn verdict(pending: &[&Migration]) -> Verdict {
    let mut out = Vec::new();
    for migration in pending {
        let found = findings(migration);
        for d in found.iter().take(SHOWN) {
            let rule = Rule::ALL.iter().copied().find(|r| r.id() == d.rule);
            let message = match rule {
                Some(_) => format!("{} line {}: {}", migration.name, d.line, d.message),
                None => format!("{} line {}: [{}] {}", migration.name, d.line, d.rule, d.message),
            };
            out.push(finding(
                rule.unwrap_or(Rule::MigrationLint),
                d.risk,
                message,
                d.statement.clone(),
                &migration.name,
            ));
        }
        if found.len() > SHOWN {
            let rest = &found[SHOWN..];
            let risk = rest.iter().map(|d| d.risk).max().unwrap_or(Risk::High);
            let statements: Vec<&str> = rest.iter().map(|d| d.statement.as_str()).collect();
            out.push(finding(
                Rule::MigrationLint,
                risk,
                format!(
                    "{}: {} more findings not shown; see them all with `dbguard lint {}`",
                    migration.name,
                    rest.len(),
                    migration.path.display()
                ),
                statements.join(";\n"),
                &migration.name,
            ));
        }
    }
    Verdict::from_findings(out)
}

/// A finding whose text is the whole statement (not shortened: the impact
/// assessment reads the tables from it).
fn finding(rule: Rule, risk: Risk, message: String, statement: String, migration: &str) -> Finding {
    let mut f = Finding::new(rule, message, "");
    f.risk = risk;
    f.text = statement;
    f.via.push(migration.to_string());
    f
}

/// Why applying `pending` puts no data at risk, or why it may: every table
/// a finding that needs approval touches must be created by an earlier
/// migration of the batch, or not exist, or be empty (a view holds no rows;
/// an index is judged by its table). A finding whose tables cannot be told
/// may touch anything (fail closed).
pub fn nothing_at_risk(
    client: &mut postgres::Client,
    pending: &[&Migration],
) -> crate::Result<Result<String, String>> {
    let mut created: Vec<String> = Vec::new();
    let mut checked = 0;
    for migration in pending {
        for d in findings(migration) {
            let tables = dbguard_risk::tables_written(&d.statement);
            if tables.is_empty() {
                return Ok(Err(format!(
                    "{} line {}: [{}] names no table that can be checked",
                    migration.name, d.line, d.rule
                )));
            }
            for table in tables {
                let bare = table.rsplit('.').next().unwrap_or(&table).to_lowercase();
                if created.contains(&bare) {
                    continue;
                }
                if let Some(rows) = holds_rows(client, &table)? {
                    return Ok(Err(format!(
                        "{} line {}: [{}] touches {table}, which {rows}",
                        migration.name, d.line, d.rule
                    )));
                }
                checked += 1;
            }
        }
        created.extend(created_tables(&migration.sql));
    }
    Ok(Ok(format!(
        "nothing is at risk: each of the {checked} tables the high-risk findings touch is empty, absent, or created earlier in this deploy"
    )))
}

/// `None` when `table` holds no rows (or does not exist); otherwise what it holds.
fn holds_rows(client: &mut postgres::Client, table: &str) -> crate::Result<Option<String>> {
    let quoted = dbguard_pg::local::quote_qualified(table);
    let row = client
        .query_opt(
            "SELECT c.relkind::text, COALESCE(i.indrelid, c.oid)::regclass::text
               FROM pg_class c LEFT JOIN pg_index i ON i.indexrelid = c.oid
              WHERE c.oid = to_regclass($1)",
            &[&quoted],
        )
        .map_err(dbguard_pg::connect::query_error("checking a table's rows"))?;
    let Some(row) = row else { return Ok(None) };
    let (kind, relation): (String, String) = (row.get(0), row.get(1));
    match kind.as_str() {
        "v" => Ok(None),
        "r" | "p" | "m" | "i" | "I" => {
            let any: bool = client
                .query_one(&format!("SELECT EXISTS (SELECT 1 FROM {relation})"), &[])
                .map_err(dbguard_pg::connect::query_error("checking a table's rows"))?
                .get(0);
            Ok(any.then(|| "holds rows".to_string()))
        }
        other => Ok(Some(format!(
            "is a relation of kind {other} that cannot be shown empty"
        ))),
    }
}
