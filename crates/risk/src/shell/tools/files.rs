//! Deleting files: backups (the last line of defence) and PostgreSQL data
//! folders are high risk; a recursive delete of a path known only at run
//! time is medium.

use super::super::ast::Word;
use super::super::walk::{Invocation, Walker};
use crate::rules::Rule;

/// File endings of dumps and compressed SQL.
const BACKUP_ENDINGS: &[&str] = &[
    ".dump",
    ".backup",
    ".pgdump",
    ".sql.gz",
    ".sql.zst",
    ".sql.bz2",
    ".sql.xz",
    ".dump.zst",
    ".dump.gz",
    ".tar.zst",
];

/// Path components of PostgreSQL data folders.
const DATA_COMPONENTS: &[&str] = &["pgdata", "pg_data", "postgres", "pg_wal", "pg_xlog", ".dbguard"];

/// What a path is, as far as deleting it goes.
#[derive(Debug, PartialEq, Eq)]
enum Target {
    Backup,
    DatabaseFiles,
    Unseen,
    Other,
}

fn target(word: &Word) -> Target {
    let lower = word.text.to_lowercase();
    let components: Vec<&str> = lower.split('/').filter(|c| !c.is_empty()).collect();
    let name = components.last().copied().unwrap_or_default();
    if components.iter().any(|c| c.contains("backup")) || BACKUP_ENDINGS.iter().any(|e| name.ends_with(e)) {
        return Target::Backup;
    }
    if components
        .iter()
        .any(|c| DATA_COMPONENTS.iter().any(|d| c.contains(d)))
    {
        return Target::DatabaseFiles;
    }
    let broad = matches!(
        lower.trim_end_matches('/'),
        "" | "." | ".." | "~" | "*" | "./*" | "~/*" | ".*"
    );
    if word.dynamic || broad || (word.glob && components.len() <= 1) {
        return Target::Unseen;
    }
    Target::Other
}

/// Classifies file-deleting commands.
pub fn classify(w: &mut Walker, name: &str, inv: &Invocation) {
    let args = inv.args();
    match name {
        "rm" | "shred" | "unlink" | "truncate" => {
            let recursive = args.iter().any(|a| {
                a.text == "--recursive"
                    || (a.text.starts_with('-') && !a.text.starts_with("--") && a.text.contains(['r', 'R']))
            });
            let mut options_done = false;
            for arg in args {
                if arg.text == "--" {
                    options_done = true;
                    continue;
                }
                if !options_done && arg.text.starts_with('-') {
                    continue;
                }
                report(w, name, arg, recursive, inv);
            }
        }
        "find" => find(w, inv),
        "git" => {
            let words: Vec<&str> = args.iter().map(|a| a.text.as_str()).collect();
            if words.first() == Some(&"clean")
                && words.iter().any(|a| {
                    a.starts_with('-') && !a.starts_with("--") && (a.contains('x') || a.contains('X'))
                })
            {
                w.add(
                    Rule::DeleteUnseenFiles,
                    "git clean -x deletes ignored files, and backups and local database files are usually ignored",
                    &inv.text,
                );
            }
        }
        _ => {}
    }
}

fn report(w: &mut Walker, program: &str, path: &Word, recursive: bool, inv: &Invocation) {
    match target(path) {
        Target::Backup => w.add(
            Rule::DeleteBackups,
            format!("{program} deletes backups ({})", path.text),
            &inv.text,
        ),
        Target::DatabaseFiles => w.add(
            Rule::DeleteDatabaseFiles,
            format!("{program} deletes PostgreSQL data files ({})", path.text),
            &inv.text,
        ),
        Target::Unseen if recursive => w.add(
            Rule::DeleteUnseenFiles,
            format!(
                "{program} -r deletes `{}`, which is only known at run time",
                path.text
            ),
            &inv.text,
        ),
        Target::Unseen | Target::Other => {}
    }
}

/// `find PATHS… EXPRESSION` that deletes (`-delete`, `-exec rm`).
fn find(w: &mut Walker, inv: &Invocation) {
    let args = inv.args();
    let deletes = args.iter().enumerate().any(|(i, a)| {
        a.text == "-delete"
            || (matches!(a.text.as_str(), "-exec" | "-execdir" | "-ok" | "-okdir")
                && args
                    .get(i + 1)
                    .is_some_and(|c| matches!(c.text.rsplit('/').next(), Some("rm" | "shred" | "unlink"))))
    });
    if !deletes {
        return;
    }
    let paths = args
        .iter()
        .take_while(|a| !a.text.starts_with('-') && a.text != "(" && a.text != "!");
    let patterns = args
        .windows(2)
        .filter(|p| {
            matches!(
                p[0].text.as_str(),
                "-name" | "-iname" | "-path" | "-ipath" | "-wholename" | "-regex"
            )
        })
        .map(|p| &p[1]);
    for word in paths.chain(patterns) {
        report(w, "find", word, true, inv);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets() {
        assert_eq!(target(&Word::literal("backups/")), Target::Backup);
        assert_eq!(
            target(&Word::literal("backups/backup_mydb_20241201_101500.sql.gz")),
            Target::Backup
        );
        assert_eq!(target(&Word::literal("/srv/farm.dump")), Target::Backup);
        assert_eq!(
            target(&Word::literal("/var/lib/postgresql/15/main")),
            Target::DatabaseFiles
        );
        assert_eq!(target(&Word::literal(".dbguard")), Target::DatabaseFiles);
        assert_eq!(target(&Word::literal("target")), Target::Other);
        assert_eq!(target(&Word::literal("node_modules/.cache")), Target::Other);
        assert_eq!(target(&Word::literal("*")), Target::Unseen);
    }
}
