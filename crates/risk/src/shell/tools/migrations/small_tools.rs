//! Migration tools with a few commands each: kysely-ctl (`migrate:rollback
//! --all`), yoyo (`rollback --all`), Piccolo (`migrations backwards all`),
//! tern (`migrate --destination 0`), sql-migrate (`down -limit=0`), soda and
//! buffalo pop (`reset`, `drop`), node-pg-migrate (`down`), aerich
//! (`downgrade`) and dbt (`--full-refresh` rebuilds tables from nothing).
//! Undoing every migration or dropping is high; running migrations
//! forward or back is medium.

use super::super::super::walk::{Invocation, Scope, Walker};
use super::{change, report, reset, Args, Judged, NO_VALUES};

/// Program names.
pub const NAMES: &[&str] = &[
    "kysely",
    "yoyo",
    "piccolo",
    "tern",
    "sql-migrate",
    "soda",
    "buffalo",
    "node-pg-migrate",
    "aerich",
    "dbt",
];

/// Classifies a command of this tool.
pub fn classify(w: &mut Walker, inv: &Invocation, _scope: &Scope) {
    let name = super::super::program_name(&inv.words[0].text);
    let args = Args::read(inv, &NO_VALUES);
    let words: Vec<&str> = inv.args().iter().map(|a| a.text.as_str()).collect();
    let flag = |f: &str| words.iter().any(|a| *a == f || a.starts_with(&format!("{f}=")));
    let value = |f: &str| {
        words
            .iter()
            .enumerate()
            .find_map(|(i, a)| match a.strip_prefix(&format!("{f}=")) {
                Some(v) => Some(v),
                None if *a == f => words.get(i + 1).copied(),
                None => None,
            })
    };
    let ops = args.ops();
    let ops: Vec<&str> = match (name.as_str(), ops.as_slice()) {
        // `buffalo pop reset` is soda's `reset`.
        ("buffalo", ["pop" | "db", rest @ ..]) => rest.to_vec(),
        _ => ops,
    };
    let judged: Judged = match (name.as_str(), ops.as_slice()) {
        ("kysely", ["migrate:rollback" | "migrate:down", ..])
        | ("kysely", ["migrate", "rollback" | "down", ..])
            if flag("--all") =>
        {
            reset("kysely rollback --all undoes every migration")
        }
        ("yoyo", ["rollback" | "rollback-one", ..]) if flag("--all") => {
            reset("yoyo rollback --all undoes every migration")
        }
        ("piccolo", ["migrations", "backwards", _, target, ..])
        | ("piccolo", ["migrations", "backwards", target])
            if *target == "all" =>
        {
            reset("piccolo migrations backwards all undoes every migration")
        }
        ("tern", ["migrate", ..]) if value("--destination").or(value("-d")) == Some("0") => {
            reset("tern migrate --destination 0 undoes every migration")
        }
        ("sql-migrate", ["down", ..]) if value("-limit") == Some("0") => {
            reset("sql-migrate down -limit=0 undoes every migration")
        }
        ("soda" | "buffalo", ["reset" | "drop", ..]) => reset(format!("{name} drops the database")),
        ("dbt", ["run" | "build" | "seed", ..]) if flag("--full-refresh") => {
            reset("dbt --full-refresh drops and rebuilds tables from nothing")
        }
        ("kysely", [m, ..]) if m.starts_with("migrate") => change("kysely runs migrations"),
        ("yoyo", ["apply" | "rollback" | "reapply" | "rollback-one", ..])
        | ("piccolo", ["migrations", "forwards" | "backwards", ..])
        | ("tern", ["migrate", ..])
        | ("sql-migrate", ["up" | "down" | "redo", ..])
        | ("soda" | "buffalo", ["migrate", ..])
        | ("node-pg-migrate", ["up" | "down" | "redo", ..])
        | ("aerich", ["upgrade" | "downgrade", ..])
        | ("dbt", ["run" | "build" | "seed" | "snapshot", ..]) => {
            change(format!("{name} changes the schema or its data"))
        }
        _ => None,
    };
    report(w, inv, &args, judged);
}
