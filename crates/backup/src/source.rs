//! Facts about the database being backed up, read over a connection.

use dbguard_pg::connect::query_error;
use dbguard_pg::local::quote_ident;
use dbguard_pg::DbUrl;

use crate::error::Result;
use crate::manifest::{Source, TableCount};

/// The server's version.
pub struct ServerVersion {
    /// `server_version`.
    pub text: String,
    /// Major version.
    pub major: u32,
}

/// Reads the server version.
pub fn server_version(client: &mut postgres::Client) -> Result<ServerVersion> {
    let (text, major) = dbguard_pg::summary::server_version(client)?;
    Ok(ServerVersion { text, major })
}

/// Who and where the source is, without secrets. The system identifier
/// needs a privilege many roles lack; it is left out then.
pub fn source(client: &mut postgres::Client, url: &DbUrl) -> Result<Source> {
    let row = client
        .query_one("SELECT current_database()::text, current_user::text", &[])
        .map_err(query_error("reading the database identity"))?;
    let system_identifier = client
        .query_one("SELECT system_identifier::text FROM pg_control_system()", &[])
        .ok()
        .map(|r| r.get(0));
    let config = url.client_config()?;
    let host = match config.get_hosts().first() {
        Some(postgres::config::Host::Tcp(h)) => h.clone(),
        Some(postgres::config::Host::Unix(p)) => p.display().to_string(),
        None => String::new(),
    };
    Ok(Source {
        system_identifier,
        database: row.get(0),
        host,
        port: config.get_ports().first().copied(),
        user: row.get(1),
    })
}

/// Every table whose rows `pg_dump` writes (ordinary tables and partitions,
/// outside the system schemas, not owned by an extension), counted in the
/// client's current transaction.
pub fn count_rows(client: &mut impl postgres::GenericClient) -> Result<Vec<TableCount>> {
    let tables = list_tables(client)?;
    let mut counts = Vec::with_capacity(tables.len());
    for (schema, name) in tables {
        let sql = format!(
            "SELECT count(*) FROM {}.{}",
            quote_ident(&schema),
            quote_ident(&name)
        );
        let rows: i64 = client
            .query_one(&sql, &[])
            .map_err(query_error(format!("counting rows of {schema}.{name}")))?
            .get(0);
        counts.push(TableCount { schema, name, rows });
    }
    Ok(counts)
}

/// Every table whose rows `pg_dump` writes, as (schema, name), sorted.
pub fn list_tables(client: &mut impl postgres::GenericClient) -> Result<Vec<(String, String)>> {
    let tables = client
        .query(
            "SELECT n.nspname::text, c.relname::text
               FROM pg_class c
               JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE c.relkind = 'r'
                AND n.nspname NOT IN ('pg_catalog', 'information_schema')
                AND n.nspname NOT LIKE 'pg\\_toast%'
                AND n.nspname NOT LIKE 'pg\\_temp%'
                AND NOT EXISTS (SELECT 1 FROM pg_depend d
                                 WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
              ORDER BY 1, 2",
            &[],
        )
        .map_err(query_error("listing tables"))?;
    Ok(tables.iter().map(|row| (row.get(0), row.get(1))).collect())
}
