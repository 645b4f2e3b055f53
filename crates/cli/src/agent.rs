//! Is an AI coding agent running this command? Agents mark their
//! environment; a person's own terminal has none of these. This is one
//! layer among several (an agent could unset them; the hook denies the
//! command before it runs), never the only one.

/// Variables that coding agents set in the environment of the commands they run.
const AGENT_VARIABLES: &[&str] = &["CLAUDECODE", "CURSOR_AGENT", "GEMINI_CLI"];

/// The prefix of Codex's variables (`CODEX_SANDBOX`, …); `CODEX_HOME` is a
/// person's configuration, not a sign of the agent.
const CODEX_PREFIX: &str = "CODEX_";

/// The variable that shows an agent is running this process, if any.
pub fn detected() -> Option<String> {
    detected_in(std::env::vars_os().map(|(k, v)| (k.to_string_lossy().into_owned(), v)))
}

fn detected_in(vars: impl Iterator<Item = (String, std::ffi::OsString)>) -> Option<String> {
    vars.filter(|(_, value)| !value.is_empty())
        .map(|(key, _)| key)
        .find(|key| {
            AGENT_VARIABLES.contains(&key.as_str()) || (key.starts_with(CODEX_PREFIX) && key != "CODEX_HOME")
        })
}

#[cfg(test)]
mod tests {
    use super::detected_in;

    fn vars(pairs: &[(&str, &str)]) -> impl Iterator<Item = (String, std::ffi::OsString)> {
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
    }
}
