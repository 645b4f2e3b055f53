//! Errors of the protocol.

use std::path::PathBuf;

/// Everything that can go wrong in the protocol's own bookkeeping.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Configuration, connection, server and file-system errors.
    #[error(transparent)]
    Pg(#[from] dbguard_pg::Error),
    /// An approval that does not exist, expired, was used, or belongs to something else.
    #[error("{0}")]
    Approval(String),
    /// No approver is set up, so nothing can be approved.
    #[error(
        "no approver is set up (looked in {0}), so nothing can be approved: a person sets one up once, in \
         their own terminal, with `dbguard approver init`"
    )]
    NoApprover(PathBuf),
}

impl Error {
    /// An I/O error on `path`.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Error {
        Error::Pg(dbguard_pg::Error::io(path, source))
    }
}

/// The result type of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
