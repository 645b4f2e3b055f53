//! The shell npm and yarn run every package script with (`script-shell`):
//! set on the command line (`npm --script-shell ./x.sh run build`), in the
//! environment (`npm_config_script_shell=…`), with `npm config set`, or by
//! writing `.npmrc`/`.yarnrc`, it turns any harmless script into a program
//! dbguard does not read. Only the usual shells are accepted.

use std::path::Path;

use super::super::ast::Word;
use super::super::walk::Walker;
use crate::rules::Rule;

/// Shells a script shell may be without running anything else.
const SHELLS: &[&str] = &[
    "sh",
    "bash",
    "zsh",
    "dash",
    "ksh",
    "fish",
    "pwsh",
    "powershell",
    "cmd",
    "cmd.exe",
];

/// The files npm and yarn read their settings from.
const CONFIG_FILES: &[&str] = &[".npmrc", ".yarnrc", ".yarnrc.yml", "npmrc"];

/// A script shell set to `value` (how: where it was set).
pub fn set(w: &mut Walker, value: &Word, how: &str, text: &str) {
    let shell = super::program_name(value.text.trim_matches(['"', '\'']));
    if value.dynamic || !SHELLS.contains(&shell.as_str()) {
        w.add(
            Rule::DynamicCommand,
            format!(
                "{how} makes npm run every package script with `{}`, which dbguard does not read",
                value.text
            ),
            text,
        );
    }
}

/// Whether `key` names the script shell in a settings file or `npm config
/// set` (`script-shell`, yarn's `shell`).
pub fn is_key(key: &str) -> bool {
    let key = key.trim().to_lowercase().replace('_', "-");
    key == "script-shell" || key == "shell"
}

/// Whether an environment variable sets the script shell.
pub fn is_variable(name: &str) -> bool {
    name.eq_ignore_ascii_case("npm_config_script_shell")
}

/// A line writes `path` with `written` (unknown when `None`).
pub fn written(w: &mut Walker, path: &Path, written: Option<&str>, text: &str) {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
    if !CONFIG_FILES.contains(&name) {
        return;
    }
    let Some(written) = written else {
        return w.add(
            Rule::DynamicCommand,
            format!("writes {name} with settings only known at run time, which may set the shell scripts run with"),
            text,
        );
    };
    for line in written.lines() {
        if let Some((_, value)) = line.split_once(['=', ':']).filter(|(key, _)| is_key(key)) {
            set(w, &Word::literal(value.trim()), &format!("writing {name}"), text);
        }
    }
}
