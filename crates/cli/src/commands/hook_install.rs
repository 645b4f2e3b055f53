//! `dbguard hook install <host>`: add dbguard's hook to a host's settings
//! file, keeping every other setting and hook. Running it twice changes
//! nothing; a settings file that is not valid JSON is left untouched.
//!
//! By default the hook goes into the agent's local settings (Claude Code's
//! `.claude/settings.local.json`, which it keeps out of git), with this
//! binary's path unless `dbguard` on `PATH` is this binary. With `--shared`
//! it goes into the settings a team commits, as plain `dbguard`, which
//! works on every machine that has dbguard on its `PATH` (`doctor` checks).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context};
use dbguard_hooks::Host;
use serde::Serialize;
use serde_json::{json, Value};

use crate::args::Format;
use crate::output::{emit, Report};

/// Where a host keeps its hooks, relative to the project or the home folder.
pub fn settings_file(host: Host) -> &'static str {
    match host {
        Host::ClaudeCode => ".claude/settings.json",
        Host::Cursor => ".cursor/hooks.json",
        Host::Gemini => ".gemini/settings.json",
        Host::Codex => ".codex/hooks.json",
    }
}

/// The settings a host keeps out of version control, where it has such a
/// file (relative to the project); the others have only the shared one.
pub fn local_settings_file(host: Host) -> &'static str {
    match host {
        Host::ClaudeCode => ".claude/settings.local.json",
        other => settings_file(other),
    }
}

/// Every settings file of `host` under `base`, local first.
pub fn settings_files(host: Host, base: &Path) -> Vec<PathBuf> {
    let mut files = vec![base.join(local_settings_file(host))];
    if local_settings_file(host) != settings_file(host) {
        files.push(base.join(settings_file(host)));
    }
    files
}

/// The program a hook command runs (its first word), found on `PATH` when
/// it is a bare name; `None` when it cannot be found.
pub fn resolve_program(command: &str) -> Option<PathBuf> {
    let exe = command.split(" hook ").next()?.trim().trim_matches('\'');
    if exe.contains('/') {
        return Path::new(exe).is_file().then(|| PathBuf::from(exe));
    }
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(exe))
        .find(|p| p.is_file())
}

/// The hook commands for `host` found in a settings document.
pub fn installed_commands(host: Host, doc: &Value) -> Vec<String> {
    let (event, _) = event_and_matcher(host);
    let needle = format!(" hook {}", host.name());
    let entries = doc["hooks"][event].as_array().cloned().unwrap_or_default();
    entries
        .iter()
        .flat_map(|entry| match host {
            Host::Cursor => vec![entry["command"].clone()],
            _ => entry["hooks"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .map(|h| h["command"].clone())
                .collect(),
        })
        .filter_map(|c| c.as_str().map(str::to_string))
        .filter(|c| c.contains("dbguard") && c.contains(&needle))
        .collect()
}

fn event_and_matcher(host: Host) -> (&'static str, &'static str) {
    match host {
        Host::ClaudeCode => ("PreToolUse", "Bash|Write|Edit|MultiEdit|NotebookEdit|mcp__.*"),
        Host::Codex => ("PreToolUse", "Bash"),
        Host::Gemini => ("BeforeTool", "run_shell_command|write_file|replace|mcp__.*"),
        Host::Cursor => ("beforeShellExecution", ""),
    }
}

/// Gives an installed dbguard hook today's matcher (an older one saw only
/// the shell and MCP tools); whether anything changed.
fn widen_matcher(host: Host, doc: &mut Value) -> bool {
    let (event, matcher) = event_and_matcher(host);
    let needle = format!(" hook {}", host.name());
    let Some(entries) = doc["hooks"][event].as_array_mut() else {
        return false;
    };
    let mut changed = false;
    for entry in entries {
        let ours = entry["hooks"].as_array().is_some_and(|hooks| {
            hooks.iter().any(|h| {
                h["command"]
                    .as_str()
                    .is_some_and(|c| c.contains("dbguard") && c.contains(&needle))
            })
        });
        if ours && entry.get("matcher").and_then(Value::as_str) != Some(matcher) {
            entry["matcher"] = json!(matcher);
            changed = true;
        }
    }
    changed
}

/// Adds the hook running `command` to `doc`; `false` when it was already there.
fn install(host: Host, doc: &mut Value, command: &str) -> anyhow::Result<bool> {
    if !installed_commands(host, doc).is_empty() {
        return Ok(widen_matcher(host, doc));
    }
    let Some(root) = doc.as_object_mut() else {
        bail!("the settings are not a JSON object")
    };
    if host == Host::Cursor {
        root.entry("version").or_insert(json!(1));
    }
    let hooks = root.entry("hooks").or_insert_with(|| json!({}));
    let Some(hooks) = hooks.as_object_mut() else {
        bail!("`hooks` is not a JSON object")
    };
    let (event, matcher) = event_and_matcher(host);
    let list = hooks.entry(event).or_insert_with(|| json!([]));
    let Some(list) = list.as_array_mut() else {
        bail!("`hooks.{event}` is not a list")
    };
    list.push(match host {
        Host::Cursor => json!({ "command": command }),
        _ => {
            json!({ "matcher": matcher, "hooks": [{ "type": "command", "command": command, "timeout": 10 }] })
        }
    });
    Ok(true)
}

/// Whether `dbguard` on `PATH` is the binary `exe`.
pub fn on_path(exe: &Path) -> bool {
    resolve_program("dbguard hook")
        .and_then(|p| std::fs::canonicalize(p).ok())
        .is_some_and(|p| std::fs::canonicalize(exe).is_ok_and(|e| e == p))
}

/// The command line that runs dbguard as `host`'s hook: plain `dbguard`
/// when shared, or when `dbguard` on `PATH` is this binary; else this
/// binary's path.
fn hook_command(host: Host, shared: bool) -> anyhow::Result<String> {
    let exe = std::env::current_exe().context("cannot find dbguard's own path")?;
    let program = if shared || on_path(&exe) {
        "dbguard".to_string()
    } else {
        dbguard_hooks::join_words(&[&exe.to_string_lossy()])
    };
    Ok(format!("{program} hook {}", host.name()))
}

/// What installing a hook did (or, not written, would do).
#[derive(Serialize)]
pub struct InstallReport {
    /// The host's name.
    pub host: &'static str,
    /// The settings file.
    pub file: PathBuf,
    /// Whether the file changed (or would change).
    pub changed: bool,
    /// The hook's command line.
    pub command: String,
}

impl Report for InstallReport {
    fn text(&self) -> String {
        if self.changed {
            format!(
                "installed the {} hook in {}: {}",
                self.host,
                self.file.display(),
                self.command
            )
        } else {
            format!(
                "the {} hook is already installed in {}",
                self.host,
                self.file.display()
            )
        }
    }
}

/// Installs the hook for `host` in the project's local settings (or, with
/// `shared`, its committed ones; with `user`, the home folder's).
pub fn run(format: Format, host: &str, user: bool, shared: bool, cwd: &Path) -> anyhow::Result<ExitCode> {
    let host = Host::from_name(host).context("unknown host")?;
    let report = install_hook(host, user, shared, cwd, true)?;
    emit(format, &report);
    Ok(ExitCode::SUCCESS)
}

/// Installs the hook for `host` as [`run`] does, writing the settings only
/// when `write` is true; the report says whether they change.
pub fn install_hook(
    host: Host,
    user: bool,
    shared: bool,
    cwd: &Path,
    write: bool,
) -> anyhow::Result<InstallReport> {
    let file = if user {
        PathBuf::from(std::env::var_os("HOME").context("HOME is not set")?).join(settings_file(host))
    } else if shared {
        dbguard_pg::settings::project_dir(cwd).join(settings_file(host))
    } else {
        dbguard_pg::settings::project_dir(cwd).join(local_settings_file(host))
    };
    let mut doc = match std::fs::read(&file) {
        Ok(bytes) if bytes.iter().all(u8::is_ascii_whitespace) => json!({}),
        Ok(bytes) => serde_json::from_slice(&bytes)
            .with_context(|| format!("{} is not valid JSON; it was left untouched", file.display()))?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => json!({}),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", file.display())),
    };
    let command = hook_command(host, shared)?;
    if shared && resolve_program(&command).is_none() {
        eprintln!(
            "note: `dbguard` is not on this machine's PATH, so this hook cannot run here until it is \
             (`cargo install --path crates/cli --locked`)"
        );
    }
    let changed =
        install(host, &mut doc, &command).with_context(|| format!("{}: unexpected shape", file.display()))?;
    if changed && write {
        write_atomically(&file, &doc)?;
    }
    Ok(InstallReport {
        host: host.name(),
        file,
        changed,
        command,
    })
}

fn write_atomically(file: &Path, doc: &Value) -> anyhow::Result<()> {
    let dir = file.parent().context("settings file has no folder")?;
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let tmp = file.with_extension("json.dbguard-tmp");
    let mut text = serde_json::to_string_pretty(doc).expect("JSON values serialise");
    text.push('\n');
    std::fs::write(&tmp, text).with_context(|| format!("cannot write {}", tmp.display()))?;
    if let Ok(meta) = std::fs::metadata(file) {
        let _ = std::fs::set_permissions(&tmp, meta.permissions());
    }
    std::fs::rename(&tmp, file).with_context(|| format!("cannot replace {}", file.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn install_keeps_other_hooks_and_is_idempotent() {
        let mut doc = json!({
            "model": "x",
            "hooks": {"PreToolUse": [{"matcher": "Edit", "hooks": [{"type": "command", "command": "fmt"}]}],
                      "Stop": []}
        });
        assert!(install(Host::ClaudeCode, &mut doc, "/bin/dbguard hook claude-code").unwrap());
        assert!(!install(Host::ClaudeCode, &mut doc, "/bin/dbguard hook claude-code").unwrap());
        let list = doc["hooks"]["PreToolUse"].as_array().unwrap();
        assert_eq!(list.len(), 2);
        assert_eq!(list[0]["hooks"][0]["command"], "fmt");
        assert_eq!(doc["model"], "x");
        assert_eq!(
            installed_commands(Host::ClaudeCode, &doc),
            vec!["/bin/dbguard hook claude-code"]
        );
        assert!(installed_commands(Host::Codex, &doc).is_empty());
    }

    #[test]
    fn cursor_gets_its_own_shape() {
        let mut doc = json!({});
        install(Host::Cursor, &mut doc, "dbguard hook cursor").unwrap();
        assert_eq!(
            doc,
            json!({"version": 1, "hooks": {"beforeShellExecution": [{"command": "dbguard hook cursor"}]}})
        );
    }

    #[test]
    fn unexpected_shapes_are_errors() {
        assert!(install(Host::Gemini, &mut json!({"hooks": []}), "x hook gemini").is_err());
        assert!(install(Host::Gemini, &mut json!([1]), "x hook gemini").is_err());
    }
}
