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

    /// The names of the entries of folder `dir` (absolute), for workspace
    /// globs such as `packages/*`. Sources that cannot list say so.
    fn list(&self, _dir: &Path) -> Result<Vec<String>, ReadError> {
        Err(ReadError::Unreadable("folders cannot be listed here".into()))
    }
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

    fn list(&self, dir: &Path) -> Result<Vec<String>, ReadError> {
        let mut names: Vec<String> = self
            .0
            .keys()
            .filter_map(|path| path.strip_prefix(dir).ok())
            .filter_map(|rest| rest.components().next())
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names.dedup();
        match names.is_empty() {
            true => Err(ReadError::NotFound),
            false => Ok(names),
        }
    }
}

/// The most entries of one folder the classifier looks at.
pub const MAX_LISTED: usize = 1000;

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

    fn list(&self, dir: &Path) -> Result<Vec<String>, ReadError> {
        let entries = match std::fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(ReadError::NotFound),
            Err(e) => return Err(ReadError::Unreadable(e.to_string())),
        };
        let mut names = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| ReadError::Unreadable(e.to_string()))?;
            if names.len() == MAX_LISTED {
                return Err(ReadError::Unreadable(format!("more than {MAX_LISTED} entries")));
            }
            names.push(entry.file_name().to_string_lossy().into_owned());
        }
        names.sort();
        Ok(names)
    }
}
