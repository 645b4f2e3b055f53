//! The errors of the PostgreSQL plumbing. Every message is safe to print: URLs
//! in it are redacted before they are stored.

use std::path::PathBuf;

/// Everything that can go wrong while configuring, reaching or running PostgreSQL.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A database URL that cannot be used; the URL in it is already redacted.
    #[error("invalid database URL `{url}`: {reason}")]
    InvalidUrl {
        /// The URL with its password masked.
        url: String,
        /// Why it was rejected.
        reason: String,
    },
    /// A configuration file or variable with a bad value.
    #[error("{origin}: {reason}")]
    Config {
        /// Where the bad value came from (a file path or a variable name).
        origin: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The PostgreSQL programs dbguard needs are not installed.
    #[error("{0}")]
    MissingBinaries(String),
    /// Connecting to or querying the server failed.
    #[error("{context}: {reason}")]
    Database {
        /// What dbguard was doing, with the redacted target.
        context: String,
        /// The server's or driver's reason.
        reason: String,
    },
    /// Managing the local server failed.
    #[error("local PostgreSQL server: {0}")]
    LocalServer(String),
    /// A file-system operation failed. The message holds the cause once (it
    /// is not also given as the error's source, which would repeat it).
    #[error("{path}: {}", describe_io(.error))]
    Io {
        /// The file or folder concerned.
        path: PathBuf,
        /// The underlying error.
        error: std::io::Error,
    },
}

impl Error {
    /// An I/O error on `path`.
    pub fn io(path: impl Into<PathBuf>, error: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            error,
        }
    }
}

/// An I/O error in words, naming the errno of the causes people must act on.
pub fn describe_io(error: &std::io::Error) -> String {
    use std::io::ErrorKind;
    let name = match error.kind() {
        ErrorKind::StorageFull => Some("ENOSPC: the disk is full"),
        ErrorKind::FileTooLarge => Some("EFBIG: over the file size limit"),
        ErrorKind::PermissionDenied if error.raw_os_error() == Some(1) => {
            Some("EPERM: not permitted for this user")
        }
        ErrorKind::PermissionDenied => Some("EACCES: permission denied"),
        ErrorKind::QuotaExceeded => Some("EDQUOT: the disk quota is exhausted"),
        ErrorKind::ReadOnlyFilesystem => Some("EROFS: the file system is read-only"),
        _ => None,
    };
    match name {
        Some(name) => format!("{name} ({error})"),
        None => error.to_string(),
    }
}

/// The result type of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
