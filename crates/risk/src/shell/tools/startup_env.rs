//! Environment variables that load code into a program before it starts:
//! a shared library into every process (`LD_PRELOAD`, `LD_AUDIT`), a shell
//! file into every non-interactive shell (`BASH_ENV`, `ENV`), a module into
//! every Node.js, Perl, Ruby or Java process (`NODE_OPTIONS=--require …`,
//! `PERL5OPT=-M…`, `RUBYOPT=-r…`, `JAVA_TOOL_OPTIONS=-javaagent:…`). The
//! code they load runs unseen, in every command the variable reaches, so
//! setting one (before a command, through `env`, or with `export`) is high,
//! whatever the command. Options that load nothing (`NODE_OPTIONS=
//! --max-old-space-size=4096`) are not.

use super::super::walk::{Invocation, Walker};
use crate::rules::Rule;

/// What `value` in the variable `name` makes a program load, if anything.
pub fn loads_code(name: &str, value: &str) -> Option<&'static str> {
    let value = value.trim_matches(['"', '\'']);
    if value.trim().is_empty() {
        return None;
    }
    let options = || value.split_whitespace();
    match name {
        "LD_PRELOAD" | "LD_AUDIT" => Some("a shared library into every program it starts"),
        "BASH_ENV" | "ENV" => Some("a shell file into every shell it starts"),
        "NODE_OPTIONS"
            if options().any(|o| {
                matches!(
                    o,
                    "-r" | "--require" | "--import" | "--loader" | "--experimental-loader"
                ) || [
                    "-r=",
                    "--require=",
                    "--import=",
                    "--loader=",
                    "--experimental-loader=",
                ]
                .iter()
                .any(|p| o.starts_with(p))
            }) =>
        {
            Some("a module into every Node.js process")
        }
        "PERL5OPT" if options().any(|o| o.starts_with("-M") || o.starts_with("-m")) => {
            Some("a module into every Perl process")
        }
        "RUBYOPT" if options().any(|o| o.starts_with("-r")) => Some("a library into every Ruby process"),
        "JAVA_TOOL_OPTIONS" | "JDK_JAVA_OPTIONS"
            if value.contains("-javaagent") || value.contains("-agentpath") =>
        {
            Some("an agent into every Java process")
        }
        _ => None,
    }
}

/// `NAME=value` set for `text`: high when it loads code.
pub fn assignment(w: &mut Walker, name: &str, value: &str, text: &str) {
    if let Some(what) = loads_code(name, value) {
        w.add(
            Rule::StartupCode,
            format!(
                "{name} loads {what}, code dbguard cannot see; a person must run it in their own terminal"
            ),
            text,
        );
    }
}

/// `export NAME=value`, `declare -x NAME=value`, `env NAME=value cmd`.
pub fn command(w: &mut Walker, name: &str, inv: &Invocation) {
    if !matches!(
        name,
        "export" | "declare" | "typeset" | "env" | "setenv" | "launchctl"
    ) {
        return;
    }
    for arg in inv.args() {
        if let Some((var, value)) = arg.text.split_once('=') {
            assignment(w, var, value, &inv.text);
        }
    }
}
