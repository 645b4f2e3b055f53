//! What the application role can reach, from the catalogs: every table,
//! view, materialized view, foreign table, sequence and function in every
//! schema but PostgreSQL's own (`pg_catalog`, `information_schema`,
//! `pg_toast`, temporary schemas), through the role's privileges
//! (`has_any_column_privilege`, `has_table_privilege`,
//! `has_sequence_privilege`, `has_function_privilege`, and `USAGE` on the
//! schema). Each is checked for a farm boundary; the tenancy audit reports
//! those without one. Functions that run with the caller's rights (not
//! `SECURITY DEFINER`) stay inside the caller's row-level security and are
//! not listed.

use postgres::Client;
use serde::Serialize;

use crate::APP_ROLE;

/// One object the application role can use.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reachable {
    /// The object: `name` in `public`, else `schema.name`; functions with their argument types.
    pub object: String,
    /// `table`, `view`, `materialized view`, `foreign table`, `sequence` or `security definer function`.
    pub kind: &'static str,
    /// What the role may do with it (`SELECT`, `INSERT`, …, `USAGE`, `EXECUTE`).
    pub privileges: Vec<String>,
}

/// A relation the role reaches, with what the audit needs to judge it.
pub(crate) struct Relation {
    pub(crate) oid: u32,
    pub(crate) schema: String,
    pub(crate) object: String,
    pub(crate) public: bool,
    pub(crate) kind: String,
    pub(crate) rls: bool,
    pub(crate) forced: bool,
    pub(crate) farm_id: bool,
    pub(crate) security_invoker: bool,
    pub(crate) privileges: Vec<String>,
}

/// Schemas that are PostgreSQL's own.
const SYSTEM_SCHEMAS: &str =
    "n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') AND n.nspname !~ '^pg_(toast_)?temp_'";

/// The schema of the guard `dbguard protect` installs: it holds no farm
/// data, its functions are dbguard's own (`dbguard protect status` checks
/// them), so the audit lists what the role reaches there but reports nothing.
pub const GUARD_SCHEMA: &str = "dbguard";

/// Relations (and sequences) the application role holds any privilege on.
pub(crate) fn relations(client: &mut Client) -> Result<Vec<Relation>, postgres::Error> {
    let sql = format!(
        "SELECT c.oid, n.nspname::text, CASE WHEN n.nspname = 'public' THEN format('%I', c.relname) ELSE format('%I.%I', n.nspname, c.relname) END,
                n.nspname = 'public', c.relkind::text, c.relrowsecurity, c.relforcerowsecurity,
                EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'farm_id' AND NOT a.attisdropped),
                coalesce(c.reloptions && ARRAY['security_invoker=true', 'security_invoker=on', 'security_invoker=1'], false),
                array_remove(CASE WHEN c.relkind = 'S' THEN ARRAY[
                  CASE WHEN has_sequence_privilege($1, c.oid, 'USAGE') THEN 'USAGE' END,
                  CASE WHEN has_sequence_privilege($1, c.oid, 'SELECT') THEN 'SELECT' END,
                  CASE WHEN has_sequence_privilege($1, c.oid, 'UPDATE') THEN 'UPDATE' END]
                ELSE ARRAY[
                  CASE WHEN has_any_column_privilege($1, c.oid, 'SELECT') THEN 'SELECT' END,
                  CASE WHEN has_any_column_privilege($1, c.oid, 'INSERT') THEN 'INSERT' END,
                  CASE WHEN has_any_column_privilege($1, c.oid, 'UPDATE') THEN 'UPDATE' END,
                  CASE WHEN has_table_privilege($1, c.oid, 'DELETE') THEN 'DELETE' END,
                  CASE WHEN has_table_privilege($1, c.oid, 'TRUNCATE') THEN 'TRUNCATE' END] END, NULL)
           FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S') AND {SYSTEM_SCHEMAS}
            AND has_schema_privilege($1, n.oid, 'USAGE')
          ORDER BY n.nspname <> 'public', 3"
    );
    Ok(client
        .query(&sql, &[&APP_ROLE])?
        .iter()
        .map(|r| Relation {
            oid: r.get(0),
            schema: r.get(1),
            object: r.get(2),
            public: r.get(3),
            kind: r.get(4),
            rls: r.get(5),
            forced: r.get(6),
            farm_id: r.get(7),
            security_invoker: r.get(8),
            privileges: r.get(9),
        })
        .filter(|r| !r.privileges.is_empty())
        .collect())
}

/// A `SECURITY DEFINER` function the role may execute.
pub(crate) struct Definer {
    pub(crate) schema: String,
    pub(crate) object: String,
    /// The `search_path` it is fixed to, if any.
    pub(crate) search_path: Option<String>,
    /// Schemas on that path the application role may create objects in.
    pub(crate) writable: Vec<String>,
    /// Whether its owner is a superuser or has BYPASSRLS (row-level security does not bind it).
    pub(crate) owner_bypasses_rls: bool,
}

/// `SECURITY DEFINER` functions the application role may execute.
pub(crate) fn definers(client: &mut Client) -> Result<Vec<Definer>, postgres::Error> {
    let sql = format!(
        "SELECT p.oid::regprocedure::text,
                (SELECT substr(c, 13) FROM unnest(p.proconfig) c WHERE c LIKE 'search_path=%'),
                o.rolsuper OR o.rolbypassrls, n.nspname::text
           FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace JOIN pg_roles o ON o.oid = p.proowner
          WHERE p.prosecdef AND {SYSTEM_SCHEMAS}
            AND has_schema_privilege($1, n.oid, 'USAGE') AND has_function_privilege($1, p.oid, 'EXECUTE')
          ORDER BY 1"
    );
    let rows = client.query(&sql, &[&APP_ROLE])?;
    let mut found = Vec::new();
    for r in rows {
        let search_path: Option<String> = r.get(1);
        let writable = match &search_path {
            None => Vec::new(),
            Some(path) => client
                .query(
                    "SELECT s FROM unnest(string_to_array(replace($2, ' ', ''), ',')) s
                      WHERE to_regnamespace(trim(both '\"' from s)) IS NOT NULL
                        AND has_schema_privilege($1, to_regnamespace(trim(both '\"' from s)), 'CREATE')",
                    &[&APP_ROLE, path],
                )?
                .iter()
                .map(|w| w.get(0))
                .collect(),
        };
        found.push(Definer {
            schema: r.get(3),
            object: r.get(0),
            search_path,
            writable,
            owner_bypasses_rls: r.get(2),
        });
    }
    Ok(found)
}

/// Whether `path` lists `pg_temp` last: otherwise the caller's temporary
/// tables are looked up first (or before later schemas) and can stand in
/// for the function's tables.
pub(crate) fn pg_temp_last(path: &str) -> bool {
    path.split(',').map(str::trim).next_back() == Some("pg_temp")
}

/// Everything the application role can reach: relations and sequences with
/// its privileges, and the `SECURITY DEFINER` functions it may execute.
pub fn reachable(client: &mut Client) -> Result<Vec<Reachable>, postgres::Error> {
    let mut all: Vec<Reachable> = relations(client)?
        .into_iter()
        .map(|r| Reachable {
            kind: match r.kind.as_str() {
                "v" => "view",
                "m" => "materialized view",
                "f" => "foreign table",
                "S" => "sequence",
                _ => "table",
            },
            object: r.object,
            privileges: r.privileges,
        })
        .collect();
    all.extend(definers(client)?.into_iter().map(|d| Reachable {
        object: d.object,
        kind: "security definer function",
        privileges: vec!["EXECUTE".into()],
    }));
    Ok(all)
}
