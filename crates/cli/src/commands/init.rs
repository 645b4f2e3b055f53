//! `dbguard init`: set dbguard up in an existing project. The plan (see
//! `dbguard_init`) is shown as diffs, with the hooks to install and whether
//! `DATABASE_URL` goes into `.env`; at a terminal it is applied after a
//! yes, with `--yes` at once, with `--dry-run` never.

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use dbguard_pg::envfile::EnvUpdate;
use dbguard_pg::settings::TargetSource;
use dbguard_pg::{prisma, Settings};
use serde::Serialize;

use crate::args::Format;
use crate::commands::hook_install::{install_hook, InstallReport};
use crate::output::{emit, Report};

#[derive(Serialize)]
struct FileChange {
    path: PathBuf,
    summary: String,
    diff: String,
}

#[derive(Serialize)]
struct InitReport {
    project: PathBuf,
    detected: Vec<&'static str>,
    changes: Vec<FileChange>,
    hooks: Vec<InstallReport>,
    /// Whether the local server's URL goes into `.env` (it has no DATABASE_URL).
    database_url: Option<PathBuf>,
    /// What happened to DATABASE_URL, once applied.
    database_url_change: Option<EnvUpdate>,
    /// `applied`, `dry-run`, `declined`, `not-asked` or `nothing-to-do`.
    outcome: &'static str,
}

impl InitReport {
    fn pending(&self) -> bool {
        !self.changes.is_empty() || self.hooks.iter().any(|h| h.changed) || self.database_url.is_some()
    }

    /// Everything that is to change, diffs included.
    fn plan_text(&self) -> String {
        let mut text = String::new();
        for change in &self.changes {
            text.push_str(&format!(
                "{}: {}\n{}",
                change.path.display(),
                change.summary,
                change.diff
            ));
        }
        for hook in self.hooks.iter().filter(|h| h.changed) {
            text.push_str(&format!(
                "{}: the {} hook ({})\n",
                hook.file.display(),
                hook.host,
                hook.command
            ));
        }
        if let Some(env) = &self.database_url {
            text.push_str(&format!(
                "{}: DATABASE_URL for the local server, with its password (mode 0600; the password is not shown)\n",
                env.display()
            ));
        }
        text
    }
}

impl Report for InitReport {
    fn text(&self) -> String {
        let found = if self.detected.is_empty() {
            "nothing known".to_string()
        } else {
            self.detected.join(", ")
        };
        let mut text = format!("project {} ({found})\n", self.project.display());
        match self.outcome {
            "nothing-to-do" => text.push_str("dbguard is set up here: nothing to change\n"),
            "applied" => {
                for change in &self.changes {
                    text.push_str(&format!(
                        "  wrote {}: {}\n",
                        change.path.display(),
                        change.summary
                    ));
                }
                for hook in self.hooks.iter().filter(|h| h.changed) {
                    text.push_str(&format!(
                        "  installed the {} hook in {}\n",
                        hook.host,
                        hook.file.display()
                    ));
                }
                if let (Some(env), Some(change)) = (&self.database_url, self.database_url_change) {
                    let what = if change == EnvUpdate::Unchanged {
                        "kept"
                    } else {
                        "wrote"
                    };
                    text.push_str(&format!(
                        "  {what} DATABASE_URL in {} (mode 0600)\n",
                        env.display()
                    ));
                }
            }
            "dry-run" => text.push_str(&format!("{}(dry run: nothing was written)\n", self.plan_text())),
            "declined" => text.push_str("nothing was written\n"),
            _ => text.push_str(&format!(
                "{}not applied: there is no terminal to ask at; `dbguard init --yes` applies these changes\n",
                self.plan_text()
            )),
        }
        text
    }
}

/// Plans, shows, asks, applies.
pub fn run(format: Format, settings: &Settings, yes: bool, dry_run: bool) -> anyhow::Result<ExitCode> {
    let dir = &settings.project_dir;
    let plan = dbguard_init::plan(dir)?;
    let hooks = plan
        .detected
        .agents
        .iter()
        .map(|host| install_hook(*host, false, false, dir, false))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let env_file = dir.join(".env");
    // Only when no DATABASE_URL is set at all (one naming the local server
    // also makes the target local).
    let wants_url = plan.detected.prisma_schema && settings.source == TargetSource::Local;
    let mut report = InitReport {
        project: dir.clone(),
        detected: detected(&plan.detected),
        changes: plan
            .changes
            .iter()
            .map(|c| FileChange {
                path: relative(&c.path, dir),
                summary: c.summary.clone(),
                diff: c.diff(&relative(&c.path, dir).display().to_string()),
            })
            .collect(),
        hooks,
        database_url: wants_url.then(|| relative(&env_file, dir)),
        database_url_change: None,
        outcome: "nothing-to-do",
    };
    if !report.pending() {
        emit(format, &report);
        return Ok(ExitCode::SUCCESS);
    }
    if dry_run {
        report.outcome = "dry-run";
        emit(format, &report);
        return Ok(ExitCode::SUCCESS);
    }
    if !yes {
        if !std::io::stdin().is_terminal() {
            report.outcome = "not-asked";
            emit(format, &report);
            return Ok(ExitCode::from(1));
        }
        eprint!("{}Apply these changes? [y/N] ", report.plan_text());
        std::io::stderr().flush()?;
        let mut answer = String::new();
        std::io::stdin().lock().read_line(&mut answer)?;
        if !matches!(answer.trim(), "y" | "Y" | "yes" | "YES") {
            report.outcome = "declined";
            emit(format, &report);
            return Ok(ExitCode::from(1));
        }
    }
    for change in &plan.changes {
        change
            .apply()
            .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", change.path.display()))?;
    }
    for hook in &mut report.hooks {
        if hook.changed {
            let host = dbguard_hooks::Host::from_name(hook.host).expect("a known host");
            *hook = install_hook(host, false, false, dir, true)?;
        }
    }
    if wants_url {
        let (server, ..) = crate::commands::db::start(settings)?;
        let database = crate::commands::db::local_database(settings);
        let url = prisma::prisma_url(&crate::commands::db::app_url(settings, &server, database)?)?;
        report.database_url_change = Some(prisma::write_database_url(&env_file, &url)?);
    }
    report.outcome = "applied";
    emit(format, &report);
    Ok(ExitCode::SUCCESS)
}

fn detected(found: &dbguard_init::Detected) -> Vec<&'static str> {
    let mut names = Vec::new();
    for (present, name) in [
        (found.package_json, "package.json"),
        (found.prisma_schema, "prisma/schema.prisma"),
        (found.dotenv, ".env"),
    ] {
        if present {
            names.push(name);
        }
    }
    names.extend(found.agents.iter().map(|h| h.name()));
    names
}

fn relative(path: &Path, dir: &Path) -> PathBuf {
    path.strip_prefix(dir).unwrap_or(path).to_path_buf()
}
