//! A short description of a database: what `dbguard up` and `db status` print.

use serde::Serialize;

use crate::connect::query_error;
use crate::error::Result;

/// Server version, database, size and table count.
#[derive(Debug, Clone, Serialize)]
pub struct DatabaseSummary {
    /// `server_version` as the server reports it, e.g. `15.18 (Debian 15.18-0+deb12u1)`.
    pub server_version: String,
    /// The server's major version number.
    pub server_major: u32,
    /// The connected database.
    pub database: String,
    /// The role dbguard is connected as.
    pub user: String,
    /// `pg_database_size` in bytes.
    pub size_bytes: i64,
    /// Ordinary and partitioned tables outside the system schemas.
    pub tables: i64,
}

impl DatabaseSummary {
    /// Reads the summary over `client`.
    pub fn read(client: &mut postgres::Client) -> Result<DatabaseSummary> {
        let row = client
            .query_one(
                "SELECT current_setting('server_version'),
                        current_setting('server_version_num')::int,
                        current_database()::text,
                        current_user::text,
                        pg_database_size(current_database()),
                        (SELECT count(*) FROM pg_class c
                           JOIN pg_namespace n ON n.oid = c.relnamespace
                          WHERE c.relkind IN ('r', 'p')
                            AND n.nspname NOT IN ('pg_catalog', 'information_schema')
                            AND n.nspname NOT LIKE 'pg_toast%')",
                &[],
            )
            .map_err(query_error("reading the database summary"))?;
        let version_num: i32 = row.get(1);
        Ok(DatabaseSummary {
            server_version: row.get(0),
            server_major: (version_num / 10_000) as u32,
            database: row.get(2),
            user: row.get(3),
            size_bytes: row.get(4),
            tables: row.get(5),
        })
    }
}

/// `server_version` and the major version number of the server `client` is connected to.
pub fn server_version(client: &mut postgres::Client) -> Result<(String, u32)> {
    let row = client
        .query_one(
            "SELECT current_setting('server_version'), current_setting('server_version_num')::int",
            &[],
        )
        .map_err(query_error("reading the server version"))?;
    let num: i32 = row.get(1);
    Ok((row.get(0), (num / 10_000) as u32))
}

/// `bytes` in the largest unit that keeps the number at or above 1 (`7.4 MB`).
pub fn human_size(bytes: i64) -> String {
    const UNITS: [&str; 5] = ["bytes", "kB", "MB", "GB", "TB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} bytes")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::human_size;

    #[test]
    fn sizes_read_well() {
        assert_eq!(human_size(512), "512 bytes");
        assert_eq!(human_size(7_700_000), "7.3 MB");
        assert_eq!(human_size(3 * 1024 * 1024 * 1024), "3.0 GB");
    }
}
