//! `dbguard doctor`: is everything in place? PostgreSQL programs, the
//! configuration, the local server, and each agent's hook.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use dbguard_hooks::Host;
use dbguard_pg::{Discovery, LocalServer, ServerOptions, Settings};
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
    match LocalServer::open(
        &project.join(".dbguard"),
        &Discovery::system(),
        ServerOptions::default(),
    )
    .and_then(|server| server.status())
    {
        Ok(status) => {
            let state = serde_json::to_value(status.state).ok();
            let state = state.as_ref().and_then(|s| s.as_str()).unwrap_or("unknown");
            add("local server", Status::Info, state.to_string())
        }
        Err(e) => add("local server", Status::Info, e.to_string()),
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
