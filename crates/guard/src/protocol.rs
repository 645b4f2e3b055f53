//! The one path every medium- or high-risk operation takes:
//! classify -> assess -> plan -> approve -> backup + verify -> execute -> record.
//!
//! The caller classifies and says how to execute; this module does the rest.
//! What it needs from a person (seeing the block, typing `YES` and the
//! approver's passphrase) it asks through [`Person`], so the cli only prints
//! and reads the terminal.

use std::path::{Path, PathBuf};
use std::time::Instant;

use chrono::Utc;
use dbguard_backup::{create, verify, CreateOptions, Level, Store, VerifyOptions};
use dbguard_pg::policy::VerifyLevel;
use dbguard_pg::redact::redact;
use dbguard_pg::summary::human_size;
use dbguard_pg::{DbUrl, Settings};
use dbguard_risk::{Risk, Verdict};
use zeroize::Zeroizing;

use crate::approver::{self, ApproverDir, Unlocked};
use crate::assess::{assess, Assessment};
use crate::audit::{AuditLog, Entry};
use crate::{Approval, Approvals, Binding, Error};

/// Restore speed assumed until `backup verify --full` has measured one.
const ASSUMED_RESTORE_BYTES_PER_SECOND: f64 = 20e6;

/// The block's last line, the question.
pub const QUESTION: &str = "Do you give explicit permission to proceed? (YES/NO) ";

/// The variable Prisma reads as a person's consent to a destructive command
/// run by an AI agent. dbguard sets it for an approved child only, and
/// strips any value the caller inherited.
pub const PRISMA_CONSENT: &str = "PRISMA_USER_CONSENT_FOR_DANGEROUS_AI_ACTION";

/// An operation going through the protocol.
pub struct Operation {
    /// `shell`, `sql`, `migrate`, `reset`, `restore`.
    pub kind: &'static str,
    /// The command line or SQL, exactly as it will run.
    pub text: String,
    /// Where it runs.
    pub cwd: PathBuf,
}

/// What the protocol asks of whoever is at the other end.
pub trait Person {
    /// Whether a person can answer here: a terminal, and no AI agent
    /// running this process.
    fn present(&self) -> bool;
    /// Shows `block` and asks for the exact answer `YES`, then for the
    /// approver's passphrase; `None` when the answer was not `YES`.
    fn confirm(&mut self, block: &str) -> std::io::Result<Option<Zeroizing<String>>>;
    /// A message for the person.
    fn tell(&mut self, message: &str);
    /// The AI agent running this process, if one is detected (for the log).
    fn agent(&self) -> Option<String>;
}

/// An approval that lets an operation run, as the executed child sees it.
#[derive(Debug)]
pub struct Approved {
    /// The approval's id.
    pub id: String,
    /// The person's consent in words, for tools that ask for one (Prisma).
    pub statement: String,
    /// The window the approval opened in a protected database.
    pub window: Option<crate::protect::WindowToken>,
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The operation ran with this exit code.
    Ran(i32),
    /// Refused or waiting for a person (exit 3 for medium, 4 for high).
    Refused(Risk),
    /// Nothing ran because the backup could not be made or verified.
    NoBackup,
}

impl Outcome {
    /// The process exit code.
    pub fn exit_code(self) -> u8 {
        match self {
            Outcome::Ran(code) => u8::try_from(code).unwrap_or(1),
            Outcome::Refused(Risk::Medium) => 3,
            Outcome::Refused(_) => 4,
            Outcome::NoBackup => 1,
        }
    }
}

/// The project's audit log, with its head mirrored in the approver's folder.
pub fn project_log(state_dir: &Path, approver_dir: &ApproverDir) -> AuditLog {
    AuditLog::mirrored(state_dir, approver_dir.project(state_dir))
}

/// The protocol for one project.
pub struct Protocol<'a> {
    /// The project's settings.
    pub settings: &'a Settings,
    /// Where the approver lives.
    pub approver_dir: ApproverDir,
    /// The other end.
    pub person: Box<dyn Person + 'a>,
    /// The operation takes and verifies its own backup before it changes
    /// anything (a restore over the live database takes a safety backup), so
    /// the protocol does not take a second one.
    pub backs_itself_up: bool,
}

/// The executed operation: given the target and, when a person approved
/// it, the approval; returns its exit code.
pub type Execute<'e> = dyn FnMut(Option<&DbUrl>, Option<&Approved>) -> anyhow::Result<i32> + 'e;

impl Protocol<'_> {
    /// Runs `op` (classified as `verdict`) on `target` (or why it is unknown).
    pub fn run(
        &mut self,
        op: &Operation,
        verdict: &Verdict,
        target: Result<DbUrl, String>,
        execute: &mut Execute,
    ) -> anyhow::Result<Outcome> {
        let mut record = Recorder {
            log: project_log(&self.settings.state_dir(), &self.approver_dir),
            op,
            verdict,
            started: Instant::now(),
            agent: self.person.agent(),
            target: None,
            approval: None,
            backup: None,
        };
        let escalated;
        let verdict = match (verdict.risk, &target) {
            (Risk::Low, Ok(url))
                if verdict
                    .findings
                    .iter()
                    .any(|f| f.rule == dbguard_risk::Rule::WriteOneRow) =>
            {
                let mut client = dbguard_pg::connect(url, self.settings.pool.timeout())?;
                match crate::assess::cascade_escalation(&mut client, verdict)? {
                    Some(finding) => {
                        let mut findings = verdict.findings.clone();
                        findings.push(finding);
                        escalated = Verdict::from_findings(findings);
                        record.verdict = &escalated;
                        &escalated
                    }
                    None => verdict,
                }
            }
            _ => verdict,
        };
        if verdict.risk == Risk::Low {
            let code = execute(target.as_ref().ok(), None)?;
            record.write("executed", Some(code))?;
            return Ok(Outcome::Ran(code));
        }
        let refused = Outcome::Refused(verdict.risk);
        let url = match target {
            Ok(url) => url,
            Err(why) => {
                self.person.tell(&format!("Refused: {why}."));
                record.write("refused", None)?;
                return Ok(refused);
            }
        };
        record.target = Some(url.redacted());
        let mut client = dbguard_pg::connect(&url, self.settings.pool.timeout())?;
        let identity = crate::target::identity(&mut client, &url);
        let impact = assess(&mut client, verdict)?;
        drop(client);
        let store = store(self.settings);
        let block = approval_block(op, verdict, &impact, &store);
        // Bound to the text people see (passwords masked), so that what a
        // person approves can be checked against what the approval is for.
        let binding = Binding::new(op.kind, &redact(&op.text), &identity, &op.cwd).with_findings(verdict);

        let approved = match self.authorize(op, verdict, &url, &binding, &block, &mut record)? {
            Some(approved) => approved,
            None => return Ok(refused),
        };

        if self.backs_itself_up {
            let result = with_window(&url, &approved, || execute(Some(&url), Some(&approved)));
            record.write(
                if matches!(result, Ok(0)) {
                    "executed"
                } else {
                    "failed"
                },
                result.as_ref().ok().copied(),
            )?;
            return Ok(Outcome::Ran(result?));
        }
        let level = match (verdict.risk, self.settings.policy.verify_before_high) {
            (Risk::High, VerifyLevel::Full) => Level::Full,
            _ => Level::Read,
        };
        let backup = match take_backup(self.settings, &store, &url, op, level) {
            Ok(id) => id,
            Err(e) => {
                self.person
                    .tell(&format!("No verified backup, so nothing was run: {e:#}"));
                record.write("failed", None)?;
                return Ok(Outcome::NoBackup);
            }
        };
        self.person.tell(&format!(
            "backup {backup} verified ({level}); to undo the operation: dbguard restore {backup}"
        ));
        record.backup = Some(backup);
        let result = with_window(&url, &approved, || execute(Some(&url), Some(&approved)));
        let (outcome, exit_code) = match &result {
            Ok(0) => ("executed", Some(0)),
            Ok(code) => ("failed", Some(*code)),
            Err(_) => ("failed", None),
        };
        record.write(outcome, exit_code)?;
        Ok(Outcome::Ran(result?))
    }

    /// The approval step alone: an approval a person gave with
    /// `dbguard approve`, or one given here at the terminal with `YES` and
    /// the passphrase; otherwise a pending approval is recorded and `None`
    /// returned (the refusal already told and logged).
    fn authorize(
        &mut self,
        op: &Operation,
        verdict: &Verdict,
        url: &DbUrl,
        binding: &Binding,
        block: &str,
        record: &mut Recorder,
    ) -> anyhow::Result<Option<Approved>> {
        let state_dir = self.settings.state_dir();
        let approvals = Approvals::new(&state_dir);
        let approver = match approver::trusted(&self.approver_dir, &state_dir) {
            Ok(approver) => Some(approver),
            Err(Error::NoApprover(_)) => None,
            Err(e) => {
                self.person.tell(&format!("Refused: {e}."));
                record.write("refused", None)?;
                return Ok(None);
            }
        };
        if let Some(approver) = &approver {
            let usage = record.entry("approval-used", None);
            match approvals.take(binding, approver, &record.log, usage) {
                Ok(Some(approval)) => {
                    record.approval = Some(format!(
                        "{} (signed by the approver with dbguard approve)",
                        approval.id
                    ));
                    return Ok(Some(approved(&approval, url)));
                }
                Ok(None) => {}
                Err(e) => {
                    self.person.tell(&format!("Refused: {e}."));
                    record.write("refused", None)?;
                    return Ok(None);
                }
            }
        }
        let ttl = chrono::Duration::minutes(self.settings.policy.approval_expires_minutes.into());
        let request = |approvals: &Approvals| {
            approvals.request(
                binding,
                &redact(&op.text),
                &url.redacted(),
                verdict.risk.as_str(),
                &window_kinds(verdict),
                block,
                ttl,
            )
        };
        if self.person.present() {
            let Some(approver) = approver else {
                self.person.tell(&format!(
                    "{block}\nRefused: {}.",
                    Error::NoApprover(self.approver_dir.path().to_path_buf())
                ));
                record.write("refused", None)?;
                return Ok(None);
            };
            let Some(passphrase) = self.person.confirm(block)? else {
                self.person.tell("Cancelled; nothing was changed.");
                record.write("cancelled", None)?;
                return Ok(None);
            };
            let key = match approver.unlock(&passphrase) {
                Ok(key) => key,
                Err(e) => {
                    self.person.tell(&format!("Not approved: {e}."));
                    record.write("cancelled", None)?;
                    return Ok(None);
                }
            };
            let pending = request(&approvals)?;
            let approved_now = approve(
                &approvals,
                &record.log,
                &state_dir,
                &pending.id,
                &key,
                record.agent.clone(),
            )?;
            if let Some(note) = open_window_for(&approvals, &state_dir, &approved_now, url, &key) {
                self.person.tell(&note);
            }
            let usage = record.entry("approval-used", None);
            let Some(approval) = approvals.take(binding, &approver, &record.log, usage)? else {
                anyhow::bail!("the approval just given could not be taken");
            };
            record.approval = Some(format!(
                "{} (YES and the approver's passphrase at the terminal)",
                approval.id
            ));
            return Ok(Some(approved(&approval, url)));
        }
        let pending = request(&approvals)?;
        self.person.tell(&format!(
            "{}This operation needs a person's approval. A person must run `dbguard approve {}` in their own \
             terminal (it expires at {} UTC); then the same command, run again, proceeds.",
            block.trim_end_matches(QUESTION),
            pending.id,
            pending.expires_at.format("%H:%M")
        ));
        if approver.is_none() {
            self.person.tell(&format!(
                "Note: {}.",
                Error::NoApprover(self.approver_dir.path().to_path_buf())
            ));
        }
        record.approval = Some(format!("{} (pending)", pending.id));
        record.write("pending-approval", None)?;
        Ok(None)
    }
}

/// Runs `execute` holding the approval's window, when it opened one: the
/// window's setting is added to `PGOPTIONS`, which the approved children
/// (psql, pg_restore, Prisma through node-postgres) and dbguard's own
/// connections read, and the window is closed afterwards.
fn with_window<T>(url: &DbUrl, approved: &Approved, execute: impl FnOnce() -> T) -> T {
    let Some(token) = &approved.window else {
        return execute();
    };
    let before = std::env::var_os("PGOPTIONS");
    let options = match before.as_ref().map(|v| v.to_string_lossy().into_owned()) {
        Some(existing) if !existing.trim().is_empty() => {
            format!("{existing} {}", crate::protect::window_options(token))
        }
        _ => crate::protect::window_options(token),
    };
    // dbguard runs one operation at a time; nothing else reads the environment meanwhile.
    std::env::set_var("PGOPTIONS", options);
    let result = execute();
    match before {
        Some(value) => std::env::set_var("PGOPTIONS", value),
        None => std::env::remove_var("PGOPTIONS"),
    }
    let _ = crate::protect::close_window(url, token);
    result
}

/// Approves the pending approval `id` with the person's unlocked key: the
/// approval is signed, a signed entry is written to the log, and the
/// project pins the approver.
pub fn approve(
    approvals: &Approvals,
    log: &AuditLog,
    state_dir: &Path,
    id: &str,
    key: &Unlocked,
    agent: Option<String>,
) -> crate::Result<Approval> {
    check_request(approvals, id)?;
    let approved = approvals.approve(id, &dbguard_pg::osuser::current_user_name(), key)?;
    let mut entry = Entry::new("approval", &approved.operation, "approved");
    entry.agent = agent;
    entry.target = Some(approved.target_display.clone());
    entry.risk = approved.risk.clone();
    entry.approval = Some(approved.id.clone());
    entry.nonce = Some(approved.nonce.clone());
    entry.cwd = approved.binding.cwd.clone();
    log.append_signed(entry, key)?;
    approver::pin(state_dir, &key.fingerprint())?;
    Ok(approved)
}

/// The longest an approval may wait for its run: the policy's default, which
/// project settings may only shorten.
fn longest_wait() -> chrono::Duration {
    chrono::Duration::minutes(
        dbguard_pg::policy::Policy::default()
            .approval_expires_minutes
            .into(),
    )
}

/// Checks a pending request before a person signs it, and derives again
/// what it claims. The request file is written by the process that asked
/// (often an agent's), so nothing in it is taken on trust: its operation
/// text must hash to what the approval is bound to (else the text shown
/// is not what would run), the kinds of destruction its window allows are
/// derived again from that text, its risk is the text's own when that is
/// higher, and its expiry is held to the policy's longest wait.
pub fn check_request(approvals: &Approvals, id: &str) -> crate::Result<Approval> {
    approvals.revise(id, |approval| {
        if crate::approvals::operation_digest(&approval.operation) != approval.binding.operation_sha256 {
            return Err(Error::Approval(format!(
                "request `{id}` was changed after it was made: the operation it shows is not the one it is bound to; \
                 nothing was approved, ask for the operation again"
            )));
        }
        let verdict = match approval.binding.kind.as_str() {
            "shell" => Some(dbguard_risk::classify_shell(
                &approval.operation,
                &dbguard_risk::ShellContext {
                    cwd: approval.binding.cwd.clone(),
                    files: &dbguard_risk::DiskFiles,
                    sql: Default::default(),
                },
            )),
            "sql" => Some(dbguard_risk::classify_sql(&approval.operation, &Default::default())),
            _ => None,
        };
        match &verdict {
            // A single-row write the database escalated (a cascade) reads
            // as low here: it keeps what it asked for among row writes.
            Some(verdict) if verdict.risk == Risk::Low => {
                approval.kinds.retain(|k| k == "delete" || k == "update");
            }
            Some(verdict) => {
                approval.kinds = window_kinds(verdict);
                let claimed = [Risk::Low, Risk::Medium, Risk::High]
                    .into_iter()
                    .find(|r| r.as_str() == approval.risk)
                    .unwrap_or(Risk::Low);
                if verdict.risk > claimed {
                    approval.risk = verdict.risk.as_str().to_string();
                }
            }
            None => {
                let own = approval.binding.kind.as_str();
                approval.kinds.retain(|k| k != "unprotect" || own == "unprotect");
            }
        }
        let latest = Utc::now() + longest_wait();
        if approval.expires_at > latest {
            approval.expires_at = latest;
        }
        Ok(())
    })
}

/// The kinds of destruction `verdict` needs inside a protected database,
/// by rule: what cannot be told is given every kind a person can approve
/// (never changes to dbguard's own objects).
pub fn window_kinds(verdict: &Verdict) -> Vec<String> {
    let all = ["truncate", "delete", "update", "drop", "alter"];
    let mut kinds: Vec<&str> = Vec::new();
    for finding in verdict.findings.iter().filter(|f| f.risk > Risk::Low) {
        let id = finding.rule.id();
        let needed: &[&str] = if id == "truncate" {
            &["truncate"]
        } else if id.starts_with("delete-") || id == "cascade-delete" || id == "merge" {
            &["delete"]
        } else if id.starts_with("update-") {
            &["update"]
        } else if id.starts_with("drop-") && id != "drop-database" {
            &["drop"]
        } else if matches!(id, "alter-column-type" | "disable-row-security" | "loosen-policy") {
            &["alter"]
        } else {
            &all
        };
        kinds.extend(needed);
    }
    kinds.sort();
    kinds.dedup();
    kinds.into_iter().map(str::to_string).collect()
}

/// Opens the window of `approval` in its database when the database is
/// protected (a guard credential sealed to the approver is kept for it),
/// connecting through `url`; what the person should know when it could not.
pub fn open_window_for(
    approvals: &Approvals,
    state_dir: &Path,
    approval: &Approval,
    url: &DbUrl,
    key: &Unlocked,
) -> Option<String> {
    let sealed = crate::protect::credential::sealed_path(state_dir, &approval.binding.target);
    if !sealed.exists() {
        return None;
    }
    let kinds: Vec<crate::protect::Kind> = approval
        .kinds
        .iter()
        .filter_map(|k| crate::protect::Kind::from_name(k))
        .collect();
    let ttl = (approval.expires_at - Utc::now())
        .to_std()
        .unwrap_or_default()
        .max(std::time::Duration::from_secs(1));
    let spec = crate::protect::WindowSpec {
        approval_id: approval.id.clone(),
        kinds,
        tables: None,
        ttl,
    };
    let opened = crate::protect::open_window(state_dir, url, key.signing_key(), &spec)
        .map_err(|e| e.to_string())
        .and_then(|token| {
            approvals
                .set_window(&approval.id, token.expose())
                .map_err(|e| e.to_string())
        });
    match opened {
        Ok(()) => Some(format!(
            "The database is protected: approval {} opened its window for {} until {} UTC.",
            approval.id,
            approval.kinds.join(", "),
            approval.expires_at.format("%H:%M:%S")
        )),
        Err(e) => Some(format!(
            "The database is protected, and the window for approval {} could not be opened ({e}); the \
             database itself will refuse the operation.",
            approval.id
        )),
    }
}

fn approved(approval: &Approval, url: &DbUrl) -> Approved {
    let by = approval
        .approved
        .as_ref()
        .map(|s| s.by.as_str())
        .unwrap_or_default();
    let statement = format!(
        "{by} approved {} on {} with dbguard (approval {}, signed with the approver's key), after a verified \
         backup",
        approval.operation,
        url.redacted(),
        approval.id
    );
    // Prisma asks for the consent without newlines or quotes.
    let statement = statement
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .filter(|c| !matches!(c, '"' | '\'' | '`'))
        .collect();
    Approved {
        id: approval.id.clone(),
        statement,
        window: approval
            .window
            .as_deref()
            .map(crate::protect::WindowToken::from_secret),
    }
}

/// The backup store of `settings`.
pub fn store(settings: &Settings) -> Store {
    Store::new(settings.policy.backup_dir_in(&settings.project_dir))
}

/// A backup of `url` labelled after `op`, verified to `level`; its id.
pub fn take_backup(
    settings: &Settings,
    store: &Store,
    url: &DbUrl,
    op: &Operation,
    level: Level,
) -> anyhow::Result<String> {
    let mut backup = create(
        store,
        url,
        &CreateOptions {
            label: Some(format!("before: {}", abbreviate(&redact(&op.text), 160))),
            progress: true,
            connect_timeout: Some(settings.pool.timeout()),
        },
    )?;
    let full = (level == Level::Full).then(|| url.clone());
    let report = verify(
        &mut backup,
        &VerifyOptions {
            full,
            progress: true,
            connect_timeout: Some(settings.pool.timeout()),
        },
    )?;
    anyhow::ensure!(report.passed, "backup {} failed verification", backup.id());
    Ok(backup.id().to_string())
}

/// The guide's block, filled in.
fn approval_block(op: &Operation, verdict: &Verdict, impact: &Assessment, store: &Store) -> String {
    let mut data = String::new();
    let shown = 12;
    for t in impact.tables.iter().take(shown) {
        let estimate = if t.exact { "" } else { ", estimated" };
        let cascade = t
            .cascades_from
            .as_ref()
            .map(|f| format!(", through ON DELETE CASCADE from {f}"))
            .unwrap_or_default();
        data.push_str(&format!("\n    {} ({} rows{estimate}{cascade})", t.table, t.rows));
    }
    if impact.tables.len() > shown {
        data.push_str(&format!(
            "\n    … and {} more tables",
            impact.tables.len() - shown
        ));
    }
    let scope = if impact.whole_database {
        "the whole database "
    } else {
        ""
    };
    let measured = store.list().ok().and_then(|list| {
        list.iter()
            .find_map(|b| b.manifest.verification.restore_bytes_per_second)
    });
    let (speed, how) = match measured {
        Some(speed) => (speed, "at the restore speed measured by backup verify --full"),
        None => (
            ASSUMED_RESTORE_BYTES_PER_SECOND,
            "at an assumed 20 MB/s; no restore has been measured yet",
        ),
    };
    let seconds = (impact.size_bytes as f64 / speed).ceil().max(1.0);
    let reasons: Vec<String> = verdict
        .worst()
        .map(|f| format!("  - {} [{}]", f.message, f.rule.id()))
        .collect();
    format!(
        "\n⚠️  DATABASE OPERATION REQUIRED ⚠️\n\n\
         Operation: {}\n\
         Risk Level: {}\n\
         Data at Risk: {scope}{} ({}, {} rows in {} tables):{data}\n\
         Backup Required: YES\n\
         Recovery Time: about {} s ({} to restore {how})\n\n\
         Why:\n{}\n\
         Recovery plan: a verified backup in {} first; restore it with `dbguard restore <backup id>`.\n\n\
         This operation could cause data loss.\n\
         I will create a backup first and verify recovery procedures.\n\n\
         {QUESTION}",
        redact(&op.text),
        verdict.risk.upper(),
        impact.database,
        human_size(impact.size_bytes),
        impact.rows(),
        impact.tables.len(),
        seconds,
        human_size(impact.size_bytes),
        reasons.join("\n"),
        store.dir().display(),
    )
}

/// `text` shortened in the middle to about `max` characters, so both its
/// start (the program) and its end (often the SQL) stay readable.
fn abbreviate(text: &str, max: usize) -> String {
    let chars: Vec<char> = text.chars().collect();
    if chars.len() <= max {
        return text.to_string();
    }
    let half = max / 2;
    let head: String = chars[..half].iter().collect();
    let tail: String = chars[chars.len() - half..].iter().collect();
    format!("{head}…{tail}")
}

/// Writes the audit entries of this run.
struct Recorder<'a> {
    log: AuditLog,
    op: &'a Operation,
    verdict: &'a Verdict,
    started: Instant,
    agent: Option<String>,
    target: Option<String>,
    approval: Option<String>,
    backup: Option<String>,
}

impl Recorder<'_> {
    fn entry(&self, outcome: &str, exit_code: Option<i32>) -> Entry {
        let mut entry = Entry::new(self.op.kind, &redact(&self.op.text), outcome);
        entry.time = Utc::now();
        entry.agent = self.agent.clone();
        entry.cwd = self.op.cwd.clone();
        entry.target = self.target.clone();
        entry.risk = self.verdict.risk.as_str().to_string();
        entry.rules = self
            .verdict
            .findings
            .iter()
            .map(|f| f.rule.id().to_string())
            .collect();
        entry.approval = self.approval.clone();
        entry.backup = self.backup.clone();
        entry.exit_code = exit_code;
        entry.duration_ms = self.started.elapsed().as_millis() as u64;
        entry
    }

    fn write(&mut self, outcome: &str, exit_code: Option<i32>) -> crate::Result<()> {
        self.log.append(self.entry(outcome, exit_code))?;
        Ok(())
    }
}

/// Verifies the project's audit log against its approver and pin.
pub fn verify_project_log(
    state_dir: &Path,
    approver_dir: &ApproverDir,
) -> crate::Result<crate::audit::Verification> {
    Ok(read_project_log(state_dir, approver_dir, Default::default())?.1)
}

/// Reads the project's audit log on from `previous` (see
/// [`AuditLog::read`]) and verifies it against its approver and pin.
pub fn read_project_log(
    state_dir: &Path,
    approver_dir: &ApproverDir,
    previous: crate::audit::Reading,
) -> crate::Result<(crate::audit::Reading, crate::audit::Verification)> {
    let log = project_log(state_dir, approver_dir);
    let mut troubles = Vec::new();
    let pinned = approver::pinned(state_dir).unwrap_or_else(|e| {
        troubles.push(format!("the project's pin cannot be read: {e}"));
        None
    });
    let approver = approver::Approver::load(approver_dir).unwrap_or_else(|e| {
        troubles.push(format!("the approver cannot be read: {e}"));
        None
    });
    let (reading, mut verification) = log.read(
        &crate::audit::Trust {
            approver: approver.as_ref(),
            pinned: pinned.as_deref(),
        },
        previous,
    )?;
    verification.intact &= troubles.is_empty();
    verification.problems.extend(troubles);
    Ok((reading, verification))
}

#[cfg(test)]
mod tests {
    use super::window_kinds;
    use dbguard_risk::{classify_sql, SqlOptions};

    fn kinds(sql: &str) -> Vec<String> {
        window_kinds(&classify_sql(sql, &SqlOptions::default()))
    }

    #[test]
    fn policy_and_row_security_changes_open_an_alter_window_only() {
        assert_eq!(kinds("ALTER POLICY p ON batches USING (true)"), ["alter"]);
        assert_eq!(kinds("CREATE POLICY p ON batches USING (true)"), ["alter"]);
        assert_eq!(kinds("ALTER TABLE batches DISABLE ROW LEVEL SECURITY"), ["alter"]);
        assert_eq!(kinds("TRUNCATE batches"), ["truncate"]);
    }
}
