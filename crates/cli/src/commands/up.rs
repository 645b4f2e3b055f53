//! `dbguard up`: the README's main job, as a short list of steps. Later steps
//! (migrate, seed, protect, backup) join this list.

use std::process::ExitCode;

use dbguard_pg::summary::human_size;
use dbguard_pg::{DatabaseSummary, Settings, Target};
use serde::Serialize;

use crate::args::Format;
use crate::output::{emit, Report};

#[derive(Serialize)]
struct Step {
    step: &'static str,
    detail: String,
}

#[derive(Serialize)]
struct UpReport {
    target: String,
    steps: Vec<Step>,
    summary: DatabaseSummary,
}

impl Report for UpReport {
    fn text(&self) -> String {
        let mut text = String::new();
        for step in &self.steps {
            text.push_str(&format!("✓ {:<9} {}\n", step.step, step.detail));
        }
        let s = &self.summary;
        text.push_str(&format!(
            "\nserver    PostgreSQL {}\ndatabase  {} (as {})\nsize      {}\ntables    {}\nurl       {}\n",
            s.server_version,
            s.database,
            s.user,
            human_size(s.size_bytes),
            s.tables,
            self.target
        ));
        text
    }
}

/// Ensures a server, connects, and reports.
pub fn run(format: Format, settings: &Settings) -> anyhow::Result<ExitCode> {
    let mut steps = Vec::new();
    let url = match &settings.target {
        Target::Local { database } => {
            let (server, status, started, created) = super::db::start(settings)?;
            let port = status.port.map(|p| p.to_string()).unwrap_or_default();
            steps.push(Step {
                step: "server",
                detail: format!(
                    "local PostgreSQL {} {} on 127.0.0.1:{port}",
                    status.version,
                    if started { "started" } else { "already running" },
                ),
            });
            steps.push(Step {
                step: "database",
                detail: format!("{database} {}", if created { "created" } else { "exists" }),
            });
            server.url(database)?
        }
        Target::Url(url) => {
            steps.push(Step {
                step: "server",
                detail: format!("from {}", settings.source),
            });
            (**url).clone()
        }
    };
    let mut client = dbguard_pg::connect(&url, settings.pool.timeout())?;
    steps.push(Step {
        step: "connect",
        detail: url.redacted(),
    });
    let summary = DatabaseSummary::read(&mut client)?;
    emit(
        format,
        &UpReport {
            target: url.redacted(),
            steps,
            summary,
        },
    );
    Ok(ExitCode::SUCCESS)
}
