//! Feeding a backup's archive to `pg_restore`: decompressed as it streams,
//! hashed on the way, with `pg_restore`'s verdict and timing.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use dbguard_pg::Installation;

use crate::create::DUMP_FILE;
use crate::error::{Error, Result};
use crate::layout::Backup;
use crate::programs::spawn;
use crate::progress::Progress;
use crate::stream::decompress_from;

/// What a replay gave.
pub struct Replay {
    /// SHA-256 of the archive file as read.
    pub sha256: String,
    /// Uncompressed bytes fed to pg_restore.
    pub bytes: u64,
    /// How long it took.
    pub elapsed: Duration,
}

/// Runs `cmd` (a `pg_restore` reading standard input) on the backup's archive.
pub fn replay(backup: &Backup, mut cmd: Command, show_progress: bool, label: &str) -> Result<Replay> {
    let entry = backup
        .manifest
        .file("database")
        .ok_or_else(|| Error::Refused(format!("backup {} has no database archive", backup.id())))?;
    let progress = Progress::bytes(label, Some(entry.uncompressed_bytes), show_progress);
    let start = Instant::now();
    cmd.stdin(Stdio::piped()).stdout(Stdio::null());
    let mut running = spawn(cmd)?;
    let stdin = running.child.stdin.take().expect("stdin was piped");
    let path = backup.path(DUMP_FILE);
    let fed = std::thread::scope(|scope| scope.spawn(|| decompress_from(&path, stdin, &progress)).join());
    progress.finish();
    // pg_restore's own error explains a broken pipe better than the pipe does.
    running.wait()?;
    let (sha256, bytes) = fed.map_err(|_| Error::Refused("the decompression thread failed".into()))??;
    Ok(Replay {
        sha256,
        bytes,
        elapsed: start.elapsed(),
    })
}

/// `pg_restore` of `install` reading standard input.
pub fn pg_restore(install: &Installation) -> Command {
    let mut cmd = Command::new(install.program("pg_restore"));
    cmd.env_remove("PGDATABASE");
    cmd
}
