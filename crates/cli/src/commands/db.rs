//! `dbguard db start|stop|status|url`: dbguard's own local PostgreSQL server.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use dbguard_pg::envfile::EnvUpdate;
use dbguard_pg::prisma;

use dbguard_pg::settings::DEFAULT_LOCAL_DATABASE;
use dbguard_pg::{DbUrl, Discovery, LocalServer, ServerOptions, ServerState, ServerStatus, Settings, Target};
use serde::Serialize;

use crate::args::{DbCommand, Format};
use crate::output::{emit, emit_error, Report};

/// The exit code of a usage error.
const EXIT_USAGE: u8 = 2;

/// The local server of the project `settings` describe.
pub fn local_server(settings: &Settings) -> anyhow::Result<LocalServer> {
    Ok(LocalServer::open(
        &settings.state_dir(),
        &Discovery::system(),
        ServerOptions::default(),
    )?)
}

/// The database the local server serves for this project.
pub fn local_database(settings: &Settings) -> &str {
    match &settings.target {
        Target::Local { database } => database,
        Target::Url(_) => DEFAULT_LOCAL_DATABASE,
    }
}

/// The application's role on dbguard's own server when the project has no
/// farm schema: the project's migrations run as the superuser, and this
/// role reads and writes their rows.
const PROJECT_APP_ROLE: &str = "app";

/// Makes the application's role on the local server usable for `database`
/// and returns its URL: the farm schema's `farm_app` (row-level security,
/// no TRUNCATE) where the database has it, else [`PROJECT_APP_ROLE`] with
/// the rights on rows an application needs. Neither is a superuser, owns
/// the database or can create databases or roles, so neither can switch
/// the guards inside the database off or open a window. Its password is
/// kept in `.dbguard/app.pgpass` (0600), and kept across calls.
pub fn app_url(settings: &Settings, server: &LocalServer, database: &str) -> anyhow::Result<DbUrl> {
    let mut client = dbguard_pg::connect(&server.url(database)?, settings.pool.timeout())?;
    let farm: bool = client
        .query_one(
            "SELECT to_regclass('public.farms') IS NOT NULL AND EXISTS (SELECT FROM pg_roles WHERE rolname = $1)",
            &[&dbguard_farm::APP_ROLE],
        )?
        .get(0);
    let role = match farm {
        true => dbguard_farm::APP_ROLE,
        false => {
            let schemas = ["public".to_string()];
            dbguard_guard::protect::ensure_app_role(&mut client, PROJECT_APP_ROLE, &schemas)?;
            dbguard_guard::protect::grant_rows(
                &mut client,
                PROJECT_APP_ROLE,
                "public",
                dbguard_pg::local::SUPERUSER,
            )?;
            PROJECT_APP_ROLE
        }
    };
    let password = match server.app_password(role) {
        Some(kept) => kept,
        None => dbguard_pg::random::random_hex(24)?,
    };
    client.batch_execute(&format!(
        "ALTER ROLE {} LOGIN PASSWORD '{password}'",
        dbguard_pg::local::quote_ident(role)
    ))?;
    server.keep_app_password(role, &password)?;
    Ok(server.app_url(database)?)
}

/// Starts the server and makes sure the project's database exists.
pub fn start(settings: &Settings) -> anyhow::Result<(LocalServer, ServerStatus, bool, bool)> {
    let server = local_server(settings)?;
    let (status, started) = server.start()?;
    let created = server.ensure_database(local_database(settings), settings.pool.timeout())?;
    Ok((server, status, started, created))
}

#[derive(Serialize)]
struct StatusReport {
    #[serde(flatten)]
    status: ServerStatus,
    url: Option<String>,
    /// What this command changed: `started`, `stopped`, or nothing.
    action: Option<&'static str>,
}

impl Report for StatusReport {
    fn text(&self) -> String {
        let s = &self.status;
        let state = match (s.state, self.action) {
            (ServerState::Running, Some("started")) => "running (started now)",
            (ServerState::Running, _) => "running",
            (ServerState::Stopped, Some("stopped")) => "stopped (stopped now)",
            (ServerState::Stopped, _) => "stopped",
            (ServerState::NotInitialized, _) => "not initialised (`dbguard db start` creates it)",
        };
        let mut text = format!("local PostgreSQL {}: {state}\n", s.version);
        if let Some(pid) = s.pid {
            text.push_str(&format!("  pid       {pid}\n"));
        }
        if let Some(port) = s.port {
            text.push_str(&format!("  address   127.0.0.1:{port}\n"));
        }
        text.push_str(&format!("  data      {}\n", s.data_dir.display()));
        text.push_str(&format!("  log       {}\n", s.log_file.display()));
        text.push_str(&format!("  OS user   {}\n", s.os_user));
        if let Some(url) = &self.url {
            text.push_str(&format!("  url       {url}\n"));
        }
        text
    }
}

#[derive(Serialize)]
struct UrlReport {
    /// The URL, password masked.
    url: String,
    /// The `.env` file DATABASE_URL was written into (`--prisma --env-file`).
    env_file: Option<PathBuf>,
    /// What happened to DATABASE_URL in that file.
    change: Option<EnvUpdate>,
}

impl Report for UrlReport {
    fn text(&self) -> String {
        match (&self.env_file, self.change) {
            (Some(file), Some(change)) => {
                let what = match change {
                    EnvUpdate::Added => "written into",
                    EnvUpdate::Replaced => "updated in",
                    EnvUpdate::Unchanged => "already up to date in",
                };
                format!("{}\nDATABASE_URL {what} {} (mode 0600)", self.url, file.display())
            }
            _ => self.url.clone(),
        }
    }
}

/// `db url` (the application's, or with `admin` the superuser's), or with
/// `--prisma` the application's URL with its password written into `env_file`.
fn url(
    format: Format,
    settings: &Settings,
    server: &LocalServer,
    database: &str,
    (prisma, admin): (bool, bool),
    env_file: Option<&Path>,
) -> anyhow::Result<ExitCode> {
    if prisma && env_file.is_none() {
        emit_error(format, &anyhow::anyhow!(prisma::NEEDS_ENV_FILE));
        return Ok(ExitCode::from(EXIT_USAGE));
    }
    let url = match admin {
        true => server.url(database)?,
        false => {
            server.start()?;
            if database == local_database(settings) {
                server.ensure_database(database, settings.pool.timeout())?;
            }
            app_url(settings, server, database)?
        }
    };
    if !prisma {
        emit(
            format,
            &UrlReport {
                url: url.redacted(),
                env_file: None,
                change: None,
            },
        );
        return Ok(ExitCode::SUCCESS);
    }
    let env_file = env_file.expect("checked above");
    let url = prisma::prisma_url(&url)?;
    let change = prisma::write_database_url(env_file, &url)?;
    emit(
        format,
        &UrlReport {
            url: url.redacted(),
            env_file: Some(env_file.to_path_buf()),
            change: Some(change),
        },
    );
    Ok(ExitCode::SUCCESS)
}

/// Runs a `db` subcommand.
pub fn run(format: Format, settings: &Settings, command: &DbCommand) -> anyhow::Result<ExitCode> {
    let url_of = |server: &LocalServer, status: &ServerStatus| -> anyhow::Result<Option<String>> {
        if status.state == ServerState::NotInitialized {
            return Ok(None);
        }
        Ok(Some(server.url(local_database(settings))?.redacted()))
    };
    match command {
        DbCommand::Start => {
            let (server, status, started, _) = start(settings)?;
            let url = url_of(&server, &status)?;
            let action = started.then_some("started");
            emit(format, &StatusReport { status, url, action });
        }
        DbCommand::Stop => {
            let server = local_server(settings)?;
            let stopped = server.stop()?;
            let status = server.status()?;
            let action = stopped.then_some("stopped");
            emit(
                format,
                &StatusReport {
                    status,
                    url: None,
                    action,
                },
            );
        }
        DbCommand::Status => {
            let server = local_server(settings)?;
            let status = server.status()?;
            let url = url_of(&server, &status)?;
            emit(
                format,
                &StatusReport {
                    status,
                    url,
                    action: None,
                },
            );
        }
        DbCommand::Url {
            database,
            prisma,
            env_file,
            admin,
        } => {
            let server = local_server(settings)?;
            let database = database.as_deref().unwrap_or(local_database(settings));
            return url(
                format,
                settings,
                &server,
                database,
                (*prisma, *admin),
                env_file.as_deref(),
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
