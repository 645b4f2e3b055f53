//! `dbguard db start|stop|status|url`: dbguard's own local PostgreSQL server.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use dbguard_pg::envfile::EnvUpdate;
use dbguard_pg::prisma;

use dbguard_pg::settings::DEFAULT_LOCAL_DATABASE;
use dbguard_pg::{Discovery, LocalServer, ServerOptions, ServerState, ServerStatus, Settings, Target};
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

/// `db url`, or with `--prisma` the URL with its password written into `env_file`.
fn url(
    format: Format,
    server: &LocalServer,
    database: &str,
    prisma: bool,
    env_file: Option<&Path>,
) -> anyhow::Result<ExitCode> {
    let url = server.url(database)?;
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
    let Some(env_file) = env_file else {
        emit_error(format, &anyhow::anyhow!(prisma::NEEDS_ENV_FILE));
        return Ok(ExitCode::from(EXIT_USAGE));
    };
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
        } => {
            let server = local_server(settings)?;
            let database = database.as_deref().unwrap_or(local_database(settings));
            return url(format, &server, database, *prisma, env_file.as_deref());
        }
    }
    Ok(ExitCode::SUCCESS)
}
