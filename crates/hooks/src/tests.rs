use std::path::PathBuf;

use dbguard_risk::{classify_shell, classify_sql, NoFiles, ShellContext, SqlOptions};
use proptest::prelude::*;
use serde_json::{json, Value};

use super::*;

fn classify(request: &Request) -> Verdict {
    match &request.call {
        ToolCall::Shell(line) => {
            let ctx = ShellContext {
                cwd: request.cwd.clone().unwrap_or_else(|| PathBuf::from("/project")),
                files: &NoFiles,
                sql: SqlOptions::default(),
            };
            classify_shell(line, &ctx)
        }
        ToolCall::Mcp(strings) => Verdict::from_findings(
            strings
                .iter()
                .flat_map(|s| classify_sql(&s.text, &SqlOptions::default()).findings)
                .collect(),
        ),
        ToolCall::WriteFile { .. } | ToolCall::ReadFile { .. } | ToolCall::Other => {
            Verdict::from_findings(Vec::new())
        }
    }
}

fn claude(command: &str, mode: &str) -> Vec<u8> {
    json!({
        "session_id": "s", "cwd": "/project", "permission_mode": mode,
        "hook_event_name": "PreToolUse", "tool_name": "Bash",
        "tool_input": {"command": command, "description": "x"}
    })
    .to_string()
    .into_bytes()
}

fn decision_of(reply: &Reply) -> Value {
    serde_json::from_str(&reply.stdout).unwrap_or(Value::Null)
}

#[test]
fn claude_code_denies_high_asks_medium_and_is_silent_on_low() {
    let high = respond(
        Host::ClaudeCode,
        &claude("npx prisma migrate reset --force", "default"),
        &classify,
    );
    let out = decision_of(&high);
    assert_eq!(out["hookSpecificOutput"]["permissionDecision"], "deny");
    let reason = out["hookSpecificOutput"]["permissionDecisionReason"]
        .as_str()
        .unwrap();
    assert!(
        reason.contains("prisma-migrate-reset") && reason.contains("ask the user"),
        "{reason}"
    );
    assert_eq!(high.exit_code, 0);

    let medium = respond(
        Host::ClaudeCode,
        &claude("npx prisma db push", "default"),
        &classify,
    );
    assert_eq!(
        decision_of(&medium)["hookSpecificOutput"]["permissionDecision"],
        "ask"
    );

    let low = respond(Host::ClaudeCode, &claude("git status", "default"), &classify);
    assert_eq!(
        low,
        Reply {
            stdout: String::new(),
            stderr: String::new(),
            exit_code: 0
        }
    );
}

#[test]
fn medium_is_denied_where_no_prompt_can_be_shown() {
    for mode in ["bypassPermissions", "dontAsk"] {
        let reply = respond(Host::ClaudeCode, &claude("npx prisma db push", mode), &classify);
        assert_eq!(
            decision_of(&reply)["hookSpecificOutput"]["permissionDecision"],
            "deny",
            "{mode}"
        );
    }
    let gemini = json!({"tool_name": "run_shell_command", "tool_input": {"command": "npx prisma db push"}, "cwd": "/p"});
    let reply = respond(Host::Gemini, gemini.to_string().as_bytes(), &classify);
    assert_eq!(decision_of(&reply)["decision"], "deny");
    let codex =
        json!({"tool_name": "Bash", "tool_input": {"command": ["bash", "-lc", "npx prisma db push"]}});
    let reply = respond(Host::Codex, codex.to_string().as_bytes(), &classify);
    assert_eq!(
        decision_of(&reply)["hookSpecificOutput"]["permissionDecision"],
        "deny"
    );
}

#[test]
fn cursor_speaks_permission() {
    let input =
        |c: &str| json!({"command": c, "cwd": "/p", "hook_event_name": "beforeShellExecution"}).to_string();
    let deny = respond(Host::Cursor, input("dropdb farm").as_bytes(), &classify);
    assert_eq!(decision_of(&deny)["permission"], "deny");
    assert!(decision_of(&deny)["agentMessage"]
        .as_str()
        .unwrap()
        .contains("dropdb"));
    let ask = respond(
        Host::Cursor,
        input("npx prisma migrate dev").as_bytes(),
        &classify,
    );
    assert_eq!(decision_of(&ask)["permission"], "ask");
    let allow = respond(Host::Cursor, input("ls").as_bytes(), &classify);
    assert_eq!(decision_of(&allow), json!({"permission": "allow"}));
}

#[test]
fn gemini_is_silent_on_low_and_reads_dir_path() {
    let input = json!({"tool_name": "run_shell_command", "tool_input": {"command": "ls", "dir_path": "web"}, "cwd": "/p"});
    let request = Request::parse(Host::Gemini, input.to_string().as_bytes()).unwrap();
    assert_eq!(request.cwd, Some(PathBuf::from("/p/web")));
    let reply = respond(Host::Gemini, input.to_string().as_bytes(), &classify);
    assert_eq!(reply.stdout, "{}");
}

#[test]
fn sql_tools_of_mcp_servers_are_classified() {
    let input = json!({"tool_name": "mcp__postgres__query", "tool_input": {"sql": "TRUNCATE orders"}});
    let reply = respond(Host::ClaudeCode, input.to_string().as_bytes(), &classify);
    assert_eq!(
        decision_of(&reply)["hookSpecificOutput"]["permissionDecision"],
        "deny"
    );
    let read = json!({"tool_name": "Read", "tool_input": {"file_path": "/x"}});
    assert_eq!(
        respond(Host::ClaudeCode, read.to_string().as_bytes(), &classify).stdout,
        ""
    );
}

#[test]
fn approvals_from_agents_are_denied() {
    let reply = respond(
        Host::ClaudeCode,
        &claude("dbguard approve 7f3a", "default"),
        &classify,
    );
    assert_eq!(
        decision_of(&reply)["hookSpecificOutput"]["permissionDecision"],
        "deny"
    );
}

#[test]
fn malformed_input_fails_closed_with_exit_2() {
    for input in [
        &b"not json"[..],
        b"[]",
        br#"{"tool_name": "Bash", "tool_input": {}}"#,
        br#"{"tool_name": "Bash", "tool_input": {"command": 42}}"#,
        br#"{"tool_input": {"command": "ls"}}"#,
        b"\xff\xfe",
    ] {
        for host in Host::ALL {
            let reply = respond(host, input, &classify);
            assert_eq!(reply.exit_code, 2, "{host:?} {input:?}");
            assert!(reply.stderr.contains("could not check"), "{}", reply.stderr);
        }
    }
    let reply = respond(Host::Cursor, br#"{"cwd": "/p"}"#, &classify);
    assert_eq!(reply.exit_code, 2);
    assert_eq!(decision_of(&reply)["permission"], "deny");
}

#[test]
fn no_reason_offers_a_way_around() {
    for line in ["dropdb farm", "npx prisma db push"] {
        for mode in ["default", "bypassPermissions"] {
            let reply = respond(Host::ClaudeCode, &claude(line, mode), &classify);
            let text = reply.stdout.to_lowercase();
            for forbidden in [
                "--force",
                "bypass",
                "skip",
                "disable",
                "env ",
                "export ",
                "dbguard approve",
            ] {
                assert!(!text.contains(forbidden), "{line}: `{forbidden}` in {text}");
            }
        }
    }
}

#[test]
fn argument_lists_are_joined_with_quotes() {
    assert_eq!(
        request::join_words(&["psql", "-c", "DROP TABLE x"]),
        "psql -c 'DROP TABLE x'"
    );
    assert_eq!(request::join_words(&["echo", "it's"]), "echo 'it'\\''s'");
}

proptest! {
    #[test]
    fn never_panics_and_always_answers(input in proptest::collection::vec(any::<u8>(), 0..300)) {
        for host in Host::ALL {
            let reply = respond(host, &input, &classify);
            prop_assert!(reply.exit_code == 0 || reply.exit_code == 2);
        }
    }
}

#[test]
fn file_tools_and_every_mcp_string_reach_the_classifier() {
    let parse = |tool: &str, input: Value| {
        Request::parse(
            Host::ClaudeCode,
            json!({"tool_name": tool, "tool_input": input})
                .to_string()
                .as_bytes(),
        )
        .unwrap()
        .call
    };
    assert_eq!(
        parse(
            "Write",
            json!({"file_path": "/p/a.sql", "content": "DROP TABLE t;"})
        ),
        ToolCall::WriteFile {
            path: PathBuf::from("/p/a.sql"),
            change: FileChange::Whole("DROP TABLE t;".into())
        }
    );
    let ToolCall::WriteFile { change, .. } = parse(
        "MultiEdit",
        json!({"file_path": "/p/a.sql", "edits": [{"old_string": "a", "new_string": "b", "replace_all": true}, {"old_string": "c", "new_string": "d"}]}),
    ) else {
        panic!("not a file write")
    };
    assert_eq!(change.apply("a a c c").as_deref(), Some("b b d c"));
    assert!(matches!(
        parse(
            "NotebookEdit",
            json!({"notebook_path": "/p/n.ipynb", "new_source": "x"})
        ),
        ToolCall::WriteFile {
            change: FileChange::Opaque,
            ..
        }
    ));
    let ToolCall::Mcp(strings) = parse(
        "mcp__db__run",
        json!({"command": "DROP TABLE t", "params": {"sql": "x", "list": ["y"]}, "n": 3}),
    ) else {
        panic!("not an MCP call")
    };
    let keys: Vec<(&str, bool)> = strings
        .iter()
        .map(|s| (s.key.as_str(), s.database_context))
        .collect();
    assert_eq!(
        keys,
        [("command", true), ("params.sql", true), ("params.list[0]", true)]
    );
    let ToolCall::Mcp(strings) = parse(
        "mcp__github__create_issue",
        json!({"title": "Update the docs", "body": {"text": "x"}}),
    ) else {
        panic!("not an MCP call")
    };
    assert!(strings.iter().all(|s| !s.database_context));
    // A file tool without a file fails closed.
    assert!(Request::parse(
        Host::ClaudeCode,
        json!({"tool_name": "Write", "tool_input": {"content": "x"}})
            .to_string()
            .as_bytes()
    )
    .is_err());
}
