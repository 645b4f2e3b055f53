//! Approvals: a pending approval records exactly what was asked (the
//! operation's text, the target database's identity, the working folder),
//! expires, and is used once.
//!
//! The files are written by whoever runs dbguard, so nothing in them is
//! trusted by itself: an approval counts only when it carries the
//! approver's signature over its binding, risk, expiry and a nonce (made by
//! [`Approvals::approve`] with the key the person's passphrase unlocked),
//! and its nonce is not recorded as used in an intact audit log. Editing a
//! file, writing one from nothing, or putting back a used one approves
//! nothing.

use std::fs;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::approver::{pinned, Approver, Unlocked};
use crate::audit::{AuditLog, Entry, Trust};
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
    /// SHA-256 of what the classifier found the operation does (each
    /// finding's rule and text): a script, SQL file, package script or
    /// migration it reads by name and that changes after the approval
    /// changes this, and the approval no longer applies.
    #[serde(default)]
    pub findings_sha256: String,
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
    /// A random value that makes this approval's signature its own, and
    /// marks it used in the audit log.
    pub nonce: String,
    /// The person's approval, when given.
    pub approved: Option<Signed>,
    /// When it was used (for display; the audit log is what counts).
    pub used_at: Option<DateTime<Utc>>,
    /// The kinds of destruction the operation needs inside a protected
    /// database (`truncate`, `delete`, `update`, `drop`, `alter`).
    #[serde(default)]
    pub kinds: Vec<String>,
    /// The token of the window a person's approval opened in a protected
    /// database, handed to the approved operation only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<String>,
    /// A person's denial, when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub denied: Option<Denied>,
}

/// A person's denial.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Denied {
    /// When it was denied.
    pub at: DateTime<Utc>,
    /// The OS user who denied it.
    pub by: String,
}

/// An approval as `dbguard approvals` lists it.
#[derive(Debug, Clone, Serialize)]
pub struct Listed {
    /// Its id.
    pub id: String,
    /// `pending`, `approved`, `used`, `expired`, `denied`, or `unsigned`
    /// (it says it was approved, but the trusted approver did not sign it).
    pub state: &'static str,
    /// `medium` or `high`.
    pub risk: String,
    /// The operation, passwords masked.
    pub operation: String,
    /// The target, without password.
    pub target: String,
    /// When it was requested.
    pub created_at: DateTime<Utc>,
    /// When it stops being valid.
    pub expires_at: DateTime<Utc>,
    /// Who approved it.
    pub approved_by: Option<String>,
}

/// What `dbguard --format json approvals` prints.
#[derive(Debug, Clone, Serialize)]
pub struct Listing {
    /// The approvals, oldest first.
    pub approvals: Vec<Listed>,
}

impl Listed {
    /// `approval` as listed at `now`, its signature checked against `trusted`.
    pub fn of(approval: &Approval, trusted: Option<&Approver>, now: DateTime<Utc>) -> Listed {
        Listed {
            state: approval.listed_state(trusted, now),
            id: approval.id.clone(),
            risk: approval.risk.clone(),
            operation: approval.operation.clone(),
            target: approval.target_display.clone(),
            created_at: approval.created_at,
            expires_at: approval.expires_at,
            approved_by: approval.approved.as_ref().map(|s| s.by.clone()),
        }
    }
}

/// A person's signed approval.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signed {
    /// When it was approved.
    pub at: DateTime<Utc>,
    /// The OS user who approved it.
    pub by: String,
    /// The approver key's fingerprint.
    pub fingerprint: String,
    /// The signature over [`Approval::signed_bytes`], hex.
    pub signature: String,
}

/// What a signature covers, in a fixed order.
#[derive(Serialize)]
struct Payload<'a> {
    purpose: &'static str,
    id: &'a str,
    binding: &'a Binding,
    risk: &'a str,
    expires_at: String,
    nonce: &'a str,
    approved_at: String,
    approved_by: &'a str,
}

/// The SHA-256 (hex) an approval binds an operation's text to.
pub fn operation_digest(operation: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(operation.as_bytes()))
}

impl Binding {
    /// The binding of `operation` (hashed) of `kind` on `target` in `cwd`.
    pub fn new(kind: &str, operation: &str, target: &str, cwd: &Path) -> Binding {
        Binding {
            kind: kind.to_string(),
            operation_sha256: operation_digest(operation),
            target: target.to_string(),
            cwd: cwd.to_path_buf(),
            findings_sha256: String::new(),
        }
    }

    /// The same binding, for an operation whose verdict is `verdict`.
    pub fn with_findings(mut self, verdict: &dbguard_risk::Verdict) -> Binding {
        use sha2::{Digest, Sha256};
        let mut found: Vec<String> = verdict
            .findings
            .iter()
            .map(|f| format!("{}\u{1f}{}", f.rule.id(), f.text))
            .collect();
        found.sort();
        found.dedup();
        self.findings_sha256 = hex::encode(Sha256::digest(found.join("\u{1e}").as_bytes()));
        self
    }
}

impl Approval {
    /// `pending`, `approved`, `used`, `denied` or `expired` at `now`, as the file says.
    pub fn state(&self, now: DateTime<Utc>) -> &'static str {
        if self.used_at.is_some() {
            "used"
        } else if self.denied.is_some() {
            "denied"
        } else if now >= self.expires_at {
            "expired"
        } else if self.approved.is_some() {
            "approved"
        } else {
            "pending"
        }
    }

    /// [`Approval::state`], but `unsigned` when it says it was approved
    /// without the signature of `trusted` (or with no approver trusted).
    pub fn listed_state(&self, trusted: Option<&Approver>, now: DateTime<Utc>) -> &'static str {
        match (&self.approved, trusted) {
            (Some(_), Some(approver)) if !self.signed_by(approver) => "unsigned",
            (Some(_), None) => "unsigned",
            _ => self.state(now),
        }
    }

    /// The bytes the approver signs to approve this, at `at` by `by`.
    pub fn signed_bytes(&self, at: DateTime<Utc>, by: &str) -> Vec<u8> {
        serde_json::to_vec(&Payload {
            purpose: "dbguard approval v1",
            id: &self.id,
            binding: &self.binding,
            risk: &self.risk,
            expires_at: self.expires_at.to_rfc3339(),
            nonce: &self.nonce,
            approved_at: at.to_rfc3339(),
            approved_by: by,
        })
        .expect("payloads serialise")
    }

    /// Whether it carries a valid signature of `approver` over exactly what it says.
    pub fn signed_by(&self, approver: &Approver) -> bool {
        self.approved.as_ref().is_some_and(|signed| {
            approver.verifies(
                &signed.fingerprint,
                &self.signed_bytes(signed.at, &signed.by),
                &signed.signature,
            )
        })
    }
}

/// The approvals of a project (`.dbguard/approvals/`).
pub struct Approvals {
    dir: PathBuf,
    state_dir: PathBuf,
}

impl Approvals {
    /// The approvals kept under `state_dir`.
    pub fn new(state_dir: &Path) -> Approvals {
        Approvals {
            dir: state_dir.join("approvals"),
            state_dir: state_dir.to_path_buf(),
        }
    }

    fn path(&self, id: &str) -> PathBuf {
        self.dir.join(format!("{id}.json"))
    }

    fn save(&self, approval: &Approval) -> Result<()> {
        crate::private_file::write(
            &self.path(&approval.id),
            &serde_json::to_vec_pretty(approval).expect("approvals serialise"),
        )
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
    #[allow(clippy::too_many_arguments)]
    pub fn request(
        &self,
        binding: &Binding,
        operation: &str,
        target_display: &str,
        risk: &str,
        kinds: &[String],
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
            nonce: dbguard_pg::random::random_hex(16)?,
            approved: None,
            used_at: None,
            kinds: kinds.to_vec(),
            window: None,
            denied: None,
        };
        self.save(&approval)?;
        Ok(approval)
    }

    /// Approves `id` as `by`, signed with the person's unlocked key.
    pub fn approve(&self, id: &str, by: &str, key: &Unlocked) -> Result<Approval> {
        let mut approval = self.get(id)?;
        match approval.state(Utc::now()) {
            "pending" => {}
            state => {
                return Err(Error::Approval(format!(
                    "approval `{id}` is {state}; it cannot be approved"
                )))
            }
        }
        let at = Utc::now();
        approval.approved = Some(Signed {
            at,
            by: by.to_string(),
            fingerprint: key.fingerprint(),
            signature: key.sign(&approval.signed_bytes(at, by)),
        });
        self.save(&approval)?;
        Ok(approval)
    }

    /// Loads the approval `id`, lets `change` revise it, and saves it.
    pub fn revise(&self, id: &str, change: impl FnOnce(&mut Approval) -> Result<()>) -> Result<Approval> {
        let mut approval = self.get(id)?;
        change(&mut approval)?;
        self.save(&approval)?;
        Ok(approval)
    }

    /// Denies the pending approval `id` as `by`: it approves nothing, ever.
    pub fn deny(&self, id: &str, by: &str) -> Result<Approval> {
        let mut approval = self.get(id)?;
        match approval.state(Utc::now()) {
            "pending" => {}
            state => {
                return Err(Error::Approval(format!(
                    "approval `{id}` is {state}; only a pending approval can be denied"
                )))
            }
        }
        approval.denied = Some(Denied {
            at: Utc::now(),
            by: by.to_string(),
        });
        self.save(&approval)?;
        Ok(approval)
    }

    /// Records the window the approval of `id` opened.
    pub fn set_window(&self, id: &str, token: &str) -> Result<()> {
        let mut approval = self.get(id)?;
        approval.window = Some(token.to_string());
        self.save(&approval)
    }

    /// Takes the approval for exactly `binding`: signed by `approver`,
    /// unexpired, and not used according to `log`, which must be intact.
    /// Its use is written to `log` (as `usage`, with the approval's nonce)
    /// before it is returned, so it cannot be used twice.
    pub fn take(
        &self,
        binding: &Binding,
        approver: &Approver,
        log: &AuditLog,
        mut usage: Entry,
    ) -> Result<Option<Approval>> {
        let now = Utc::now();
        let candidates: Vec<Approval> = self
            .all()
            .into_iter()
            .filter(|a| {
                &a.binding == binding
                    && a.approved.is_some()
                    && a.denied.is_none()
                    && a.used_at.is_none()
                    && now < a.expires_at
            })
            .collect();
        if candidates.is_empty() {
            return Ok(None);
        }
        let Some(mut approval) = candidates.iter().find(|a| a.signed_by(approver)).cloned() else {
            return Err(Error::Approval(format!(
                "approval `{}` says it was approved, but it does not carry the approver's signature: it was \
                 not given by a person with dbguard approve, so it approves nothing",
                candidates[0].id
            )));
        };
        let fingerprint = approver.fingerprint();
        let verification = log.verify(&Trust {
            approver: Some(approver),
            pinned: pinned(&self.state_dir)?.as_deref().or(Some(&fingerprint)),
        })?;
        if !verification.intact {
            return Err(Error::Approval(format!(
                "the audit log has been altered ({}), so no approval can be trusted to be unused; a person \
                 must look at `dbguard audit verify`",
                verification.problems.join("; ")
            )));
        }
        if log.spent(&approval.nonce)? {
            return Err(Error::Approval(format!(
                "approval `{}` was already used; an approval runs its operation once",
                approval.id
            )));
        }
        usage.nonce = Some(approval.nonce.clone());
        usage.outcome = "approval-used".to_string();
        usage.approval = Some(approval.id.clone());
        log.append(usage)?;
        approval.used_at = Some(now);
        self.save(&approval)?;
        Ok(Some(approval))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::approver::{pin, ApproverDir};

    const PASS: &str = "correct horse battery staple";

    fn binding(op: &str, target: &str) -> Binding {
        Binding::new("shell", op, target, Path::new("/p"))
    }

    struct Project {
        _dir: tempfile::TempDir,
        state: PathBuf,
        approver: Approver,
        log: AuditLog,
        approvals: Approvals,
    }

    fn project() -> Project {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join(".dbguard");
        let at = ApproverDir::at(dir.path().join("approver"));
        let approver = Approver::init(&at, PASS).unwrap();
        pin(&state, &approver.fingerprint()).unwrap();
        let log = AuditLog::mirrored(&state, at.project(&state));
        let approvals = Approvals::new(&state);
        Project {
            _dir: dir,
            state,
            approver,
            log,
            approvals,
        }
    }

    impl Project {
        fn request(&self, b: &Binding, ttl: Duration) -> Approval {
            self.approvals
                .request(b, "op", "postgresql://x/farm", "high", &[], "block", ttl)
                .unwrap()
        }

        /// What `dbguard approve` does: sign, and record it signed.
        fn approve(&self, id: &str) -> Approval {
            let key = self.approver.unlock(PASS).unwrap();
            let approved = self.approvals.approve(id, "alice", &key).unwrap();
            self.log
                .append_signed(Entry::new("approval", id, "approved"), &key)
                .unwrap();
            approved
        }

        fn take(&self, b: &Binding) -> Result<Option<Approval>> {
            self.approvals
                .take(b, &self.approver, &self.log, Entry::new("shell", "op", "x"))
        }

        fn file(&self, id: &str) -> PathBuf {
            self.state.join("approvals").join(format!("{id}.json"))
        }
    }

    #[test]
    fn an_approval_is_bound_expires_and_is_used_once() {
        let p = project();
        let wanted = binding("psql -c 'TRUNCATE batches'", "sys1/farm");
        let pending = p.request(&wanted, Duration::minutes(15));
        assert_eq!(p.request(&wanted, Duration::minutes(15)).id, pending.id);
        assert!(p.take(&wanted).unwrap().is_none(), "pending is not approved");

        p.approve(&pending.id);
        assert!(p
            .take(&binding("psql -c 'TRUNCATE tasks'", "sys1/farm"))
            .unwrap()
            .is_none());
        assert!(p
            .take(&binding("psql -c 'TRUNCATE batches'", "sys1/other"))
            .unwrap()
            .is_none());
        let used = p.take(&wanted).unwrap().unwrap();
        assert_eq!(used.approved.unwrap().by, "alice");
        assert!(p.take(&wanted).unwrap().is_none(), "used once");
        let key = p.approver.unlock(PASS).unwrap();
        assert!(p.approvals.approve(&pending.id, "alice", &key).is_err());

        let short = p.request(&binding("dropdb farm", "sys1/farm"), Duration::seconds(-1));
        assert_eq!(short.state(Utc::now()), "expired");
        assert!(p.approvals.approve(&short.id, "alice", &key).is_err());
        assert!(p.approvals.get("../../etc/passwd").is_err());
    }

    #[test]
    fn a_denied_approval_approves_nothing_and_the_operation_asks_anew() {
        let p = project();
        let wanted = binding("dropdb farm", "sys1/farm");
        let pending = p.request(&wanted, Duration::minutes(15));
        let denied = p.approvals.deny(&pending.id, "alice").unwrap();
        assert_eq!(denied.state(Utc::now()), "denied");
        let key = p.approver.unlock(PASS).unwrap();
        assert!(p.approvals.approve(&pending.id, "alice", &key).is_err());
        assert!(p.approvals.deny(&pending.id, "alice").is_err(), "denied once");
        assert!(p.take(&wanted).unwrap().is_none());
        let again = p.request(&wanted, Duration::minutes(15));
        assert_ne!(again.id, pending.id, "a new request waits for a new answer");
    }

    #[test]
    fn edited_minted_and_replayed_files_approve_nothing() {
        let p = project();
        let wanted = binding("psql -c 'TRUNCATE batches'", "sys1/farm");

        // A pending approval edited to look approved.
        let pending = p.request(&wanted, Duration::minutes(15));
        let mut forged = pending.clone();
        forged.approved = Some(Signed {
            at: Utc::now(),
            by: "alice".into(),
            fingerprint: p.approver.fingerprint(),
            signature: "00".repeat(64),
        });
        fs::write(p.file(&pending.id), serde_json::to_vec(&forged).unwrap()).unwrap();
        assert!(p.take(&wanted).is_err(), "an unsigned approval is refused");

        // A real signature moved onto another operation.
        fs::write(p.file(&pending.id), serde_json::to_vec(&pending).unwrap()).unwrap();
        let real = p.approve(&pending.id);
        let mut moved = real.clone();
        moved.binding = binding("psql -c 'DROP SCHEMA public CASCADE'", "sys1/farm");
        moved.id = "feedbeef".into();
        fs::write(p.file("feedbeef"), serde_json::to_vec(&moved).unwrap()).unwrap();
        assert!(
            p.take(&moved.binding).is_err(),
            "a signature covers its own binding"
        );
        fs::remove_file(p.file("feedbeef")).unwrap();

        // Its expiry pushed back.
        let mut later = real.clone();
        later.expires_at += Duration::hours(5);
        fs::write(p.file(&real.id), serde_json::to_vec(&later).unwrap()).unwrap();
        assert!(p.take(&wanted).is_err(), "a signature covers the expiry");

        // Used once, then put back as it was before use.
        fs::write(p.file(&real.id), serde_json::to_vec(&real).unwrap()).unwrap();
        assert!(p.take(&wanted).unwrap().is_some());
        fs::write(p.file(&real.id), serde_json::to_vec(&real).unwrap()).unwrap();
        assert!(p.take(&wanted).is_err(), "a used approval stays used");
    }

    #[test]
    fn an_altered_log_trusts_no_approval() {
        let p = project();
        let wanted = binding("dropdb farm", "sys1/farm");
        let pending = p.request(&wanted, Duration::minutes(15));
        let real = p.approve(&pending.id);
        assert!(p.take(&wanted).unwrap().is_some());
        // Replay: the used file put back and the log's last line (the use) cut off.
        fs::write(p.file(&real.id), serde_json::to_vec(&real).unwrap()).unwrap();
        let text = fs::read_to_string(p.log.path()).unwrap();
        let kept: Vec<&str> = text.lines().collect();
        fs::write(p.log.path(), format!("{}\n", kept[..kept.len() - 1].join("\n"))).unwrap();
        let err = p.take(&wanted).unwrap_err().to_string();
        assert!(err.contains("audit log has been altered"), "{err}");
    }
}
