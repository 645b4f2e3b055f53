//! `dbguard up`: the README's main job, as a short list of steps: server,
//! database, migrations, the app role, tenancy, the development seed and the
//! guards inside PostgreSQL (local server only), health — the guide's `db:setup`.

use std::process::ExitCode;

use dbguard_migrate::{history, runner, sources, Migration, Source};
use dbguard_pg::health::Level;
use dbguard_pg::summary::human_size;
use dbguard_pg::{DatabaseSummary, DbUrl, Settings, Target};
use dbguard_risk::Risk;
use serde::Serialize;

use crate::args::Format;
use crate::output::{emit, Report};

#[derive(Serialize)]
struct Step {
    step: &'static str,
    detail: String,
    /// False when the step found something that needs attention.
    ok: bool,
    /// True when the step did not run (the detail says why).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    skipped: bool,
}

impl Step {
    /// A step that ran (`ok`: false when it found something that needs attention).
    fn new(step: &'static str, detail: impl Into<String>, ok: bool) -> Step {
        Step {
            step,
            detail: detail.into(),
            ok,
            skipped: false,
        }
    }

    /// A step that ran and found nothing to attend to.
    fn done(step: &'static str, detail: impl Into<String>) -> Step {
        Step::new(step, detail, true)
    }

    /// A step that did not run, and why.
    fn skipped(step: &'static str, why: impl std::fmt::Display) -> Step {
        Step {
            skipped: true,
            ..Step::done(step, format!("skipped: {why}"))
        }
    }
}

#[derive(Serialize)]
struct UpReport {
    /// The URL dbguard itself works through (the superuser's on the local server).
    target: String,
    /// The application's URL on the local server (`dbguard db url`).
    #[serde(skip_serializing_if = "Option::is_none")]
    app_url: Option<String>,
    steps: Vec<Step>,
    summary: DatabaseSummary,
}

impl Report for UpReport {
    fn text(&self) -> String {
        let mut text = String::new();
        for step in &self.steps {
            let mark = match (step.skipped, step.ok) {
                (true, _) => '-',
                (false, true) => '✓',
                (false, false) => '!',
            };
            text.push_str(&format!("{mark} {:<9} {}\n", step.step, step.detail));
        }
        let s = &self.summary;
        text.push_str(&format!(
            "\nserver    PostgreSQL {}\ndatabase  {} (as {})\nsize      {}\ntables    {}\n",
            s.server_version,
            s.database,
            s.user,
            human_size(s.size_bytes),
            s.tables,
        ));
        match &self.app_url {
            Some(app) => text.push_str(&format!(
                "url       {app} (the application's)\nadmin     {} (dbguard's own)\n",
                self.target
            )),
            None => text.push_str(&format!("url       {}\n", self.target)),
        }
        text
    }
}

/// The cheap health checks in a line: whether all are OK, and what is not.
fn health(
    settings: &Settings,
    client: &mut postgres::Client,
    connected_in: std::time::Duration,
    audited: bool,
) -> (bool, String) {
    let mut checks = super::health::checks_on(settings, client, connected_in, &Default::default());
    // `up` may have just audited tenancy (and stops on a finding).
    if !audited {
        checks.push(super::health::tenancy(client));
    }
    let concerns: Vec<String> = checks
        .iter()
        .filter(|c| c.level != Level::Ok)
        .map(|c| format!("{} {}: {}", c.level.name(), c.name, c.summary))
        .collect();
    if concerns.is_empty() {
        (
            true,
            format!("OK ({} checks; `dbguard health` shows them)", checks.len()),
        )
    } else {
        (false, concerns.join("; "))
    }
}

/// Applies pending migrations (the project's, and dbguard's farm schema
/// where the database uses it), after a verified backup when the database
/// already holds tables. Pending migrations with a high-risk finding are
/// left to `dbguard migrate deploy`, which asks a person. Returns what it
/// did, per source, and whether the database uses the farm schema.
fn migrate(
    settings: &Settings,
    url: &DbUrl,
    client: &mut postgres::Client,
) -> anyhow::Result<(String, bool)> {
    let migrations = super::migrate::target_migrations(settings, client)?;
    let farm_schema = sources::uses_builtin(&migrations);
    let entries = runner::status(&migrations, &history::rows(client)?);
    let pending = runner::pending(&migrations, &entries);
    if migrations.is_empty() {
        return Ok(("no migrations folder; nothing to apply".to_string(), false));
    }
    let mut applied = Vec::new();
    if !pending.is_empty() {
        let verdict = super::migrate::pending_verdict(&pending, false);
        anyhow::ensure!(
            verdict.risk == Risk::Low,
            "{} pending migration(s) need a person's approval; run `dbguard migrate deploy`",
            pending.len()
        );
        let tables = DatabaseSummary::read(client)?.tables;
        let names: Vec<String> = pending.iter().map(|m| m.name.clone()).collect();
        if tables > 0 {
            let store = super::backup::store(settings);
            let op = super::protocol::Operation {
                kind: "migrate",
                text: format!("dbguard up: migrate {}", names.join(", ")),
                cwd: settings.project_dir.clone(),
            };
            super::protocol::take_backup(settings, &store, url, &op, dbguard_backup::Level::Read)?;
        }
        let done = runner::deploy(client, &migrations, &mut |_| Ok(()))?;
        if let Some((name, why)) = done.failed {
            anyhow::bail!("migration {name} failed: {why}");
        }
        applied = done.applied;
    }
    let mut said = Vec::new();
    for source in [Source::Project, Source::Builtin] {
        let of: Vec<&Migration> = migrations.iter().filter(|m| m.source == source).collect();
        if of.is_empty() {
            continue;
        }
        let now: Vec<&str> = of
            .iter()
            .filter(|m| applied.contains(&m.name))
            .map(|m| m.name.as_str())
            .collect();
        let name = super::migrate::source_name(source);
        said.push(match now.is_empty() {
            true => format!("{name}: up to date ({} migrations)", of.len()),
            false => format!("{name}: applied {}", now.join(", ")),
        });
    }
    if !farm_schema {
        said.push(format!(
            "{}: not used here ({})",
            super::migrate::source_name(Source::Builtin),
            farm_schema_absent(settings)
        ));
    }
    Ok((said.join("; "), farm_schema))
}

/// Why a database does not use dbguard's farm schema.
fn farm_schema_absent(settings: &Settings) -> &'static str {
    match settings.target {
        Target::Url(_) => "it goes only onto dbguard's own local server",
        Target::Local { .. } => "the project has its own migrations folder",
    }
}

/// The development seed of the farm schema: on dbguard's own local server
/// only (its data carries well-known passwords), and not in production.
fn seed_step(settings: &Settings, client: &mut postgres::Client) -> anyhow::Result<Step> {
    if !matches!(settings.target, Target::Local { .. }) {
        return Ok(Step::skipped(
            "seed",
            "`up` seeds development data only on dbguard's own local server; `dbguard seed` seeds a database on this machine",
        ));
    }
    if super::seed::environment(settings, None) == crate::args::SeedEnv::Production {
        return Ok(Step::skipped(
            "seed",
            "NODE_ENV is production; `dbguard seed` makes the production administrator",
        ));
    }
    let inserted = dbguard_farm::seed::development(client, Default::default())?;
    Ok(Step::done(
        "seed",
        match inserted.total() {
            0 => "development data already there".to_string(),
            n => format!("development data: {n} rows (the guide's four users, two demo farms)"),
        },
    ))
}

/// Whether a person can approve anything here: the approver, and the pin.
fn approver_step(settings: &Settings) -> Step {
    let dir = super::protocol::approver_dir();
    let trusted = dir.as_ref().map_err(|e| e.to_string()).and_then(|dir| {
        dbguard_guard::approver::trusted(dir, &settings.state_dir()).map_err(|e| e.to_string())
    });
    match trusted {
        Ok(approver) => Step::done(
            "approver",
            format!("{} (`dbguard approver status`)", approver.fingerprint()),
        ),
        Err(why) => Step::new("approver", why, false),
    }
}

/// How to call dbguard when `dbguard` on `PATH` is not this binary.
fn path_note() -> Option<Step> {
    let exe = std::env::current_exe().ok()?;
    (!super::hook_install::on_path(&exe)).then(|| Step::new("path", format!(
            "dbguard is not on your PATH: `cargo install --path crates/cli --locked` puts it there, or call {}",
            exe.display()
        ), false))
}

/// Ensures a server, connects, and reports.
pub fn run(format: Format, settings: &Settings) -> anyhow::Result<ExitCode> {
    let mut steps = Vec::new();
    let url = match &settings.target {
        Target::Local { database } => {
            let (server, status, started, created) = super::db::start(settings)?;
            let port = status.port.map(|p| p.to_string()).unwrap_or_default();
            steps.push(Step::done(
                "server",
                format!(
                    "local PostgreSQL {} {} on 127.0.0.1:{port}",
                    status.version,
                    if started { "started" } else { "already running" },
                ),
            ));
            steps.push(Step::done(
                "database",
                format!("{database} {}", if created { "created" } else { "exists" }),
            ));
            server.url(database)?
        }
        Target::Url(url) => {
            steps.push(Step::done("server", format!("from {}", settings.source)));
            (**url).clone()
        }
    };
    let connecting = std::time::Instant::now();
    let mut client = dbguard_pg::connect(&url, settings.pool.timeout())?;
    let connected_in = connecting.elapsed();
    steps.push(Step::done("connect", url.redacted()));
    let (migrated, farm_schema) = migrate(settings, &url, &mut client)?;
    steps.push(Step::done("migrate", migrated));
    let mut app_url = None;
    if let Target::Local { database } = &settings.target {
        let server = super::db::local_server(settings)?;
        let app = super::db::app_url(settings, &server, database)?;
        steps.push(Step::done(
            "app role",
            format!(
                "{}: not a superuser, owns nothing (its URL: `dbguard db url`)",
                app.user().unwrap_or_default()
            ),
        ));
        app_url = Some(app.redacted());
    }
    // The audit needs to become the application role, which dbguard can do
    // on its own server; on one a URL names the health check audits instead.
    let audited = farm_schema && matches!(settings.target, Target::Local { .. });
    if !farm_schema {
        let why = format!(
            "this database does not use dbguard's farm schema ({})",
            farm_schema_absent(settings)
        );
        steps.push(Step::skipped(
            "tenancy",
            format!("{why}; the health check audits any farm tables"),
        ));
        steps.push(Step::skipped("seed", format!("{why}, which the seed fills")));
    } else {
        if audited {
            let findings = dbguard_farm::audit::audit(&mut client)
                .map_err(|e| anyhow::anyhow!("{}", dbguard_pg::connect::describe(&e)))?;
            anyhow::ensure!(
                findings.is_empty(),
                "the farm database is not isolated ({} finding(s)); see `dbguard tenancy audit`",
                findings.len()
            );
            steps.push(Step::done("tenancy", "every table with tenant data is isolated"));
        } else {
            steps.push(Step::skipped(
                "tenancy",
                "on a server a URL names, `up` leaves the audit to the health check",
            ));
        }
        steps.push(seed_step(settings, &mut client)?);
    }
    if matches!(settings.target, Target::Local { .. }) {
        steps.push(Step::done(
            "protect",
            super::protect::up_step(settings, &url, &mut client)?,
        ));
    }
    let (ok, detail) = health(settings, &mut client, connected_in, audited);
    steps.push(Step::new("health", detail, ok));
    steps.push(approver_step(settings));
    if let Some(note) = path_note() {
        steps.push(note);
    }
    let summary = DatabaseSummary::read(&mut client)?;
    emit(
        format,
        &UpReport {
            target: url.redacted(),
            app_url,
            steps,
            summary,
        },
    );
    Ok(ExitCode::SUCCESS)
}
