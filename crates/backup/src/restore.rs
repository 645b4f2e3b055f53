//! `restore`: into a new database (the live one untouched), or over the live
//! database in one transaction after a verified safety backup. A backup
//! whose checksums fail is refused. `ANALYZE` runs after (unless asked not to
//! into a new database), and the result is
//! compared with the manifest: the same set of tables, the same row counts.
//!
//! Into a new database, the archive is restored into a temporary database
//! (named after this process, see [`crate::leftovers`]) that is renamed only
//! once complete and verified, and dropped on failure; one left by a killed
//! run is swept by the next.
//!
//! Over the live database, "replace" means the database looks like the
//! backup afterwards: the tables the backup does not hold are dropped in
//! the same transaction (the safety backup holds them). The transaction is
//! dbguard's own (`pg_restore` writes SQL, `psql` applies it, `COMMIT` only
//! once everything went through), so an error, a kill or a lock wait past
//! the limit rolls everything back; the sessions holding the lock are named.

use std::time::Duration;

use dbguard_pg::local::quote_ident;
use dbguard_pg::{connect, DbUrl, Discovery};
use serde::Serialize;

use crate::create::{create, CreateOptions};
use crate::error::{Error, Result};
use crate::layout::{Backup, Store};
use crate::leftovers::{sweep_databases, TempDatabase};
use crate::locks::LockWatch;
use crate::replay::{replay, replay_in_transaction};
use crate::source::list_tables;
use crate::verify::{checksums_match, compare_counts, verify, Check, VerifyOptions};

/// How long a restore over the live database waits for a lock by default.
pub const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_secs(10);

/// Where to restore.
#[derive(Debug, Clone)]
pub enum Target {
    /// A new database of this name on the same server (must not exist).
    NewDatabase(String),
    /// Over the database the URL names.
    Live,
}

/// What a restore did.
#[derive(Debug, Clone, Serialize)]
pub struct RestoreReport {
    /// The backup restored.
    pub id: String,
    /// The database written.
    pub database: String,
    /// The safety backup taken first (over the live database).
    pub safety_backup: Option<String>,
    /// Tables the backup does not hold, dropped (over the live database;
    /// the safety backup holds them).
    pub dropped_tables: Vec<String>,
    /// Seconds the restore took.
    pub seconds: f64,
    /// The comparison with the manifest.
    pub counts: Check,
}

/// How to restore.
#[derive(Debug, Clone, Default)]
pub struct RestoreOptions {
    /// Show progress on a terminal.
    pub progress: bool,
    /// Connection timeout.
    pub connect_timeout: Option<Duration>,
    /// How long a restore over the live database may wait for a lock
    /// ([`DEFAULT_LOCK_TIMEOUT`] when unset).
    pub lock_timeout: Option<Duration>,
    /// Into a new database, a copy that is only read whole (an incident's
    /// side database): the archive's tables and rows (its pre-data and data
    /// sections) and nothing of its post-data section, so no index,
    /// constraint, trigger, rule or policy is built (their definitions stay
    /// in the archive: [`crate::post_data_sql`]); and the planner's
    /// statistics are left to autovacuum instead of an `ANALYZE`. Whole-table
    /// scans need neither. Having no row-level security, the copy also takes
    /// no grant or owner from the archive: only the role that restores it
    /// can read it. Over the live database it has no effect.
    pub reading_copy: bool,
}

/// Restores `backup` to `target` on the server `url` names.
pub fn restore(
    store: &Store,
    backup: &Backup,
    url: &DbUrl,
    target: &Target,
    options: &RestoreOptions,
) -> Result<RestoreReport> {
    let failed: Vec<Check> = checksums_match(backup)?
        .into_iter()
        .filter(|c| !c.passed)
        .collect();
    if let Some(first) = failed.first() {
        return Err(Error::Refused(format!(
            "backup {} is damaged ({}: {}); it will not be restored",
            backup.id(),
            first.check,
            first.detail
        )));
    }
    let install = Discovery::system().client_for(backup.manifest.server_major)?;
    let timeout = options.connect_timeout.unwrap_or(Duration::from_secs(10));
    match target {
        Target::NewDatabase(name) => {
            let exists = |name: &str| -> Result<bool> {
                Ok(connect(url, timeout)?
                    .query_opt("SELECT 1 FROM pg_database WHERE datname = $1", &[&name])
                    .map_err(dbguard_pg::connect::query_error("looking up the target database"))?
                    .is_some())
            };
            if exists(name)? {
                return Err(Error::Refused(format!(
                    "database {name} already exists; --into needs a new name"
                )));
            }
            sweep_databases(url, timeout)?;
            let temp = TempDatabase::create(url, "restore", timeout)?;
            let mut cmd = crate::programs::command(&install, "pg_restore", &temp.url);
            cmd.arg("--exit-on-error");
            if options.reading_copy {
                // Without the post-data section the copy has no row-level
                // security, so it keeps no grant and no owner either: only
                // the role restoring it (and superusers) can read it, never
                // a tenant's role the backup's grants name.
                cmd.args([
                    "--section=pre-data",
                    "--section=data",
                    "--no-owner",
                    "--no-privileges",
                ]);
            }
            let replayed = replay(backup, cmd, options.progress, "restore")?;
            let counts = analyze_and_compare(&temp.url, backup, timeout, !options.reading_copy)?;
            if !counts.passed {
                // Dropped with `temp`: a half-restored database is worse than none.
                return Err(Error::Verification {
                    id: backup.id().to_string(),
                    reason: counts.detail,
                });
            }
            if exists(name)? {
                return Err(Error::Refused(format!(
                    "database {name} was created by someone else during the restore; nothing was restored into it"
                )));
            }
            temp.keep_as(name, timeout)?;
            Ok(RestoreReport {
                id: backup.id().to_string(),
                database: name.clone(),
                safety_backup: None,
                dropped_tables: Vec::new(),
                seconds: replayed.elapsed.as_secs_f64(),
                counts,
            })
        }
        Target::Live => {
            sweep_databases(url, timeout)?;
            let mut safety = create(
                store,
                url,
                &CreateOptions {
                    label: Some(format!("safety backup before restoring {}", backup.id())),
                    progress: options.progress,
                    connect_timeout: options.connect_timeout,
                },
            )?;
            let checked = verify(
                &mut safety,
                &VerifyOptions {
                    full: None,
                    progress: options.progress,
                    connect_timeout: options.connect_timeout,
                },
            )?;
            if !checked.passed {
                return Err(Error::Refused(format!(
                    "the safety backup {} did not verify; nothing was restored",
                    safety.id()
                )));
            }
            let extra: Vec<(String, String)> = list_tables(&mut connect(url, timeout)?)?
                .into_iter()
                .filter(|(schema, name)| {
                    !backup
                        .manifest
                        .tables
                        .iter()
                        .any(|t| &t.schema == schema && &t.name == name)
                })
                .collect();
            let preamble = match extra.is_empty() {
                true => String::new(),
                false => format!(
                    "DROP TABLE IF EXISTS {} CASCADE;",
                    extra
                        .iter()
                        .map(|(s, n)| format!("{}.{}", quote_ident(s), quote_ident(n)))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            };
            let extra: Vec<String> = extra.into_iter().map(|(s, n)| format!("{s}.{n}")).collect();
            let mut pg_restore = crate::replay::pg_restore(&install);
            pg_restore.args(["--clean", "--if-exists", "--file=-"]);
            let application = format!("dbguard restore {}", crate::leftovers::Maker::current().tag());
            let mut psql = crate::programs::command(&install, "psql", url);
            psql.args(["--no-psqlrc", "--quiet", "--set=ON_ERROR_STOP=1"])
                .env("PGAPPNAME", &application);
            let limit = options.lock_timeout.unwrap_or(DEFAULT_LOCK_TIMEOUT);
            let watch = LockWatch::start(url, &application, limit);
            let replayed = replay_in_transaction(backup, pg_restore, psql, &preamble, options.progress);
            if let Some(blockers) = watch.stop() {
                return Err(Error::Refused(crate::locks::describe(&blockers, limit)));
            }
            let replayed = replayed.map_err(|e| match e {
                Error::Tool { .. } => Error::Refused(format!(
                    "the restore failed and was rolled back; the database is as it was: {e}"
                )),
                other => other,
            })?;
            let counts = analyze_and_compare(url, backup, timeout, true)?;
            Ok(RestoreReport {
                id: backup.id().to_string(),
                database: url.database().unwrap_or_default().to_string(),
                safety_backup: Some(safety.id().to_string()),
                dropped_tables: extra,
                seconds: replayed.elapsed.as_secs_f64(),
                counts,
            })
        }
    }
}

/// `ANALYZE` (when `analyze`), then the comparison with the manifest.
fn analyze_and_compare(url: &DbUrl, backup: &Backup, timeout: Duration, analyze: bool) -> Result<Check> {
    if analyze {
        connect(url, timeout)?
            .batch_execute("ANALYZE")
            .map_err(dbguard_pg::connect::query_error("running ANALYZE"))?;
    }
    compare_counts(url, &backup.manifest.tables, Some(timeout))
}
