//! The migration history, in the same table Prisma keeps
//! (`_prisma_migrations`), so `prisma migrate deploy` and `dbguard migrate
//! deploy` agree on what is applied.

use chrono::{DateTime, Utc};
use dbguard_pg::connect::query_error;
use serde::Serialize;

use crate::error::Result;

/// Prisma's own definition of the table.
pub const TABLE: &str = r#"CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)"#;

/// One row of the history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Row {
    /// A UUID.
    pub id: String,
    /// SHA-256 of the migration file when it was applied.
    pub checksum: String,
    /// When it finished (none: failed or running).
    pub finished_at: Option<DateTime<Utc>>,
    /// The migration's folder name.
    pub migration_name: String,
    /// The error, when it failed.
    pub logs: Option<String>,
    /// When it was marked rolled back.
    pub rolled_back_at: Option<DateTime<Utc>>,
    /// When it started.
    pub started_at: DateTime<Utc>,
    /// 1 once applied by a runner, 0 when marked applied by hand.
    pub applied_steps_count: i32,
}

/// Creates the table when missing.
pub fn ensure(client: &mut postgres::Client) -> Result<()> {
    client
        .batch_execute(TABLE)
        .map_err(query_error("creating _prisma_migrations"))?;
    Ok(())
}

/// Every row, oldest first; none when the table does not exist.
pub fn rows(client: &mut postgres::Client) -> Result<Vec<Row>> {
    let exists: bool = client
        .query_one("SELECT to_regclass('_prisma_migrations') IS NOT NULL", &[])
        .map_err(query_error("looking for _prisma_migrations"))?
        .get(0);
    if !exists {
        return Ok(Vec::new());
    }
    let rows = client
        .query(
            "SELECT id, checksum, finished_at, migration_name, logs, rolled_back_at, started_at, applied_steps_count
               FROM _prisma_migrations ORDER BY started_at, migration_name",
            &[],
        )
        .map_err(query_error("reading _prisma_migrations"))?;
    Ok(rows
        .iter()
        .map(|r| Row {
            id: r.get(0),
            checksum: r.get(1),
            finished_at: r.get(2),
            migration_name: r.get(3),
            logs: r.get(4),
            rolled_back_at: r.get(5),
            started_at: r.get(6),
            applied_steps_count: r.get(7),
        })
        .collect())
}
