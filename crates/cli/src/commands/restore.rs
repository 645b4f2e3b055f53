//! `dbguard restore ID [--into NEW_DB]`.
//!
//! Into a new database it simply runs. Over the live database it is a
//! high-risk operation through the safety protocol: a person's approval
//! (`YES` and the approver's passphrase at the terminal, or `dbguard
//! approve`), then the restore, which takes and verifies a safety backup of
//! the live state before it replaces anything.

use std::process::ExitCode;

use dbguard_backup::restore::RestoreReport;
use dbguard_backup::{restore, RestoreOptions, Target};
use dbguard_pg::summary::human_size;
use dbguard_pg::{DatabaseSummary, Settings};

use dbguard_risk::{Finding, Rule, Verdict};

use super::protocol::Operation;
use crate::args::{Format, RestoreArgs};
use crate::output::{emit, Report};

impl Report for RestoreReport {
    fn text(&self) -> String {
        let mut text = format!(
            "restored backup {} into {} in {:.1} s\n",
            self.id, self.database, self.seconds
        );
        if let Some(safety) = &self.safety_backup {
            text.push_str(&format!("  safety backup of the replaced state: {safety}\n"));
        }
        if !self.dropped_tables.is_empty() {
            text.push_str(&format!(
                "  dropped tables the backup does not hold (they are in the safety backup): {}\n",
                self.dropped_tables.join(", ")
            ));
        }
        text.push_str(&format!(
            "  {} {}: {}\n",
            if self.counts.passed { "✓" } else { "✗" },
            self.counts.check,
            self.counts.detail
        ));
        text
    }
}

/// Restores as asked.
pub fn run(format: Format, settings: &Settings, args: &RestoreArgs) -> anyhow::Result<ExitCode> {
    let store = super::backup::store(settings);
    let backup = store.find(&args.id)?;
    let url = super::target_url(settings)?;
    let options = RestoreOptions {
        progress: format == Format::Text,
        connect_timeout: Some(settings.pool.timeout()),
        lock_timeout: Some(std::time::Duration::from_secs(args.lock_timeout)),
        reading_copy: false,
    };
    let target = match &args.into {
        Some(name) => Target::NewDatabase(name.clone()),
        None => {
            let mut client = dbguard_pg::connect(&url, settings.pool.timeout())?;
            let live = DatabaseSummary::read(&mut client)?;
            let op = Operation {
                kind: "restore",
                text: format!("dbguard restore {} over {}", backup.id(), live.database),
                cwd: settings.project_dir.clone(),
            };
            let verdict = Verdict::from_findings(vec![Finding::new(
                Rule::RestoreOverLive,
                format!(
                    "restoring backup {} (taken {}, {} tables, {} rows) over the live database replaces all of \
                     {} ({}, {} tables); a safety backup of it is taken and verified first",
                    backup.id(),
                    backup.manifest.started_at.format("%Y-%m-%d %H:%M:%S UTC"),
                    backup.manifest.tables.len(),
                    backup.manifest.tables.iter().map(|t| t.rows).sum::<i64>(),
                    live.database,
                    human_size(live.size_bytes),
                    live.tables,
                ),
                &op.text,
            )]);
            return super::protocol::run_backing_itself_up(
                settings,
                &op,
                &verdict,
                url.clone(),
                &mut |url| {
                    let report = restore(&store, &backup, url, &Target::Live, &options)?;
                    emit(format, &report);
                    Ok(if report.counts.passed { 0 } else { 1 })
                },
            );
        }
    };
    let report = restore(&store, &backup, &url, &target, &options)?;
    emit(format, &report);
    Ok(ExitCode::SUCCESS)
}
