//! The agents configured in a project, and the section of their
//! instructions file (`AGENTS.md`, `CLAUDE.md`) that says how database work
//! goes here. The section sits between markers, so a second run finds it
//! and a newer dbguard can replace it without touching the rest.

use std::path::Path;

use dbguard_hooks::Host;

use crate::{read, Change, Error};

const BEGIN: &str = "<!-- dbguard:begin (written by `dbguard init`) -->";
const END: &str = "<!-- dbguard:end -->";

/// What agents are told. It names what is refused and who approves, and
/// never how a check could be got around.
pub const SECTION: &str = "## Database work in this project

This project's PostgreSQL database is guarded by dbguard, for people and
agents alike.

- Run database commands through dbguard: `dbguard run -- <command>`, or
  `dbguard sql` for SQL; the `db:*` npm scripts already call dbguard.
- Destructive operations are refused until a person approves them: `prisma
  migrate reset`, `prisma db push --force-reset` or `--accept-data-loss`,
  `DROP`, `TRUNCATE`, a `DELETE` or `UPDATE` that can touch many rows,
  dropping or retyping a column, `pg_restore --clean`, deleting backups.
  `prisma migrate dev` and `prisma db push` need a person's permission too.
- When dbguard refuses, stop and tell the person what you meant to do and
  why. A person approves in their own terminal (`dbguard approve <id>`), with
  their passphrase; an agent cannot approve and must not try.
- Never set consent or approval environment variables yourself (Prisma's AI
  consent variable included), never edit `.dbguard/`, `dbguard.toml` or the
  agent hook settings, and never retry a refused operation another way (a
  script, another client, other spelling).
- `dbguard backup create` takes a verified backup; `dbguard health` checks
  the database.
";

/// Where each agent keeps its project configuration; any of them present
/// means the agent is used here.
fn markers(host: Host) -> &'static [&'static str] {
    match host {
        Host::ClaudeCode => &[".claude", "CLAUDE.md"],
        Host::Cursor => &[".cursor", ".cursorrules"],
        Host::Gemini => &[".gemini", "GEMINI.md"],
        Host::Codex => &[".codex"],
    }
}

/// The agents configured in `dir`.
pub fn configured(dir: &Path) -> Vec<Host> {
    Host::ALL
        .into_iter()
        .filter(|host| markers(*host).iter().any(|m| dir.join(m).exists()))
        .collect()
}

/// The instructions files to give the section: each of `AGENTS.md` and
/// `CLAUDE.md` that exists; `AGENTS.md` when neither does; `CLAUDE.md` too
/// when Claude Code is configured (it reads only that file).
pub fn instructions(dir: &Path, agents: &[Host]) -> Result<Vec<Change>, Error> {
    let mut names: Vec<&str> = ["AGENTS.md", "CLAUDE.md"]
        .into_iter()
        .filter(|n| dir.join(n).is_file())
        .collect();
    if names.is_empty() {
        names.push("AGENTS.md");
    }
    if agents.contains(&Host::ClaudeCode) && !names.contains(&"CLAUDE.md") {
        names.push("CLAUDE.md");
    }
    let mut changes = Vec::new();
    for name in names {
        let path = dir.join(name);
        let before = read(&path)?;
        let after = with_section(before.as_deref().unwrap_or(""));
        if before.as_deref() != Some(after.as_str()) {
            changes.push(Change {
                path,
                before,
                after,
                summary: "how database work goes here, for agents".into(),
            });
        }
    }
    Ok(changes)
}

/// `text` with the section in place: replaced between the markers, or appended.
fn with_section(text: &str) -> String {
    let block = format!("{BEGIN}\n{SECTION}{END}\n");
    if let (Some(start), Some(end)) = (text.find(BEGIN), text.find(END)) {
        if start < end {
            let rest = text[end + END.len()..]
                .strip_prefix('\n')
                .unwrap_or(&text[end + END.len()..]);
            return format!("{}{block}{rest}", &text[..start]);
        }
    }
    let mut out = text.to_string();
    if !out.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
    if !out.is_empty() {
        out.push('\n');
    }
    out.push_str(&block);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_section_is_appended_once_and_replaced_in_place() {
        let once = with_section("# Notes\n");
        assert!(once.starts_with("# Notes\n\n<!-- dbguard:begin"));
        assert_eq!(with_section(&once), once);
        let old = once.replace("Database work in this project", "Old words");
        assert_eq!(with_section(&format!("{old}tail\n")), format!("{once}tail\n"));
    }

    #[test]
    fn agents_are_found_by_their_folders_and_files() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join(".claude")).unwrap();
        std::fs::write(dir.path().join(".cursorrules"), "").unwrap();
        assert_eq!(configured(dir.path()), vec![Host::ClaudeCode, Host::Cursor]);
        let names: Vec<_> = instructions(dir.path(), &[Host::ClaudeCode])
            .unwrap()
            .into_iter()
            .map(|c| c.path.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["AGENTS.md", "CLAUDE.md"]);
    }

    #[test]
    fn the_section_never_names_a_way_around() {
        for word in ["PRISMA_USER_CONSENT", "DBGUARD_", "CONSENT="] {
            assert!(!SECTION.contains(word), "{word}");
        }
    }
}
