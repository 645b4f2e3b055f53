//! Integrity validation: set-based checks, each under a statement timeout,
//! each reporting the offending rows (capped) with their total. Unlike the
//! guide's checks, which always pass, every one of these is shown by a test
//! to find a planted violation.

use postgres::{Client, GenericClient};
use serde::Serialize;

/// Offending ids reported per check; the total is always given.
pub const MAX_IDS: i64 = 20;

/// Statement timeout of each check.
pub const CHECK_TIMEOUT: &str = "10s";

/// The result of one check.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    /// Stable identifier, e.g. `duplicate-emails`.
    pub check: String,
    /// What is wrong, in a sentence.
    pub message: String,
    /// How many rows offend.
    pub total: i64,
    /// Up to [`MAX_IDS`] of them.
    pub ids: Vec<String>,
}

/// A check that could not run (it timed out or the database refused).
#[derive(Debug, Clone, Serialize)]
pub struct Failure {
    /// The check.
    pub check: String,
    /// Why.
    pub reason: String,
}

/// Everything `validate` found.
#[derive(Debug, Default, Clone, Serialize)]
pub struct Report {
    /// Checks run.
    pub checks: usize,
    /// Violations.
    pub findings: Vec<Finding>,
    /// Checks that could not run: the data is not known to be valid.
    pub failures: Vec<Failure>,
}

/// A check: its id, its message, and a query returning one text id per offending row.
struct Query {
    check: String,
    message: String,
    sql: String,
}

/// What `dbguard --format json validate` prints.
#[derive(Debug, Clone, Serialize)]
pub struct Validated {
    /// No check found anything and every check ran.
    pub valid: bool,
    /// How long the checks took.
    pub seconds: f64,
    /// What they found.
    #[serde(flatten)]
    pub validation: Report,
}

/// Runs every check, timed, calling `progress` as [`validate_showing`] does.
pub fn run(
    client: &mut Client,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Validated, postgres::Error> {
    let started = std::time::Instant::now();
    let validation = validate_showing(client, progress)?;
    Ok(Validated {
        valid: validation.findings.is_empty() && validation.failures.is_empty(),
        seconds: started.elapsed().as_secs_f64(),
        validation,
    })
}

/// Runs every check in one read-only, repeatable-read transaction.
pub fn validate(client: &mut Client) -> Result<Report, postgres::Error> {
    validate_showing(client, &mut |_, _| {})
}

/// [`validate`], calling `progress` with the checks done and the checks in
/// all, before the first and after each (on large data each one scans a table).
pub fn validate_showing(
    client: &mut Client,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Report, postgres::Error> {
    let mut tx = client
        .build_transaction()
        .read_only(true)
        .isolation_level(postgres::IsolationLevel::RepeatableRead)
        .start()?;
    tx.batch_execute(&format!("SET LOCAL statement_timeout = '{CHECK_TIMEOUT}'"))?;
    let mut queries = fixed_queries(&mut tx)?;
    queries.extend(not_valid_constraints(&mut tx)?);
    queries.extend(cross_farm_references(&mut tx)?);
    queries.extend(unenforced_references(&mut tx)?);
    queries.extend(non_member_references(&mut tx)?);
    queries.extend(negative_amounts(&mut tx)?);
    let mut report = Report {
        checks: queries.len(),
        ..Report::default()
    };
    let total = queries.len();
    progress(0, total);
    for (i, q) in queries.into_iter().enumerate() {
        // A savepoint per check: one that fails does not stop the others.
        let savepoint = format!("check_{i}");
        tx.batch_execute(&format!("SAVEPOINT {savepoint}"))?;
        let counted = format!(
            "SELECT count(*) OVER (), id FROM ({}) offending(id) ORDER BY id LIMIT {MAX_IDS}",
            q.sql
        );
        match tx.query(&counted, &[]) {
            Ok(rows) if rows.is_empty() => {}
            Ok(rows) => report.findings.push(Finding {
                check: q.check,
                message: q.message,
                total: rows[0].get(0),
                ids: rows
                    .iter()
                    .map(|r| r.get::<_, Option<String>>(1).unwrap_or_default())
                    .collect(),
            }),
            Err(e) => {
                tx.batch_execute(&format!("ROLLBACK TO SAVEPOINT {savepoint}"))?;
                report.failures.push(Failure {
                    check: q.check,
                    reason: dbguard_pg::connect::describe(&e),
                });
            }
        }
        progress(i + 1, total);
    }
    tx.commit()?;
    Ok(report)
}

fn exists(client: &mut impl GenericClient, table: &str) -> Result<bool, postgres::Error> {
    Ok(client
        .query_one(
            "SELECT to_regclass($1) IS NOT NULL",
            &[&format!("public.{table}")],
        )?
        .get(0))
}

/// The guide's role priority: ADMIN 1, MANAGER 2, the leads 3, the members 4.
const PRIORITY: &str = "CASE r WHEN 'ADMIN' THEN 1 WHEN 'MANAGER' THEN 2 WHEN 'TEAM_LEAD' THEN 3 \
    WHEN 'SPECIALIST_LEAD' THEN 3 WHEN 'TEAM_MEMBER' THEN 4 WHEN 'SPECIALIST' THEN 4 END";

fn fixed_queries(client: &mut impl GenericClient) -> Result<Vec<Query>, postgres::Error> {
    let mut queries = Vec::new();
    let mut add = |check: &str, message: &str, sql: String| {
        queries.push(Query {
            check: check.into(),
            message: message.into(),
            sql,
        })
    };
    if exists(client, "users")? {
        add(
            "duplicate-emails",
            "users share an email when case is ignored (sign-in would pick one at random)",
            "SELECT id::text FROM (SELECT id, count(*) OVER (PARTITION BY lower(email)) n FROM users) u WHERE n > 1".into(),
        );
        let priority = |expr: &str| PRIORITY.replace("CASE r ", &format!("CASE {expr} "));
        add(
            "invalid-roles",
            "users with a role outside ADMIN, MANAGER, TEAM_LEAD, SPECIALIST_LEAD, TEAM_MEMBER, SPECIALIST",
            format!(
                "SELECT id::text FROM users WHERE ({}) IS NULL \
                 OR EXISTS (SELECT FROM unnest(roles::text[]) r WHERE ({PRIORITY}) IS NULL)",
                priority("role::text")
            ),
        );
        add(
            "duplicate-roles",
            "users holding the same role twice",
            "SELECT id::text FROM users WHERE cardinality(roles) <> (SELECT count(DISTINCT r) FROM unnest(roles) r)".into(),
        );
        add(
            "role-mismatch",
            "users whose legacy role is not their effective role (the highest of their roles)",
            format!(
                "SELECT id::text FROM users WHERE cardinality(roles) > 0 AND ({}) <> \
                 (SELECT min({PRIORITY}) FROM unnest(roles::text[]) r)",
                priority("role::text")
            ),
        );
    }
    if exists(client, "orders")? && exists(client, "order_items")? {
        add(
            "order-total",
            "orders whose total is not the sum of their items",
            "SELECT o.id::text FROM orders o WHERE o.total_cents <> (SELECT coalesce(sum(i.quantity::bigint * i.unit_price_cents), 0) \
               FROM order_items i WHERE i.farm_id = o.farm_id AND i.order_id = o.id)"
                .into(),
        );
    }
    if exists(client, "batches")? {
        add(
            "harvest-before-sowing",
            "batches harvested before they were sown",
            "SELECT id::text FROM batches WHERE harvested_at < sown_at".into(),
        );
    }
    if exists(client, "farms")? && exists(client, "farm_users")? {
        add(
            "owner-not-member",
            "farms whose owner is not an active member",
            "SELECT f.id::text FROM farms f WHERE NOT EXISTS (SELECT FROM farm_users m \
               WHERE m.farm_id = f.id AND m.user_id = f.owner_id AND m.is_active)"
                .into(),
        );
    }
    Ok(queries)
}

/// Rows that break a constraint added `NOT VALID` and never validated:
/// the database has not checked the rows that were there before.
fn not_valid_constraints(client: &mut impl GenericClient) -> Result<Vec<Query>, postgres::Error> {
    let rows = client.query(
        "SELECT c.conname::text, c.contype::text, format('%I.%I', n.nspname, t.relname),
                pg_get_constraintdef(c.oid),
                (SELECT string_agg(format('x.%I', a.attname), ', ' ORDER BY k.i) FROM unnest(c.conkey) WITH ORDINALITY k(att, i)
                   JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.att),
                (SELECT string_agg(format('%I', a.attname), ', ' ORDER BY k.i) FROM unnest(c.confkey) WITH ORDINALITY k(att, i)
                   JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.att),
                CASE WHEN c.confrelid <> 0 THEN c.confrelid::regclass::text END,
                EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = c.conrelid AND a.attname = 'id' AND NOT a.attisdropped)
           FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid JOIN pg_namespace n ON n.oid = t.relnamespace
          WHERE NOT c.convalidated AND c.contype IN ('f', 'c') AND n.nspname = 'public'",
        &[],
    )?;
    Ok(rows
        .iter()
        .map(|r| {
            let (name, kind, table, def): (String, String, String, String) =
                (r.get(0), r.get(1), r.get(2), r.get(3));
            let id = row_id(r.get(7));
            let sql = if kind == "f" {
                let (cols, refcols, reftable): (String, String, String) = (r.get(4), r.get(5), r.get(6));
                format!(
                    "SELECT {id} FROM {table} x WHERE ({cols}) IS NOT NULL AND NOT EXISTS \
                     (SELECT FROM {reftable} y WHERE ({refcols}) = ({cols}))"
                )
            } else {
                let expr = def.trim_start_matches("CHECK ").trim_end_matches(" NOT VALID");
                format!("SELECT {id} FROM {table} x WHERE NOT {expr}")
            };
            Query {
                check: "not-valid-constraint".into(),
                message: format!("{table}: rows break {name} ({def}), which was never validated"),
                sql,
            }
        })
        .collect())
}

/// Single-column references between tables that both have `farm_id`: the
/// referenced row may belong to another farm.
fn cross_farm_references(client: &mut impl GenericClient) -> Result<Vec<Query>, postgres::Error> {
    let rows = client.query(
        "SELECT c.conname::text, format('%I.%I', n.nspname, t.relname), a.attname::text, c.confrelid::regclass::text, fa.attname::text,
                EXISTS (SELECT FROM pg_attribute x WHERE x.attrelid = c.conrelid AND x.attname = 'id' AND NOT x.attisdropped)
           FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid JOIN pg_namespace n ON n.oid = t.relnamespace
           JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
           JOIN pg_attribute fa ON fa.attrelid = c.confrelid AND fa.attnum = c.confkey[1]
          WHERE c.contype = 'f' AND cardinality(c.conkey) = 1 AND n.nspname = 'public' AND a.attname <> 'farm_id'
            AND EXISTS (SELECT FROM pg_attribute x WHERE x.attrelid = c.conrelid AND x.attname = 'farm_id' AND NOT x.attisdropped)
            AND EXISTS (SELECT FROM pg_attribute x WHERE x.attrelid = c.confrelid AND x.attname = 'farm_id' AND NOT x.attisdropped)",
        &[],
    )?;
    Ok(rows
        .iter()
        .map(|r| {
            let (name, table, col, reftable, refcol): (String, String, String, String, String) =
                (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4));
            Query {
                check: "cross-farm-reference".into(),
                message: format!(
                    "{table}: rows whose {col} ({name}) points at a row of another farm in {reftable}"
                ),
                sql: format!(
                    "SELECT {} FROM {table} x JOIN {reftable} y ON y.{} = x.{} WHERE y.farm_id <> x.farm_id",
                    row_id(r.get(5)),
                    quote(&refcol),
                    quote(&col)
                ),
            }
        })
        .collect())
}

/// Columns of tenant tables that reference `users` without also going
/// through the farm's memberships (`tasks.assignee_id → users (id)` with no
/// validated `(farm_id, assignee_id) → farm_users`): rows naming a user who
/// is not a member of the row's farm.
fn non_member_references(client: &mut impl GenericClient) -> Result<Vec<Query>, postgres::Error> {
    if !exists(client, "users")? || !exists(client, "farm_users")? {
        return Ok(Vec::new());
    }
    let rows = client.query(
        "SELECT format('%I.%I', n.nspname, t.relname), a.attname::text,
                EXISTS (SELECT FROM pg_attribute x WHERE x.attrelid = c.conrelid AND x.attname = 'id' AND NOT x.attisdropped)
           FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid JOIN pg_namespace n ON n.oid = t.relnamespace
           JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
          WHERE c.contype = 'f' AND cardinality(c.conkey) = 1 AND c.confrelid = 'public.users'::regclass
            AND n.nspname = 'public' AND t.oid <> 'public.farm_users'::regclass
            AND EXISTS (SELECT FROM pg_attribute x WHERE x.attrelid = c.conrelid AND x.attname = 'farm_id' AND NOT x.attisdropped)
            AND NOT EXISTS (SELECT FROM pg_constraint m JOIN pg_attribute f ON f.attrelid = m.conrelid AND f.attname = 'farm_id'
                             WHERE m.conrelid = c.conrelid AND m.contype = 'f' AND m.convalidated
                               AND m.confrelid = 'public.farm_users'::regclass AND cardinality(m.conkey) = 2
                               AND m.conkey @> ARRAY[f.attnum, c.conkey[1]])
          ORDER BY 1, 2",
        &[],
    )?;
    Ok(per_column(
        &rows,
        "non-member-reference",
        |table, col| format!("{table}: rows whose {col} is not a member of the row's farm"),
        |id, table, c| {
            format!(
                "SELECT {id} FROM {table} x WHERE x.{c} IS NOT NULL AND NOT EXISTS \
                 (SELECT FROM farm_users m WHERE m.farm_id = x.farm_id AND m.user_id = x.{c})"
            )
        },
    ))
}

/// Columns that name a reference (`order_id` → `orders.id`) without any
/// foreign key on them: rows whose target does not exist (in the same farm
/// when both tables have `farm_id`).
fn unenforced_references(client: &mut impl GenericClient) -> Result<Vec<Query>, postgres::Error> {
    let rows = client.query(
        "SELECT format('%I.%I', n.nspname, x.relname), a.attname::text, format('%I.%I', n.nspname, t.relname),
                EXISTS (SELECT FROM pg_attribute f WHERE f.attrelid = x.oid AND f.attname = 'farm_id' AND NOT f.attisdropped)
                  AND EXISTS (SELECT FROM pg_attribute f WHERE f.attrelid = t.oid AND f.attname = 'farm_id' AND NOT f.attisdropped),
                EXISTS (SELECT FROM pg_attribute f WHERE f.attrelid = x.oid AND f.attname = 'id' AND NOT f.attisdropped)
           FROM pg_class x JOIN pg_namespace n ON n.oid = x.relnamespace
           JOIN pg_attribute a ON a.attrelid = x.oid AND a.attnum > 0 AND NOT a.attisdropped
           JOIN pg_class t ON t.relnamespace = x.relnamespace AND t.relkind IN ('r', 'p')
                AND t.relname IN (left(a.attname, -3) || 's', left(a.attname, -3) || 'es', left(a.attname, -3))
          WHERE n.nspname = 'public' AND x.relkind IN ('r', 'p') AND a.attname LIKE '%\\_id' AND a.attname <> 'farm_id'
            AND EXISTS (SELECT FROM pg_attribute i WHERE i.attrelid = t.oid AND i.attname = 'id' AND NOT i.attisdropped)
            AND NOT EXISTS (SELECT FROM pg_constraint k WHERE k.contype = 'f' AND k.conrelid = x.oid AND a.attnum = ANY (k.conkey))
          ORDER BY 1, 2",
        &[],
    )?;
    Ok(rows
        .iter()
        .map(|r| {
            let (table, col, target, same_farm): (String, String, String, bool) =
                (r.get(0), r.get(1), r.get(2), r.get(3));
            let farm = if same_farm {
                " AND y.farm_id = x.farm_id"
            } else {
                ""
            };
            Query {
                check: "unenforced-reference".into(),
                message: format!(
                    "{table}: {col} has no foreign key, and these rows point at no row of {target}"
                ),
                sql: format!(
                    "SELECT {} FROM {table} x WHERE x.{c} IS NOT NULL AND NOT EXISTS \
                     (SELECT FROM {target} y WHERE y.id::text = x.{c}::text{farm})",
                    row_id(r.get(4)),
                    c = quote(&col)
                ),
            }
        })
        .collect())
}

/// Quantities and amounts below zero, in every column named `quantity`,
/// `*_cents`, `*_grams` or `*_trays`.
fn negative_amounts(client: &mut impl GenericClient) -> Result<Vec<Query>, postgres::Error> {
    let rows = client.query(
        "SELECT format('%I.%I', c.table_schema, c.table_name), c.column_name::text,
                EXISTS (SELECT FROM information_schema.columns i WHERE (i.table_schema, i.table_name, i.column_name) = (c.table_schema, c.table_name, 'id'))
           FROM information_schema.columns c
           JOIN information_schema.tables t USING (table_schema, table_name)
          WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE'
            AND c.data_type IN ('integer', 'bigint', 'smallint', 'numeric')
            AND (c.column_name IN ('quantity', 'trays') OR c.column_name ~ '_(cents|grams|trays)$')
          ORDER BY 1, 2",
        &[],
    )?;
    Ok(per_column(
        &rows,
        "negative-amount",
        |table, col| format!("{table}: {col} below zero"),
        |id, table, c| format!("SELECT {id} FROM {table} x WHERE x.{c} < 0"),
    ))
}

/// One query per catalog row `(table, column, whether the table has id)`:
/// `sql` gets the row id expression, the table and the quoted column.
fn per_column(
    rows: &[postgres::Row],
    check: &str,
    message: impl Fn(&str, &str) -> String,
    sql: impl Fn(&str, &str, &str) -> String,
) -> Vec<Query> {
    rows.iter()
        .map(|r| {
            let (table, col): (String, String) = (r.get(0), r.get(1));
            Query {
                check: check.into(),
                message: message(&table, &col),
                sql: sql(row_id(r.get(2)), &table, &quote(&col)),
            }
        })
        .collect()
}

/// How an offending row is named: its `id`, else its physical position.
fn row_id(has_id: bool) -> &'static str {
    if has_id {
        "x.id::text"
    } else {
        "x.ctid::text"
    }
}

fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}
