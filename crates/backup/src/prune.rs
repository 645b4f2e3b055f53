//! `backup prune`: retention that never deletes the newest verified backup,
//! whatever the policy says, and says why it keeps or deletes each one.

use std::collections::BTreeMap;
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::error::{Error, Result};
use crate::layout::{Backup, PartialFolder, Store};
use crate::leftovers::Liveness;
use crate::manifest::Level;

/// How many backups to keep.
#[derive(Debug, Clone, Copy)]
pub struct Retention {
    /// Keep backups younger than this many days.
    pub keep_days: u32,
    /// Keep this many newest backups.
    pub keep_last: u32,
}

/// One backup's fate.
#[derive(Debug, Clone, Serialize)]
pub struct Decision {
    /// The backup.
    pub id: String,
    /// When it was made.
    pub started_at: DateTime<Utc>,
    /// Its verification level.
    pub verified: Level,
    /// Kept?
    pub keep: bool,
    /// Why.
    pub reason: String,
    /// Its folder.
    #[serde(skip)]
    pub dir: PathBuf,
}

/// What prune does.
#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    /// Every backup, newest first.
    pub backups: Vec<Decision>,
    /// Unfinished backups to remove: those whose writer is gone.
    pub stale_partials: Vec<PathBuf>,
}

/// Decides, for backups listed newest first. `held` are backups something
/// still works from (by id, with why: an open incident compares against
/// it), kept whatever their age.
pub fn plan(
    backups: &[Backup],
    retention: Retention,
    now: DateTime<Utc>,
    partials: Vec<PartialFolder>,
    held: &BTreeMap<String, String>,
) -> Plan {
    let newest_verified = backups
        .iter()
        .position(|b| b.manifest.verification.level > Level::None);
    let decisions = backups
        .iter()
        .enumerate()
        .map(|(i, b)| {
            let age = now - b.manifest.started_at;
            let (keep, reason) = if Some(i) == newest_verified {
                (true, "the newest verified backup is always kept".to_string())
            } else if let Some(why) = held.get(b.id()) {
                (true, why.clone())
            } else if (i as u32) < retention.keep_last {
                (true, format!("one of the newest {}", retention.keep_last))
            } else if age < chrono::Duration::days(retention.keep_days.into()) {
                (true, format!("younger than {} days", retention.keep_days))
            } else {
                (
                    false,
                    format!(
                        "{} days old, beyond the newest {}",
                        age.num_days(),
                        retention.keep_last
                    ),
                )
            };
            Decision {
                id: b.id().to_string(),
                started_at: b.manifest.started_at,
                verified: b.manifest.verification.level,
                keep,
                reason,
                dir: b.dir.clone(),
            }
        })
        .collect();
    let stale_partials = partials
        .into_iter()
        .filter(|p| p.liveness == Liveness::Gone)
        .map(|p| p.path)
        .collect();
    Plan {
        backups: decisions,
        stale_partials,
    }
}

/// Plans for `store` now, keeping the backups in `held`.
pub fn plan_store(store: &Store, retention: Retention, held: &BTreeMap<String, String>) -> Result<Plan> {
    Ok(plan(
        &store.list()?,
        retention,
        Utc::now(),
        store.partials(),
        held,
    ))
}

/// Deletes what the plan does not keep.
pub fn apply(plan: &Plan) -> Result<()> {
    for decision in plan.backups.iter().filter(|d| !d.keep) {
        std::fs::remove_dir_all(&decision.dir).map_err(|e| Error::io(&decision.dir, e))?;
    }
    for partial in &plan.stale_partials {
        std::fs::remove_dir_all(partial).map_err(|e| Error::io(partial, e))?;
    }
    Ok(())
}
