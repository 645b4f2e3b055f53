//! The Heroku CLI: `pg:reset` deletes every table, `pg:backups:delete`
//! deletes a backup, `pg:backups:restore` and `pg:copy` overwrite a live
//! database, `addons:destroy` and `apps:destroy` delete them (high);
//! `pg:psql` runs the SQL it is given (classified); `run CMD` runs on a
//! dyno, another machine whose files are not these.

use super::super::super::opts::Spec;
use super::super::super::walk::{InputText, Invocation, Scope, Walker};
use super::super::remote::run_elsewhere;
use super::{hosted, report, reset, sql_argument, Args};
use crate::rules::Rule;

/// Program names.
pub const NAMES: &[&str] = &["heroku"];

const SPEC: Spec = Spec {
    short_values: "arcfse",
    long_values: &[
        "app",
        "remote",
        "confirm",
        "command",
        "file",
        "size",
        "env",
        "type",
        "exit-code",
        "credential",
    ],
};

/// Classifies a command of this tool.
pub fn classify(w: &mut Walker, inv: &Invocation, scope: &Scope) {
    let args = Args::read(inv, &SPEC);
    let ops = args.ops();
    let judged = match ops.as_slice() {
        ["pg:reset", ..] => reset("heroku pg:reset deletes every table of the database"),
        ["pg:backups:delete", ..] => Some((
            Rule::DeleteBackups,
            "heroku pg:backups:delete deletes a backup".to_string(),
        )),
        ["pg:backups:restore" | "pg:copy", ..] => {
            hosted("heroku overwrites the live database with another one")
        }
        ["addons:destroy" | "addons:remove" | "apps:destroy" | "apps:delete", ..] => {
            hosted("heroku deletes an add-on or app, its database included")
        }
        ["pg:killall" | "pg:kill", ..] => Some((
            Rule::TerminateSession,
            "heroku ends database sessions".to_string(),
        )),
        ["pg:psql", ..] => return psql(w, inv, scope, &args),
        ["run" | "run:detached", ..] => {
            let words = inv
                .args()
                .iter()
                .skip_while(|a| !a.text.starts_with("run"))
                .skip(1);
            let words: Vec<_> = words.filter(|a| a.text != "--").cloned().collect();
            let command = match super::super::super::opts::read(&words, &SPEC, true) {
                (_, Some(start)) => words[start..].to_vec(),
                _ => Vec::new(),
            };
            return run_elsewhere(w, inv, command, "a Heroku dyno", scope);
        }
        _ => None,
    };
    report(w, inv, &args, judged);
}

/// `heroku pg:psql [-c SQL | -f FILE | < input]`.
fn psql(w: &mut Walker, inv: &Invocation, scope: &Scope, args: &Args) {
    if let Some(sql) = args.value(&["-c", "--command"]) {
        return sql_argument(w, inv, Some(sql), "heroku pg:psql -c");
    }
    let text = match args.value(&["-f", "--file"]) {
        Some(file) => w.read_file(file, scope).map(|(t, _)| t),
        None => match w.read_input(&inv.stdin, scope) {
            InputText::Interactive => return sql_argument(w, inv, None, "heroku pg:psql"),
            InputText::Text(text, _) => Ok(text),
            InputText::Unreadable(why) => Err(why),
        },
    };
    match text {
        Ok(sql) => w.nested_sql(&sql, Some("heroku pg:psql".to_string())),
        Err(why) => w.add(
            Rule::SqlUnreadable,
            format!("heroku pg:psql runs SQL that cannot be read: {why}"),
            &inv.text,
        ),
    }
}
