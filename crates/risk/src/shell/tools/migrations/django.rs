//! Django (`manage.py`, `django-admin`, `python -m django`): `flush`,
//! `reset_db` and `migrate APP zero` delete data (high); `migrate` changes
//! the schema (medium); `dbshell` runs the SQL fed to it (classified; a
//! pipe from `sqlflush` is a flush); `shell -c CODE` and `shell` fed code
//! run Python, which is read. `sqlflush` alone only prints SQL.

use super::super::super::ast::Word;
use super::super::super::opts::Spec;
use super::super::super::walk::{InputText, Invocation, Scope, Walker};
use super::{change, report, reset, Args};
use crate::rules::Rule;

/// Program names.
pub const NAMES: &[&str] = &["django-admin", "manage.py", "django"];

const SPEC: Spec = Spec {
    short_values: "cv",
    long_values: &["settings", "pythonpath", "database", "command", "verbosity"],
};

/// Classifies a command of this tool.
pub fn classify(w: &mut Walker, inv: &Invocation, scope: &Scope) {
    let args = Args::read(inv, &SPEC);
    let ops = args.ops();
    let judged = match ops.as_slice() {
        ["flush" | "reset_db" | "reset_schema" | "drop_test_database", ..] => {
            reset("Django deletes every row of every table")
        }
        ["migrate", _, "zero", ..] => {
            reset("Django unapplies every migration of the app, dropping its tables")
        }
        ["migrate", ..] => change("Django applies or unapplies migrations"),
        ["dbshell", ..] => return dbshell(w, inv, scope),
        ["shell" | "shell_plus", ..] => {
            if let Some(code) = args.value(&["-c", "--command"]) {
                return super::super::code::python(w, code, inv, scope);
            }
            if let InputText::Text(code, _) = w.read_input(&inv.stdin, scope) {
                return super::super::code::python(w, &Word::literal(code), inv, scope);
            }
            None
        }
        _ => None,
    };
    report(w, inv, &args, judged);
}

fn dbshell(w: &mut Walker, inv: &Invocation, scope: &Scope) {
    // `dbshell -- -c SQL` hands the rest to psql.
    if let Some(dash) = inv.args().iter().position(|a| a.text == "--") {
        let mut words = vec![Word::literal("psql")];
        words.extend(inv.args()[dash + 1..].iter().cloned());
        let psql = inv.with_words(words);
        if psql
            .args()
            .iter()
            .any(|a| a.text.starts_with("-c") || a.text.starts_with("--command") || a.text.starts_with("-f"))
        {
            return w.invocation(&psql, scope);
        }
    }
    match w.read_input(&inv.stdin, scope) {
        InputText::Interactive => w.add(
            Rule::InteractiveSession,
            "Django's dbshell opens an interactive session",
            &inv.text,
        ),
        InputText::Text(sql, origin) => w.nested_sql(&sql, Some(format!("dbshell reading {origin}"))),
        InputText::Unreadable(why) if why.contains("sqlflush") => w.add(
            Rule::FrameworkReset,
            "sqlflush piped into dbshell deletes every row of every table",
            &inv.text,
        ),
        InputText::Unreadable(why) => w.add(
            Rule::SqlUnreadable,
            format!("dbshell reads SQL that cannot be read: {why}"),
            &inv.text,
        ),
    }
}
