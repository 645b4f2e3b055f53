//! Approvals: a pending approval records exactly what was asked (the
//! operation's text, the target database's identity, the working folder),
//! expires, and is used once. Only `approve` (a person at a terminal) turns
//! a pending approval into a usable one; no variable or flag does.

use std::fs;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// What an approval is bound to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Binding {
    /// `shell` or `sql`.
    pub kind: String,
    /// SHA-256 of the exact command line or SQL (the text itself may hold a
    /// password and is never stored).
    pub operation_sha256: String,
    /// The target database's identity (system identifier, host, port, database).
    pub target: String,
    /// The working folder.
    pub cwd: PathBuf,
}

/// One approval.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Approval {
    /// Short id, for `dbguard approve <id>`.
    pub id: String,
    /// What it is for.
    pub binding: Binding,
    /// The operation as people read it, passwords masked.
    pub operation: String,
    /// The target as people read it (no password).
    pub target_display: String,
    /// `medium` or `high`.
    pub risk: String,
    /// The block shown to the person approving.
    pub block: String,
    /// When it was requested.
    pub created_at: DateTime<Utc>,
    /// When it stops being valid.
    pub expires_at: DateTime<Utc>,
    /// When and by whom it was approved.
    pub approved_at: Option<DateTime<Utc>>,
    /// The OS user who approved it.
    pub approved_by: Option<String>,
    /// When it was used.
    pub used_at: Option<DateTime<Utc>>,
}

impl Binding {
    /// The binding of `operation` (hashed) of `kind` on `target` in `cwd`.
    pub fn new(kind: &str, operation: &str, target: &str, cwd: &Path) -> Binding {
        use sha2::{Digest, Sha256};
        Binding {
            kind: kind.to_string(),
            operation_sha256: Sha256::digest(operation.as_bytes())
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect(),
            target: target.to_string(),
            cwd: cwd.to_path_buf(),
        }
    }
}

impl Approval {
    /// `pending`, `approved`, `used` or `expired` at `now`.
    pub fn state(&self, now: DateTime<Utc>) -> &'static str {
        if self.used_at.is_some() {
            "used"
        } else if now >= self.expires_at {
            "expired"
        } else if self.approved_at.is_some() {
            "approved"
        } else {
            "pending"
        }
    }
}

/// The approvals of a project (`.dbguard/approvals/`).
pub struct Approvals {
    dir: PathBuf,
}

impl Approvals {
    /// The approvals kept under `state_dir`.
    pub fn new(state_dir: &Path) -> Approvals {
        Approvals {
            dir: state_dir.join("approvals"),
        }
    }

    fn path(&self, id: &str) -> PathBuf {
        self.dir.join(format!("{id}.json"))
    }

    fn save(&self, approval: &Approval) -> Result<()> {
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&self.dir)
            .map_err(|e| Error::io(&self.dir, e))?;
        let path = self.path(&approval.id);
        let tmp = path.with_extension("tmp");
        let _ = fs::remove_file(&tmp);
        let mut file = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)
            .map_err(|e| Error::io(&tmp, e))?;
        use std::io::Write;
        file.write_all(&serde_json::to_vec_pretty(approval).expect("approvals serialise"))
            .and_then(|_| file.sync_all())
            .map_err(|e| Error::io(&tmp, e))?;
        fs::rename(&tmp, &path).map_err(|e| Error::io(&path, e))
    }

    /// Every approval.
    pub fn all(&self) -> Vec<Approval> {
        let Ok(entries) = fs::read_dir(&self.dir) else {
            return Vec::new();
        };
        let mut all: Vec<Approval> = entries
            .flatten()
            .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
            .filter_map(|e| fs::read(e.path()).ok())
            .filter_map(|b| serde_json::from_slice(&b).ok())
            .collect();
        all.sort_by_key(|a| a.created_at);
        all
    }

    /// The approval with `id`.
    pub fn get(&self, id: &str) -> Result<Approval> {
        if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(Error::Approval(format!("`{id}` is not an approval id")));
        }
        let bytes =
            fs::read(self.path(id)).map_err(|_| Error::Approval(format!("there is no approval `{id}`")))?;
        serde_json::from_slice(&bytes).map_err(|_| Error::Approval(format!("approval `{id}` is damaged")))
    }

    /// A pending approval for `binding` (shown as `operation`): the one
    /// already waiting, or a new one.
    pub fn request(
        &self,
        binding: &Binding,
        operation: &str,
        target_display: &str,
        risk: &str,
        block: &str,
        ttl: Duration,
    ) -> Result<Approval> {
        let now = Utc::now();
        if let Some(waiting) = self
            .all()
            .into_iter()
            .find(|a| &a.binding == binding && a.state(now) == "pending")
        {
            return Ok(waiting);
        }
        let approval = Approval {
            id: dbguard_pg::random::random_hex(4)?,
            binding: binding.clone(),
            operation: operation.to_string(),
            target_display: target_display.to_string(),
            risk: risk.to_string(),
            block: block.to_string(),
            created_at: now,
            expires_at: now + ttl,
            approved_at: None,
            approved_by: None,
            used_at: None,
        };
        self.save(&approval)?;
        Ok(approval)
    }

    /// Marks `id` approved by `by`.
    pub fn approve(&self, id: &str, by: &str) -> Result<Approval> {
        let mut approval = self.get(id)?;
        match approval.state(Utc::now()) {
            "pending" => {}
            state => {
                return Err(Error::Approval(format!(
                    "approval `{id}` is {state}; it cannot be approved"
                )))
            }
        }
        approval.approved_at = Some(Utc::now());
        approval.approved_by = Some(by.to_string());
        self.save(&approval)?;
        Ok(approval)
    }

    /// Takes the approved, unexpired, unused approval for exactly `binding`,
    /// marking it used before returning it.
    pub fn take(&self, binding: &Binding) -> Result<Option<Approval>> {
        let now = Utc::now();
        let Some(mut approval) = self
            .all()
            .into_iter()
            .find(|a| &a.binding == binding && a.state(now) == "approved")
        else {
            return Ok(None);
        };
        approval.used_at = Some(now);
        self.save(&approval)?;
        Ok(Some(approval))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn binding(op: &str, target: &str) -> Binding {
        Binding::new("shell", op, target, Path::new("/p"))
    }

    #[test]
    fn an_approval_is_bound_expires_and_is_used_once() {
        let dir = tempfile::tempdir().unwrap();
        let approvals = Approvals::new(dir.path());
        let wanted = binding("psql -c 'TRUNCATE batches'", "sys1/farm");
        let pending = approvals
            .request(
                &wanted,
                "psql -c 'TRUNCATE batches'",
                "postgresql://x/farm",
                "high",
                "block",
                Duration::minutes(15),
            )
            .unwrap();
        assert_eq!(
            approvals
                .request(&wanted, "", "", "high", "", Duration::minutes(15))
                .unwrap()
                .id,
            pending.id
        );
        assert!(
            approvals.take(&wanted).unwrap().is_none(),
            "pending is not approved"
        );

        approvals.approve(&pending.id, "alice").unwrap();
        assert!(approvals
            .take(&binding("psql -c 'TRUNCATE tasks'", "sys1/farm"))
            .unwrap()
            .is_none());
        assert!(approvals
            .take(&binding("psql -c 'TRUNCATE batches'", "sys1/other"))
            .unwrap()
            .is_none());
        let used = approvals.take(&wanted).unwrap().unwrap();
        assert_eq!(used.approved_by.as_deref(), Some("alice"));
        assert!(approvals.take(&wanted).unwrap().is_none(), "used once");
        assert!(approvals.approve(&pending.id, "alice").is_err());

        let short = approvals
            .request(
                &binding("dropdb farm", "sys1/farm"),
                "dropdb farm",
                "",
                "high",
                "",
                Duration::seconds(-1),
            )
            .unwrap();
        assert_eq!(short.state(Utc::now()), "expired");
        assert!(approvals.approve(&short.id, "alice").is_err());
        assert!(approvals.get("../../etc/passwd").is_err());
    }
}
