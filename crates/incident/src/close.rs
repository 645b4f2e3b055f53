//! `incident close`: the guide's post-incident checklist, each item done or
//! not applicable with a note and who said so; then the database is
//! unfrozen, the side database dropped, and `report.md` written. Closing
//! again only writes the report again.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{report, scope, start, Context, Incident};

/// The guide's post-incident checklist: id and item.
pub const CHECKLIST: [(&str, &str); 7] = [
    ("data-restored", "Data successfully restored"),
    ("application-verified", "Application functionality verified"),
    ("users-notified", "Users notified (if applicable)"),
    ("incident-documented", "Incident documented"),
    ("root-cause", "Root cause identified"),
    ("prevention", "Prevention measures implemented"),
    ("debriefing", "Team debriefing conducted"),
];

/// An item's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// Done.
    Done,
    /// Not applicable to this incident.
    NotApplicable,
}

impl Status {
    /// As shown in the report.
    pub fn label(self) -> &'static str {
        match self {
            Status::Done => "done",
            Status::NotApplicable => "not applicable",
        }
    }
}

/// One answered item of the checklist.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChecklistItem {
    /// Its id (see [`CHECKLIST`]).
    pub id: String,
    /// The item as the guide words it.
    pub item: String,
    /// The answer.
    pub status: Status,
    /// The note given with it.
    pub note: String,
    /// Who answered (OS user).
    pub by: String,
    /// When.
    pub at: DateTime<Utc>,
}

/// An answer to one item, as given on the command line or at the terminal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// The item's id.
    pub id: String,
    /// Done or not applicable.
    pub status: Status,
    /// The note.
    pub note: String,
}

/// The checklist's items not answered by `answers`.
pub fn unanswered(answers: &[Answer]) -> Vec<(&'static str, &'static str)> {
    CHECKLIST
        .iter()
        .filter(|(id, _)| !answers.iter().any(|a| a.id == *id))
        .copied()
        .collect()
}

/// Closes `incident` with `answers` (every item must be answered); the
/// report's path.
pub fn close(ctx: &Context, incident: &mut Incident, answers: &[Answer]) -> anyhow::Result<PathBuf> {
    if incident.is_open() {
        for answer in answers {
            anyhow::ensure!(
                CHECKLIST.iter().any(|(id, _)| *id == answer.id),
                "`{}` is not an item of the checklist ({})",
                answer.id,
                CHECKLIST.map(|(id, _)| id).join(", ")
            );
        }
        let missing = unanswered(answers);
        anyhow::ensure!(
            missing.is_empty(),
            "the checklist is not complete; not answered: {}",
            missing
                .iter()
                .map(|(id, item)| format!("{id} ({item})"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let by = dbguard_pg::osuser::current_user_name();
        incident.checklist = CHECKLIST
            .iter()
            .filter_map(|(id, item)| {
                answers.iter().rfind(|a| a.id == *id).map(|a| ChecklistItem {
                    id: id.to_string(),
                    item: item.to_string(),
                    status: a.status,
                    note: a.note.clone(),
                    by: by.clone(),
                    at: Utc::now(),
                })
            })
            .collect();
        ctx.incidents.save(incident)?;
        let mut live = ctx.live("close")?;
        if start::frozen(incident) {
            let mut freeze = incident.freeze.clone().expect("frozen");
            crate::freeze::unfreeze(&mut live, &mut freeze)?;
            let detail = format!("unfroze {}: {}", freeze.database, freeze.undo_sql());
            incident.freeze = Some(freeze);
            ctx.record(incident, "unfreeze", detail)?;
        }
        if let Some(side) = incident.side.clone() {
            scope::drop_side(&mut live, &side.name)?;
            ctx.record(incident, "side-database", format!("dropped {}", side.name))?;
        }
        incident.closed_at = Some(Utc::now());
        ctx.record(incident, "close", "closed")?;
    }
    let path = ctx.incidents.dir_of(&incident.id).join("report.md");
    let text = report::markdown(incident, &ctx.log.entries()?);
    dbguard_backup::layout::write_private_atomically(&path, text.as_bytes())?;
    Ok(path)
}
