//! `npm`, `pnpm`, `yarn` and `bun`: scripts are resolved from the nearest
//! `package.json` (with their `pre`/`post` scripts and the arguments passed
//! on) and classified as shell text; `exec`/`dlx`/`x` run a package binary.

use std::path::{Path, PathBuf};

use super::super::ast::Word;
use super::super::opts::{read, Items, Spec};
use super::super::walk::{Invocation, Scope, Walker};
use super::{script_edits, script_shell};
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
/// Options naming the workspace packages a command runs in.
const WORKSPACE_OPTIONS: &[&str] = &["--filter", "-F", "-w", "--workspace", "--include", "--from"];

/// Whether `option` of `manager` names workspace packages with the next
/// word: pnpm's `-w` is `--workspace-root`, which takes none (`pnpm -w
/// prisma migrate reset` runs prisma at the root).
fn names_workspaces(manager: &str, option: &str) -> bool {
    WORKSPACE_OPTIONS.contains(&option) && !(manager == "pnpm" && option == "-w")
}

/// Options running a command in every workspace package.
const ALL_WORKSPACES: &[&str] = &["-r", "--recursive", "-ws", "--workspaces", "-A", "--all"];

/// `npm exec` / `pnpm exec` / `yarn dlx` options that take a value.
const EXEC_SPEC: Spec = Spec {
    short_values: "pcw",
    long_values: &["package", "call", "workspace", "filter", "shell-mode"],
};

/// Which folders a command runs in: `--filter`/`-w`/`yarn workspace NAME`
/// packages, every package (`-r`, `yarn workspaces foreach`), or here.
pub struct Where {
    /// Package names or folders.
    pub filters: Vec<Word>,
    /// Every package.
    pub all: bool,
}

/// Classifies a package-manager command.
pub fn run(w: &mut Walker, manager: &str, inv: &Invocation, scope: &Scope) {
    // `bun -e CODE`, `bun --print CODE`: inline JavaScript, as `node -e` (bun's
    // options, like node's, come before it).
    let evaluates = |a: &Word| matches!(a.text.as_str(), "-e" | "--eval" | "-p" | "--print");
    if manager == "bun"
        && inv
            .args()
            .iter()
            .take_while(|a| a.text.starts_with('-'))
            .any(evaluates)
    {
        return super::code::run(w, manager, inv, scope);
    }
    let mut args: Vec<Word> = inv.args().to_vec();
    let mut scope = scope.clone();
    let mut place = Where {
        filters: Vec::new(),
        all: false,
    };
    // npm takes its options anywhere before `--`; the others before the subcommand.
    let mut i = 0;
    while let Some(arg) = args.get(i) {
        let text = arg.text.clone();
        if text == "--" {
            break;
        }
        if !text.starts_with('-') {
            if manager == "npm" {
                i += 1;
                continue;
            }
            break;
        }
        let value = args.get(i + 1).cloned();
        script_shell_option(w, arg, value.as_ref(), &inv.text);
        if matches!(text.as_str(), "-C" | "--dir" | "--prefix" | "--cwd") {
            scope.cwd = value.and_then(|d| (!d.dynamic).then(|| w.resolve(&d.text, &scope)).flatten());
            args.drain(i..(i + 2).min(args.len()));
        } else if let Some(dir) = ["--dir=", "--prefix=", "--cwd="]
            .iter()
            .find_map(|p| text.strip_prefix(p))
        {
            scope.cwd = w.resolve(dir, &scope).filter(|_| !arg.dynamic);
            args.remove(i);
        } else if names_workspaces(manager, &text) {
            place.filters.extend(value);
            args.drain(i..(i + 2).min(args.len()));
        } else if let Some(filter) = ["--filter=", "--workspace=", "-F="]
            .iter()
            .find_map(|p| text.strip_prefix(p))
        {
            place.filters.push(Word {
                text: filter.to_string(),
                ..arg.clone()
            });
            args.remove(i);
        } else if ALL_WORKSPACES.contains(&text.as_str()) {
            place.all = true;
            args.remove(i);
        } else {
            i += 1;
        }
    }
    let Some(mut sub_index) = args.iter().position(|a| !a.text.starts_with('-')) else {
        return;
    };
    if manager != "npm" {
        sub_index = args.iter().position(|a| !a.text.starts_with('-')).unwrap_or(0);
    }
    // `yarn workspace NAME COMMAND…`, `yarn workspaces foreach [opts] COMMAND…`, `yarn workspaces run X`.
    if manager == "yarn" && args[sub_index].text == "workspace" {
        if let Some(name) = args.get(sub_index + 1) {
            place.filters.push(name.clone());
        }
        sub_index += 2;
    } else if manager == "yarn" && args[sub_index].text == "workspaces" {
        let foreach = args.get(sub_index + 1).is_some_and(|a| a.text == "foreach");
        if !foreach && args.get(sub_index + 1).map(|a| a.text.as_str()) != Some("run") {
            return; // `yarn workspaces list`, `info`
        }
        place.all = true;
        sub_index += if foreach { 2 } else { 1 };
        while let Some(arg) = args.get(sub_index).filter(|a| a.text.starts_with('-')) {
            let takes_value = matches!(
                arg.text.as_str(),
                "--include" | "--exclude" | "--from" | "-j" | "--jobs" | "--since"
            );
            if matches!(arg.text.as_str(), "--include" | "--from") {
                if let Some(name) = args.get(sub_index + 1) {
                    place.filters.push(name.clone());
                    place.all = false;
                }
            }
            sub_index += if takes_value { 2 } else { 1 };
        }
    }
    let Some(sub) = args.get(sub_index).cloned() else {
        return;
    };
    let mut rest: Vec<Word> = args[sub_index + 1..].to_vec();
    if manager == "bun" && bun_file(w, &sub, &rest, inv, &scope) {
        return;
    }
    if sub.text == "config" && rest.first().is_some_and(|a| a.text == "set") {
        config_set(w, &rest[1..], &inv.text);
    }
    // `pnpm run --filter api db:reset`: the manager's options between `run` and the script.
    if matches!(sub.text.as_str(), "run" | "run-script") {
        while let Some(option) = rest
            .first()
            .filter(|a| a.text.starts_with('-') && a.text != "--")
            .cloned()
        {
            let takes_value = names_workspaces(manager, &option.text);
            if takes_value {
                place.filters.extend(rest.get(1).cloned());
            } else if let Some(filter) = ["--filter=", "--workspace=", "-F="]
                .iter()
                .find_map(|p| option.text.strip_prefix(p))
            {
                place.filters.push(Word::literal(filter));
            } else if ALL_WORKSPACES.contains(&option.text.as_str()) {
                place.all = true;
            }
            rest.drain(..(if takes_value { 2 } else { 1 }).min(rest.len()));
        }
    }
    let scopes = match place.filters.is_empty() && !place.all {
        true => vec![scope.clone()],
        false => package_scopes(w, &scope, &place),
    };
    let in_packages = !place.filters.is_empty() || place.all;
    for scope in &scopes {
        let script = match sub.text.as_str() {
            "run" | "run-script" => rest.first().map(|s| s.text.as_str()),
            _ => None,
        };
        if in_packages && script.is_some_and(|name| lacks_script(w, scope, name)) {
            continue;
        }
        subcommand(w, manager, &sub, &rest, inv, scope);
    }
}

/// `--script-shell X` or `--script-shell=X` among a manager's options.
fn script_shell_option(w: &mut Walker, arg: &Word, next: Option<&Word>, text: &str) {
    let value = match arg.text.split_once('=') {
        Some(("--script-shell", value)) => Word {
            text: value.to_string(),
            ..arg.clone()
        },
        None if arg.text == "--script-shell" => match next {
            Some(value) => value.clone(),
            None => return,
        },
        _ => return,
    };
    script_shell::set(w, &value, "--script-shell", text);
}

/// `npm config set KEY VALUE…` / `KEY=VALUE…`: the script shell among them.
fn config_set(w: &mut Walker, rest: &[Word], text: &str) {
    let operands: Vec<&Word> = rest.iter().filter(|a| !a.text.starts_with('-')).collect();
    for (i, operand) in operands.iter().enumerate() {
        let value = match operand.text.split_once('=') {
            Some((key, value)) if script_shell::is_key(key) => Word {
                text: value.to_string(),
                ..(*operand).clone()
            },
            None if script_shell::is_key(&operand.text) => match operands.get(i + 1) {
                Some(value) => (*value).clone(),
                None => continue,
            },
            _ => continue,
        };
        script_shell::set(w, &value, "npm config set script-shell", text);
    }
}

/// Script `name` of the nearest package.json, if there is one.
fn package_script(w: &Walker, scope: &Scope, name: &str) -> Option<String> {
    match find_scripts(w, scope) {
        Found::Scripts(_, scripts) => scripts.get(name).and_then(|v| v.as_str()).map(str::to_string),
        _ => None,
    }
}

/// Whether the package at `scope`'s folder exists and has no script `name`
/// (a workspace runner skips it); `false` when the folder is unknown.
pub fn lacks_script(w: &Walker, scope: &Scope, name: &str) -> bool {
    let Some(dir) = &scope.cwd else { return false };
    match w.ctx.files.read(&dir.join("package.json")) {
        Ok(text) => serde_json::from_str::<serde_json::Value>(&text)
            .ok()
            .is_some_and(|json| json["scripts"].get(name).is_none()),
        Err(_) => false,
    }
}

/// `bun FILE` and `bun run FILE` run a JavaScript or TypeScript file, as
/// `node FILE` does: the file is read and judged as code.
fn bun_file(w: &mut Walker, sub: &Word, rest: &[Word], inv: &Invocation, scope: &Scope) -> bool {
    let (file, tail) = match sub.text.as_str() {
        "run" => match rest.split_first() {
            Some((file, tail)) => (file, tail),
            None => return false,
        },
        _ => (sub, rest),
    };
    let script = [".js", ".mjs", ".cjs", ".ts", ".mts", ".cts", ".jsx", ".tsx"]
        .iter()
        .any(|ext| file.text.ends_with(ext));
    if !script {
        return false;
    }
    let words = std::iter::once(Word::literal("node"))
        .chain(std::iter::once(file.clone()))
        .chain(tail.iter().cloned())
        .collect();
    let node = Invocation {
        words,
        stdin: inv.stdin.clone(),
        text: inv.text.clone(),
    };
    super::code::run(w, "node", &node, scope);
    true
}

/// What one subcommand does, in one folder.
fn subcommand(w: &mut Walker, manager: &str, sub: &Word, rest: &[Word], inv: &Invocation, scope: &Scope) {
    match (manager, sub.text.as_str()) {
        ("npm", "run" | "run-script" | "rum" | "urn") | ("pnpm" | "yarn", "run") | ("bun", "run") => {
            if let Some((script, script_args)) = rest.split_first() {
                run_script(w, manager, script, script_args, inv, scope, manager == "bun");
            }
        }
        ("npm", "test" | "t" | "tst" | "start" | "stop" | "restart") => {
            let script = Word::literal(if sub.text.starts_with('t') {
                "test"
            } else {
                sub.text.as_str()
            });
            run_script(w, manager, &script, rest, inv, scope, false);
        }
        ("npm", "exec" | "x") | ("pnpm", "exec" | "dlx") | ("yarn", "exec" | "dlx") | ("bun", "x") => {
            let (items, start) = read(rest, &EXEC_SPEC, true);
            if let Some(call) = items.values(&["-c", "--call", "--shell-mode"]).first() {
                return super::wrappers::shell_text(w, call, &format!("{manager} exec -c"), scope);
            }
            let words: Vec<Word> = start.map(|s| rest[s..].to_vec()).unwrap_or_default();
            if !words.is_empty() {
                w.invocation(&inv.with_words(words), scope);
            }
        }
        (_, "pkg") if rest.first().is_some_and(|a| a.text == "set") => script_edits::pkg_set(w, &rest[1..]),
        ("npm", "set-script") => script_edits::set_script(w, rest),
        (_, "install" | "i" | "ci" | "add") if rest.iter().all(|a| a.text.starts_with('-')) => {
            // Installing the project runs its lifecycle scripts.
            for hook in ["preinstall", "install", "postinstall", "prepare"] {
                if let Some(text) = script_edits::defined(w, hook).or_else(|| package_script(w, scope, hook))
                {
                    w.nested_shell(&text, format!("{manager} lifecycle script `{hook}`"), scope);
                }
            }
        }
        ("npm", _) => {}
        (_, name) if BUILTINS.contains(&name) => {}
        _ => run_script(w, manager, sub, rest, inv, scope, true),
    }
}

/// The folders of the workspace packages `place` selects; a scope whose
/// folder is unknown when they cannot be found.
pub fn package_scopes(w: &Walker, scope: &Scope, place: &Where) -> Vec<Scope> {
    match workspace_packages(w, scope) {
        Ok(packages) => {
            let chosen: Vec<Scope> = packages
                .into_iter()
                .filter(|(dir, name)| place.all || place.filters.iter().any(|f| selects(&f.text, dir, name)))
                .map(|(dir, _)| scope.in_dir(Some(dir)))
                .collect();
            match chosen.is_empty() {
                true => vec![scope.in_dir(None)],
                false => chosen,
            }
        }
        Err(_) => vec![scope.in_dir(None)],
    }
}

/// Whether filter `f` (a package name, `@scope/*`, `./dir`, `name...`) selects a package.
fn selects(f: &str, dir: &Path, name: &str) -> bool {
    let f = f
        .trim_end_matches("...")
        .trim_start_matches("...")
        .trim_start_matches("./");
    let base = dir
        .file_name()
        .map(|b| b.to_string_lossy().into_owned())
        .unwrap_or_default();
    let short = name.rsplit('/').next().unwrap_or(name);
    f == name
        || f == short
        || f == base
        || dir.ends_with(f)
        || f.strip_suffix('*').is_some_and(|prefix| name.starts_with(prefix))
}

/// Every workspace package (folder, name) of the project around `scope`.
fn workspace_packages(w: &Walker, scope: &Scope) -> Result<Vec<(PathBuf, String)>, String> {
    let cwd = scope.cwd.as_ref().ok_or("the folder is only known at run time")?;
    for dir in cwd.ancestors() {
        let patterns = match workspace_patterns(w, dir) {
            Some(patterns) => patterns,
            None => continue,
        };
        let mut packages = Vec::new();
        for pattern in patterns {
            let pattern = pattern.trim_start_matches("./").trim_end_matches('/');
            let folders: Vec<PathBuf> = match pattern.strip_suffix("/*") {
                Some(parent) if !parent.contains('*') => w
                    .ctx
                    .files
                    .list(&dir.join(parent))
                    .map_err(|e| format!("{}/: {e:?}", parent))?
                    .into_iter()
                    .map(|entry| dir.join(parent).join(entry))
                    .collect(),
                _ if pattern.contains('*') => return Err(format!("the pattern `{pattern}` is not followed")),
                _ => vec![dir.join(pattern)],
            };
            for folder in folders {
                if let Ok(text) = w.ctx.files.read(&folder.join("package.json")) {
                    let name = serde_json::from_str::<serde_json::Value>(&text)
                        .ok()
                        .and_then(|j| j.get("name").and_then(|n| n.as_str()).map(str::to_string))
                        .unwrap_or_default();
                    packages.push((folder, name));
                }
            }
        }
        return Ok(packages);
    }
    Err("no workspace root was found".to_string())
}

/// The workspace globs of `dir`: package.json `workspaces` or pnpm-workspace.yaml `packages`.
fn workspace_patterns(w: &Walker, dir: &Path) -> Option<Vec<String>> {
    if let Ok(text) = w.ctx.files.read(&dir.join("pnpm-workspace.yaml")) {
        return Some(
            text.lines()
                .map(str::trim)
                .filter_map(|l| l.strip_prefix("- "))
                .map(|l| l.trim().trim_matches(['\'', '"']).to_string())
                .filter(|l| !l.starts_with('!'))
                .collect(),
        );
    }
    let json: serde_json::Value =
        serde_json::from_str(&w.ctx.files.read(&dir.join("package.json")).ok()?).ok()?;
    let list = json.get("workspaces")?;
    let list = list.get("packages").unwrap_or(list).as_array()?;
    Some(
        list.iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect(),
    )
}

/// Runs script `name`; with `bin_fallback`, a name that is no script is a
/// package binary (`pnpm prisma db push`), unless it names a database
/// script (`pnpm db:reset`) and no program dbguard knows.
pub fn run_script(
    w: &mut Walker,
    manager: &str,
    name: &Word,
    args: &[Word],
    inv: &Invocation,
    scope: &Scope,
    bin_fallback: bool,
) {
    let args: Vec<&Word> = args.iter().filter(|a| a.text != "--").collect();
    // A script defined earlier on the line runs as defined, whatever its name.
    if let Some(defined) = script_edits::defined(w, &name.text) {
        let mut text = defined;
        for arg in &args {
            text.push(' ');
            text.push_str(&quote(&arg.text));
        }
        return w.nested_shell(
            &text,
            format!("{manager} script `{}` defined on this line", name.text),
            scope,
        );
    }
    match find_scripts(w, scope) {
        Found::Scripts(dir, scripts) => {
            let get = |key: &str| scripts.get(key).and_then(|v| v.as_str()).map(str::to_string);
            if let Some(main) = get(&name.text) {
                // Scripts of another package are told apart by its folder.
                let place = match dir.strip_prefix(&w.ctx.cwd) {
                    Ok(rel) if !rel.as_os_str().is_empty() => format!(" in {}", rel.display()),
                    Ok(_) => String::new(),
                    Err(_) => format!(" in {}", dir.display()),
                };
                let package_scope = scope.in_dir(Some(dir));
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
                        w.nested_shell(&text, format!("{manager} script `{key}`{place}"), &package_scope);
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
    if bin_fallback && (super::is_known(&name.text) || !super::sounds_like_database(&name.text)) {
        let mut words = vec![name.clone()];
        words.extend(args.into_iter().cloned());
        w.invocation(&inv.with_words(words), scope);
    } else if name.dynamic || super::sounds_like_database(&name.text) {
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
    // A folder only known at run time: judged by the script's name alone.
    let Some(cwd) = &scope.cwd else {
        return Found::Nothing;
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

/// Single-quotes a word for the shell.
fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "'\\''"))
}
