//! `dbguard doctor`: is everything in place? PostgreSQL programs, the
//! configuration, the local server, and each agent's hook.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use dbguard_hooks::Host;
use dbguard_pg::{Discovery, LocalServer, ServerOptions, ServerState, Settings, Target};
use serde::Serialize;

use super::hook_install::{installed_commands, resolve_program, settings_files};
use crate::args::Format;
use crate::output::{emit, Report};

#[derive(Serialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
enum Status {
    Ok,
    Info,
    Problem,
}

#[derive(Serialize)]
struct Check {
    check: String,
    status: Status,
    detail: String,
}

#[derive(Serialize)]
struct DoctorReport {
    ok: bool,
    checks: Vec<Check>,
}

impl Report for DoctorReport {
    fn text(&self) -> String {
        let mut text = String::new();
        for c in &self.checks {
            let mark = match c.status {
                Status::Ok => "✓",
                Status::Info => "·",
                Status::Problem => "✗",
            };
            text.push_str(&format!("{mark} {:<18} {}\n", c.check, c.detail));
        }
        text
    }
}

/// Runs every check; exit 1 when any is a problem.
pub fn run(format: Format, cwd: &Path, settings: dbguard_pg::Result<Settings>) -> anyhow::Result<ExitCode> {
    let mut checks = Vec::new();
    let mut add = |check: &str, status: Status, detail: String| {
        checks.push(Check {
            check: check.to_string(),
            status,
            detail,
        })
    };
    match Discovery::system().find(None) {
        Ok(install) => add(
            "postgresql",
            Status::Ok,
            format!("{} in {}", install.version, install.bindir.display()),
        ),
        Err(e) => add("postgresql", Status::Problem, e.to_string()),
    }
    let project = match &settings {
        Ok(s) => {
            add("configuration", Status::Ok, format!("target from {}", s.source));
            s.project_dir.clone()
        }
        Err(e) => {
            add("configuration", Status::Problem, e.to_string());
            dbguard_pg::settings::project_dir(cwd)
        }
    };
    let local = LocalServer::open(
        &project.join(".dbguard"),
        &Discovery::system(),
        ServerOptions::default(),
    );
    let mut local_running = None;
    match local
        .as_ref()
        .map_err(|e| e.to_string())
        .and_then(|server| server.status().map_err(|e| e.to_string()))
    {
        Ok(status) => {
            let state = serde_json::to_value(status.state).ok();
            let state = state.as_ref().and_then(|s| s.as_str()).unwrap_or("unknown");
            if status.state == ServerState::Running {
                local_running = local.as_ref().ok();
            }
            add("local server", Status::Info, state.to_string())
        }
        Err(e) => add("local server", Status::Info, e),
    }
    if let Ok(settings) = &settings {
        let (status, detail) = guards(settings, local_running);
        add("database guards", status, detail);
    }
    if let Ok(settings) = &settings {
        let mut client = super::observed_url(settings)
            .ok()
            .and_then(|url| dbguard_pg::connect(&url, settings.pool.timeout()).ok());
        let found =
            dbguard_backup::leftovers::Found::gather(&super::backup::store(settings), client.as_mut());
        let lines = found.lines();
        match lines.is_empty() {
            true => add(
                "leftovers",
                Status::Ok,
                "no unfinished backups or temporary databases".into(),
            ),
            false => {
                for (liveness, line) in lines {
                    let status = match liveness {
                        dbguard_backup::leftovers::Liveness::Gone => Status::Problem,
                        _ => Status::Info,
                    };
                    add("leftovers", status, line);
                }
            }
        }
    }
    let home = std::env::var_os("HOME").map(PathBuf::from);
    for host in Host::ALL {
        let (status, detail) = hook_status(host, &project, home.as_deref());
        add(&format!("{} hook", host.name()), status, detail);
    }
    let ok = checks.iter().all(|c| c.status != Status::Problem);
    emit(format, &DoctorReport { ok, checks });
    Ok(if ok { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

/// Whether the target database is protected, and whether the URL in use is
/// a superuser's (who can switch the guards off). The local server is only
/// looked at when it is already running.
fn guards(settings: &Settings, local: Option<&LocalServer>) -> (Status, String) {
    let url = match (&settings.target, local) {
        (Target::Url(url), _) => (**url).clone(),
        (Target::Local { database }, Some(server)) => match server.url(database) {
            Ok(url) => url,
            Err(e) => return (Status::Info, e.to_string()),
        },
        (Target::Local { .. }, None) => return (Status::Info, "the local server is not running".to_string()),
    };
    let status = dbguard_pg::connect(&url, std::time::Duration::from_secs(5))
        .map_err(|e| e.to_string())
        .and_then(|mut client| dbguard_guard::protect::status(&mut client).map_err(|e| e.to_string()));
    let status = match status {
        Ok(status) => status,
        Err(e) => return (Status::Info, format!("cannot be read: {e}")),
    };
    let mut detail = if !status.installed {
        "not protected: `dbguard protect` puts the guards inside PostgreSQL".to_string()
    } else if status.event_triggers_off.is_empty() && status.unprotected_tables.is_empty() {
        format!(
            "protected ({} tables; rows counted by the {} row guard)",
            status.protected_tables,
            match status.row_guard {
                Some(dbguard_guard::protect::RowGuard::C) => "C",
                _ => "PL/pgSQL",
            }
        )
    } else {
        format!(
            "protection is incomplete (event triggers off: {}; tables without guards: {}); run `dbguard protect`",
            status.event_triggers_off.len(),
            status.unprotected_tables.len()
        )
    };
    if status.loaded_late {
        detail.push_str("; ");
        detail.push_str(super::protect::LOADED_LATE.trim_start_matches("! "));
    }
    if status.current_is_superuser {
        detail.push_str(&format!(
            "; the URL in use is the superuser {}'s, who can switch the guards off and drop the database: \
             give agents and the application a role that is not a superuser (`dbguard protect --app-role NAME`)",
            status.current_role
        ));
    }
    let level = if status.installed
        && (!status.event_triggers_off.is_empty()
            || !status.unprotected_tables.is_empty()
            || status.loaded_late)
    {
        Status::Problem
    } else {
        Status::Info
    };
    (level, detail)
}

/// Whether the hook of `host` is installed (project or user settings) and runs a dbguard that exists.
fn hook_status(host: Host, project: &Path, home: Option<&Path>) -> (Status, String) {
    let files = [Some(project), home]
        .into_iter()
        .flatten()
        .flat_map(|base| settings_files(host, base));
    for file in files {
        let Ok(bytes) = std::fs::read(&file) else { continue };
        let Ok(doc) = serde_json::from_slice::<serde_json::Value>(&bytes) else {
            return (Status::Problem, format!("{} is not valid JSON", file.display()));
        };
        if let Some(command) = installed_commands(host, &doc).first() {
            let exe = command
                .split(" hook ")
                .next()
                .unwrap_or_default()
                .trim_matches('\'');
            return match resolve_program(command) {
                Some(_) => (Status::Ok, format!("installed in {}", file.display())),
                None if exe.contains('/') => (
                    Status::Problem,
                    format!("{} runs {exe}, which does not exist", file.display()),
                ),
                None => (
                    Status::Problem,
                    format!("{} runs {exe}, which is not on this PATH", file.display()),
                ),
            };
        }
    }
    (
        Status::Info,
        format!("not installed (`dbguard hook install {}`)", host.name()),
    )
}
