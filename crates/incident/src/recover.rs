//! `incident recover`: the rows lost go back from the side database into
//! the live one, all in one transaction (a failure or a kill changes
//! nothing), parents before children, and only rows whose key the live
//! database does not have: a row changed or added since the backup is never
//! touched; those are listed for a person to decide. Rerunning inserts only
//! what is still missing, so a recovery interrupted and rerun completes.
//!
//! Each table is streamed with `COPY` from the side database into a
//! temporary table of the transaction, then inserted with `NOT EXISTS` on
//! the key (and `ON CONFLICT DO NOTHING`, so a row clashing with a newer one
//! on another unique key is left out and counted, not forced).

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use dbguard_guard::protocol::Operation;
use dbguard_pg::local::quote_ident;
use dbguard_risk::{Finding, Rule, Verdict};
use serde::{Deserialize, Serialize};

use crate::catalog::{self, Table};
use crate::keys::Keys;
use crate::scope::{tables_with_losses, ScopeReport};
use crate::{Context, Incident};

/// What to recover.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// These tables only (`schema.table` or the table alone); all tables
    /// with lost rows when empty.
    pub tables: Vec<String>,
    /// This farm's rows only.
    pub farm: Option<String>,
}

impl Selection {
    /// As a command line, for the audit log and the approval's binding.
    pub fn command(&self, incident: &str) -> String {
        let mut text = format!("dbguard incident recover {incident}");
        for table in &self.tables {
            text.push_str(&format!(" --table {table}"));
        }
        if let Some(farm) = &self.farm {
            text.push_str(&format!(" --farm {farm}"));
        }
        text
    }
}

/// One table's recovery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableRecovery {
    /// `schema.table`.
    pub table: String,
    /// Rows of the backup (in the selection) missing from the live database.
    pub missing: u64,
    /// Rows put back.
    pub inserted: u64,
    /// Rows changed since the backup, left as they are now.
    pub changed_left: u64,
    /// Rows added since the backup, left as they are.
    pub added_left: u64,
    /// Examples of the rows left alone (`column=value, …`).
    pub left_samples: Vec<String>,
}

/// What one recovery did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Recovery {
    /// When it committed.
    pub at: DateTime<Utc>,
    /// `selective`, or `whole` (a restore of the whole backup).
    pub kind: String,
    /// The backup the rows came from.
    pub backup: String,
    /// The farm, when only one farm's rows were recovered.
    pub farm: Option<String>,
    /// Table by table, parents first.
    pub tables: Vec<TableRecovery>,
}

impl Recovery {
    /// Rows put back.
    pub fn inserted(&self) -> u64 {
        self.tables.iter().map(|t| t.inserted).sum()
    }
}

/// The operation and verdict a recovery goes through the protocol with.
pub fn operation(
    ctx: &Context,
    incident: &Incident,
    selection: &Selection,
) -> anyhow::Result<(Operation, Verdict)> {
    let scope = scoped(incident)?;
    let tables = chosen(scope, selection)?;
    let lost: u64 = tables
        .iter()
        .filter_map(|t| scope.table(t))
        .map(|t| match &selection.farm {
            Some(farm) => t.farms.get(farm).map(|c| c.lost).unwrap_or(0),
            None => t.counts.lost,
        })
        .sum();
    let text = selection.command(&incident.id);
    let verdict = Verdict::from_findings(vec![Finding::new(
        Rule::IncidentRecover,
        format!(
            "puts back {lost} row(s) lost since backup {} into {} ({}), in one transaction; rows changed or added \
             since are not touched",
            scope.backup.id,
            incident.database,
            tables.iter().cloned().collect::<Vec<_>>().join(", ")
        ),
        &text,
    )]);
    Ok((ctx.operation(text), verdict))
}

fn scoped(incident: &Incident) -> anyhow::Result<&ScopeReport> {
    incident.scope.as_ref().ok_or_else(|| {
        anyhow::anyhow!(
            "incident {} has no scope yet: run `dbguard incident scope` first",
            incident.id
        )
    })
}

/// The tables of `selection`, by `schema.table`.
fn chosen(scope: &ScopeReport, selection: &Selection) -> anyhow::Result<BTreeSet<String>> {
    if selection.tables.is_empty() {
        return Ok(tables_with_losses(scope, selection.farm.as_deref()));
    }
    selection
        .tables
        .iter()
        .map(|name| {
            scope
                .table(name)
                .map(|t| t.table.clone())
                .ok_or_else(|| anyhow::anyhow!("the backup has no table `{name}`"))
        })
        .collect()
}

/// Puts the lost rows of `selection` back, in one transaction.
pub fn recover(ctx: &Context, incident: &mut Incident, selection: &Selection) -> anyhow::Result<Recovery> {
    let scope = scoped(incident)?.clone();
    let names = chosen(&scope, selection)?;
    let side_url = ctx.url.with_database(&scope.side_database)?;
    let mut side = crate::session::connect(&side_url, ctx.timeout(), "dbguard incident recover")?;
    let mut live = ctx.live("recover")?;
    let backup = dbguard_guard::protocol::store(ctx.settings).find(&scope.backup.id)?;
    let old = catalog::tables(&mut side, &Keys::of_backup(&backup)?)?;
    let new = catalog::own_tables(&mut live)?;
    let mut order = Vec::new();
    for name in catalog::parents_first(&old, &names) {
        let backup = &old[&name];
        let Some(current) = new.get(&name) else {
            anyhow::bail!("the live database has no table {name}; recover it with a whole restore");
        };
        if selection.farm.is_some() && backup.tenant.is_none() {
            anyhow::bail!("{name} holds rows of no farm; recover it without --farm");
        }
        anyhow::ensure!(
            !backup.key.is_empty(),
            "{name} has no primary key, so its lost rows cannot be told apart"
        );
        order.push((backup, current));
    }
    let mut tx = live.transaction()?;
    let mut tables = Vec::new();
    for (i, (backup, current)) in order.iter().enumerate() {
        let mut done = put_back(&mut side, &mut tx, backup, current, selection.farm.as_deref(), i)?;
        if let Some(diff) = scope.table(&backup.display()) {
            let counts = match &selection.farm {
                Some(farm) => diff.farms.get(farm).copied().unwrap_or_default(),
                None => diff.counts,
            };
            done.changed_left = counts.changed;
            done.added_left = counts.added;
            done.left_samples = diff
                .samples
                .changed
                .iter()
                .chain(&diff.samples.added)
                .filter(|key| of_farm(key, backup, selection.farm.as_deref()))
                .cloned()
                .collect();
        }
        tables.push(done);
    }
    tx.commit()?;
    let recovery = Recovery {
        at: Utc::now(),
        kind: "selective".into(),
        backup: scope.backup.id.clone(),
        farm: selection.farm.clone(),
        tables,
    };
    incident.recoveries.push(recovery.clone());
    ctx.record(
        incident,
        "recover",
        format!(
            "{}: put back {} row(s) from backup {}",
            selection.command(&incident.id),
            recovery.inserted(),
            recovery.backup
        ),
    )?;
    Ok(recovery)
}

/// Whether the sample `key` (`column=value, …`) may be a row of `farm`:
/// when the tenant column is part of the key, its value must be the farm's.
fn of_farm(key: &str, table: &Table, farm: Option<&str>) -> bool {
    match (farm, &table.tenant) {
        (Some(farm), Some(tenant)) if table.key.iter().any(|k| &k.name == tenant) => {
            key.split(", ").any(|part| part == format!("{tenant}={farm}"))
        }
        _ => true,
    }
}

/// Streams `backup`'s rows (of `farm`) into a temporary table and inserts
/// those whose key `current` lacks.
fn put_back(
    side: &mut postgres::Client,
    tx: &mut postgres::Transaction,
    backup: &Table,
    current: &Table,
    farm: Option<&str>,
    n: usize,
) -> anyhow::Result<TableRecovery> {
    let columns: Vec<String> = backup
        .columns
        .iter()
        .filter(|(name, ty)| current.column_type(name) == Some(ty.as_str()))
        .map(|(name, _)| quote_ident(name))
        .collect();
    let list = columns.join(", ");
    let temp = format!("dbguard_recover_{n}");
    let filter = match (farm, &backup.tenant) {
        (Some(farm), Some(tenant)) => format!(
            " WHERE {}::text = '{}'",
            quote_ident(tenant),
            farm.replace('\'', "''")
        ),
        _ => String::new(),
    };
    tx.batch_execute(&format!(
        "CREATE TEMP TABLE {temp} ON COMMIT DROP AS SELECT {list} FROM {} WITH NO DATA",
        current.quoted()
    ))?;
    {
        let mut from = side.copy_out(&format!(
            "COPY (SELECT {list} FROM {}{filter}) TO STDOUT",
            backup.quoted()
        ))?;
        let mut into = tx.copy_in(&format!("COPY {temp} ({list}) FROM STDIN"))?;
        std::io::copy(&mut from, &mut into)?;
        into.finish()?;
    }
    let matches: Vec<String> = backup
        .key
        .iter()
        .map(|k| format!("l.{0} = s.{0}", quote_ident(&k.name)))
        .collect();
    let missing = format!(
        "NOT EXISTS (SELECT 1 FROM {} l WHERE {})",
        current.quoted(),
        matches.join(" AND ")
    );
    let count: i64 = tx
        .query_one(&format!("SELECT count(*) FROM {temp} s WHERE {missing}"), &[])?
        .get(0);
    let selected: Vec<String> = columns.iter().map(|c| format!("s.{c}")).collect();
    let inserted = tx.execute(
        &format!(
            "INSERT INTO {} ({list}) OVERRIDING SYSTEM VALUE SELECT {} FROM {temp} s WHERE {missing} ON CONFLICT DO NOTHING",
            current.quoted(),
            selected.join(", ")
        ),
        &[],
    )?;
    Ok(TableRecovery {
        table: backup.display(),
        missing: count as u64,
        inserted,
        changed_left: 0,
        added_left: 0,
        left_samples: Vec::new(),
    })
}

/// Records a whole restore of the scope's backup over the live database
/// (run by the cli through the protocol, as `dbguard restore` does).
pub fn record_whole(ctx: &Context, incident: &mut Incident, backup: &str) -> anyhow::Result<()> {
    incident.recoveries.push(Recovery {
        at: Utc::now(),
        kind: "whole".into(),
        backup: backup.to_string(),
        farm: None,
        tables: Vec::new(),
    });
    ctx.record(
        incident,
        "recover",
        format!("restored the whole of backup {backup} over the live database"),
    )
}

/// The backup a whole restore uses: the scope's.
pub fn whole_backup(incident: &Incident) -> anyhow::Result<String> {
    Ok(scoped(incident)?.backup.id.clone())
}
