//! The incident's own record: `.dbguard/incidents/<id>/incident.json`
//! (0600, written whole or not at all, in a 0700 folder), holding every step
//! taken and what it found, so each step can be rerun after a crash and the
//! report can be written from it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Context;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use dbguard_backup::layout::{make_private_dir, write_private_atomically};

use crate::close::ChecklistItem;
use crate::freeze::Freeze;
use crate::recover::Recovery;
use crate::scope::ScopeReport;
use crate::verify::VerifyReport;

/// The state file in an incident's folder.
const STATE_FILE: &str = "incident.json";

/// One incident.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Incident {
    /// `inc_YYYYmmdd_HHMMSS`.
    pub id: String,
    /// What happened, in the words of whoever opened it.
    pub title: String,
    /// When it was opened.
    pub opened_at: DateTime<Utc>,
    /// Who opened it (OS user).
    pub opened_by: String,
    /// The live database (without password).
    pub target: String,
    /// The live database's name.
    pub database: String,
    /// The side database the backup was restored into.
    pub side: Option<SideDatabase>,
    /// The freeze, while the database is frozen (and after, for the report).
    pub freeze: Option<Freeze>,
    /// The last scope.
    pub scope: Option<ScopeReport>,
    /// Recoveries, in order.
    pub recoveries: Vec<Recovery>,
    /// The last verification.
    pub verification: Option<VerifyReport>,
    /// The post-incident checklist, once closed.
    pub checklist: Vec<ChecklistItem>,
    /// When it was closed.
    pub closed_at: Option<DateTime<Utc>>,
    /// The incident's own steps, oldest first.
    pub steps: Vec<Step>,
}

/// The database a backup was restored into, beside the live one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SideDatabase {
    /// Its name.
    pub name: String,
    /// The backup restored into it.
    pub backup: String,
    /// Seconds the restore took.
    pub restore_seconds: f64,
}

/// One thing the incident's commands did.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Step {
    /// When.
    pub time: DateTime<Utc>,
    /// `start`, `freeze`, `scope`, `recover`, `verify`, `unfreeze`, `close`.
    pub step: String,
    /// What it did, in a sentence.
    pub detail: String,
}

impl Incident {
    /// A new incident, opened at `opened_at` by `opened_by` on the database
    /// `database` that `target` names; nothing done yet.
    pub fn opened(
        id: String,
        title: String,
        (opened_at, opened_by): (DateTime<Utc>, String),
        target: String,
        database: String,
    ) -> Incident {
        Incident {
            id,
            title,
            opened_at,
            opened_by,
            target,
            database,
            side: None,
            freeze: None,
            scope: None,
            recoveries: Vec::new(),
            verification: None,
            checklist: Vec::new(),
            closed_at: None,
            steps: Vec::new(),
        }
    }

    /// Whether `target` (an audit entry's) is the incident's database.
    /// An entry's target is the database its command named (`psql <url>`),
    /// an incident's the one `DATABASE_URL` names: the same database may be
    /// written otherwise in each (with a password or a `passfile`, other
    /// parameters), so the two are compared by server and database
    /// ([`dbguard_pg::DbUrl::same_database`]), by their text only when one
    /// of them cannot be read.
    pub fn is_on(&self, target: &str) -> bool {
        match (
            dbguard_pg::DbUrl::parse(&self.target),
            dbguard_pg::DbUrl::parse(target),
        ) {
            (Ok(live), Ok(target)) => live.same_database(&target),
            _ => target == self.target,
        }
    }

    /// Records a step now.
    pub fn step(&mut self, step: &str, detail: impl Into<String>) {
        self.steps.push(Step {
            time: Utc::now(),
            step: step.to_string(),
            detail: detail.into(),
        });
    }

    /// Whether it is still open.
    pub fn is_open(&self) -> bool {
        self.closed_at.is_none()
    }
}

/// The incidents of a project, in `.dbguard/incidents/`.
#[derive(Debug, Clone)]
pub struct Incidents {
    dir: PathBuf,
}

impl Incidents {
    /// The incidents kept under the state folder `state_dir`.
    pub fn new(state_dir: &Path) -> Incidents {
        Incidents {
            dir: state_dir.join("incidents"),
        }
    }

    /// The folder of incident `id`.
    pub fn dir_of(&self, id: &str) -> PathBuf {
        self.dir.join(id)
    }

    /// Writes `incident` (atomically, 0600, in a 0700 folder).
    pub fn save(&self, incident: &Incident) -> anyhow::Result<()> {
        make_private_dir(&self.dir)?;
        let dir = self.dir_of(&incident.id);
        make_private_dir(&dir)?;
        let mut bytes = serde_json::to_vec_pretty(incident).expect("incidents serialise");
        bytes.push(b'\n');
        write_private_atomically(&dir.join(STATE_FILE), &bytes)?;
        Ok(())
    }

    /// Every incident, oldest first.
    pub fn list(&self) -> anyhow::Result<Vec<Incident>> {
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", self.dir.display())),
        };
        let mut list = Vec::new();
        for entry in entries.flatten() {
            let path = entry.path().join(STATE_FILE);
            if path.exists() {
                let bytes =
                    std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
                list.push(
                    serde_json::from_slice::<Incident>(&bytes)
                        .with_context(|| format!("{} is not an incident record", path.display()))?,
                );
            }
        }
        list.sort_by(|a, b| a.opened_at.cmp(&b.opened_at).then(a.id.cmp(&b.id)));
        Ok(list)
    }

    /// The backups open incidents work from (the scope's, the side
    /// database's), by id, with why: retention must keep them until the
    /// incident is closed, since its recovery reads their definitions.
    pub fn backups_in_use(&self) -> anyhow::Result<BTreeMap<String, String>> {
        let mut held = BTreeMap::new();
        for incident in self.list()?.into_iter().filter(Incident::is_open) {
            let scoped = incident.scope.as_ref().map(|s| s.backup.id.clone());
            let side = incident.side.as_ref().map(|s| s.backup.clone());
            for id in scoped.into_iter().chain(side) {
                held.insert(id, format!("open incident {} works from it", incident.id));
            }
        }
        Ok(held)
    }

    /// Incident `id`, or when `None` the one open incident (an error when
    /// none is open, or several are and it cannot be told which is meant).
    pub fn find(&self, id: Option<&str>) -> anyhow::Result<Incident> {
        let list = self.list()?;
        if let Some(id) = id {
            return list
                .into_iter()
                .find(|i| i.id == id)
                .ok_or_else(|| anyhow::anyhow!("no incident `{id}` in {}", self.dir.display()));
        }
        let mut open: Vec<Incident> = list.into_iter().filter(Incident::is_open).collect();
        match open.len() {
            0 => anyhow::bail!("no open incident (`dbguard incident start` opens one)"),
            1 => Ok(open.remove(0)),
            _ => anyhow::bail!(
                "{} incidents are open ({}); name one",
                open.len(),
                open.iter().map(|i| i.id.as_str()).collect::<Vec<_>>().join(", ")
            ),
        }
    }

    /// A new id for an incident opened at `at`.
    pub fn new_id(&self, at: DateTime<Utc>) -> String {
        let base = format!("inc_{}", at.format("%Y%m%d_%H%M%S"));
        let mut id = base.clone();
        let mut n = 1;
        while self.dir_of(&id).exists() {
            n += 1;
            id = format!("{base}_{n}");
        }
        id
    }
}
