//! The audit log: one JSON line per protocol run in `.dbguard/audit.log`
//! (mode 0600), each carrying the SHA-256 of the line before it, and a head
//! file with the line count and the last line's hash. An edited, removed or
//! reordered line breaks the chain, and `verify` says where.
//!
//! A chain without a key can be recomputed by whoever can write the file, so
//! two more things hold it: entries a person makes (setting up the approver,
//! approving) are signed with the approver's key, and each signature covers
//! the hash of everything before it; and a copy of the head is kept in the
//! approver's folder, outside the project. Deleting the log, cutting lines
//! off its end, or recomputing the chain is then reported, not "intact".

use std::fs::{self, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::fd::AsRawFd;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::approver::{Approver, Unlocked};
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
    /// The nonce of the approval this entry approved or used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
    /// SHA-256 of the previous line.
    pub prev: String,
    /// The approver's signature over this entry (made without this field),
    /// on entries a person made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<EntrySignature>,
}

/// What `dbguard --format json audit` prints.
#[derive(Debug, Clone, Serialize)]
pub struct Listing {
    /// The log, oldest first.
    pub entries: Vec<Entry>,
    /// Refusals recorded inside the protected database, newest first.
    pub refusals: Vec<crate::protect::Refusal>,
}

/// Who signed an entry, and the signature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntrySignature {
    /// The signing key's fingerprint.
    pub fingerprint: String,
    /// The Ed25519 signature, hex.
    pub signature: String,
}

impl Entry {
    /// A new entry of `kind` about `operation` with `outcome`, now, by this
    /// OS user; the rest empty.
    pub fn new(kind: &str, operation: &str, outcome: &str) -> Entry {
        Entry {
            seq: 0,
            time: Utc::now(),
            os_user: dbguard_pg::osuser::current_user_name(),
            agent: None,
            kind: kind.to_string(),
            operation: operation.to_string(),
            cwd: std::env::current_dir().unwrap_or_default(),
            target: None,
            risk: String::new(),
            rules: Vec::new(),
            approval: None,
            backup: None,
            outcome: outcome.to_string(),
            exit_code: None,
            duration_ms: 0,
            nonce: None,
            prev: String::new(),
            signature: None,
        }
    }

    /// The bytes a signature covers: the entry as JSON without its signature.
    fn signed_bytes(&self) -> Vec<u8> {
        let mut unsigned = self.clone();
        unsigned.signature = None;
        serde_json::to_vec(&unsigned).expect("entries serialise")
    }
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
    mirror: Option<PathBuf>,
}

/// What `verify` checks signatures and the pin against.
pub struct Trust<'a> {
    /// The approver, when one is configured.
    pub approver: Option<&'a Approver>,
    /// The fingerprint the project pinned, if any.
    pub pinned: Option<&'a str>,
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
            mirror: None,
        }
    }

    /// The log in `dir`, with a copy of its head kept in `mirror` (the
    /// project's folder in the approver's folder).
    pub fn mirrored(dir: &Path, mirror: PathBuf) -> AuditLog {
        AuditLog {
            mirror: Some(mirror.join("audit.head")),
            ..AuditLog::new(dir)
        }
    }

    /// The log file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends `record` (its `seq` and `prev` are set here) and returns it.
    pub fn append(&self, record: Record) -> Result<Entry> {
        self.append_as(record, None)
    }

    /// Appends `record` signed by the unlocked approver.
    pub fn append_signed(&self, record: Record, signer: &Unlocked) -> Result<Entry> {
        self.append_as(record, Some(signer))
    }

    fn append_as(&self, mut record: Record, signer: Option<&Unlocked>) -> Result<Entry> {
        if let Some(dir) = self.path.parent() {
            fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        }
        let lock = private(&self.lock, false)?;
        // SAFETY: the descriptor is valid while `lock` lives; flock only locks it.
        if unsafe { libc::flock(lock.as_raw_fd(), libc::LOCK_EX) } != 0 {
            return Err(Error::io(&self.lock, std::io::Error::last_os_error()));
        }
        let (lines, last) = self.continued_from()?;
        record.seq = lines + 1;
        record.prev = last;
        if let Some(signer) = signer {
            record.signature = Some(EntrySignature {
                fingerprint: signer.fingerprint(),
                signature: signer.sign(&record.signed_bytes()),
            });
        }
        let line = serde_json::to_string(&record).expect("entries serialise");
        let mut file = private(&self.path, true)?;
        file.write_all(format!("{line}\n").as_bytes())
            .map_err(|e| Error::io(&self.path, e))?;
        file.sync_all().map_err(|e| Error::io(&self.path, e))?;
        let head = Head {
            lines: record.seq,
            last: sha256(&line),
        };
        write_head(&self.head, &head)?;
        if let Some(mirror) = &self.mirror {
            write_head(mirror, &head)?;
        }
        Ok(record)
    }

    /// Where the next line continues the chain: the log's last line, unless
    /// a head (the mirrored copy first) records something else, in which case
    /// the head's record is continued, so that a cut or rewritten log stays
    /// visibly broken instead of being healed by the next entry.
    fn continued_from(&self) -> Result<(u64, String)> {
        let (lines, last) = self.last_line()?;
        let recorded = self
            .mirror
            .as_deref()
            .and_then(read_head)
            .or_else(|| read_head(&self.head));
        Ok(match recorded {
            Some(head) if head.lines != lines || head.last != last => (head.lines, head.last),
            _ => (lines, last),
        })
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

    /// Whether an entry records the approval with `nonce` as used.
    pub fn spent(&self, nonce: &str) -> Result<bool> {
        Ok(self
            .entries()?
            .iter()
            .any(|e| e.nonce.as_deref() == Some(nonce) && e.outcome == "approval-used"))
    }

    /// Checks the chain line by line, the head and its copy, and every
    /// signature against `trust`.
    pub fn verify(&self, trust: &Trust) -> Result<Verification> {
        Ok(self.read(trust, Reading::default())?.1)
    }

    /// Reads the log on from `previous` (a [`Reading`] of it made earlier,
    /// or a new one): only the lines appended since are parsed and checked,
    /// unless the bytes read before changed or `trust` did, when it is read
    /// from the start. Returns the reading to continue next time and what
    /// [`AuditLog::verify`] says of the log now (the same, either way).
    pub fn read(&self, trust: &Trust, previous: Reading) -> Result<(Reading, Verification)> {
        let started = std::time::SystemTime::now();
        let before = Stamp::of(&self.path);
        if before.is_some() && before == previous.stamp && previous.trusted == trust.identity() {
            let chain = previous.chain.clone();
            return Ok((previous, self.conclude(chain, trust)));
        }
        let io = |e| Error::io(&self.path, e);
        let (mut reading, text) = match fs::File::open(&self.path) {
            Ok(mut file) => {
                let reading = previous.continued(&mut file, trust.identity()).map_err(io)?;
                let mut text = String::new();
                file.read_to_string(&mut text).map_err(io)?;
                (reading, text)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => (Reading::default(), String::new()),
            Err(e) => return Err(io(e)),
        };
        // `text` is what follows the bytes already read.
        let whole = text.rfind('\n').map_or(0, |i| i + 1);
        reading.stamp = before
            .filter(|b| whole == text.len() && Stamp::of(&self.path) == Some(*b) && b.settled_by(started));
        let appended = &text[..whole];
        reading.digest.update(appended.as_bytes());
        reading.bytes += whole;
        for line in appended.lines() {
            if let Some(entry) = reading.chain.take(line, trust) {
                reading.entries.push(entry);
            }
        }
        // A last line without its newline (cut, or being written) is checked
        // as a line, and read again next time.
        let mut chain = reading.chain.clone();
        if whole < text.len() {
            chain.take(&text[whole..], trust);
        }
        Ok((reading, self.conclude(chain, trust)))
    }

    /// The verification of a log whose lines left `chain`: the head, its
    /// copy and the pin checked against them.
    fn conclude(&self, chain: Chain, trust: &Trust) -> Verification {
        let Chain {
            lines: count,
            prev,
            signed_by_pin,
            mut problems,
        } = chain;
        match read_head(&self.head) {
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
        if let Some(mirror) = &self.mirror {
            match read_head(mirror) {
                Some(copy) if copy.lines == count && copy.last == prev => {}
                Some(copy) => problems.push(format!(
                    "the copy of the head kept in {} records {} lines ending in {}…, but the log has {count} \
                     (the log was cut, deleted or rewritten)",
                    mirror.display(),
                    copy.lines,
                    &copy.last[..12.min(copy.last.len())]
                )),
                None if count == 0 => {}
                None => problems.push(format!(
                    "the copy of the head that should be in {} is missing",
                    mirror.display()
                )),
            }
        }
        if let (Some(pin), false) = (trust.pinned, signed_by_pin) {
            problems.push(format!(
                "the project pinned approver {pin}, but no entry signed by that approver is in the log \
                 (the log was deleted or replaced)"
            ));
        }
        Verification {
            lines: count,
            intact: problems.is_empty(),
            problems,
        }
    }
}

/// The chain's state after some lines.
#[derive(Debug, Clone)]
struct Chain {
    /// Lines taken.
    lines: u64,
    /// The hash of the last one.
    prev: String,
    /// Whether an entry signed by the pinned approver was among them.
    signed_by_pin: bool,
    /// What is wrong with them.
    problems: Vec<String>,
}

impl Default for Chain {
    fn default() -> Chain {
        Chain {
            lines: 0,
            prev: GENESIS.to_string(),
            signed_by_pin: false,
            problems: Vec::new(),
        }
    }
}

impl Chain {
    /// Checks the next line; its entry, when it is one.
    fn take(&mut self, line: &str, trust: &Trust) -> Option<Entry> {
        self.lines += 1;
        let n = self.lines;
        let parsed = serde_json::from_str::<Entry>(line).ok();
        match &parsed {
            Some(entry) => {
                if entry.prev != self.prev {
                    self.problems.push(format!(
                        "line {n}: does not follow the line before it (edited, removed or reordered)"
                    ));
                }
                if entry.seq != n {
                    self.problems.push(format!(
                        "line {n}: is entry {} (lines missing or reordered)",
                        entry.seq
                    ));
                }
                if let Some(signed) = &entry.signature {
                    match trust.approver {
                        Some(approver)
                            if approver.verifies(
                                &signed.fingerprint,
                                &entry.signed_bytes(),
                                &signed.signature,
                            ) =>
                        {
                            self.signed_by_pin |= trust.pinned.is_none_or(|pin| {
                                approver.key_for(pin).is_some()
                                    && approver.key_for(&signed.fingerprint).is_some()
                            });
                        }
                        Some(_) => self.problems.push(format!(
                            "line {n}: its signature is not the approver's (the entry, or a line before \
                             it, was changed)"
                        )),
                        None => self.problems.push(format!(
                            "line {n}: is signed, but no approver is set up to check it against"
                        )),
                    }
                }
            }
            None => self.problems.push(format!("line {n}: is not an audit entry")),
        }
        self.prev = sha256(line);
        parsed
    }
}

/// What a [`Trust`] trusts: the approver's keys and the pin.
type TrustIdentity = (Vec<String>, Option<String>);

impl Trust<'_> {
    fn identity(&self) -> TrustIdentity {
        (
            self.approver
                .map(Approver::trusted_fingerprints)
                .unwrap_or_default(),
            self.pinned.map(str::to_string),
        )
    }
}

/// What tells one content of the log file from another without reading
/// it: device, inode, length, modification and change time. No program
/// sets the change time (every write, truncation or `touch` sets it to the
/// kernel's clock), so an unchanged stamp means unchanged bytes, unless the
/// file changed again within the clock's tick; so, as git does for its
/// index, a stamp is only trusted when the file had not changed for a
/// while when it was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stamp {
    dev: u64,
    ino: u64,
    len: u64,
    modified: (i64, i64),
    changed: (i64, i64),
}

impl Stamp {
    /// Seconds a file must have been left alone for its stamp to be trusted.
    const SETTLED_SECONDS: i64 = 2;

    fn of(path: &Path) -> Option<Stamp> {
        use std::os::unix::fs::MetadataExt;
        let m = fs::metadata(path).ok()?;
        Some(Stamp {
            dev: m.dev(),
            ino: m.ino(),
            len: m.len(),
            modified: (m.mtime(), m.mtime_nsec()),
            changed: (m.ctime(), m.ctime_nsec()),
        })
    }

    /// Whether the file had last changed well before `read_at`.
    fn settled_by(&self, read_at: std::time::SystemTime) -> bool {
        let read_at = read_at
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        self.changed.0 + Stamp::SETTLED_SECONDS <= read_at
    }
}

/// A reading of the log that [`AuditLog::read`] continues: the entries and
/// the chain's state after the whole lines read, with a digest of their
/// bytes and what they were checked against, so that a log changed before
/// its end (or a changed trust) is read again from the start.
#[derive(Debug, Clone, Default)]
pub struct Reading {
    /// Bytes of whole lines read.
    bytes: usize,
    /// SHA-256 of those bytes, so far.
    digest: Sha256,
    /// The trust the lines were checked against.
    trusted: TrustIdentity,
    /// The chain after them.
    chain: Chain,
    /// Their entries (lines that are not entries left out), oldest first.
    entries: Vec<Entry>,
    /// The file's stamp when it was read whole and had settled: while it
    /// is the same, the file is not read again.
    stamp: Option<Stamp>,
}

impl Reading {
    /// The entries of the log's whole lines, oldest first (lines that are
    /// not entries left out; the verification reports them).
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// This reading, with `log` read up to where it stopped, when `log`
    /// still begins with the bytes it read and `trusted` is what they were
    /// checked against; otherwise a new one, with `log` at its start.
    fn continued(self, log: &mut fs::File, trusted: TrustIdentity) -> std::io::Result<Reading> {
        if self.bytes > 0 && self.trusted == trusted && self.begins(log)? {
            return Ok(self);
        }
        log.seek(SeekFrom::Start(0))?;
        Ok(Reading {
            trusted,
            ..Reading::default()
        })
    }

    /// Whether `log` begins with the bytes read (it is read that far, a
    /// piece at a time: they are neither kept nor checked as text again).
    fn begins(&self, log: &mut fs::File) -> std::io::Result<bool> {
        let mut digest = Sha256::new();
        const PIECE: usize = 1 << 20;
        let mut piece = vec![0; PIECE];
        let mut left = self.bytes;
        while left > 0 {
            let n = log.read(&mut piece[..left.min(PIECE)])?;
            if n == 0 {
                return Ok(false);
            }
            digest.update(&piece[..n]);
            left -= n;
        }
        Ok(digest.finalize() == self.digest.clone().finalize())
    }
}

fn read_head(path: &Path) -> Option<Head> {
    fs::read(path).ok().and_then(|b| serde_json::from_slice(&b).ok())
}

/// Writes a head as private as the log.
fn write_head(path: &Path, head: &Head) -> Result<()> {
    crate::private_file::write(path, &serde_json::to_vec(head).expect("heads serialise"))
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
    hex::encode(Sha256::digest(text.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(op: &str) -> Record {
        let mut entry = Entry::new("shell", op, "executed");
        entry.risk = "high".into();
        entry.rules = vec!["truncate".into()];
        entry
    }

    const NO_TRUST: Trust = Trust {
        approver: None,
        pinned: None,
    };

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
        let v = log.verify(&NO_TRUST).unwrap();
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
            let v = log.verify(&NO_TRUST).unwrap();
            assert!(!v.intact, "{name} was not detected");
        }
    }

    /// Rewrites the log as a forger would: every line re-chained, the head recomputed.
    fn rechain(log: &AuditLog, edit: impl FnOnce(&mut Vec<Entry>)) {
        let mut entries = log.entries().unwrap();
        edit(&mut entries);
        fs::remove_file(log.path()).unwrap();
        let _ = fs::remove_file(log.path().with_file_name("audit.head"));
        let plain = AuditLog::new(log.path().parent().unwrap());
        for mut entry in entries {
            entry.seq = 0;
            plain.append(entry).unwrap();
        }
    }

    /// A pinned approver and a mirrored log of three entries, the second signed.
    fn signed_log() -> (tempfile::TempDir, crate::approver::Approver, AuditLog) {
        use crate::approver::{pin, Approver, ApproverDir};
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join(".dbguard");
        let at = ApproverDir::at(dir.path().join("approver"));
        let approver = Approver::init(&at, "correct horse battery staple").unwrap();
        let unlocked = approver.unlock("correct horse battery staple").unwrap();
        pin(&state, &approver.fingerprint()).unwrap();
        let log = AuditLog::mirrored(&state, at.project(&state));
        log.append(record("op 0")).unwrap();
        log.append_signed(record("approved"), &unlocked).unwrap();
        log.append(record("op 2")).unwrap();
        (dir, approver, log)
    }

    #[test]
    fn signatures_and_the_mirrored_head_catch_a_recomputed_chain() {
        let (_dir, approver, log) = signed_log();
        let fingerprint = approver.fingerprint();
        let trust = Trust {
            approver: Some(&approver),
            pinned: Some(&fingerprint),
        };
        let v = log.verify(&trust).unwrap();
        assert!(v.intact, "{:?}", v.problems);

        // An earlier line edited and the whole chain recomputed: the signature breaks.
        rechain(&log, |e| e[0].operation = "something else".into());
        let v = log.verify(&trust).unwrap();
        assert!(!v.intact);
        assert!(
            v.problems.iter().any(|p| p.contains("signature")),
            "{:?}",
            v.problems
        );
    }

    #[test]
    fn deleting_or_cutting_the_log_is_reported() {
        type Attack = Box<dyn Fn(&AuditLog)>;
        let attacks: Vec<(&str, Attack)> = vec![
            (
                "log and head deleted",
                Box::new(|log: &AuditLog| {
                    fs::remove_file(log.path()).unwrap();
                    fs::remove_file(log.path().with_file_name("audit.head")).unwrap();
                }),
            ),
            (
                "last line dropped, chain and head recomputed",
                Box::new(|log: &AuditLog| {
                    rechain(log, |e| {
                        e.pop();
                    })
                }),
            ),
            (
                "every line after the signed one dropped and the head recomputed",
                Box::new(|log: &AuditLog| rechain(log, |e| e.truncate(2))),
            ),
        ];
        for (name, attack) in attacks {
            let (_dir, approver, log) = signed_log();
            let fingerprint = approver.fingerprint();
            let trust = Trust {
                approver: Some(&approver),
                pinned: Some(&fingerprint),
            };
            assert!(log.verify(&trust).unwrap().intact);
            attack(&log);
            let v = log.verify(&trust).unwrap();
            assert!(!v.intact, "{name} verified as intact");
        }
        // Without the pin and mirror, deletion is invisible: which is why both exist.
        let (_dir, log) = log_with(3);
        fs::remove_file(log.path()).unwrap();
        fs::remove_file(log.path().with_file_name("audit.head")).unwrap();
        assert!(log.verify(&NO_TRUST).unwrap().intact);
    }

    #[test]
    fn a_continued_reading_says_what_a_new_one_says() {
        let (_dir, log) = log_with(4);
        let (reading, first) = log.read(&NO_TRUST, Reading::default()).unwrap();
        assert!(first.intact && first.lines == 4 && reading.entries().len() == 4);
        for i in 4..6 {
            log.append(record(&format!("op {i}"))).unwrap();
        }
        let (reading, grown) = log.read(&NO_TRUST, reading).unwrap();
        assert!(grown.intact, "{:?}", grown.problems);
        assert_eq!((grown.lines, reading.entries().len()), (6, 6));
        assert_eq!(reading.entries()[5].operation, "op 5");
        // A line before the end edited in place (same length), then one appended:
        // the bytes read before changed, so the log is read from its start.
        rewrite(&log, |l| l[1] = l[1].replace("op 1", "op X"));
        log.append(record("op 6")).unwrap();
        let (reading, edited) = log.read(&NO_TRUST, reading).unwrap();
        assert_eq!(edited.problems, log.verify(&NO_TRUST).unwrap().problems);
        assert!(
            edited.problems.iter().any(|p| p.starts_with("line 3:")),
            "{:?}",
            edited.problems
        );
        assert_eq!(reading.entries()[1].operation, "op X");
        // A last line without its newline counts, and is read again once whole.
        let text = fs::read_to_string(log.path()).unwrap();
        fs::write(log.path(), text.trim_end()).unwrap();
        let (reading, cut) = log.read(&NO_TRUST, reading).unwrap();
        assert_eq!((cut.lines, reading.entries().len()), (7, 6));
        fs::write(log.path(), &text).unwrap();
        let (reading, whole) = log.read(&NO_TRUST, reading).unwrap();
        assert_eq!((whole.lines, reading.entries().len()), (7, 7));
    }

    #[test]
    fn a_log_edited_in_place_with_its_times_put_back_is_read_again() {
        let (_dir, log) = log_with(3);
        std::thread::sleep(std::time::Duration::from_secs(Stamp::SETTLED_SECONDS as u64 + 1));
        let (reading, first) = log.read(&NO_TRUST, Reading::default()).unwrap();
        assert!(
            first.intact && reading.stamp.is_some(),
            "a settled log is stamped"
        );
        let modified = fs::metadata(log.path()).unwrap().modified().unwrap();
        rewrite(&log, |l| l[0] = l[0].replace("op 0", "op X"));
        fs::File::options()
            .write(true)
            .open(log.path())
            .unwrap()
            .set_modified(modified)
            .unwrap();
        let (reading, edited) = log.read(&NO_TRUST, reading).unwrap();
        assert!(
            edited.problems.iter().any(|p| p.starts_with("line 2:")),
            "{:?}",
            edited.problems
        );
        assert_eq!(reading.entries()[0].operation, "op X");
    }

    #[test]
    fn a_reading_is_redone_against_another_trust() {
        let (_dir, approver, log) = signed_log();
        let trust = Trust {
            approver: Some(&approver),
            pinned: None,
        };
        let (reading, trusted) = log.read(&trust, Reading::default()).unwrap();
        assert!(trusted.intact, "{:?}", trusted.problems);
        let (_, untrusted) = log.read(&NO_TRUST, reading).unwrap();
        assert!(
            untrusted
                .problems
                .iter()
                .any(|p| p.contains("no approver is set up")),
            "{:?}",
            untrusted.problems
        );
    }

    #[test]
    fn the_next_entry_does_not_heal_a_cut_log() {
        let dir = tempfile::tempdir().unwrap();
        let mirror = dir.path().join("mirror");
        let log = AuditLog::mirrored(dir.path(), mirror);
        for i in 0..3 {
            log.append(record(&format!("op {i}"))).unwrap();
        }
        // The last line cut off and the project's head rewritten to match.
        rewrite(&log, |l| {
            l.pop();
        });
        let text = fs::read_to_string(log.path()).unwrap();
        let last = text.lines().last().unwrap();
        fs::write(
            log.path().with_file_name("audit.head"),
            serde_json::to_vec(&Head {
                lines: 2,
                last: sha256(last),
            })
            .unwrap(),
        )
        .unwrap();
        log.append(record("op 3")).unwrap();
        assert!(!log.verify(&NO_TRUST).unwrap().intact);
    }
}
