//! Names a line gives to programs for its later commands: `hash -p
//! /usr/bin/dropdb dd` (bash then runs that file for `dd`) and `alias
//! d='dropdb'`. A later command of the line by that name is classified as
//! what it really runs.

use super::super::walk::{Invocation, Scope, Walker};

/// Records `hash -p PATH NAME…` and `alias NAME=VALUE…`; `true` when
/// `inv` was one of them.
pub fn remember(w: &mut Walker, name: &str, inv: &Invocation) -> bool {
    let args = inv.args();
    match name {
        "hash" => {
            let Some(p) = args.iter().position(|a| a.text == "-p") else {
                return true;
            };
            let Some(path) = args.get(p + 1) else { return true };
            for alias in args[p + 2..].iter().filter(|a| !a.text.starts_with('-')) {
                w.memory.aliases.insert(alias.text.clone(), quote(&path.text));
            }
        }
        "alias" => {
            for arg in args {
                if let Some((alias, value)) = arg.text.split_once('=') {
                    w.memory.aliases.insert(alias.to_string(), value.to_string());
                }
            }
        }
        _ => return false,
    }
    true
}

/// Runs `inv` as the alias its program name stands for; `true` when it is one.
pub fn expand(w: &mut Walker, inv: &Invocation, scope: &Scope) -> bool {
    let name = &inv.words[0].text;
    // Inside its own expansion a name is not expanded again (`alias ls='ls -F'`).
    let Some(text) = w.memory.aliases.remove(name) else {
        return false;
    };
    let mut line = text.clone();
    for arg in inv.args() {
        line.push(' ');
        line.push_str(&quote(&arg.text));
    }
    w.nested_shell(&line, format!("alias {name}"), scope);
    w.memory.aliases.insert(name.clone(), text);
    true
}

/// `text` single-quoted for the shell.
fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}
