//! The backup folder: one private folder per backup, named like the guide's
//! `backup_<db>_<YYYYmmdd_HHMMSS>`, written under a hidden `.partial` name
//! and renamed only once every file is complete and synced. A backup that
//! was interrupted is never listed.
//!
//! ```text
//! backups/                              0700
//!   backup_farm_20261124_223000/        0700
//!     dump.zst                          0600  pg_dump custom archive, zstd
//!     globals.sql.zst                   0600  pg_dumpall --globals-only, zstd
//!     manifest.json                     0600
//!   .backup_farm_20261124_223500.partial/   an unfinished backup
//! ```

use std::fs;
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use dbguard_pg::error::describe_io;

use crate::error::{Error, Result};
use crate::leftovers::{Liveness, Maker};
use crate::manifest::Manifest;

/// Where backups live.
#[derive(Debug, Clone)]
pub struct Store {
    dir: PathBuf,
}

/// A backup in the store.
#[derive(Debug, Clone)]
pub struct Backup {
    /// Its folder.
    pub dir: PathBuf,
    /// Its manifest.
    pub manifest: Manifest,
}

impl Backup {
    /// The backup's id.
    pub fn id(&self) -> &str {
        &self.manifest.id
    }

    /// The path of one of its files.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }
}

impl Store {
    /// The store in `dir` (created on first write).
    pub fn new(dir: impl Into<PathBuf>) -> Store {
        Store { dir: dir.into() }
    }

    /// The store's folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Every complete backup, newest first. Folders without a readable
    /// manifest (and unfinished `.partial` ones) are not backups.
    pub fn list(&self) -> Result<Vec<Backup>> {
        let entries = match fs::read_dir(&self.dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(Error::io(&self.dir, e)),
        };
        let mut backups: Vec<Backup> = entries
            .flatten()
            .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
            .filter(|e| e.file_type().map(|t| t.is_dir()).unwrap_or(false))
            .filter_map(|e| {
                let dir = e.path();
                Manifest::read(&dir).ok().map(|manifest| Backup { dir, manifest })
            })
            .collect();
        backups.sort_by(|a, b| {
            b.manifest
                .started_at
                .cmp(&a.manifest.started_at)
                .then(b.manifest.id.cmp(&a.manifest.id))
        });
        Ok(backups)
    }

    /// The backup with `id`.
    pub fn find(&self, id: &str) -> Result<Backup> {
        self.list()?
            .into_iter()
            .find(|b| b.id() == id)
            .ok_or_else(|| Error::NotFound(format!("no backup `{id}` in {}", self.dir.display())))
    }

    /// The newest backup.
    pub fn latest(&self) -> Result<Backup> {
        self.list()?
            .into_iter()
            .next()
            .ok_or_else(|| Error::NotFound(format!("no backups in {}", self.dir.display())))
    }

    /// Unfinished backups (hidden `.partial` folders), with the process that
    /// writes them and whether it still runs.
    pub fn partials(&self) -> Vec<PartialFolder> {
        let Ok(entries) = fs::read_dir(&self.dir) else {
            return Vec::new();
        };
        entries
            .flatten()
            .filter(|e| {
                let name = e.file_name().to_string_lossy().into_owned();
                name.starts_with('.') && name.ends_with(".partial")
            })
            .map(|e| {
                let path = e.path();
                let maker = fs::read_to_string(path.join(MAKER_FILE))
                    .ok()
                    .and_then(|tag| Maker::parse(&tag));
                let liveness = match &maker {
                    Some(maker) => maker.liveness(),
                    // Between creating the folder and writing its marker.
                    None => match e
                        .metadata()
                        .and_then(|m| m.modified())
                        .ok()
                        .and_then(|m| m.elapsed().ok())
                    {
                        Some(age) if age < UNMARKED_GRACE => Liveness::Running,
                        _ => Liveness::Gone,
                    },
                };
                PartialFolder {
                    path,
                    maker,
                    liveness,
                }
            })
            .collect()
    }

    /// Removes the unfinished backups whose writer is gone; returns them.
    pub fn sweep_partials(&self) -> Result<Vec<PartialFolder>> {
        let stale: Vec<PartialFolder> = self
            .partials()
            .into_iter()
            .filter(|p| p.liveness == Liveness::Gone)
            .collect();
        for partial in &stale {
            fs::remove_dir_all(&partial.path).map_err(|e| Error::io(&partial.path, e))?;
        }
        Ok(stale)
    }

    /// Starts a backup of `database` at `at`: a private hidden folder that
    /// becomes the backup when committed, and is removed if dropped before.
    pub fn begin(&self, database: &str, at: DateTime<Utc>) -> Result<Partial> {
        make_private_dir(&self.dir)?;
        let base = format!("backup_{}_{}", file_safe(database), at.format("%Y%m%d_%H%M%S"));
        let mut id = base.clone();
        let mut n = 1;
        while self.dir.join(&id).exists() || self.dir.join(format!(".{id}.partial")).exists() {
            n += 1;
            id = format!("{base}_{n}");
        }
        let dir = self.dir.join(format!(".{id}.partial"));
        make_private_dir(&dir)?;
        fs::write(dir.join(MAKER_FILE), Maker::current().tag()).map_err(|e| Error::io(&dir, e))?;
        Ok(Partial {
            id,
            dir,
            store: self.dir.clone(),
            committed: false,
        })
    }
}

/// The marker in a `.partial` folder naming the process writing it.
const MAKER_FILE: &str = ".maker";

/// How long a `.partial` folder without a marker counts as being started.
const UNMARKED_GRACE: std::time::Duration = std::time::Duration::from_secs(60);

/// An unfinished backup folder.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PartialFolder {
    /// The folder.
    pub path: PathBuf,
    /// The process writing it, when its marker says.
    pub maker: Option<Maker>,
    /// Whether that process still runs (gone: stale, swept by the next backup or prune).
    pub liveness: Liveness,
}

/// A backup being written.
#[derive(Debug)]
pub struct Partial {
    /// The id it will have.
    pub id: String,
    /// The hidden folder it is written in.
    pub dir: PathBuf,
    store: PathBuf,
    committed: bool,
}

impl Partial {
    /// The path of one of its files.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// Syncs the folder and renames it to its final name.
    pub fn commit(mut self) -> Result<PathBuf> {
        sync_dir(&self.dir)?;
        let target = self.store.join(&self.id);
        fs::rename(&self.dir, &target).map_err(|e| Error::io(&target, e))?;
        sync_dir(&self.store)?;
        self.committed = true;
        Ok(target)
    }
}

impl Drop for Partial {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_dir_all(&self.dir);
        }
    }
}

/// Creates `dir` (and parents) with mode 0700, or checks that the existing
/// `dir` is private to this user. dbguard never changes the owner or mode of
/// a folder it did not make: a folder of another user, one its owner cannot
/// write, or one others can read is refused, saying what to change.
pub fn make_private_dir(dir: &Path) -> Result<()> {
    use std::os::unix::fs::MetadataExt;
    let shown = dir.display();
    match fs::metadata(dir) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dir)
                .map_err(|e| {
                    Error::Refused(format!("cannot create the folder {shown}: {}", describe_io(&e)))
                })?;
            // The umask may have taken bits off; this folder is dbguard's own.
            fs::set_permissions(dir, fs::Permissions::from_mode(0o700)).map_err(|e| {
                Error::Refused(format!(
                    "cannot make the new folder {shown} private (mode 0700): {}",
                    describe_io(&e)
                ))
            })
        }
        Err(e) => Err(Error::Refused(format!(
            "cannot read the folder {shown}: {}",
            describe_io(&e)
        ))),
        Ok(meta) if !meta.is_dir() => Err(Error::Refused(format!("{shown} is not a folder"))),
        Ok(meta) => {
            // SAFETY: geteuid has no preconditions and cannot fail.
            let me = unsafe { libc::geteuid() };
            let mode = meta.mode() & 0o777;
            if meta.uid() != me {
                return Err(Error::Refused(format!(
                    "the folder {shown} belongs to another user (uid {}; dbguard runs as uid {me}), so dbguard cannot keep \
                     backups private there; give it to this user (chown) or set backup_dir in dbguard.toml to a folder of this user's",
                    meta.uid()
                )));
            }
            if mode & 0o700 != 0o700 {
                return Err(Error::Refused(format!(
                    "the folder {shown} has mode {mode:04o}: its owner cannot write and enter it, and dbguard does not \
                     change a folder's mode on its own; make it writable (chmod 700 {shown}) or set another backup_dir"
                )));
            }
            if mode & 0o077 != 0 {
                return Err(Error::Refused(format!(
                    "the folder {shown} has mode {mode:04o}: other users can reach the backups in it, which hold every row; \
                     make it private (chmod 700 {shown}) or set another backup_dir"
                )));
            }
            Ok(())
        }
    }
}

/// Creates a new file with mode 0600.
pub fn create_private_file(path: &Path) -> Result<fs::File> {
    fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| Error::io(path, e))
}

/// Replaces `path` with `bytes` atomically (temporary file, fsync, rename), mode 0600.
pub fn write_private_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = path.with_extension("tmp");
    let _ = fs::remove_file(&tmp);
    let mut file = create_private_file(&tmp)?;
    file.write_all(bytes).map_err(|e| Error::io(&tmp, e))?;
    file.sync_all().map_err(|e| Error::io(&tmp, e))?;
    fs::rename(&tmp, path).map_err(|e| Error::io(path, e))?;
    if let Some(parent) = path.parent() {
        sync_dir(parent)?;
    }
    Ok(())
}

fn sync_dir(dir: &Path) -> Result<()> {
    fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| Error::io(dir, e))
}

/// A database name made safe for a file name.
fn file_safe(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}
