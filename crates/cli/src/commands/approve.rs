//! `dbguard approve <id>` and `dbguard approvals`. Approving needs a person:
//! a terminal, the typed answer YES, and no AI agent's marker in the
//! environment.

use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;

use chrono::Utc;
use dbguard_guard::{Approval, Approvals};
use dbguard_pg::Settings;
use serde::Serialize;

use crate::args::Format;
use crate::output::{emit, Report};

const EXIT_REFUSED: u8 = 4;

/// Approves a pending operation, after showing it.
pub fn approve(settings: &Settings, id: &str) -> anyhow::Result<ExitCode> {
    if let Some(variable) = crate::agent::detected() {
        eprintln!("Refused: approvals come from a person in their own terminal, not from an AI agent ({variable} is set).");
        return Ok(ExitCode::from(EXIT_REFUSED));
    }
    if !std::io::stdin().is_terminal() {
        eprintln!("Refused: dbguard approve needs a person at a terminal to type YES.");
        return Ok(ExitCode::from(EXIT_REFUSED));
    }
    let approvals = Approvals::new(&settings.state_dir());
    let approval = approvals.get(id)?;
    let state = approval.state(Utc::now());
    anyhow::ensure!(
        state == "pending",
        "approval {id} is {state}; only a pending approval can be approved"
    );
    eprint!(
        "{}Target: {}\nFolder: {}\nRequested: {} UTC, expires {} UTC\n\nType YES to approve: ",
        approval
            .block
            .trim_end_matches("Do you give explicit permission to proceed? (YES/NO) "),
        approval.target_display,
        approval.binding.cwd.display(),
        approval.created_at.format("%Y-%m-%d %H:%M:%S"),
        approval.expires_at.format("%H:%M:%S"),
    );
    std::io::stderr().flush().ok();
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    if answer.trim_end_matches(['\n', '\r']) != "YES" {
        eprintln!("Not approved.");
        return Ok(ExitCode::from(EXIT_REFUSED));
    }
    let approved = approvals.approve(id, &dbguard_pg::osuser::current_user_name())?;
    eprintln!(
        "Approved. The same command, run again before {} UTC, will take a verified backup and run once.",
        approved.expires_at.format("%H:%M:%S")
    );
    Ok(ExitCode::SUCCESS)
}

#[derive(Serialize)]
struct Listed {
    id: String,
    state: &'static str,
    risk: String,
    operation: String,
    target: String,
    created_at: chrono::DateTime<Utc>,
    expires_at: chrono::DateTime<Utc>,
    approved_by: Option<String>,
}

#[derive(Serialize)]
struct ApprovalList {
    approvals: Vec<Listed>,
}

impl Report for ApprovalList {
    fn text(&self) -> String {
        if self.approvals.is_empty() {
            return "no approvals\n".to_string();
        }
        let mut text = format!(
            "{:<10} {:<9} {:<7} {:<9} {}\n",
            "ID", "STATE", "RISK", "EXPIRES", "OPERATION"
        );
        for a in &self.approvals {
            let op: String = a.operation.replace('\n', " ").chars().take(70).collect();
            text.push_str(&format!(
                "{:<10} {:<9} {:<7} {:<9} {op}\n",
                a.id,
                a.state,
                a.risk,
                a.expires_at.format("%H:%M:%S").to_string()
            ));
        }
        text
    }
}

/// Lists approvals, oldest first.
pub fn list(format: Format, settings: &Settings) -> anyhow::Result<ExitCode> {
    let now = Utc::now();
    let approvals = Approvals::new(&settings.state_dir())
        .all()
        .into_iter()
        .map(|a: Approval| Listed {
            state: a.state(now),
            id: a.id,
            risk: a.risk,
            operation: a.operation,
            target: a.target_display,
            created_at: a.created_at,
            expires_at: a.expires_at,
            approved_by: a.approved_by,
        })
        .collect();
    emit(format, &ApprovalList { approvals });
    Ok(ExitCode::SUCCESS)
}
