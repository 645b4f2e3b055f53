//! Finding the installed PostgreSQL programs.
//!
//! Candidates, in order: `DBGUARD_PG_BINDIR` when set (and then nothing else),
//! `pg_config --bindir`, the distributions' versioned folders
//! (`/usr/lib/postgresql/<major>/bin`, `/usr/pgsql-<major>/bin`, Homebrew's
//! `postgresql@<major>`), then `PATH`. The newest major version wins unless a
//! specific one is needed (an existing data folder's).

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde::Serialize;

use crate::error::{Error, Result};

/// The programs a server installation must have.
const SERVER_PROGRAMS: &[&str] = &["initdb", "pg_ctl", "postgres"];

/// The programs a client installation must have (for backups and restores).
const CLIENT_PROGRAMS: &[&str] = &["pg_dump", "pg_restore", "pg_dumpall", "psql"];

/// Folders whose sub-folders hold versioned installations.
const VERSIONED_ROOTS: &[&str] = &[
    "/usr/lib/postgresql",
    "/usr/local/lib/postgresql",
    "/opt/homebrew/opt",
    "/usr/local/opt",
];

/// The advice given when nothing is found.
const INSTALL_ADVICE: &str = "install the PostgreSQL server package: `apt-get install postgresql` \
(Debian, Ubuntu), `dnf install postgresql-server` (Fedora, RHEL) or `brew install postgresql` (macOS), \
or point DBGUARD_PG_BINDIR at the folder holding initdb, pg_ctl and postgres";

/// One PostgreSQL installation: a folder with the server programs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Installation {
    /// The folder holding the programs.
    pub bindir: PathBuf,
    /// The major version (15 for 15.18).
    pub major: u32,
    /// The full version, e.g. `15.18`.
    pub version: String,
}

impl Installation {
    /// The path of one of the installation's programs.
    pub fn program(&self, name: &str) -> PathBuf {
        self.bindir.join(name)
    }
}

/// Where to look for installations.
#[derive(Debug, Clone, Default)]
pub struct Discovery {
    /// An explicit folder (`DBGUARD_PG_BINDIR`); when set, the only candidate.
    pub explicit: Option<PathBuf>,
    /// Whether to ask `pg_config` on `PATH`.
    pub use_pg_config: bool,
    /// Folders whose sub-folders are versioned installations.
    pub versioned_roots: Vec<PathBuf>,
    /// The `PATH` to search.
    pub path: Option<OsString>,
}

impl Discovery {
    /// The search this machine offers: the process's `PATH`, `pg_config`, the
    /// usual folders, and `DBGUARD_PG_BINDIR`.
    pub fn system() -> Discovery {
        Discovery {
            explicit: std::env::var_os("DBGUARD_PG_BINDIR").map(PathBuf::from),
            use_pg_config: true,
            versioned_roots: VERSIONED_ROOTS.iter().map(PathBuf::from).collect(),
            path: std::env::var_os("PATH"),
        }
    }

    /// Every server installation found, newest major first.
    pub fn all(&self) -> Vec<Installation> {
        self.with_programs(SERVER_PROGRAMS, "postgres")
    }

    /// Every folder with `programs`, versioned by `versioned`, newest major first.
    fn with_programs(&self, programs: &[&str], versioned: &str) -> Vec<Installation> {
        let mut found: Vec<Installation> = Vec::new();
        for dir in self.candidates() {
            let Ok(canonical) = dir.canonicalize() else {
                continue;
            };
            if found.iter().any(|i| i.bindir == canonical) {
                continue;
            }
            if let Some(install) = inspect(&canonical, programs, versioned) {
                found.push(install);
            }
        }
        found.sort_by_key(|i| std::cmp::Reverse(i.major));
        found
    }

    /// The newest client programs (`pg_dump`, `pg_restore`, `pg_dumpall`,
    /// `psql`) that can work with a server of major version `server_major`:
    /// the same major or newer.
    pub fn client_for(&self, server_major: u32) -> Result<Installation> {
        let all = self.with_programs(CLIENT_PROGRAMS, "pg_dump");
        let versions: Vec<String> = all.iter().map(|i| i.version.clone()).collect();
        all.into_iter().find(|i| i.major >= server_major).ok_or_else(|| {
            Error::MissingBinaries(format!(
                "the server runs PostgreSQL {server_major}, and pg_dump must be of that version or newer \
                 (found: {}); install the client programs: `apt-get install postgresql-client-{server_major}` \
                 (Debian, Ubuntu) or point DBGUARD_PG_BINDIR at them",
                if versions.is_empty() { "none".to_string() } else { versions.join(", ") }
            ))
        })
    }

    /// The newest installation, or the one of major version `major` when given.
    pub fn find(&self, major: Option<u32>) -> Result<Installation> {
        let all = self.all();
        let searched = match &self.explicit {
            Some(dir) => format!("DBGUARD_PG_BINDIR ({})", dir.display()),
            None => "pg_config --bindir, the usual install folders and PATH".to_string(),
        };
        match major {
            None => all.into_iter().next().ok_or_else(|| {
                Error::MissingBinaries(format!(
                    "PostgreSQL server programs (initdb, pg_ctl, postgres) not found in {searched}; {INSTALL_ADVICE}"
                ))
            }),
            Some(major) => {
                let versions: Vec<String> = all.iter().map(|i| i.version.clone()).collect();
                all.into_iter().find(|i| i.major == major).ok_or_else(|| {
                    Error::MissingBinaries(format!(
                        "the local data folder was created by PostgreSQL {major}, whose programs are not installed \
                         (found: {}); install PostgreSQL {major} (`apt-get install postgresql-{major}` on Debian)",
                        if versions.is_empty() { "none".to_string() } else { versions.join(", ") }
                    ))
                })
            }
        }
    }

    fn candidates(&self) -> Vec<PathBuf> {
        if let Some(dir) = &self.explicit {
            return vec![dir.clone()];
        }
        let mut dirs = Vec::new();
        if self.use_pg_config {
            if let Some(dir) = self.pg_config_bindir() {
                dirs.push(dir);
            }
        }
        for root in &self.versioned_roots {
            let Ok(entries) = std::fs::read_dir(root) else {
                continue;
            };
            let mut subdirs: Vec<PathBuf> = entries.flatten().map(|e| e.path().join("bin")).collect();
            subdirs.sort();
            dirs.extend(subdirs);
        }
        if let Ok(entries) = std::fs::read_dir("/usr") {
            dirs.extend(
                entries
                    .flatten()
                    .filter(|e| e.file_name().to_string_lossy().starts_with("pgsql"))
                    .map(|e| e.path().join("bin")),
            );
        }
        if let Some(path) = &self.path {
            dirs.extend(std::env::split_paths(path));
        }
        dirs
    }

    fn pg_config_bindir(&self) -> Option<PathBuf> {
        let path = self.path.as_ref()?;
        let pg_config = std::env::split_paths(path)
            .map(|d| d.join("pg_config"))
            .find(|p| is_executable(p))?;
        let out = Command::new(pg_config).arg("--bindir").output().ok()?;
        if !out.status.success() {
            return None;
        }
        let text = String::from_utf8(out.stdout).ok()?;
        Some(PathBuf::from(text.trim()))
    }
}

/// Reads the version of the installation in `dir`, if it has every one of `programs`.
fn inspect(dir: &Path, programs: &[&str], versioned: &str) -> Option<Installation> {
    if !programs.iter().all(|p| is_executable(&dir.join(p))) {
        return None;
    }
    let out = Command::new(dir.join(versioned)).arg("--version").output().ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let (version, major) = parse_version(&text)?;
    Some(Installation {
        bindir: dir.to_path_buf(),
        major,
        version,
    })
}

/// Parses `postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)` (or
/// `pg_dump (PostgreSQL) …`) into `("15.18", 15)`.
pub fn parse_version(text: &str) -> Option<(String, u32)> {
    let after = text.split("(PostgreSQL)").nth(1)?.split_whitespace().next()?;
    let major = after.split(|c: char| !c.is_ascii_digit()).next()?.parse().ok()?;
    Some((after.to_string(), major))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_parse() {
        assert_eq!(
            parse_version("postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)\n"),
            Some(("15.18".to_string(), 15))
        );
        assert_eq!(
            parse_version("postgres (PostgreSQL) 17beta1"),
            Some(("17beta1".into(), 17))
        );
        assert_eq!(parse_version("something else"), None);
    }

    #[test]
    fn nothing_to_find_names_the_package() {
        let empty = tempfile::tempdir().unwrap();
        let explicit = Discovery {
            explicit: Some(empty.path().to_path_buf()),
            ..Discovery::default()
        };
        assert!(explicit.all().is_empty());
        let err = explicit.find(None).unwrap_err().to_string();
        assert!(err.contains("apt-get install postgresql"), "{err}");
        assert!(err.contains("DBGUARD_PG_BINDIR"), "{err}");
        let err = explicit.find(Some(15)).unwrap_err().to_string();
        assert!(err.contains("postgresql-15"), "{err}");
        let err = explicit.client_for(15).unwrap_err().to_string();
        assert!(err.contains("postgresql-client-15"), "{err}");
    }

    #[test]
    fn client_programs_must_be_at_least_the_server_version() {
        let system = Discovery::system();
        let newest = system
            .client_for(0)
            .expect("PostgreSQL client programs are needed for this test");
        assert!(system.client_for(newest.major).is_ok());
        let err = system.client_for(newest.major + 1).unwrap_err().to_string();
        assert!(err.contains("must be of that version or newer"), "{err}");
    }
}
