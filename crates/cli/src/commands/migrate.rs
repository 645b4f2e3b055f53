//! `dbguard migrate new|status|deploy|dev|resolve` and `dbguard reset`.
//!
//! Deploy lints the pending migrations. Those before the first one with a
//! finding that needs approval are applied after a verified backup; that
//! one goes through the safety protocol on its own (its approval bound to
//! its name and checksum), and the deploy goes on after it. A first deploy
//! whose findings touch only empty tables, or tables the batch creates,
//! needs no person: nothing is at risk, and it says so. `migrate dev`
//! (medium risk in the guide) takes the whole batch through the protocol.

use std::path::PathBuf;
use std::process::ExitCode;

use dbguard_backup::Level;
use dbguard_migrate::layout::{self, Migration};
use dbguard_migrate::lint::lint;
use dbguard_migrate::runner::{self, Resolution, State};
use dbguard_migrate::{deploy_plan, history, resolve_plan, sources, Source};
use dbguard_pg::{DbUrl, Settings};
use dbguard_risk::{Finding, Risk, Rule, Verdict};
use serde::Serialize;

use super::protocol::{self, Operation};
use crate::args::{Format, MigrateCommand, SeedArgs};
use crate::output::{emit, Report};

pub fn migrations_dir(settings: &Settings) -> PathBuf {
    layout::find_dir(&settings.project_dir, settings.policy.migrations_dir.as_deref())
}

/// Whether the project has a migrations folder of its own.
pub fn has_own_migrations(settings: &Settings) -> bool {
    migrations_dir(settings).is_dir()
}

/// Whether dbguard's farm schema is this project's schema by default: the
/// local server, and no migrations folder of the project's own.
pub fn farm_schema_by_default(settings: &Settings) -> bool {
    !has_own_migrations(settings) && matches!(settings.target, dbguard_pg::Target::Local { .. })
}

/// The migrations of the database whose history is `rows`: the project's
/// folder, and dbguard's farm schema where it is the default (see
/// [`farm_schema_by_default`]; never first onto a server a URL names) or
/// where the history shows the database already uses it.
pub fn migrations(settings: &Settings, rows: &[history::Row]) -> anyhow::Result<Vec<Migration>> {
    let project = match has_own_migrations(settings) {
        true => layout::load(&migrations_dir(settings))?,
        false => Vec::new(),
    };
    Ok(sources::combine(
        project,
        dbguard_farm::migrations(),
        rows,
        farm_schema_by_default(settings),
    ))
}

/// [`migrations`] of the database `client` is connected to.
pub fn target_migrations(
    settings: &Settings,
    client: &mut postgres::Client,
) -> anyhow::Result<Vec<Migration>> {
    migrations(settings, &history::rows(client)?)
}

/// What a source of migrations is called in reports.
pub fn source_name(source: Source) -> &'static str {
    match source {
        Source::Project => "project",
        Source::Builtin => "dbguard farm schema",
    }
}

#[derive(Serialize)]
struct StatusReport {
    /// Where the project's own migrations are (or would be).
    source: String,
    up_to_date: bool,
    migrations: Vec<runner::Entry>,
}

impl Report for StatusReport {
    fn text(&self) -> String {
        let mut text = String::new();
        let of = |source: Source| self.migrations.iter().filter(move |m| m.source == source);
        let builtin = of(Source::Builtin).count();
        if of(Source::Project).count() > 0 || builtin == 0 {
            text.push_str(&format!("project migrations from {}\n", self.source));
        }
        print_entries(&mut text, of(Source::Project));
        if builtin > 0 {
            text.push_str(&format!(
                "{} (built into dbguard, never on disk)\n",
                source_name(Source::Builtin)
            ));
        }
        print_entries(&mut text, of(Source::Builtin));
        text.push_str(if self.up_to_date {
            "up to date\n"
        } else {
            "not up to date\n"
        });
        text
    }
}

fn print_entries<'a>(text: &mut String, entries: impl Iterator<Item = &'a runner::Entry>) {
    for m in entries {
        let state = serde_json::to_value(m.state)
            .ok()
            .and_then(|v| v.as_str().map(String::from))
            .unwrap_or_default();
        text.push_str(&format!("  {state:<18} {}\n", m.name));
        if let Some(logs) = &m.logs {
            text.push_str(&format!("                     {}\n", logs.replace('\n', " ")));
        }
    }
}

#[derive(Serialize)]
struct DeployReport {
    applied: Vec<String>,
    failed: Option<(String, String)>,
    left_applied: Vec<String>,
    not_applied: Vec<String>,
    edited: Vec<String>,
}

impl Report for DeployReport {
    fn text(&self) -> String {
        let mut text = String::new();
        for name in &self.applied {
            text.push_str(&format!("applied      {name}\n"));
        }
        if let Some((name, why)) = &self.failed {
            text.push_str(&format!("FAILED       {name}: {why}\n"));
            if self.left_applied.is_empty() {
                text.push_str("             it rolled back, and is recorded as failed: nothing else runs until it is resolved\n");
            } else {
                text.push_str(&format!(
                    "             it ran outside a transaction and did NOT roll back: {} statement(s) stay applied:\n",
                    self.left_applied.len()
                ));
                for statement in &self.left_applied {
                    text.push_str(&format!(
                        "               {}\n",
                        statement.split_whitespace().collect::<Vec<_>>().join(" ")
                    ));
                }
                text.push_str("             it is recorded as failed: undo those statements (or finish the migration by hand) before resolving it\n");
            }
        }
        for name in &self.edited {
            text.push_str(&format!(
                "warning      {name} was edited after it was applied: the database has the old version, and the file's changes will never run\n"
            ));
        }
        for name in &self.not_applied {
            text.push_str(&format!("not applied  {name}\n"));
        }
        if text.is_empty() {
            text.push_str("no pending migrations\n");
        }
        text
    }
}

/// Runs a `migrate` subcommand.
pub fn run(format: Format, settings: &Settings, command: &MigrateCommand) -> anyhow::Result<ExitCode> {
    let dir = migrations_dir(settings);
    match command {
        MigrateCommand::New { name } => {
            let file = layout::create(&dir, name, chrono::Utc::now())?;
            println!("created {}", file.display());
            Ok(ExitCode::SUCCESS)
        }
        MigrateCommand::Status => {
            let url = super::target_url(settings)?;
            let mut client = dbguard_pg::connect(&url, settings.pool.timeout())?;
            let rows = history::rows(&mut client)?;
            let entries = runner::status(&migrations(settings, &rows)?, &rows);
            let up_to_date = entries.iter().all(|e| e.state == State::Applied);
            let source = match has_own_migrations(settings) {
                true => dir.display().to_string(),
                false => format!("{} (none: the folder does not exist)", dir.display()),
            };
            emit(
                format,
                &StatusReport {
                    source,
                    up_to_date,
                    migrations: entries,
                },
            );
            Ok(if up_to_date {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        MigrateCommand::Deploy => deploy(format, settings, false),
        MigrateCommand::Dev => deploy(format, settings, true),
        MigrateCommand::Resolve { applied, rolled_back } => {
            let (name, how) = match (applied, rolled_back) {
                (Some(name), _) => (name, Resolution::Applied),
                (None, Some(name)) => (name, Resolution::RolledBack),
                (None, None) => anyhow::bail!("say --applied NAME or --rolled-back NAME"),
            };
            let url = super::target_url(settings)?;
            let mut client = dbguard_pg::connect(&url, settings.pool.timeout())?;
            let rows = history::rows(&mut client)?;
            drop(client);
            let migrations = migrations(settings, &rows)?;
            let mut record = |_: Option<&DbUrl>| -> anyhow::Result<i32> {
                let mut client = dbguard_pg::connect(&url, settings.pool.timeout())?;
                runner::resolve(&mut client, &migrations, name, how)?;
                println!(
                    "recorded {name} as {}",
                    if how == Resolution::Applied {
                        "applied"
                    } else {
                        "rolled back"
                    }
                );
                Ok(0)
            };
            let (verdict, text) = match how {
                Resolution::RolledBack => match resolve_plan::clearing(&migrations, &rows, name) {
                    // A failed migration marked rolled back will simply run again.
                    None => return record(None).map(|_| ExitCode::SUCCESS),
                    Some(plan) => plan,
                },
                Resolution::Applied => {
                    let migration = migrations
                        .iter()
                        .find(|m| &m.name == name)
                        .ok_or_else(|| anyhow::anyhow!("there is no migration {name} on disk"))?;
                    resolve_plan::marking_applied(migration)
                }
            };
            let op = Operation {
                kind: "migrate",
                text,
                cwd: settings.project_dir.clone(),
            };
            protocol::run(settings, &op, &verdict, Ok(url.clone()), &mut record)
        }
    }
}

fn deploy(format: Format, settings: &Settings, dev: bool) -> anyhow::Result<ExitCode> {
    let url = super::target_url(settings)?;
    let migrations = target_migrations(settings, &mut dbguard_pg::connect(&url, settings.pool.timeout())?)?;
    let mut reported = false;
    loop {
        let mut client = dbguard_pg::connect(&url, settings.pool.timeout())?;
        let entries = runner::status(&migrations, &history::rows(&mut client)?);
        let pending = runner::pending(&migrations, &entries);
        if pending.is_empty() {
            if !reported {
                apply(format, settings, &url, &migrations, migrations.len())?;
            }
            return Ok(ExitCode::SUCCESS);
        }
        let first_deploy = entries.iter().all(|e| e.state != State::Applied);
        let batch = |pending: &[&Migration]| Operation {
            kind: "migrate",
            text: format!(
                "dbguard migrate {}\n{}",
                if dev { "dev" } else { "deploy" },
                pending
                    .iter()
                    .map(|m| format!("{} {}", m.name, m.checksum))
                    .collect::<Vec<_>>()
                    .join("\n")
            ),
            cwd: settings.project_dir.clone(),
        };
        if dev {
            let verdict = pending_verdict(&pending, true);
            return protocol::run(settings, &batch(&pending), &verdict, Ok(url.clone()), &mut |_| {
                apply(format, settings, &url, &migrations, migrations.len())
            });
        }
        report_medium(&pending);
        let gate = pending
            .iter()
            .position(|m| deploy_plan::verdict(&[m]).risk > Risk::Low);
        let safe = match gate {
            None => pending.len(),
            Some(k) if first_deploy => match deploy_plan::nothing_at_risk(&mut client, &pending)? {
                Ok(why) => {
                    eprintln!("first deploy, {why}: applying every pending migration without approval");
                    pending.len()
                }
                Err(why) => {
                    eprintln!("a person must approve {}: {why}", pending[k].name);
                    k
                }
            },
            Some(k) => k,
        };
        let upto = match pending.get(safe) {
            Some(gated) => position(&migrations, gated),
            None => migrations.len(),
        };
        drop(client);
        if safe > 0 {
            let op = batch(&pending[..safe]);
            let store = super::backup::store(settings);
            let backup = protocol::take_backup(settings, &store, &url, &op, Level::Read)?;
            eprintln!("backup {backup} verified; to undo: dbguard restore {backup}");
            let code = apply(format, settings, &url, &migrations, upto)?;
            if code != 0 || safe == pending.len() {
                return Ok(ExitCode::from(u8::try_from(code).unwrap_or(1)));
            }
        }
        let step = pending[safe];
        let through = position(&migrations, step) + 1;
        if safe > 0 {
            eprintln!(
                "{} needs a person's approval; the {safe} migration(s) before it were applied",
                step.name
            );
        }
        let verdict = deploy_plan::verdict(&[step]);
        let code = protocol::run(settings, &batch(&[step]), &verdict, Ok(url.clone()), &mut |_| {
            apply(format, settings, &url, &migrations, through)
        })?;
        reported = true;
        if code != ExitCode::SUCCESS {
            return Ok(code);
        }
    }
}

/// The index of `migration` in `migrations`.
fn position(migrations: &[Migration], migration: &Migration) -> usize {
    migrations
        .iter()
        .position(|m| m.name == migration.name)
        .unwrap_or(migrations.len())
}

/// Prints the lint's findings that need no approval (medium or low risk).
fn report_medium(pending: &[&Migration]) {
    for migration in pending {
        for d in lint(&migration.sql).into_iter().filter(|d| d.risk != Risk::High) {
            eprintln!(
                "{}:{}: {} [{}] {}",
                migration.name,
                d.line,
                d.risk.upper(),
                d.rule,
                d.message
            );
        }
    }
}

/// The verdict over the pending migrations (see
/// [`deploy_plan::verdict`]), and for `migrate dev` at least medium.
pub fn pending_verdict(pending: &[&Migration], dev: bool) -> Verdict {
    let verdict = deploy_plan::verdict(pending);
    if !dev || verdict.risk >= Risk::Medium {
        return verdict;
    }
    let mut findings = verdict.findings;
    findings.push(Finding::new(
        Rule::PrismaMigrateDev,
        "dbguard migrate dev applies migrations to the development database",
        pending
            .iter()
            .map(|m| m.name.as_str())
            .collect::<Vec<_>>()
            .join(", "),
    ));
    Verdict::from_findings(findings)
}

/// Applies pending migrations and reports; exit code 1 when one failed.
/// Only the first `upto` migrations are applied; the rest are reported as not applied.
pub fn apply(
    format: Format,
    settings: &Settings,
    url: &DbUrl,
    migrations: &[Migration],
    upto: usize,
) -> anyhow::Result<i32> {
    apply_on(
        format,
        &mut dbguard_pg::connect(url, settings.pool.timeout())?,
        migrations,
        upto,
    )
}

/// [`apply`] through `client`.
fn apply_on(
    format: Format,
    client: &mut postgres::Client,
    migrations: &[Migration],
    upto: usize,
) -> anyhow::Result<i32> {
    let done = runner::deploy(client, &migrations[..upto.min(migrations.len())], &mut |_| Ok(()))?;
    let entries = runner::status(migrations, &history::rows(client)?);
    let named = |state: State| -> Vec<String> {
        entries
            .iter()
            .filter(|e| e.state == state)
            .map(|e| e.name.clone())
            .collect()
    };
    let failed = done.failed.is_some();
    emit(
        format,
        &DeployReport {
            applied: done.applied,
            failed: done.failed,
            left_applied: done.left_applied,
            not_applied: named(State::Pending),
            edited: named(State::Edited),
        },
    );
    Ok(if failed { 1 } else { 0 })
}

/// `dbguard reset`: through the protocol, then drop and re-create the
/// public schema and re-apply every migration.
pub fn reset(settings: &Settings, seed: bool) -> anyhow::Result<ExitCode> {
    let url = super::target_url(settings)?;
    let migrations = target_migrations(settings, &mut dbguard_pg::connect(&url, settings.pool.timeout())?)?;
    let seed = match seed {
        true => Some(super::seed::Plan::prepare(settings, &SeedArgs::default())?),
        false => None,
    };
    // Two findings: the drop, and the migrations re-applied after it, whose
    // policies, column changes and data steps a protected database lets
    // through only in a window that allows them.
    let verdict = Verdict::from_findings(vec![
        Finding::new(
            Rule::DropSchema,
            "dbguard reset drops the public schema with every table and row in it, then re-applies every migration",
            "DROP SCHEMA public CASCADE",
        ),
        Finding::new(
            Rule::FrameworkReset,
            "dbguard reset re-applies every migration to the emptied schema",
            "dbguard reset",
        ),
    ]);
    let op = Operation {
        kind: "reset",
        text: format!(
            "dbguard reset{} ({} migrations)",
            if seed.is_some() { " --seed" } else { "" },
            migrations.len()
        ),
        cwd: settings.project_dir.clone(),
    };
    protocol::run(settings, &op, &verdict, Ok(url.clone()), &mut |_| {
        // One session for the drop and the migrations: a protected
        // database's window binds to the first session that uses it.
        let mut client = dbguard_pg::connect(&url, settings.pool.timeout())?;
        client.batch_execute(
            "DROP SCHEMA public CASCADE;
             CREATE SCHEMA public AUTHORIZATION pg_database_owner;
             GRANT USAGE ON SCHEMA public TO PUBLIC;",
        )?;
        let applied = apply_on(Format::Text, &mut client, &migrations, migrations.len())?;
        drop(client);
        if let Some(plan) = &seed {
            let mut client = dbguard_pg::connect(&url, settings.pool.timeout())?;
            emit(Format::Text, &plan.apply(&mut client)?);
        }
        Ok(applied)
    })
}
