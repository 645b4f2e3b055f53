//! Is an AI coding agent running this command? Agents mark the environment
//! of the commands they run; a person's own terminal has none of these
//! marks.
//!
//! An agent can unset the variables before calling dbguard (`env -u`,
//! `unset`), or start dbguard under a pseudo-terminal of its own, so the
//! environments of the calling processes count too: Linux keeps each
//! process's starting environment in `/proc/<pid>/environ`, readable by the
//! same user, and the agent's own shell still carries the mark. This is one
//! layer among several (the hook denies such commands before they run, and
//! no approval is possible without the approver's passphrase), never the
//! only one.

use std::ffi::OsString;

/// Variables that coding agents set in the environment of the commands they
/// run (Claude Code, Cursor, Gemini CLI and Qwen Code, Replit).
const AGENT_VARIABLES: &[&str] = &["CLAUDECODE", "CURSOR_AGENT", "GEMINI_CLI", "REPLIT_CLI"];

/// Variables whose value names an agent: Aider sets `OR_APP_NAME=Aider`.
const AGENT_VALUES: &[(&str, &str)] = &[("OR_APP_NAME", "Aider")];

/// The prefix of Codex's variables (`CODEX_SANDBOX`, …); `CODEX_HOME` is a
/// person's configuration, not a sign of the agent.
const CODEX_PREFIX: &str = "CODEX_";

/// How many calling processes are looked at.
const MAX_ANCESTORS: usize = 64;

/// The variable that shows an agent is running this process or one of the
/// processes that started it, if any.
pub fn detected() -> Option<String> {
    detected_in(std::env::vars_os().map(|(k, v)| (k.to_string_lossy().into_owned(), v)))
        .or_else(detected_in_ancestors)
}

fn is_marker(key: &str) -> bool {
    AGENT_VARIABLES.contains(&key) || (key.starts_with(CODEX_PREFIX) && key != "CODEX_HOME")
}

fn is_marker_value(key: &str, value: &str) -> bool {
    AGENT_VALUES.iter().any(|(k, v)| *k == key && *v == value)
}

fn detected_in(vars: impl Iterator<Item = (String, OsString)>) -> Option<String> {
    vars.filter(|(_, value)| !value.is_empty())
        .find(|(key, value)| is_marker(key) || is_marker_value(key, &value.to_string_lossy()))
        .map(|(key, _)| key)
}

/// The marker in the starting environment of a calling process, named with
/// the process it was found in.
fn detected_in_ancestors() -> Option<String> {
    let mut pid = parent_of("self")?;
    for _ in 0..MAX_ANCESTORS {
        if pid <= 1 {
            return None;
        }
        if let Ok(environ) = std::fs::read(format!("/proc/{pid}/environ")) {
            let found = environ.split(|b| *b == 0).find_map(|pair| {
                let text = String::from_utf8_lossy(pair);
                let (key, value) = text.split_once('=')?;
                ((is_marker(key) && !value.is_empty()) || is_marker_value(key, value))
                    .then(|| key.to_string())
            });
            if let Some(key) = found {
                return Some(format!("{key} (in calling process {pid})"));
            }
        }
        pid = parent_of(&pid.to_string())?;
    }
    None
}

/// The parent pid of `/proc/<which>`.
fn parent_of(which: &str) -> Option<u32> {
    let status = std::fs::read_to_string(format!("/proc/{which}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("PPid:"))
        .and_then(|v| v.trim().parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> impl Iterator<Item = (String, OsString)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.into()))
            .collect::<Vec<_>>()
            .into_iter()
    }

    #[test]
    fn agents_are_recognised() {
        assert_eq!(
            detected_in(vars(&[("PATH", "/bin"), ("CLAUDECODE", "1")])).as_deref(),
            Some("CLAUDECODE")
        );
        assert_eq!(
            detected_in(vars(&[("CODEX_SANDBOX", "seatbelt")])).as_deref(),
            Some("CODEX_SANDBOX")
        );
        assert_eq!(detected_in(vars(&[("CODEX_HOME", "/h"), ("HOME", "/h")])), None);
        assert_eq!(detected_in(vars(&[("GEMINI_CLI", "")])), None);
        assert_eq!(
            detected_in(vars(&[("OR_APP_NAME", "Aider")])).as_deref(),
            Some("OR_APP_NAME")
        );
        assert_eq!(detected_in(vars(&[("OR_APP_NAME", "MyApp")])), None);
    }

    #[test]
    fn a_marker_removed_by_a_wrapper_is_still_found_in_the_caller() {
        if std::env::var_os("DBGUARD_AGENT_PROBE").is_some() {
            // The child: its own environment has no marker.
            assert!(std::env::var_os("CLAUDECODE").is_none());
            println!("probe: {}", detected().unwrap_or_default());
            return;
        }
        // sh starts with CLAUDECODE set and runs this test again under
        // `env -u CLAUDECODE`, as an agent would to hide itself.
        let exe = std::env::current_exe().unwrap();
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!(
                "env -u CLAUDECODE '{}' --exact agent::tests::a_marker_removed_by_a_wrapper_is_still_found_in_the_caller --nocapture",
                exe.display()
            ))
            .env("CLAUDECODE", "1")
            .env("DBGUARD_AGENT_PROBE", "1")
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("probe: CLAUDECODE (in calling process"), "{text}");
    }
}
