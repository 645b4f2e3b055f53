//! `backup create`: a consistent, compressed, checksummed dump.
//!
//! dbguard opens a REPEATABLE READ transaction and exports its snapshot;
//! `pg_dump --snapshot` dumps exactly that snapshot while dbguard counts
//! every table's rows in it, so the manifest's counts are the dump's.
//! `pg_dump -Fc -Z0` streams into multi-threaded zstd with SHA-256 computed
//! on the fly; the files land in a hidden folder that is renamed only when
//! complete and synced, and the child's exit status is checked.

use std::process::Stdio;

use chrono::Utc;
use dbguard_pg::{connect, DbUrl, Discovery};

use crate::error::{Error, Result};
use crate::layout::{Backup, Store};
use crate::manifest::{FileEntry, Manifest, Verification, FORMAT};
use crate::programs::{command, spawn};
use crate::progress::Progress;
use crate::source::{count_rows, server_version, source};
use crate::stream::compress_to;

/// The dump file's name.
pub const DUMP_FILE: &str = "dump.zst";
/// The globals file's name.
pub const GLOBALS_FILE: &str = "globals.sql.zst";

/// How to make a backup.
#[derive(Debug, Clone, Default)]
pub struct CreateOptions {
    /// A label kept in the manifest.
    pub label: Option<String>,
    /// Show progress bars on a terminal.
    pub progress: bool,
    /// How long to wait for a connection.
    pub connect_timeout: Option<std::time::Duration>,
}

/// Dumps the database `url` names into `store`.
pub fn create(store: &Store, url: &DbUrl, options: &CreateOptions) -> Result<Backup> {
    let timeout = options
        .connect_timeout
        .unwrap_or(std::time::Duration::from_secs(10));
    let mut client = connect(url, timeout)?;
    let version = server_version(&mut client)?;
    let install = Discovery::system().client_for(version.major)?;
    let source = source(&mut client, url)?;
    let started_at = Utc::now();

    let mut snapshot_tx = client
        .build_transaction()
        .isolation_level(postgres::IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
        .map_err(dbguard_pg::connect::query_error(
            "starting the snapshot transaction",
        ))?;
    let snapshot: String = snapshot_tx
        .query_one("SELECT pg_export_snapshot()", &[])
        .map_err(dbguard_pg::connect::query_error("exporting the snapshot"))?
        .get(0);

    store.sweep_partials()?;
    let partial = store.begin(&source.database, started_at)?;
    let mut dump = command(&install, "pg_dump", url);
    dump.args(["--format=custom", "--compress=0"])
        .arg(format!("--snapshot={snapshot}"))
        .stdout(Stdio::piped());
    let mut running = spawn(dump)?;
    let stdout = running.child.stdout.take().expect("stdout was piped");
    let dump_path = partial.path(DUMP_FILE);
    let progress = Progress::bytes("dump", None, options.progress);
    let writer = std::thread::scope(|scope| {
        let writer = scope.spawn(|| compress_to(stdout, &dump_path, &progress));
        // Counted while pg_dump runs, in the same snapshot.
        let counts = count_rows(&mut snapshot_tx);
        (writer.join(), counts)
    });
    progress.finish();
    let (written, tables) = writer;
    let written = written.map_err(|_| Error::Refused("the compression thread failed".into()))?;
    // A writer that failed (a full disk) makes pg_dump die of a broken pipe:
    // the writer's error is the cause.
    let written = written.map_err(|e| match e {
        Error::Pg(dbguard_pg::Error::Io { .. }) => Error::Refused(format!(
            "cannot write the backup in {}: {e}; nothing was kept",
            store.dir().display()
        )),
        other => other,
    })?;
    running.wait()?;
    let tables = tables?;
    snapshot_tx.commit().map_err(dbguard_pg::connect::query_error(
        "ending the snapshot transaction",
    ))?;

    let mut files = vec![FileEntry {
        name: DUMP_FILE.into(),
        role: "database".into(),
        bytes: written.compressed,
        uncompressed_bytes: written.uncompressed,
        sha256: written.sha256,
        compression: "zstd".into(),
    }];
    let globals_skipped = match dump_globals(&install, url, &partial.path(GLOBALS_FILE)) {
        Ok(entry) => {
            files.push(entry);
            None
        }
        Err(why) => Some(why),
    };
    let manifest = Manifest {
        format: FORMAT,
        id: partial.id.clone(),
        // A label is free text and may quote a connection string.
        label: options.label.as_deref().map(dbguard_pg::redact::redact),
        dbguard_version: env!("CARGO_PKG_VERSION").to_string(),
        pg_dump_version: install.version.clone(),
        server_version: version.text,
        server_major: version.major,
        source,
        started_at,
        finished_at: Utc::now(),
        tables,
        files,
        globals_skipped,
        verification: Verification::default(),
    };
    manifest.write(&partial.dir)?;
    let dir = partial.commit()?;
    Ok(Backup { dir, manifest })
}

/// `pg_dumpall --globals-only` (roles and tablespaces). Role passwords need
/// a superuser; without one, roles are dumped without passwords; without
/// even that, the reason is recorded instead.
fn dump_globals(
    install: &dbguard_pg::Installation,
    url: &DbUrl,
    path: &std::path::Path,
) -> Result<FileEntry, String> {
    let mut last_error = String::new();
    for extra in [&[][..], &["--no-role-passwords"][..]] {
        let mut cmd = command(install, "pg_dumpall", url);
        cmd.arg("--globals-only").args(extra).stdout(Stdio::piped());
        let mut running = spawn(cmd).map_err(|e| e.to_string())?;
        let stdout = running.child.stdout.take().expect("stdout was piped");
        let _ = std::fs::remove_file(path);
        let written = compress_to(stdout, path, &Progress::hidden());
        match (running.wait(), written) {
            (Ok(()), Ok(written)) => {
                return Ok(FileEntry {
                    name: GLOBALS_FILE.into(),
                    role: "globals".into(),
                    bytes: written.compressed,
                    uncompressed_bytes: written.uncompressed,
                    sha256: written.sha256,
                    compression: "zstd".into(),
                })
            }
            (Err(e), _) => last_error = e.to_string(),
            (_, Err(e)) => last_error = e.to_string(),
        }
    }
    let _ = std::fs::remove_file(path);
    Err(last_error)
}
