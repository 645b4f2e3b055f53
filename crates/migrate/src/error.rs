//! Migration errors.

use std::path::PathBuf;

/// Everything that can go wrong with migrations.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Configuration, connection, server and file-system errors.
    #[error(transparent)]
    Pg(#[from] dbguard_pg::Error),
    /// Bad input (a name, a file, a state that does not allow the command).
    #[error("{0}")]
    Invalid(String),
}

impl Error {
    /// An I/O error on `path`.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Error {
        Error::Pg(dbguard_pg::Error::io(path, source))
    }
}

/// The result type of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
