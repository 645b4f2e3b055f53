//! `dbguard backup create|verify|list|prune`.

use std::process::ExitCode;

use chrono::Utc;
use dbguard_backup::leftovers::{sweep_databases, Found};
use dbguard_backup::listing::{Listed, Listing};
use dbguard_backup::prune::{apply, plan_store, Plan};
use dbguard_backup::verify::VerifyReport;
use dbguard_backup::{create, verify, Backup, CreateOptions, Retention, Store, VerifyOptions};
use dbguard_incident::state::Incidents;
use dbguard_pg::summary::human_size;
use dbguard_pg::Settings;
use serde::Serialize;

use crate::args::{BackupCommand, Format};
use crate::output::{emit, Report};

/// The store of the project `settings` describe.
pub fn store(settings: &Settings) -> Store {
    dbguard_guard::protocol::store(settings)
}

#[derive(Serialize)]
struct Created {
    id: String,
    dir: std::path::PathBuf,
    bytes: u64,
    tables: usize,
    rows: i64,
    globals_skipped: Option<String>,
}

impl Report for Created {
    fn text(&self) -> String {
        let mut text = format!(
            "created backup {} ({}, {} tables, {} rows) in {}\n",
            self.id,
            human_size(self.bytes as i64),
            self.tables,
            self.rows,
            self.dir.display()
        );
        if let Some(why) = &self.globals_skipped {
            text.push_str(&format!("note: roles and tablespaces were not saved: {why}\n"));
        }
        text
    }
}

impl Report for VerifyReport {
    fn text(&self) -> String {
        let mut text = format!(
            "backup {} {} {} verification\n",
            self.id,
            if self.passed { "passed" } else { "FAILED" },
            self.level
        );
        for c in &self.checks {
            text.push_str(&format!(
                "  {} {:<12} {}\n",
                if c.passed { "✓" } else { "✗" },
                c.check,
                c.detail
            ));
        }
        if let Some(speed) = self.restore_bytes_per_second {
            text.push_str(&format!("  restore speed {}/s\n", human_size(speed as i64)));
        }
        text
    }
}

impl Report for Listing {
    fn text(&self) -> String {
        let mut text = table(self);
        for (_, line) in self.leftovers.lines() {
            text.push_str(&format!("note: {line}\n"));
        }
        text
    }
}

fn table(listing: &Listing) -> String {
    if listing.backups.is_empty() {
        return format!("no backups in {}\n", listing.dir.display());
    }
    let mut text = format!(
        "{:<40} {:<20} {:>10} {:<9} {}\n",
        "ID", "CREATED (UTC)", "SIZE", "VERIFIED", "AGE"
    );
    for b in &listing.backups {
        text.push_str(&format!(
            "{:<40} {:<20} {:>10} {:<9} {}\n",
            b.id,
            b.started_at.format("%Y-%m-%d %H:%M:%S"),
            human_size(b.bytes as i64),
            b.verified.to_string(),
            age(b.age_seconds)
        ));
    }
    text
}

#[derive(Serialize)]
struct Pruned {
    dry_run: bool,
    #[serde(flatten)]
    plan: Plan,
    swept_databases: Vec<String>,
}

impl Report for Pruned {
    fn text(&self) -> String {
        let mut text = String::new();
        for d in &self.plan.backups {
            let verb = match (d.keep, self.dry_run) {
                (true, _) => "keep",
                (false, true) => "would delete",
                (false, false) => "deleted",
            };
            text.push_str(&format!("{verb:<13} {:<40} {}\n", d.id, d.reason));
        }
        for p in &self.plan.stale_partials {
            let verb = if self.dry_run { "would delete" } else { "deleted" };
            text.push_str(&format!(
                "{verb:<13} {} (an unfinished backup whose process is gone)\n",
                p.display()
            ));
        }
        for name in &self.swept_databases {
            text.push_str(&format!(
                "{:<13} temporary database {name} (its process is gone)\n",
                "dropped"
            ));
        }
        if text.is_empty() {
            text.push_str("no backups\n");
        }
        text
    }
}

fn age(seconds: i64) -> String {
    match seconds {
        s if s < 3600 => format!("{}m", s / 60),
        s if s < 86_400 => format!("{}h", s / 3600),
        s => format!("{}d", s / 86_400),
    }
}

/// Finds a backup by id, or the newest.
pub fn find(store: &Store, id: Option<&str>) -> anyhow::Result<Backup> {
    Ok(match id {
        Some(id) => store.find(id)?,
        None => store.latest()?,
    })
}

/// Runs a `backup` subcommand.
pub fn run(format: Format, settings: &Settings, command: &BackupCommand) -> anyhow::Result<ExitCode> {
    let store = store(settings);
    let progress = format == Format::Text;
    let timeout = Some(settings.pool.timeout());
    match command {
        BackupCommand::Create { label } => {
            let url = super::target_url(settings)?;
            let options = CreateOptions {
                label: label.clone(),
                progress,
                connect_timeout: timeout,
            };
            let backup = create(&store, &url, &options)?;
            let m = &backup.manifest;
            emit(
                format,
                &Created {
                    id: m.id.clone(),
                    dir: backup.dir.clone(),
                    bytes: m.bytes(),
                    tables: m.tables.len(),
                    rows: m.tables.iter().map(|t| t.rows).sum(),
                    globals_skipped: m.globals_skipped.clone(),
                },
            );
            Ok(ExitCode::SUCCESS)
        }
        BackupCommand::Verify { id, latest: _, full } => {
            let mut backup = find(&store, id.as_deref())?;
            let full = if *full {
                Some(super::target_url(settings)?)
            } else {
                None
            };
            let report = verify(
                &mut backup,
                &VerifyOptions {
                    full,
                    progress,
                    connect_timeout: timeout,
                },
            )?;
            emit(format, &report);
            Ok(if report.passed {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        BackupCommand::List => {
            let now = Utc::now();
            // Temporary databases are listed when the server can be reached.
            let mut client = super::observed_url(settings)
                .ok()
                .and_then(|url| dbguard_pg::connect(&url, settings.pool.timeout()).ok());
            let leftovers = Found::gather(&store, client.as_mut());
            let backups = store.list()?.into_iter().map(|b| Listed::of(&b, now)).collect();
            emit(
                format,
                &Listing {
                    dir: store.dir().to_path_buf(),
                    backups,
                    leftovers,
                },
            );
            Ok(ExitCode::SUCCESS)
        }
        BackupCommand::Prune {
            keep_days,
            keep_last,
            dry_run,
        } => {
            let policy = &settings.policy;
            let retention = Retention {
                keep_days: at_least("--keep-days", *keep_days, policy.keep_days)?,
                keep_last: at_least("--keep-last", *keep_last, policy.keep_last)?,
            };
            let held = Incidents::new(&settings.state_dir()).backups_in_use()?;
            let plan = plan_store(&store, retention, &held)?;
            let mut swept_databases = Vec::new();
            if !dry_run {
                apply(&plan)?;
                if let Ok(url) = super::observed_url(settings) {
                    swept_databases = sweep_databases(&url, settings.pool.timeout())?
                        .into_iter()
                        .map(|l| l.name)
                        .collect();
                }
            }
            emit(
                format,
                &Pruned {
                    dry_run: *dry_run,
                    plan,
                    swept_databases,
                },
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// A flag may keep more than the policy, never less.
fn at_least(flag: &str, value: Option<u32>, policy: u32) -> anyhow::Result<u32> {
    match value {
        Some(v) if v < policy => anyhow::bail!(
            "{flag} {v} would keep fewer backups than the policy ({policy}); it may only keep more"
        ),
        Some(v) => Ok(v),
        None => Ok(policy),
    }
}
