//! What a path on a command line is, for the rules that delete, overwrite
//! or move files: a backup, PostgreSQL's data files, something only known
//! at run time, or anything else.

use super::super::ast::Word;

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
    ".bak",
];

/// Endings of files that hold a dump when they sit among backups.
const ARCHIVE_ENDINGS: &[&str] = &[
    ".sql", ".gz", ".zst", ".tar", ".xz", ".bz2", ".lz4", ".tgz", ".age", ".gpg", ".enc",
];

/// Endings of source files, which are never backups by their name alone.
const SOURCE_ENDINGS: &[&str] = &[
    ".ts", ".tsx", ".js", ".mjs", ".cjs", ".jsx", ".py", ".rb", ".go", ".rs", ".java", ".kt", ".php", ".sh",
    ".md",
];

/// Path components of backup repositories and WAL archives.
const BACKUP_COMPONENTS: &[&str] = &[
    "pgbackrest",
    "barman",
    "wal_archive",
    "wal-archive",
    "walarchive",
    "wal-g",
    "walg",
    "archive_wal",
];

/// Path components of PostgreSQL data folders.
const DATA_COMPONENTS: &[&str] = &["pgdata", "pg_data", "postgres", "pg_wal", "pg_xlog", ".dbguard"];

/// What a path is, as far as destroying it goes.
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
pub enum Target {
    /// A backup file or folder.
    Backup,
    /// PostgreSQL data files (or dbguard's local server).
    DatabaseFiles,
    /// Broad, or only known at run time.
    Unseen,
    /// Anything else.
    Other,
}

/// Classifies a path.
pub fn target(word: &Word) -> Target {
    let lower = word.text.to_lowercase();
    let components: Vec<&str> = lower.split('/').filter(|c| !c.is_empty()).collect();
    let name = components.last().copied().unwrap_or_default();
    // A source file named for backups (`src/backups.ts`,
    // `scripts/backup-database.sh`) is code, not a backup.
    let source_file = SOURCE_ENDINGS.iter().any(|e| name.ends_with(e));
    let folders = &components[..components.len().saturating_sub(usize::from(source_file))];
    if folders
        .iter()
        .any(|c| c.contains("backup") || holds_dumps(c) || BACKUP_COMPONENTS.contains(c))
        || BACKUP_ENDINGS.iter().any(|e| name.ends_with(e))
    {
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

/// A folder or bucket named for dumps or snapshots (`db-dumps`,
/// `pg-snapshots`, `dump`); not a file named `dump.ts`.
fn holds_dumps(component: &str) -> bool {
    component == "dump" || component.contains("dumps") || component.contains("snapshots")
}

/// Whether the path names a dump itself (not a folder of them, not a report
/// kept beside them): what overwriting destroys.
pub fn is_dump_file(word: &Word) -> bool {
    let lower = word.text.to_lowercase();
    if lower.ends_with('/') {
        return false;
    }
    let name = lower.rsplit('/').next().unwrap_or_default();
    if BACKUP_ENDINGS.iter().any(|e| name.ends_with(e)) {
        return true;
    }
    let among_backups = lower.contains("backup") || name.contains("dump");
    among_backups && ARCHIVE_ENDINGS.iter().any(|e| name.ends_with(e))
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

    #[test]
    fn dump_files() {
        assert!(is_dump_file(&Word::literal("backups/farm.sql.gz")));
        assert!(is_dump_file(&Word::literal("/srv/x/farm.dump")));
        assert!(is_dump_file(&Word::literal("backups/2024/farm.sql")));
        assert!(!is_dump_file(&Word::literal("backups/report.csv")));
        assert!(!is_dump_file(&Word::literal("backups/")));
        assert!(!is_dump_file(&Word::literal("notes.sql")));
    }
}
