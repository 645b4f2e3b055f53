//! `dbguard tenancy adopt`: turn an existing single-tenant database into a
//! multi-tenant one, as reviewed migrations (the guide's "Multi-Tenant
//! Migration Strategy" without its traps): add `farm_id`, create the default
//! farm, backfill, reference `farms` and require a value with `NOT VALID`
//! constraints, validate them, `SET NOT NULL` (free once a validated check
//! exists), force row-level security with the tenant policy, and index
//! `farm_id` concurrently. The backfill is a multi-row UPDATE: deploying it
//! goes through the safety protocol.

use postgres::Client;

use crate::{ALLOW_LIST, APP_ROLE};

/// The default farm the existing rows are given.
pub const DEFAULT_FARM: &str = "00000000-0000-0000-0000-000000000010";

/// Tables of `public` that hold rows of no farm yet.
pub fn tables_to_adopt(client: &mut Client) -> Result<Vec<String>, postgres::Error> {
    let farms: bool = client
        .query_one("SELECT to_regclass('public.farms') IS NOT NULL", &[])?
        .get(0);
    if !farms {
        return Ok(Vec::new());
    }
    let rows = client.query(
        "SELECT c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname = 'public' AND c.relkind = 'r'
            AND NOT EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'farm_id' AND NOT a.attisdropped)
          ORDER BY 1",
        &[],
    )?;
    Ok(rows
        .iter()
        .map(|r| r.get::<_, String>(0))
        .filter(|t| !ALLOW_LIST.contains(&t.as_str()))
        .collect())
}

/// The migrations (name suffix, SQL) that adopt `tables` into `farm_name`, owned by `owner`.
pub fn migrations(tables: &[String], owner: &str, farm_name: &str) -> Vec<(&'static str, String)> {
    let lit = |s: &str| format!("'{}'", s.replace('\'', "''"));
    let each =
        |f: &dyn Fn(&str) -> String| tables.iter().map(|t| f(&ident(t))).collect::<Vec<_>>().join("\n");
    let context = "NULLIF((SELECT current_setting('app.current_farm_id', true)), '')::uuid";
    vec![
        (
            "adopt_tenancy_columns",
            format!(
                "SET lock_timeout = '5s';\nINSERT INTO farms (id, farm_name, owner_id) VALUES ('{DEFAULT_FARM}', {}, {}) ON CONFLICT (id) DO NOTHING;\n{}\n",
                lit(farm_name),
                lit(owner),
                each(&|t| format!("ALTER TABLE {t} ADD COLUMN farm_id uuid;"))
            ),
        ),
        (
            "adopt_tenancy_backfill",
            format!(
                "-- Every existing row belongs to the default farm.\n{}\n",
                each(&|t| format!("UPDATE {t} SET farm_id = '{DEFAULT_FARM}' WHERE farm_id IS NULL;"))
            ),
        ),
        (
            "adopt_tenancy_constraints",
            format!(
                "SET lock_timeout = '5s';\n{}\n",
                each(&|t| format!(
                    "ALTER TABLE {t} ADD CONSTRAINT {fk} FOREIGN KEY (farm_id) REFERENCES farms (id) ON DELETE CASCADE NOT VALID;\n\
                     ALTER TABLE {t} ADD CONSTRAINT {nn} CHECK (farm_id IS NOT NULL) NOT VALID;",
                    fk = ident(&format!("{}_farm_id_fkey", unquote(t))),
                    nn = ident(&format!("{}_farm_id_not_null", unquote(t)))
                ))
            ),
        ),
        (
            "adopt_tenancy_enforce",
            format!(
                "SET lock_timeout = '5s';\n{}\n",
                each(&|t| format!(
                    "ALTER TABLE {t} VALIDATE CONSTRAINT {fk};\n\
                     ALTER TABLE {t} VALIDATE CONSTRAINT {nn};\n\
                     -- dbguard-ignore set-not-null: the validated CHECK (farm_id IS NOT NULL) spares the scan\n\
                     ALTER TABLE {t} ALTER COLUMN farm_id SET NOT NULL;\n\
                     -- dbguard-ignore drop-constraint: the NOT NULL column now enforces it\n\
                     ALTER TABLE {t} DROP CONSTRAINT {nn};\n\
                     ALTER TABLE {t} ENABLE ROW LEVEL SECURITY;\n\
                     ALTER TABLE {t} FORCE ROW LEVEL SECURITY;\n\
                     CREATE POLICY tenant_isolation ON {t} AS PERMISSIVE FOR ALL TO {APP_ROLE}\n  USING (farm_id = {context})\n  WITH CHECK (farm_id = {context});\n\
                     GRANT SELECT, INSERT, UPDATE, DELETE ON {t} TO {APP_ROLE};\n\
                     REVOKE TRUNCATE, REFERENCES ON {t} FROM {APP_ROLE};",
                    fk = ident(&format!("{}_farm_id_fkey", unquote(t))),
                    nn = ident(&format!("{}_farm_id_not_null", unquote(t)))
                ))
            ),
        ),
        (
            "adopt_tenancy_indexes",
            format!(
                "-- CONCURRENTLY: built without blocking writes, outside a transaction.\n{}\n",
                each(&|t| format!(
                    "CREATE INDEX CONCURRENTLY {} ON {t} (farm_id);",
                    ident(&format!("{}_farm_id_idx", unquote(t)))
                ))
            ),
        ),
    ]
}

fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn unquote(quoted: &str) -> String {
    quoted.trim_matches('"').replace("\"\"", "\"")
}
