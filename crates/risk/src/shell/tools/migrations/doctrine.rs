//! Doctrine through Symfony's console (`bin/console`, `php bin/console`) and
//! its own CLIs (`vendor/bin/doctrine`, `doctrine-migrations`):
//! `doctrine:schema:drop`, `doctrine:database:drop`, `orm:schema-tool:drop`,
//! `doctrine:fixtures:load` (which purges every table first, unless
//! `--append`), `schema:update --complete` (which drops what the mapping
//! lacks) and `migrations:migrate first` are high; other migrations and
//! schema updates are medium; `--dump-sql` only prints. Symfony's
//! abbreviations (`d:s:d`) are read as the commands they stand for.

use super::super::super::opts::Spec;
use super::super::super::walk::{Invocation, Scope, Walker};
use super::{change, report, reset, Args, Judged};

/// Program names.
pub const NAMES: &[&str] = &["console", "doctrine", "doctrine-migrations"];

const SPEC: Spec = Spec {
    short_values: "e",
    long_values: &[
        "env",
        "em",
        "connection",
        "configuration",
        "db-configuration",
        "group",
    ],
};

/// Classifies a command of this tool.
pub fn classify(w: &mut Walker, inv: &Invocation, _scope: &Scope) {
    let args = Args::read(inv, &SPEC);
    if args.has(&["--dump-sql", "--dry-run"]) {
        return;
    }
    let ops = args.ops();
    let Some(command) = ops.first() else { return };
    // `doctrine-migrations migrate`, `doctrine orm:schema-tool:drop`: the
    // same commands without their namespaces.
    let is = |full: &str| {
        let parts: Vec<&str> = full.split(':').collect();
        (0..parts.len()).any(|i| abbreviates(command, &parts[i..].join(":")))
    };
    let target = ops.get(1).copied();
    let judged: Judged = if is("doctrine:schema:drop") || is("orm:schema-tool:drop") {
        reset(format!("{command} drops the tables of the mapping"))
    } else if is("doctrine:database:drop") {
        reset(format!("{command} drops the database"))
    } else if is("doctrine:fixtures:load") && !args.has(&["--append"]) {
        reset(format!("{command} purges every table before loading fixtures"))
    } else if (is("doctrine:schema:update") || is("orm:schema-tool:update")) && args.has(&["--complete"]) {
        reset(format!("{command} --complete drops the tables the mapping lacks"))
    } else if is("doctrine:migrations:migrate") && target == Some("first") {
        reset(format!("{command} first undoes every migration"))
    } else if is("doctrine:migrations:migrate")
        || is("doctrine:migrations:execute")
        || is("doctrine:migrations:rollup")
        || is("doctrine:schema:update")
        || is("orm:schema-tool:update")
        || is("orm:schema-tool:create")
        || is("doctrine:schema:create")
    {
        change(format!("{command} changes the schema"))
    } else {
        None
    };
    report(w, inv, &args, judged);
}

/// Whether `given` is `full` or Symfony's abbreviation of it: each
/// `:`-separated part a prefix of the full one (`d:s:d`).
fn abbreviates(given: &str, full: &str) -> bool {
    let given: Vec<&str> = given.split(':').collect();
    let full: Vec<&str> = full.split(':').collect();
    given.len() == full.len()
        && given
            .iter()
            .zip(&full)
            .all(|(g, f)| !g.is_empty() && f.starts_with(g))
}
