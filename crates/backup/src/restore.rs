//! `restore`: into a new database (the live one untouched), or over the live
//! database in one transaction (`--clean --single-transaction
//! --exit-on-error`: any error rolls everything back) after a verified
//! safety backup. A backup whose checksums fail is refused. `ANALYZE` runs
//! after, and every table's row count is compared with the manifest.

use dbguard_pg::local::quote_ident;
use dbguard_pg::{connect, DbUrl, Discovery};
use serde::Serialize;

use crate::create::{create, CreateOptions};
use crate::error::{Error, Result};
use crate::layout::{Backup, Store};
use crate::replay::replay;
use crate::verify::{checksums_match, compare_counts, drop_database, verify, Check, VerifyOptions};

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
    /// Seconds the restore took.
    pub seconds: f64,
    /// The row-count comparison.
    pub counts: Check,
}

/// How to restore.
#[derive(Debug, Clone, Default)]
pub struct RestoreOptions {
    /// Show progress on a terminal.
    pub progress: bool,
    /// Connection timeout.
    pub connect_timeout: Option<std::time::Duration>,
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
    let timeout = options
        .connect_timeout
        .unwrap_or(std::time::Duration::from_secs(10));
    match target {
        Target::NewDatabase(name) => {
            let mut client = connect(url, timeout)?;
            let exists = client
                .query_opt("SELECT 1 FROM pg_database WHERE datname = $1", &[name])
                .map_err(dbguard_pg::connect::query_error("looking up the target database"))?
                .is_some();
            if exists {
                return Err(Error::Refused(format!(
                    "database {name} already exists; --into needs a new name"
                )));
            }
            client
                .batch_execute(&format!("CREATE DATABASE {}", quote_ident(name)))
                .map_err(dbguard_pg::connect::query_error(format!(
                    "creating database {name}"
                )))?;
            let new_url = url.with_database(name)?;
            let mut cmd = crate::programs::command(&install, "pg_restore", &new_url);
            cmd.arg("--exit-on-error");
            match finish(backup, cmd, &new_url, name, None, options) {
                Ok(report) if report.counts.passed => Ok(report),
                outcome => {
                    // A half-restored new database is worse than none.
                    let _ = drop_database(url, name);
                    match outcome {
                        Ok(report) => Err(Error::Verification {
                            id: backup.id().to_string(),
                            reason: report.counts.detail,
                        }),
                        Err(e) => Err(e),
                    }
                }
            }
        }
        Target::Live => {
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
            let mut cmd = crate::programs::command(&install, "pg_restore", url);
            cmd.args([
                "--clean",
                "--if-exists",
                "--single-transaction",
                "--exit-on-error",
            ]);
            let database = url.database().unwrap_or_default().to_string();
            finish(
                backup,
                cmd,
                url,
                &database,
                Some(safety.id().to_string()),
                options,
            )
        }
    }
}

fn finish(
    backup: &Backup,
    cmd: std::process::Command,
    url: &DbUrl,
    database: &str,
    safety_backup: Option<String>,
    options: &RestoreOptions,
) -> Result<RestoreReport> {
    let replayed = replay(backup, cmd, options.progress, "restore")?;
    let timeout = options
        .connect_timeout
        .unwrap_or(std::time::Duration::from_secs(10));
    connect(url, timeout)?
        .batch_execute("ANALYZE")
        .map_err(dbguard_pg::connect::query_error("running ANALYZE"))?;
    let counts = compare_counts(url, &backup.manifest.tables, options.connect_timeout)?;
    Ok(RestoreReport {
        id: backup.id().to_string(),
        database: database.to_string(),
        safety_backup,
        seconds: replayed.elapsed.as_secs_f64(),
        counts,
    })
}
