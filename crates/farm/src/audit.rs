//! `dbguard tenancy audit`: from the catalogs and at run time as the
//! application role, is every table with tenant data isolated, and does
//! everything else the role can reach (see [`crate::reach`]) keep to the
//! farm boundary? One finding per problem, with the object and the fix.

use postgres::Client;
use serde::Serialize;

use crate::reach::Relation;
use crate::{ALLOW_LIST, APP_ROLE};

/// One isolation problem.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The table (or role) concerned.
    pub object: String,
    /// A stable id for the check.
    pub check: &'static str,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub fix: String,
}

struct Table {
    oid: u32,
    name: String,
    kind: String,
    rls: bool,
    forced: bool,
    farm_id: Option<i16>,
    farm_id_not_null: bool,
    owner: String,
}

/// Audits the `public` schema of the database `client` is connected to.
/// The connection must be allowed to `SET ROLE` to the application role
/// (a superuser or a member) for the run-time check.
pub fn audit(client: &mut Client) -> Result<Vec<Finding>, postgres::Error> {
    let mut findings = Vec::new();
    let mut add = |object: &str, check: &'static str, message: String, fix: String| {
        findings.push(Finding {
            object: object.to_string(),
            check,
            message,
            fix,
        })
    };
    let role = client.query_opt(
        "SELECT rolsuper, rolbypassrls, rolcanlogin FROM pg_roles WHERE rolname = $1",
        &[&APP_ROLE],
    )?;
    match role {
        None => add(
            APP_ROLE,
            "app-role-missing",
            format!("there is no {APP_ROLE} role"),
            "apply the farm schema's migrations".into(),
        ),
        Some(r) => {
            if r.get::<_, bool>(0) {
                add(
                    APP_ROLE,
                    "app-role-superuser",
                    format!("{APP_ROLE} is a superuser and bypasses row-level security"),
                    format!("ALTER ROLE {APP_ROLE} NOSUPERUSER"),
                );
            }
            if r.get::<_, bool>(1) {
                add(
                    APP_ROLE,
                    "app-role-bypassrls",
                    format!("{APP_ROLE} has BYPASSRLS"),
                    format!("ALTER ROLE {APP_ROLE} NOBYPASSRLS"),
                );
            }
        }
    }
    let tables: Vec<Table> = client
        .query(
            "SELECT c.oid, c.relname::text, c.relkind::text, c.relrowsecurity, c.relforcerowsecurity,
                    a.attnum, coalesce(a.attnotnull, false), pg_get_userbyid(c.relowner)::text
               FROM pg_class c
               JOIN pg_namespace n ON n.oid = c.relnamespace
               LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'farm_id' AND NOT a.attisdropped
              WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
              ORDER BY c.relname",
            &[],
        )?
        .iter()
        .map(|r| Table {
            oid: r.get(0),
            name: r.get(1),
            kind: r.get(2),
            rls: r.get(3),
            forced: r.get(4),
            farm_id: r.get(5),
            farm_id_not_null: r.get(6),
            owner: r.get(7),
        })
        .collect();
    let tenant_oids: Vec<u32> = tables
        .iter()
        .filter(|t| t.farm_id.is_some() && matches!(t.kind.as_str(), "r" | "p"))
        .map(|t| t.oid)
        .collect();
    for t in &tables {
        let name = t.name.as_str();
        match t.kind.as_str() {
            "v" => {
                let invoker: bool = client
                    .query_one(
                        "SELECT coalesce(bool_or(option = 'security_invoker=true' OR option = 'security_invoker=on'), false)
                           FROM pg_class c, unnest(coalesce(c.reloptions, '{}')) AS option WHERE c.oid = $1",
                        &[&t.oid],
                    )?
                    .get(0);
                if !invoker {
                    add(
                        name,
                        "view-without-security-invoker",
                        format!("view {name} runs with its owner's rights, past row-level security"),
                        format!("ALTER VIEW {name} SET (security_invoker = true)"),
                    );
                }
                continue;
            }
            "m" if t.farm_id.is_some() => {
                add(
                    name,
                    "materialized-view-with-tenant-data",
                    format!("materialized view {name} holds farm data without row-level security"),
                    "replace it with a view (security_invoker) or a table with RLS".into(),
                );
                continue;
            }
            "f" if t.farm_id.is_some() => {
                add(
                    name,
                    "foreign-table-with-tenant-data",
                    format!("foreign table {name} holds farm data without row-level security"),
                    "move the data into a table with RLS".into(),
                );
                continue;
            }
            "m" | "f" => continue,
            _ => {}
        }
        if ALLOW_LIST.contains(&name) {
            continue;
        }
        let Some(farm_col) = t.farm_id else {
            add(name, "no-farm-id", format!("{name} has no farm_id, so its rows belong to no farm"), format!("ALTER TABLE {name} ADD COLUMN farm_id uuid NOT NULL REFERENCES farms (id) ON DELETE CASCADE (see tenancy adopt)"));
            continue;
        };
        if !t.farm_id_not_null {
            add(
                name,
                "nullable-farm-id",
                format!("{name}.farm_id may be NULL"),
                format!("ALTER TABLE {name} ALTER COLUMN farm_id SET NOT NULL (after a validated CHECK)"),
            );
        }
        let cascading: bool = client
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM pg_constraint WHERE conrelid = $1 AND contype = 'f'
                                  AND confrelid = 'farms'::regclass AND conkey = ARRAY[$2]::int2[] AND confdeltype = 'c')",
                &[&t.oid, &farm_col],
            )?
            .get(0);
        if !cascading {
            add(name, "no-cascading-farm-reference", format!("{name}.farm_id does not reference farms ON DELETE CASCADE"), format!("ALTER TABLE {name} ADD FOREIGN KEY (farm_id) REFERENCES farms (id) ON DELETE CASCADE NOT VALID, then VALIDATE"));
        }
        if !t.rls {
            add(
                name,
                "rls-disabled",
                format!("row-level security is off on {name}"),
                format!("ALTER TABLE {name} ENABLE ROW LEVEL SECURITY"),
            );
        }
        if !t.forced {
            add(
                name,
                "rls-not-forced",
                format!("row-level security is not forced on {name}, so its owner sees every farm"),
                format!("ALTER TABLE {name} FORCE ROW LEVEL SECURITY"),
            );
        }
        policies(client, t, &mut add)?;
        let leading: bool = client
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM pg_index WHERE indrelid = $1 AND indkey[0] = $2)",
                &[&t.oid, &farm_col],
            )?
            .get(0);
        if !leading {
            add(
                name,
                "no-farm-index",
                format!("no index of {name} leads with farm_id"),
                format!("CREATE INDEX CONCURRENTLY ON {name} (farm_id, …)"),
            );
        }
        for row in client.query(
            "SELECT i.indexrelid::regclass::text FROM pg_index i WHERE i.indrelid = $1 AND i.indisunique AND NOT ($2 = ANY (i.indkey::int2[]))",
            &[&t.oid, &farm_col],
        )? {
            let index: String = row.get(0);
            add(name, "unique-without-farm-id", format!("unique index {index} on {name} does not include farm_id: values must be unique across farms, and it leaks whether they exist"), "make it unique on (farm_id, …)".to_string());
        }
        for row in client.query(
            "SELECT conname::text, confrelid::regclass::text FROM pg_constraint
              WHERE conrelid = $1 AND contype = 'f' AND confrelid = ANY ($2::oid[]) AND confrelid <> 'farms'::regclass
                AND NOT ($3 = ANY (conkey))",
            &[&t.oid, &tenant_oids, &farm_col],
        )? {
            let (constraint, target): (String, String) = (row.get(0), row.get(1));
            add(name, "single-column-tenant-reference", format!("{constraint} references {target} without farm_id, so a row can point into another farm"), format!("reference {target} (farm_id, id) with (farm_id, …)"));
        }
        if name != "farm_users" {
            for row in client.query(
                "SELECT c.conname::text, a.attname::text FROM pg_constraint c
                   JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
                  WHERE c.conrelid = $1 AND c.contype = 'f' AND cardinality(c.conkey) = 1
                    AND c.confrelid = to_regclass('public.users')
                    AND NOT EXISTS (SELECT FROM pg_constraint m WHERE m.conrelid = c.conrelid AND m.contype = 'f'
                                      AND m.confrelid = to_regclass('public.farm_users')
                                      AND m.conkey @> ARRAY[$2, c.conkey[1]]::int2[] AND cardinality(m.conkey) = 2)",
                &[&t.oid, &farm_col],
            )? {
                let (constraint, column): (String, String) = (row.get(0), row.get(1));
                add(name, "user-reference-outside-farm", format!("{constraint} lets {name}.{column} name a user of another farm"), format!("reference farm_users (farm_id, user_id) with (farm_id, {column}) ON DELETE SET NULL ({column})"));
            }
        }
        for privilege in ["TRUNCATE", "REFERENCES"] {
            let has: bool = client
                .query_one(
                    "SELECT has_table_privilege($1, $2::oid, $3)",
                    &[&APP_ROLE, &t.oid, &privilege],
                )
                .map(|r| r.get(0))
                .unwrap_or(false);
            if has {
                add(
                    name,
                    if privilege == "TRUNCATE" {
                        "app-can-truncate"
                    } else {
                        "app-can-reference"
                    },
                    format!("{APP_ROLE} has {privilege} on {name} (TRUNCATE ignores row-level security)"),
                    format!("REVOKE {privilege} ON {name} FROM {APP_ROLE}"),
                );
            }
        }
        if t.owner == APP_ROLE {
            add(
                name,
                "app-role-owns-table",
                format!("{APP_ROLE} owns {name}; owners are not bound by policies unless forced"),
                format!("ALTER TABLE {name} OWNER TO farm_owner"),
            );
        } else {
            let member: bool = client
                .query_one("SELECT pg_has_role($1, $2, 'MEMBER')", &[&APP_ROLE, &t.owner])
                .map(|r| r.get(0))
                .unwrap_or(false);
            if member {
                add(
                    name,
                    "app-role-member-of-owner",
                    format!("{APP_ROLE} is a member of {}, which owns {name}", t.owner),
                    format!("REVOKE {} FROM {APP_ROLE}", t.owner),
                );
            }
        }
    }
    let reachable = crate::reach::relations(client)?;
    reach_checks(client, &reachable, &mut add)?;
    let mut targets: Vec<(u32, String)> = tables
        .iter()
        .filter(|t| {
            t.farm_id.is_some()
                && matches!(t.kind.as_str(), "r" | "p")
                && !ALLOW_LIST.contains(&t.name.as_str())
        })
        .map(|t| (t.oid, t.name.clone()))
        .collect();
    for r in reachable
        .iter()
        .filter(|r| matches!(r.kind.as_str(), "r" | "p") && r.schema != crate::reach::GUARD_SCHEMA)
    {
        if !targets.iter().any(|(oid, _)| *oid == r.oid) {
            targets.push((r.oid, r.object.clone()));
        }
    }
    runtime(client, &targets, &mut add)?;
    Ok(findings)
}

/// Everything the application role can reach beyond the tenant tables
/// checked above (`farms`, `users`, other schemas, views, functions) must
/// keep to the farm boundary; readable secret columns are reported everywhere.
fn reach_checks(
    client: &mut Client,
    reachable: &[Relation],
    add: &mut Add<'_>,
) -> Result<(), postgres::Error> {
    for r in reachable
        .iter()
        .filter(|r| r.schema != crate::reach::GUARD_SCHEMA)
    {
        let name = r.object.as_str();
        for row in client.query(
            "SELECT attname::text FROM pg_attribute WHERE attrelid = $1 AND attnum > 0 AND NOT attisdropped
                AND attname ~* $2 AND has_column_privilege($3, attrelid, attnum, 'SELECT')",
            &[&r.oid, &crate::SECRET_COLUMN_PATTERN, &APP_ROLE],
        )? {
            let column: String = row.get(0);
            add(
                name,
                "secret-column-readable",
                format!("{APP_ROLE} can read {name}.{column}"),
                format!("REVOKE SELECT ON {name} FROM {APP_ROLE}, then GRANT SELECT (every other column) ON {name} TO {APP_ROLE}"),
            );
        }
        let tenant_table =
            r.public && r.farm_id && matches!(r.kind.as_str(), "r" | "p") && !ALLOW_LIST.contains(&name);
        if tenant_table {
            continue;
        }
        match r.kind.as_str() {
            "S" => {}
            "v" if !r.public && !r.security_invoker => add(
                name,
                "view-without-security-invoker",
                format!("view {name} runs with its owner's rights, past row-level security, and {APP_ROLE} can use it"),
                format!("ALTER VIEW {name} SET (security_invoker = true)"),
            ),
            "v" => {}
            "m" | "f" if r.public && r.farm_id => {}
            "m" | "f" => add(
                name,
                "reachable-without-rls",
                format!("{APP_ROLE} can use {name}, which row-level security cannot cover ({})", r.privileges.join(", ")),
                format!("REVOKE ALL ON {name} FROM {APP_ROLE}"),
            ),
            _ => {
                if !r.rls {
                    add(
                        name,
                        "reachable-without-rls",
                        format!("{APP_ROLE} can use {name} ({}) and row-level security is off", r.privileges.join(", ")),
                        format!("ALTER TABLE {name} ENABLE ROW LEVEL SECURITY, with a policy on the farm context; or REVOKE ALL ON {name} FROM {APP_ROLE}"),
                    );
                } else if !r.forced {
                    add(
                        name,
                        "rls-not-forced",
                        format!("row-level security is not forced on {name}, so its owner sees every farm"),
                        format!("ALTER TABLE {name} FORCE ROW LEVEL SECURITY"),
                    );
                }
                if r.rls {
                    shared_policies(client, r, add)?;
                }
                if r.privileges.iter().any(|p| p == "TRUNCATE") {
                    add(
                        name,
                        "app-can-truncate",
                        format!("{APP_ROLE} has TRUNCATE on {name} (TRUNCATE ignores row-level security)"),
                        format!("REVOKE TRUNCATE ON {name} FROM {APP_ROLE}"),
                    );
                }
            }
        }
    }
    for d in crate::reach::definers(client)?
        .into_iter()
        .filter(|d| d.schema != crate::reach::GUARD_SCHEMA)
    {
        let name = d.object.as_str();
        match &d.search_path {
            None => add(
                name,
                "definer-without-search-path",
                format!("SECURITY DEFINER function {name} has no fixed search_path: the caller's path decides what its names mean"),
                format!("ALTER FUNCTION {name} SET search_path = pg_catalog, public, pg_temp"),
            ),
            Some(path) if !crate::reach::pg_temp_last(path) => add(
                name,
                "definer-search-path-pg-temp",
                format!("SECURITY DEFINER function {name}: search_path {path} does not end with pg_temp, so the caller's temporary tables come first"),
                format!("ALTER FUNCTION {name} SET search_path = {path}, pg_temp (pg_temp last)"),
            ),
            Some(_) => {}
        }
        if !d.writable.is_empty() {
            add(
                name,
                "definer-search-path-writable",
                format!(
                    "SECURITY DEFINER function {name} searches {}, where {APP_ROLE} can create objects",
                    d.writable.join(", ")
                ),
                format!(
                    "REVOKE CREATE ON SCHEMA {} FROM {APP_ROLE}, or leave it out of the path",
                    d.writable.join(", ")
                ),
            );
        }
        if d.owner_bypasses_rls {
            add(
                name,
                "definer-owner-bypasses-rls",
                format!("SECURITY DEFINER function {name} is owned by a superuser or a BYPASSRLS role: no policy binds it"),
                format!("ALTER FUNCTION {name} OWNER TO farm_owner"),
            );
        }
    }
    Ok(())
}

/// A shared table's policies for the application role: every expression
/// must keep to the farm of the transaction.
fn shared_policies(client: &mut Client, r: &Relation, add: &mut Add<'_>) -> Result<(), postgres::Error> {
    for row in client.query(
        "SELECT polname::text, coalesce(pg_get_expr(polqual, polrelid), ''), coalesce(pg_get_expr(polwithcheck, polrelid), '')
           FROM pg_policy WHERE polrelid = $1 AND polpermissive
            AND ((SELECT oid FROM pg_roles WHERE rolname = $2) = ANY (polroles) OR 0::oid = ANY (polroles))",
        &[&r.oid, &APP_ROLE],
    )? {
        let (policy, qual, check): (String, String, String) = (row.get(0), row.get(1), row.get(2));
        if [&qual, &check].iter().any(|e| !e.is_empty() && !on_farm_setting(e)) {
            add(
                &r.object,
                "policy-not-on-farm-context",
                format!("policy {policy} on {} opens rows without the farm of the transaction", r.object),
                "make every USING and WITH CHECK depend on NULLIF((SELECT current_setting('app.current_farm_id', true)), '')".into(),
            );
        }
    }
    Ok(())
}

/// Whether a policy expression depends on the farm setting, read the safe way.
fn on_farm_setting(expr: &str) -> bool {
    let e = expr.to_lowercase();
    e.contains("current_setting('app.current_farm_id'") && e.contains("true)") && e.contains("nullif(")
}

type Add<'a> = dyn FnMut(&str, &'static str, String, String) + 'a;

fn policies(client: &mut Client, t: &Table, add: &mut Add<'_>) -> Result<(), postgres::Error> {
    let name = t.name.as_str();
    let rows = client.query(
        "SELECT polname::text, polcmd::text, polpermissive,
                (SELECT oid FROM pg_roles WHERE rolname = $2) = ANY (polroles) OR 0::oid = ANY (polroles),
                coalesce(pg_get_expr(polqual, polrelid), ''), coalesce(pg_get_expr(polwithcheck, polrelid), '')
           FROM pg_policy WHERE polrelid = $1",
        &[&t.oid, &APP_ROLE],
    )?;
    // Policies of other roles (farm_owner's, for the functions it owns) do not open rows to the application.
    let permissive: Vec<_> = rows
        .iter()
        .filter(|r| r.get::<_, bool>(2) && r.get::<_, bool>(3))
        .collect();
    match permissive.len() {
        0 if rows.iter().any(|r| r.get::<_, bool>(2)) => {
            add(
                name,
                "policy-not-for-app-role",
                format!("no permissive policy on {name} applies to {APP_ROLE}"),
                format!("TO {APP_ROLE}"),
            );
            return Ok(());
        }
        0 => {
            add(name, "no-policy", format!("{name} has no permissive policy for {APP_ROLE}"), format!("CREATE POLICY tenant_isolation ON {name} FOR ALL TO {APP_ROLE} USING (…) WITH CHECK (…)"));
            return Ok(());
        }
        1 => {}
        n => add(name, "extra-permissive-policy", format!("{name} has {n} permissive policies; permissive policies are OR-ed, so any of them opens rows"), "keep one tenant_isolation policy".into()),
    }
    let on_context = |expr: &str| expr.to_lowercase().contains("farm_id") && on_farm_setting(expr);
    for row in permissive {
        let policy: String = row.get(0);
        let (cmd, qual, check): (String, String, String) = (row.get(1), row.get(4), row.get(5));
        if cmd != "*" {
            add(
                name,
                "policy-not-for-all",
                format!("policy {policy} on {name} is not FOR ALL"),
                "use one FOR ALL policy".into(),
            );
        }
        if !on_context(&qual) {
            add(name, "policy-using-not-on-farm-context", format!("policy {policy} on {name}: USING is not farm_id = NULLIF(current_setting('app.current_farm_id', true), '')::uuid"), "USING (farm_id = NULLIF((SELECT current_setting('app.current_farm_id', true)), '')::uuid)".into());
        }
        if !on_context(&check) {
            add(name, "policy-check-not-on-farm-context", format!("policy {policy} on {name}: WITH CHECK is missing or not on the farm context, so rows can be written into another farm"), "WITH CHECK (farm_id = NULLIF((SELECT current_setting('app.current_farm_id', true)), '')::uuid)".into());
        }
    }
    Ok(())
}

/// As the application role, row-level security must be active on every
/// tenant table and every table the role can reach (`targets`: oid, name).
fn runtime(client: &mut Client, targets: &[(u32, String)], add: &mut Add<'_>) -> Result<(), postgres::Error> {
    let mut tx = client.transaction()?;
    if tx.batch_execute(&format!("SET LOCAL ROLE {APP_ROLE}")).is_err() {
        add(
            APP_ROLE,
            "runtime-check-unavailable",
            format!("this connection cannot SET ROLE {APP_ROLE}, so the run-time check did not run"),
            "run the audit as a superuser or a member of the application role".into(),
        );
        return Ok(());
    }
    for (oid, name) in targets {
        let active: bool = tx
            .query_one("SELECT row_security_active($1::oid)", &[oid])?
            .get(0);
        if !active {
            add(
                name,
                "rls-inactive-for-app",
                format!("row-level security is not active on {name} for {APP_ROLE}"),
                format!("ALTER TABLE {name} ENABLE ROW LEVEL SECURITY; ALTER TABLE {name} FORCE ROW LEVEL SECURITY"),
            );
        }
    }
    tx.rollback()
}
