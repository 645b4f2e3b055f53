//! Backup errors. Messages never hold a password: URLs are redacted and the
//! tools' own messages are redacted again before they are kept.

use std::path::PathBuf;

/// Everything that can go wrong with a backup.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Configuration, connection, server and file-system errors.
    #[error(transparent)]
    Pg(#[from] dbguard_pg::Error),
    /// A PostgreSQL program failed.
    #[error("{program} failed ({status}): {stderr}")]
    Tool {
        /// The program.
        program: String,
        /// How it ended.
        status: String,
        /// What it said (redacted).
        stderr: String,
    },
    /// No backup matched.
    #[error("{0}")]
    NotFound(String),
    /// A backup failed verification.
    #[error("backup {id} failed verification: {reason}")]
    Verification {
        /// The backup.
        id: String,
        /// What failed.
        reason: String,
    },
    /// dbguard refuses to do this.
    #[error("{0}")]
    Refused(String),
}

impl Error {
    /// An I/O error on `path`.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Error {
        Error::Pg(dbguard_pg::Error::io(path, source))
    }
}

/// The result type of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
