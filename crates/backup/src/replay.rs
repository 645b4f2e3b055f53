//! Feeding a backup's archive to `pg_restore`: decompressed as it streams,
//! hashed on the way, with `pg_restore`'s verdict and timing.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use dbguard_pg::{Discovery, Installation};

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
pub fn replay(backup: &Backup, cmd: Command, show_progress: bool, label: &str) -> Result<Replay> {
    feed(backup, cmd, show_progress, label, false).map(|(replay, _)| replay)
}

/// The SQL of the archive's post-data section (indexes, constraints,
/// triggers, rules, policies), as `pg_restore` writes it, without
/// restoring anything: the definitions a copy restored with
/// [`crate::RestoreOptions::reading_copy`] does not have.
pub fn post_data_sql(backup: &Backup) -> Result<String> {
    let install = Discovery::system().client_for(backup.manifest.server_major)?;
    let mut cmd = pg_restore(&install);
    cmd.args(["--section=post-data", "--file=-"]);
    feed(backup, cmd, false, "definitions", true).map(|(_, sql)| sql)
}

/// Feeds the archive to `cmd`; with `capture`, what it writes on standard
/// output is returned (read as it comes, so that neither side waits for the
/// other), otherwise discarded.
fn feed(
    backup: &Backup,
    mut cmd: Command,
    show_progress: bool,
    label: &str,
    capture: bool,
) -> Result<(Replay, String)> {
    let entry = backup
        .manifest
        .file("database")
        .ok_or_else(|| Error::Refused(format!("backup {} has no database archive", backup.id())))?;
    let progress = Progress::bytes(label, Some(entry.uncompressed_bytes), show_progress);
    let start = Instant::now();
    cmd.stdin(Stdio::piped())
        .stdout(if capture { Stdio::piped() } else { Stdio::null() });
    let mut running = spawn(cmd)?;
    let stdin = running.child.stdin.take().expect("stdin was piped");
    let stdout = running.child.stdout.take();
    let path = backup.path(DUMP_FILE);
    let (fed, written) = std::thread::scope(|scope| {
        let fed = scope.spawn(|| decompress_from(&path, stdin, &progress));
        let mut written = String::new();
        let read = stdout.map(|mut out| out.read_to_string(&mut written));
        (fed.join(), read.map(|r| r.map(|_| written)))
    });
    progress.finish();
    let fed = fed.map_err(|_| Error::Refused("the decompression thread failed".into()))?;
    // A file that cannot be read starves pg_restore ("input file is too
    // short"): then the file's error is the cause. Otherwise pg_restore's own
    // error explains a broken pipe better than the pipe does.
    if let Err(e) = &fed {
        if !is_broken_pipe(e) {
            drop(running);
            return Err(Error::Refused(format!("cannot read the backup: {e}")));
        }
    }
    running.wait()?;
    let written = written
        .transpose()
        .map_err(|e| Error::io("pg_restore's output", e))?
        .unwrap_or_default();
    // pg_restore may stop reading once it has what it needs (the
    // post-data section's definitions come with the archive's table of
    // contents); the part of the file it was fed is then all that was hashed.
    let (sha256, bytes) = match fed {
        Err(e) if capture && is_broken_pipe(&e) => (String::new(), 0),
        fed => fed?,
    };
    Ok((
        Replay {
            sha256,
            bytes,
            elapsed: start.elapsed(),
        },
        written,
    ))
}

fn is_broken_pipe(e: &Error) -> bool {
    matches!(e, Error::Pg(dbguard_pg::Error::Io { error, .. }) if error.kind() == std::io::ErrorKind::BrokenPipe)
}

/// Restores the backup's archive in one transaction that dbguard ends:
/// `restore` (a `pg_restore` reading the archive on standard input and
/// writing SQL on standard output) feeds `psql`, after `preamble` (run in
/// the same transaction). `COMMIT` is sent only once the whole script went
/// through and `pg_restore` succeeded; if anything fails or dbguard is
/// killed, psql reaches the end of its input inside the transaction and the
/// server rolls it back.
pub fn replay_in_transaction(
    backup: &Backup,
    mut restore: Command,
    mut psql: Command,
    preamble: &str,
    show_progress: bool,
) -> Result<Replay> {
    use std::io::Write;
    let entry = backup
        .manifest
        .file("database")
        .ok_or_else(|| Error::Refused(format!("backup {} has no database archive", backup.id())))?;
    let progress = Progress::bytes("restore", Some(entry.uncompressed_bytes), show_progress);
    let start = Instant::now();
    psql.stdin(Stdio::piped()).stdout(Stdio::null());
    let mut applier = spawn(psql)?;
    let mut script_in = applier.child.stdin.take().expect("stdin was piped");
    restore.stdin(Stdio::piped()).stdout(Stdio::piped());
    let mut reader = spawn(restore)?;
    let archive_in = reader.child.stdin.take().expect("stdin was piped");
    let script_out = reader.child.stdout.take().expect("stdout was piped");
    let path = backup.path(DUMP_FILE);
    let (fed, piped) = std::thread::scope(|scope| {
        let fed = scope.spawn(|| decompress_from(&path, archive_in, &progress));
        // Owns pg_restore's output, so that it closes (and pg_restore stops)
        // as soon as psql stops reading.
        let piped = scope.spawn(|| -> std::io::Result<()> {
            let mut script_out = script_out;
            script_in.write_all(format!("BEGIN;\n{preamble}\n").as_bytes())?;
            std::io::copy(&mut script_out, &mut script_in)?;
            Ok(())
        });
        (fed.join(), piped.join())
    });
    progress.finish();
    let restored = reader.wait();
    let fed = fed.map_err(|_| Error::Refused("the decompression thread failed".into()))?;
    let piped = piped.map_err(|_| Error::Refused("the copying thread failed".into()))?;
    let complete = restored.is_ok() && fed.is_ok() && piped.is_ok();
    if complete {
        // Only now: the whole script went through.
        let _ = script_in.write_all(b"COMMIT;\n");
    }
    drop(script_in);
    // psql's own error (a statement that failed) explains a broken pipe best.
    applier.wait()?;
    restored?;
    let (sha256, bytes) = fed?;
    piped.map_err(|e| Error::io("psql", e))?;
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
