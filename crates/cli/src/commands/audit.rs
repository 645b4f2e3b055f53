//! `dbguard audit` and `dbguard audit verify`.

use std::process::ExitCode;

use dbguard_guard::audit::{Listing, Verification};
use dbguard_guard::protect::Refusal;
use dbguard_pg::Settings;

use crate::args::Format;
use crate::output::{emit, Report};

impl Report for Listing {
    fn text(&self) -> String {
        let mut text = if self.entries.is_empty() {
            "the audit log is empty\n".to_string()
        } else {
            String::new()
        };
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
        if !self.refusals.is_empty() {
            text.push_str("\nrefused inside the database (newest first):\n");
            for r in &self.refusals {
                let statement: String = r
                    .statement
                    .as_deref()
                    .unwrap_or_default()
                    .replace('\n', " ")
                    .chars()
                    .take(60)
                    .collect();
                text.push_str(&format!(
                    "     {} {:<22} {:<10} {}\n",
                    r.at.get(..19).unwrap_or(&r.at).replace('T', " "),
                    r.rule,
                    r.session_role.as_deref().unwrap_or("?"),
                    statement
                ));
            }
        }
        text
    }
}

/// The newest refusals inside the target database, when it is reachable
/// without starting anything and is protected.
fn database_refusals(settings: &Settings) -> Vec<Refusal> {
    let url = match &settings.target {
        dbguard_pg::Target::Url(url) => Some((**url).clone()),
        dbguard_pg::Target::Local { database } => super::db::local_server(settings)
            .ok()
            .filter(|server| {
                server
                    .status()
                    .is_ok_and(|s| s.state == dbguard_pg::ServerState::Running)
            })
            .and_then(|server| server.url(database).ok()),
    };
    url.and_then(|url| dbguard_pg::connect(&url, std::time::Duration::from_secs(5)).ok())
        .and_then(|mut client| dbguard_guard::protect::refusals(&mut client, 50).ok())
        .unwrap_or_default()
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
        &Listing {
            entries: log.entries()?,
            refusals: database_refusals(settings),
        },
    );
    Ok(ExitCode::SUCCESS)
}
