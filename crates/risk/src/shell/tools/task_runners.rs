//! Task runners, resolved through the files they read: `make` (Makefile
//! recipes and their prerequisites, with the file's own variables), `just`
//! (justfile recipes), `turbo`, `nx` and `lerna` (the package.json scripts
//! of the workspace packages they run in, and nx's `project.json`
//! commands), `concurrently` (each argument a command line, `npm:x` a
//! script) and `npm-run-all`/`run-s`/`run-p` (script names). A file that
//! cannot be read fails closed as an unresolved script: medium when the
//! task's name says it touches the database, as for npm scripts.

use std::collections::HashMap;
use std::path::PathBuf;

use super::super::ast::Word;
use super::super::opts::{read, Items, Spec};
use super::super::walk::{InputText, Invocation, Scope, Walker};
use super::packages::{lacks_script, package_scopes, run_script, Where};
use super::wrappers::shell_text;
use crate::rules::Rule;
use crate::ReadError;

const NAMES: &[&str] = &[
    "make",
    "gmake",
    "just",
    "turbo",
    "nx",
    "lerna",
    "concurrently",
    "npm-run-all",
    "run-s",
    "run-p",
];

/// Whether `name` is a task runner of this module.
pub fn handles(name: &str) -> bool {
    NAMES.contains(&name)
}

/// Classifies what a task runner runs.
pub fn run(w: &mut Walker, name: &str, inv: &Invocation, scope: &Scope) {
    match name {
        "make" | "gmake" => make(w, inv, scope),
        "just" => just(w, inv, scope),
        "concurrently" => concurrently(w, inv, scope),
        "npm-run-all" | "run-s" | "run-p" => npm_run_all(w, inv, scope),
        _ => workspace_task(w, name, inv, scope),
    }
}

/// Recipes by target: the lines of each, and its prerequisites.
struct Recipes {
    recipes: HashMap<String, (Vec<String>, Vec<String>)>,
    first: Option<String>,
}

/// The recipes of a Makefile (`target: prereqs` then tab-indented lines) or
/// justfile (`name args: deps` then indented lines); variables of the file
/// are filled in, others become shell variables (only known at run time).
fn recipes(text: &str, just: bool) -> Recipes {
    let mut variables: HashMap<String, String> = HashMap::from([("MAKE".to_string(), "make".to_string())]);
    let mut recipes: HashMap<String, (Vec<String>, Vec<String>)> = HashMap::new();
    let mut first = None;
    let mut current: Vec<String> = Vec::new();
    for raw in text.lines() {
        let indented = raw.starts_with('\t') || (just && raw.starts_with(' '));
        if indented && !current.is_empty() {
            let line = raw.trim().trim_start_matches(['@', '-', '+']).trim();
            if !line.is_empty() && !line.starts_with('#') {
                for target in &current {
                    if let Some(recipe) = recipes.get_mut(target) {
                        recipe.0.push(line.to_string());
                    }
                }
            }
            continue;
        }
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some((name, value)) = assignment(line, just) {
            variables.insert(name, value);
            current.clear();
            continue;
        }
        let Some((head, tail)) = line.split_once(':').filter(|(_, t)| !t.starts_with('=')) else {
            current.clear();
            continue;
        };
        let names: Vec<String> = match just {
            true => head
                .split_whitespace()
                .next()
                .into_iter()
                .map(|n| n.trim_start_matches('@').to_string())
                .collect(),
            false => head.split_whitespace().map(str::to_string).collect(),
        };
        let prerequisites: Vec<String> = tail
            .split(['#', ';'])
            .next()
            .unwrap_or_default()
            .split_whitespace()
            .map(|p| p.trim_matches(['(', ')']).to_string())
            .filter(|p| !p.is_empty() && !p.contains('='))
            .collect();
        current = names.into_iter().filter(|n| !n.starts_with('.')).collect();
        // `target: prerequisites ; command`: a recipe line on the rule's own line.
        let inline = (!just)
            .then(|| tail.split('#').next().unwrap_or_default().split_once(';'))
            .flatten()
            .map(|(_, command)| command.trim())
            .filter(|command| !command.is_empty());
        for target in &current {
            first.get_or_insert_with(|| target.clone());
            let recipe = recipes.entry(target.clone()).or_default();
            recipe.1.extend(prerequisites.clone());
            recipe.0.extend(inline.map(str::to_string));
        }
    }
    for (lines, _) in recipes.values_mut() {
        for line in lines.iter_mut() {
            *line = expand(line, &variables, just);
        }
    }
    Recipes { recipes, first }
}

/// `NAME = value`, `NAME := value`, `NAME ?= value` (make) or `name := value` (just).
fn assignment(line: &str, just: bool) -> Option<(String, String)> {
    let (name, value) = line.split_once('=')?;
    let name = name.trim_end_matches([':', '?', '+', ' ']).trim();
    let name = if just {
        name.trim_start_matches("export ").trim()
    } else {
        name
    };
    let valid = !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    valid.then(|| {
        (
            name.to_string(),
            value.trim().trim_matches('\'').trim_matches('"').to_string(),
        )
    })
}

/// Fills `$(NAME)`/`${NAME}` (make) or `{{name}}` (just) from the file's variables.
fn expand(line: &str, variables: &HashMap<String, String>, just: bool) -> String {
    let (open, close) = if just { ("{{", "}}") } else { ("$(", ")") };
    let mut out = String::new();
    let mut rest = line;
    while let Some(start) = rest.find(open) {
        out.push_str(&rest[..start]);
        let after = &rest[start + open.len()..];
        let Some(end) = after.find(close) else {
            rest = &rest[start..];
            break;
        };
        let name = after[..end].trim();
        match variables.get(name) {
            Some(value) => out.push_str(value),
            None => out.push_str(&format!(
                "${{{}}}",
                name.replace(|c: char| !c.is_ascii_alphanumeric(), "_")
            )),
        }
        rest = &after[end + close.len()..];
    }
    out.push_str(rest);
    if just {
        out
    } else {
        out.replace("$$", "$")
    }
}

/// Runs `targets` of the first of `files` that exists, followed by the
/// text given on the line (`make --eval TEXT`, `make -f -` reading its
/// input), and their prerequisites.
fn run_recipes(
    w: &mut Walker,
    program: &str,
    files: &[PathBuf],
    given: &str,
    targets: &[Word],
    inv: &Invocation,
    scope: &Scope,
) {
    let mut read_error = None;
    let mut text = None;
    for file in files {
        match w.ctx.files.read(file) {
            Ok(found) => {
                text = Some((found, file.clone()));
                break;
            }
            Err(ReadError::NotFound) => {}
            Err(ReadError::Unreadable(why)) => read_error = Some(format!("{}: {why}", file.display())),
        }
    }
    let (text, file) = match text {
        Some((text, file)) => (format!("{text}\n{given}"), file),
        None if !given.is_empty() => (given.to_string(), files.first().cloned().unwrap_or_default()),
        None => {
            let why = read_error.unwrap_or_else(|| "its file cannot be found".to_string());
            return unresolved(w, program, targets, &why, inv, read_error_is_fatal(&why));
        }
    };
    let parsed = recipes(&text, program == "just");
    let wanted: Vec<String> = match targets.is_empty() {
        true => parsed.first.clone().into_iter().collect(),
        false => targets.iter().map(|t| t.text.clone()).collect(),
    };
    let folder = scope.in_dir(file.parent().map(PathBuf::from));
    let mut seen = Vec::new();
    let mut queue = wanted;
    while let Some(target) = queue.pop() {
        if seen.contains(&target) || seen.len() > 64 {
            continue;
        }
        seen.push(target.clone());
        let Some((lines, prerequisites)) = parsed.recipes.get(&target) else {
            if program == "just" || super::sounds_like_database(&target) {
                unresolved(w, program, &[Word::literal(target)], "no such recipe", inv, false);
            }
            continue;
        };
        queue.extend(prerequisites.iter().cloned());
        let body = lines.join("\n");
        if !body.is_empty() {
            w.nested_shell(&body, format!("{program} recipe `{target}`"), &folder);
        }
    }
}

fn read_error_is_fatal(why: &str) -> bool {
    why != "its file cannot be found"
}

fn unresolved(w: &mut Walker, program: &str, targets: &[Word], why: &str, inv: &Invocation, always: bool) {
    let names: Vec<&str> = targets.iter().map(|t| t.text.as_str()).collect();
    if always
        || targets
            .iter()
            .any(|t| t.dynamic || super::sounds_like_database(&t.text))
    {
        w.add(
            Rule::ScriptUnresolved,
            format!("{program} task `{}` cannot be resolved: {why}", names.join(" ")),
            &inv.text,
        );
    }
}

/// `make [-C DIR] [-f FILE] [TARGET…] [VAR=value…]`.
fn make(w: &mut Walker, inv: &Invocation, scope: &Scope) {
    let spec = Spec {
        short_values: "CfIjlWoE",
        long_values: &[
            "eval",
            "directory",
            "file",
            "makefile",
            "include-dir",
            "jobs",
            "load-average",
            "what-if",
            "old-file",
        ],
    };
    let (items, _) = read(inv.args(), &spec, false);
    if items.has(&[
        "-n",
        "--dry-run",
        "--just-print",
        "--recon",
        "-q",
        "--question",
        "-p",
        "--print-data-base",
    ]) {
        return;
    }
    let mut folder = scope.clone();
    if let Some(dir) = items.values(&["-C", "--directory"]).last() {
        folder.cwd = w.resolve(&dir.text, scope).filter(|_| !dir.dynamic);
    }
    let targets: Vec<Word> = items
        .operands()
        .into_iter()
        .filter(|o| !o.text.contains('='))
        .cloned()
        .collect();
    // `--eval TEXT` is makefile text read after the makefiles.
    let mut given = String::new();
    for text in items.values(&["-E", "--eval"]) {
        if text.dynamic {
            let message = format!(
                "make --eval runs makefile text only known at run time: {}",
                text.text
            );
            return w.add(Rule::DynamicCommand, message, &inv.text);
        }
        given.push_str(&text.text);
        given.push('\n');
    }
    let files: Vec<PathBuf> = match items.values(&["-f", "--file", "--makefile"]).first() {
        Some(file) if file.text == "-" => {
            match w.read_input(&inv.stdin, scope) {
                InputText::Text(text, _) => given.insert_str(0, &format!("{text}\n")),
                InputText::Unreadable(why) => return unresolved(w, "make", &targets, &why, inv, true),
                InputText::Interactive => {}
            }
            Vec::new()
        }
        Some(file) => w.resolve(&file.text, &folder).into_iter().collect(),
        None => ["GNUmakefile", "makefile", "Makefile"]
            .iter()
            .filter_map(|f| w.resolve(f, &folder))
            .collect(),
    };
    if files.is_empty() && given.is_empty() {
        return unresolved(
            w,
            "make",
            &targets,
            "the folder is only known at run time",
            inv,
            false,
        );
    }
    run_recipes(w, "make", &files, &given, &targets, inv, &folder);
}

/// `just [-f FILE] [-d DIR] [RECIPE [ARGS…]]…`: every operand is taken as a
/// recipe (arguments that are no recipe are left out).
fn just(w: &mut Walker, inv: &Invocation, scope: &Scope) {
    let spec = Spec {
        short_values: "fd",
        long_values: &[
            "justfile",
            "working-directory",
            "set",
            "shell",
            "shell-arg",
            "dotenv-filename",
            "dotenv-path",
            "chooser",
            "command",
            "color",
            "dump-format",
            "list-heading",
            "list-prefix",
        ],
    };
    let (items, _) = read(inv.args(), &spec, false);
    if items.has(&[
        "-n",
        "--dry-run",
        "-l",
        "--list",
        "--summary",
        "--show",
        "-s",
        "--dump",
        "--evaluate",
        "--variables",
        "--choose",
        "--edit",
        "--init",
        "--fmt",
    ]) {
        return;
    }
    let mut folder = scope.clone();
    if let Some(dir) = items.values(&["-d", "--working-directory"]).first() {
        folder.cwd = w.resolve(&dir.text, scope).filter(|_| !dir.dynamic);
    }
    let operands: Vec<Word> = items.operands().into_iter().cloned().collect();
    let files: Vec<PathBuf> = match items.values(&["-f", "--justfile"]).first() {
        Some(file) => w.resolve(&file.text, scope).into_iter().collect(),
        None => {
            let Some(cwd) = folder.cwd.clone() else {
                return unresolved(
                    w,
                    "just",
                    &operands,
                    "the folder is only known at run time",
                    inv,
                    false,
                );
            };
            cwd.ancestors()
                .flat_map(|d| ["justfile", "Justfile", ".justfile"].map(|f| d.join(f)))
                .collect()
        }
    };
    let targets: Vec<Word> = operands.into_iter().take(1).collect();
    run_recipes(w, "just", &files, "", &targets, inv, &folder);
}

/// `concurrently [options] "cmd" "npm:script" …`.
fn concurrently(w: &mut Walker, inv: &Invocation, scope: &Scope) {
    let spec = Spec {
        short_values: "ncpPlmst",
        long_values: &[
            "names",
            "prefix-colors",
            "prefix",
            "prefix-length",
            "max-processes",
            "success",
            "timestamp-format",
            "restart-tries",
            "restart-after",
            "kill-signal",
            "handle-input",
            "default-input-target",
            "passthrough-arguments",
            "kill-others-on-fail",
        ],
    };
    let (items, _) = read(inv.args(), &spec, false);
    // The commands start together: none runs after another has written.
    let before = w.memory.may_have_written;
    for command in items.operands() {
        w.memory.may_have_written = before;
        match command
            .text
            .split_once(':')
            .filter(|(m, _)| matches!(*m, "npm" | "pnpm" | "yarn" | "bun"))
        {
            Some((manager, script)) => {
                let script = Word {
                    text: script.to_string(),
                    ..command.clone()
                };
                run_script(w, manager, &script, &[], inv, scope, false);
            }
            None => shell_text(w, command, "concurrently", scope),
        }
    }
}

/// `npm-run-all [--parallel|-s|-p] NAME…` (names may be `db:*` patterns).
fn npm_run_all(w: &mut Walker, inv: &Invocation, scope: &Scope) {
    let spec = Spec {
        short_values: "c",
        long_values: &["max-parallel", "npm-path", "race"],
    };
    let (items, _) = read(inv.args(), &spec, false);
    for name in items.operands() {
        run_script(w, "npm", name, &[], inv, scope, false);
    }
}

/// `turbo run TASK…`, `nx run PROJECT:TARGET`, `nx run-many -t TARGET`,
/// `lerna run SCRIPT`, `lerna exec -- CMD`: the task is the package.json
/// script of each selected workspace package (or nx's project.json command).
fn workspace_task(w: &mut Walker, name: &str, inv: &Invocation, scope: &Scope) {
    let spec = Spec {
        short_values: "tpF",
        long_values: &[
            "filter",
            "scope",
            "ignore",
            "projects",
            "target",
            "targets",
            "exclude",
            "concurrency",
            "parallel",
            "cache-dir",
            "output-logs",
            "log-order",
            "graph",
            "since",
            "configuration",
            "base",
            "head",
        ],
    };
    let args = inv.args();
    let dash = args.iter().position(|a| a.text == "--");
    let (items, _) = read(&args[..dash.unwrap_or(args.len())], &spec, false);
    let operands: Vec<&Word> = items.operands();
    let sub = operands.first().map(|o| o.text.as_str());
    let mut place = Where {
        filters: items
            .values(&["--filter", "-F", "--scope", "-p", "--projects"])
            .into_iter()
            .cloned()
            .collect(),
        all: false,
    };
    place.all = place.filters.is_empty();
    let mut tasks: Vec<Word> = items
        .values(&["-t", "--target", "--targets"])
        .into_iter()
        .cloned()
        .collect();
    match (name, sub) {
        ("lerna", Some("exec")) | ("nx", Some("exec")) => {
            let words = dash.map(|d| args[d + 1..].to_vec()).unwrap_or_default();
            if !words.is_empty() {
                for folder in package_scopes(w, scope, &place) {
                    w.invocation(&inv.with_words(words.clone()), &folder);
                }
            }
            return;
        }
        ("turbo" | "lerna", Some("run")) => tasks.extend(operands[1..].iter().map(|o| (*o).clone())),
        ("nx", Some("run")) => {
            if let Some(target) = operands.get(1) {
                match target.text.split_once(':') {
                    Some((project, task)) => {
                        place = Where {
                            filters: vec![Word::literal(project)],
                            all: false,
                        };
                        tasks.push(Word::literal(task.split(':').next().unwrap_or(task)));
                    }
                    None => tasks.push((*target).clone()),
                }
            }
        }
        ("nx", Some("run-many" | "affected")) => {}
        ("turbo", Some(task))
            if !matches!(
                task,
                "prune" | "login" | "link" | "unlink" | "gen" | "daemon" | "ls" | "info" | "telemetry"
            ) =>
        {
            tasks.extend(operands.iter().map(|o| (*o).clone()))
        }
        ("nx", Some(task))
            if !matches!(
                task,
                "graph"
                    | "show"
                    | "list"
                    | "report"
                    | "reset"
                    | "daemon"
                    | "format"
                    | "migrate"
                    | "generate"
                    | "g"
                    | "init"
                    | "add"
                    | "release"
                    | "watch"
            ) =>
        {
            // `nx TARGET PROJECT`
            tasks.push((*operands[0]).clone());
            if let Some(project) = operands.get(1) {
                place = Where {
                    filters: vec![(*project).clone()],
                    all: false,
                };
            }
        }
        _ => {}
    }
    for folder in package_scopes(w, scope, &place) {
        for task in &tasks {
            if folder.cwd.is_some() && nx_command(w, name, task, &folder) {
                continue;
            }
            // A package without the script does not run it (the root's is not inherited).
            if lacks_script(w, &folder, &task.text) {
                continue;
            }
            run_script(w, "npm", task, &[], inv, &folder, false);
        }
    }
}

/// An nx `project.json` target with a command (`nx:run-commands`): classified; `true` when found.
fn nx_command(w: &mut Walker, runner: &str, task: &Word, folder: &Scope) -> bool {
    if runner != "nx" {
        return false;
    }
    let Some(path) = folder.cwd.as_ref().map(|d| d.join("project.json")) else {
        return false;
    };
    let Ok(text) = w.ctx.files.read(&path) else {
        return false;
    };
    let Ok(json) = serde_json::from_str::<serde_json::Value>(&text) else {
        return false;
    };
    let options = &json["targets"][task.text.as_str()]["options"];
    let mut commands: Vec<String> = options["command"]
        .as_str()
        .map(str::to_string)
        .into_iter()
        .collect();
    if let Some(list) = options["commands"].as_array() {
        commands.extend(
            list.iter()
                .filter_map(|c| c.as_str().or_else(|| c["command"].as_str()).map(str::to_string)),
        );
    }
    for command in &commands {
        w.nested_shell(command, format!("nx target `{}`", task.text), folder);
    }
    !commands.is_empty()
}

#[cfg(test)]
mod tests {
    use super::recipes;

    #[test]
    fn makefile_recipes_and_variables() {
        let parsed = recipes(
            "DB ?= farm\n.PHONY: reset\nreset: drop seed\n\t@dropdb $(DB)\nseed:\n\tnode seed.js\n",
            false,
        );
        assert_eq!(parsed.recipes["reset"].0, vec!["dropdb farm"]);
        assert_eq!(parsed.recipes["reset"].1, vec!["drop", "seed"]);
        assert_eq!(parsed.first.as_deref(), Some("reset"));
    }

    #[test]
    fn justfile_recipes() {
        let parsed = recipes("db := \"farm\"\nreset name='x': build\n    dropdb {{db}}\n", true);
        assert_eq!(parsed.recipes["reset"].0, vec!["dropdb farm"]);
    }
}
