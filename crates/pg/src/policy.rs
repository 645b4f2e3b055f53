//! Project policy from `dbguard.toml`. A project may tighten dbguard's
//! built-in policy and never loosen it: a value that would is an error, and so
//! is a key dbguard does not know (a typo must not silently keep a default).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The name of the policy file, looked for in the project folder.
pub const POLICY_FILE: &str = "dbguard.toml";

/// How thoroughly a backup is verified before a high-risk operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum VerifyLevel {
    /// Checksums match and the whole archive reads through.
    Read,
    /// Restored into a scratch database and row counts compared.
    Full,
}

impl std::fmt::Display for VerifyLevel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            VerifyLevel::Read => "read",
            VerifyLevel::Full => "full",
        })
    }
}

/// The effective policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Policy {
    /// Folder for backups, relative to the project folder unless absolute.
    pub backup_dir: PathBuf,
    /// Backups younger than this many days are never pruned.
    pub keep_days: u32,
    /// This many newest backups are never pruned.
    pub keep_last: u32,
    /// Verification level required before a high-risk operation.
    pub verify_before_high: VerifyLevel,
    /// Minutes an approval stays valid.
    pub approval_expires_minutes: u32,
    /// The migrations folder, when not `prisma/migrations` or `migrations`.
    pub migrations_dir: Option<PathBuf>,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            backup_dir: PathBuf::from("backups"),
            keep_days: 7,
            keep_last: 3,
            verify_before_high: VerifyLevel::Read,
            approval_expires_minutes: 15,
            migrations_dir: None,
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyFile {
    #[serde(default)]
    backup: BackupSection,
    #[serde(default)]
    approval: ApprovalSection,
    #[serde(default)]
    migrations: MigrationsSection,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct MigrationsSection {
    dir: Option<PathBuf>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct BackupSection {
    dir: Option<PathBuf>,
    keep_days: Option<u32>,
    keep_last: Option<u32>,
    verify_before_high: Option<VerifyLevel>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ApprovalSection {
    expires_minutes: Option<u32>,
}

impl Policy {
    /// Reads `dbguard.toml` in `project_dir` when it exists; the built-in policy otherwise.
    pub fn load(project_dir: &Path) -> Result<Policy> {
        let path = project_dir.join(POLICY_FILE);
        match std::fs::read(&path) {
            Ok(bytes) => Policy::parse(&bytes, &path),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Policy::default()),
            Err(e) => Err(Error::io(path, e)),
        }
    }

    /// Parses the contents of a policy file; `path` is only used in messages.
    pub fn parse(bytes: &[u8], path: &Path) -> Result<Policy> {
        let bad = |reason: String| Error::Config {
            origin: path.display().to_string(),
            reason,
        };
        let text = std::str::from_utf8(bytes).map_err(|_| bad("the file is not valid UTF-8".into()))?;
        let file: PolicyFile = toml::from_str(text).map_err(|e| bad(e.message().to_string()))?;
        let base = Policy::default();
        let mut policy = base.clone();
        if let Some(dir) = file.backup.dir {
            if dir.as_os_str().is_empty() {
                return Err(bad("backup.dir must not be empty".into()));
            }
            policy.backup_dir = dir;
        }
        if let Some(days) = file.backup.keep_days {
            policy.keep_days = at_least("backup.keep_days", days, base.keep_days).map_err(bad)?;
        }
        if let Some(last) = file.backup.keep_last {
            policy.keep_last = at_least("backup.keep_last", last, base.keep_last).map_err(bad)?;
        }
        if let Some(level) = file.backup.verify_before_high {
            if level < base.verify_before_high {
                return Err(bad("backup.verify_before_high may only be raised".into()));
            }
            policy.verify_before_high = level;
        }
        if let Some(minutes) = file.approval.expires_minutes {
            if minutes == 0 || minutes > base.approval_expires_minutes {
                return Err(bad(format!(
                    "approval.expires_minutes must be between 1 and {} (a project may shorten approvals, not lengthen them)",
                    base.approval_expires_minutes
                )));
            }
            policy.approval_expires_minutes = minutes;
        }
        policy.migrations_dir = file.migrations.dir;
        Ok(policy)
    }

    /// The backup folder, resolved against the project folder.
    pub fn backup_dir_in(&self, project_dir: &Path) -> PathBuf {
        project_dir.join(&self.backup_dir)
    }
}

fn at_least(key: &str, value: u32, floor: u32) -> std::result::Result<u32, String> {
    if value < floor {
        Err(format!(
            "{key} = {value} would loosen the built-in policy ({floor}); a project may only raise it"
        ))
    } else {
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Policy> {
        Policy::parse(text.as_bytes(), Path::new("dbguard.toml"))
    }

    #[test]
    fn empty_file_is_the_builtin_policy() {
        assert_eq!(parse("").unwrap(), Policy::default());
    }

    #[test]
    fn tightening_is_accepted() {
        let policy = parse(
            "[backup]\ndir = \"/srv/backups\"\nkeep_days = 30\nkeep_last = 10\nverify_before_high = \"full\"\n[approval]\nexpires_minutes = 5\n",
        )
        .unwrap();
        assert_eq!(policy.keep_days, 30);
        assert_eq!(policy.keep_last, 10);
        assert_eq!(policy.verify_before_high, VerifyLevel::Full);
        assert_eq!(policy.approval_expires_minutes, 5);
        assert_eq!(
            policy.backup_dir_in(Path::new("/p")),
            PathBuf::from("/srv/backups")
        );
    }

    #[test]
    fn loosening_is_refused() {
        for text in [
            "[backup]\nkeep_days = 1",
            "[backup]\nkeep_last = 0",
            "[approval]\nexpires_minutes = 600",
            "[approval]\nexpires_minutes = 0",
        ] {
            let err = parse(text).unwrap_err().to_string();
            assert!(err.starts_with("dbguard.toml:"), "{err}");
        }
    }

    #[test]
    fn unknown_keys_are_errors() {
        let err = parse("[backup]\nkeep_dayz = 9").unwrap_err().to_string();
        assert!(err.contains("keep_dayz"), "{err}");
        let err = parse("[danger]\nallow_reset = true").unwrap_err().to_string();
        assert!(err.contains("danger"), "{err}");
    }

    #[test]
    fn non_utf8_is_a_clear_error() {
        let err = Policy::parse(&[0xff, 0xfe, b'a'], Path::new("dbguard.toml")).unwrap_err();
        assert!(err.to_string().contains("UTF-8"), "{err}");
    }
}
