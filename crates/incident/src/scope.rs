//! `incident scope`: which rows were lost. The backup is the one the
//! causing operation was preceded by, else the most recent verified backup
//! of this database taken before the loss (or `--backup ID`); it is
//! restored into a side database (`dbguard_incident_<time>_<database>`, kept until the
//! incident closes) and compared with the live database table by table
//! ([`crate::compare`]).

use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

use chrono::{DateTime, Utc};
use dbguard_backup::{restore, Backup, Level, RestoreOptions, Target};
use dbguard_guard::Entry;
use dbguard_pg::local::quote_ident;
use serde::{Deserialize, Serialize};

use crate::compare::{compare, Counts, TableDiff};
use crate::keys::Keys;
use crate::state::SideDatabase;
use crate::{catalog, Context, Incident};

/// Kinds of audit entry that can change data (not approvals, not incidents).
const CHANGING_KINDS: &[&str] = &["shell", "sql", "migrate", "reset", "restore"];

/// The audit entry that most likely caused the loss.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cause {
    /// Its position in the audit log.
    pub seq: u64,
    /// When it ended.
    pub time: DateTime<Utc>,
    /// `sql`, `shell`, …
    pub kind: String,
    /// The command or SQL (without secrets).
    pub operation: String,
    /// Its risk.
    pub risk: String,
    /// The rules it matched.
    pub rules: Vec<String>,
    /// The approval it ran with.
    pub approval: Option<String>,
    /// The backup taken before it.
    pub backup: Option<String>,
    /// The OS user.
    pub os_user: String,
    /// The AI agent that ran it, if one was detected.
    pub agent: Option<String>,
}

/// The backup a scope compared with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackupUsed {
    /// Its id.
    pub id: String,
    /// When its snapshot was taken.
    pub taken_at: DateTime<Utc>,
    /// How far it was verified.
    pub verified: Level,
    /// Why it was chosen.
    pub why: String,
}

/// What `incident scope` found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScopeReport {
    /// The incident.
    pub incident: String,
    /// When the comparison ran.
    pub at: DateTime<Utc>,
    /// The backup.
    pub backup: BackupUsed,
    /// The side database holding it.
    pub side_database: String,
    /// The most likely cause.
    pub cause: Option<Cause>,
    /// Every table of the backup, by name.
    pub tables: Vec<TableDiff>,
    /// Tables of the live database the backup does not have, with their rows.
    pub new_tables: Vec<(String, u64)>,
    /// The totals.
    pub totals: Counts,
    /// The totals by farm (`""`: rows of no farm).
    pub farms: BTreeMap<String, Counts>,
    /// Seconds the restore into the side database took (0 when it was reused).
    pub restore_seconds: f64,
    /// Seconds the comparison took.
    pub compare_seconds: f64,
}

impl ScopeReport {
    /// The table `name` (`schema.table`, or the table alone).
    pub fn table(&self, name: &str) -> Option<&TableDiff> {
        self.tables
            .iter()
            .find(|t| t.table == name || t.table.split_once('.').map(|(_, n)| n) == Some(name))
    }
}

/// The entry of `log` that most likely caused the loss in `incident`: the
/// last data-changing operation on its database that ran before the
/// incident was opened, the highest risk first.
/// ([`Incident::is_on`]: however its command wrote the database).
pub fn cause(entries: &[Entry], incident: &Incident) -> Option<Cause> {
    let ran: Vec<&Entry> = entries
        .iter()
        .filter(|e| {
            CHANGING_KINDS.contains(&e.kind.as_str())
                && e.outcome == "executed"
                && e.time <= incident.opened_at
                && e.target.as_deref().is_some_and(|t| incident.is_on(t))
                && e.risk != "low"
        })
        .collect();
    let pick = ran
        .iter()
        .rev()
        .find(|e| e.risk == "high")
        .or_else(|| ran.last())?;
    Some(Cause {
        seq: pick.seq,
        time: pick.time,
        kind: pick.kind.clone(),
        operation: pick.operation.clone(),
        risk: pick.risk.clone(),
        rules: pick.rules.clone(),
        approval: pick.approval.clone(),
        backup: pick.backup.clone(),
        os_user: pick.os_user.clone(),
        agent: pick.agent.clone(),
    })
}

/// The backup to compare with: `requested`, else the backup taken just
/// before the cause, else the most recent backup of this database that
/// verified and was taken before the cause (or before the incident).
pub fn choose_backup(
    list: Vec<Backup>,
    incident: &Incident,
    cause: Option<&Cause>,
    requested: Option<&str>,
) -> anyhow::Result<(Backup, String)> {
    let verified = |b: &Backup| {
        b.manifest.verification.level >= Level::Read && b.manifest.verification.last_failure.is_none()
    };
    if let Some(id) = requested {
        let backup = list
            .into_iter()
            .find(|b| b.id() == id)
            .ok_or_else(|| anyhow::anyhow!("no backup `{id}`"))?;
        anyhow::ensure!(
            verified(&backup),
            "backup {id} has not been verified (`dbguard backup verify {id}`); an unverified backup is not compared with"
        );
        return Ok((backup, "named with --backup".into()));
    }
    let ours: Vec<Backup> = list
        .into_iter()
        .filter(|b| b.manifest.source.database == incident.database && verified(b))
        .collect();
    if let Some(id) = cause.and_then(|c| c.backup.as_deref()) {
        if let Some(backup) = ours.iter().find(|b| b.id() == id) {
            return Ok((
                backup.clone(),
                "taken by the protocol just before the causing operation".into(),
            ));
        }
    }
    let before = cause.map(|c| c.time).unwrap_or(incident.opened_at);
    ours.into_iter()
        .find(|b| b.manifest.started_at < before)
        .map(|b| {
            (
                b,
                format!(
                    "the most recent verified backup of {} taken before {}",
                    incident.database,
                    match cause {
                        Some(_) => "the causing operation",
                        None => "the incident was opened",
                    }
                ),
            )
        })
        .ok_or_else(|| {
            anyhow::anyhow!(
                "no verified backup of {} taken before {} UTC; name one with --backup",
                incident.database,
                before.format("%Y-%m-%d %H:%M:%S")
            )
        })
}

/// The side database's name for `incident`: its id and its database's
/// name (projects on one server may open incidents in the same second),
/// within PostgreSQL's 63 bytes.
pub fn side_name(incident: &Incident) -> String {
    let id = incident.id.trim_start_matches("inc_");
    let database: String = incident
        .database
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    let mut name = format!("dbguard_incident_{id}_{database}");
    name.truncate(63);
    name
}

/// Scopes `incident`: restores the backup into the side database (reused
/// when it already holds that backup) and compares. The report is saved
/// with the incident.
pub fn scope(ctx: &Context, incident: &mut Incident, requested: Option<&str>) -> anyhow::Result<ScopeReport> {
    let entries = ctx.log.entries()?;
    let cause = cause(&entries, incident);
    let store = dbguard_guard::protocol::store(ctx.settings);
    let (backup, why) = choose_backup(store.list()?, incident, cause.as_ref(), requested)?;
    let name = side_name(incident);
    let restore_seconds = ensure_side(ctx, incident, &store, &backup, &name)?;
    let started = Instant::now();
    let side_url = ctx.url.with_database(&name)?;
    let mut side = crate::session::connect(&side_url, ctx.timeout(), "dbguard incident scope")?;
    let mut live = ctx.live("scope")?;
    let old = catalog::tables(&mut side, &Keys::of_backup(&backup)?)?;
    let new = catalog::own_tables(&mut live)?;
    let mut tables = Vec::new();
    for table in old.values() {
        tables.push(compare(&mut side, table, &mut live, new.get(&table.display()))?);
    }
    let mut new_tables = Vec::new();
    for table in new.values().filter(|t| !old.contains_key(&t.display())) {
        let rows: i64 = live
            .query_one(&format!("SELECT count(*) FROM {}", table.quoted()), &[])?
            .get(0);
        new_tables.push((table.display(), rows as u64));
    }
    let mut totals = Counts::default();
    let mut farms: BTreeMap<String, Counts> = BTreeMap::new();
    for diff in &tables {
        add(&mut totals, &diff.counts);
        for (farm, counts) in &diff.farms {
            add(farms.entry(farm.clone()).or_default(), counts);
        }
    }
    totals.added += new_tables.iter().map(|(_, n)| n).sum::<u64>();
    let report = ScopeReport {
        incident: incident.id.clone(),
        at: Utc::now(),
        backup: BackupUsed {
            id: backup.id().to_string(),
            taken_at: backup.manifest.started_at,
            verified: backup.manifest.verification.level,
            why,
        },
        side_database: name,
        cause,
        tables,
        new_tables,
        totals,
        farms,
        restore_seconds,
        compare_seconds: started.elapsed().as_secs_f64(),
    };
    incident.scope = Some(report.clone());
    ctx.record(
        incident,
        "scope",
        format!(
            "compared with backup {}: {} row(s) lost, {} changed, {} added since",
            report.backup.id, totals.lost, totals.changed, totals.added
        ),
    )?;
    Ok(report)
}

fn add(total: &mut Counts, more: &Counts) {
    total.lost += more.lost;
    total.changed += more.changed;
    total.added += more.added;
}

/// Makes the side database `name` hold `backup`; the seconds the restore took.
fn ensure_side(
    ctx: &Context,
    incident: &mut Incident,
    store: &dbguard_backup::Store,
    backup: &Backup,
    name: &str,
) -> anyhow::Result<f64> {
    let mut admin = ctx.live("scope")?;
    let exists = admin
        .query_opt("SELECT 1 FROM pg_database WHERE datname = $1", &[&name])?
        .is_some();
    let holds = incident
        .side
        .as_ref()
        .is_some_and(|s| s.name == name && s.backup == backup.id());
    if exists && holds {
        return Ok(0.0);
    }
    if exists {
        // Of another backup, or left by a run that crashed before recording it.
        drop_side(&mut admin, name)?;
    }
    incident.side = None;
    ctx.incidents.save(incident)?;
    let report = restore(
        store,
        backup,
        &ctx.url,
        &Target::NewDatabase(name.to_string()),
        &RestoreOptions {
            progress: false,
            connect_timeout: Some(ctx.timeout()),
            lock_timeout: None,
            // The comparison scans whole tables and the recovery copies
            // them out (by farm): neither needs the side's indexes or
            // statistics. Its keys are read from the archive.
            reading_copy: true,
        },
    )?;
    incident.side = Some(SideDatabase {
        name: name.to_string(),
        backup: backup.id().to_string(),
        restore_seconds: report.seconds,
    });
    ctx.record(
        incident,
        "side-database",
        format!(
            "restored backup {} into {name} in {:.1} s",
            backup.id(),
            report.seconds
        ),
    )?;
    Ok(report.seconds)
}

/// Drops the side database `name`.
pub fn drop_side(admin: &mut postgres::Client, name: &str) -> anyhow::Result<()> {
    admin.batch_execute(&format!(
        "DROP DATABASE IF EXISTS {} WITH (FORCE)",
        quote_ident(name)
    ))?;
    Ok(())
}

/// The names of the tables `report` found rows lost in (for `farm`, when given).
pub fn tables_with_losses(report: &ScopeReport, farm: Option<&str>) -> BTreeSet<String> {
    report
        .tables
        .iter()
        .filter(|t| match farm {
            Some(farm) => t.farms.get(farm).is_some_and(|c| c.lost > 0),
            None => t.counts.lost > 0,
        })
        .map(|t| t.table.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(seq: u64, target: &str, operation: &str) -> Entry {
        let mut entry = Entry::new("shell", operation, "executed");
        entry.seq = seq;
        entry.time = Utc::now() - chrono::Duration::minutes(5);
        entry.target = Some(dbguard_pg::redact::redact(target));
        entry.risk = "high".into();
        entry
    }

    #[test]
    fn the_cause_is_found_whichever_way_its_command_wrote_the_database() {
        let incident = Incident::opened(
            "inc_1".into(),
            "lost".into(),
            (Utc::now(), "ops".into()),
            "postgresql://app@127.0.0.1:5433/farm?passfile=/tmp/dbguard.pgpass".into(),
            "farm".into(),
        );
        let entries = [
            entry(
                1,
                "postgresql://app:secret@127.0.0.1:5433/farm",
                "psql -c 'TRUNCATE tasks'",
            ),
            entry(
                2,
                "postgresql://app:secret@127.0.0.1:5433/other",
                "psql -c 'TRUNCATE tasks'",
            ),
        ];
        let found = cause(&entries, &incident).expect("the TRUNCATE on farm");
        assert_eq!(found.seq, 1, "not the one on another database");
        assert!(cause(&entries[1..], &incident).is_none());
        let report = crate::report::markdown(&incident, &entries);
        assert!(report.contains("TRUNCATE tasks"), "in the timeline: {report}");
        assert!(!report.contains("TRUNCATE others"), "{report}");
    }
}
