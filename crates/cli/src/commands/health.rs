//! `dbguard health`: the server's checks, then the project's — the newest
//! verified backup, pending migrations, tenant isolation. Levels and exit
//! codes are check_postgres's: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.

use std::process::ExitCode;
use std::time::Instant;

use dbguard_migrate::runner::State;
use dbguard_pg::health::{amcheck, server_checks, Check, HealthReport, Level};
use dbguard_pg::Settings;

use crate::args::{Format, HealthArgs};
use crate::output::{emit, Report};

impl Report for HealthReport {
    fn text(&self) -> String {
        let mut text = String::new();
        for c in &self.checks {
            text.push_str(&format!("{:<9} {:<20} {}\n", c.level.name(), c.name, c.summary));
        }
        text.push_str(&format!("health: {}\n", self.status.name()));
        text
    }

    fn prometheus(&self) -> Option<String> {
        Some(HealthReport::prometheus(self))
    }
}

/// Runs every check and prints them; the exit code is the worst level's.
pub fn run(format: Format, settings: &Settings, args: &HealthArgs) -> anyhow::Result<ExitCode> {
    let report = HealthReport::new(checks(settings, args));
    emit(format, &report);
    Ok(ExitCode::from(report.status.exit_code()))
}

/// The report when the configuration cannot be read: one UNKNOWN check (exit 3).
pub fn unconfigured(format: Format, err: &dbguard_pg::Error) -> ExitCode {
    let report = HealthReport::new(vec![Check::unknown("configuration", err.to_string())]);
    emit(format, &report);
    ExitCode::from(report.status.exit_code())
}

/// Every check of `dbguard health` (with `args`' depth).
pub fn checks(settings: &Settings, args: &HealthArgs) -> Vec<Check> {
    let url = super::observed_url(settings);
    let started = Instant::now();
    let client = url.and_then(|url| Ok(dbguard_pg::connect(&url, settings.pool.timeout())?));
    let mut client = match client {
        Ok(client) => client,
        Err(e) => return vec![Check::new("connection", Level::Critical, format!("{e:#}"), None)],
    };
    let connected_in = started.elapsed();
    let mut checks = checks_on(settings, &mut client, connected_in, args);
    checks.push(tenancy(&mut client));
    checks
}

/// Every check over an open connection but the tenancy audit, which a
/// caller that has just audited need not repeat (`connected_in`: how long
/// opening the connection took).
pub fn checks_on(
    settings: &Settings,
    client: &mut postgres::Client,
    connected_in: std::time::Duration,
    args: &HealthArgs,
) -> Vec<Check> {
    let mut checks = server_checks(client, connected_in, args.exact || args.deep);
    if args.deep {
        checks.push(amcheck(client));
    }
    checks.push(backup_age(settings, client));
    checks.push(leftovers(settings, client));
    checks.push(migrations(settings, client));
    checks
}

/// Unfinished backups and temporary databases: WARNING while any stale one waits to be swept.
fn leftovers(settings: &Settings, client: &mut postgres::Client) -> Check {
    let found = dbguard_backup::leftovers::Found::gather(&super::backup::store(settings), Some(client));
    let lines = found.lines();
    let stale = found.stale();
    let summary = match lines.is_empty() {
        true => "no unfinished backups or temporary databases".to_string(),
        false => lines
            .iter()
            .map(|(_, l)| l.as_str())
            .collect::<Vec<_>>()
            .join("; "),
    };
    let level = if stale > 0 { Level::Warning } else { Level::Ok };
    Check::new("leftovers", level, summary, Some(stale as f64))
}

fn backup_age(settings: &Settings, client: &mut postgres::Client) -> Check {
    const NAME: &str = "backup";
    let database: String = match client.query_one("SELECT current_database()::text", &[]) {
        Ok(row) => row.get(0),
        Err(e) => return Check::unknown(NAME, dbguard_pg::connect::describe(&e)),
    };
    let backups = match super::backup::store(settings).list() {
        Ok(backups) => backups,
        Err(e) => return Check::unknown(NAME, e.to_string()),
    };
    let newest = backups
        .iter()
        .filter(|b| b.manifest.source.database == database)
        .filter(|b| b.manifest.verification.level > dbguard_backup::manifest::Level::None)
        .max_by_key(|b| b.manifest.finished_at);
    match newest {
        None => Check::new(
            NAME,
            Level::Warning,
            format!("no verified backup of {database} (`dbguard backup create`)"),
            None,
        ),
        Some(b) => {
            let hours = (chrono::Utc::now() - b.manifest.finished_at).num_seconds() as f64 / 3600.0;
            Check::graded(
                NAME,
                hours,
                dbguard_backup::listing::AGE_LIMIT_HOURS,
                true,
                format!("newest verified backup {} is {hours:.1} h old", b.id()),
            )
        }
    }
}

fn migrations(settings: &Settings, client: &mut postgres::Client) -> Check {
    const NAME: &str = "migrations";
    let rows = match dbguard_migrate::history::rows(client) {
        Ok(rows) => rows,
        Err(e) => return Check::unknown(NAME, e.to_string()),
    };
    let migrations = match super::migrate::migrations(settings, &rows) {
        Ok(migrations) => migrations,
        Err(e) => return Check::unknown(NAME, format!("{e:#}")),
    };
    let entries = dbguard_migrate::runner::status(&migrations, &rows);
    let count = |state: State| entries.iter().filter(|e| e.state == state).count();
    let (failed, pending) = (count(State::Failed), count(State::Pending));
    let changed = count(State::Edited) + count(State::MissingFromDisk);
    let level = match (failed, pending + changed) {
        (0, 0) => Level::Ok,
        (0, _) => Level::Warning,
        _ => Level::Critical,
    };
    Check::new(
        NAME,
        level,
        format!(
            "{} migrations: {pending} pending, {failed} failed, {changed} edited or missing from disk",
            entries.len()
        ),
        Some(pending as f64),
    )
}

/// The tenancy audit as one check: CRITICAL on any finding.
pub fn tenancy(client: &mut postgres::Client) -> Check {
    const NAME: &str = "tenancy";
    let farms = client.query_one("SELECT to_regclass('public.farms') IS NOT NULL", &[]);
    match farms.map(|r| r.get::<_, bool>(0)) {
        Err(e) => Check::unknown(NAME, dbguard_pg::connect::describe(&e)),
        Ok(false) => Check::new(NAME, Level::Ok, "no farm schema to audit".into(), None),
        Ok(true) => match dbguard_farm::audit::audit(client) {
            Err(e) => Check::unknown(NAME, dbguard_pg::connect::describe(&e)),
            Ok(findings) if findings.is_empty() => Check::new(
                NAME,
                Level::Ok,
                "every table with tenant data is isolated".into(),
                Some(0.0),
            ),
            Ok(findings) => Check::new(
                NAME,
                Level::Critical,
                format!(
                    "{} isolation finding(s) (`dbguard tenancy audit` lists them)",
                    findings.len()
                ),
                Some(findings.len() as f64),
            ),
        },
    }
}
