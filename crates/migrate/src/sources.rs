//! Which migrations a database runs: the project's own and, when the
//! database uses it, a schema shipped inside dbguard (its farm schema). Both
//! share one history, so a built-in migration applied before the project
//! had a migrations folder stays listed (and is never "missing from disk").

use crate::history::Row;
use crate::layout::{Migration, Source};

/// The migrations of a database: `project` (from its folder) and, when
/// `builtin_by_default` or when the history names one of them (not rolled
/// back), every migration of `builtin`. A project migration of the same
/// name as a built-in one wins (a copy in the folder is the project's).
/// In name (time) order, as Prisma applies them.
pub fn combine(
    project: Vec<Migration>,
    builtin: Vec<Migration>,
    rows: &[Row],
    builtin_by_default: bool,
) -> Vec<Migration> {
    let in_history = |m: &Migration| {
        rows.iter()
            .any(|r| r.rolled_back_at.is_none() && r.migration_name == m.name)
    };
    let mut all = project;
    if builtin_by_default || builtin.iter().any(in_history) {
        let extra: Vec<Migration> = builtin
            .into_iter()
            .filter(|b| !all.iter().any(|p| p.name == b.name))
            .collect();
        all.extend(extra);
    }
    all.sort_by(|a, b| a.name.cmp(&b.name));
    all
}

/// Whether any of `migrations` is built into dbguard.
pub fn uses_builtin(migrations: &[Migration]) -> bool {
    migrations.iter().any(|m| m.source == Source::Builtin)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(name: &str, rolled_back: bool) -> Row {
        Row {
            id: name.to_string(),
            checksum: String::new(),
            finished_at: Some(chrono::Utc::now()),
            migration_name: name.to_string(),
            logs: None,
            rolled_back_at: rolled_back.then(chrono::Utc::now),
            started_at: chrono::Utc::now(),
            applied_steps_count: 1,
        }
    }

    fn project(name: &str) -> Migration {
        Migration {
            source: Source::Project,
            ..Migration::from_text(name, "SELECT 1")
        }
    }

    #[test]
    fn the_builtin_schema_joins_only_when_the_history_names_it_or_by_default() {
        let builtin = || vec![Migration::from_text("2_farm", "SELECT 2")];
        let names = |all: Vec<Migration>| all.into_iter().map(|m| m.name).collect::<Vec<_>>();
        assert_eq!(
            names(combine(vec![project("3_own")], builtin(), &[], false)),
            ["3_own"]
        );
        assert_eq!(
            names(combine(
                vec![project("3_own")],
                builtin(),
                &[row("2_farm", true)],
                false
            )),
            ["3_own"],
            "a rolled-back row does not count"
        );
        let both = combine(vec![project("1_own")], builtin(), &[row("2_farm", false)], false);
        assert_eq!(names(both.clone()), ["1_own", "2_farm"]);
        assert!(uses_builtin(&both));
        assert_eq!(names(combine(Vec::new(), builtin(), &[], true)), ["2_farm"]);
        let copied = combine(vec![project("2_farm")], builtin(), &[row("2_farm", false)], false);
        assert_eq!(copied.len(), 1);
        assert!(!uses_builtin(&copied), "the folder's copy is the project's");
    }
}
