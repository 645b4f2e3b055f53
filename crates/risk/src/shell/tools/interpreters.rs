//! Programs that run shell text: shells (`bash -c`, a script file, a script
//! on standard input), `eval`, `trap`, `su -c`, `source`, and script files
//! run by path. Remote shells (`ssh`) are in [`super::remote`].

use super::super::ast::Word;
use super::super::opts::{read, Items, Spec};
use super::super::walk::{InputText, Invocation, Scope, Walker};
use super::wrappers::{joined, shell_text};
use crate::rules::Rule;

/// Classifies what `name` runs.
pub fn run(w: &mut Walker, name: &str, inv: &Invocation, scope: &Scope) {
    let args = inv.args();
    match name {
        "eval" => shell_text(w, &joined(args), "eval", scope),
        // `trap 'TEXT' SIGNALS…`: TEXT runs on the signal or at exit.
        "trap" => {
            if let [action, _, ..] = args {
                if !action.text.starts_with('-') {
                    shell_text(w, action, "trap", scope);
                }
            }
        }
        "source" | "." => {
            if let Some(file) = args.first() {
                script_file(w, file, inv, scope, true);
            }
        }
        "script" => {
            // util-linux `script [options] [-c command] [file]`: runs the
            // command in a shell on a pseudo-terminal.
            let spec = Spec {
                short_values: "cEIOBTmt",
                long_values: &[
                    "command",
                    "echo",
                    "log-in",
                    "log-out",
                    "log-io",
                    "log-timing",
                    "logging-format",
                    "output-limit",
                ],
            };
            let (items, _) = read(args, &spec, false);
            match items.values(&["-c", "--command"]).first() {
                Some(command) => shell_text(w, command, "script -c", scope),
                None => w.add(
                    Rule::InteractiveSession,
                    "script opens an interactive shell",
                    &inv.text,
                ),
            }
        }
        "su" => {
            let spec = Spec {
                short_values: "cgGsw",
                long_values: &["command", "group", "supp-group", "shell", "whitelist-environment"],
            };
            let (items, _) = read(args, &spec, false);
            match items.values(&["-c", "--command"]).first() {
                Some(command) => shell_text(w, command, "su -c", scope),
                None => w.add(
                    Rule::InteractiveSession,
                    "su opens an interactive shell",
                    &inv.text,
                ),
            }
        }
        _ => shell(w, name, inv, scope),
    }
}

/// `bash [options] [-c TEXT | FILE | < input]`.
fn shell(w: &mut Walker, name: &str, inv: &Invocation, scope: &Scope) {
    let args = inv.args();
    let mut command_mode = false;
    // `-s`: the script is standard input and the operands are its arguments.
    let mut stdin_mode = false;
    let mut i = 0;
    while let Some(arg) = args.get(i) {
        let text = arg.text.as_str();
        if text == "--" || text == "-" {
            i += 1;
            break;
        }
        if matches!(text, "--rcfile" | "--init-file") || text == "-o" || text == "+o" {
            i += 2;
            continue;
        }
        if text.starts_with("--") {
            i += 1;
            continue;
        }
        if (text.starts_with('-') || text.starts_with('+')) && text.len() > 1 {
            command_mode |= text.contains('c');
            stdin_mode |= text.starts_with('-') && text.contains('s');
            i += 1;
            continue;
        }
        break;
    }
    match args.get(i).filter(|_| command_mode || !stdin_mode) {
        Some(operand) if command_mode => shell_text(w, operand, &format!("{name} -c"), scope),
        Some(file) => script_file(w, file, inv, scope, true),
        None if command_mode => {}
        None => match w.read_input(&inv.stdin, scope) {
            InputText::Interactive => w.add(
                Rule::InteractiveSession,
                format!("{name} opens an interactive shell"),
                &inv.text,
            ),
            InputText::Text(text, origin) => w.nested_shell(&text, format!("{name} reading {origin}"), scope),
            InputText::Unreadable(why) => w.add(
                Rule::DynamicCommand,
                format!("{name} runs a script from standard input that cannot be read: {why}"),
                &inv.text,
            ),
        },
    }
}

/// A program run by path (`./scripts/x.sh`): shell scripts are read and
/// classified; a database tool's entry point
/// (`node_modules/prisma/build/index.js`, executable through its shebang)
/// is that tool; other programs and missing files are not classified.
pub fn program_file(w: &mut Walker, inv: &Invocation, scope: &Scope) {
    if let Some(tool) = super::code::entry_point(&inv.words[0].text) {
        let mut words = vec![Word::literal(tool)];
        words.extend(inv.args().iter().cloned());
        return w.invocation(&inv.with_words(words), scope);
    }
    script_file(w, &inv.words[0], inv, scope, false);
}

/// Reads and classifies a shell script. `explicit` when a shell was asked to
/// run it (then any file is shell, and one that cannot be read is high
/// risk). A missing one is high when this line may have made it since, and
/// medium when its name says it works on the database: what it will do
/// when it exists is unknown.
fn script_file(w: &mut Walker, file: &Word, inv: &Invocation, scope: &Scope, explicit: bool) {
    match w.read_file(file, scope) {
        Ok((text, name)) => {
            if explicit || is_shell_script(&name, &text) {
                w.nested_shell(&text, name, scope);
            }
        }
        Err(why) if !why.ends_with("does not exist") => {
            if explicit || why.contains("may create it") {
                w.add(
                    Rule::DynamicCommand,
                    format!("runs a script that cannot be read: {why}"),
                    &inv.text,
                );
            }
        }
        Err(why) if super::sounds_like_database(&file.text) => w.add(
            Rule::CodeUnreadable,
            format!("runs a script whose name says it works on the database, which cannot be read: {why}"),
            &inv.text,
        ),
        Err(_) => {}
    }
}

fn is_shell_script(name: &str, text: &str) -> bool {
    if [".sh", ".bash", ".zsh"].iter().any(|ext| name.ends_with(ext)) {
        return true;
    }
    let first = text.lines().next().unwrap_or_default();
    first.starts_with("#!")
        && [
            "/sh", "/bash", "/zsh", "/dash", "/ksh", "env sh", "env bash", "env zsh",
        ]
        .iter()
        .any(|s| first.contains(s))
}
