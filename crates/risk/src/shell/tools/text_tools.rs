//! GNU sed's command-running forms: the `e COMMAND` command runs a shell
//! command, and the `e` flag of `s///e` runs the pattern space as one. The
//! first is classified; the second is only known at run time. Every other
//! sed script only edits text (and `sed -i` on dbguard's own files is
//! judged by [`super::self_protection`]).

use super::super::ast::Word;
use super::super::opts::{read, Items, Spec};
use super::super::walk::{Invocation, Scope, Walker};
use crate::rules::Rule;

const SPEC: Spec = Spec {
    short_values: "efl",
    long_values: &["expression", "file", "line-length"],
};

/// Classifies a `sed` command.
pub fn classify(w: &mut Walker, inv: &Invocation, scope: &Scope) {
    let (items, _) = read(inv.args(), &SPEC, false);
    let mut scripts: Vec<&Word> = items.values(&["-e", "--expression"]);
    let operands = items.operands();
    if scripts.is_empty() && items.values(&["-f", "--file"]).is_empty() {
        scripts.extend(operands.first().copied());
    }
    for script in scripts {
        for command in script.text.split([';', '\n']) {
            match executes(command) {
                Some(Run::Command(line)) if !line.is_empty() => {
                    w.nested_shell(line, "sed e".to_string(), scope);
                }
                Some(Run::PatternSpace) => w.add(
                    Rule::DynamicCommand,
                    "sed's `s///e` runs the edited text as a shell command, only known at run time",
                    &inv.text,
                ),
                _ => {}
            }
        }
    }
}

enum Run<'a> {
    Command(&'a str),
    PatternSpace,
}

/// Whether one sed command runs something.
fn executes(command: &str) -> Option<Run<'_>> {
    let mut rest = command.trim_start();
    // Addresses: line numbers, `$`, `/regex/`, ranges, `!`.
    loop {
        let before = rest.len();
        rest =
            rest.trim_start_matches(|c: char| c.is_ascii_digit() || matches!(c, '$' | ',' | '!' | '~' | ' '));
        if let Some(regex) = rest.strip_prefix('/') {
            rest = regex.find('/').map_or("", |end| &regex[end + 1..]);
        }
        if rest.len() == before {
            break;
        }
    }
    if rest == "e" {
        return Some(Run::PatternSpace);
    }
    if let Some(line) = rest.strip_prefix("e ") {
        return Some(Run::Command(line.trim()));
    }
    let body = rest.strip_prefix('s')?;
    let delimiter = body.chars().next()?;
    if delimiter.is_alphanumeric() || delimiter == '\\' {
        return None;
    }
    let mut parts = body[delimiter.len_utf8()..].splitn(3, delimiter);
    let (_, _, flags) = (parts.next()?, parts.next()?, parts.next()?);
    flags.contains('e').then_some(Run::PatternSpace)
}
