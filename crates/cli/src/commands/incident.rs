//! `dbguard incident start|scope|recover|verify|close|status`: parses,
//! wires the person-confirmed steps through the protocol, and prints; the
//! steps themselves are `dbguard_incident`'s.

use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;

use dbguard_incident::close::{unanswered, Answer, Status};
use dbguard_incident::compare::Counts;
use dbguard_incident::recover::{Recovery, Selection};
use dbguard_incident::scope::ScopeReport;
use dbguard_incident::verify::VerifyReport;
use dbguard_incident::{close, recover, scope, start, verify, Context, Incident};
use dbguard_pg::Settings;
use serde::Serialize;

use crate::args::{Format, IncidentCommand, RestoreArgs};
use crate::output::{emit, Report};

/// Runs an incident subcommand.
pub fn run(format: Format, settings: &Settings, command: &IncidentCommand) -> anyhow::Result<ExitCode> {
    let url = super::target_url(settings)?;
    let approver_dir = super::protocol::approver_dir()?;
    let ctx = Context::new(settings, url.clone(), &approver_dir);
    match command {
        IncidentCommand::Start { title, no_freeze } => {
            let (mut incident, opened) = start::open(&ctx, title)?;
            eprintln!(
                "{} incident {} on {} ({})",
                if opened { "opened" } else { "resuming open" },
                incident.id,
                incident.database,
                incident.title
            );
            if *no_freeze {
                emit(format, &Shown(&incident));
                return Ok(ExitCode::SUCCESS);
            }
            let (op, verdict) = start::freeze_operation(&ctx, &incident)?;
            let code = super::protocol::run_backing_itself_up(settings, &op, &verdict, url, &mut |_| {
                let freeze = start::freeze(&ctx, &mut incident)?;
                eprintln!(
                    "froze {}: new sessions are read-only; {} session(s) ended{}\nto undo by hand: {}\n\
                     (`dbguard incident close` undoes it)",
                    freeze.database,
                    freeze.ended.len(),
                    freeze
                        .ended
                        .iter()
                        .map(|s| format!("\n  {}", s.describe()))
                        .collect::<String>(),
                    freeze.undo_sql()
                );
                Ok(0)
            })?;
            emit(format, &Shown(&incident));
            Ok(code)
        }
        IncidentCommand::Scope { id, backup } => {
            let mut incident = ctx.incidents.find(id.as_deref())?;
            let report = scope::scope(&ctx, &mut incident, backup.as_deref())?;
            emit(format, &Scoped(&report));
            Ok(ExitCode::SUCCESS)
        }
        IncidentCommand::Recover {
            id,
            table,
            farm,
            whole,
        } => {
            let mut incident = ctx.incidents.find(id.as_deref())?;
            if *whole {
                let backup = recover::whole_backup(&incident)?;
                let args = RestoreArgs {
                    id: backup.clone(),
                    into: None,
                    lock_timeout: 10,
                };
                let code = super::restore::run(format, settings, &args)?;
                if code == ExitCode::SUCCESS {
                    recover::record_whole(&ctx, &mut incident, &backup)?;
                }
                return Ok(code);
            }
            let selection = Selection {
                tables: table.clone(),
                farm: farm.clone(),
            };
            let (op, verdict) = recover::operation(&ctx, &incident, &selection)?;
            super::protocol::run(settings, &op, &verdict, Ok(url), &mut |_| {
                let recovery = recover::recover(&ctx, &mut incident, &selection)?;
                emit(format, &Recovered(&recovery));
                Ok(0)
            })
        }
        IncidentCommand::Verify { id } => {
            let mut incident = ctx.incidents.find(id.as_deref())?;
            let report = verify::verify(&ctx, &mut incident)?;
            emit(format, &Verified(&report));
            Ok(if report.clean {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        IncidentCommand::Close { id, done, na } => {
            let mut incident = ctx.incidents.find(id.as_deref())?;
            let mut answers: Vec<Answer> = done
                .iter()
                .map(|a| answer(a, Status::Done))
                .chain(na.iter().map(|a| answer(a, Status::NotApplicable)))
                .collect();
            if incident.is_open() && std::io::stdin().is_terminal() {
                ask(&mut answers)?;
            }
            let path = close::close(&ctx, &mut incident, &answers)?;
            emit(
                format,
                &Closed {
                    incident: &incident,
                    report: path.display().to_string(),
                },
            );
            Ok(ExitCode::SUCCESS)
        }
        IncidentCommand::Status { id } => {
            let incident = ctx.incidents.find(id.as_deref())?;
            emit(format, &Shown(&incident));
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// `ITEM[:NOTE]`.
fn answer(text: &str, status: Status) -> Answer {
    let (id, note) = text.split_once(':').unwrap_or((text, ""));
    Answer {
        id: id.trim().to_string(),
        status,
        note: note.trim().to_string(),
    }
}

/// Asks a person at the terminal for the items not answered on the command line.
fn ask(answers: &mut Vec<Answer>) -> anyhow::Result<()> {
    let stdin = std::io::stdin();
    let mut line = String::new();
    for (id, item) in unanswered(answers) {
        let status = loop {
            eprint!("{item}? (done / n/a) ");
            std::io::stderr().flush().ok();
            line.clear();
            if stdin.lock().read_line(&mut line)? == 0 {
                return Ok(());
            }
            match line.trim().to_lowercase().as_str() {
                "done" | "d" | "yes" | "y" => break Status::Done,
                "n/a" | "na" => break Status::NotApplicable,
                _ => eprintln!("answer done or n/a"),
            }
        };
        eprint!("  note (who did what, when): ");
        std::io::stderr().flush().ok();
        line.clear();
        stdin.lock().read_line(&mut line)?;
        answers.push(Answer {
            id: id.to_string(),
            status,
            note: line.trim().to_string(),
        });
    }
    Ok(())
}

fn counts(c: &Counts) -> String {
    format!("{:>8} {:>8} {:>8}", c.lost, c.changed, c.added)
}

fn farm_name(farm: &str) -> &str {
    if farm.is_empty() {
        "(no farm)"
    } else {
        farm
    }
}

#[derive(Serialize)]
#[serde(transparent)]
struct Shown<'a>(&'a Incident);

impl Report for Shown<'_> {
    fn text(&self) -> String {
        let i = self.0;
        let mut text = format!(
            "incident {} ({}): {}\n  database {}, opened {} by {}\n  frozen: {}\n",
            i.id,
            if i.is_open() { "open" } else { "closed" },
            i.title,
            i.target,
            i.opened_at.format("%Y-%m-%d %H:%M:%S UTC"),
            i.opened_by,
            match &i.freeze {
                Some(f) if f.lifted_at.is_none() => format!("yes, since {}", f.at.format("%H:%M:%S UTC")),
                Some(_) => "no (lifted)".to_string(),
                None => "no".to_string(),
            }
        );
        for step in &i.steps {
            text.push_str(&format!(
                "  {} {}: {}\n",
                step.time.format("%H:%M:%S"),
                step.step,
                step.detail
            ));
        }
        text
    }
}

#[derive(Serialize)]
#[serde(transparent)]
struct Scoped<'a>(&'a ScopeReport);

impl Report for Scoped<'_> {
    fn text(&self) -> String {
        let r = self.0;
        let mut text = format!(
            "compared the live database with backup {} (taken {}; {})\n  in the side database {} (restore {:.1} s, compare {:.1} s)\n",
            r.backup.id,
            r.backup.taken_at.format("%Y-%m-%d %H:%M:%S UTC"),
            r.backup.why,
            r.side_database,
            r.restore_seconds,
            r.compare_seconds
        );
        match &r.cause {
            Some(c) => text.push_str(&format!(
                "most likely cause: audit entry {} at {}: {} `{}` ({}), approval {}, backup before it {}\n",
                c.seq,
                c.time.format("%Y-%m-%d %H:%M:%S UTC"),
                c.kind,
                c.operation,
                c.risk,
                c.approval.as_deref().unwrap_or("none"),
                c.backup.as_deref().unwrap_or("none")
            )),
            None => text.push_str("no operation in the audit log stands out as the cause\n"),
        }
        text.push_str(&format!(
            "\n{:<40} {:>8} {:>8} {:>8}\n",
            "table / farm", "lost", "changed", "added"
        ));
        for t in r.tables.iter().filter(|t| t.counts.any()) {
            text.push_str(&format!("{:<40} {}\n", t.table, counts(&t.counts)));
            for (farm, c) in &t.farms {
                text.push_str(&format!("  {:<38} {}\n", farm_name(farm), counts(c)));
            }
            if let Some(why) = &t.not_compared {
                text.push_str(&format!("  (not compared row by row: {why})\n"));
            }
            if !t.samples.lost.is_empty() {
                text.push_str(&format!(
                    "  lost, e.g. {}\n",
                    t.samples.lost[..t.samples.lost.len().min(3)].join("; ")
                ));
            }
        }
        for (table, rows) in &r.new_tables {
            text.push_str(&format!("{table:<40} new since the backup, {rows} rows\n"));
        }
        text.push_str(&format!("{:<40} {}\n", "total", counts(&r.totals)));
        if r.totals.lost > 0 {
            text.push_str(
                "\nnext: `dbguard incident recover` (all lost rows), `--farm FARM_ID`, `--table TABLE`, or `--whole`\n",
            );
        }
        text
    }
}

#[derive(Serialize)]
#[serde(transparent)]
struct Recovered<'a>(&'a Recovery);

impl Report for Recovered<'_> {
    fn text(&self) -> String {
        let r = self.0;
        let mut text = format!(
            "put back {} row(s) from backup {}{} in one transaction\n",
            r.inserted(),
            r.backup,
            r.farm
                .as_ref()
                .map(|f| format!(" for farm {f}"))
                .unwrap_or_default()
        );
        for t in &r.tables {
            text.push_str(&format!(
                "  {:<38} {} of {} missing row(s) inserted\n",
                t.table, t.inserted, t.missing
            ));
            if t.inserted < t.missing {
                text.push_str(&format!(
                    "    {} row(s) clash with a newer row on another unique key and were left out\n",
                    t.missing - t.inserted
                ));
            }
            if t.changed_left + t.added_left > 0 {
                text.push_str(&format!(
                    "    left as they are for a person to decide: {} changed and {} added since the backup{}\n",
                    t.changed_left,
                    t.added_left,
                    match t.left_samples.is_empty() {
                        true => String::new(),
                        false => format!(" (e.g. {})", t.left_samples.join("; ")),
                    }
                ));
            }
        }
        text
    }
}

#[derive(Serialize)]
#[serde(transparent)]
struct Verified<'a>(&'a VerifyReport);

impl Report for Verified<'_> {
    fn text(&self) -> String {
        let r = self.0;
        let mut text: String = r.lines().iter().map(|l| format!("{l}\n")).collect();
        text.push_str(if r.clean { "clean\n" } else { "problems found\n" });
        text
    }
}

#[derive(Serialize)]
struct Closed<'a> {
    incident: &'a Incident,
    report: String,
}

impl Report for Closed<'_> {
    fn text(&self) -> String {
        format!("incident {} closed; report: {}\n", self.incident.id, self.report)
    }
}
