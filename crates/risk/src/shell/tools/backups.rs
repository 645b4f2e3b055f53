//! Destroying backups and data folders by any verb, not only `rm`:
//! `cp /dev/null` or `cp`/`mv`/`install` over a dump, `dd of=`, `rsync
//! --delete` into a backup or data folder, `tar --remove-files`, `tee` and
//! `>` redirections that empty a dump. Writing a *new* dump is the normal
//! way to make a backup, so a redirection or `tee` fed by a dump or
//! compression program (`pg_dump … > backups/x.sql`) stays low.

use super::super::ast::{Redirect, RedirectKind, Word};
use super::super::walk::{Input, Invocation, Scope, Walker};
use super::paths::{is_dump_file, target, Target};
use super::program_name;
use crate::rules::Rule;

const NAMES: &[&str] = &[
    "cp", "mv", "install", "dd", "rsync", "tar", "tee", "ln", "zip", "7z", "7za",
];

/// Programs whose output written onto a backup path is a new backup.
const DUMP_PRODUCERS: &[&str] = &[
    "pg_dump",
    "pg_dumpall",
    "pg_basebackup",
    "gzip",
    "pigz",
    "zstd",
    "xz",
    "bzip2",
    "lz4",
    "brotli",
    "tar",
    "gpg",
    "age",
    "openssl",
    "dbguard",
    "docker",
    "kubectl",
    "ssh",
    "aws",
    "gsutil",
    "rclone",
    "restic",
    "borg",
    "pgbackrest",
    "wal-g",
    "barman",
];

/// Whether `name` is one of these programs.
pub fn handles(name: &str) -> bool {
    NAMES.contains(&name)
}

fn is_emptying_source(text: &str) -> bool {
    matches!(text, "/dev/null" | "/dev/zero" | "/dev/urandom" | "/dev/random")
}

/// Whether overwriting `path` destroys a backup or database files.
fn destroyed(path: &Word) -> Option<(Rule, &'static str)> {
    if super::self_protection::protected(&path.text).is_some() {
        return None; // judged as an edit of dbguard's own files
    }
    match target(path) {
        Target::Backup if is_dump_file(path) => Some((Rule::OverwriteBackups, "a backup")),
        Target::DatabaseFiles => Some((Rule::DeleteDatabaseFiles, "PostgreSQL data files")),
        _ => None,
    }
}

/// Classifies copying, moving and archiving commands.
pub fn classify(w: &mut Walker, name: &str, inv: &Invocation) {
    let args = inv.args();
    let operands: Vec<&Word> = args.iter().filter(|a| !a.text.starts_with('-')).collect();
    let flag = |prefix: &str| args.iter().any(|a| a.text.starts_with(prefix));
    match name {
        "cp" | "mv" | "install" | "ln" => {
            let Some((destination, sources)) = operands.split_last() else {
                return;
            };
            if let Some(from) = sources.iter().find(|s| is_emptying_source(&s.text)) {
                if target(destination) != Target::Other {
                    return add(
                        w,
                        inv,
                        Rule::OverwriteBackups,
                        format!("{name} {} empties {}", from.text, destination.text),
                    );
                }
            }
            if name == "mv" && is_emptying_source(&destination.text) {
                if let Some(source) = sources.iter().find(|s| target(s) != Target::Other) {
                    return add(
                        w,
                        inv,
                        Rule::DeleteBackups,
                        format!("mv {} /dev/null deletes it", source.text),
                    );
                }
            }
            // Moving backups or data files out of their place deletes them there.
            if name == "mv" && matches!(target(destination), Target::Other | Target::Unseen) {
                if let Some(source) = sources
                    .iter()
                    .find(|s| matches!(target(s), Target::Backup | Target::DatabaseFiles))
                {
                    return add(
                        w,
                        inv,
                        Rule::DeleteBackups,
                        format!(
                            "mv {} {} takes it out of its place",
                            source.text, destination.text
                        ),
                    );
                }
            }
            // Copying a dump elsewhere makes a copy; writing into the backups replaces one.
            let among_backups = destination.text.to_lowercase().contains("backup");
            if let Some((rule, what)) =
                destroyed(destination).filter(|(rule, _)| among_backups || *rule != Rule::OverwriteBackups)
            {
                add(
                    w,
                    inv,
                    rule,
                    format!("{name} writes over {what} ({})", destination.text),
                );
            }
        }
        "dd" => {
            if let Some(of) = args.iter().find_map(|a| a.text.strip_prefix("of=")) {
                let word = Word {
                    text: of.to_string(),
                    ..Word::default()
                };
                if target(&word) != Target::Other && target(&word) != Target::Unseen {
                    add(w, inv, Rule::OverwriteBackups, format!("dd writes over {of}"));
                }
            }
        }
        "rsync" => {
            let Some(destination) = operands.last() else {
                return;
            };
            if (flag("--delete") || flag("--del"))
                && matches!(target(destination), Target::Backup | Target::DatabaseFiles)
            {
                add(
                    w,
                    inv,
                    Rule::DeleteBackups,
                    format!(
                        "rsync --delete removes files in {} that the source lacks",
                        destination.text
                    ),
                );
            }
            if flag("--remove-source-files") {
                if let Some(source) = operands[..operands.len() - 1]
                    .iter()
                    .find(|s| target(s) == Target::Backup)
                {
                    add(
                        w,
                        inv,
                        Rule::DeleteBackups,
                        format!("rsync --remove-source-files deletes {}", source.text),
                    );
                }
            }
        }
        // `tar --remove-files`, `zip -m` and `7z a -sdel` delete what they archive.
        "tar" | "zip" | "7z" | "7za" if archive_deletes(name, args, &flag) => {
            if let Some(path) = operands
                .iter()
                .find(|p| matches!(target(p), Target::Backup | Target::DatabaseFiles))
            {
                add(
                    w,
                    inv,
                    Rule::DeleteBackups,
                    format!("{name} deletes {} after archiving it", path.text),
                );
            }
        }
        "tee" if !flag("-a") && !flag("--append") => {
            if fed_by_producer(&inv.stdin) {
                return;
            }
            if let Some((path, (rule, what))) = operands.iter().find_map(|p| destroyed(p).map(|d| (p, d))) {
                add(w, inv, rule, format!("tee writes over {what} ({})", path.text));
            }
        }
        _ => {}
    }
}

/// Whether the archiver `name` deletes the files it archives.
fn archive_deletes(name: &str, args: &[Word], flag: &dyn Fn(&str) -> bool) -> bool {
    match name {
        "tar" => flag("--remove-files"),
        "zip" => {
            flag("--move")
                || args
                    .iter()
                    .any(|a| a.text.starts_with('-') && !a.text.starts_with("--") && a.text.contains('m'))
        }
        _ => flag("-sdel"),
    }
}

fn add(w: &mut Walker, inv: &Invocation, rule: Rule, message: String) {
    w.add(rule, message, &inv.text);
}

fn fed_by_producer(stdin: &Input) -> bool {
    match stdin {
        Input::Dump { .. } => true,
        Input::Unknown(origin) => origin
            .strip_prefix("the output of `")
            .and_then(|rest| rest.split_whitespace().next())
            .is_some_and(|program| DUMP_PRODUCERS.contains(&program_name(program).as_str())),
        _ => false,
    }
}

/// `> backups/farm.dump` (also `: >`, `echo >`, a bare `> file`) empties a
/// dump unless the command writing is one that makes dumps.
pub fn redirect(w: &mut Walker, words: &[Word], redirect: &Redirect, scope: &Scope) {
    if redirect.kind != RedirectKind::Output {
        return;
    }
    let program = words.first().map(|p| program_name(&p.text));
    // A dump tool's standard output makes a dump; any other descriptor
    // (`pg_dump 2> backups/farm.dump`) writes its messages over one.
    let stdout = redirect.fd.is_none_or(|fd| fd == 1);
    if stdout && program.as_deref().is_some_and(|p| DUMP_PRODUCERS.contains(&p)) {
        let writer = program.unwrap_or_default();
        return new_dump_over(
            w,
            &writer,
            &redirect.target,
            scope,
            &format!("{writer} … > {}", redirect.target.text),
        );
    }
    if let Some((rule, what)) = destroyed(&redirect.target) {
        let writer = program.map_or("an empty command".to_string(), |p| format!("`{p}`"));
        let words: Vec<&str> = words.iter().map(|w| w.text.as_str()).collect();
        w.add(
            rule,
            format!(
                "`>` empties {what} ({}) and writes the output of {writer} in its place",
                redirect.target.text
            ),
            &format!("{} > {}", words.join(" "), redirect.target.text),
        );
    }
}

/// A new dump written onto `target`: when a dump of that name is already
/// there, the old backup is gone the moment the new one starts, and lost if
/// the new one fails (`pg_dump -f backups/farm.dump`, `pg_dump > …`).
pub fn new_dump_over(w: &mut Walker, writer: &str, target: &Word, scope: &Scope, text: &str) {
    if target.dynamic || !is_dump_file(target) {
        return;
    }
    let Some(path) = w.resolve(&target.text, scope) else {
        return;
    };
    let (Some(folder), Some(name)) = (path.parent(), path.file_name().and_then(|n| n.to_str())) else {
        return;
    };
    let exists = w
        .ctx
        .files
        .list(folder)
        .is_ok_and(|names| names.iter().any(|n| n == name));
    if exists {
        w.add(
            Rule::OverwriteBackups,
            format!(
                "{writer} writes a new dump over the existing backup {}: the old one is gone before the new one is complete",
                target.text
            ),
            text,
        );
    }
}
