//! `dbguard backup` and `dbguard restore` as people run them: a killed
//! backup leaves nothing listed, restoring over the live database needs a
//! person typing YES at a terminal, `--into` never touches the live database.

mod support;

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;

fn project() -> tempfile::TempDir {
    dbguard_testkit::project_dir("dbguard-backup-")
}

fn dbguard(dir: &Path, url: &str) -> Command {
    let mut cmd = Command::cargo_bin("dbguard").unwrap();
    cmd.current_dir(dir)
        .env("DATABASE_URL", url)
        .env("XDG_CONFIG_HOME", support::config_home(dir));
    cmd
}

fn listed(dir: &Path, url: &str) -> Vec<Value> {
    let out = dbguard(dir, url)
        .args(["--format", "json", "backup", "list"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let json: Value = serde_json::from_slice(&out).unwrap();
    json["backups"].as_array().unwrap().clone()
}

fn count(db: &dbguard_testkit::TestDb, table: &str) -> i64 {
    db.client()
        .query_one(&format!("SELECT count(*) FROM {table}"), &[])
        .unwrap()
        .get(0)
}

#[test]
fn a_killed_backup_leaves_nothing_listed() {
    let db = dbguard_testkit::server().fresh_db();
    db.client()
        .batch_execute("CREATE TABLE big AS SELECT g AS id, md5(g::text) || repeat('x', 200) AS body FROM generate_series(1, 400000) g")
        .unwrap();
    let dir = project();
    let url = db.url.expose();
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("dbguard"))
        .current_dir(dir.path())
        .env("DATABASE_URL", url)
        .args(["backup", "create"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Kill it once the dump is being written.
    let backups = dir.path().join("backups");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let writing = std::fs::read_dir(&backups)
            .map(|entries| entries.flatten().any(|e| e.path().join("dump.zst").exists()))
            .unwrap_or(false);
        if writing || Instant::now() > deadline {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    unsafe { libc::kill(child.id() as i32, libc::SIGKILL) };
    child.wait().unwrap();
    assert!(
        listed(dir.path(), url).is_empty(),
        "a killed backup must not be listed"
    );
    dbguard(dir.path(), url)
        .args(["backup", "verify", "--latest"])
        .assert()
        .code(1);

    dbguard(dir.path(), url)
        .args(["backup", "create"])
        .assert()
        .success();
    let backups = listed(dir.path(), url);
    assert_eq!(backups.len(), 1);
}

#[test]
fn a_backup_of_a_missing_database_fails_and_lists_nothing() {
    let db = dbguard_testkit::server().fresh_db();
    let dir = project();
    let missing = db.url.with_database("no_such_db").unwrap();
    dbguard(dir.path(), missing.expose())
        .args(["backup", "create"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("does not exist"));
    assert!(listed(dir.path(), missing.expose()).is_empty());
}

#[test]
fn restore_over_live_needs_a_persons_approval() {
    let db = dbguard_testkit::server().fresh_db();
    db.client()
        .batch_execute("CREATE TABLE tasks (id int PRIMARY KEY, title text); INSERT INTO tasks SELECT g, 't' || g FROM generate_series(1, 100) g")
        .unwrap();
    let dir = project();
    support::set_up_approver(&support::config_home(dir.path()));
    let pass = support::PASS;
    let url = db.url.expose();
    dbguard(dir.path(), url)
        .args(["backup", "create"])
        .assert()
        .success();
    let id = listed(dir.path(), url)[0]["id"].as_str().unwrap().to_string();
    db.client()
        .batch_execute("DELETE FROM tasks WHERE id > 10")
        .unwrap();

    // No terminal: left for a person to approve, nothing touched.
    dbguard(dir.path(), url)
        .args(["restore", &id])
        .write_stdin("YES\n")
        .assert()
        .code(4)
        .stderr(predicate::str::contains("needs a person's approval"));
    assert_eq!(count(&db, "tasks"), 10);

    // A terminal, but not the exact answer: cancelled, nothing touched.
    let in_pty = |answer: &str, agent: bool| {
        let mut env = vec![("DATABASE_URL", url)];
        if agent {
            env.push(("CLAUDECODE", "1"));
        }
        support::in_pty(dir.path(), &format!("restore {id}"), answer, &env)
    };
    let out = in_pty("yes\n", false);
    assert_eq!(
        out.status.code(),
        Some(4),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert_eq!(count(&db, "tasks"), 10);

    // YES without the approver's passphrase: nothing touched.
    let out = in_pty("YES\n", false);
    assert_eq!(out.status.code(), Some(4));
    assert_eq!(count(&db, "tasks"), 10);

    // A terminal, YES and the passphrase, but typed by an agent: left for a person.
    let out = in_pty(&format!("YES\n{pass}\n"), true);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(4), "{text}");
    assert!(text.contains("A person must run `dbguard approve"), "{text}");
    assert_eq!(count(&db, "tasks"), 10);

    let out = in_pty(&format!("YES\n{pass}\n"), false);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("safety backup of the replaced state"), "{text}");
    assert_eq!(count(&db, "tasks"), 100);
    assert_eq!(listed(dir.path(), url).len(), 2, "the safety backup is listed");
}

#[test]
fn restore_into_a_new_database_leaves_the_live_one_alone() {
    let db = dbguard_testkit::server().fresh_db();
    db.client()
        .batch_execute("CREATE TABLE orders (id int PRIMARY KEY, total_cents int); INSERT INTO orders SELECT g, g * 100 FROM generate_series(1, 500) g")
        .unwrap();
    let dir = project();
    let url = db.url.expose();
    dbguard(dir.path(), url)
        .args(["backup", "create", "--label", "before"])
        .assert()
        .success();
    let id = listed(dir.path(), url)[0]["id"].as_str().unwrap().to_string();
    db.client()
        .batch_execute("UPDATE orders SET total_cents = 0")
        .unwrap();
    let copy = format!("{}_restored", db.name);
    let out = dbguard(dir.path(), url)
        .args(["--format", "json", "restore", &id, "--into", &copy])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let report: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(report["counts"]["passed"], true);
    let zeroed: i64 = db
        .client()
        .query_one("SELECT count(*) FROM orders WHERE total_cents = 0", &[])
        .unwrap()
        .get(0);
    assert_eq!(zeroed, 500, "the live database is untouched");
    let restored =
        dbguard_pg::connect(&db.url.with_database(&copy).unwrap(), Duration::from_secs(10)).unwrap();
    let mut restored = restored;
    let sum: i64 = restored
        .query_one("SELECT sum(total_cents)::bigint FROM orders", &[])
        .unwrap()
        .get(0);
    assert_eq!(sum, (1..=500).map(|g| g * 100).sum::<i64>());
    drop(restored);
    db.client()
        .batch_execute(&format!("DROP DATABASE \"{copy}\" WITH (FORCE)"))
        .unwrap();
}

#[test]
fn prune_flags_cannot_loosen_the_policy_and_json_reports_parse() {
    let db = dbguard_testkit::server().fresh_db();
    let dir = project();
    let url = db.url.expose();
    dbguard(dir.path(), url)
        .args(["backup", "create"])
        .assert()
        .success();
    dbguard(dir.path(), url)
        .args(["backup", "prune", "--keep-last", "0"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("may only keep more"));
    for args in [
        &["backup", "verify"][..],
        &["backup", "prune", "--dry-run"],
        &["backup", "list"],
    ] {
        let out = dbguard(dir.path(), url)
            .arg("--format")
            .arg("json")
            .args(args)
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        let _: Value = serde_json::from_slice(&out).unwrap_or_else(|e| panic!("{args:?}: {e}"));
    }
    assert_eq!(listed(dir.path(), url)[0]["verified"], "read");
}

/// `restore` shows the bytes fed to pg_restore at a terminal, nothing when piped.
#[test]
fn restore_shows_progress_at_a_terminal_only() {
    let db = dbguard_testkit::server().fresh_db();
    db.client()
        .batch_execute(
            "CREATE TABLE orders (id int PRIMARY KEY); INSERT INTO orders SELECT generate_series(1, 500)",
        )
        .unwrap();
    let dir = project();
    let url = db.url.expose();
    dbguard(dir.path(), url)
        .args(["backup", "create"])
        .assert()
        .success();
    let id = listed(dir.path(), url)[0]["id"].as_str().unwrap().to_string();
    let (piped_copy, pty_copy) = (format!("{}_piped", db.name), format!("{}_pty", db.name));
    let piped = dbguard(dir.path(), url)
        .args(["restore", &id, "--into", &piped_copy])
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&piped.stderr);
    assert!(piped.status.success(), "{said}");
    assert!(!said.contains("B/"), "no progress when piped: {said}");
    let out = support::in_pty(
        dir.path(),
        &format!("restore {id} --into {pty_copy}"),
        "",
        &[("DATABASE_URL", url)],
    );
    let shown = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{shown}");
    // The byte bar's "fed/size" ("… KiB/… KiB").
    assert!(shown.contains("B/"), "bytes fed to pg_restore: {shown}");
    for copy in [piped_copy, pty_copy] {
        db.client()
            .batch_execute(&format!("DROP DATABASE \"{copy}\" WITH (FORCE)"))
            .unwrap();
    }
}
