//! Errors of `protect` and its windows.

use dbguard_pg::connect::describe;

/// What can go wrong installing guards or opening a window.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Configuration, connection and file-system errors.
    #[error(transparent)]
    Pg(#[from] dbguard_pg::Error),
    /// The server refused a query; `context` says what dbguard was doing.
    #[error("{context}: {reason}")]
    Database {
        /// What dbguard was doing.
        context: String,
        /// The server's reason.
        reason: String,
    },
    /// The database is not protected, or not the way this needs.
    #[error("{0}")]
    NotProtected(String),
    /// The guard role's credential cannot be used.
    #[error("{0}")]
    Credential(String),
    /// The request itself is invalid.
    #[error("{0}")]
    Invalid(String),
}

/// The result type of `protect`.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Wraps a driver error with what dbguard was doing.
pub(crate) fn db(context: impl Into<String>) -> impl FnOnce(postgres::Error) -> Error {
    let context = context.into();
    move |e| Error::Database {
        context,
        reason: describe(&e),
    }
}
