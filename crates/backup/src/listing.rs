//! The store's backups as `dbguard backup list` shows them.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::leftovers::Found;
use crate::{Backup, Level};

/// The newest verified backup's age, in hours, past which it is a warning
/// and then critical (`dbguard health`'s backup check and the dashboard).
pub const AGE_LIMIT_HOURS: (f64, f64) = (26.0, 7.0 * 24.0);

/// One backup, listed.
#[derive(Debug, Clone, Serialize)]
pub struct Listed {
    /// Its id.
    pub id: String,
    /// When the dump began.
    pub started_at: DateTime<Utc>,
    /// How old it is.
    pub age_seconds: i64,
    /// Its size on disk.
    pub bytes: u64,
    /// How far it was verified.
    pub verified: Level,
    /// What it was taken for.
    pub label: Option<String>,
}

impl Listed {
    /// `backup` as listed at `now`.
    pub fn of(backup: &Backup, now: DateTime<Utc>) -> Listed {
        let manifest = &backup.manifest;
        Listed {
            id: manifest.id.clone(),
            started_at: manifest.started_at,
            age_seconds: (now - manifest.started_at).num_seconds(),
            bytes: manifest.bytes(),
            verified: manifest.verification.level,
            label: manifest.label.clone(),
        }
    }
}

/// What `dbguard --format json backup list` prints.
#[derive(Debug, Serialize)]
pub struct Listing {
    /// The store's folder.
    pub dir: PathBuf,
    /// Its backups.
    pub backups: Vec<Listed>,
    /// Unfinished backups and temporary databases.
    pub leftovers: Found,
}
