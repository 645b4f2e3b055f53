//! `dbguard audit` and `dbguard audit verify`.

use std::process::ExitCode;

use dbguard_guard::audit::Verification;
use dbguard_guard::Entry;
use dbguard_pg::Settings;
use serde::Serialize;

use crate::args::Format;
use crate::output::{emit, Report};

#[derive(Serialize)]
struct Log {
    entries: Vec<Entry>,
}

impl Report for Log {
    fn text(&self) -> String {
        if self.entries.is_empty() {
            return "the audit log is empty\n".to_string();
        }
        let mut text = String::new();
        for e in &self.entries {
            let op: String = e.operation.replace('\n', " ").chars().take(60).collect();
            text.push_str(&format!(
                "{:>4} {} {:<16} {:<6} {:<10} {}{}\n",
                e.seq,
                e.time.format("%Y-%m-%d %H:%M:%S"),
                e.outcome,
                e.risk,
                e.os_user,
                op,
                e.backup
                    .as_ref()
                    .map(|b| format!("  [backup {b}]"))
                    .unwrap_or_default()
            ));
        }
        text
    }
}

impl Report for Verification {
    fn text(&self) -> String {
        if self.intact {
            return format!("the audit log is intact ({} entries)\n", self.lines);
        }
        let mut text = format!("the audit log was tampered with ({} entries):\n", self.lines);
        for p in &self.problems {
            text.push_str(&format!("  {p}\n"));
        }
        text
    }
}

/// Shows the log, or verifies it (exit 1 when broken).
pub fn run(format: Format, settings: &Settings, verify: bool) -> anyhow::Result<ExitCode> {
    let approver_dir = super::protocol::approver_dir()?;
    let log = dbguard_guard::protocol::project_log(&settings.state_dir(), &approver_dir);
    if verify {
        let result = dbguard_guard::protocol::verify_project_log(&settings.state_dir(), &approver_dir)?;
        emit(format, &result);
        return Ok(if result.intact {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        });
    }
    emit(
        format,
        &Log {
            entries: log.entries()?,
        },
    );
    Ok(ExitCode::SUCCESS)
}
