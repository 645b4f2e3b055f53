//! Programs whose own script language runs shell commands: `awk`
//! (`system()`, `print … | "cmd"`, `"cmd" | getline`), `expect` (`spawn`,
//! `exec`, and what it types into a shell it spawned) and the vi family
//! (`-c '!cmd'`, `+'r !cmd'`, `:terminal cmd`). The commands they carry as
//! text are classified as shell; a command they build at run time is
//! treated as the worst command it could be.

use super::super::ast::Word;
use super::super::opts::{read, Item, Items, Spec};
use super::super::walk::{InputText, Invocation, Scope, Walker};
use super::nested::runs_known_program;
use super::{is_known, program_name};
use crate::rules::Rule;

/// Whether `name` is a program of this module.
pub fn handles(name: &str) -> bool {
    is_awk(name) || name == "expect" || is_vi(name)
}

fn is_awk(name: &str) -> bool {
    matches!(name, "awk" | "gawk" | "mawk" | "nawk" | "busybox-awk")
}

fn is_vi(name: &str) -> bool {
    matches!(
        name,
        "vi" | "vim" | "nvim" | "ex" | "view" | "gvim" | "vimdiff" | "rvim" | "nvi" | "elvis"
    )
}

/// Classifies what `name` runs.
pub fn classify(w: &mut Walker, name: &str, inv: &Invocation, scope: &Scope) {
    if is_awk(name) {
        awk(w, name, inv, scope);
    } else if name == "expect" {
        expect(w, inv, scope);
    } else {
        vi(w, name, inv, scope);
    }
}

/// A script given by value, by file (`-f FILE`), or as the first operand.
fn program_text(
    w: &mut Walker,
    name: &str,
    code: &[&Word],
    files: &[&Word],
    inv: &Invocation,
    scope: &Scope,
) -> Vec<String> {
    let mut texts = Vec::new();
    for word in code {
        if word.dynamic {
            w.add(
                Rule::DynamicCommand,
                format!("{name} runs a program only known at run time: {}", word.text),
                &inv.text,
            );
        } else {
            texts.push(word.text.clone());
        }
    }
    for file in files {
        match w.read_file(file, scope) {
            Ok((text, _)) => texts.push(text),
            Err(why) => w.add(
                Rule::DynamicCommand,
                format!("{name} runs a program file that cannot be read: {why}"),
                &inv.text,
            ),
        }
    }
    texts
}

fn awk(w: &mut Walker, name: &str, inv: &Invocation, scope: &Scope) {
    let spec = Spec {
        short_values: "Fvfe",
        long_values: &["field-separator", "assign", "file", "source", "include", "exec"],
    };
    let (items, _) = read(inv.args(), &spec, false);
    let files = items.values(&["-f", "--file", "--exec", "--include"]);
    let mut code = items.values(&["-e", "--source"]);
    let operands = items.operands();
    if code.is_empty() && files.is_empty() {
        code.extend(operands.first().copied());
    }
    for text in program_text(w, name, &code, &files, inv, scope) {
        awk_program(w, name, &text, inv, scope);
    }
}

/// One awk program: its string literals that are commands, and the places
/// where it runs a command it builds at run time.
fn awk_program(w: &mut Walker, name: &str, text: &str, inv: &Invocation, scope: &Scope) {
    let (masked, literals) = mask_strings(text, b'"');
    for literal in &literals {
        carried_command(w, literal, name, scope);
    }
    let dynamic = |why: String| (Rule::DynamicCommand, format!("{name} {why}"));
    let mut findings = Vec::new();
    for args in calls(&masked, "system") {
        if args.trim() != MARK {
            findings.push(dynamic("runs a command it builds at run time (system)".into()));
        }
    }
    let bytes = masked.as_bytes();
    for (i, _) in masked.match_indices('|') {
        if bytes.get(i + 1) == Some(&b'|') || (i > 0 && bytes[i - 1] == b'|') {
            continue;
        }
        let after = masked[i + 1..].trim_start_matches('&').trim_start();
        let before = masked[..i].trim_end();
        if after.starts_with("getline") {
            if !before.ends_with(MARK)
                && before.ends_with(|c: char| c.is_alphanumeric() || c == '_' || c == ')')
            {
                findings.push(dynamic("runs a command it builds at run time (| getline)".into()));
            }
        } else if after.starts_with(MARK) {
            // The literal that starts there is the command the output goes to.
            let index = masked[..masked.len() - after.len()].matches(MARK).count();
            let target = &literals[index];
            let program = program_name(target.split_whitespace().next().unwrap_or_default());
            if is_shell(&program) || is_known(&program) {
                findings.push(dynamic(format!(
                    "pipes what it prints into `{target}`, which runs it"
                )));
            }
        }
    }
    for (rule, message) in findings {
        w.add(rule, message, &inv.text);
    }
}

fn is_shell(name: &str) -> bool {
    matches!(name, "sh" | "bash" | "zsh" | "dash" | "ksh" | "ash" | "fish")
}

/// A literal a script runs as a shell command: classified when it runs a
/// program dbguard knows.
fn carried_command(w: &mut Walker, literal: &str, via: &str, scope: &Scope) {
    let command = literal.replace("\\r", "").replace("\\n", "\n");
    if runs_known_program(&command) {
        w.nested_shell(&command, format!("{via} runs"), scope);
    }
}

/// What stands for a string literal in masked code.
const MARK: &str = "\u{1}";

/// `text` with each string literal quoted by `quote` replaced by [`MARK`],
/// and the literals' contents.
fn mask_strings(text: &str, quote: u8) -> (String, Vec<String>) {
    let mut masked = String::with_capacity(text.len());
    let mut literals = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some((_, c)) = chars.next() {
        if c as u32 != quote as u32 {
            masked.push(c);
            continue;
        }
        let mut literal = String::new();
        while let Some((_, c)) = chars.next() {
            match c {
                '\\' => match chars.next() {
                    Some((_, '"')) => literal.push('"'),
                    Some((_, '\\')) => literal.push('\\'),
                    Some((_, other)) => {
                        literal.push('\\');
                        literal.push(other);
                    }
                    None => {}
                },
                c if c as u32 == quote as u32 => break,
                c => literal.push(c),
            }
        }
        masked.push_str(MARK);
        literals.push(literal);
    }
    (masked, literals)
}

/// The argument text of each call `name(…)` in masked code.
fn calls<'a>(masked: &'a str, name: &str) -> Vec<&'a str> {
    let mut found = Vec::new();
    for (i, _) in masked.match_indices(name) {
        let before = masked[..i].chars().next_back();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        let rest = masked[i + name.len()..].trim_start();
        let Some(inner) = rest.strip_prefix('(') else {
            continue;
        };
        let mut depth = 1;
        let end = inner
            .char_indices()
            .find(|(_, c)| {
                match c {
                    '(' => depth += 1,
                    ')' => depth -= 1,
                    _ => {}
                }
                depth == 0
            })
            .map(|(j, _)| j)
            .unwrap_or(inner.len());
        found.push(&inner[..end]);
    }
    found
}

fn expect(w: &mut Walker, inv: &Invocation, scope: &Scope) {
    let spec = Spec {
        short_values: "cfD",
        long_values: &[],
    };
    let (items, _) = read(inv.args(), &spec, false);
    let code = items.values(&["-c"]);
    let mut files = items.values(&["-f"]);
    if code.is_empty() && files.is_empty() {
        match items.operands().first() {
            Some(file) if file.text != "-" => files.push(file),
            _ => {
                match w.read_input(&inv.stdin, scope) {
                    InputText::Text(text, _) => expect_script(w, &text, scope),
                    InputText::Unreadable(why) => w.add(
                        Rule::DynamicCommand,
                        format!("expect runs a script that cannot be read: {why}"),
                        &inv.text,
                    ),
                    InputText::Interactive => {}
                }
                return;
            }
        }
    }
    for text in program_text(w, "expect", &code, &files, inv, scope) {
        expect_script(w, &text, scope);
    }
}

/// An expect (Tcl) script: what `spawn` and `exec` start, and, once it
/// spawned a shell, the lines it types into it.
fn expect_script(w: &mut Walker, text: &str, scope: &Scope) {
    let mut shell_spawned = false;
    for statement in text.split(['\n', ';']) {
        let statement = statement.trim();
        let (command, rest) = statement
            .split_once(char::is_whitespace)
            .unwrap_or((statement, ""));
        match command {
            "spawn" | "exec" => {
                let rest = rest
                    .split_whitespace()
                    .skip_while(|word| word.starts_with('-'))
                    .collect::<Vec<_>>()
                    .join(" ");
                shell_spawned |= is_shell(&program_name(rest.split_whitespace().next().unwrap_or_default()));
                w.nested_shell(&rest, format!("expect {command}"), scope);
            }
            "send" if shell_spawned => {
                let (_, literals) = mask_strings(rest, b'"');
                for literal in literals {
                    let typed = literal.replace("\\r", "\n").replace("\\n", "\n");
                    w.nested_shell(&typed, "expect send".to_string(), scope);
                }
            }
            _ => {
                let (_, literals) = mask_strings(statement, b'"');
                for literal in &literals {
                    carried_command(w, literal, "expect", scope);
                }
            }
        }
    }
}

fn vi(w: &mut Walker, name: &str, inv: &Invocation, scope: &Scope) {
    let spec = Spec {
        short_values: "cSTuUwWi",
        long_values: &["cmd"],
    };
    let (items, _) = read(inv.args(), &spec, false);
    let mut commands: Vec<&Word> = items.values(&["-c", "--cmd"]);
    for item in &items {
        if let Item::Operand(word) = item {
            if word.text.starts_with('+') {
                commands.push(word);
            }
        }
    }
    for file in items.values(&["-S"]) {
        match w.read_file(file, scope) {
            Ok((text, _)) => {
                for line in text.lines() {
                    ex_command(w, name, line, inv, scope);
                }
            }
            Err(why) => w.add(
                Rule::DynamicCommand,
                format!("{name} sources a script that cannot be read: {why}"),
                &inv.text,
            ),
        }
    }
    for command in commands {
        if command.dynamic {
            w.add(
                Rule::DynamicCommand,
                format!(
                    "{name} runs an editor command only known at run time: {}",
                    command.text
                ),
                &inv.text,
            );
        } else {
            ex_command(w, name, command.text.trim_start_matches('+'), inv, scope);
        }
    }
}

/// One ex command: a filter or shell escape (`!cmd`, `r !cmd`, `w !cmd`,
/// `%!cmd`), `:terminal cmd`, or `system('…')` calls.
fn ex_command(w: &mut Walker, name: &str, command: &str, inv: &Invocation, scope: &Scope) {
    let command = command.trim_start_matches([':', ' ', '\t']);
    let command = command
        .strip_prefix("silent!")
        .or_else(|| command.strip_prefix("silent"))
        .unwrap_or(command)
        .trim_start();
    if let Some(bang) = command.find('!') {
        let head = command[..bang].trim();
        let is_escape = head
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '%' | '.' | ',' | '$' | '\'' | '<' | '>' | ' '))
            || matches!(head, "r" | "read" | "w" | "write");
        if is_escape {
            let shell = command[bang + 1..].trim();
            if !shell.is_empty() {
                w.nested_shell(shell, format!("{name} !"), scope);
            }
            return;
        }
    }
    for keyword in ["terminal ", "term "] {
        if let Some(shell) = command.strip_prefix(keyword) {
            return w.nested_shell(shell.trim(), format!("{name} :terminal"), scope);
        }
    }
    let (single, quoted) = mask_strings(command, b'\'');
    let (masked, double) = mask_strings(&single, b'"');
    for literal in quoted.iter().chain(&double) {
        carried_command(w, literal, name, scope);
    }
    let built = ["system", "systemlist"]
        .iter()
        .flat_map(|f| calls(&masked, f))
        .any(|args| args.trim() != MARK);
    if built {
        w.add(
            Rule::DynamicCommand,
            format!("{name} runs a command it builds at run time (system)"),
            &inv.text,
        );
    }
}
