//! The only I/O the classifier does: reading files it is pointed at
//! (package.json, shell scripts, SQL files), through this trait so that the
//! caller decides what may be read and tests can use files in memory.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Why a file could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadError {
    /// There is no such file.
    NotFound,
    /// It exists but cannot be used (permission, not UTF-8, too large, a folder).
    Unreadable(String),
}

/// Reads files for the classifier.
pub trait FileSource {
    /// The text of `path` (absolute).
    fn read(&self, path: &Path) -> Result<String, ReadError>;
}

/// Reads nothing: every file is missing. For pure classification.
pub struct NoFiles;

impl FileSource for NoFiles {
    fn read(&self, _path: &Path) -> Result<String, ReadError> {
        Err(ReadError::NotFound)
    }
}

/// Files held in memory, for tests and embedding.
#[derive(Debug, Default, Clone)]
pub struct MemoryFiles(pub HashMap<PathBuf, String>);

impl MemoryFiles {
    /// Adds a file.
    pub fn with(mut self, path: impl Into<PathBuf>, text: impl Into<String>) -> Self {
        self.0.insert(path.into(), text.into());
        self
    }
}

impl FileSource for MemoryFiles {
    fn read(&self, path: &Path) -> Result<String, ReadError> {
        self.0.get(path).cloned().ok_or(ReadError::NotFound)
    }
}

/// The largest file the classifier reads.
pub const MAX_FILE_BYTES: u64 = 1024 * 1024;

/// Reads from the real file system, refusing files over [`MAX_FILE_BYTES`]
/// and files that are not UTF-8.
pub struct DiskFiles;

impl FileSource for DiskFiles {
    fn read(&self, path: &Path) -> Result<String, ReadError> {
        let meta = match std::fs::metadata(path) {
            Ok(meta) => meta,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(ReadError::NotFound),
            Err(e) => return Err(ReadError::Unreadable(e.to_string())),
        };
        if !meta.is_file() {
            return Err(ReadError::Unreadable("not a regular file".into()));
        }
        if meta.len() > MAX_FILE_BYTES {
            return Err(ReadError::Unreadable(format!(
                "{} bytes, over the {MAX_FILE_BYTES}-byte limit",
                meta.len()
            )));
        }
        let bytes = std::fs::read(path).map_err(|e| ReadError::Unreadable(e.to_string()))?;
        String::from_utf8(bytes).map_err(|_| ReadError::Unreadable("not valid UTF-8".into()))
    }
}
