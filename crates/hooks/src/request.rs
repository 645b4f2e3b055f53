//! Reading a host's hook input.

use std::path::PathBuf;

use serde_json::Value;

use crate::host::Host;

/// What the agent is about to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ToolCall {
    /// Run a shell command line.
    Shell(String),
    /// Call an MCP tool: every string in its arguments, each of which may be
    /// SQL (the caller decides), and whether the tool or the key says it is
    /// a database's.
    Mcp(Vec<McpString>),
    /// Write or edit a file.
    WriteFile {
        /// The file, as the tool names it (relative to `cwd` when relative).
        path: PathBuf,
        /// What is written.
        change: FileChange,
    },
    /// Read or search a file or folder (`Read`, `Grep`, `Glob`, `read_file`, …).
    ReadFile {
        /// The file or folder, as the tool names it (relative to `cwd` when relative).
        path: PathBuf,
    },
    /// Something dbguard has no opinion on.
    Other,
}

/// One string argument of an MCP tool call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct McpString {
    /// Where it was, as a path of keys (`params.sql`, `queries[2]`).
    pub key: String,
    /// The text.
    pub text: String,
    /// The tool's name or this key says it is a database's (`sql`, `query`, …).
    pub database_context: bool,
}

/// What a file tool writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileChange {
    /// The whole new content.
    Whole(String),
    /// Replacements of `old` by `new` (all occurrences when `all`), in order.
    Edits(Vec<Edit>),
    /// Content dbguard does not reconstruct (a notebook cell).
    Opaque,
}

/// One replacement of an edit tool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edit {
    /// The text replaced.
    pub old: String,
    /// The text put in its place.
    pub new: String,
    /// Every occurrence, not only the first.
    pub all: bool,
}

impl FileChange {
    /// The file's content after the change, from its content before.
    pub fn apply(&self, before: &str) -> Option<String> {
        match self {
            FileChange::Whole(text) => Some(text.clone()),
            FileChange::Edits(edits) => {
                let mut text = before.to_string();
                for edit in edits {
                    text = if edit.all || edit.old.is_empty() {
                        text.replace(&edit.old, &edit.new)
                    } else {
                        text.replacen(&edit.old, &edit.new, 1)
                    };
                }
                Some(text)
            }
            FileChange::Opaque => None,
        }
    }
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

/// Words in a tool's name or an argument's key that say it holds SQL.
const SQL_WORDS: &[&str] = &[
    "sql",
    "postgres",
    "query",
    "database",
    "db",
    "statement",
    "supabase",
    "neon",
    "prisma",
    "pg",
];

/// The most strings read from one MCP call; past it the call is refused.
pub const MAX_MCP_STRINGS: usize = 10_000;

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
    let lower = tool.to_lowercase();
    if lower.starts_with("mcp__") {
        // Every string counts, `command` included: an MCP tool's `command`
        // is its own, not a shell line.
        let mut strings = Vec::new();
        collect_strings(input, "", mentions_sql(&lower), &mut strings)?;
        return Ok(ToolCall::Mcp(strings));
    }
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
    let is_shell = matches!(
        lower.as_str(),
        "bash" | "shell" | "run_shell_command" | "exec_command"
    );
    if is_shell {
        return Err(format!("the {tool} tool call has no `command`"));
    }
    let path = ["file_path", "notebook_path", "path", "absolute_path"]
        .iter()
        .find_map(|k| input.get(*k).and_then(Value::as_str));
    let text = |key: &str| input.get(key).and_then(Value::as_str).map(str::to_string);
    let change = match lower.as_str() {
        "write" | "write_file" => FileChange::Whole(text("content").ok_or("the write has no `content`")?),
        "edit" | "replace" => FileChange::Edits(vec![edit(input)?]),
        "multiedit" => FileChange::Edits(
            input
                .get("edits")
                .and_then(Value::as_array)
                .ok_or("the edit has no `edits` list")?
                .iter()
                .map(edit)
                .collect::<Result<_, _>>()?,
        ),
        "notebookedit" => FileChange::Opaque,
        "read" | "read_file" | "view" | "grep" | "glob" | "search_file_content" | "notebookread" => {
            return Ok(path.map_or(ToolCall::Other, |path| ToolCall::ReadFile {
                path: PathBuf::from(path),
            }));
        }
        _ => return Ok(ToolCall::Other),
    };
    let path = path.ok_or_else(|| format!("the {tool} tool call names no file"))?;
    Ok(ToolCall::WriteFile {
        path: PathBuf::from(path),
        change,
    })
}

fn edit(value: &Value) -> Result<Edit, String> {
    let text = |key: &str| {
        value
            .get(key)
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| format!("an edit has no `{key}`"))
    };
    Ok(Edit {
        old: text("old_string")?,
        new: text("new_string")?,
        all: value.get("replace_all").and_then(Value::as_bool).unwrap_or(false),
    })
}

fn mentions_sql(name: &str) -> bool {
    let lower = name.to_lowercase();
    lower
        .split(|c: char| !c.is_ascii_alphanumeric())
        .any(|word| SQL_WORDS.contains(&word))
        || SQL_WORDS.iter().any(|w| w.len() > 3 && lower.contains(w))
}

/// Every string under `value`, with its key path; `context` says whether a
/// key above already says it is SQL.
fn collect_strings(value: &Value, key: &str, context: bool, out: &mut Vec<McpString>) -> Result<(), String> {
    if out.len() > MAX_MCP_STRINGS {
        return Err(format!("the tool call has more than {MAX_MCP_STRINGS} strings"));
    }
    match value {
        Value::String(text) => out.push(McpString {
            key: key.to_string(),
            text: text.clone(),
            database_context: context,
        }),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                collect_strings(item, &format!("{key}[{i}]"), context, out)?;
            }
        }
        Value::Object(map) => {
            for (k, v) in map {
                let path = if key.is_empty() {
                    k.clone()
                } else {
                    format!("{key}.{k}")
                };
                collect_strings(v, &path, context || mentions_sql(k), out)?;
            }
        }
        _ => {}
    }
    Ok(())
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
