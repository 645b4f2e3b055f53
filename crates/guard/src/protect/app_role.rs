//! `protect --app-role NAME`: an application (or agent) role that cannot
//! do what the guards cannot stop: not the database's owner, not a
//! superuser, no CREATEDB, CREATEROLE, REPLICATION or BYPASSRLS, no
//! membership in a role that owns the database or the covered tables, and
//! no TRUNCATE.

use dbguard_pg::local::quote_ident;
use postgres::Client;

use super::error::{db, Result};

/// What `ensure_app_role` did and what is left for a person.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct AppRole {
    /// The role.
    pub name: String,
    /// Whether it was created now (without a password: a person sets one).
    pub created: bool,
    /// What was changed.
    pub fixed: Vec<String>,
    /// What a person must change.
    pub problems: Vec<String>,
}

/// Creates `name` or fixes it, for the database `client` is connected to
/// and the covered `schemas`. Needs a superuser (or CREATEROLE) connection.
pub fn ensure_app_role(client: &mut Client, name: &str, schemas: &[String]) -> Result<AppRole> {
    let role = quote_ident(name);
    let mut report = AppRole {
        name: name.to_string(),
        ..AppRole::default()
    };
    let attrs = client
        .query_opt(
            "SELECT rolsuper, rolcreatedb, rolcreaterole, rolreplication, rolbypassrls FROM pg_roles WHERE rolname = $1",
            &[&name],
        )
        .map_err(db("reading the application role"))?;
    match attrs {
        None => {
            client
                .batch_execute(&format!(
                    "CREATE ROLE {role} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS"
                ))
                .map_err(db("creating the application role"))?;
            report.created = true;
        }
        Some(row) => {
            for (i, attr) in ["SUPERUSER", "CREATEDB", "CREATEROLE", "REPLICATION", "BYPASSRLS"]
                .iter()
                .enumerate()
            {
                if row.get::<_, bool>(i) {
                    client
                        .batch_execute(&format!("ALTER ROLE {role} NO{attr}"))
                        .map_err(db("fixing the application role"))?;
                    report.fixed.push(format!("removed {attr}"));
                }
            }
        }
    }
    let owners = client
        .query(
            "SELECT DISTINCT o.rolname::text FROM pg_auth_members m JOIN pg_roles o ON o.oid = m.roleid
              WHERE m.member = (SELECT oid FROM pg_roles WHERE rolname = $1)
                AND (o.oid = (SELECT datdba FROM pg_database WHERE datname = current_database())
                     OR o.oid IN (SELECT c.relowner FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                                   WHERE n.nspname = ANY ($2)))",
            &[&name, &schemas],
        )
        .map_err(db("reading the application role's memberships"))?;
    for owner in owners.iter().map(|r| r.get::<_, String>(0)) {
        client
            .batch_execute(&format!("REVOKE {} FROM {role}", quote_ident(&owner)))
            .map_err(db("revoking an owner's role"))?;
        report.fixed.push(format!(
            "no longer a member of {owner}, which owns the database or its tables"
        ));
    }
    let owns_db: bool = client
        .query_one(
            "SELECT datdba = (SELECT oid FROM pg_roles WHERE rolname = $1) FROM pg_database WHERE datname = current_database()",
            &[&name],
        )
        .map_err(db("reading the database's owner"))?
        .get(0);
    if owns_db {
        report.problems.push(format!(
            "{name} owns the database, so it can DROP DATABASE: a person must give the database to another role (ALTER DATABASE … OWNER TO …)"
        ));
    }
    let owned: Vec<String> = client
        .query(
            "SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE n.nspname = ANY ($2) AND c.relkind IN ('r', 'p') AND c.relowner = (SELECT oid FROM pg_roles WHERE rolname = $1)
              ORDER BY 1",
            &[&name, &schemas],
        )
        .map_err(db("reading the tables the application role owns"))?
        .iter()
        .map(|r| r.get(0))
        .collect();
    if !owned.is_empty() {
        report.problems.push(format!(
            "{name} owns {} (an owner can drop its tables and bypass row-level security unless forced): a person must give them to another role",
            owned.join(", ")
        ));
    }
    for schema in schemas {
        let truncatable: i64 = client
            .query_one(
                "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                  WHERE n.nspname = $2 AND c.relkind IN ('r', 'p') AND has_table_privilege($1, c.oid, 'TRUNCATE')
                    AND c.relowner <> (SELECT oid FROM pg_roles WHERE rolname = $1)",
                &[&name, schema],
            )
            .map_err(db("reading TRUNCATE privileges"))?
            .get(0);
        if truncatable > 0 {
            client
                .batch_execute(&format!(
                    "REVOKE TRUNCATE ON ALL TABLES IN SCHEMA {} FROM {role}",
                    quote_ident(schema)
                ))
                .map_err(db("revoking TRUNCATE"))?;
            report
                .fixed
                .push(format!("TRUNCATE revoked on {truncatable} table(s) of {schema}"));
        }
    }
    Ok(report)
}

/// Lets `name` read and write the rows of every table (and use every
/// sequence) of `schema`, now and for tables `owner` creates later: the
/// rights an application needs, without TRUNCATE, REFERENCES, TRIGGER or
/// any right to change the schema.
pub fn grant_rows(client: &mut Client, name: &str, schema: &str, owner: &str) -> Result<()> {
    let (role, schema, owner) = (quote_ident(name), quote_ident(schema), quote_ident(owner));
    client
        .batch_execute(&format!(
            "GRANT USAGE ON SCHEMA {schema} TO {role};
             GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {role};
             GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {role};
             ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA {schema}
               GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {role};
             ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA {schema}
               GRANT USAGE, SELECT ON SEQUENCES TO {role};"
        ))
        .map_err(db("granting the application role its rights on rows"))
}
