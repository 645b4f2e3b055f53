//! `dbguard check`, `dbguard hook <host>`, `hook install` and `doctor`, as a
//! person or an agent runs them.

use std::path::Path;

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::{json, Value};

fn dbguard(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("dbguard").unwrap();
    cmd.current_dir(dir)
        .env_remove("DATABASE_URL")
        .env("HOME", dir.join("home"));
    cmd
}

fn json_of(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(bytes)))
}

#[test]
fn check_exit_codes_follow_the_risk() {
    let dir = tempfile::tempdir().unwrap();
    dbguard(dir.path())
        .args(["check", "--", "git", "status"])
        .assert()
        .code(0);
    dbguard(dir.path())
        .args(["check", "--", "npx", "prisma", "db", "push"])
        .assert()
        .code(3);
    dbguard(dir.path())
        .args(["check", "psql -c \"TRUNCATE batches\""])
        .assert()
        .code(4)
        .stdout(predicate::str::contains("truncate"));
    dbguard(dir.path())
        .args(["check", "--sql", "DELETE FROM tasks WHERE id = 1"])
        .assert()
        .code(0);
    dbguard(dir.path())
        .args(["check", "--sql", "-"])
        .write_stdin("DROP SCHEMA public CASCADE")
        .assert()
        .code(4);
    dbguard(dir.path())
        .args(["check", "--sql", "-"])
        .write_stdin(&b"\xff\xfe"[..])
        .assert()
        .code(1);
    dbguard(dir.path()).arg("check").assert().code(2);
}

#[test]
fn check_json_has_the_documented_shape() {
    let dir = tempfile::tempdir().unwrap();
    let out = dbguard(dir.path())
        .args([
            "--format", "json", "check", "--", "sudo", "-u", "postgres", "dropdb", "farm",
        ])
        .assert()
        .code(4)
        .get_output()
        .stdout
        .clone();
    let report = json_of(&out);
    assert_eq!(report["risk"], "high");
    assert_eq!(report["kind"], "shell");
    let finding = &report["findings"][0];
    assert_eq!(finding["rule"], "dropdb");
    assert_eq!(finding["risk"], "high");
    assert!(finding["message"].as_str().unwrap().contains("farm"));
    assert!(finding["text"].as_str().unwrap().contains("dropdb farm"));
}

#[test]
fn check_reads_the_project_it_is_pointed_at_and_ignores_a_broken_env() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("package.json"),
        r#"{"scripts": {"db:reset": "npx prisma migrate reset --force"}}"#,
    )
    .unwrap();
    std::fs::write(dir.path().join(".env"), "DATABASE_URL='unterminated\n").unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    dbguard(elsewhere.path())
        .args(["check", "--cwd"])
        .arg(dir.path())
        .args(["--", "npm", "run", "db:reset"])
        .assert()
        .code(4)
        .stdout(predicate::str::contains("via: npm script `db:reset`"));
    dbguard(dir.path()).args(["check", "--", "ls"]).assert().code(0);
}

fn hook(dir: &Path, host: &str, input: &Value) -> (Value, i32) {
    let out = dbguard(dir)
        .args(["hook", host])
        .write_stdin(input.to_string())
        .output()
        .unwrap();
    let stdout = if out.stdout.is_empty() {
        Value::Null
    } else {
        json_of(&out.stdout)
    };
    (stdout, out.status.code().unwrap())
}

#[test]
fn hooks_answer_in_each_hosts_protocol() {
    let dir = tempfile::tempdir().unwrap();
    let claude = |command: &str| json!({"tool_name": "Bash", "tool_input": {"command": command}, "cwd": dir.path(), "permission_mode": "default"});
    let (out, code) = hook(
        dir.path(),
        "claude-code",
        &claude("npx prisma migrate reset --force"),
    );
    assert_eq!(
        (out["hookSpecificOutput"]["permissionDecision"].as_str(), code),
        (Some("deny"), 0)
    );
    let (out, _) = hook(dir.path(), "claude-code", &claude("npx prisma migrate dev"));
    assert_eq!(out["hookSpecificOutput"]["permissionDecision"], "ask");
    let (out, code) = hook(dir.path(), "claude-code", &claude("ls -la"));
    assert_eq!((out, code), (Value::Null, 0));

    let (out, _) = hook(
        dir.path(),
        "cursor",
        &json!({"command": "dropdb farm", "cwd": dir.path()}),
    );
    assert_eq!(out["permission"], "deny");
    let (out, _) = hook(
        dir.path(),
        "gemini",
        &json!({"tool_name": "run_shell_command", "tool_input": {"command": "rm -rf backups"}}),
    );
    assert_eq!(out["decision"], "deny");
    let (out, _) = hook(
        dir.path(),
        "codex",
        &json!({"tool_name": "Bash", "tool_input": {"command": "psql -c 'DROP TABLE x'"}}),
    );
    assert_eq!(out["hookSpecificOutput"]["permissionDecision"], "deny");
}

#[test]
fn a_hook_fed_garbage_denies_with_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    for host in ["claude-code", "cursor", "gemini", "codex"] {
        dbguard(dir.path())
            .args(["hook", host])
            .write_stdin("{not json")
            .assert()
            .code(2)
            .stderr(predicate::str::contains("could not check"));
    }
}

#[test]
fn hook_install_is_idempotent_and_keeps_other_settings() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join(".git")).unwrap();
    let settings = dir.path().join(".claude/settings.json");
    std::fs::create_dir_all(settings.parent().unwrap()).unwrap();
    std::fs::write(&settings, r#"{"permissions": {"allow": ["Bash(ls)"]}, "hooks": {"PreToolUse": [{"matcher": "Edit", "hooks": [{"type": "command", "command": "fmt"}]}]}}"#).unwrap();
    dbguard(dir.path())
        .args(["hook", "install", "claude-code", "--shared"])
        .assert()
        .success()
        .stdout(predicate::str::contains("installed"));
    dbguard(dir.path())
        .args(["hook", "install", "claude-code", "--shared"])
        .assert()
        .success()
        .stdout(predicate::str::contains("already installed"));
    let doc = json_of(&std::fs::read(&settings).unwrap());
    assert_eq!(doc["permissions"]["allow"][0], "Bash(ls)");
    let hooks = doc["hooks"]["PreToolUse"].as_array().unwrap();
    assert_eq!(hooks.len(), 2);
    assert_eq!(
        hooks[1]["hooks"][0]["command"], "dbguard hook claude-code",
        "a committed file names dbguard as every machine finds it"
    );
    // dbguard is not on this test's PATH: doctor says the shared hook cannot run here.
    dbguard(dir.path())
        .env("PATH", "/usr/bin:/bin")
        .arg("doctor")
        .assert()
        .code(1)
        .stdout(predicate::str::contains("which is not on this PATH"));
    // With it on PATH, the hook resolves.
    let bin = dir.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::os::unix::fs::symlink(assert_cmd::cargo::cargo_bin("dbguard"), bin.join("dbguard")).unwrap();
    dbguard(dir.path())
        .env("PATH", format!("{}:/usr/bin:/bin", bin.display()))
        .arg("doctor")
        .assert()
        .success()
        .stdout(predicate::str::contains("claude-code hook   installed"));
    dbguard(dir.path())
        .args(["hook", "install", "cursor", "--user"])
        .assert()
        .success();
    assert!(dir.path().join("home/.cursor/hooks.json").is_file());
}

#[test]
fn hook_install_writes_the_local_settings_by_default() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join(".git")).unwrap();
    dbguard(dir.path())
        .args(["hook", "install", "claude-code"])
        .assert()
        .success();
    assert!(
        !dir.path().join(".claude/settings.json").exists(),
        "nothing a team commits"
    );
    let doc = json_of(&std::fs::read(dir.path().join(".claude/settings.local.json")).unwrap());
    let command = doc["hooks"]["PreToolUse"][0]["hooks"][0]["command"]
        .as_str()
        .unwrap();
    let exe = assert_cmd::cargo::cargo_bin("dbguard");
    assert_eq!(
        command,
        format!("{} hook claude-code", exe.display()),
        "not on PATH: this binary"
    );
    dbguard(dir.path()).arg("doctor").assert().success().stdout(
        predicate::str::contains("installed in").and(predicate::str::contains("settings.local.json")),
    );
}

#[test]
fn hook_install_leaves_an_invalid_settings_file_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join(".codex/hooks.json");
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::write(&file, "{ broken").unwrap();
    dbguard(dir.path())
        .args(["hook", "install", "codex"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("left untouched"));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "{ broken");
}

#[test]
fn doctor_reports_a_hook_whose_program_is_gone() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join(".gemini/settings.json");
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    let doc = json!({"hooks": {"BeforeTool": [{"matcher": "run_shell_command", "hooks": [{"type": "command", "command": "/gone/dbguard hook gemini"}]}]}});
    std::fs::write(&file, doc.to_string()).unwrap();
    dbguard(dir.path())
        .arg("doctor")
        .assert()
        .code(1)
        .stdout(predicate::str::contains("/gone/dbguard, which does not exist"));
}

fn decision(dir: &Path, tool: &str, input: Value) -> String {
    let (out, code) = hook(
        dir,
        "claude-code",
        &json!({"tool_name": tool, "tool_input": input, "cwd": dir, "permission_mode": "default"}),
    );
    assert_eq!(code, 0, "{out}");
    out["hookSpecificOutput"]["permissionDecision"]
        .as_str()
        .unwrap_or("allow")
        .to_string()
}

/// The file tools an agent would use to forge an approval, rewrite the
/// log, loosen the policy or switch the hook off are denied; other files
/// are not dbguard's business.
#[test]
fn file_tools_cannot_write_dbguard_s_own_files() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join(".dbguard/approvals")).unwrap();
    std::fs::write(
        dir.path().join(".dbguard/approvals/1a2b3c4d.json"),
        "{\"approved\": null}",
    )
    .unwrap();
    let approval = dir.path().join(".dbguard/approvals/1a2b3c4d.json");
    let cases = [
        (
            "Write",
            json!({"file_path": dir.path().join(".dbguard/approvals/00000000.json"), "content": "{}"}),
        ),
        (
            "Edit",
            json!({"file_path": approval, "old_string": "null", "new_string": "{\"by\": \"alice\"}"}),
        ),
        (
            "MultiEdit",
            json!({"file_path": ".dbguard/audit.log", "edits": [{"old_string": "a", "new_string": "b"}]}),
        ),
        (
            "Write",
            json!({"file_path": "dbguard.toml", "content": "[backup]\nkeep_days = 0\n"}),
        ),
        (
            "Edit",
            json!({"file_path": ".claude/settings.json", "old_string": "dbguard", "new_string": "true"}),
        ),
        (
            "Write",
            json!({"file_path": dir.path().join("home/.config/dbguard/approver.json"), "content": "{}"}),
        ),
        (
            "NotebookEdit",
            json!({"notebook_path": ".dbguard/x.ipynb", "new_source": "x"}),
        ),
    ];
    for (tool, input) in cases {
        assert_eq!(
            decision(dir.path(), tool, input.clone()),
            "deny",
            "{tool} {input}"
        );
    }
    assert_eq!(
        std::fs::read_to_string(&approval).unwrap(),
        "{\"approved\": null}"
    );
    assert_eq!(
        decision(
            dir.path(),
            "Write",
            json!({"file_path": "src/app.ts", "content": "export {}"})
        ),
        "allow"
    );
    assert_eq!(
        decision(
            dir.path(),
            "Edit",
            json!({"file_path": "README.md", "old_string": "a", "new_string": "b"})
        ),
        "allow"
    );
}

/// The local server's superuser password and open windows' tokens are
/// dbguard's alone: a file tool reading or searching them is denied, by
/// any spelling of the path; the rest of `.dbguard/` and other files read freely.
#[test]
fn file_tools_cannot_read_dbguard_s_credentials() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join(".dbguard/approvals")).unwrap();
    std::fs::write(
        dir.path().join(".dbguard/local.pgpass"),
        "*:*:*:postgres:secret\n",
    )
    .unwrap();
    std::fs::write(dir.path().join(".dbguard/audit.log"), "").unwrap();
    std::os::unix::fs::symlink(
        dir.path().join(".dbguard/local.pgpass"),
        dir.path().join("notes.txt"),
    )
    .unwrap();
    for (tool, input) in [
        ("Read", json!({"file_path": ".dbguard/local.pgpass"})),
        (
            "Read",
            json!({"file_path": dir.path().join("src/../.dbguard/local.pgpass")}),
        ),
        ("Read", json!({"file_path": "notes.txt"})),
        ("Read", json!({"file_path": ".dbguard/approvals/1a2b3c4d.json"})),
        ("Grep", json!({"pattern": "postgres", "path": ".dbguard"})),
        ("Glob", json!({"pattern": "*", "path": ".dbguard/approvals"})),
        (
            "read_file",
            json!({"absolute_path": dir.path().join(".dbguard/local.pgpass")}),
        ),
    ] {
        assert_eq!(
            decision(dir.path(), tool, input.clone()),
            "deny",
            "{tool} {input}"
        );
    }
    for (tool, input) in [
        ("Read", json!({"file_path": ".dbguard/audit.log"})),
        ("Read", json!({"file_path": "src/app.ts"})),
        ("Grep", json!({"pattern": "farm", "path": "src"})),
    ] {
        assert_eq!(
            decision(dir.path(), tool, input.clone()),
            "allow",
            "{tool} {input}"
        );
    }
}

/// A migration written by a file tool is linted as it will be after the write.
#[test]
fn migrations_written_by_file_tools_are_linted() {
    let dir = tempfile::tempdir().unwrap();
    let migration = dir
        .path()
        .join("prisma/migrations/20260101000000_init/migration.sql");
    std::fs::create_dir_all(migration.parent().unwrap()).unwrap();
    std::fs::write(&migration, "CREATE TABLE farms (id int PRIMARY KEY);\n").unwrap();
    let new = "prisma/migrations/20260102000000_cleanup/migration.sql";
    assert_eq!(
        decision(
            dir.path(),
            "Write",
            json!({"file_path": new, "content": "DROP TABLE farms;\n"})
        ),
        "deny"
    );
    assert_eq!(
        decision(
            dir.path(),
            "Edit",
            json!({"file_path": migration, "old_string": "CREATE TABLE farms (id int PRIMARY KEY);", "new_string": "TRUNCATE farms;"})
        ),
        "deny",
        "an edit is linted on the file as it will be"
    );
    assert_eq!(
        decision(
            dir.path(),
            "Write",
            json!({"file_path": new, "content": "SET lock_timeout = '5s';\nCREATE TABLE tasks (id int PRIMARY KEY);\n"})
        ),
        "allow"
    );
}

/// SQL under any key of any MCP tool is classified; text that is not SQL
/// is not.
#[test]
fn mcp_sql_is_found_under_any_key() {
    let dir = tempfile::tempdir().unwrap();
    for (tool, input) in [
        ("mcp__postgres__execute", json!({"statement": "DROP TABLE users"})),
        ("mcp__supabase__run", json!({"params": {"sql": "TRUNCATE farms"}})),
        (
            "mcp__db__batch",
            json!({"queries": ["SELECT 1", "DELETE FROM tasks"]}),
        ),
        (
            "mcp__tools__call",
            json!({"args": {"text": "DELETE FROM orders"}}),
        ),
        ("mcp__db__exec", json!({"command": "DROP SCHEMA public CASCADE"})),
        ("mcp__postgres__query", json!({"sql": "DELETE FROM users WHERE"})),
    ] {
        assert_eq!(
            decision(dir.path(), tool, input.clone()),
            "deny",
            "{tool} {input}"
        );
    }
    for (tool, input) in [
        (
            "mcp__github__create_issue",
            json!({"title": "Update the docs", "body": "delete the old section"}),
        ),
        (
            "mcp__postgres__query",
            json!({"sql": "SELECT * FROM users WHERE id = 1"}),
        ),
        (
            "mcp__db__exec",
            json!({"command": "DELETE FROM tasks WHERE id = 4"}),
        ),
    ] {
        assert_eq!(
            decision(dir.path(), tool, input.clone()),
            "allow",
            "{tool} {input}"
        );
    }
}

#[test]
fn hook_install_widens_an_old_matcher_to_the_file_tools() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join(".git")).unwrap();
    let settings = dir.path().join(".claude/settings.json");
    std::fs::create_dir_all(settings.parent().unwrap()).unwrap();
    std::fs::write(
        &settings,
        r#"{"hooks": {"PreToolUse": [{"matcher": "Bash|mcp__.*", "hooks": [{"type": "command", "command": "dbguard hook claude-code"}]}]}}"#,
    )
    .unwrap();
    dbguard(dir.path())
        .args(["hook", "install", "claude-code", "--shared"])
        .assert()
        .success();
    let doc = json_of(&std::fs::read(&settings).unwrap());
    let matcher = doc["hooks"]["PreToolUse"][0]["matcher"].as_str().unwrap();
    for tool in ["Bash", "Write", "Edit", "MultiEdit", "NotebookEdit", "mcp__"] {
        assert!(matcher.contains(tool), "{matcher}");
    }
    assert_eq!(doc["hooks"]["PreToolUse"].as_array().unwrap().len(), 1);
}
