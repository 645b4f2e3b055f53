//! The files that make dbguard's protection, which no agent tool may write:
//! its state (`.dbguard/`: approvals, the audit log, pins), its policy
//! (`dbguard.toml`), the approver's folder, the agents' hook settings that
//! call dbguard, and dbguard's backups; and the files other programs run on
//! their own, where a command written today runs unseen later (psql's
//! `~/.psqlrc`, git hooks). Writing any of them is how an
//! approval would be forged, a log rewritten, a policy loosened, the hook
//! switched off, or the last good backup destroyed.

use std::path::{Component, Path, PathBuf};

/// Hook settings files of the agents dbguard is installed in, as path endings.
const HOOK_SETTINGS: &[&str] = &[
    ".claude/settings.json",
    ".claude/settings.local.json",
    ".cursor/hooks.json",
    ".gemini/settings.json",
    ".codex/hooks.json",
    ".codex/config.toml",
];

/// Shell start-up files: an alias or a PATH entry written there runs in
/// place of the program a person means.
const SHELL_START_UP: &[&str] = &[
    ".bashrc",
    ".bash_profile",
    ".bash_login",
    ".bash_aliases",
    ".profile",
    ".zshrc",
    ".zshenv",
    ".zprofile",
    ".zlogin",
    "config.fish",
    ".kshrc",
    ".envrc",
];

/// Why writing `path` (made absolute against `cwd`, `..` resolved, links
/// followed as far as they exist) would undo dbguard's protection, if it
/// would. `approver_dir` is the approver's folder, when known.
pub fn protected_path(path: &Path, cwd: &Path, approver_dir: Option<&Path>) -> Option<&'static str> {
    let full = resolve(&cwd.join(path));
    let text = full.to_string_lossy();
    let names = names(&full);
    if names.iter().any(|n| n == ".dbguard") {
        return Some("dbguard's own state (approvals, the audit log, the approver's pin)");
    }
    if names.last().is_some_and(|n| n == "dbguard.toml") {
        return Some("dbguard's policy file");
    }
    let in_approver_dir = approver_dir.is_some_and(|dir| full.starts_with(resolve(dir)))
        || names.windows(2).any(|w| w[0] == ".config" && w[1] == "dbguard");
    if in_approver_dir {
        return Some("the approver's folder (the sealed key and the copies of the audit log's head)");
    }
    if HOOK_SETTINGS.iter().any(|end| text.ends_with(end)) {
        return Some("an agent's hook settings, which call dbguard before every tool");
    }
    if names.last().is_some_and(|n| SHELL_START_UP.contains(&n.as_str())) {
        return Some("a shell start-up file, which can change what the commands a person types run (dbguard's among them)");
    }
    // A bare `dbguard` on a command line is the program being run, not a path.
    if names.last().is_some_and(|n| n == "dbguard") && path.components().count() > 1 {
        return Some("the dbguard program itself: a replaced one could read the approver's passphrase");
    }
    if names
        .last()
        .is_some_and(|n| n == ".psqlrc" || n.starts_with(".psqlrc-"))
    {
        return Some("psql's start-up file, which psql runs before every command");
    }
    if names
        .windows(3)
        .any(|w| w[0] == ".git" && w[1] == "hooks" && !w[2].ends_with(".sample"))
    {
        return Some("a git hook, which git runs on its own");
    }
    let in_backup = names
        .windows(2)
        .any(|w| w[0] == "backups" && (w[1].starts_with("backup_") || w[1].starts_with(".backup_")));
    if in_backup {
        return Some("a dbguard backup");
    }
    None
}

/// Why reading `path` (resolved as in [`protected_path`]) would hand an
/// agent a credential that only dbguard uses, if it would: the local
/// server's superuser password (`.dbguard/local.pgpass`; a superuser can
/// switch the guards inside the database off) and the tokens of open
/// windows (`.dbguard/approvals/`), or the `.dbguard` folder itself, which
/// holds both, and another process's environment (`/proc/PID/environ`),
/// where an approved run keeps its window's token. A glob in the last part
/// counts when it could match one.
pub fn secret_path(path: &Path, cwd: &Path) -> Option<&'static str> {
    let full = resolve(&cwd.join(path));
    let names = names(&full);
    if names.first().is_some_and(|n| n == "proc") && names.last().is_some_and(|n| n == "environ") {
        return Some("another process's environment, where an approved run keeps its window's token");
    }
    let at = names.iter().rposition(|n| n == ".dbguard")?;
    let matches =
        |part: &str, name: &str| glob::Pattern::new(part).is_ok_and(|p| p.matches(name)) || part == name;
    match names.get(at + 1).map(String::as_str) {
        None => Some("dbguard's state folder, which holds the credentials only dbguard uses"),
        Some(part) if matches(part, "local.pgpass") => {
            Some("the local server's superuser password, which only dbguard uses")
        }
        Some(part) if matches(part, "approvals") => {
            Some("dbguard's approvals, which hold the tokens of open windows")
        }
        Some(_) => None,
    }
}

/// The names of `path`'s folders and file, from the top.
fn names(path: &Path) -> Vec<String> {
    path.components()
        .filter_map(|c| match c {
            Component::Normal(name) => Some(name.to_string_lossy().into_owned()),
            _ => None,
        })
        .collect()
}

/// `path` with `.` and `..` resolved, and symbolic links followed for the
/// longest leading part that exists.
fn resolve(path: &Path) -> PathBuf {
    let mut lexical = PathBuf::new();
    for component in path.components() {
        match component {
            Component::ParentDir => {
                lexical.pop();
            }
            Component::CurDir => {}
            other => lexical.push(other),
        }
    }
    let mut existing = lexical.as_path();
    let mut rest = Vec::new();
    while let Some(parent) = existing.parent() {
        if let Ok(real) = std::fs::canonicalize(existing) {
            let mut out = real;
            out.extend(rest.iter().rev());
            return out;
        }
        rest.push(existing.file_name().map(PathBuf::from).unwrap_or_default());
        existing = parent;
    }
    lexical
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dbguard_s_credentials_are_secret_however_they_are_named() {
        let cwd = Path::new("/nonexistent/app");
        for path in [
            ".dbguard/local.pgpass",
            "./.dbguard/../.dbguard/local.pgpass",
            "/nonexistent/app/.dbguard/*.pgpass",
            ".dbguard/loc?l.*",
            ".dbguard/approvals/1a2b.json",
            "/proc/4242/environ",
            "/proc/*/environ",
            "/proc/4242/task/4243/environ",
            ".dbguard/approvals",
            ".dbguard/*",
            ".dbguard",
            "src/../.dbguard/",
        ] {
            assert!(secret_path(Path::new(path), cwd).is_some(), "{path}");
        }
        for path in [
            ".dbguard/audit.log",
            ".dbguard/farm_app.pgpass",
            ".dbguard/incidents/x/report.md",
            "local.pgpass",
            "src/approvals/list.ts",
        ] {
            assert!(secret_path(Path::new(path), cwd).is_none(), "{path}");
        }
    }

    #[test]
    fn dbguard_s_own_files_are_protected_however_they_are_named() {
        let cwd = Path::new("/nonexistent/app");
        for path in [
            ".dbguard/approvals/1a2b3c4d.json",
            "/nonexistent/app/.dbguard/audit.log",
            "src/../.dbguard/audit.head",
            "./dbguard.toml",
            "/home/me/.config/dbguard/approver.json",
            ".claude/settings.json",
            ".claude/settings.local.json",
            "/home/me/.claude/settings.json",
            ".cursor/hooks.json",
            "backups/backup_dbguard_20261201_101010/dump.zst",
        ] {
            assert!(protected_path(Path::new(path), cwd, None).is_some(), "{path}");
        }
        assert!(protected_path(Path::new("/srv/keys/x.json"), cwd, Some(Path::new("/srv/keys"))).is_some());
        for path in [
            "src/app.ts",
            "prisma/schema.prisma",
            "docs/dbguard.md",
            ".claude/commands/review.md",
            "backups.md",
            "src/dbguard/config.ts",
        ] {
            assert!(protected_path(Path::new(path), cwd, None).is_none(), "{path}");
        }
    }

    #[test]
    fn a_link_into_the_state_folder_is_followed() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join(".dbguard/approvals")).unwrap();
        std::os::unix::fs::symlink(dir.path().join(".dbguard/approvals"), dir.path().join("innocent"))
            .unwrap();
        assert!(protected_path(Path::new("innocent/x.json"), dir.path(), None).is_some());
    }
}
