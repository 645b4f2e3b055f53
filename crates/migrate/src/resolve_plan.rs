//! What marking a migration resolved must ask a person about, and the text
//! an approval is bound to. Marking a migration applied without running it
//! rewrites the history (medium, as `prisma migrate resolve`; high when the
//! migration itself has high findings). Clearing the history of a migration
//! whose folder is gone is high: nothing is undone, and should the folder
//! come back, the migration runs again over what it already did.

use dbguard_risk::{Finding, Risk, Rule, Verdict};

use crate::history::Row;
use crate::runner::{status, State};
use crate::{deploy_plan, Migration};

/// The verdict and approval text of `dbguard migrate resolve --applied`.
pub fn marking_applied(migration: &Migration) -> (Verdict, String) {
    let name = &migration.name;
    let mut findings = deploy_plan::verdict(&[migration]).findings;
    findings.push(Finding::new(
        Rule::PrismaMigrateResolve,
        format!(
            "dbguard migrate resolve --applied records {name} as applied without running it, \
             rewriting the migration history"
        ),
        name.as_str(),
    ));
    (
        Verdict::from_findings(findings),
        format!("dbguard migrate resolve --applied {name} {}", migration.checksum),
    )
}

/// When `name` is a migration whose folder is gone, the verdict and
/// approval text (bound to the rows it marks) of marking it rolled back;
/// `None` otherwise (a failed migration marked rolled back runs again).
pub fn clearing(migrations: &[Migration], rows: &[Row], name: &str) -> Option<(Verdict, String)> {
    let gone = status(migrations, rows)
        .iter()
        .any(|e| e.name == name && e.state == State::MissingFromDisk);
    if !gone {
        return None;
    }
    let live: Vec<&Row> = rows
        .iter()
        .filter(|r| r.migration_name == name && r.rolled_back_at.is_none())
        .collect();
    let applied = live
        .iter()
        .filter_map(|r| r.finished_at)
        .max()
        .map(|at| format!("applied {}", at.format("%Y-%m-%d %H:%M:%S UTC")))
        .unwrap_or_else(|| "never finished".to_string());
    let mut finding = Finding::new(
        Rule::PrismaMigrateResolve,
        format!(
            "dbguard migrate resolve --rolled-back {name} marks the history of a migration whose folder is gone \
             ({applied}) rolled back without undoing anything: what it changed stays in the database, and if its \
             folder comes back it runs again over those changes"
        ),
        name,
    );
    finding.risk = Risk::High;
    let bound: Vec<String> = live.iter().map(|r| format!("{} {}", r.id, r.checksum)).collect();
    Some((
        Verdict::from_findings(vec![finding]),
        format!(
            "dbguard migrate resolve --rolled-back {name}\n{}",
            bound.join("\n")
        ),
    ))
}
