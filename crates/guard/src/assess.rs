//! Impact assessment against the live database: which tables an operation
//! touches and how many rows they hold, the tables reached through
//! `ON DELETE CASCADE`, and for whole-database operations every table.

use std::collections::HashMap;

use dbguard_pg::connect::query_error;
use dbguard_pg::local::quote_qualified;
use dbguard_risk::{Finding, Risk, Rule, Verdict};
use serde::Serialize;

use crate::error::Result;

/// Rules whose operation replaces or removes the whole database.
const WHOLE_DATABASE: &[Rule] = &[
    Rule::DropDatabase,
    Rule::DropSchema,
    Rule::DropOwned,
    Rule::PrismaMigrateReset,
    Rule::PrismaForceReset,
    Rule::Dropdb,
    Rule::PgRestoreClean,
    Rule::SupabaseDbReset,
    Rule::FrameworkReset,
    Rule::RestoreOverLive,
    Rule::DeleteDatabaseFiles,
    Rule::DestroyCluster,
    Rule::DockerVolumeRemoval,
];

/// One table at risk.
#[derive(Debug, Clone, Serialize)]
pub struct TableImpact {
    /// `schema.table`.
    pub table: String,
    /// Rows it holds.
    pub rows: i64,
    /// An exact count (else the planner's estimate).
    pub exact: bool,
    /// The table whose rows cascade into this one, when reached through `ON DELETE CASCADE`.
    pub cascades_from: Option<String>,
}

/// What an operation puts at risk.
#[derive(Debug, Clone, Serialize)]
pub struct Assessment {
    /// The database.
    pub database: String,
    /// Its size in bytes.
    pub size_bytes: i64,
    /// The operation replaces or removes the whole database (or its tables cannot be told).
    pub whole_database: bool,
    /// The tables at risk.
    pub tables: Vec<TableImpact>,
}

impl Assessment {
    /// Rows at risk in total.
    pub fn rows(&self) -> i64 {
        self.tables.iter().map(|t| t.rows).sum()
    }
}

/// Assesses `verdict` on the database `client` is connected to.
pub fn assess(client: &mut postgres::Client, verdict: &Verdict) -> Result<Assessment> {
    let row = client
        .query_one(
            "SELECT current_database()::text, pg_database_size(current_database())",
            &[],
        )
        .map_err(query_error("reading the database size"))?;
    let (database, size_bytes): (String, i64) = (row.get(0), row.get(1));
    let risky: Vec<_> = verdict.findings.iter().filter(|f| f.risk > Risk::Low).collect();
    let mut named: Vec<String> = risky
        .iter()
        .flat_map(|f| dbguard_risk::tables_written(&f.text))
        .collect();
    named.sort();
    named.dedup();
    let whole_database = named.is_empty() || risky.iter().any(|f| WHOLE_DATABASE.contains(&f.rule));
    let tables = if whole_database {
        every_table(client)?
    } else {
        named_with_cascades(client, &named)?
    };
    let tables = tables
        .into_iter()
        .map(|(table, cascades_from)| {
            let (rows, exact) = count(client, &table);
            TableImpact {
                table,
                rows,
                exact,
                cascades_from,
            }
        })
        .collect();
    Ok(Assessment {
        database,
        size_bytes,
        whole_database,
        tables,
    })
}

fn every_table(client: &mut postgres::Client) -> Result<Vec<(String, Option<String>)>> {
    let rows = client
        .query(
            "SELECT format('%I.%I', n.nspname, c.relname)
               FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
                AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
              ORDER BY 1",
            &[],
        )
        .map_err(query_error("listing tables"))?;
    Ok(rows.iter().map(|r| (r.get(0), None)).collect())
}

/// The named tables that exist, and every table their rows cascade into.
fn named_with_cascades(
    client: &mut postgres::Client,
    named: &[String],
) -> Result<Vec<(String, Option<String>)>> {
    let named: Vec<String> = named.iter().map(|n| quote_qualified(n)).collect();
    let rows = client
        .query(
            "WITH RECURSIVE roots AS (
                 SELECT to_regclass(name) AS oid FROM unnest($1::text[]) AS name
             ), closure(oid, via) AS (
                 SELECT oid, NULL::regclass FROM roots WHERE oid IS NOT NULL
                 UNION
                 SELECT con.conrelid, con.confrelid::regclass
                   FROM pg_constraint con JOIN closure ON con.confrelid = closure.oid
                  WHERE con.contype = 'f' AND con.confdeltype = 'c' AND con.conrelid <> con.confrelid
             )
             SELECT DISTINCT ON (oid) oid::regclass::text, via::text FROM closure ORDER BY oid, via NULLS FIRST",
            &[&named],
        )
        .map_err(query_error("following ON DELETE CASCADE"))?;
    Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
}

/// When `verdict` is low only because its DELETEs are pinned to one row,
/// the finding that raises it: a row deleted from a table that other
/// tables reference with `ON DELETE CASCADE` takes their rows with it
/// (deleting one farm deletes its batches, tasks, orders …), so a delete
/// whose cascade reaches tables holding rows is high.
pub fn cascade_escalation(client: &mut postgres::Client, verdict: &Verdict) -> Result<Option<Finding>> {
    if verdict.risk != Risk::Low {
        return Ok(None);
    }
    let deletes: Vec<&Finding> = verdict
        .findings
        .iter()
        .filter(|f| f.rule == Rule::WriteOneRow && is_delete(&f.text))
        .collect();
    let mut roots: Vec<String> = deletes
        .iter()
        .flat_map(|f| dbguard_risk::tables_written(&f.text))
        .collect();
    roots.sort();
    roots.dedup();
    if roots.is_empty() {
        return Ok(None);
    }
    let reached: Vec<(String, i64)> = named_with_cascades(client, &roots)?
        .into_iter()
        .filter(|(_, via)| via.is_some())
        .map(|(table, _)| {
            let (rows, _) = count(client, &table);
            (table, rows)
        })
        .filter(|(_, rows)| *rows > 0)
        .collect();
    if reached.is_empty() {
        return Ok(None);
    }
    let listed: Vec<String> = reached
        .iter()
        .map(|(t, rows)| format!("{t} ({rows} rows)"))
        .collect();
    Ok(Some(Finding::new(
        Rule::CascadeDelete,
        format!(
            "deleting from {} cascades through ON DELETE CASCADE into {} tables that hold rows: {}",
            roots.join(", "),
            reached.len(),
            listed.join(", ")
        ),
        deletes[0].text.clone(),
    )))
}

fn is_delete(statement: &str) -> bool {
    let lower = statement.trim_start().to_lowercase();
    lower.starts_with("delete") || (lower.starts_with("with") && lower.contains("delete"))
}

/// The unique keys of every table (primary keys and unique indexes without
/// a predicate), by `table` and `schema.table`, for the SQL classifier.
pub fn unique_keys(client: &mut postgres::Client) -> Result<HashMap<String, Vec<Vec<String>>>> {
    let rows = client
        .query(
            "SELECT n.nspname::text, c.relname::text, array_agg(a.attname::text ORDER BY k.ord)
               FROM pg_index i
               JOIN pg_class c ON c.oid = i.indrelid
               JOIN pg_namespace n ON n.oid = c.relnamespace
              CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
               JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum
              WHERE i.indisunique AND i.indpred IS NULL
                AND n.nspname NOT IN ('pg_catalog', 'information_schema')
              GROUP BY i.indexrelid, n.nspname, c.relname",
            &[],
        )
        .map_err(query_error("reading unique keys"))?;
    let mut keys: HashMap<String, Vec<Vec<String>>> = HashMap::new();
    for row in rows {
        let (schema, table, columns): (String, String, Vec<String>) = (row.get(0), row.get(1), row.get(2));
        keys.entry(format!("{schema}.{table}").to_lowercase())
            .or_default()
            .push(columns.clone());
        keys.entry(table.to_lowercase()).or_default().push(columns);
    }
    Ok(keys)
}

/// Exact rows under a statement timeout, else the planner's estimate.
fn count(client: &mut postgres::Client, table: &str) -> (i64, bool) {
    let exact = client.transaction().ok().and_then(|mut tx| {
        tx.batch_execute("SET LOCAL statement_timeout = '2s'").ok()?;
        let sql = format!("SELECT count(*) FROM {table}");
        let rows: i64 = tx.query_one(&sql, &[]).ok()?.get(0);
        Some(rows)
    });
    match exact {
        Some(rows) => (rows, true),
        None => {
            let estimate = client
                .query_one(
                    "SELECT greatest(reltuples, 0)::bigint FROM pg_class WHERE oid = to_regclass($1)",
                    &[&table],
                )
                .map(|r| r.get::<_, i64>(0))
                .unwrap_or(0);
            (estimate, false)
        }
    }
}
