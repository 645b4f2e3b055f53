//! Status, deploy and resolve over the migrations on disk and the history in
//! the database.

use dbguard_pg::connect::{describe, query_error};
use pg_query::NodeEnum;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::history::{self, Row};
use crate::layout::{Migration, Source};

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
    /// Applied, but its folder is gone (only a project's migration can be:
    /// a built-in one is never on disk).
    MissingFromDisk,
}

/// One migration's state.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    /// Folder name.
    pub name: String,
    /// Where it comes from (the history of a migration whose folder is gone
    /// counts as the project's).
    pub source: Source,
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
                source: m.source,
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
        source: Source::Project,
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
    /// The statements of the failed migration that stay applied: it ran
    /// outside a transaction, one statement at a time (empty when it rolled back).
    pub left_applied: Vec<String>,
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
    // Polled rather than waited for: a session waiting in pg_advisory_lock
    // keeps a transaction open, which the holder's `CREATE INDEX
    // CONCURRENTLY` waits for in turn — a deadlock. Short tries never block it.
    while !client
        .query_one("SELECT pg_try_advisory_lock($1)", &[&LOCK_KEY])
        .map_err(query_error("taking the migration lock"))?
        .get::<_, bool>(0)
    {
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
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
        left_applied: Vec::new(),
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
            execute_each_counted(client, &migration.sql)
        } else {
            client
                .transaction()
                .and_then(|mut tx| {
                    tx.batch_execute(&migration.sql)?;
                    tx.commit()
                })
                .map_err(|e| (Vec::new(), e))
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
            Err((applied, e)) => {
                let mut why = describe(&e);
                if !applied.is_empty() {
                    why.push_str(&format!(
                        " (it ran outside a transaction: the {} statement(s) before it stay applied: {})",
                        applied.len(),
                        applied
                            .iter()
                            .map(|s| abbreviate(s))
                            .collect::<Vec<_>>()
                            .join("; ")
                    ));
                }
                let steps = applied.len() as i32;
                client
                    .execute(
                        "UPDATE _prisma_migrations SET logs = $2, applied_steps_count = $3 WHERE id = $1",
                        &[&id, &why, &steps],
                    )
                    .map_err(query_error("recording the failure"))?;
                deployed.failed = Some((migration.name.clone(), why));
                deployed.left_applied = applied;
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
    execute_each_counted(client, sql).map_err(|(_, e)| e)
}

/// [`execute_each`], saying on failure which statements were applied before
/// the one that failed (they stay applied).
pub fn execute_each_counted(
    client: &mut postgres::Client,
    sql: &str,
) -> Result<(), (Vec<String>, postgres::Error)> {
    let statements = match pg_query::split_with_parser(sql) {
        Ok(statements) => statements,
        // PostgreSQL will report what does not parse.
        Err(_) => return client.batch_execute(sql).map_err(|e| (Vec::new(), e)),
    };
    let mut applied = Vec::new();
    for statement in statements {
        client
            .batch_execute(statement)
            .map_err(|e| (applied.clone(), e))?;
        applied.push(statement.trim().to_string());
    }
    Ok(())
}

/// A statement cut to one short line, for messages.
fn abbreviate(statement: &str) -> String {
    let line = statement.split_whitespace().collect::<Vec<_>>().join(" ");
    match line.char_indices().nth(100) {
        Some((i, _)) => format!("{}…", &line[..i]),
        None => line,
    }
}

/// The objects that the first `applied` statements of `sql` created and
/// that still exist, each with the statement that would remove it; and the
/// applied statements whose effect dbguard cannot check.
fn still_applied(
    client: &mut postgres::Client,
    sql: &str,
    applied: usize,
) -> Result<(Vec<String>, Vec<String>)> {
    let statements = pg_query::split_with_parser(sql).unwrap_or_default();
    let (mut existing, mut unchecked) = (Vec::new(), Vec::new());
    for statement in statements.into_iter().take(applied) {
        let created = pg_query::parse(statement, 0).ok().and_then(|parsed| {
            let node = parsed.protobuf.stmts.first()?.stmt.as_deref()?.node.clone()?;
            let name = |r: &Option<pg_query::protobuf::RangeVar>| {
                r.as_ref().map(|r| match r.schemaname.is_empty() {
                    true => quote(&r.relname),
                    false => format!("{}.{}", quote(&r.schemaname), quote(&r.relname)),
                })
            };
            match node {
                NodeEnum::IndexStmt(i) => {
                    let schema = i
                        .relation
                        .as_ref()
                        .map(|r| r.schemaname.clone())
                        .unwrap_or_default();
                    let index = match schema.is_empty() {
                        true => quote(&i.idxname),
                        false => format!("{}.{}", quote(&schema), quote(&i.idxname)),
                    };
                    (!i.idxname.is_empty())
                        .then(|| (index.clone(), format!("DROP INDEX CONCURRENTLY {index}")))
                }
                NodeEnum::CreateStmt(c) => name(&c.relation).map(|t| (t.clone(), format!("DROP TABLE {t}"))),
                NodeEnum::CreateSeqStmt(s) => {
                    name(&s.sequence).map(|t| (t.clone(), format!("DROP SEQUENCE {t}")))
                }
                NodeEnum::ViewStmt(v) => name(&v.view).map(|t| (t.clone(), format!("DROP VIEW {t}"))),
                _ => None,
            }
        });
        match created {
            Some((object, drop)) => {
                let exists: bool = client
                    .query_one("SELECT to_regclass($1) IS NOT NULL", &[&object])
                    .map_err(query_error("looking for what the migration created"))?
                    .get(0);
                if exists {
                    existing.push(format!("{object} (`{drop}`)"));
                }
            }
            None => unchecked.push(abbreviate(statement)),
        }
    }
    Ok((existing, unchecked))
}

/// `name` as SQL writes it: bare when it needs no quotes.
fn quote(name: &str) -> String {
    let bare = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    match bare {
        true => name.to_string(),
        false => dbguard_pg::local::quote_ident(name),
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

/// Records a resolution of migration `name`, as `prisma migrate resolve`
/// does. Marking rolled back a migration whose folder is gone clears it
/// from the status: its rows stay, marked rolled back; nothing is undone.
pub fn resolve(
    client: &mut postgres::Client,
    migrations: &[Migration],
    name: &str,
    how: Resolution,
) -> Result<()> {
    history::ensure(client)?;
    let entries = status(migrations, &history::rows(client)?);
    let state = entries.iter().find(|e| e.name == name).map(|e| e.state);
    if (how, state) == (Resolution::RolledBack, Some(State::MissingFromDisk)) {
        // Kept, marked: the history keeps what happened, and stops counting it.
        client
            .execute(
                "UPDATE _prisma_migrations SET rolled_back_at = now()
                  WHERE migration_name = $1 AND rolled_back_at IS NULL",
                &[&name],
            )
            .map_err(query_error("recording the rollback"))?;
        return Ok(());
    }
    let migration = migrations
        .iter()
        .find(|m| m.name == name)
        .ok_or_else(|| Error::Invalid(format!("there is no migration {name} on disk")))?;
    match (how, state) {
        (Resolution::RolledBack, Some(State::Failed)) => {
            // A migration run outside a transaction may have left statements applied.
            let applied = history::rows(client)?
                .into_iter()
                .filter(|r| r.migration_name == name && r.finished_at.is_none() && r.rolled_back_at.is_none())
                .map(|r| r.applied_steps_count.max(0) as usize)
                .max()
                .unwrap_or(0);
            if applied > 0 {
                let (existing, unchecked) = still_applied(client, &migration.sql, applied)?;
                if !existing.is_empty() {
                    return Err(Error::Invalid(format!(
                        "migration {name} did not roll back: it ran outside a transaction and what its first {applied} \
                         statement(s) created still exists: {}. Remove it, then mark the migration rolled back{}",
                        existing.join(", "),
                        match unchecked.is_empty() {
                            true => String::new(),
                            false => format!("; also undo by hand what these applied statements did: {}", unchecked.join("; ")),
                        }
                    )));
                }
            }
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
                "migration {name} is {}; only a failed migration (or one whose folder is gone) can be marked rolled back, \
                 and only a failed or pending one marked applied",
                state.map(|s| serde_json::to_value(s).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_default()).unwrap_or_else(|| "unknown".into())
            )))
        }
    }
    Ok(())
}
