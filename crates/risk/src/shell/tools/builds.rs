//! Programs a build tool compiles from the project and runs (`go run
//! ./cmd/reset-db`, `cargo run --bin seed`, `dotnet run --project
//! tools/Migrate`, `swift run wipe`, `bazel run //db:reset`) and the tasks
//! of task runners whose files dbguard does not read (go-task, invoke,
//! poe, grunt, gulp, mise, earthly, `deno task`, `composer run-script`,
//! Ansible playbooks).
//! One whose name (or an argument) says it works on the database fails
//! closed as an unresolved script, medium risk; the others (`go run
//! ./cmd/server`) are low.

use super::super::ast::Word;
use super::super::walk::{Invocation, Scope, Walker};
use super::{program_name, sounds_like_database};
use crate::rules::Rule;

/// Build tools whose `run` subcommand runs a program of the project
/// (`dotnet` comes through Entity Framework's module).
const BUILDERS: &[&str] = &["go", "cargo", "swift", "bazel", "bazelisk"];

/// Task runners whose task files dbguard does not read.
const TASK_RUNNERS: &[&str] = &[
    "task",
    "go-task",
    "invoke",
    "inv",
    "poe",
    "grunt",
    "gulp",
    "mise",
    "earthly",
    "composer",
    "ansible-playbook",
];

/// Whether `name` is a program of this module.
pub fn handles(name: &str) -> bool {
    BUILDERS.contains(&name) || TASK_RUNNERS.contains(&name) || name == "java"
}

/// `java [options] -jar FILE.jar ARGS…`: a tool's own jar
/// (`liquibase-4.25.jar`, `flyway-commandline.jar`) is that tool; any
/// other is a program dbguard does not read.
fn java(w: &mut Walker, inv: &Invocation, scope: &Scope) {
    let args = inv.args();
    let Some(jar) = args
        .iter()
        .position(|a| a.text == "-jar")
        .and_then(|i| args.get(i + 1).map(|_| i + 1))
    else {
        return;
    };
    let file = program_name(&args[jar].text);
    let tool = file
        .trim_end_matches(".jar")
        .split('-')
        .next()
        .unwrap_or_default()
        .to_string();
    if !tool.is_empty() && super::is_known(&tool) {
        let mut words = vec![Word::literal(tool)];
        words.extend(args[jar + 1..].iter().cloned());
        return w.invocation(&inv.with_words(words), scope);
    }
    // The jar's arguments only known at run time (a launcher's `"$@"`) say
    // nothing about it; a jar only known at run time is unknown.
    let named: Vec<Word> = std::iter::once(args[jar].clone())
        .chain(args[jar + 1..].iter().filter(|a| !a.dynamic).cloned())
        .collect();
    unread(w, "java", "program", &named, inv);
}

/// Classifies what `name` builds and runs; a database tool named among its
/// arguments (`cargo sqlx database drop`) is classified as for any program.
pub fn classify(w: &mut Walker, name: &str, inv: &Invocation, scope: &Scope) {
    if name == "java" {
        return java(w, inv, scope);
    }
    super::nested::unknown(w, name, inv, scope);
    let args = inv.args();
    let (what, named) = if name == "composer" {
        // Composer's other commands name packages (`composer require doctrine/dbal`).
        match args.split_first() {
            Some((sub, rest)) if sub.text == "run-script" || sub.text == "run" => ("script", rest),
            _ => return,
        }
    } else if TASK_RUNNERS.contains(&name) {
        ("task", args)
    } else {
        match args.split_first() {
            Some((sub, rest)) if sub.text == "run" => ("program", rest),
            _ => return,
        }
    };
    unread(w, name, what, named, inv);
}

/// A program or task dbguard does not read: medium when a word of it
/// (`named`) says it works on the database or is only known at run time.
pub(super) fn unread(w: &mut Walker, name: &str, what: &str, named: &[Word], inv: &Invocation) {
    if let Some(word) = named.iter().find(|a| a.dynamic || sounds_like_database(&a.text)) {
        w.add(
            Rule::ScriptUnresolved,
            format!(
                "`{name}` runs a {what} dbguard does not read, and `{}` says it works on the database",
                word.text
            ),
            &inv.text,
        );
    }
}
