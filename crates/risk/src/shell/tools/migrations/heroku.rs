//! The Heroku CLI: `pg:reset` deletes every table, `pg:backups:delete`
//! deletes a backup, `pg:backups:restore` and `pg:copy` overwrite a live
//! database, `addons:destroy` and `apps:destroy` delete them (high);
//! `pg:psql` runs the SQL it is given (classified); `run CMD` runs on a
//! dyno, another machine whose files are not these.

use super::super::super::ast::Word;
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
        // `heroku local:run CMD`: here, with the app's environment.
        ["local:run", ..] => {
            let start = inv
                .args()
                .iter()
                .position(|a| a.text == "local:run")
                .map_or(0, |i| i + 1);
            let mut words: Vec<Word> = inv.args()[start..].to_vec();
            while words.first().is_some_and(|a| a.text.starts_with('-')) {
                let takes_value = matches!(words[0].text.as_str(), "-e" | "--env" | "-p" | "--port");
                words.drain(..if takes_value { 2 } else { 1 }.min(words.len()));
            }
            if !words.is_empty() {
                w.invocation(&inv.with_words(words), scope);
            }
            return;
        }
        ["run" | "run:detached", ..] => {
            let command = dyno_command(inv);
            return run_elsewhere(w, inv, command, "a Heroku dyno", scope);
        }
        _ => None,
    };
    report(w, inv, &args, judged);
}

/// The command of `heroku run`: its words without the CLI's own options,
/// which may come anywhere before `--`.
fn dyno_command(inv: &Invocation) -> Vec<Word> {
    let args = inv.args();
    let start = args
        .iter()
        .position(|a| a.text.starts_with("run"))
        .map_or(args.len(), |i| i + 1);
    let mut words = Vec::new();
    let mut i = start;
    while i < args.len() {
        let text = args[i].text.as_str();
        if text == "--" {
            words.extend(args[i + 1..].iter().cloned());
            break;
        }
        if matches!(
            text,
            "-a" | "--app" | "-r" | "--remote" | "-s" | "--size" | "-e" | "--env" | "--type"
        ) {
            i += 2;
            continue;
        }
        if text.starts_with("--")
            && (text.contains('=') || matches!(text, "--no-tty" | "--exit-code" | "--no-notify"))
            || text == "-x"
        {
            i += 1;
            continue;
        }
        words.push(args[i].clone());
        i += 1;
    }
    words
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
