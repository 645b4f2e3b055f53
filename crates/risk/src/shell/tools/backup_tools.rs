//! Backup and archive tools that delete: pgBackRest (`stanza-delete`,
//! `expire` of a named set or with retention 0, `restore --delta` over a
//! live data folder), WAL-G (`delete … --confirm`; without it, a dry run), Barman (`delete`), restic (`forget`
//! of a snapshot), borg (`delete`), and `pg_archivecleanup`, which removes
//! archived WAL. Backups, listings and checks stay low.

use super::super::walk::{Invocation, Walker};
use crate::rules::Rule;

const NAMES: &[&str] = &[
    "pgbackrest",
    "wal-g",
    "walg",
    "barman",
    "pg_archivecleanup",
    "restic",
    "borg",
];

/// Whether `name` is one of these tools.
pub fn handles(name: &str) -> bool {
    NAMES.contains(&name)
}

/// Classifies a backup tool's command.
pub fn classify(w: &mut Walker, name: &str, inv: &Invocation) {
    let words: Vec<&str> = inv.args().iter().map(|a| a.text.as_str()).collect();
    let operands = inv.plain_words();
    let flag = |f: &str| words.iter().any(|a| *a == f || a.starts_with(&format!("{f}=")));
    let zero_retention = words
        .iter()
        .any(|a| a.contains("retention") && (a.ends_with("=0") || a.ends_with("=1")));
    let message = match (name, operands.as_slice()) {
        ("pgbackrest", [.., "stanza-delete"]) | ("pgbackrest", ["stanza-delete", ..]) => {
            Some("pgbackrest stanza-delete deletes every backup and archived WAL of the stanza")
        }
        ("pgbackrest", cmd) if cmd.contains(&"expire") && (flag("--set") || zero_retention) => {
            Some("pgbackrest expire deletes backups that may be the last full one")
        }
        ("pgbackrest", cmd) if cmd.contains(&"restore") && (flag("--delta") || flag("--force")) => {
            Some("pgbackrest restore --delta overwrites a data folder in place")
        }
        ("wal-g" | "walg", ["delete", ..]) if flag("--confirm") => {
            Some("wal-g delete removes backups and archived WAL")
        }
        ("barman", ["delete", ..]) => Some("barman delete removes a backup"),
        ("pg_archivecleanup", _) if !flag("-n") => Some("pg_archivecleanup deletes archived WAL files"),
        ("restic", ["forget", ..]) if !flag("--dry-run") && !flag("-n") => {
            Some("restic forget removes snapshots")
        }
        ("borg", ["delete", ..]) if !flag("--dry-run") && !flag("-n") => {
            Some("borg delete removes archives or a whole repository")
        }
        _ => None,
    };
    if let Some(message) = message {
        w.add(Rule::BackupToolDelete, message, &inv.text);
    }
}
