//! Incident response, the guide's "If Data Loss Occurs" as commands that
//! lose nothing a second time:
//!
//! 1. [`start`]: open an incident (a private folder `.dbguard/incidents/<id>/`,
//!    an audit entry) and, when asked, freeze the database: new sessions are
//!    read-only and the open ones are ended (after being shown). dbguard's own
//!    sessions lift read-only for themselves ([`session`]).
//! 2. [`scope`]: restore the most recent verified backup taken before the
//!    loss into a side database and compare it with the live one, table by
//!    table, by primary key: rows lost, changed and added since, per table
//!    and per farm, with the audit entry that most likely caused the loss.
//! 3. [`recover`]: put the lost rows back (all of them, some tables, or one
//!    farm) in one transaction, parents before children, never touching a
//!    row that exists in the live database; or a whole restore through the
//!    protocol.
//! 4. [`verify`]: integrity, tenant isolation, health, and the row counts
//!    against the scope; [`close`]: unfreeze, the post-incident checklist,
//!    and `report.md` with the timeline.
//!
//! Every step records what it did in the incident's state
//! ([`state::Incident`]), so rerunning a step after a crash finishes it.

pub mod buckets;
pub mod catalog;
pub mod close;
pub mod compare;
pub mod freeze;
pub mod keys;
pub mod recover;
pub mod report;
pub mod scope;
pub mod session;
pub mod start;
pub mod state;
pub mod stream;
pub mod verify;

pub use state::{Incident, Incidents};

use std::time::Duration;

use dbguard_guard::approver::ApproverDir;
use dbguard_guard::{AuditLog, Entry};
use dbguard_pg::{DbUrl, Settings};

/// What every step works with: the project, its live database, its audit
/// log and its incidents.
pub struct Context<'a> {
    /// The project's settings.
    pub settings: &'a Settings,
    /// The live database.
    pub url: DbUrl,
    /// The project's audit log.
    pub log: AuditLog,
    /// The project's incidents.
    pub incidents: Incidents,
}

impl<'a> Context<'a> {
    /// The context of `settings` on the live database `url`. dbguard's own
    /// sessions may write from now on although the database is frozen.
    pub fn new(settings: &'a Settings, url: DbUrl, approver_dir: &ApproverDir) -> Context<'a> {
        session::lift_read_only_for_this_process();
        let state_dir = settings.state_dir();
        Context {
            settings,
            url,
            log: dbguard_guard::protocol::project_log(&state_dir, approver_dir),
            incidents: Incidents::new(&state_dir),
        }
    }

    /// The connection timeout.
    pub fn timeout(&self) -> Duration {
        self.settings.pool.timeout()
    }

    /// A session on the live database.
    pub fn live(&self, step: &str) -> anyhow::Result<postgres::Client> {
        session::connect(&self.url, self.timeout(), &format!("dbguard incident {step}"))
    }

    /// The operation `text`, of kind `incident`, as the protocol takes it.
    pub fn operation(&self, text: String) -> dbguard_guard::protocol::Operation {
        dbguard_guard::protocol::Operation {
            kind: "incident",
            text,
            cwd: self.settings.project_dir.clone(),
        }
    }

    /// Records `step` of `incident`: in its state (saved) and in the audit log.
    pub fn record(
        &self,
        incident: &mut Incident,
        step: &str,
        detail: impl Into<String>,
    ) -> anyhow::Result<()> {
        let detail = detail.into();
        incident.step(step, detail.clone());
        self.incidents.save(incident)?;
        let mut entry = Entry::new(
            "incident",
            &format!("dbguard incident {step} {}: {detail}", incident.id),
            "executed",
        );
        entry.target = Some(incident.target.clone());
        entry.cwd = self.settings.project_dir.clone();
        entry.agent = dbguard_guard::agent::detected();
        self.log.append(entry)?;
        Ok(())
    }
}
