//! Rails and rake: `db:drop`, `db:reset`, `db:purge`, `db:schema:load`,
//! `db:structure:load`, `db:migrate:reset`, `db:truncate_all`,
//! `db:seed:replant`, `db:fixtures:load` and `db:migrate VERSION=0` delete
//! or reload data (high); `db:migrate`, `db:rollback`, `db:seed`,
//! `db:setup`, `db:prepare` change it (medium); `runner CODE` and
//! `console` fed code run Ruby, which is read; `dbconsole` fed SQL runs it.

use super::super::super::opts::{read, Spec};
use super::super::super::walk::{InputText, Invocation, Scope, Walker};
use super::{change, report, reset, Args};
use crate::rules::Rule;

/// Program names.
pub const NAMES: &[&str] = &["rails", "rake"];

const SPEC: Spec = Spec {
    short_values: "eE",
    long_values: &["environment"],
};

/// Classifies a command of this tool.
pub fn classify(w: &mut Walker, inv: &Invocation, scope: &Scope) {
    let args = Args::read(inv, &SPEC);
    // rake's dry run (`-n`) and its task listings (`-T db`, `-D`, `-W`, `-P`) run no task.
    let lists_or_dry_runs = inv.args().iter().any(|a| {
        matches!(
            a.text.as_str(),
            "-n" | "--dry-run"
                | "-T"
                | "--tasks"
                | "-D"
                | "--describe"
                | "-W"
                | "--where"
                | "-P"
                | "--prereqs"
        )
    });
    if lists_or_dry_runs {
        return;
    }
    let ops = args.ops();
    let version_zero = ops.contains(&"VERSION=0");
    let mut judged = None;
    for task in &ops {
        judged = judged.or(match *task {
            "db:drop" | "db:drop:all" | "db:drop:_unsafe" | "db:reset" | "db:purge" | "db:purge:all"
            | "db:schema:load" | "db:structure:load" | "db:migrate:reset" | "db:truncate_all"
            | "db:seed:replant" | "db:fixtures:load" | "db:test:purge" => {
                reset(format!("rails {task} drops, empties or reloads the database"))
            }
            // Multiple databases: `db:drop:primary`, `db:reset:animals`.
            _ if [
                "db:drop:",
                "db:reset:",
                "db:purge:",
                "db:schema:load:",
                "db:truncate_all:",
            ]
            .iter()
            .any(|p| task.starts_with(p)) =>
            {
                reset(format!("rails {task} drops, empties or reloads a database"))
            }
            "db:migrate" | "db:migrate:down" if version_zero => {
                reset("rails db:migrate VERSION=0 undoes every migration")
            }
            "db:migrate" | "db:rollback" | "db:migrate:down" | "db:migrate:up" | "db:migrate:redo"
            | "db:seed" | "db:setup" | "db:prepare" => change("Rails changes the schema or its data"),
            _ => None,
        });
    }
    match ops.first().copied() {
        Some("runner" | "r") => {
            // `rails runner -e production CODE`: the code is the first operand.
            let after: Vec<_> = inv
                .args()
                .iter()
                .skip_while(|a| !matches!(a.text.as_str(), "runner" | "r"))
                .skip(1)
                .cloned()
                .collect();
            let spec = Spec {
                short_values: "e",
                long_values: &["environment"],
            };
            if let (_, Some(start)) = read(&after, &spec, true) {
                return super::super::code::ruby(w, &after[start], inv, scope);
            }
        }
        Some("console" | "c") => {
            if let InputText::Text(code, _) = w.read_input(&inv.stdin, scope) {
                return super::super::code::ruby(
                    w,
                    &super::super::super::ast::Word::literal(code),
                    inv,
                    scope,
                );
            }
        }
        Some("dbconsole" | "db") => match w.read_input(&inv.stdin, scope) {
            InputText::Text(sql, origin) => {
                return w.nested_sql(&sql, Some(format!("rails dbconsole reading {origin}")))
            }
            InputText::Unreadable(why) => {
                return w.add(
                    Rule::SqlUnreadable,
                    format!("rails dbconsole reads SQL that cannot be read: {why}"),
                    &inv.text,
                )
            }
            InputText::Interactive => {
                judged = Some((
                    Rule::InteractiveSession,
                    "rails dbconsole opens an interactive session".to_string(),
                ))
            }
        },
        _ => {}
    }
    report(w, inv, &args, judged);
}
