//! The safety protocol end to end, against a real server: refusals without a
//! person, approvals typed at a (pseudo-)terminal, bound, expiring and used
//! once, the verified backup before execution, and the audit chain.

mod support;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use assert_cmd::Command;

use dbguard_guard::approver::{Approver, ApproverDir};
use dbguard_testkit::TestDb;
use serde_json::Value;
use sha2::Digest;
use support::{config_home, in_pty, set_up_approver, PASS};

const AGENT_VARIABLES: &[&str] = &["CLAUDECODE", "CURSOR_AGENT", "GEMINI_CLI"];

fn project() -> tempfile::TempDir {
    dbguard_testkit::project_dir("dbguard-protocol-")
}

/// A project whose person has set up an approver with [`PASS`].
fn project_with_approver() -> tempfile::TempDir {
    let dir = project();
    set_up_approver(&config_home(dir.path()));
    dir
}

fn clean_env(cmd: &mut std::process::Command) {
    for (key, _) in std::env::vars() {
        if AGENT_VARIABLES.contains(&key.as_str())
            || key.starts_with("CODEX_")
            || key.starts_with("PG")
            || key == "DATABASE_URL"
        {
            cmd.env_remove(key);
        }
    }
}

fn dbguard(dir: &Path, env: &[(&str, &str)]) -> Command {
    let mut std_cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("dbguard"));
    std_cmd.current_dir(dir);
    clean_env(&mut std_cmd);
    std_cmd.env("XDG_CONFIG_HOME", config_home(dir));
    for (k, v) in env {
        std_cmd.env(k, v);
    }
    Command::from_std(std_cmd)
}

fn count(db: &TestDb, table: &str) -> i64 {
    db.client()
        .query_one(&format!("SELECT count(*) FROM {table}"), &[])
        .unwrap()
        .get(0)
}

fn json(dir: &Path, args: &[&str]) -> Value {
    let out = dbguard(dir, &[])
        .arg("--format")
        .arg("json")
        .args(args)
        .output()
        .unwrap();
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{args:?}: {e}: {}", String::from_utf8_lossy(&out.stdout)))
}

/// A person approves the pending approval at a terminal; its id.
fn approve_pending(dir: &Path) -> String {
    let id = pending_id(dir);
    let out = in_pty(dir, &format!("approve {id}"), &format!("YES\n{PASS}\n"), &[]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    id
}

fn pending_id(dir: &Path) -> String {
    let list = json(dir, &["approvals"]);
    let pending: Vec<&Value> = list["approvals"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["state"] == "pending")
        .collect();
    assert_eq!(pending.len(), 1, "{list}");
    pending[0]["id"].as_str().unwrap().to_string()
}

/// Every file under `dir` (the local server's folder is not there in these tests).
fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .flatten()
        .flat_map(|e| {
            if e.path().is_dir() {
                walk(&e.path())
            } else {
                vec![e.path()]
            }
        })
        .filter(|p| p.extension().is_none_or(|x| x != "zst"))
        .collect()
}

fn seeded() -> TestDb {
    let db = dbguard_testkit::server().fresh_db();
    db.client()
        .batch_execute(
            "CREATE TABLE batches (id int PRIMARY KEY, trays int);
             INSERT INTO batches SELECT g, g % 7 FROM generate_series(1, 100) g;
             CREATE TABLE tasks (id int PRIMARY KEY, title text);
             INSERT INTO tasks SELECT g, 't' || g FROM generate_series(1, 30) g;",
        )
        .unwrap();
    db
}

#[test]
fn truncate_waits_for_a_person_then_backs_up_runs_and_is_recorded() {
    let db = seeded();
    let dir = project_with_approver();
    let url = db.url.expose().to_string();
    // The command names the password in its URL: it must never be stored or shown.
    let password = db.password();
    let with_password = db.inline_url();
    let truncate = [
        "run",
        "--",
        "psql",
        with_password.as_str(),
        "-c",
        "TRUNCATE batches",
    ];

    let out = dbguard(dir.path(), &[]).args(truncate).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{stderr}");
    assert!(
        stderr.contains("DATABASE OPERATION REQUIRED") && stderr.contains("batches (100 rows)"),
        "{stderr}"
    );
    assert_eq!(count(&db, "batches"), 100);
    let id = pending_id(dir.path());
    assert!(stderr.contains(&format!("dbguard approve {id}")), "{stderr}");

    // Anything but YES changes nothing; neither does a wrong passphrase, nor
    // an agent typing YES and the passphrase.
    let out = in_pty(dir.path(), &format!("approve {id}"), "yes please\n", &[]);
    assert_eq!(out.status.code(), Some(4));
    let out = in_pty(
        dir.path(),
        &format!("approve {id}"),
        "YES\nnot the passphrase\n",
        &[],
    );
    assert_eq!(out.status.code(), Some(4));
    assert!(String::from_utf8_lossy(&out.stdout).contains("wrong passphrase"));
    let out = in_pty(
        dir.path(),
        &format!("approve {id}"),
        &format!("YES\n{PASS}\n"),
        &[("CLAUDECODE", "1")],
    );
    assert_eq!(out.status.code(), Some(4));
    assert!(String::from_utf8_lossy(&out.stdout).contains("not for an AI agent"));
    dbguard(dir.path(), &[]).args(truncate).assert().code(4);
    assert_eq!(
        pending_id(dir.path()),
        id,
        "the same operation reuses its pending approval"
    );
    assert_eq!(count(&db, "batches"), 100);

    let out = in_pty(
        dir.path(),
        &format!("approve {id}"),
        &format!("YES\n{PASS}\n"),
        &[],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let out = dbguard(dir.path(), &[]).args(truncate).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(count(&db, "batches"), 0);

    // The verified backup holds the rows, and restores them.
    let backups = json(dir.path(), &["backup", "list"]);
    let backup = &backups["backups"][0];
    assert_eq!(backup["verified"], "read");
    assert!(backup["label"].as_str().unwrap().contains("TRUNCATE batches"));
    let copy = format!("{}_before", db.name);
    dbguard(dir.path(), &[("DATABASE_URL", &url)])
        .args(["restore", backup["id"].as_str().unwrap(), "--into", &copy])
        .assert()
        .success();
    let mut restored =
        dbguard_pg::connect(&db.url.with_database(&copy).unwrap(), Duration::from_secs(10)).unwrap();
    let rows: i64 = restored
        .query_one("SELECT count(*) FROM batches", &[])
        .unwrap()
        .get(0);
    assert_eq!(rows, 100);
    drop(restored);
    db.client()
        .batch_execute(&format!("DROP DATABASE \"{copy}\" WITH (FORCE)"))
        .unwrap();

    // Used once.
    dbguard(dir.path(), &[]).args(truncate).assert().code(4);

    let audit = json(dir.path(), &["audit"]);
    let entries = audit["entries"].as_array().unwrap();
    let executed: Vec<&Value> = entries.iter().filter(|e| e["outcome"] == "executed").collect();
    assert!(
        entries
            .iter()
            .any(|e| e["outcome"] == "approved" && e["signature"].is_object()),
        "approve writes a signed entry: {audit}"
    );
    assert_eq!(executed.len(), 1);
    assert_eq!(executed[0]["backup"], backup["id"]);
    assert!(executed[0]["approval"].as_str().unwrap().contains(&id));
    assert_eq!(executed[0]["rules"][0], "truncate");
    assert!(executed[0]["operation"]
        .as_str()
        .unwrap()
        .contains("postgres:***@"));
    dbguard(dir.path(), &[])
        .args(["audit", "verify"])
        .assert()
        .success();
    for file in walk(&dir.path().join(".dbguard"))
        .into_iter()
        .chain(walk(&dir.path().join("backups")))
    {
        let text = String::from_utf8_lossy(&std::fs::read(&file).unwrap()).into_owned();
        assert!(!text.contains(&password), "{} holds the password", file.display());
    }
    assert!(!stderr.contains(&password), "the block shows the password");

    let log = dir.path().join(".dbguard/audit.log");
    let lines: Vec<String> = std::fs::read_to_string(&log)
        .unwrap()
        .lines()
        .map(String::from)
        .collect();
    let without_one: String = lines
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != 1)
        .map(|(_, l)| format!("{l}\n"))
        .collect();
    std::fs::write(&log, without_one).unwrap();
    dbguard(dir.path(), &[])
        .args(["audit", "verify"])
        .assert()
        .code(1);
}

#[test]
fn at_a_terminal_only_yes_and_the_passphrase_proceed() {
    let db = seeded();
    let dir = project();
    let args = format!("run -- psql '{}' -c 'TRUNCATE tasks'", db.url.expose());
    // No approver yet: nothing can be approved, not even by YES.
    let out = in_pty(dir.path(), &args, &format!("YES\n{PASS}\n"), &[]);
    assert_eq!(out.status.code(), Some(4));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("dbguard approver init"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    set_up_approver(&config_home(dir.path()));
    let out = in_pty(dir.path(), &args, "y\n", &[]);
    assert_eq!(out.status.code(), Some(4));
    assert!(String::from_utf8_lossy(&out.stdout).contains("Cancelled; nothing was changed."));
    let out = in_pty(dir.path(), &args, "YES\n", &[]);
    assert_eq!(out.status.code(), Some(4), "YES without the passphrase");
    let out = in_pty(dir.path(), &args, "YES\nsomething else entirely\n", &[]);
    assert_eq!(out.status.code(), Some(4), "a wrong passphrase");
    assert_eq!(count(&db, "tasks"), 30);
    let out = in_pty(dir.path(), &args, &format!("YES\n{PASS}\n"), &[]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(
        text.contains("to undo the operation: dbguard restore backup_"),
        "{text}"
    );
    assert_eq!(count(&db, "tasks"), 0);
    let audit = json(dir.path(), &["audit"]);
    let outcomes: Vec<&str> = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(
        outcomes,
        [
            "refused",
            "cancelled",
            "cancelled",
            "cancelled",
            "approved",
            "approval-used",
            "executed"
        ]
    );
    assert!(audit["entries"][6]["approval"]
        .as_str()
        .unwrap()
        .contains("the approver's passphrase at the terminal"));
}

#[test]
fn an_approval_unlocks_only_its_own_command_and_database_until_it_expires() {
    let a = seeded();
    let b = seeded();
    let dir = project_with_approver();
    let port = a.port().to_string();
    let password = a.password();
    let env = |db: &TestDb| -> Vec<(&'static str, String)> {
        vec![
            ("PGHOST", "127.0.0.1".into()),
            ("PGPORT", port.clone()),
            ("PGUSER", "postgres".into()),
            ("PGPASSWORD", password.clone()),
            ("PGDATABASE", db.name.clone()),
        ]
    };
    let run = |db: &TestDb, sql: &str| {
        let env = env(db);
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        dbguard(dir.path(), &env)
            .args(["run", "--", "psql", "-c", sql])
            .output()
            .unwrap()
            .status
            .code()
    };
    assert_eq!(run(&a, "TRUNCATE batches"), Some(4));
    let id = approve_pending(dir.path());

    assert_eq!(run(&a, "TRUNCATE tasks"), Some(4), "another command");
    assert_eq!(run(&b, "TRUNCATE batches"), Some(4), "another database");
    assert_eq!(
        (count(&a, "batches"), count(&a, "tasks"), count(&b, "batches")),
        (100, 30, 100)
    );

    // An approved but expired approval does not work.
    let file = dir.path().join(format!(".dbguard/approvals/{id}.json"));
    let mut approval: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    approval["expires_at"] = Value::from("2020-01-01T00:00:00Z");
    std::fs::write(&file, serde_json::to_vec(&approval).unwrap()).unwrap();
    assert_eq!(run(&a, "TRUNCATE batches"), Some(4), "expired");
    assert_eq!(count(&a, "batches"), 100);
}

#[test]
fn killing_dbguard_during_the_backup_leaves_the_database_untouched() {
    let db = dbguard_testkit::server().fresh_db();
    db.client()
        .batch_execute("CREATE TABLE big AS SELECT g AS id, md5(g::text) || repeat('x', 200) AS body FROM generate_series(1, 400000) g")
        .unwrap();
    let dir = project_with_approver();
    let url = db.url.expose().to_string();
    let args = ["run", "--", "psql", url.as_str(), "-c", "TRUNCATE big"];
    dbguard(dir.path(), &[]).args(args).assert().code(4);
    approve_pending(dir.path());

    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("dbguard"));
    cmd.current_dir(dir.path())
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    clean_env(&mut cmd);
    cmd.env("XDG_CONFIG_HOME", config_home(dir.path()));
    let mut child = cmd.spawn().unwrap();
    let backups = dir.path().join("backups");
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        let writing = std::fs::read_dir(&backups)
            .map(|entries| entries.flatten().any(|e| e.path().join("dump.zst").exists()))
            .unwrap_or(false);
        if writing {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    unsafe { libc::kill(child.id() as i32, libc::SIGKILL) };
    child.wait().unwrap();
    assert_eq!(count(&db, "big"), 400_000);
    assert!(json(dir.path(), &["backup", "list"])["backups"]
        .as_array()
        .unwrap()
        .is_empty());
}

#[test]
fn prisma_migrate_reset_stops_and_lists_every_table_with_its_rows() {
    let db = seeded();
    let dir = project();
    std::fs::create_dir_all(dir.path().join("prisma")).unwrap();
    std::fs::write(
        dir.path().join("prisma/schema.prisma"),
        "datasource db {\n  provider = \"postgresql\"\n  url      = env(\"DATABASE_URL\")\n}\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join(".env"),
        format!("DATABASE_URL=\"{}\"\n", db.url.expose()),
    )
    .unwrap();
    // A stand-in for npx: it records that it ran.
    let bin = dir.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::fs::write(
        bin.join("npx"),
        "#!/bin/sh\necho ran > \"$(dirname \"$0\")/ran\"\n",
    )
    .unwrap();
    std::fs::set_permissions(bin.join("npx"), std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    let out = dbguard(dir.path(), &[("PATH", &path)])
        .args(["run", "--", "npx", "prisma", "migrate", "reset", "--force"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{stderr}");
    assert!(stderr.contains("Data at Risk: the whole database"), "{stderr}");
    assert!(
        stderr.contains("public.batches (100 rows)") && stderr.contains("public.tasks (30 rows)"),
        "{stderr}"
    );
    assert!(!bin.join("ran").exists(), "npx must not have run");
}

#[test]
fn sql_runs_low_risk_at_once_and_stops_high_risk() {
    let db = seeded();
    let dir = project();
    let url = db.url.expose().to_string();
    dbguard(dir.path(), &[("DATABASE_URL", &url)])
        .args(["sql", "DELETE FROM tasks WHERE id = 3"])
        .assert()
        .success();
    assert_eq!(count(&db, "tasks"), 29);
    dbguard(dir.path(), &[("DATABASE_URL", &url)])
        .args(["sql", "DELETE FROM tasks WHERE title LIKE 't1%'"])
        .assert()
        .code(4);
    assert_eq!(count(&db, "tasks"), 29);
}

/// The approval file of `id`.
fn approval_file(dir: &Path, id: &str) -> std::path::PathBuf {
    dir.join(format!(".dbguard/approvals/{id}.json"))
}

fn edit_json(file: &Path, edit: impl FnOnce(&mut Value)) {
    let mut value: Value = serde_json::from_slice(&std::fs::read(file).unwrap()).unwrap();
    edit(&mut value);
    std::fs::write(file, serde_json::to_vec_pretty(&value).unwrap()).unwrap();
}

/// The attacks of a denied agent on the approval files: editing a pending
/// approval to look approved, writing one from nothing, and putting a used
/// one back. In each the TRUNCATE does not run.
#[test]
fn approval_files_edited_minted_or_replayed_run_nothing() {
    let db = seeded();
    let dir = project_with_approver();
    let url = db.url.expose().to_string();
    let truncate = ["run", "--", "psql", url.as_str(), "-c", "TRUNCATE batches"];
    dbguard(dir.path(), &[]).args(truncate).assert().code(4);
    let id = pending_id(dir.path());
    let file = approval_file(dir.path(), &id);

    // 1. The pending file edited to say it was approved (sed -i, python, an Edit tool).
    edit_json(&file, |a| {
        a["approved"] = serde_json::json!({
            "at": "2026-12-01T00:00:00Z", "by": "alice",
            "fingerprint": "00112233445566778899aabbccddeeff", "signature": "ab".repeat(64)
        });
    });
    let out = dbguard(dir.path(), &[]).args(truncate).output().unwrap();
    assert_eq!(out.status.code(), Some(4));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("does not carry the approver's signature"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(count(&db, "batches"), 100);

    // 2. One written from nothing, every field of the binding computed, with
    //    the real approver's fingerprint.
    let approver = Approver::load(&ApproverDir::at(config_home(dir.path()).join("dbguard")))
        .unwrap()
        .unwrap();
    let mut minted: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    minted["id"] = Value::from("cafef00d");
    minted["nonce"] = Value::from("11".repeat(16));
    minted["approved"]["fingerprint"] = Value::from(approver.fingerprint());
    std::fs::remove_file(&file).unwrap();
    std::fs::write(
        approval_file(dir.path(), "cafef00d"),
        serde_json::to_vec(&minted).unwrap(),
    )
    .unwrap();
    dbguard(dir.path(), &[]).args(truncate).assert().code(4);
    assert_eq!(count(&db, "batches"), 100);
    std::fs::remove_file(approval_file(dir.path(), "cafef00d")).unwrap();

    // 3. A real approval, used once, then put back as it was (used_at null).
    dbguard(dir.path(), &[]).args(truncate).assert().code(4);
    let id = approve_pending(dir.path());
    let approved = std::fs::read(approval_file(dir.path(), &id)).unwrap();
    db.client()
        .batch_execute("INSERT INTO batches SELECT g, 1 FROM generate_series(101, 110) g")
        .unwrap();
    dbguard(dir.path(), &[]).args(truncate).assert().success();
    assert_eq!(count(&db, "batches"), 0);
    db.client()
        .batch_execute("INSERT INTO batches SELECT g, 1 FROM generate_series(1, 50) g")
        .unwrap();
    std::fs::write(approval_file(dir.path(), &id), &approved).unwrap();
    let out = dbguard(dir.path(), &[]).args(truncate).output().unwrap();
    assert_eq!(out.status.code(), Some(4));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("already used"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(count(&db, "batches"), 50);

    // 4. ... and the audit log's record of that use cut off with the head rewritten.
    let log = dir.path().join(".dbguard/audit.log");
    let text = std::fs::read_to_string(&log).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let used = lines
        .iter()
        .rposition(|l| l.contains("\"approval-used\""))
        .unwrap();
    std::fs::write(&log, format!("{}\n", lines[..used].join("\n"))).unwrap();
    std::fs::write(dir.path().join(".dbguard/audit.head"), "{}").unwrap();
    std::fs::write(approval_file(dir.path(), &id), &approved).unwrap();
    dbguard(dir.path(), &[]).args(truncate).assert().code(4);
    assert_eq!(count(&db, "batches"), 50);
    dbguard(dir.path(), &[])
        .args(["audit", "verify"])
        .assert()
        .code(1);
}

/// A program playing the person at a pseudo-terminal: without the
/// passphrase nothing is approved, and an agent that hides its marker is
/// found in its own shell.
#[test]
fn a_pseudo_terminal_driver_cannot_approve() {
    let db = seeded();
    let dir = project_with_approver();
    let args = format!("run -- psql '{}' -c 'DROP TABLE tasks'", db.url.expose());

    // Typing YES (a python pty.fork, expect, script …) without the passphrase.
    let out = in_pty(dir.path(), &args, "YES\n", &[]);
    assert_eq!(out.status.code(), Some(4));
    assert_eq!(count(&db, "tasks"), 30);

    // An agent's shell (CLAUDECODE set) running
    // `env -u CLAUDECODE script -qc "dbguard run …" /dev/null`, even with the passphrase.
    let exe = assert_cmd::cargo::cargo_bin("dbguard");
    let mut cmd = std::process::Command::new("sh");
    cmd.arg("-c")
        .arg(format!(
            "env -u CLAUDECODE script -qec \"'{}' {}\" /dev/null",
            exe.display(),
            args.replace('"', "\\\"")
        ))
        .current_dir(dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    clean_env(&mut cmd);
    cmd.env("XDG_CONFIG_HOME", config_home(dir.path()))
        .env("CLAUDECODE", "1");
    let mut child = cmd.spawn().unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("YES\n{PASS}\n").as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(4), "{text}");
    assert!(
        text.contains("dbguard approve"),
        "left pending for a person: {text}"
    );
    assert_eq!(count(&db, "tasks"), 30);
}

/// Pointing XDG_CONFIG_HOME at a folder with another approver, or none, for
/// one command approves nothing once the project pinned its approver.
#[test]
fn a_swapped_or_missing_approver_approves_nothing() {
    let db = seeded();
    let dir = project_with_approver();
    let url = db.url.expose().to_string();
    let truncate = ["run", "--", "psql", url.as_str(), "-c", "TRUNCATE tasks"];
    dbguard(dir.path(), &[]).args(truncate).assert().code(4);
    approve_pending(dir.path());
    dbguard(dir.path(), &[]).args(truncate).assert().success();

    // The agent's own approver, in a folder of its choosing.
    let elsewhere = dir.path().join(".agent-home");
    set_up_approver(&elsewhere);
    let elsewhere = elsewhere.to_string_lossy().into_owned();
    db.client()
        .batch_execute("INSERT INTO tasks VALUES (1, 'a'), (2, 'b')")
        .unwrap();
    let out = dbguard(dir.path(), &[("XDG_CONFIG_HOME", &elsewhere)])
        .args(truncate)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("not the one this project pinned"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = in_pty(
        dir.path(),
        &truncate
            .iter()
            .map(|w| format!("'{w}'"))
            .collect::<Vec<_>>()
            .join(" "),
        &format!("YES\n{PASS}\n"),
        &[("XDG_CONFIG_HOME", &elsewhere)],
    );
    assert_eq!(
        out.status.code(),
        Some(4),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let empty = dir.path().join(".empty-home").to_string_lossy().into_owned();
    dbguard(dir.path(), &[("XDG_CONFIG_HOME", &empty)])
        .args(truncate)
        .assert()
        .code(4);
    assert_eq!(count(&db, "tasks"), 2);
    dbguard(dir.path(), &[("XDG_CONFIG_HOME", &elsewhere)])
        .args(["audit", "verify"])
        .assert()
        .code(1);
}

/// Deleting the log, or cutting its end and recomputing the chain and the
/// project's head: `audit verify` says so, and refuses the approvals.
#[test]
fn a_deleted_or_rechained_audit_log_is_reported() {
    let db = seeded();
    let dir = project_with_approver();
    let url = db.url.expose().to_string();
    let truncate = ["run", "--", "psql", url.as_str(), "-c", "TRUNCATE tasks"];
    dbguard(dir.path(), &[]).args(truncate).assert().code(4);
    approve_pending(dir.path());
    dbguard(dir.path(), &[])
        .args(["audit", "verify"])
        .assert()
        .success();
    let state = dir.path().join(".dbguard");
    let saved_log = std::fs::read(state.join("audit.log")).unwrap();
    let saved_head = std::fs::read(state.join("audit.head")).unwrap();

    std::fs::remove_file(state.join("audit.log")).unwrap();
    std::fs::remove_file(state.join("audit.head")).unwrap();
    let out = dbguard(dir.path(), &[])
        .args(["audit", "verify"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(!String::from_utf8_lossy(&out.stdout).contains("intact"));
    dbguard(dir.path(), &[]).args(truncate).assert().code(4);
    assert_eq!(count(&db, "tasks"), 30);

    // The last line dropped, and the project's head rewritten to match.
    std::fs::write(state.join("audit.log"), &saved_log).unwrap();
    std::fs::write(state.join("audit.head"), &saved_head).unwrap();
    let text = String::from_utf8(saved_log).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    lines.pop();
    let last = lines.last().unwrap();
    std::fs::write(state.join("audit.log"), format!("{}\n", lines.join("\n"))).unwrap();
    std::fs::write(
        state.join("audit.head"),
        format!(
            "{{\"lines\":{},\"last\":\"{}\"}}",
            lines.len(),
            sha2::Sha256::digest(last.as_bytes())
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<String>()
        ),
    )
    .unwrap();
    dbguard(dir.path(), &[])
        .args(["audit", "verify"])
        .assert()
        .code(1);
}

/// Deleting one farm is one row by key, but ON DELETE CASCADE takes every
/// row of that farm in other tables with it: high on a live database.
#[test]
fn a_one_row_delete_that_cascades_into_rows_is_high() {
    let db = dbguard_testkit::server().fresh_db();
    db.client()
        .batch_execute(
            "CREATE TABLE farms (id int PRIMARY KEY, name text);
             CREATE TABLE batches (id int PRIMARY KEY, farm_id int NOT NULL REFERENCES farms ON DELETE CASCADE);
             CREATE TABLE tasks (id int PRIMARY KEY, batch_id int REFERENCES batches ON DELETE CASCADE);
             CREATE TABLE notes (id int PRIMARY KEY, farm_id int REFERENCES farms);
             INSERT INTO farms VALUES (1, 'a'), (2, 'b');
             INSERT INTO batches SELECT g, 1 + g % 2 FROM generate_series(1, 20) g;
             INSERT INTO tasks SELECT g, g FROM generate_series(1, 20) g;
             INSERT INTO notes VALUES (1, NULL);",
        )
        .unwrap();
    let dir = project_with_approver();
    let url = db.url.expose().to_string();
    let out = dbguard(dir.path(), &[("DATABASE_URL", &url)])
        .args(["sql", "DELETE FROM farms WHERE id = 1"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{stderr}");
    assert!(
        stderr.contains("cascade-delete") && stderr.contains("tasks (20 rows)"),
        "{stderr}"
    );
    let out = dbguard(dir.path(), &[])
        .args(["run", "--", "psql", &url, "-c", "DELETE FROM farms WHERE id = 2"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(4),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        (count(&db, "farms"), count(&db, "batches"), count(&db, "tasks")),
        (2, 20, 20)
    );
    // A row nothing cascades from is still one row.
    dbguard(dir.path(), &[("DATABASE_URL", &url)])
        .args(["sql", "DELETE FROM notes WHERE id = 1"])
        .assert()
        .success();
    dbguard(dir.path(), &[("DATABASE_URL", &url)])
        .args(["sql", "DELETE FROM tasks WHERE id = 1"])
        .assert()
        .success();
    assert_eq!((count(&db, "notes"), count(&db, "tasks")), (0, 19));
}

/// The agent rewrites its own pending request before the person looks at
/// it: a harmless operation shown over the real one is refused before the
/// question is asked; widened kinds and a far expiry are derived again
/// from the operation and held to the policy when the person approves.
#[test]
fn a_request_rewritten_before_the_person_looks_approves_nothing_more() {
    let db = seeded();
    let dir = project_with_approver();
    let url = db.url.expose().to_string();
    let truncate = ["run", "--", "psql", url.as_str(), "-c", "TRUNCATE batches"];
    dbguard(dir.path(), &[]).args(truncate).assert().code(4);
    let id = pending_id(dir.path());
    let file = approval_file(dir.path(), &id);
    let original = std::fs::read(&file).unwrap();

    // 1. What the person would read says something harmless.
    edit_json(&file, |a| {
        a["operation"] = Value::from("psql -c 'SELECT count(*) FROM batches'");
        a["block"] = Value::from("LOW risk, read only\n");
        a["risk"] = Value::from("low");
    });
    let out = in_pty(
        dir.path(),
        &format!("approve {id}"),
        &format!("YES\n{PASS}\n"),
        &[],
    );
    let shown = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(4), "{shown}");
    assert!(shown.contains("was changed after it was made"), "{shown}");
    assert!(
        !shown.contains("Type YES"),
        "the question is not even asked: {shown}"
    );
    dbguard(dir.path(), &[]).args(truncate).assert().code(4);
    assert_eq!(count(&db, "batches"), 100);

    // 2. Every kind of destruction, and an expiry four weeks away.
    std::fs::write(&file, &original).unwrap();
    edit_json(&file, |a| {
        a["kinds"] = serde_json::json!(["alter", "delete", "drop", "truncate", "unprotect", "update"]);
        a["expires_at"] = Value::from((chrono::Utc::now() + chrono::Duration::days(28)).to_rfc3339());
    });
    approve_pending(dir.path());
    let approved: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    let asked: Value = serde_json::from_slice(&original).unwrap();
    assert_eq!(
        approved["kinds"], asked["kinds"],
        "the kinds the operation itself needs: {approved}"
    );
    assert!(!approved["kinds"]
        .as_array()
        .unwrap()
        .contains(&Value::from("unprotect")));
    let expires: chrono::DateTime<chrono::Utc> = approved["expires_at"].as_str().unwrap().parse().unwrap();
    assert!(
        expires <= chrono::Utc::now() + chrono::Duration::minutes(15),
        "the expiry is held to the policy: {expires}"
    );
    dbguard(dir.path(), &[]).args(truncate).assert().success();
    assert_eq!(count(&db, "batches"), 0);
}

/// An agent that moves the project's pin, its audit log and the approver's
/// key aside and sets up an approver of its own (at a pseudo-terminal it
/// drives, its marker gone) gets nothing: the approver's folder still
/// keeps the head of the project's log, so the project had an approver,
/// and only `approver rotate` with the old passphrase replaces one.
#[test]
fn an_approver_of_its_own_cannot_be_set_up_over_the_project_s() {
    let dir = project();
    // HOME/.config is the approver's usual folder's parent, as without XDG_CONFIG_HOME.
    let home = dir.path().join(".user");
    std::fs::create_dir(&home).unwrap();
    std::fs::create_dir_all(config_home(dir.path())).unwrap();
    std::os::unix::fs::symlink(config_home(dir.path()), home.join(".config")).unwrap();
    let env = [("HOME", home.to_str().unwrap())];
    let typed = format!("{PASS}\n{PASS}\n");
    let out = in_pty(dir.path(), "approver init", &typed, &env);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let state = dir.path().join(".dbguard");
    assert!(state.join("approver.pin").exists());

    let aside = dir.path().join("aside");
    std::fs::create_dir(&aside).unwrap();
    for file in ["approver.pin", "audit.log", "audit.head"] {
        std::fs::rename(state.join(file), aside.join(file)).unwrap();
    }
    let key = config_home(dir.path()).join("dbguard/approver.json");
    std::fs::rename(&key, aside.join("approver.json")).unwrap();
    let theirs = "an agent's own passphrase 42";
    let typed = format!("{theirs}\n{theirs}\n");
    for extra in [None, Some(dir.path().join(".elsewhere"))] {
        let mut env = env.to_vec();
        let elsewhere;
        if let Some(folder) = &extra {
            elsewhere = folder.to_str().unwrap().to_string();
            env.push(("XDG_CONFIG_HOME", &elsewhere));
        }
        let out = in_pty(dir.path(), "approver init", &typed, &env);
        let shown = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(4), "{shown}");
        assert!(shown.contains("this project had an approver"), "{shown}");
        assert!(!state.join("approver.pin").exists(), "no new pin: {shown}");
    }
}

/// An approval for a command that runs a file holds for that file as it
/// was: the agent that rewrites the file after the person approved gets a
/// new pending approval, and the new SQL does not run.
#[test]
fn an_approval_holds_for_the_file_as_the_person_saw_it() {
    let db = seeded();
    let dir = project_with_approver();
    let url = db.url.expose().to_string();
    let script = dir.path().join("cleanup.sql");
    std::fs::write(&script, "DELETE FROM batches WHERE id IN (1, 2);\n").unwrap();
    let run = ["run", "--", "psql", url.as_str(), "-f", "cleanup.sql"];
    dbguard(dir.path(), &[]).args(run).assert().code(4);
    approve_pending(dir.path());
    std::fs::write(&script, "TRUNCATE batches;\n").unwrap();
    let out = dbguard(dir.path(), &[]).args(run).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(4),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(count(&db, "batches"), 100, "the rewritten file did not run");
    std::fs::write(&script, "DELETE FROM batches WHERE id IN (1, 2);\n").unwrap();
    dbguard(dir.path(), &[]).args(run).assert().success();
    assert_eq!(count(&db, "batches"), 98, "the file as approved ran");
}
