//! Programs a build tool compiles from the project and runs (`go run
//! ./cmd/reset-db`, `cargo run --bin seed`, `dotnet run --project
//! tools/Migrate`, `swift run wipe`) and go-task's `task NAME`. dbguard reads
//! neither compiled sources nor Taskfiles, so one whose name (or an
//! argument) says it works on the database fails closed as an unresolved
//! script, medium risk; the others (`go run ./cmd/server`) are low.

use super::super::walk::{Invocation, Scope, Walker};
use super::sounds_like_database;
use crate::rules::Rule;

/// Build tools whose `run` subcommand runs a program of the project
/// (`dotnet` comes through Entity Framework's module).
const BUILDERS: &[&str] = &["go", "cargo", "swift"];

/// go-task's names.
const TASK_RUNNERS: &[&str] = &["task", "go-task"];

/// Whether `name` is a program of this module.
pub fn handles(name: &str) -> bool {
    BUILDERS.contains(&name) || TASK_RUNNERS.contains(&name)
}

/// Classifies what `name` builds and runs; a database tool named among its
/// arguments (`cargo sqlx database drop`) is classified as for any program.
pub fn classify(w: &mut Walker, name: &str, inv: &Invocation, scope: &Scope) {
    super::nested::unknown(w, name, inv, scope);
    let args = inv.args();
    let (what, named) = if TASK_RUNNERS.contains(&name) {
        ("task", args)
    } else {
        match args.split_first() {
            Some((sub, rest)) if sub.text == "run" => ("program", rest),
            _ => return,
        }
    };
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
