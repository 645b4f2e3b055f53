//! `dbguard restore ID [--into NEW_DB]`.
//!
//! Into a new database it simply runs. Over the live database it is a
//! high-risk operation: dbguard shows what will be replaced and needs a
//! person at a terminal to type `YES`; without a terminal it refuses (exit 4).

use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;

use dbguard_backup::restore::RestoreReport;
use dbguard_backup::{restore, RestoreOptions, Target};
use dbguard_pg::summary::human_size;
use dbguard_pg::{DatabaseSummary, Settings};

use crate::args::{Format, RestoreArgs};
use crate::output::{emit, Report};

/// Exit code when a high-risk operation is refused.
const EXIT_REFUSED: u8 = 4;

impl Report for RestoreReport {
    fn text(&self) -> String {
        let mut text = format!(
            "restored backup {} into {} in {:.1} s\n",
            self.id, self.database, self.seconds
        );
        if let Some(safety) = &self.safety_backup {
            text.push_str(&format!("  safety backup of the replaced state: {safety}\n"));
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
    };
    let target = match &args.into {
        Some(name) => Target::NewDatabase(name.clone()),
        None => {
            let mut client = dbguard_pg::connect(&url, settings.pool.timeout())?;
            let live = DatabaseSummary::read(&mut client)?;
            let block = format!(
                "⚠️  RESTORE OVER THE LIVE DATABASE ⚠️\n\n\
                 Operation: restore backup {} over database {}\n\
                 Risk Level: HIGH\n\
                 Data at Risk: all of {} ({}, {} tables) is replaced by the backup of {} ({} tables, {} rows)\n\
                 Backup Required: YES (a safety backup of the current state is taken and verified first)\n\n",
                backup.id(),
                live.database,
                live.database,
                human_size(live.size_bytes),
                live.tables,
                backup.manifest.started_at.format("%Y-%m-%d %H:%M:%S UTC"),
                backup.manifest.tables.len(),
                backup.manifest.tables.iter().map(|t| t.rows).sum::<i64>(),
            );
            eprint!("{block}");
            if let Some(variable) = crate::agent::detected() {
                eprintln!(
                    "Refused: restoring over the live database must be done by a person in their own terminal, \
                     not by an AI agent ({variable} is set)."
                );
                return Ok(ExitCode::from(EXIT_REFUSED));
            }
            if !std::io::stdin().is_terminal() {
                eprintln!(
                    "Refused: restoring over the live database needs a person at a terminal to type YES."
                );
                return Ok(ExitCode::from(EXIT_REFUSED));
            }
            eprint!("Type YES to replace {}: ", live.database);
            std::io::stderr().flush().ok();
            let mut answer = String::new();
            std::io::stdin().lock().read_line(&mut answer)?;
            if answer.trim_end_matches(['\n', '\r']) != "YES" {
                eprintln!("Cancelled; nothing was changed.");
                return Ok(ExitCode::from(EXIT_REFUSED));
            }
            Target::Live
        }
    };
    let report = restore(&store, &backup, &url, &target, &options)?;
    emit(format, &report);
    Ok(ExitCode::SUCCESS)
}
