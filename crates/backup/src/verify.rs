//! `backup verify`: checksums and a full read of the archive (default), or a
//! restore into a scratch database with every row count compared (`--full`).
//! The result is recorded in the manifest; a failure clears the level.

use chrono::Utc;
use dbguard_pg::local::quote_ident;
use dbguard_pg::{connect, DbUrl, Discovery};
use serde::Serialize;

use crate::error::Result;
use crate::layout::Backup;
use crate::leftovers::{sweep_databases, TempDatabase};
use crate::manifest::{Level, TableCount};
use crate::progress::Progress;
use crate::replay::{pg_restore, replay};
use crate::source::list_tables;
use crate::stream::{decompress_from, sha256_file};

/// One check and its outcome.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    /// What was checked.
    pub check: String,
    /// Whether it passed.
    pub passed: bool,
    /// Details (the failure's reason).
    pub detail: String,
}

/// The outcome of a verification.
#[derive(Debug, Clone, Serialize)]
pub struct VerifyReport {
    /// The backup.
    pub id: String,
    /// The level asked for.
    pub level: Level,
    /// Whether every check passed.
    pub passed: bool,
    /// The checks.
    pub checks: Vec<Check>,
    /// Restore speed (uncompressed bytes per second), for `--full`.
    pub restore_bytes_per_second: Option<f64>,
}

/// How to verify.
#[derive(Debug, Clone, Default)]
pub struct VerifyOptions {
    /// Restore into a scratch database on the server `url` names.
    pub full: Option<DbUrl>,
    /// Show progress on a terminal.
    pub progress: bool,
    /// Connection timeout.
    pub connect_timeout: Option<std::time::Duration>,
}

/// Verifies `backup` and records the result in its manifest.
pub fn verify(backup: &mut Backup, options: &VerifyOptions) -> Result<VerifyReport> {
    let level = if options.full.is_some() {
        Level::Full
    } else {
        Level::Read
    };
    let install = Discovery::system().client_for(backup.manifest.server_major)?;
    let mut checks = Vec::new();
    let mut throughput = None;

    for entry in backup.manifest.files.iter().filter(|f| f.role != "database") {
        let path = backup.path(&entry.name);
        let outcome = decompress_from(&path, std::io::sink(), &Progress::hidden());
        checks.push(match outcome {
            Ok((sha, _)) if sha == entry.sha256 => {
                pass(&entry.name, "checksum matches and the file decompresses")
            }
            Ok(_) => fail(&entry.name, "SHA-256 does not match the manifest"),
            Err(e) => fail(&entry.name, &format!("does not decompress: {e}")),
        });
    }

    let dump = backup.manifest.file("database").cloned();
    match (&options.full, dump) {
        (_, None) => checks.push(fail("archive", "the manifest lists no database archive")),
        (None, Some(entry)) => {
            let mut cmd = pg_restore(&install);
            cmd.arg("--file=/dev/null");
            checks.extend(archive_checks(
                replay(backup, cmd, options.progress, "verify"),
                &entry.sha256,
            ));
        }
        (Some(url), Some(entry)) => {
            let timeout = options
                .connect_timeout
                .unwrap_or(std::time::Duration::from_secs(10));
            sweep_databases(url, timeout)?;
            let scratch = TempDatabase::create(url, "verify", timeout)?;
            let mut cmd = crate::programs::command(&install, "pg_restore", &scratch.url);
            cmd.args(["--exit-on-error", "--no-owner", "--no-privileges"]);
            let replayed = replay(backup, cmd, options.progress, "restore");
            if let Ok(r) = &replayed {
                throughput = Some(r.bytes as f64 / r.elapsed.as_secs_f64().max(1e-3));
            }
            let restored = replayed.is_ok();
            checks.extend(archive_checks(replayed, &entry.sha256));
            if restored {
                checks.push(compare_counts(
                    &scratch.url,
                    &backup.manifest.tables,
                    options.connect_timeout,
                )?);
            }
            scratch.drop_now()?;
        }
    }

    let passed = checks.iter().all(|c| c.passed);
    let v = &mut backup.manifest.verification;
    v.checked_at = Some(Utc::now());
    if passed {
        v.level = v.level.max(level);
        v.last_failure = None;
        if throughput.is_some() {
            v.restore_bytes_per_second = throughput;
        }
    } else {
        v.level = Level::None;
        let failures: Vec<String> = checks
            .iter()
            .filter(|c| !c.passed)
            .map(|c| format!("{}: {}", c.check, c.detail))
            .collect();
        v.last_failure = Some(failures.join("; "));
    }
    backup.manifest.write(&backup.dir)?;
    Ok(VerifyReport {
        id: backup.id().to_string(),
        level,
        passed,
        checks,
        restore_bytes_per_second: throughput,
    })
}

/// Whether every file of `backup` has the size and SHA-256 its manifest says.
pub fn checksums_match(backup: &Backup) -> Result<Vec<Check>> {
    backup
        .manifest
        .files
        .iter()
        .map(|entry| {
            let path = backup.path(&entry.name);
            let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
            let sha = sha256_file(&path)?;
            Ok(if size == entry.bytes && sha == entry.sha256 {
                pass(&entry.name, "size and SHA-256 match")
            } else {
                fail(&entry.name, "size or SHA-256 does not match the manifest")
            })
        })
        .collect()
}

fn archive_checks(replayed: Result<crate::replay::Replay>, expected_sha: &str) -> Vec<Check> {
    match replayed {
        Ok(r) => vec![
            if r.sha256 == expected_sha {
                pass("checksum", "the archive's SHA-256 matches the manifest")
            } else {
                fail("checksum", "the archive's SHA-256 does not match the manifest")
            },
            pass("archive", &format!("pg_restore read all {} bytes", r.bytes)),
        ],
        Err(e) => vec![fail("archive", &e.to_string())],
    }
}

/// Compares `url`'s database with the manifest: the same set of tables
/// (one that the backup does not hold is a mismatch too), and every table's
/// row count.
pub fn compare_counts(
    url: &DbUrl,
    expected: &[TableCount],
    timeout: Option<std::time::Duration>,
) -> Result<Check> {
    let mut client = connect(url, timeout.unwrap_or(std::time::Duration::from_secs(10)))?;
    let mut mismatches: Vec<String> = list_tables(&mut client)?
        .into_iter()
        .filter(|(schema, name)| !expected.iter().any(|t| &t.schema == schema && &t.name == name))
        .map(|(schema, name)| format!("{schema}.{name}: not in the backup"))
        .collect();
    for table in expected {
        let sql = format!(
            "SELECT count(*) FROM {}.{}",
            quote_ident(&table.schema),
            quote_ident(&table.name)
        );
        match client.query_one(&sql, &[]) {
            Ok(row) => {
                let rows: i64 = row.get(0);
                if rows != table.rows {
                    mismatches.push(format!(
                        "{}.{}: {} rows, expected {}",
                        table.schema, table.name, rows, table.rows
                    ));
                }
            }
            Err(e) => mismatches.push(format!(
                "{}.{}: {}",
                table.schema,
                table.name,
                dbguard_pg::connect::describe(&e)
            )),
        }
    }
    Ok(if mismatches.is_empty() {
        pass(
            "row counts",
            &format!(
                "the same {} tables as the manifest, every row count matching",
                expected.len()
            ),
        )
    } else {
        fail("row counts", &mismatches.join("; "))
    })
}

fn pass(check: &str, detail: &str) -> Check {
    Check {
        check: check.to_string(),
        passed: true,
        detail: detail.to_string(),
    }
}

fn fail(check: &str, detail: &str) -> Check {
    Check {
        check: check.to_string(),
        passed: false,
        detail: detail.to_string(),
    }
}
