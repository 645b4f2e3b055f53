//! Export and import. An export reads one consistent snapshot (read-only,
//! repeatable read) and streams rows as they arrive, so memory stays
//! constant. A farm's export runs as the application role inside the farm's
//! context: row-level security itself keeps every other farm out of it.
//! An import loads a farm's export into an empty farm, in one transaction.

use std::io::{BufRead, Write};

use postgres::fallible_iterator::FallibleIterator;
use postgres::{Client, GenericClient, Transaction};
use serde_json::{json, Value};

use crate::APP_ROLE;

/// How rows are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// One JSON document: metadata, then each table with its rows and count.
    Json,
    /// One JSON object per line: a header, then `{"table", "row"}` lines, then the counts.
    Ndjson,
    /// One table as CSV with a header line (PostgreSQL's own CSV, via COPY).
    Csv,
}

/// Why an export or import failed.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// The database refused.
    #[error("{}", dbguard_pg::connect::describe(.0))]
    Database(#[from] postgres::Error),
    /// Writing or reading the file failed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// The input is not an export dbguard can load, or the target is not empty.
    #[error("{0}")]
    Invalid(String),
}

/// Rows written per table, in the order written.
pub type Counts = Vec<(String, u64)>;

/// Tables in `public` in an order where every table comes after the tables
/// it references (so an import can insert them in that order).
pub fn tables_in_dependency_order(client: &mut impl GenericClient) -> Result<Vec<String>, postgres::Error> {
    let tables: Vec<String> = client
        .query(
            "SELECT relname::text FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind IN ('r', 'p') \
               AND NOT relispartition AND relname <> '_prisma_migrations' ORDER BY 1",
            &[],
        )?
        .iter()
        .map(|r| r.get(0))
        .collect();
    let edges: Vec<(String, String)> = client
        .query(
            "SELECT c.conrelid::regclass::text, c.confrelid::regclass::text FROM pg_constraint c \
              WHERE c.contype = 'f' AND c.connamespace = 'public'::regnamespace AND c.conrelid <> c.confrelid",
            &[],
        )?
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    let mut ordered: Vec<String> = Vec::new();
    let mut left = tables;
    while !left.is_empty() {
        let ready: Vec<String> = left
            .iter()
            .filter(|t| {
                edges
                    .iter()
                    .all(|(from, to)| from != *t || ordered.contains(to) || !left.contains(to))
            })
            .cloned()
            .collect();
        // A cycle: take the rest as they are (their references are checked at commit).
        let ready = if ready.is_empty() { left.clone() } else { ready };
        left.retain(|t| !ready.contains(t));
        ordered.extend(ready);
    }
    Ok(ordered)
}

/// Whether columns holding secrets (named like [`crate::SECRET_COLUMN_PATTERN`],
/// such as `users.password_hash`) are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Secrets {
    /// Leave them out (the default of every export).
    Omit,
    /// Write them: only when a person explicitly asks for them.
    Include,
}

/// Exports `tables` (all when empty) — of one farm when `farm` is given — to
/// `out`, without secret columns (password hashes).
pub fn export(
    client: &mut Client,
    farm: Option<&str>,
    tables: &[String],
    layout: Layout,
    out: &mut impl Write,
    on_rows: &mut dyn FnMut(u64),
) -> Result<Counts, ExportError> {
    export_with(client, farm, tables, layout, Secrets::Omit, out, on_rows)
}

/// [`export`], saying whether secret columns are written.
pub fn export_with(
    client: &mut Client,
    farm: Option<&str>,
    tables: &[String],
    layout: Layout,
    secrets: Secrets,
    out: &mut impl Write,
    on_rows: &mut dyn FnMut(u64),
) -> Result<Counts, ExportError> {
    let mut tx = client
        .build_transaction()
        .isolation_level(postgres::IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()?;
    let all = tables_in_dependency_order(&mut tx)?;
    let unknown: Vec<&String> = tables.iter().filter(|t| !all.contains(t)).collect();
    if !unknown.is_empty() {
        return Err(ExportError::Invalid(format!(
            "no such table in public: {unknown:?}"
        )));
    }
    let chosen: Vec<String> = if tables.is_empty() {
        all
    } else {
        all.into_iter().filter(|t| tables.contains(t)).collect()
    };
    if layout == Layout::Csv {
        let counts = export_csv(&mut tx, farm, &chosen, secrets, out)?;
        on_rows(counts[0].1);
        tx.commit()?;
        return Ok(counts);
    }
    let sources = match farm {
        Some(farm) => farm_sources(&mut tx, farm, &chosen, secrets)?,
        None => chosen
            .iter()
            .map(|t| {
                Ok(Source::new(
                    t,
                    format!(
                        "SELECT row_to_json(x)::text FROM ({}) x",
                        select(&mut tx, t, secrets)?
                    ),
                    false,
                ))
            })
            .collect::<Result<_, postgres::Error>>()?,
    };
    let header = json!({
        "exportedAt": chrono::Utc::now().to_rfc3339(),
        "version": format!("dbguard {}", env!("CARGO_PKG_VERSION")),
        "farm": farm,
    });
    let mut counts = Counts::new();
    let one_document = layout == Layout::Json;
    if one_document {
        let header = header.to_string();
        write!(out, "{},\"tables\":[", &header[..header.len() - 1])?;
    } else {
        writeln!(out, "{header}")?;
    }
    let mut in_context = false;
    for (i, source) in sources.iter().enumerate() {
        let Source { table, sql, .. } = source;
        if let (true, false, Some(farm)) = (source.in_context, in_context, farm) {
            enter_farm_context(&mut tx, farm)?;
            in_context = true;
        }
        if one_document {
            write!(
                out,
                "{}{{\"name\":{},\"rows\":[",
                if i > 0 { "," } else { "" },
                json!(table)
            )?;
        }
        let mut rows = tx.query_raw(&format!("{sql} ORDER BY 1"), std::iter::empty::<&str>())?;
        let mut n = 0u64;
        while let Some(row) = rows.next()? {
            let text: String = row.get(0);
            if one_document {
                write!(out, "{}{text}", if n > 0 { "," } else { "" })?;
            } else {
                writeln!(out, "{{\"table\":{},\"row\":{text}}}", json!(table))?;
            }
            n += 1;
            if n.is_multiple_of(1024) {
                on_rows(1024);
            }
        }
        on_rows(n % 1024);
        if one_document {
            write!(out, "],\"count\":{n}}}")?;
        }
        counts.push((table.clone(), n));
    }
    let totals: serde_json::Map<String, Value> = counts.iter().map(|(t, n)| (t.clone(), json!(n))).collect();
    if one_document {
        writeln!(out, "],\"counts\":{}}}", Value::Object(totals))?;
    } else {
        writeln!(out, "{}", json!({ "counts": totals }))?;
    }
    out.flush()?;
    tx.commit()?;
    Ok(counts)
}

/// One table as CSV, through the farm's context when `farm` is given.
fn export_csv(
    tx: &mut Transaction,
    farm: Option<&str>,
    chosen: &[String],
    secrets: Secrets,
    out: &mut impl Write,
) -> Result<Counts, ExportError> {
    let [table] = chosen else {
        return Err(ExportError::Invalid(
            "a CSV export holds one table: name it with --tables".into(),
        ));
    };
    if let Some(farm) = farm {
        ensure_farm(tx, farm)?;
        if !tenant_tables(tx, true)?.contains(table) {
            return Err(ExportError::Invalid(format!(
                "{table} is not a tenant table; a farm's CSV export covers tenant tables (users and farms are in its JSON export)"
            )));
        }
        enter_farm_context(tx, farm)?;
    }
    let rows: i64 = tx
        .query_one(&format!("SELECT count(*) FROM {}", quote(table)), &[])?
        .get(0);
    let query = select(tx, table, secrets)?;
    let mut reader = tx.copy_out(&format!(
        "COPY ({query} ORDER BY 1) TO STDOUT (FORMAT csv, HEADER)"
    ))?;
    std::io::copy(&mut reader, out)?;
    out.flush()?;
    Ok(vec![(table.clone(), rows as u64)])
}

/// A table to export, its query, and whether it is read inside the farm's context.
struct Source {
    table: String,
    sql: String,
    in_context: bool,
}

impl Source {
    fn new(table: &str, sql: String, in_context: bool) -> Source {
        Source {
            table: table.to_string(),
            sql,
            in_context,
        }
    }
}

/// Tables of `public` with a `farm_id` column (only those with row-level
/// security enabled when `secured`).
fn tenant_tables(client: &mut impl GenericClient, secured: bool) -> Result<Vec<String>, postgres::Error> {
    Ok(client
        .query(
            "SELECT c.relname::text FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p') \
               AND (c.relrowsecurity OR NOT $1) \
               AND EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'farm_id' AND NOT a.attisdropped)",
            &[&secured],
        )?
        .iter()
        .map(|r| r.get(0))
        .collect())
}

/// `SELECT … FROM table`: every column, secret ones only when included.
fn select(client: &mut impl GenericClient, table: &str, secrets: Secrets) -> Result<String, postgres::Error> {
    if secrets == Secrets::Include {
        return Ok(format!("SELECT * FROM {}", quote(table)));
    }
    let columns: String = client
        .query_one(
            "SELECT string_agg(format('%I', attname), ', ' ORDER BY attnum) FROM pg_attribute
              WHERE attrelid = format('public.%I', $1::text)::regclass AND attnum > 0 AND NOT attisdropped
                AND attname !~* $2",
            &[&table, &crate::SECRET_COLUMN_PATTERN],
        )?
        .get(0);
    Ok(format!("SELECT {columns} FROM {}", quote(table)))
}

/// Fails unless `farm` exists.
fn ensure_farm(tx: &mut Transaction, farm: &str) -> Result<(), ExportError> {
    let found: bool = tx
        .query_one("SELECT EXISTS (SELECT FROM farms WHERE id::text = $1)", &[&farm])?
        .get(0);
    match found {
        true => Ok(()),
        false => Err(ExportError::Invalid(format!("no farm {farm}"))),
    }
}

/// From here on the transaction reads as the application role, in `farm`'s context.
fn enter_farm_context(tx: &mut Transaction, farm: &str) -> Result<(), postgres::Error> {
    tx.batch_execute(&format!("SET LOCAL ROLE {APP_ROLE}"))?;
    tx.execute("SELECT set_config('app.current_farm_id', $1, true)", &[&farm])?;
    Ok(())
}

/// The sources of a farm's export: the farm's row and its members' users
/// (password hashes only when included), read as the connecting role (the
/// application role sees no hash), then every tenant table, unfiltered,
/// read inside the farm's context.
fn farm_sources(
    tx: &mut Transaction,
    farm: &str,
    chosen: &[String],
    secrets: Secrets,
) -> Result<Vec<Source>, ExportError> {
    ensure_farm(tx, farm)?;
    let lit = farm.replace('\'', "''");
    let tenant = tenant_tables(tx, true)?;
    let mut sources = Vec::new();
    if chosen.iter().any(|t| t == "users") {
        let sql = format!(
            "SELECT row_to_json(x)::text FROM ({} WHERE id IN (SELECT user_id FROM farm_users WHERE farm_id = '{lit}'::uuid)) x",
            select(tx, "users", secrets)?
        );
        sources.push(Source::new("users", sql, false));
    }
    if chosen.iter().any(|t| t == "farms") {
        let sql = format!("SELECT row_to_json(x)::text FROM farms x WHERE id = '{lit}'::uuid");
        sources.push(Source::new("farms", sql, false));
    }
    for t in chosen.iter().filter(|t| tenant.contains(t)) {
        sources.push(Source::new(
            t,
            format!("SELECT row_to_json(x)::text FROM {} x", quote(t)),
            true,
        ));
    }
    Ok(sources)
}

/// Loads a farm export (JSON or NDJSON) from `input` into `farm`, which must
/// hold no rows yet; every row's `farm_id` becomes `farm`. One transaction.
pub fn import(client: &mut Client, input: &mut impl BufRead, farm: &str) -> Result<Counts, ExportError> {
    import_tables(client, read_export(input)?, farm, &mut |_, _| {})
}

/// [`import`] of an export already read ([`read_export`]), calling
/// `progress` with each table and the rows just inserted into it.
pub fn import_tables(
    client: &mut Client,
    tables: Vec<(String, Vec<Value>)>,
    farm: &str,
    progress: &mut dyn FnMut(&str, u64),
) -> Result<Counts, ExportError> {
    let mut tx = client.transaction()?;
    let order = tables_in_dependency_order(&mut tx)?;
    let tenant = tenant_tables(&mut tx, false)?;
    for t in &tenant {
        let used: bool = tx
            .query_one(
                &format!(
                    "SELECT EXISTS (SELECT FROM {} WHERE farm_id::text = $1)",
                    quote(t)
                ),
                &[&farm],
            )?
            .get(0);
        if used {
            return Err(ExportError::Invalid(format!(
                "farm {farm} is not empty: {t} has rows; import only into a new farm"
            )));
        }
    }
    let farm_exists: bool = tx
        .query_one("SELECT EXISTS (SELECT FROM farms WHERE id::text = $1)", &[&farm])?
        .get(0);
    let mut counts = Counts::new();
    for table in order.iter().filter(|t| tables.iter().any(|(n, _)| n == *t)) {
        if table == "farms" && farm_exists {
            continue;
        }
        let rows = &tables.iter().find(|(n, _)| n == table).expect("filtered").1;
        let rows: Vec<Value> = rows
            .iter()
            .cloned()
            .map(|mut row| {
                if let Some(object) = row.as_object_mut() {
                    if table == "farms" {
                        object.insert("id".into(), json!(farm));
                        object.insert("subdomain".into(), Value::Null);
                    } else if object.contains_key("farm_id") {
                        object.insert("farm_id".into(), json!(farm));
                    }
                }
                row
            })
            .collect();
        let conflict = if table == "users" {
            " ON CONFLICT DO NOTHING"
        } else {
            ""
        };
        let n = tx.execute(
            &format!(
                "INSERT INTO {t} SELECT * FROM json_populate_recordset(NULL::{t}, $1::text::json){conflict}",
                t = quote(table)
            ),
            &[&Value::Array(rows).to_string()],
        )?;
        progress(table, n);
        counts.push((table.clone(), n));
    }
    tx.commit()?;
    Ok(counts)
}

/// The tables and rows of an export, in either layout.
pub fn read_export(input: &mut impl BufRead) -> Result<Vec<(String, Vec<Value>)>, ExportError> {
    let bad = |why: &str| ExportError::Invalid(format!("not a dbguard export: {why}"));
    let mut first = String::new();
    input.read_line(&mut first)?;
    let header: Value = serde_json::from_str(first.trim()).map_err(|e| bad(&e.to_string()))?;
    let mut tables: Vec<(String, Vec<Value>)> = Vec::new();
    if let Some(list) = header.get("tables") {
        // JSON: the whole document is on the first line.
        for t in list.as_array().ok_or_else(|| bad("tables is not a list"))? {
            let name = t["name"].as_str().ok_or_else(|| bad("a table without a name"))?;
            let rows = t["rows"].as_array().ok_or_else(|| bad("a table without rows"))?;
            tables.push((name.to_string(), rows.clone()));
        }
        return Ok(tables);
    }
    if header.get("exportedAt").is_none() {
        return Err(bad("no exportedAt header"));
    }
    for line in input.lines() {
        let line: Value = serde_json::from_str(&line?).map_err(|e| bad(&e.to_string()))?;
        let (Some(name), Some(row)) = (line["table"].as_str(), line.get("row")) else {
            continue;
        };
        match tables.last_mut() {
            Some((last, rows)) if last == name => rows.push(row.clone()),
            _ => tables.push((name.to_string(), vec![row.clone()])),
        }
    }
    Ok(tables)
}

fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}
