//! Deleting files with `rm`, `shred`, `unlink`, `truncate`, `find -delete`,
//! `find -exec|-execdir|-ok CMD {} ;` (the command is classified with `{}`
//! standing for what find matches), `git clean` and `git rm`: backups (the
//! last line of defence) and PostgreSQL data folders are high risk; a
//! recursive delete of a path known only at run time is medium. Dry runs
//! (`git clean -n`) delete nothing.

use super::super::ast::Word;
use super::super::walk::{Invocation, Scope, Walker};
use super::paths::{is_dump_file, target, Target};
use crate::rules::Rule;

/// Classifies file-deleting commands.
pub fn classify(w: &mut Walker, name: &str, inv: &Invocation, scope: &Scope) {
    let args = inv.args();
    match name {
        // `trash-put`, `trash`, `gio trash`: out of their place, as `rm`.
        "rm" | "shred" | "unlink" | "truncate" | "trash-put" | "trash" | "gio" => {
            let args = match (name, args.first()) {
                ("gio", Some(sub)) if sub.text == "trash" || sub.text == "remove" => &args[1..],
                ("gio", _) => return,
                _ => args,
            };
            let recursive = matches!(name, "trash-put" | "trash" | "gio")
                || args.iter().any(|a| {
                    a.text == "--recursive"
                        || (a.text.starts_with('-')
                            && !a.text.starts_with("--")
                            && a.text.contains(['r', 'R']))
                });
            for arg in operands(args) {
                let arg = in_place(w, arg, scope);
                report(w, name, &arg, recursive, inv);
            }
        }
        "find" => find(w, inv, scope),
        _ => {}
    }
}

/// The arguments that are not options (all of them after `--`).
fn operands(args: &[Word]) -> impl Iterator<Item = &Word> {
    let mut options_done = false;
    args.iter().filter(move |arg| {
        if arg.text == "--" && !options_done {
            options_done = true;
            return false;
        }
        options_done || !arg.text.starts_with('-')
    })
}

/// `git clean` and `git rm` (subcommand `sub`, its arguments `rest`).
pub(super) fn git(w: &mut Walker, sub: &Word, rest: &[Word], inv: &Invocation, scope: &Scope) {
    let short = |c: char| {
        rest.iter()
            .any(|a| a.text.starts_with('-') && !a.text.starts_with("--") && a.text.contains(c))
    };
    match sub.text.as_str() {
        "clean" => {
            if short('n') || rest.iter().any(|a| a.text == "--dry-run") {
                return;
            }
            let paths: Vec<&Word> = operands(rest).collect();
            if let Some(backup) = paths.iter().find(|p| target(p) != Target::Other) {
                let kind = target(backup);
                if matches!(kind, Target::Backup | Target::DatabaseFiles) {
                    return report(w, "git clean", backup, true, inv);
                }
            }
            if short('x') || short('X') {
                // Backups or the local cluster in the folder it cleans are
                // deleted with the other ignored files; elsewhere it is unknown.
                let here = scope
                    .cwd
                    .as_ref()
                    .and_then(|cwd| w.ctx.files.list(cwd).ok())
                    .unwrap_or_default();
                match here
                    .iter()
                    .find(|name| backups_or_cluster(name))
                {
                    Some(name) => w.add(
                        Rule::DeleteBackups,
                        format!("git clean -x deletes ignored files, and {name} here is one: backups or local database files"),
                        &inv.text,
                    ),
                    None => w.add(
                        Rule::DeleteUnseenFiles,
                        "git clean -x deletes ignored files, and backups and local database files are usually ignored",
                        &inv.text,
                    ),
                }
            }
        }
        "rm" if !rest
            .iter()
            .any(|a| a.text == "--cached" || a.text == "-n" || a.text == "--dry-run") =>
        {
            for path in operands(rest) {
                report(w, "git rm", path, false, inv);
            }
        }
        _ => {}
    }
}

/// `path` as where it is: after `cd backups`, `*` is backups; in a folder
/// holding backups or the local cluster, `*`, `.` and `./*` take them too.
fn in_place(w: &Walker, path: &Word, scope: &Scope) -> Word {
    if path.dynamic || target(path) == Target::Backup || target(path) == Target::DatabaseFiles {
        return path.clone();
    }
    let Some(full) = w.resolve(&path.text, scope) else {
        return path.clone();
    };
    let broad = matches!(path.text.trim_end_matches('/'), "*" | "." | "./*" | ".*");
    let held = if broad {
        let folder = if path.text.trim_end_matches('/') == "." {
            full.clone()
        } else {
            full.parent().map(|p| p.to_path_buf()).unwrap_or_default()
        };
        // `*` does not match dot files; `.` and `.*` take them.
        let dots = matches!(path.text.trim_end_matches('/'), "." | ".*");
        w.ctx.files.list(&folder).ok().and_then(|names| {
            names
                .into_iter()
                .find(|n| (dots || !n.starts_with('.')) && backups_or_cluster(n))
        })
    } else {
        None
    };
    // Relative to the line's folder, so that the folders above the project
    // (`/home/u/postgres-tools/app`) say nothing.
    let resolved = full.strip_prefix(&w.ctx.cwd).map_or_else(
        |_| full.to_string_lossy().to_string(),
        |r| r.to_string_lossy().to_string(),
    );
    match held {
        Some(name) => {
            let folder = resolved.trim_end_matches(['*', '/', '.']);
            Word::literal(if folder.is_empty() {
                name
            } else {
                format!("{folder}/{name}")
            })
        }
        None if matches!(
            target(&Word::literal(resolved.clone())),
            Target::Backup | Target::DatabaseFiles
        ) && scope.cwd.as_deref() != Some(w.ctx.cwd.as_path()) =>
        {
            Word::literal(resolved)
        }
        None => path.clone(),
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

/// `find PATHS… EXPRESSION`: `-delete` deletes what it matches; `-exec` and
/// friends run a command on each match.
fn find(w: &mut Walker, inv: &Invocation, scope: &Scope) {
    let args = inv.args();
    let paths: Vec<&Word> = args
        .iter()
        .take_while(|a| !a.text.starts_with('-') && a.text != "(" && a.text != "!")
        .collect();
    let patterns: Vec<&Word> = args
        .windows(2)
        .filter(|p| {
            matches!(
                p[0].text.as_str(),
                "-name" | "-iname" | "-path" | "-ipath" | "-wholename" | "-regex"
            )
        })
        .map(|p| &p[1])
        .collect();
    if args.iter().any(|a| a.text == "-delete") {
        for word in paths.iter().chain(&patterns) {
            report(w, "find", word, true, inv);
        }
    }
    // What `{}` stands for: the first path, with the name pattern when there is one.
    let root = paths.first().map_or(".", |p| p.text.as_str());
    let matched = match patterns.first() {
        Some(pattern) => format!("{}/{}", root.trim_end_matches('/'), pattern.text),
        None => format!("{}/…", root.trim_end_matches('/')),
    };
    let mut i = 0;
    while i < args.len() {
        if !matches!(args[i].text.as_str(), "-exec" | "-execdir" | "-ok" | "-okdir") {
            i += 1;
            continue;
        }
        let end = args[i + 1..]
            .iter()
            .position(|a| a.text == ";" || a.text == "+")
            .map_or(args.len(), |e| i + 1 + e);
        let command: Vec<Word> = args[i + 1..end]
            .iter()
            .map(|a| match a.text.contains("{}") {
                true => Word {
                    text: a.text.replace("{}", &matched),
                    dynamic: false,
                    glob: false,
                    ..a.clone()
                },
                false => a.clone(),
            })
            .collect();
        if !command.is_empty() {
            let deletes = matches!(
                super::program_name(&command[0].text).as_str(),
                "rm" | "shred" | "unlink"
            );
            if deletes {
                for word in paths.iter().chain(&patterns) {
                    report(w, "find", word, true, inv);
                }
            }
            w.invocation(&inv.with_words(command), scope);
        }
        i = end + 1;
    }
}

/// Whether an entry of a folder is backups (a dump, or a folder named for
/// them: no extension), database files or dbguard's local cluster; not a
/// script named for backups (`backup-database.sh`).
fn backups_or_cluster(name: &str) -> bool {
    let word = Word::literal(name);
    match target(&word) {
        Target::Backup => is_dump_file(&word) || !name.trim_start_matches('.').contains('.'),
        Target::DatabaseFiles => true,
        _ => name == ".dbguard",
    }
}
