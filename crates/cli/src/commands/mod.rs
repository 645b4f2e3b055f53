//! One module per subcommand; `run` dispatches.

mod approve;
mod audit;
mod backup;
mod check;
mod config;
mod db;
mod doctor;
mod export;
mod health;
mod hook;
mod hook_install;
mod incident;
mod init;
mod lint;
mod migrate;
mod protect;
mod protocol;
mod restore;
mod rules;
mod run;
mod seed;
mod serve;
mod sql;
mod tenancy;
mod up;
mod validate;

use std::process::ExitCode;

use anyhow::Context;
use dbguard_hooks::Host;
use dbguard_pg::env::ProcessEnv;
use dbguard_pg::Settings;

use crate::args::{Cli, Command, Format, HookCommand, TenancyCommand};

/// Runs the command line's subcommand. Configuration is only resolved by
/// commands that need it, so a broken `.env` cannot stop `check` or a hook.
pub fn run(cli: &Cli) -> anyhow::Result<ExitCode> {
    let cwd = std::env::current_dir().context("cannot read the working directory")?;
    let settings = || Settings::resolve(cli.database_url.as_deref(), &ProcessEnv, &cwd);
    anyhow::ensure!(
        cli.format != Format::Prometheus || matches!(cli.command, Command::Health(_)),
        "only `dbguard health` speaks --format prometheus; use text or json"
    );
    match &cli.command {
        Command::Up => up::run(cli.format, &settings()?),
        Command::Init { yes, dry_run } => init::run(cli.format, &settings()?, *yes, *dry_run),
        Command::Db(db) => db::run(cli.format, &settings()?, db),
        Command::Config => config::run(cli.format, &settings()?),
        Command::Check(args) => check::run(cli.format, args, &cwd),
        Command::Hook(command) => match command {
            HookCommand::Install { host, user, shared } => {
                hook_install::run(cli.format, host, *user, *shared, &cwd)
            }
            HookCommand::ClaudeCode => Ok(hook::run(Host::ClaudeCode)),
            HookCommand::Cursor => Ok(hook::run(Host::Cursor)),
            HookCommand::Gemini => Ok(hook::run(Host::Gemini)),
            HookCommand::Codex => Ok(hook::run(Host::Codex)),
        },
        Command::Doctor => doctor::run(cli.format, &cwd, settings()),
        Command::Rules => Ok(rules::run(cli.format)),
        Command::Backup(command) => backup::run(cli.format, &settings()?, command),
        Command::Restore(args) => restore::run(cli.format, &settings()?, args),
        Command::Incident(command) => incident::run(cli.format, &settings()?, command),
        Command::Protect(args) => protect::run(cli.format, &settings()?, args),
        Command::Unprotect => protect::unprotect(&settings()?),
        Command::Migrate(command) => migrate::run(cli.format, &settings()?, command),
        Command::Lint(args) => lint::run(cli.format, args, &cwd),
        Command::Reset { seed } => migrate::reset(&settings()?, *seed),
        Command::Tenancy(TenancyCommand::Audit) => tenancy::run(cli.format, &settings()?),
        Command::Tenancy(TenancyCommand::Adopt { owner, farm_name }) => {
            tenancy::adopt(&settings()?, owner, farm_name)
        }
        Command::Health(args) => match settings() {
            Ok(settings) => health::run(cli.format, &settings, args),
            // A health check that cannot even read its configuration knows nothing: UNKNOWN.
            Err(e) => Ok(health::unconfigured(cli.format, &e)),
        },
        Command::Seed(args) => seed::run(cli.format, &settings()?, args),
        Command::Validate => validate::run(cli.format, &settings()?),
        Command::Export(args) => export::run_export(&settings()?, args),
        Command::Import(args) => export::run_import(&settings()?, args),
        Command::Run(args) => run::run(cli.format, &settings()?, args, &cwd),
        Command::Sql(args) => sql::run(cli.format, &settings()?, args, &cwd),
        Command::Approve { id } => approve::approve(&settings()?, id),
        Command::Approvals => approve::list(cli.format, &settings()?),
        Command::Serve { port } => serve::run(settings()?, *port),
        Command::Approver(command) => approve::approver(cli.format, &settings()?, command),
        Command::Audit { action } => audit::run(cli.format, &settings()?, action.is_some()),
    }
}

/// The URL of the target database; the local server is started (and its
/// database created) when it is the target.
pub fn target_url(settings: &Settings) -> anyhow::Result<dbguard_pg::DbUrl> {
    Ok(match &settings.target {
        dbguard_pg::Target::Url(url) => (**url).clone(),
        dbguard_pg::Target::Local { database } => {
            let (server, ..) = db::start(settings)?;
            server.url(database)?
        }
    })
}

/// The URL of the target database without starting anything: a command
/// that only observes (health, backup list, doctor) does not start the
/// local server.
pub fn observed_url(settings: &Settings) -> anyhow::Result<dbguard_pg::DbUrl> {
    match &settings.target {
        dbguard_pg::Target::Url(url) => Ok((**url).clone()),
        dbguard_pg::Target::Local { database } => {
            let server = db::local_server(settings)?;
            anyhow::ensure!(
                server.status()?.state == dbguard_pg::ServerState::Running,
                "dbguard's local server is not running (`dbguard up` starts it)"
            );
            Ok(server.url(database)?)
        }
    }
}

/// Exit code of a verdict: 0 low, 3 medium (needs approval), 4 high (refused).
pub fn risk_exit_code(risk: dbguard_risk::Risk) -> ExitCode {
    ExitCode::from(match risk {
        dbguard_risk::Risk::Low => 0,
        dbguard_risk::Risk::Medium => 3,
        dbguard_risk::Risk::High => 4,
    })
}
