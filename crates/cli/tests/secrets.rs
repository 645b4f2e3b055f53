//! No password reaches any output of the `dbguard` binary, whatever shape it
//! comes in (`dbguard_testkit::secrets`): `check` in text and JSON, hook
//! replies, configuration errors, what `run` stores, backup labels.

use std::path::Path;

use assert_cmd::Command;
use dbguard_testkit::secrets::{leaked_forms, shapes};
use proptest::prelude::*;
use serde_json::json;

fn dbguard(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("dbguard").unwrap();
    cmd.current_dir(dir)
        .env_remove("DATABASE_URL")
        .env("HOME", dir.join("home"));
    for (key, _) in std::env::vars() {
        if key.starts_with("PG") || key == "CLAUDECODE" {
            cmd.env_remove(key);
        }
    }
    cmd
}

/// Neither the password nor any six characters of it appear in `output`.
fn leaks(output: &str, password: &str) -> Option<String> {
    leaked_forms(password).into_iter().find_map(|form| {
        let chars: Vec<char> = form.chars().collect();
        chars
            .windows(6)
            .map(|w| w.iter().collect::<String>())
            .find(|piece| output.contains(piece.as_str()))
    })
}

fn output_of(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap();
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(6))]
    #[test]
    fn check_hook_and_configuration_errors_never_show_a_password(
        user in "[a-z]{1,8}",
        password in "[A-Za-z0-9]{2}[A-Za-z0-9._~!%*+,;=@:/?#&-]{4,12}[A-Za-z0-9]{2}".prop_map(|p| format!("Qz{p}")),
        host in "[a-z]{1,10}",
    ) {
        let dir = tempfile::tempdir().unwrap();
        for shape in shapes(&user, &password, &host) {
            let line = shape.command_line.as_str();
            let runs = [
                output_of(dbguard(dir.path()).args(["check", line])),
                output_of(dbguard(dir.path()).args(["--format", "json", "check", line])),
                output_of(
                    dbguard(dir.path())
                        .args(["hook", "claude-code"])
                        .write_stdin(json!({"tool_name": "Bash", "tool_input": {"command": line}, "cwd": dir.path()}).to_string()),
                ),
                output_of(dbguard(dir.path()).args(["--database-url", &shape.text, "config"])),
                output_of(dbguard(dir.path()).args(["--format", "json", "--database-url", &shape.text, "config"])),
            ];
            for out in runs {
                prop_assert!(leaks(&out, &password).is_none(), "{}: {:?} in {out}", shape.name, leaks(&out, &password));
            }
        }
    }
}

#[test]
fn the_hook_still_refuses_with_the_password_masked() {
    let dir = tempfile::tempdir().unwrap();
    let line = "psql \"postgresql://app:Qzs3cretXY@db.example.com/farm\" -c \"drop table x\"";
    let out = dbguard(dir.path())
        .args(["hook", "claude-code"])
        .write_stdin(json!({"tool_name": "Bash", "tool_input": {"command": line}}).to_string())
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("HIGH risk"), "{text}");
    assert!(
        text.contains("postgresql://app:***@db.example.com/farm"),
        "{text}"
    );
    assert!(!text.contains("Qzs3cret"), "{text}");
}

/// Every file under `dir`, read as text where it is one.
fn all_files_text(dir: &Path) -> String {
    let mut text = String::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if let Ok(bytes) = std::fs::read(&path) {
                text.push_str(&String::from_utf8_lossy(&bytes));
            }
        }
    }
    text
}

#[test]
fn pgpassword_through_run_and_a_url_in_a_backup_label_are_never_stored() {
    let db = dbguard_testkit::server().fresh_db();
    db.client()
        .batch_execute("CREATE TABLE x (id int); INSERT INTO x VALUES (1)")
        .unwrap();
    let dir = dbguard_testkit::project_dir("dbguard-secrets-");
    let password = db.password();
    let port = db.port().to_string();
    let line = format!(
        "PGPASSWORD={password} psql -h 127.0.0.1 -p {port} -U postgres {} -c 'TRUNCATE x'",
        db.name
    );
    let out = output_of(dbguard(dir.path()).args(["run", "--", &line]));
    assert!(out.contains("PGPASSWORD=***"), "{out}");
    assert!(
        leaks(&out, &password).is_none(),
        "run printed the password: {out}"
    );
    let stored = all_files_text(dir.path());
    assert!(!stored.is_empty(), "run recorded nothing");
    assert!(
        leaks(&stored, &password).is_none(),
        "run stored the password (audit log, approval or block)"
    );

    // Every shape of credential in one label, then a URL and an assignment.
    let shaped: Vec<String> = shapes("app", "QzLabelPw7", "h")
        .into_iter()
        .map(|s| s.text)
        .collect();
    let label = format!(
        "before postgresql://app:QzLabelPw9@h/db and PGPASSWORD=QzLabelPw8 {}",
        shaped.join(" ")
    );
    let label = label.as_str();
    let url = db.url.expose();
    let out =
        output_of(dbguard(dir.path()).args(["--database-url", url, "backup", "create", "--label", label]));
    assert!(out.contains("created backup"), "{out}");
    let listed =
        output_of(dbguard(dir.path()).args(["--format", "json", "--database-url", url, "backup", "list"]));
    let stored = all_files_text(dir.path());
    for secret in ["QzLabelPw9", "QzLabelPw8", "QzLabelPw7"] {
        assert!(!stored.contains(secret), "the label's password is stored");
        assert!(!listed.contains(secret), "the label's password is listed");
    }
    assert!(listed.contains("postgresql://app:***@h/db"), "{listed}");
}
