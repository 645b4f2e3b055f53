//! The audit log: one JSON line per protocol run in `.dbguard/audit.log`
//! (mode 0600), each carrying the SHA-256 of the line before it, and a head
//! file with the line count and the last line's hash. An edited, removed or
//! reordered line breaks the chain, and `verify` says where.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::os::fd::AsRawFd;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// The hash before the first line.
const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One protocol run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// Position in the log, from 1.
    pub seq: u64,
    /// When it ended.
    pub time: DateTime<Utc>,
    /// The OS user.
    pub os_user: String,
    /// The agent marker found in the environment, if any.
    pub agent: Option<String>,
    /// `shell` or `sql`.
    pub kind: String,
    /// The command line or SQL.
    pub operation: String,
    /// The working folder.
    pub cwd: PathBuf,
    /// The target database, without password.
    pub target: Option<String>,
    /// The verdict's risk.
    pub risk: String,
    /// The rules that matched.
    pub rules: Vec<String>,
    /// The approval used, and how it was given.
    pub approval: Option<String>,
    /// The backup taken first.
    pub backup: Option<String>,
    /// `executed`, `failed`, `pending-approval`, `refused`, `cancelled`.
    pub outcome: String,
    /// The operation's exit code, when it ran.
    pub exit_code: Option<i32>,
    /// Milliseconds from start to end.
    pub duration_ms: u64,
    /// SHA-256 of the previous line.
    pub prev: String,
}

/// What `append` needs; `seq` and `prev` are filled in.
pub type Record = Entry;

#[derive(Debug, Serialize, Deserialize)]
struct Head {
    lines: u64,
    last: String,
}

/// The log at `dir/audit.log`.
pub struct AuditLog {
    path: PathBuf,
    head: PathBuf,
    lock: PathBuf,
}

/// The outcome of `verify`.
#[derive(Debug, Clone, Serialize)]
pub struct Verification {
    /// Lines read.
    pub lines: u64,
    /// Whether the chain is whole.
    pub intact: bool,
    /// What is wrong, line by line.
    pub problems: Vec<String>,
}

impl AuditLog {
    /// The log in `dir` (usually `.dbguard`).
    pub fn new(dir: &Path) -> AuditLog {
        AuditLog {
            path: dir.join("audit.log"),
            head: dir.join("audit.head"),
            lock: dir.join("audit.lock"),
        }
    }

    /// The log file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends `record` (its `seq` and `prev` are set here) and returns it.
    pub fn append(&self, mut record: Record) -> Result<Entry> {
        if let Some(dir) = self.path.parent() {
            fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        }
        let lock = private(&self.lock, false)?;
        // SAFETY: the descriptor is valid while `lock` lives; flock only locks it.
        if unsafe { libc::flock(lock.as_raw_fd(), libc::LOCK_EX) } != 0 {
            return Err(Error::io(&self.lock, std::io::Error::last_os_error()));
        }
        let (lines, last) = self.last_line()?;
        record.seq = lines + 1;
        record.prev = last;
        let line = serde_json::to_string(&record).expect("entries serialise");
        let mut file = private(&self.path, true)?;
        file.write_all(format!("{line}\n").as_bytes())
            .map_err(|e| Error::io(&self.path, e))?;
        file.sync_all().map_err(|e| Error::io(&self.path, e))?;
        let head = Head {
            lines: record.seq,
            last: sha256(&line),
        };
        // The head is as private as the log: written to a fresh 0600 file, then renamed over.
        let tmp = self.head.with_extension("tmp");
        let _ = fs::remove_file(&tmp);
        let mut tmp_file = private(&tmp, false)?;
        tmp_file
            .write_all(&serde_json::to_vec(&head).expect("heads serialise"))
            .and_then(|()| tmp_file.sync_all())
            .map_err(|e| Error::io(&tmp, e))?;
        fs::rename(&tmp, &self.head).map_err(|e| Error::io(&self.head, e))?;
        Ok(record)
    }

    fn last_line(&self) -> Result<(u64, String)> {
        let text = match fs::read_to_string(&self.path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((0, GENESIS.to_string())),
            Err(e) => return Err(Error::io(&self.path, e)),
        };
        let lines: Vec<&str> = text.lines().collect();
        Ok(match lines.last() {
            Some(last) => (lines.len() as u64, sha256(last)),
            None => (0, GENESIS.to_string()),
        })
    }

    /// Every entry, oldest first (lines that do not parse are skipped; `verify` reports them).
    pub fn entries(&self) -> Result<Vec<Entry>> {
        let text = match fs::read_to_string(&self.path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(Error::io(&self.path, e)),
        };
        Ok(text
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect())
    }

    /// Checks the chain line by line, and the head.
    pub fn verify(&self) -> Result<Verification> {
        let text = match fs::read_to_string(&self.path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => return Err(Error::io(&self.path, e)),
        };
        let mut problems = Vec::new();
        let mut prev = GENESIS.to_string();
        let mut count = 0u64;
        for (i, line) in text.lines().enumerate() {
            let n = i as u64 + 1;
            count = n;
            match serde_json::from_str::<Entry>(line) {
                Ok(entry) => {
                    if entry.prev != prev {
                        problems.push(format!(
                            "line {n}: does not follow the line before it (edited, removed or reordered)"
                        ));
                    }
                    if entry.seq != n {
                        problems.push(format!(
                            "line {n}: is entry {} (lines missing or reordered)",
                            entry.seq
                        ));
                    }
                }
                Err(_) => problems.push(format!("line {n}: is not an audit entry")),
            }
            prev = sha256(line);
        }
        match fs::read(&self.head).ok().and_then(|b| serde_json::from_slice::<Head>(&b).ok()) {
            Some(head) if head.lines == count && head.last == prev => {}
            Some(head) => problems.push(format!(
                "the log has {count} lines ending in {}…, but the head records {} lines ending in {}… (lines removed or edited at the end)",
                &prev[..12],
                head.lines,
                &head.last[..12.min(head.last.len())]
            )),
            None if count == 0 => {}
            None => problems.push("the head file is missing or unreadable".to_string()),
        }
        Ok(Verification {
            lines: count,
            intact: problems.is_empty(),
            problems,
        })
    }
}

fn private(path: &Path, append: bool) -> Result<fs::File> {
    OpenOptions::new()
        .create(true)
        .append(append)
        .write(!append)
        .truncate(false)
        .mode(0o600)
        .open(path)
        .map_err(|e| Error::io(path, e))
}

fn sha256(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(op: &str) -> Record {
        Entry {
            seq: 0,
            time: Utc::now(),
            os_user: "me".into(),
            agent: None,
            kind: "shell".into(),
            operation: op.into(),
            cwd: "/p".into(),
            target: None,
            risk: "high".into(),
            rules: vec!["truncate".into()],
            approval: None,
            backup: None,
            outcome: "executed".into(),
            exit_code: Some(0),
            duration_ms: 1,
            prev: String::new(),
        }
    }

    fn log_with(n: usize) -> (tempfile::TempDir, AuditLog) {
        let dir = tempfile::tempdir().unwrap();
        let log = AuditLog::new(dir.path());
        for i in 0..n {
            log.append(record(&format!("op {i}"))).unwrap();
        }
        (dir, log)
    }

    fn rewrite(log: &AuditLog, edit: impl FnOnce(&mut Vec<String>)) {
        let mut lines: Vec<String> = fs::read_to_string(log.path())
            .unwrap()
            .lines()
            .map(String::from)
            .collect();
        edit(&mut lines);
        fs::write(
            log.path(),
            lines.iter().map(|l| format!("{l}\n")).collect::<String>(),
        )
        .unwrap();
    }

    #[test]
    fn an_untouched_chain_verifies() {
        let (_dir, log) = log_with(5);
        let v = log.verify().unwrap();
        assert!(v.intact, "{:?}", v.problems);
        assert_eq!(v.lines, 5);
        assert_eq!(log.entries().unwrap()[4].seq, 5);
        use std::os::unix::fs::PermissionsExt;
        for file in [log.path().to_path_buf(), log.path().with_file_name("audit.head")] {
            assert_eq!(
                fs::metadata(&file).unwrap().permissions().mode() & 0o777,
                0o600,
                "{}",
                file.display()
            );
        }
    }

    #[test]
    fn deleted_edited_and_reordered_lines_are_detected() {
        type Edit = Box<dyn FnOnce(&mut Vec<String>)>;
        let cases: Vec<(&str, Edit)> = vec![
            (
                "deleted in the middle",
                Box::new(|l: &mut Vec<String>| {
                    l.remove(2);
                }),
            ),
            (
                "deleted at the end",
                Box::new(|l: &mut Vec<String>| {
                    l.pop();
                }),
            ),
            (
                "edited",
                Box::new(|l: &mut Vec<String>| l[1] = l[1].replace("op 1", "op X")),
            ),
            ("reordered", Box::new(|l: &mut Vec<String>| l.swap(1, 3))),
            (
                "edited at the end",
                Box::new(|l: &mut Vec<String>| l[4] = l[4].replace("\"executed\"", "\"refused\"")),
            ),
        ];
        for (name, edit) in cases {
            let (_dir, log) = log_with(5);
            rewrite(&log, edit);
            let v = log.verify().unwrap();
            assert!(!v.intact, "{name} was not detected");
        }
    }
}
