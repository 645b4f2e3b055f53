//! The one path every medium- or high-risk operation takes:
//! classify -> assess -> plan -> approve -> backup + verify -> execute -> record.

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use chrono::Utc;
use dbguard_backup::{create, verify, CreateOptions, Level, VerifyOptions};
use dbguard_guard::{assess, Approvals, Assessment, AuditLog, Binding, Entry};
use dbguard_pg::policy::VerifyLevel;
use dbguard_pg::redact::redact;
use dbguard_pg::summary::human_size;
use dbguard_pg::{DbUrl, Settings};
use dbguard_risk::{Risk, Verdict};

/// Restore speed assumed until `backup verify --full` has measured one.
const ASSUMED_RESTORE_BYTES_PER_SECOND: f64 = 20e6;

/// An operation going through the protocol.
pub struct Operation {
    /// `shell` or `sql`.
    pub kind: &'static str,
    /// The command line or SQL, exactly as it will run.
    pub text: String,
    /// Where it runs.
    pub cwd: PathBuf,
}

/// Runs the operation: `target` is where it writes (or why that is unknown),
/// `execute` runs it and returns its exit code.
pub fn run(
    settings: &Settings,
    op: &Operation,
    verdict: &Verdict,
    target: Result<DbUrl, String>,
    execute: &mut dyn FnMut(Option<&DbUrl>) -> anyhow::Result<i32>,
) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let mut record = Recorder {
        log: AuditLog::new(&settings.state_dir()),
        op,
        verdict,
        started,
        target: None,
        approval: None,
        backup: None,
    };
    if verdict.risk == Risk::Low {
        let code = execute(target.as_ref().ok())?;
        record.write("executed", Some(code))?;
        return Ok(exit(code));
    }
    let refused = super::risk_exit_code(verdict.risk);
    let url = match target {
        Ok(url) => url,
        Err(why) => {
            eprintln!("Refused: {why}.");
            record.write("refused", None)?;
            return Ok(refused);
        }
    };
    record.target = Some(url.redacted());
    let mut client = dbguard_pg::connect(&url, settings.pool.timeout())?;
    let identity = dbguard_guard::target::identity(&mut client, &url);
    let impact = assess(&mut client, verdict)?;
    drop(client);
    let store = super::backup::store(settings);
    let block = approval_block(op, verdict, &impact, &store);

    let binding = Binding::new(op.kind, &op.text, &identity, &op.cwd);
    let approvals = Approvals::new(&settings.state_dir());
    if let Some(approved) = approvals.take(&binding)? {
        record.approval = Some(format!(
            "{} (approved by {} with dbguard approve)",
            approved.id,
            approved.approved_by.unwrap_or_default()
        ));
    } else if std::io::stdin().is_terminal() && crate::agent::detected().is_none() {
        eprint!("{block}");
        std::io::stderr().flush().ok();
        let mut answer = String::new();
        std::io::stdin().lock().read_line(&mut answer)?;
        if answer.trim_end_matches(['\n', '\r']) != "YES" {
            eprintln!("Cancelled; nothing was changed.");
            record.write("cancelled", None)?;
            return Ok(refused);
        }
        record.approval = Some("YES typed at the terminal".to_string());
    } else {
        let ttl = chrono::Duration::minutes(settings.policy.approval_expires_minutes.into());
        let shown = redact(&op.text);
        let pending = approvals.request(
            &binding,
            &shown,
            &url.redacted(),
            verdict.risk.as_str(),
            &block,
            ttl,
        )?;
        eprint!(
            "{}",
            block.trim_end_matches("Do you give explicit permission to proceed? (YES/NO) ")
        );
        eprintln!(
            "This operation needs a person's approval. A person must run `dbguard approve {}` in their own \
             terminal (it expires at {} UTC); then the same command, run again, proceeds.",
            pending.id,
            pending.expires_at.format("%H:%M")
        );
        record.approval = Some(format!("{} (pending)", pending.id));
        record.write("pending-approval", None)?;
        return Ok(refused);
    }

    let level = match (verdict.risk, settings.policy.verify_before_high) {
        (Risk::High, VerifyLevel::Full) => Level::Full,
        _ => Level::Read,
    };
    let backup = take_backup(settings, &store, &url, op, level);
    let backup = match backup {
        Ok(id) => id,
        Err(e) => {
            eprintln!("No verified backup, so nothing was run: {e:#}");
            record.write("failed", None)?;
            return Ok(ExitCode::from(1));
        }
    };
    eprintln!("backup {backup} verified ({level}); to undo the operation: dbguard restore {backup}");
    record.backup = Some(backup);
    let result = execute(Some(&url));
    let (outcome, exit_code) = match &result {
        Ok(0) => ("executed", Some(0)),
        Ok(code) => ("failed", Some(*code)),
        Err(_) => ("failed", None),
    };
    record.write(outcome, exit_code)?;
    Ok(exit(result?))
}

/// A backup of `url` labelled after `op`, verified to `level`; its id.
pub fn take_backup(
    settings: &Settings,
    store: &dbguard_backup::Store,
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
fn approval_block(
    op: &Operation,
    verdict: &Verdict,
    impact: &Assessment,
    store: &dbguard_backup::Store,
) -> String {
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
         Do you give explicit permission to proceed? (YES/NO) ",
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

fn exit(code: i32) -> ExitCode {
    ExitCode::from(u8::try_from(code).unwrap_or(1))
}

/// Writes the audit entry of this run.
struct Recorder<'a> {
    log: AuditLog,
    op: &'a Operation,
    verdict: &'a Verdict,
    started: Instant,
    target: Option<String>,
    approval: Option<String>,
    backup: Option<String>,
}

impl Recorder<'_> {
    fn write(&mut self, outcome: &str, exit_code: Option<i32>) -> anyhow::Result<()> {
        self.log.append(Entry {
            seq: 0,
            time: Utc::now(),
            os_user: dbguard_pg::osuser::current_user_name(),
            agent: crate::agent::detected(),
            kind: self.op.kind.to_string(),
            operation: redact(&self.op.text),
            cwd: self.op.cwd.clone(),
            target: self.target.clone(),
            risk: self.verdict.risk.as_str().to_string(),
            rules: self
                .verdict
                .findings
                .iter()
                .map(|f| f.rule.id().to_string())
                .collect(),
            approval: self.approval.clone(),
            backup: self.backup.clone(),
            outcome: outcome.to_string(),
            exit_code,
            duration_ms: self.started.elapsed().as_millis() as u64,
            prev: String::new(),
        })?;
        Ok(())
    }
}
