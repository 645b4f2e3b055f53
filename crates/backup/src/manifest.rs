//! The manifest: what a backup holds, where it came from, and how far it has
//! been verified. JSON, beside the data, written atomically.

use std::path::Path;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::layout::write_private_atomically;

/// The manifest's file name in a backup folder.
pub const MANIFEST: &str = "manifest.json";

/// The manifest format this dbguard writes.
pub const FORMAT: u32 = 1;

/// Everything known about one backup.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// Manifest format version.
    pub format: u32,
    /// The backup's id (its folder name).
    pub id: String,
    /// A label given at creation.
    pub label: Option<String>,
    /// The dbguard that made it.
    pub dbguard_version: String,
    /// `pg_dump --version`.
    pub pg_dump_version: String,
    /// The server's `server_version`.
    pub server_version: String,
    /// The server's major version.
    pub server_major: u32,
    /// Where the data came from.
    pub source: Source,
    /// When the dump started (the snapshot's time).
    pub started_at: DateTime<Utc>,
    /// When the backup was complete.
    pub finished_at: DateTime<Utc>,
    /// Row counts of every table, taken inside the dump's snapshot.
    pub tables: Vec<TableCount>,
    /// The files of the backup.
    pub files: Vec<FileEntry>,
    /// Why the roles and tablespaces (`pg_dumpall --globals-only`) are missing, when they are.
    pub globals_skipped: Option<String>,
    /// How far the backup has been verified.
    pub verification: Verification,
}

/// The source database, without any password.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Source {
    /// The cluster's system identifier, when the role may read it.
    pub system_identifier: Option<String>,
    /// The database.
    pub database: String,
    /// The host as the URL names it.
    pub host: String,
    /// The port.
    pub port: Option<u16>,
    /// The role that made the dump.
    pub user: String,
}

/// Rows of one table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableCount {
    /// Schema.
    pub schema: String,
    /// Table.
    pub name: String,
    /// Rows in the dump's snapshot.
    pub rows: i64,
}

/// One file of a backup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileEntry {
    /// File name in the backup folder.
    pub name: String,
    /// What it holds: `database` (pg_dump custom archive) or `globals` (SQL).
    pub role: String,
    /// Size on disk.
    pub bytes: u64,
    /// Size before compression.
    pub uncompressed_bytes: u64,
    /// SHA-256 of the file on disk, hex.
    pub sha256: String,
    /// `zstd`.
    pub compression: String,
}

/// Verification levels, ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Not verified.
    None,
    /// Checksums match and the whole archive reads through.
    Read,
    /// Restored into a scratch database with every row count matching.
    Full,
}

impl std::fmt::Display for Level {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Level::None => "none",
            Level::Read => "read",
            Level::Full => "full",
        })
    }
}

/// The state of verification.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Verification {
    /// The highest level passed, unless a later check failed (then `none`).
    pub level: Level,
    /// When it was last checked.
    pub checked_at: Option<DateTime<Utc>>,
    /// Whether the last check failed, and why.
    pub last_failure: Option<String>,
    /// Restore speed measured by the last full verification (uncompressed
    /// archive bytes per second), for recovery-time estimates.
    pub restore_bytes_per_second: Option<f64>,
}

impl Default for Verification {
    fn default() -> Self {
        Verification {
            level: Level::None,
            checked_at: None,
            last_failure: None,
            restore_bytes_per_second: None,
        }
    }
}

impl Manifest {
    /// Reads the manifest in `dir`.
    pub fn read(dir: &Path) -> Result<Manifest> {
        let path = dir.join(MANIFEST);
        let bytes = std::fs::read(&path).map_err(|e| Error::io(&path, e))?;
        serde_json::from_slice(&bytes)
            .map_err(|e| Error::io(&path, std::io::Error::new(std::io::ErrorKind::InvalidData, e)))
    }

    /// Writes the manifest into `dir` (atomically, mode 0600).
    pub fn write(&self, dir: &Path) -> Result<()> {
        let mut text = serde_json::to_vec_pretty(self).expect("manifests serialise");
        text.push(b'\n');
        write_private_atomically(&dir.join(MANIFEST), &text)
    }

    /// The file holding role `role`.
    pub fn file(&self, role: &str) -> Option<&FileEntry> {
        self.files.iter().find(|f| f.role == role)
    }

    /// Total bytes on disk.
    pub fn bytes(&self) -> u64 {
        self.files.iter().map(|f| f.bytes).sum()
    }
}
