//! Status, deploy and resolve over the migrations on disk and the history in
//! the database.

use dbguard_pg::connect::{describe, query_error};
use pg_query::NodeEnum;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::history::{self, Row};
use crate::layout::Migration;

/// The advisory lock key Prisma takes while migrating (so the two exclude each other).
pub const LOCK_KEY: i64 = 72_707_369;

/// Where a migration stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum State {
    /// Applied, and the file is unchanged.
    Applied,
    /// On disk, not applied.
    Pending,
    /// Started and failed; must be resolved before anything else runs.
    Failed,
    /// Applied, but the file changed since.
    Edited,
    /// Applied, but its folder is gone.
    MissingFromDisk,
}

/// One migration's state.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    /// Folder name.
    pub name: String,
    /// State.
    pub state: State,
    /// The error, when it failed.
    pub logs: Option<String>,
}

/// The state of every migration, in order.
pub fn status(migrations: &[Migration], rows: &[Row]) -> Vec<Entry> {
    let mut entries: Vec<Entry> = migrations
        .iter()
        .map(|m| {
            let mut live = rows
                .iter()
                .filter(|r| r.migration_name == m.name && r.rolled_back_at.is_none());
            let finished = live.clone().find(|r| r.finished_at.is_some());
            let failed = live.find(|r| r.finished_at.is_none());
            let (state, logs) = match (finished, failed) {
                (Some(r), _) if r.checksum != m.checksum => (State::Edited, None),
                (Some(_), _) => (State::Applied, None),
                (None, Some(r)) => (State::Failed, r.logs.clone()),
                (None, None) => (State::Pending, None),
            };
            Entry {
                name: m.name.clone(),
                state,
                logs,
            }
        })
        .collect();
    let mut gone: Vec<&str> = rows
        .iter()
        .filter(|r| r.rolled_back_at.is_none() && !migrations.iter().any(|m| m.name == r.migration_name))
        .map(|r| r.migration_name.as_str())
        .collect();
    gone.dedup();
    entries.extend(gone.into_iter().map(|name| Entry {
        name: name.to_string(),
        state: State::MissingFromDisk,
        logs: None,
    }));
    entries
}

/// The migrations whose state is pending, in order.
pub fn pending<'a>(migrations: &'a [Migration], entries: &[Entry]) -> Vec<&'a Migration> {
    migrations
        .iter()
        .filter(|m| {
            entries
                .iter()
                .any(|e| e.name == m.name && e.state == State::Pending)
        })
        .collect()
}

/// What a deploy did.
#[derive(Debug, Clone, Serialize)]
pub struct Deployed {
    /// Migrations applied now.
    pub applied: Vec<String>,
    /// The migration that failed, and why (the deploy stopped there).
    pub failed: Option<(String, String)>,
}

/// Applies every pending migration in order, each in its own transaction
/// unless it cannot run in one, under Prisma's advisory lock. `before` runs
/// once, with the pending migrations, before the first is applied (lint,
/// approval, backup); an error from it applies nothing.
pub fn deploy(
    client: &mut postgres::Client,
    migrations: &[Migration],
    before: &mut dyn FnMut(&[&Migration]) -> Result<()>,
) -> Result<Deployed> {
    history::ensure(client)?;
    client
        .execute("SELECT pg_advisory_lock($1)", &[&LOCK_KEY])
        .map_err(query_error("taking the migration lock"))?;
    let outcome = deploy_locked(client, migrations, before);
    let _ = client.execute("SELECT pg_advisory_unlock($1)", &[&LOCK_KEY]);
    outcome
}

fn deploy_locked(
    client: &mut postgres::Client,
    migrations: &[Migration],
    before: &mut dyn FnMut(&[&Migration]) -> Result<()>,
) -> Result<Deployed> {
    let entries = status(migrations, &history::rows(client)?);
    if let Some(failed) = entries.iter().find(|e| e.state == State::Failed) {
        return Err(Error::Invalid(format!(
            "migration {} failed and is not resolved; nothing was applied. Fix it, then mark it with \
             `dbguard migrate resolve --rolled-back {}` (or --applied, if it was finished by hand)",
            failed.name, failed.name
        )));
    }
    let pending = pending(migrations, &entries);
    let mut deployed = Deployed {
        applied: Vec::new(),
        failed: None,
    };
    if pending.is_empty() {
        return Ok(deployed);
    }
    before(&pending)?;
    for migration in pending {
        let id: String = client
            .query_one(
                "INSERT INTO _prisma_migrations (id, checksum, migration_name, started_at, applied_steps_count)
                 VALUES (gen_random_uuid()::text, $1, $2, now(), 0) RETURNING id",
                &[&migration.checksum, &migration.name],
            )
            .map_err(query_error("recording the migration"))?
            .get(0);
        let result = if needs_no_transaction(&migration.sql) {
            execute_each(client, &migration.sql)
        } else {
            client.transaction().and_then(|mut tx| {
                tx.batch_execute(&migration.sql)?;
                tx.commit()
            })
        };
        match result {
            Ok(()) => {
                client
                    .execute(
                        "UPDATE _prisma_migrations SET finished_at = now(), applied_steps_count = 1 WHERE id = $1",
                        &[&id],
                    )
                    .map_err(query_error("recording the migration"))?;
                deployed.applied.push(migration.name.clone());
            }
            Err(e) => {
                let why = describe(&e);
                client
                    .execute(
                        "UPDATE _prisma_migrations SET logs = $2 WHERE id = $1",
                        &[&id, &why],
                    )
                    .map_err(query_error("recording the failure"))?;
                deployed.failed = Some((migration.name.clone(), why));
                break;
            }
        }
    }
    Ok(deployed)
}

/// Runs each statement of `sql` as a query of its own: several statements in
/// one query string form an implicit transaction block, which statements such
/// as `CREATE INDEX CONCURRENTLY` refuse.
pub fn execute_each(client: &mut postgres::Client, sql: &str) -> Result<(), postgres::Error> {
    match pg_query::split_with_parser(sql) {
        Ok(statements) => statements
            .into_iter()
            .try_for_each(|statement| client.batch_execute(statement)),
        // PostgreSQL will report what does not parse.
        Err(_) => client.batch_execute(sql),
    }
}

/// Whether the SQL holds a statement that cannot run in a transaction block.
pub fn needs_no_transaction(sql: &str) -> bool {
    let Ok(parsed) = pg_query::parse(sql, 0) else {
        return false;
    };
    parsed.protobuf.stmts.iter().any(|raw| {
        matches!(
            raw.stmt.as_deref().and_then(|n| n.node.as_ref()),
            Some(NodeEnum::IndexStmt(i)) if i.concurrent
        ) || matches!(
            raw.stmt.as_deref().and_then(|n| n.node.as_ref()),
            Some(
                NodeEnum::VacuumStmt(_)
                    | NodeEnum::CreatedbStmt(_)
                    | NodeEnum::DropdbStmt(_)
                    | NodeEnum::AlterSystemStmt(_)
                    | NodeEnum::ReindexStmt(_)
            )
        ) || matches!(
            raw.stmt.as_deref().and_then(|n| n.node.as_ref()),
            Some(NodeEnum::DropStmt(d)) if d.concurrent
        )
    })
}

/// How a failed migration was resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolution {
    /// It was finished by hand: record it as applied.
    Applied,
    /// It was undone: record it as rolled back (it will run again).
    RolledBack,
}

/// Records a resolution of migration `name`, as `prisma migrate resolve` does.
pub fn resolve(
    client: &mut postgres::Client,
    migrations: &[Migration],
    name: &str,
    how: Resolution,
) -> Result<()> {
    history::ensure(client)?;
    let migration = migrations
        .iter()
        .find(|m| m.name == name)
        .ok_or_else(|| Error::Invalid(format!("there is no migration {name} on disk")))?;
    let entries = status(migrations, &history::rows(client)?);
    let state = entries.iter().find(|e| e.name == name).map(|e| e.state);
    match (how, state) {
        (Resolution::RolledBack, Some(State::Failed)) => {
            client
                .execute(
                    "UPDATE _prisma_migrations SET rolled_back_at = now()
                      WHERE migration_name = $1 AND finished_at IS NULL AND rolled_back_at IS NULL",
                    &[&name],
                )
                .map_err(query_error("recording the rollback"))?;
        }
        (Resolution::Applied, Some(State::Failed | State::Pending)) => {
            let mut tx = client.transaction().map_err(query_error("recording the migration"))?;
            tx.execute(
                "UPDATE _prisma_migrations SET rolled_back_at = now()
                  WHERE migration_name = $1 AND finished_at IS NULL AND rolled_back_at IS NULL",
                &[&name],
            )
            .and_then(|_| {
                tx.execute(
                    "INSERT INTO _prisma_migrations (id, checksum, finished_at, migration_name, started_at, applied_steps_count)
                     VALUES (gen_random_uuid()::text, $1, now(), $2, now(), 0)",
                    &[&migration.checksum, &name],
                )
            })
            .and_then(|_| tx.commit())
            .map_err(query_error("recording the migration"))?;
        }
        (_, state) => {
            return Err(Error::Invalid(format!(
                "migration {name} is {}; only a failed migration can be rolled back, and only a failed or pending one marked applied",
                state.map(|s| serde_json::to_value(s).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_default()).unwrap_or_else(|| "unknown".into())
            )))
        }
    }
    Ok(())
}
