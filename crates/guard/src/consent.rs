//! A person's answer to a pending approval, whichever channel it comes
//! through (`dbguard approve` at a terminal, or the dashboard of
//! `dbguard serve`): approving needs the exact answer `YES` and the
//! approver's passphrase, and is refused while an AI agent runs the
//! process; denying needs neither, since it only takes power away. One
//! function per answer, so no channel can give more power than another.

use chrono::Utc;
use dbguard_pg::{DbUrl, Settings};

use crate::approver::{self, ApproverDir, Unlocked};
use crate::audit::Entry;
use crate::protocol::{open_window_for, project_log};
use crate::{Approval, Approvals};

/// Why an answer changed nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Declined {
    /// An AI agent runs this process (the variable that shows it).
    Agent(String),
    /// The answer was not exactly `YES`.
    NotYes,
    /// No approver can be trusted here.
    Untrusted(String),
    /// The passphrase did not unlock the approver's key.
    Locked(String),
    /// The approval cannot be answered (unknown, damaged, not pending).
    NotPending(String),
}

impl std::fmt::Display for Declined {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Declined::Agent(variable) => write!(
                f,
                "Refused: approving is for a person, not for an AI agent ({variable} is set)."
            ),
            Declined::NotYes => write!(f, "Not approved."),
            Declined::Untrusted(why) => write!(f, "Refused: {why}."),
            Declined::Locked(why) => write!(f, "Not approved: {why}."),
            Declined::NotPending(why) => write!(f, "{why}"),
        }
    }
}

/// An approval a person gave.
#[derive(Debug)]
pub struct Given {
    /// The approval, signed.
    pub approval: Approval,
    /// What the person should know about the protected database's window.
    pub note: Option<String>,
}

/// The pending approval `id`, when an approver is trusted in the project
/// `settings` describe and the request is what it claims
/// ([`crate::protocol::check_request`]): what a channel shows before asking.
pub fn pending(settings: &Settings, approver_dir: &ApproverDir, id: &str) -> Result<Approval, Declined> {
    let state_dir = settings.state_dir();
    approver::trusted(approver_dir, &state_dir).map_err(|e| Declined::Untrusted(e.to_string()))?;
    let approvals = Approvals::new(&state_dir);
    let approval = approvals
        .get(id)
        .map_err(|e| Declined::NotPending(e.to_string()))?;
    match approval.state(Utc::now()) {
        "pending" => {}
        state => {
            return Err(Declined::NotPending(format!(
                "approval {id} is {state}; only a pending approval can be approved"
            )))
        }
    }
    crate::protocol::check_request(&approvals, id).map_err(|e| Declined::Untrusted(e.to_string()))
}

/// Approves the pending approval `id` when `answer` is exactly `YES` and
/// `passphrase` unlocks the trusted approver's key: signs it, records it in
/// the audit log, and opens its window when its database is protected and
/// is the one `target` names (`target` is asked only then).
pub fn approve(
    settings: &Settings,
    approver_dir: &ApproverDir,
    id: &str,
    answer: &str,
    passphrase: &str,
    target: &dyn Fn() -> anyhow::Result<DbUrl>,
) -> anyhow::Result<Result<Given, Declined>> {
    if let Some(variable) = crate::agent::detected() {
        return Ok(Err(Declined::Agent(variable)));
    }
    if answer != "YES" {
        return Ok(Err(Declined::NotYes));
    }
    if let Err(declined) = pending(settings, approver_dir, id) {
        return Ok(Err(declined));
    }
    let state_dir = settings.state_dir();
    let approver = match approver::trusted(approver_dir, &state_dir) {
        Ok(approver) => approver,
        Err(e) => return Ok(Err(Declined::Untrusted(e.to_string()))),
    };
    let key = match approver.unlock(passphrase) {
        Ok(key) => key,
        Err(e) => return Ok(Err(Declined::Locked(e.to_string()))),
    };
    let approvals = Approvals::new(&state_dir);
    let log = project_log(&state_dir, approver_dir);
    let approval = crate::protocol::approve(&approvals, &log, &state_dir, id, &key, None)?;
    let note = open_window(settings, &approvals, &approval, &key, target);
    Ok(Ok(Given { approval, note }))
}

/// Denies the pending approval `id`: it is no longer pending, and the
/// denial is recorded in the audit log. The same operation, asked again,
/// waits for a new approval.
pub fn deny(
    settings: &Settings,
    approver_dir: &ApproverDir,
    id: &str,
) -> anyhow::Result<Result<Approval, Declined>> {
    let state_dir = settings.state_dir();
    let approvals = Approvals::new(&state_dir);
    let denied = match approvals.deny(id, &dbguard_pg::osuser::current_user_name()) {
        Ok(denied) => denied,
        Err(e) => return Ok(Err(Declined::NotPending(e.to_string()))),
    };
    let mut entry = Entry::new("approval", &denied.operation, "denied");
    entry.target = Some(denied.target_display.clone());
    entry.risk = denied.risk.clone();
    entry.approval = Some(denied.id.clone());
    entry.cwd = denied.binding.cwd.clone();
    project_log(&state_dir, approver_dir).append(entry)?;
    Ok(Ok(denied))
}

/// Opens the approval's window when its database is protected and is the
/// one `target` names; what the person should know.
fn open_window(
    settings: &Settings,
    approvals: &Approvals,
    approval: &Approval,
    key: &Unlocked,
    target: &dyn Fn() -> anyhow::Result<DbUrl>,
) -> Option<String> {
    let state_dir = settings.state_dir();
    let sealed = crate::protect::credential::sealed_path(&state_dir, &approval.binding.target);
    if !sealed.exists() {
        return None;
    }
    let url = target().ok()?;
    let same = dbguard_pg::connect(&url, settings.pool.timeout())
        .ok()
        .map(|mut client| crate::target::identity(&mut client, &url))
        .is_some_and(|identity| identity == approval.binding.target);
    if !same {
        return Some(format!(
            "The approval's database is protected, but it is not the database this project's settings name \
             ({}), so its window was not opened here; the database itself will refuse the operation.",
            url.redacted()
        ));
    }
    open_window_for(approvals, &state_dir, approval, &url, key)
}
