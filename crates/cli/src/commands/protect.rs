//! `dbguard protect`, `protect status` and `unprotect`: printing only; the
//! guards live in `dbguard_guard::protect`.

use std::process::ExitCode;

use dbguard_guard::protect::{self, AppRole, DropRights, Installed, Options, RowGuard, Status};
use dbguard_pg::Settings;
use dbguard_risk::{Finding, Rule, Verdict};
use serde::Serialize;

use super::protocol::{self, Operation};
use crate::args::{Format, ProtectAction, ProtectArgs};
use crate::output::{emit, Report};

#[derive(Serialize)]
struct ProtectReport {
    #[serde(flatten)]
    installed: Installed,
    app_role: Option<AppRole>,
    approver: bool,
}

impl Report for ProtectReport {
    fn text(&self) -> String {
        let i = &self.installed;
        let mut text = format!(
            "protected: {} table(s) in {} guarded (TRUNCATE; DELETE or UPDATE of more than {} row(s) per command, cascades counted); \
             drops, column drops and type changes, constraint drops, row-level security off and changes to dbguard's own objects refused\n",
            i.tables,
            i.schemas.join(", "),
            i.max_rows
        );
        text.push_str(&row_guard_text(i.row_guard, i.native_unavailable.as_deref()));
        text.push('\n');
        text.push_str(if i.recording {
            "refusals are recorded in dbguard.refusals\n"
        } else {
            "refusals are not recorded (the dblink extension is not installed on the server); they are still refused\n"
        });
        match (&i.sealed, self.approver) {
            (Some(path), _) => text.push_str(&format!(
                "approvals open windows through the guard role {}; its password is sealed to the approver in {}\n",
                i.guard_role,
                path.display()
            )),
            _ => text.push_str(&format!("{}\n", protect::NO_APPROVER)),
        }
        text.push_str(&drop_rights_text(&i.drop_rights));
        if let Some(role) = &self.app_role {
            text.push_str(&app_role_text(role));
        }
        text
    }
}

#[derive(Serialize)]
struct StatusReport {
    #[serde(flatten)]
    status: Status,
}

impl Report for StatusReport {
    fn text(&self) -> String {
        let s = &self.status;
        if !s.installed {
            return "not protected: run `dbguard protect`\n".to_string();
        }
        let mut text = format!(
            "protected: {} table(s) in {} guarded; at most {} row(s) per DELETE or UPDATE command\n",
            s.protected_tables,
            s.schemas.join(", "),
            s.max_rows.unwrap_or_default()
        );
        if let Some(guard) = s.row_guard {
            text.push_str(&row_guard_text(guard, None));
            text.push('\n');
        }
        if s.loaded_late {
            text.push_str(LOADED_LATE);
            text.push('\n');
        }
        if !s.unprotected_tables.is_empty() {
            text.push_str(&format!(
                "! not guarded: {} (run `dbguard protect` again)\n",
                s.unprotected_tables.join(", ")
            ));
        }
        if !s.event_triggers_off.is_empty() {
            text.push_str(&format!(
                "! event triggers missing or switched off: {} (a superuser did it; run `dbguard protect` again)\n",
                s.event_triggers_off.join(", ")
            ));
        }
        text.push_str(match &s.approver {
            Some(_) => "approver: configured; approved operations open windows\n",
            None => "approver: none; no destructive operation can be approved on this database\n",
        });
        text.push_str(&format!(
            "windows open: {}\nrefusals recorded: {}\n",
            s.open_windows,
            if s.recording {
                "yes"
            } else {
                "no (dblink is not available)"
            }
        ));
        if s.current_is_superuser {
            text.push_str(&format!(
                "! the URL in use is the superuser {}'s: a superuser can switch the event triggers off and drop the database; \
                 give agents and the application a role that is not a superuser (`dbguard protect --app-role NAME`)\n",
                s.current_role
            ));
        }
        text.push_str(&drop_rights_text(&s.drop_rights));
        text
    }
}

/// What `protect status` and `doctor` say when sessions load the C row
/// guard's module late.
pub const LOADED_LATE: &str =
    "! sessions do not load dbguard's module as they start (session_preload_libraries does not name \
     dbguard_guard): each session's first command that deletes or updates guarded rows is refused; \
     `dbguard db start` sets it on dbguard's own server";

/// Which row guard counts rows, and why not the C one when it is not.
fn row_guard_text(guard: RowGuard, why_not_c: Option<&str>) -> String {
    match (guard, why_not_c) {
        (RowGuard::C, _) => "rows are counted by dbguard's C row guard".to_string(),
        (RowGuard::PlPgSql, Some(why)) => format!("rows are counted by the PL/pgSQL row guard ({why})"),
        (RowGuard::PlPgSql, None) => "rows are counted by the PL/pgSQL row guard".to_string(),
    }
}

fn drop_rights_text(rights: &DropRights) -> String {
    let list = |names: &[String]| match names {
        [] => "none".to_string(),
        names => names.join(", "),
    };
    format!(
        "cannot be blocked by triggers: DROP DATABASE (by its owner {}{}, or a superuser: {}); \
         CREATEDB: {}; CREATEROLE (can take over other roles): {}\n",
        rights.owner,
        match rights.owner_members.as_slice() {
            [] => String::new(),
            members => format!(" or its members {}", members.join(", ")),
        },
        list(&rights.superusers),
        list(&rights.createdb),
        list(&rights.createrole),
    )
}

fn app_role_text(role: &AppRole) -> String {
    let mut text = format!(
        "application role {}: {}\n",
        role.name,
        if role.created {
            "created (not owner, not superuser, no CREATEDB, CREATEROLE or BYPASSRLS, no TRUNCATE); set its password at your terminal"
        } else {
            "checked"
        }
    );
    for fix in &role.fixed {
        text.push_str(&format!("  fixed: {fix}\n"));
    }
    for problem in &role.problems {
        text.push_str(&format!("  ! {problem}\n"));
    }
    text
}

/// Runs `protect` or `protect status`.
pub fn run(format: Format, settings: &Settings, args: &ProtectArgs) -> anyhow::Result<ExitCode> {
    let url = super::target_url(settings)?;
    let mut client = dbguard_pg::connect(&url, settings.pool.timeout())?;
    if let Some(ProtectAction::Status) = args.action {
        let status = protect::status(&mut client)?;
        let ok =
            status.installed && status.unprotected_tables.is_empty() && status.event_triggers_off.is_empty();
        emit(format, &StatusReport { status });
        return Ok(if ok { ExitCode::SUCCESS } else { ExitCode::from(1) });
    }
    let report = install(
        settings,
        &url,
        &mut client,
        args.max_rows,
        args.app_role.as_deref(),
    )?;
    emit(format, &report);
    Ok(ExitCode::SUCCESS)
}

/// Installs the guards (as `dbguard up` does on the local server), sealing
/// the guard credential to the project's trusted approver; without one
/// (none set up, or not the pinned one) no window can be opened.
fn install(
    settings: &Settings,
    url: &dbguard_pg::DbUrl,
    client: &mut postgres::Client,
    max_rows: Option<u32>,
    app_role: Option<&str>,
) -> anyhow::Result<ProtectReport> {
    let state_dir = settings.state_dir();
    let approver = protocol::approver_dir()
        .ok()
        .and_then(|dir| dbguard_guard::approver::trusted(&dir, &state_dir).ok());
    let mut options = Options::new(&state_dir);
    options.approver = approver.as_ref().map(|a| a.public_key());
    if let Some(n) = max_rows {
        options.max_rows = n;
    }
    let app_role = match app_role {
        Some(name) => Some(protect::ensure_app_role(client, name, &options.schemas)?),
        None => None,
    };
    let installed = protect::install(client, url, &options)?;
    Ok(ProtectReport {
        approver: options.approver.is_some(),
        installed,
        app_role,
    })
}

/// The one-line summary `dbguard up` shows after protecting the local database.
pub fn up_step(
    settings: &Settings,
    url: &dbguard_pg::DbUrl,
    client: &mut postgres::Client,
) -> anyhow::Result<String> {
    let report = install(settings, url, client, None, None)?;
    Ok(format!(
        "{} table(s) guarded inside PostgreSQL ({}); {}",
        report.installed.tables,
        row_guard_text(
            report.installed.row_guard,
            report.installed.native_unavailable.as_deref()
        ),
        if report.approver {
            "approved operations open windows"
        } else {
            protect::NO_APPROVER
        }
    ))
}

/// `dbguard unprotect`: high risk, through the protocol (a person's
/// approval and a verified backup first).
pub fn unprotect(settings: &Settings) -> anyhow::Result<ExitCode> {
    let url = super::target_url(settings)?;
    let verdict = Verdict::from_findings(vec![Finding::new(
        Rule::DropSchema,
        "dbguard unprotect removes every guard inside the database: TRUNCATE, DROP and mass DELETE are no longer refused for any client",
        "DROP SCHEMA dbguard CASCADE",
    )]);
    let op = Operation {
        kind: "unprotect",
        text: format!("dbguard unprotect {}", url.redacted()),
        cwd: settings.project_dir.clone(),
    };
    protocol::run(settings, &op, &verdict, Ok(url.clone()), &mut |_| {
        let mut client = dbguard_pg::connect(&url, settings.pool.timeout())?;
        protect::unprotect(&mut client, &settings.state_dir())?;
        eprintln!("unprotected: the guards, the dbguard schema and its roles are removed");
        Ok(0)
    })
}
