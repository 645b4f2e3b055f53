//! Running PostgreSQL's client programs: connection parameters without the
//! password on the command line, output captured, errors redacted.

use std::io::Read;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::thread::JoinHandle;

use dbguard_pg::redact::redact;
use dbguard_pg::{DbUrl, Installation};

use crate::error::{Error, Result};

/// A client program of `install`, set up to connect to `url`.
pub fn command(install: &Installation, program: &str, url: &DbUrl) -> Command {
    let libpq = url.libpq();
    let mut cmd = Command::new(install.program(program));
    cmd.arg("--no-password")
        .arg(format!("--dbname={}", libpq.conninfo))
        .env_remove("PGDATABASE")
        .env_remove("PGSERVICE")
        .stdin(Stdio::null());
    libpq.apply_password(&mut cmd);
    cmd
}

/// A running program whose standard error is being collected.
pub struct Running {
    /// The program's name, for messages.
    pub program: String,
    /// The child.
    pub child: Child,
    stderr: Option<JoinHandle<String>>,
}

/// Starts `cmd` with piped standard error (and whatever else the caller set).
pub fn spawn(mut cmd: Command) -> Result<Running> {
    let program = PathBuf::from(cmd.get_program())
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut child = cmd
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| Error::Refused(format!("cannot run {program}: {e}")))?;
    let mut stderr = child.stderr.take().expect("stderr was piped");
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    Ok(Running {
        program,
        child,
        stderr: Some(reader),
    })
}

impl Running {
    /// Waits; an error carries the program's (redacted) standard error.
    pub fn wait(mut self) -> Result<()> {
        let status = self.child.wait().map_err(|e| Error::io(&self.program, e))?;
        let stderr = self
            .stderr
            .take()
            .map(|h| h.join().unwrap_or_default())
            .unwrap_or_default();
        if status.success() {
            return Ok(());
        }
        Err(Error::Tool {
            program: self.program.clone(),
            status: status.to_string(),
            stderr: redact(stderr.trim()),
        })
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        // Never leave a dump or restore running behind an error.
        if self.stderr.is_some() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
