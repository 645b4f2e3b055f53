//! `report.md`: the incident as a document, from its own record and the
//! audit log: what happened when (the causing operation marked), what was
//! lost and recovered per table and farm, the verification and the
//! checklist.

use chrono::{DateTime, Duration, Utc};
use dbguard_guard::Entry;

use crate::compare::Counts;
use crate::Incident;

/// How far before the backup (or the incident) the timeline starts.
const LEAD: i64 = 10;

/// The report of `incident`, with the audit log's `entries`.
pub fn markdown(incident: &Incident, entries: &[Entry]) -> String {
    let mut md = format!("# Incident {}: {}\n\n", incident.id, incident.title);
    md.push_str(&format!(
        "- Database: {}\n- Opened: {} by {}\n- Closed: {}\n",
        incident.target,
        time(incident.opened_at),
        incident.opened_by,
        incident
            .closed_at
            .map(time)
            .unwrap_or_else(|| "still open".into())
    ));
    if let Some(freeze) = &incident.freeze {
        md.push_str(&format!(
            "- Frozen: {} ({} session(s) ended), lifted: {}\n",
            time(freeze.at),
            freeze.ended.len(),
            freeze.lifted_at.map(time).unwrap_or_else(|| "not yet".into())
        ));
    }
    let scope = incident.scope.as_ref();
    md.push_str("\n## Cause\n\n");
    match scope.and_then(|s| s.cause.as_ref()) {
        Some(c) => md.push_str(&format!(
            "The most likely cause is audit entry {}: at {}, {} ran `{}` ({} risk{}), approval: {}, backup taken before it: {}{}.\n",
            c.seq,
            time(c.time),
            c.os_user,
            c.operation,
            c.risk,
            match c.rules.is_empty() {
                true => String::new(),
                false => format!(": {}", c.rules.join(", ")),
            },
            c.approval.as_deref().unwrap_or("none"),
            c.backup.as_deref().unwrap_or("none"),
            c.agent.as_ref().map(|a| format!(", run by the agent {a}")).unwrap_or_default()
        )),
        None => md.push_str("No operation in the audit log could be identified as the cause.\n"),
    }
    md.push_str("\n## Timeline\n\n| time (UTC) | source | what |\n|---|---|---|\n");
    let from = scope.map(|s| s.backup.taken_at).unwrap_or(incident.opened_at) - Duration::minutes(LEAD);
    let to = incident.closed_at.unwrap_or_else(Utc::now);
    let cause = scope.and_then(|s| s.cause.as_ref()).map(|c| c.seq);
    let mut lines: Vec<(DateTime<Utc>, String)> = entries
        .iter()
        .filter(|e| e.time >= from && e.time <= to && e.kind != "incident")
        .filter(|e| e.target.as_deref().is_none_or(|t| incident.is_on(t)))
        .map(|e| {
            let marker = match Some(e.seq) == cause {
                true => " **← most likely cause**",
                false => "",
            };
            (
                e.time,
                format!(
                    "| {} | audit #{} | {} `{}`: {}{}{marker} |",
                    time(e.time),
                    e.seq,
                    e.kind,
                    cell(&e.operation),
                    e.outcome,
                    e.backup
                        .as_ref()
                        .map(|b| format!(" (backup {b})"))
                        .unwrap_or_default()
                ),
            )
        })
        .collect();
    if let Some(s) = scope {
        lines.push((
            s.backup.taken_at,
            format!(
                "| {} | backup | {} taken ({}) |",
                time(s.backup.taken_at),
                s.backup.id,
                s.backup.verified
            ),
        ));
    }
    for step in &incident.steps {
        lines.push((
            step.time,
            format!(
                "| {} | incident | {}: {} |",
                time(step.time),
                step.step,
                cell(&step.detail)
            ),
        ));
    }
    lines.sort_by_key(|(t, _)| *t);
    for (_, line) in lines {
        md.push_str(&line);
        md.push('\n');
    }
    md.push_str("\n## Lost and recovered\n\n");
    match scope {
        None => md.push_str("The loss was not scoped.\n"),
        Some(s) => {
            md.push_str(&format!(
                "Compared with backup {} (taken {}; {}). Rows recovered are those put back by `incident recover`.\n\n\
                 | table | farm | lost | recovered | changed since | added since |\n|---|---|---|---|---|---|\n",
                s.backup.id,
                time(s.backup.taken_at),
                s.backup.why
            ));
            for table in &s.tables {
                for (farm, counts) in &table.farms {
                    let recovered: u64 = incident
                        .recoveries
                        .iter()
                        .filter(|r| r.at > s.at && r.farm.as_deref().is_none_or(|f| f == farm))
                        .flat_map(|r| &r.tables)
                        .filter(|t| t.table == table.table)
                        .map(|t| t.inserted)
                        .sum::<u64>()
                        .min(counts.lost);
                    md.push_str(&row(&table.table, farm, counts, recovered));
                }
            }
            if s.tables.iter().all(|t| t.farms.is_empty()) {
                md.push_str("| (none) | | 0 | 0 | 0 | 0 |\n");
            }
            for recovery in incident.recoveries.iter().filter(|r| r.kind == "whole") {
                md.push_str(&format!(
                    "\nAt {} the whole of backup {} was restored over the live database.\n",
                    time(recovery.at),
                    recovery.backup
                ));
            }
        }
    }
    md.push_str("\n## Verification\n\n");
    match &incident.verification {
        None => md.push_str("Not verified (`dbguard incident verify` was not run).\n"),
        Some(v) => {
            md.push_str(&format!(
                "At {}: {}.\n\n",
                time(v.at),
                if v.clean { "clean" } else { "**problems found**" }
            ));
            for line in v.lines() {
                md.push_str(&format!("- {line}\n"));
            }
        }
    }
    md.push_str("\n## Post-incident checklist\n\n");
    if incident.checklist.is_empty() {
        md.push_str("Not answered yet.\n");
    }
    for item in &incident.checklist {
        md.push_str(&format!(
            "- [x] {} — {}{} ({}, {})\n",
            item.item,
            item.status.label(),
            match item.note.as_str() {
                "" => String::new(),
                note => format!(": {note}"),
            },
            item.by,
            time(item.at)
        ));
    }
    md
}

fn row(table: &str, farm: &str, c: &Counts, recovered: u64) -> String {
    format!(
        "| {table} | {} | {} | {recovered} | {} | {} |\n",
        if farm.is_empty() { "(none)" } else { farm },
        c.lost,
        c.changed,
        c.added
    )
}

fn time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S").to_string()
}

/// Text safe inside a table cell.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}
