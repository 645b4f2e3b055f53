//! `dbguard approve <id>`, `dbguard approvals` and `dbguard approver
//! init|rotate|status`. Approving needs a person: a terminal, no AI agent
//! running the command (or any process that started it), the typed answer
//! YES, and the approver's passphrase, which unlocks the key that signs the
//! approval.

use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;

use chrono::Utc;
use dbguard_guard::approvals::{Listed, Listing};
use dbguard_guard::approver::{self, Approver};
use dbguard_guard::audit::Entry;
use dbguard_guard::consent::{self, Declined};
use dbguard_guard::protocol::{project_log, QUESTION};
use dbguard_guard::Approvals;
use dbguard_pg::Settings;
use serde::Serialize;

use super::protocol::{approver_dir, passphrase};
use crate::args::{ApproverCommand, Format};
use crate::output::{emit, Report};

const EXIT_REFUSED: u8 = 4;

/// Refuses unless a person is at this terminal; the reason otherwise.
fn person_here(what: &str) -> Result<(), String> {
    if let Some(variable) = dbguard_guard::agent::detected() {
        return Err(format!(
            "Refused: {what} is for a person in their own terminal, not for an AI agent ({variable} is set)."
        ));
    }
    if !std::io::stdin().is_terminal() {
        return Err(format!("Refused: {what} needs a person at a terminal."));
    }
    Ok(())
}

fn read_line() -> std::io::Result<String> {
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    Ok(answer.trim_end_matches(['\n', '\r']).to_string())
}

/// Approves a pending operation, after showing it.
pub fn approve(settings: &Settings, id: &str) -> anyhow::Result<ExitCode> {
    if let Err(why) = person_here("approving") {
        eprintln!("{why}");
        return Ok(ExitCode::from(EXIT_REFUSED));
    }
    let dir = approver_dir()?;
    let approval = match consent::pending(settings, &dir, id) {
        Ok(approval) => approval,
        Err(Declined::NotPending(why)) => anyhow::bail!(why),
        Err(declined) => {
            eprintln!("{declined}");
            return Ok(ExitCode::from(EXIT_REFUSED));
        }
    };
    eprint!(
        "{}Operation (checked against what the approval is bound to): {}\nRisk: {}\nTarget: {}\nFolder: {}\n\
         Requested: {} UTC, expires {} UTC\n\nType YES to approve: ",
        approval.block.trim_end_matches(QUESTION),
        approval.operation,
        approval.risk.to_uppercase(),
        approval.target_display,
        approval.binding.cwd.display(),
        approval.created_at.format("%Y-%m-%d %H:%M:%S"),
        approval.expires_at.format("%Y-%m-%d %H:%M:%S"),
    );
    std::io::stderr().flush().ok();
    let answer = read_line()?;
    if answer != "YES" {
        eprintln!("{}", Declined::NotYes);
        return Ok(ExitCode::from(EXIT_REFUSED));
    }
    let secret = passphrase("Approver passphrase: ")?;
    let given = match consent::approve(settings, &dir, id, &answer, &secret, &|| {
        super::target_url(settings)
    })? {
        Ok(given) => given,
        Err(declined) => {
            eprintln!("{declined}");
            return Ok(ExitCode::from(EXIT_REFUSED));
        }
    };
    if let Some(note) = given.note {
        eprintln!("{note}");
    }
    eprintln!(
        "Approved. The same command, run again before {} UTC, will take a verified backup and run once.",
        given.approval.expires_at.format("%H:%M:%S")
    );
    Ok(ExitCode::SUCCESS)
}

/// `dbguard approver init|rotate|status`.
pub fn approver(format: Format, settings: &Settings, command: &ApproverCommand) -> anyhow::Result<ExitCode> {
    let dir = approver_dir()?;
    let state_dir = settings.state_dir();
    match command {
        ApproverCommand::Status => {
            let status = ApproverStatus::read(&dir, &state_dir);
            emit(format, &status);
            Ok(if status.problem.is_none() && status.fingerprint.is_some() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        ApproverCommand::Init | ApproverCommand::Rotate => {
            let rotation = matches!(command, ApproverCommand::Rotate);
            let what = if !rotation {
                "setting up the approver"
            } else {
                "rotating the approver's key"
            };
            if let Err(why) = person_here(what) {
                eprintln!("{why}");
                return Ok(ExitCode::from(EXIT_REFUSED));
            }
            if !rotation {
                if let Err(e) = approver::may_set_up(&dir, &state_dir) {
                    eprintln!("Refused: {e}.");
                    return Ok(ExitCode::from(EXIT_REFUSED));
                }
            }
            let old = match rotation {
                true => {
                    let Some(current) = Approver::load(&dir)? else {
                        anyhow::bail!(
                            "no approver is set up in {}; `dbguard approver init` sets one up",
                            dir.path().display()
                        );
                    };
                    Some((current, passphrase("Current approver passphrase: ")?))
                }
                false => None,
            };
            eprintln!(
                "The approver's passphrase stands for you: with it, dbguard signs the approvals of destructive \
                 operations. Never give it to a program or an AI agent, and never put it in a file or variable. \
                 At least {} characters.",
                approver::MIN_PASSPHRASE_CHARS
            );
            let first = passphrase("New approver passphrase: ")?;
            approver::check_passphrase(&first)?;
            let second = passphrase("The same passphrase again: ")?;
            anyhow::ensure!(
                *first == *second,
                "the two passphrases differ; nothing was changed"
            );
            let approver = match old {
                Some((current, old_secret)) => current.rotate(&old_secret, &first)?,
                None => Approver::init(&dir, &first)?,
            };
            let key = approver.unlock(&first)?;
            let mut entry = Entry::new(
                "approver",
                &format!("approver {}", approver.fingerprint()),
                if rotation {
                    "approver-rotated"
                } else {
                    "approver-set-up"
                },
            );
            entry.risk = "high".to_string();
            project_log(&state_dir, &dir).append_signed(entry, &key)?;
            approver::pin(&state_dir, &approver.fingerprint())?;
            eprintln!(
                "Approver {} in {} (key sealed by your passphrase); pinned for {}.",
                approver.fingerprint(),
                dir.path().display(),
                settings.project_dir.display()
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

#[derive(Serialize)]
struct ApproverStatus {
    folder: std::path::PathBuf,
    fingerprint: Option<String>,
    pinned: Option<String>,
    problem: Option<String>,
}

impl ApproverStatus {
    fn read(dir: &approver::ApproverDir, state_dir: &std::path::Path) -> ApproverStatus {
        let fingerprint = Approver::load(dir).ok().flatten().map(|a| a.fingerprint());
        let pinned = approver::pinned(state_dir).ok().flatten();
        let problem = approver::trusted(dir, state_dir).err().map(|e| e.to_string());
        ApproverStatus {
            folder: dir.path().to_path_buf(),
            fingerprint,
            pinned,
            problem,
        }
    }
}

impl Report for ApproverStatus {
    fn text(&self) -> String {
        let mut text = format!(
            "approver   {}\nfolder     {}\npinned     {}\n",
            self.fingerprint.as_deref().unwrap_or("none"),
            self.folder.display(),
            self.pinned
                .as_deref()
                .unwrap_or("nothing pinned in this project yet"),
        );
        if let Some(problem) = &self.problem {
            text.push_str(&format!("problem    {problem}\n"));
        }
        text
    }
}

impl Report for Listing {
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
    let trusted = approver::trusted(&approver_dir()?, &settings.state_dir()).ok();
    let approvals = Approvals::new(&settings.state_dir())
        .all()
        .iter()
        .map(|a| Listed::of(a, trusted.as_ref(), now))
        .collect();
    emit(format, &Listing { approvals });
    Ok(ExitCode::SUCCESS)
}
