//! Reading a host's hook input.

use std::path::PathBuf;

use serde_json::Value;

use crate::host::Host;

/// What the agent is about to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ToolCall {
    /// Run a shell command line.
    Shell(String),
    /// Run SQL (a database tool of an MCP server).
    Sql(String),
    /// Something dbguard has no opinion on (reading a file, …).
    Other,
}

/// One hook call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The tool call.
    pub call: ToolCall,
    /// The folder the command runs in, when the host says.
    pub cwd: Option<PathBuf>,
    /// Whether the host can show the user a prompt in the current mode.
    pub can_prompt: bool,
}

/// Claude Code permission modes in which no prompt is shown.
const NO_PROMPT_MODES: &[&str] = &["bypassPermissions", "dontAsk"];

/// Tool names of database tools whose input holds SQL.
const SQL_TOOL_WORDS: &[&str] = &["sql", "postgres", "query", "database", "db"];

impl Request {
    /// Parses the JSON a host sends.
    pub fn parse(host: Host, input: &[u8]) -> Result<Request, String> {
        let json: Value = serde_json::from_slice(input).map_err(|e| format!("not JSON: {e}"))?;
        if !json.is_object() {
            return Err("not a JSON object".to_string());
        }
        let cwd = json.get("cwd").and_then(Value::as_str).map(PathBuf::from);
        let call = match host {
            Host::Cursor => match json.get("command") {
                Some(Value::String(command)) => ToolCall::Shell(command.clone()),
                Some(_) => return Err("`command` is not a string".to_string()),
                None => return Err("no `command`".to_string()),
            },
            Host::ClaudeCode | Host::Codex | Host::Gemini => tool_call(&json)?,
        };
        let mode = json
            .get("permission_mode")
            .and_then(Value::as_str)
            .unwrap_or("default");
        let cwd = match (
            &call,
            host,
            json["tool_input"].get("dir_path").and_then(Value::as_str),
        ) {
            // Gemini's shell tool may run in a folder relative to the project.
            (ToolCall::Shell(_), Host::Gemini, Some(dir)) => cwd.map(|c| c.join(dir)),
            _ => cwd,
        };
        Ok(Request {
            call,
            cwd,
            can_prompt: !NO_PROMPT_MODES.contains(&mode),
        })
    }
}

/// `tool_name` and `tool_input` as Claude Code, Codex and Gemini CLI send them.
fn tool_call(json: &Value) -> Result<ToolCall, String> {
    let tool = json
        .get("tool_name")
        .and_then(Value::as_str)
        .ok_or("no `tool_name`")?;
    let input = json.get("tool_input").ok_or("no `tool_input`")?;
    if let Some(command) = input.get("command") {
        return match command {
            Value::String(line) => Ok(ToolCall::Shell(line.clone())),
            Value::Array(words) => {
                let words: Option<Vec<&str>> = words.iter().map(Value::as_str).collect();
                let words = words.ok_or("`command` holds something other than strings")?;
                Ok(ToolCall::Shell(join_words(&words)))
            }
            _ => Err("`command` is neither a string nor a list of strings".to_string()),
        };
    }
    let lower = tool.to_lowercase();
    let is_shell = matches!(
        lower.as_str(),
        "bash" | "shell" | "run_shell_command" | "exec_command"
    );
    if is_shell {
        return Err(format!("the {tool} tool call has no `command`"));
    }
    if lower.starts_with("mcp__") && SQL_TOOL_WORDS.iter().any(|w| lower.contains(w)) {
        for key in ["sql", "query", "statement"] {
            if let Some(sql) = input.get(key).and_then(Value::as_str) {
                return Ok(ToolCall::Sql(sql.to_string()));
            }
        }
    }
    Ok(ToolCall::Other)
}

/// A command line from an argument list, quoting words that need it.
pub fn join_words(words: &[&str]) -> String {
    words
        .iter()
        .map(|w| {
            let plain = !w.is_empty()
                && w.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_./=:,@%+".contains(c));
            if plain {
                w.to_string()
            } else {
                format!("'{}'", w.replace('\'', "'\\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}
