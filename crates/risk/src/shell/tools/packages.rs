//! `npm`, `pnpm`, `yarn` and `bun`: scripts are resolved from the nearest
//! `package.json` (with their `pre`/`post` scripts and the arguments passed
//! on) and classified as shell text; `exec`/`dlx`/`x` run a package binary.

use std::path::{Path, PathBuf};

use super::super::ast::Word;
use super::super::walk::{Invocation, Scope, Walker};
use crate::rules::Rule;
use crate::ReadError;

/// Package-manager commands that neither run a script nor a binary.
const BUILTINS: &[&str] = &[
    "install",
    "i",
    "ci",
    "add",
    "remove",
    "rm",
    "uninstall",
    "un",
    "update",
    "up",
    "upgrade",
    "list",
    "ls",
    "why",
    "outdated",
    "audit",
    "store",
    "publish",
    "pack",
    "link",
    "unlink",
    "import",
    "rebuild",
    "prune",
    "fetch",
    "init",
    "create",
    "config",
    "env",
    "setup",
    "patch",
    "info",
    "view",
    "version",
    "help",
    "login",
    "logout",
    "cache",
    "doctor",
    "dedupe",
    "build",
    "pm",
    "whoami",
    "search",
    "owner",
    "tag",
    "set",
    "get",
    "bin",
    "root",
    "prefix",
    "completion",
    "licenses",
    "workspaces",
    "plugin",
    "constraints",
    "explain",
    "npm",
    "node",
];

/// Words in a script's name that suggest it touches the database.
const DATABASE_WORDS: &[&str] = &[
    "db", "database", "migrat", "prisma", "seed", "reset", "drop", "truncate", "wipe", "restore", "schema",
    "sql", "purge", "flush", "fresh",
];

/// Classifies a package-manager command.
pub fn run(w: &mut Walker, manager: &str, inv: &Invocation, scope: &Scope) {
    let args = inv.args();
    let mut scope = scope.clone();
    let mut i = 0;
    // Options before the subcommand; the ones that move the folder matter.
    while let Some(arg) = args.get(i) {
        let text = arg.text.as_str();
        if !text.starts_with('-') {
            break;
        }
        if matches!(text, "-C" | "--dir" | "--prefix" | "--cwd") {
            scope.cwd = args
                .get(i + 1)
                .and_then(|d| (!d.dynamic).then(|| w.resolve(&d.text, &scope)).flatten());
            i += 2;
        } else if let Some(dir) = ["--dir=", "--prefix=", "--cwd="]
            .iter()
            .find_map(|p| text.strip_prefix(p))
        {
            scope.cwd = w.resolve(dir, &scope).filter(|_| !arg.dynamic);
            i += 1;
        } else if matches!(text, "--filter" | "-F" | "-w" | "--workspace") {
            // Another package of a workspace: its scripts are not resolved.
            scope.cwd = None;
            i += 2;
        } else {
            i += 1;
        }
    }
    let Some(sub) = args.get(i) else { return };
    let rest = &args[i + 1..];
    match (manager, sub.text.as_str()) {
        ("npm", "run" | "run-script" | "rum" | "urn") | ("pnpm" | "yarn", "run") | ("bun", "run") => {
            if let Some((script, script_args)) = rest.split_first() {
                run_script(w, manager, script, script_args, inv, &scope, manager == "bun");
            }
        }
        ("npm", "test" | "t" | "tst" | "start" | "stop" | "restart") => {
            let script = Word::literal(if sub.text.starts_with('t') {
                "test"
            } else {
                sub.text.as_str()
            });
            run_script(w, manager, &script, rest, inv, &scope, false);
        }
        ("npm", "exec" | "x") | ("pnpm", "exec" | "dlx") | ("yarn", "exec" | "dlx") | ("bun", "x") => {
            let start = rest
                .iter()
                .position(|a| !a.text.starts_with('-'))
                .unwrap_or(rest.len());
            let words: Vec<Word> = rest[start..].iter().filter(|a| a.text != "--").cloned().collect();
            if !words.is_empty() {
                w.invocation(&inv.with_words(words), &scope);
            }
        }
        ("npm", _) => {}
        (_, name) if BUILTINS.contains(&name) => {}
        _ => run_script(w, manager, sub, rest, inv, &scope, true),
    }
}

/// Runs script `name`; with `bin_fallback`, a name that is no script is a
/// package binary (`pnpm prisma db push`), unless it names a database
/// script (`pnpm db:reset`) and no program dbguard knows.
fn run_script(
    w: &mut Walker,
    manager: &str,
    name: &Word,
    args: &[Word],
    inv: &Invocation,
    scope: &Scope,
    bin_fallback: bool,
) {
    let args: Vec<&Word> = args.iter().filter(|a| a.text != "--").collect();
    match find_scripts(w, scope) {
        Found::Scripts(dir, scripts) => {
            let get = |key: &str| scripts.get(key).and_then(|v| v.as_str()).map(str::to_string);
            if let Some(main) = get(&name.text) {
                let package_scope = Scope { cwd: Some(dir) };
                let mut with_args = main;
                for arg in &args {
                    with_args.push(' ');
                    with_args.push_str(&quote(&arg.text));
                }
                for (key, text) in [
                    (format!("pre{}", name.text), get(&format!("pre{}", name.text))),
                    (name.text.clone(), Some(with_args)),
                    (format!("post{}", name.text), get(&format!("post{}", name.text))),
                ] {
                    if let Some(text) = text {
                        w.nested_shell(&text, format!("{manager} script `{key}`"), &package_scope);
                    }
                }
                return;
            }
        }
        Found::Broken(why) => {
            w.add(
                Rule::ScriptUnresolved,
                format!("script `{}` cannot be resolved: {why}", name.text),
                &inv.text,
            );
            return;
        }
        Found::Nothing => {}
    }
    if bin_fallback && (super::is_known(&name.text) || !looks_like_database(&name.text)) {
        let mut words = vec![name.clone()];
        words.extend(args.into_iter().cloned());
        w.invocation(&inv.with_words(words), scope);
    } else if name.dynamic || looks_like_database(&name.text) {
        w.add(
            Rule::ScriptUnresolved,
            format!(
                "script `{}` touches the database by its name, and its definition cannot be found",
                name.text
            ),
            &inv.text,
        );
    }
}

enum Found {
    Scripts(PathBuf, serde_json::Map<String, serde_json::Value>),
    Broken(String),
    Nothing,
}

/// The `scripts` of the nearest `package.json` at or above the folder.
fn find_scripts(w: &Walker, scope: &Scope) -> Found {
    let Some(cwd) = &scope.cwd else {
        return Found::Broken("the folder is only known at run time".to_string());
    };
    for dir in cwd.ancestors() {
        let path = dir.join("package.json");
        match w.ctx.files.read(&path) {
            Ok(text) => {
                return match serde_json::from_str::<serde_json::Value>(&text) {
                    Ok(json) => Found::Scripts(
                        dir.to_path_buf(),
                        json.get("scripts")
                            .and_then(|s| s.as_object())
                            .cloned()
                            .unwrap_or_default(),
                    ),
                    Err(e) => Found::Broken(format!("{} is not valid JSON ({e})", display(&path))),
                };
            }
            Err(ReadError::NotFound) => continue,
            Err(ReadError::Unreadable(why)) => return Found::Broken(format!("{}: {why}", display(&path))),
        }
    }
    Found::Nothing
}

fn display(path: &Path) -> String {
    path.display().to_string()
}

fn looks_like_database(name: &str) -> bool {
    let lower = name.to_lowercase();
    DATABASE_WORDS.iter().any(|w| lower.contains(w))
}

/// Single-quotes a word for the shell.
fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "'\\''"))
}
