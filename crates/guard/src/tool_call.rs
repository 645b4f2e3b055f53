//! The verdict on an agent's tool call, as the pre-tool hook sees it: a
//! shell line (files it runs are read from disk), an MCP call (every string
//! argument that is SQL), or a file write (dbguard's own files are never
//! written by a tool; a migration is linted as it will be after the write).

use std::path::{Path, PathBuf};

use dbguard_hooks::{FileChange, McpString, Request, ToolCall};
use dbguard_risk::protected::{protected_path, secret_path};
use dbguard_risk::{
    classify_shell, classify_sql, DiskFiles, Finding, Rule, ShellContext, SqlOptions, Verdict,
};

/// Words an SQL statement starts with; an unparseable string that starts
/// with one, in a database's tool or under an SQL-ish key, is judged as SQL.
const SQL_START: &[&str] = &[
    "select",
    "insert",
    "update",
    "delete",
    "drop",
    "truncate",
    "alter",
    "create",
    "with",
    "grant",
    "revoke",
    "copy",
    "do",
    "begin",
    "commit",
    "merge",
    "vacuum",
    "reindex",
    "cluster",
    "set",
    "reset",
    "comment",
    "explain",
    "call",
    "execute",
    "prepare",
    "lock",
    "refresh",
    "security",
    "import",
    "reassign",
    "analyze",
    "discard",
    "declare",
    "listen",
    "notify",
    "rollback",
    "start",
    "savepoint",
    "release",
    "table",
    "values",
];

/// The verdict on `request`; `approver_dir` is the approver's folder, when known.
pub fn classify(request: &Request, approver_dir: Option<&Path>) -> Verdict {
    let cwd = request
        .cwd
        .clone()
        .or_else(|| std::env::current_dir().ok())
        .unwrap_or_else(|| PathBuf::from("/"));
    match &request.call {
        ToolCall::Shell(line) => {
            let ctx = ShellContext {
                cwd,
                files: &DiskFiles,
                sql: SqlOptions::default(),
            };
            classify_shell(line, &ctx)
        }
        ToolCall::Mcp(strings) => classify_mcp(strings),
        ToolCall::WriteFile { path, change } => classify_write(path, change, &cwd, approver_dir),
        ToolCall::ReadFile { path } => classify_read(path, &cwd),
        ToolCall::Other => Verdict::from_findings(Vec::new()),
    }
}

/// Every string argument that parses as SQL is classified; one that does
/// not parse but looks like SQL where SQL is expected fails closed.
fn classify_mcp(strings: &[McpString]) -> Verdict {
    let mut findings = Vec::new();
    for string in strings {
        let verdict = classify_sql(&string.text, &SqlOptions::default());
        let unparseable = verdict.findings.iter().any(|f| f.rule == Rule::SqlUnparseable);
        if unparseable && !(string.database_context && looks_like_sql(&string.text)) {
            continue;
        }
        findings.extend(verdict.findings.into_iter().map(|mut f| {
            f.message = format!("{} (in `{}`)", f.message, string.key);
            f
        }));
    }
    Verdict::from_findings(findings)
}

fn looks_like_sql(text: &str) -> bool {
    let start = text.trim_start_matches(|c: char| c.is_whitespace() || c == '(');
    let word: String = start
        .chars()
        .take_while(|c| c.is_ascii_alphabetic())
        .collect::<String>()
        .to_lowercase();
    SQL_START.contains(&word.as_str())
}

/// A file tool reading one of dbguard's own credentials is high; any other read is not.
fn classify_read(path: &Path, cwd: &Path) -> Verdict {
    let findings = secret_path(path, cwd)
        .map(|what| {
            Finding::new(
                Rule::ReadDbguardSecret,
                format!(
                    "{} is {what}; a person reads it in their own terminal, never an agent's tool",
                    path.display()
                ),
                path.display().to_string(),
            )
        })
        .into_iter()
        .collect();
    Verdict::from_findings(findings)
}

fn classify_write(path: &Path, change: &FileChange, cwd: &Path, approver_dir: Option<&Path>) -> Verdict {
    if let Some(why) = protected_path(path, cwd, approver_dir) {
        return Verdict::from_findings(vec![Finding::new(
            Rule::ProtectedFileWrite,
            format!(
                "{} is {why}; a person changes it in their own terminal, never an agent's tool",
                path.display()
            ),
            path.display().to_string(),
        )]);
    }
    let full = cwd.join(path);
    let is_migration = full.extension().is_some_and(|e| e == "sql")
        && full.components().any(|c| c.as_os_str() == "migrations");
    if !is_migration {
        return Verdict::from_findings(Vec::new());
    }
    let before = match std::fs::read(&full) {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(_) => String::new(),
    };
    let Some(after) = change.apply(&before) else {
        return Verdict::from_findings(Vec::new());
    };
    let findings = dbguard_migrate::lint::lint(&after)
        .into_iter()
        .filter(|d| d.risk > dbguard_risk::Risk::Low)
        .map(|d| {
            let mut finding = Finding::new(
                Rule::MigrationLint,
                format!(
                    "the migration {} would have a {} finding: {} [{}] at line {}; {}",
                    path.display(),
                    d.risk,
                    d.message,
                    d.rule,
                    d.line,
                    d.help
                ),
                path.display().to_string(),
            );
            finding.risk = d.risk;
            finding
        })
        .collect();
    Verdict::from_findings(findings)
}
