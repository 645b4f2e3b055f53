//! `.gitignore`: dbguard's state (the local server's data and passwords)
//! and the backups folder (all the data) must never be committed.

use std::path::{Component, Path};

use crate::{read, Change, Error};

/// The lines to add, when the project's ignore file has none like them.
pub fn change(dir: &Path, backup_dir: &Path) -> Result<Option<Change>, Error> {
    let path = dir.join(".gitignore");
    let before = read(&path)?;
    let text = before.clone().unwrap_or_default();
    let mut wanted = vec![".dbguard/".to_string()];
    // A backups folder outside the project is not the project's to ignore.
    let inside = backup_dir.components().all(|c| matches!(c, Component::Normal(_)));
    if inside {
        wanted.push(format!("/{}/", backup_dir.display()));
    }
    let missing: Vec<&String> = wanted.iter().filter(|w| !ignored(&text, w)).collect();
    if missing.is_empty() {
        return Ok(None);
    }
    let mut after = text.clone();
    if !after.is_empty() && !after.ends_with('\n') {
        after.push('\n');
    }
    if !after.is_empty() {
        after.push('\n');
    }
    after.push_str("# dbguard: the local server's data and passwords, and the backups\n");
    for line in &missing {
        after.push_str(line);
        after.push('\n');
    }
    Ok(Some(Change {
        path,
        before,
        after,
        summary: format!(
            "ignore {}",
            missing
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(" and ")
        ),
    }))
}

/// Whether `text` has a line ignoring `entry` (`/x/`, `x/`, `/x` or `x`).
fn ignored(text: &str, entry: &str) -> bool {
    let bare = entry.trim_matches('/');
    text.lines()
        .map(str::trim)
        .any(|line| line.trim_matches('/') == bare && !line.starts_with('!'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adds_what_is_missing_and_recognises_other_spellings() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(".gitignore"), "node_modules\n.dbguard\n").unwrap();
        let change = change(dir.path(), Path::new("backups")).unwrap().unwrap();
        assert_eq!(
            change.after,
            "node_modules\n.dbguard\n\n# dbguard: the local server's data and passwords, and the backups\n/backups/\n"
        );
        change.apply().unwrap();
        assert!(super::change(dir.path(), Path::new("backups")).unwrap().is_none());
        assert!(super::change(dir.path(), Path::new("/var/backups"))
            .unwrap()
            .is_none());
    }
}
