//! `git`: what it runs besides itself. An alias whose value starts with
//! `!` is a shell command (`git -c alias.x='!dropdb farm' x`, or one
//! defined with `git config alias.x …` to run later); hooks are scripts git
//! runs on its own (`.git/hooks/pre-commit`, or a folder named by
//! `core.hooksPath`, given with `-c` or set with `git config`). The shell
//! text of each is classified; hooks that cannot be read are treated as
//! the worst script they could be. Settings whose values are commands
//! (`core.fsmonitor`, `core.sshCommand`, `core.pager`, editors, diff and
//! merge drivers, filters, `!` credential helpers, …) are classified as the
//! shell text git hands them to, whether given with `-c` or set with `git
//! config`; so are `git rebase --exec`, `git submodule foreach` and `git
//! bisect run`. `git stash --all` takes ignored files (backups, the local
//! cluster's data folder) off the disk. File deletion (`git clean`, `git
//! rm`) is in [`super::files`].

use super::super::ast::{Simple, Word};
use super::super::walk::{Invocation, Scope, Walker};
use crate::rules::Rule;

/// The subcommands that run hooks.
const RUNS_HOOKS: &[&str] = &[
    "commit",
    "merge",
    "pull",
    "push",
    "rebase",
    "checkout",
    "switch",
    "am",
    "cherry-pick",
    "revert",
    "gc",
    "worktree",
    "clone",
];

/// Classifies a `git …` command.
pub fn classify(w: &mut Walker, inv: &Invocation, scope: &Scope) {
    let args = inv.args();
    let mut configs: Vec<(String, Word)> = Vec::new();
    let mut dir = scope.clone();
    let mut i = 0;
    while let Some(arg) = args.get(i) {
        let text = arg.text.as_str();
        match text {
            "-c" | "-C" | "--git-dir" | "--work-tree" | "--namespace" | "--config-env" => {
                if let Some(value) = args.get(i + 1) {
                    if text == "-c" {
                        if let Some((key, val)) = value.text.split_once('=') {
                            configs.push((
                                key.to_lowercase(),
                                Word {
                                    text: val.to_string(),
                                    ..value.clone()
                                },
                            ));
                        }
                    } else if text == "-C" {
                        dir = scope.in_dir(w.resolve(&value.text, scope));
                    }
                }
                i += 2;
            }
            _ if text.starts_with('-') => i += 1,
            _ => break,
        }
    }
    for (key, value) in &configs {
        command_setting(w, key, value, inv, &dir);
    }
    let Some(sub) = args.get(i) else { return };
    let rest = &args[i + 1..];
    if let Some((_, value)) = configs
        .iter()
        .rev()
        .find(|(key, _)| *key == format!("alias.{}", sub.text))
    {
        return alias(w, value, rest, inv, &dir);
    }
    if sub.text == "config" {
        return config(w, rest, inv, &dir);
    }
    if RUNS_HOOKS.contains(&sub.text.as_str()) {
        match configs.iter().rev().find(|(key, _)| key == "core.hookspath") {
            Some((_, folder)) => hooks(w, folder, inv, &dir, true),
            None => hooks(w, &Word::literal(".git/hooks"), inv, &dir, false),
        }
    }
    match sub.text.as_str() {
        "rebase" => rebase_exec(w, rest, inv, &dir),
        "submodule" => submodule_foreach(w, rest, &dir),
        "bisect" if rest.first().is_some_and(|a| a.text == "run") => {
            w.invocation(&inv.with_words(rest[1..].to_vec()), &dir)
        }
        "stash" => stash(w, rest, inv),
        _ => {}
    }
    super::files::git(w, sub, rest, inv, &dir);
}

/// The shell text a setting's value is, when git runs it as a command.
fn command_value<'v>(key: &str, value: &'v str) -> Option<&'v str> {
    const COMMANDS: &[&str] = &[
        "core.sshcommand",
        "core.pager",
        "core.editor",
        "core.askpass",
        "sequence.editor",
        "diff.external",
        "gpg.program",
        "sendemail.sendmailcmd",
        "interactive.difffilter",
    ];
    const COMMAND_SUFFIXES: &[&str] = &[
        ".textconv",
        ".command",
        ".cmd",
        ".driver",
        ".clean",
        ".smudge",
        ".process",
        ".program",
    ];
    let switch = matches!(
        value.to_lowercase().as_str(),
        "" | "true" | "false" | "yes" | "no" | "on" | "off" | "0" | "1"
    );
    if key == "core.fsmonitor" || key.starts_with("pager.") {
        return (!switch).then_some(value);
    }
    if key == "credential.helper" || (key.starts_with("credential.") && key.ends_with(".helper")) {
        return value.strip_prefix('!');
    }
    let command = COMMANDS.contains(&key) || COMMAND_SUFFIXES.iter().any(|s| key.ends_with(s));
    command.then_some(value)
}

/// A setting whose value git runs as a command: its shell text is classified.
fn command_setting(w: &mut Walker, key: &str, value: &Word, inv: &Invocation, scope: &Scope) {
    if let Some(shell) = command_value(key, &value.text) {
        run_command(
            w,
            &format!("git setting {key}"),
            shell,
            value.dynamic,
            &inv.text,
            scope,
        );
    }
}

/// Environment variables whose values git runs as commands.
const COMMAND_VARIABLES: &[&str] = &[
    "GIT_SSH_COMMAND",
    "GIT_SSH",
    "GIT_EDITOR",
    "GIT_SEQUENCE_EDITOR",
    "GIT_PAGER",
    "GIT_EXTERNAL_DIFF",
    "GIT_ASKPASS",
    "EDITOR",
    "VISUAL",
    "PAGER",
];

/// `GIT_SSH_COMMAND=… git fetch`, `EDITOR=… git commit`: variables before
/// `git` whose values it runs as commands.
pub fn environment(w: &mut Walker, simple: &Simple, scope: &Scope) {
    if simple
        .words
        .first()
        .is_none_or(|w| super::program_name(&w.text) != "git")
    {
        return;
    }
    for assignment in simple
        .assignments
        .iter()
        .filter(|a| COMMAND_VARIABLES.contains(&a.name.as_str()))
    {
        let text = format!("{}={}", assignment.name, assignment.value.text);
        let value = &assignment.value;
        run_command(w, &assignment.name, &value.text, value.dynamic, &text, scope);
    }
}

/// Classifies the shell text git runs for `what`.
fn run_command(w: &mut Walker, what: &str, shell: &str, dynamic: bool, text: &str, scope: &Scope) {
    if dynamic {
        return w.add(
            Rule::DynamicCommand,
            format!("{what} makes git run a command only known at run time: {shell}"),
            text,
        );
    }
    w.nested_shell(shell, what.to_string(), scope);
}

/// `git rebase -x CMD` / `--exec CMD`: shell text run after each commit.
fn rebase_exec(w: &mut Walker, rest: &[Word], inv: &Invocation, scope: &Scope) {
    for (i, arg) in rest.iter().enumerate() {
        let command = match arg.text.as_str() {
            "-x" | "--exec" => rest.get(i + 1).map(|c| (c.text.as_str(), c)),
            text => text.strip_prefix("--exec=").map(|c| (c, arg)),
        };
        if let Some((command, word)) = command {
            run_command(w, "git rebase --exec", command, word.dynamic, &inv.text, scope);
        }
    }
}

/// `git submodule [--quiet] foreach [--recursive] CMD…`: shell text run in each submodule.
fn submodule_foreach(w: &mut Walker, rest: &[Word], scope: &Scope) {
    let mut words = rest.iter().skip_while(|a| a.text.starts_with('-'));
    if words.next().is_none_or(|a| a.text != "foreach") {
        return;
    }
    let command: Vec<&str> = words
        .skip_while(|a| a.text.starts_with('-'))
        .map(|a| a.text.as_str())
        .collect();
    if !command.is_empty() {
        w.nested_shell(&command.join(" "), "git submodule foreach".to_string(), scope);
    }
}

/// `git stash --all` removes ignored files (backups, `.dbguard/` with the
/// local cluster's data folder) from the disk; dropping the stash loses
/// them. `-u` takes untracked files, lost when a later `stash drop` or
/// `stash clear` on the line drops them.
fn stash(w: &mut Walker, rest: &[Word], inv: &Invocation) {
    let flag = |long: &str, short: char| {
        rest.iter().any(|a| {
            a.text == long || (a.text.starts_with('-') && !a.text.starts_with("--") && a.text.contains(short))
        })
    };
    let sub = rest
        .iter()
        .find(|a| !a.text.starts_with('-'))
        .map(|a| a.text.as_str());
    if matches!(sub, None | Some("push" | "save")) {
        if flag("--all", 'a') {
            return w.add(
                Rule::DeleteDatabaseFiles,
                "git stash --all takes ignored files off the disk: backups and the local cluster's data folder under .dbguard",
                &inv.text,
            );
        }
        w.memory.stashed_untracked |= flag("--include-untracked", 'u');
    } else if matches!(sub, Some("drop" | "clear")) && w.memory.stashed_untracked {
        w.add(
            Rule::DeleteDatabaseFiles,
            "dropping a stash of untracked files deletes them, backups and local database files included",
            &inv.text,
        );
    }
}

/// An alias used on this line: `!…` is shell text run with the arguments.
fn alias(w: &mut Walker, value: &Word, rest: &[Word], inv: &Invocation, scope: &Scope) {
    let Some(shell) = value.text.strip_prefix('!') else {
        let mut words = vec![Word::literal("git")];
        words.extend(value.text.split_whitespace().map(Word::literal));
        words.extend(rest.iter().cloned());
        return w.invocation(&inv.with_words(words), scope);
    };
    if value.dynamic {
        return w.add(
            Rule::DynamicCommand,
            format!(
                "a git alias runs a command only known at run time: {}",
                value.text
            ),
            &inv.text,
        );
    }
    let mut line = shell.to_string();
    for arg in rest {
        line.push(' ');
        line.push_str(&arg.text);
    }
    w.nested_shell(&line, "git alias".to_string(), scope);
}

/// `git config [options] NAME [VALUE]`: an alias that runs shell text, or
/// a hooks folder, set now to run later.
fn config(w: &mut Walker, rest: &[Word], inv: &Invocation, scope: &Scope) {
    let mut operands = Vec::new();
    let mut i = 0;
    while let Some(arg) = rest.get(i) {
        match arg.text.as_str() {
            "-f" | "--file" | "--blob" | "--type" | "--default" | "--comment" => i += 2,
            text if text.starts_with('-') => {
                if matches!(
                    text,
                    "--get" | "--get-all" | "--get-regexp" | "--list" | "-l" | "--unset" | "--unset-all"
                ) {
                    return;
                }
                i += 1;
            }
            _ => {
                operands.push(arg);
                i += 1;
            }
        }
    }
    let [name, value, ..] = operands.as_slice() else {
        return;
    };
    let name = name.text.to_lowercase();
    if name.starts_with("alias.") {
        if let Some(shell) = value.text.strip_prefix('!') {
            let shown = Word {
                text: format!("!{shell}"),
                ..(*value).clone()
            };
            alias(w, &shown, &[], inv, scope);
        }
    } else if name == "core.hookspath" {
        hooks(w, value, inv, scope, true);
    } else {
        command_setting(w, &name, value, inv, scope);
    }
}

/// The hooks in `folder`: each script is classified. `named` when the
/// line names the folder; then one that cannot be read is high risk.
fn hooks(w: &mut Walker, folder: &Word, inv: &Invocation, scope: &Scope, named: bool) {
    let unreadable = |w: &mut Walker, why: String| {
        w.add(
            Rule::DynamicCommand,
            format!("git runs hooks from {}, which cannot be read: {why}", folder.text),
            &inv.text,
        )
    };
    if folder.dynamic {
        return unreadable(w, "the folder is only known at run time".to_string());
    }
    let Some(path) = w.resolve(&folder.text, scope) else {
        if named {
            unreadable(w, "its folder is only known at run time".to_string());
        }
        return;
    };
    let names = match w.ctx.files.list(&path) {
        Ok(names) => names,
        Err(_) if !named => return,
        Err(_) => return unreadable(w, "the folder does not exist or cannot be listed".to_string()),
    };
    for name in names.iter().filter(|n| !n.ends_with(".sample")) {
        let file = Word::literal(path.join(name).to_string_lossy());
        match w.read_file(&file, scope) {
            Ok((text, origin)) => w.nested_shell(&text, format!("git hook {origin}"), scope),
            Err(why) => unreadable(w, why),
        }
    }
}
