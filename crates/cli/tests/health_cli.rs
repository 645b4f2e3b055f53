//! `dbguard health` against a real server: OK when all is well, WARNING
//! (exit 1) without a verified backup and on a planted invalid index, an
//! idle transaction seen, CRITICAL
//! (exit 2) when the server cannot be reached; JSON and Prometheus outputs.

use std::path::Path;

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;

fn dbguard(dir: &Path, url: &str) -> Command {
    let mut cmd = Command::cargo_bin("dbguard").unwrap();
    cmd.current_dir(dir).env("DATABASE_URL", url);
    cmd
}

fn levels(dir: &Path, url: &str) -> (i32, Value) {
    health_json(dir, url, &[])
}

fn health_json(dir: &Path, url: &str, flags: &[&str]) -> (i32, Value) {
    let out = dbguard(dir, url)
        .args(["--format", "json", "health"])
        .args(flags)
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        serde_json::from_slice(&out.stdout).unwrap(),
    )
}

fn level_of<'a>(report: &'a Value, check: &str) -> &'a str {
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == check)
        .unwrap_or_else(|| panic!("no check {check} in {report}"))["level"]
        .as_str()
        .unwrap()
}

#[test]
fn health_is_ok_then_warns_on_planted_problems() {
    let db = dbguard_testkit::server().fresh_db();
    let dir = dbguard_testkit::project_dir("dbguard-health-");
    let url = db.url.expose().to_string();
    db.client()
        .batch_execute("CREATE TABLE plots (id int, name text); INSERT INTO plots VALUES (1, 'a'), (1, 'b');")
        .unwrap();

    // No backup yet: a warning, and only that.
    let (code, report) = levels(dir.path(), &url);
    assert_eq!(code, 1, "{report}");
    assert_eq!(level_of(&report, "backup"), "WARNING");
    assert_eq!(report["status"], "WARNING");

    dbguard(dir.path(), &url)
        .args(["backup", "create"])
        .assert()
        .success();
    let (code, _) = levels(dir.path(), &url);
    assert_eq!(code, 1, "a backup counts once it is verified");
    dbguard(dir.path(), &url)
        .args(["backup", "verify"])
        .assert()
        .success();
    let (code, report) = levels(dir.path(), &url);
    assert_eq!(code, 0, "{report}");
    assert_eq!(level_of(&report, "tenancy"), "OK");
    assert_eq!(level_of(&report, "migrations"), "OK");

    // A unique index built concurrently over duplicates is left invalid.
    let mut client = db.client();
    assert!(client
        .batch_execute("CREATE UNIQUE INDEX CONCURRENTLY plots_id_key ON plots (id)")
        .is_err());
    dbguard(dir.path(), &url).arg("health").assert().code(1).stdout(
        predicate::str::contains("WARNING   invalid-indexes").and(predicate::str::contains("plots_id_key")),
    );
    client.batch_execute("DROP INDEX plots_id_key").unwrap();

    // A transaction left idle holds its snapshot; health sees the session.
    let mut idle = db.client();
    idle.batch_execute("BEGIN; SELECT 1; SET idle_in_transaction_session_timeout = 0")
        .unwrap();
    let (_, report) = levels(dir.path(), &url);
    let summary = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "idle-in-transaction")
        .unwrap()["summary"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(summary.starts_with("1 sessions"), "{summary}");
    idle.batch_execute("COMMIT").unwrap();

    let prometheus = dbguard(dir.path(), &url)
        .args(["--format", "prometheus", "health"])
        .output()
        .unwrap();
    let text = String::from_utf8(prometheus.stdout).unwrap();
    assert!(
        text.contains("dbguard_health_status{check=\"connection\"} 0"),
        "{text}"
    );
    assert!(
        text.contains("dbguard_health_value{check=\"connections\"}"),
        "{text}"
    );
    dbguard(dir.path(), &url)
        .args(["--format", "prometheus", "config"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("only `dbguard health`"));
}

#[test]
fn health_is_critical_when_the_server_cannot_be_reached() {
    let dir = dbguard_testkit::project_dir("dbguard-health-");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("postgresql://nobody:secret-pw@127.0.0.1:{port}/nowhere");
    dbguard(dir.path(), &url).arg("health").assert().code(2).stdout(
        predicate::str::contains("CRITICAL  connection").and(predicate::str::contains("secret-pw").not()),
    );
}

#[test]
fn deep_checks_indexes_with_amcheck_only_when_it_is_installed() {
    let db = dbguard_testkit::server().fresh_db();
    let dir = dbguard_testkit::project_dir("dbguard-health-");
    let url = db.url.expose().to_string();
    db.client()
        .batch_execute(
            "CREATE TABLE plots (id int PRIMARY KEY); INSERT INTO plots SELECT generate_series(1, 100);",
        )
        .unwrap();
    let deep = |dir: &Path| health_json(dir, &url, &["--deep"]);
    let (code, report) = deep(dir.path());
    assert_eq!(level_of(&report, "amcheck"), "UNKNOWN");
    assert_eq!(code, 3, "an unknown check outranks a warning");
    assert!(report.to_string().contains("100 rows (counted)"), "{report}");

    db.client().batch_execute("CREATE EXTENSION amcheck").unwrap();
    let (_, report) = deep(dir.path());
    assert_eq!(level_of(&report, "amcheck"), "OK", "{report}");
}

#[test]
fn health_is_unknown_when_the_configuration_is_broken() {
    let dir = dbguard_testkit::project_dir("dbguard-health-");
    for url in ["postgres//app:pw@host/db", "postgresql://u@h:99999/db"] {
        let out = dbguard(dir.path(), url)
            .args(["--format", "json", "health"])
            .output()
            .unwrap();
        let report: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(out.status.code(), Some(3), "{report}");
        assert_eq!(report["status"], "UNKNOWN");
        assert_eq!(level_of(&report, "configuration"), "UNKNOWN");
        assert!(!report.to_string().contains(":pw@"), "{report}");
    }
}

#[test]
fn leftovers_are_shown_by_health_list_and_doctor_until_swept() {
    let db = dbguard_testkit::server().fresh_db();
    db.client().batch_execute("CREATE TABLE t (id int)").unwrap();
    let dir = dbguard_testkit::project_dir("dbguard-health-");
    let url = db.url.expose().to_string();
    // A backup whose writer was killed: its folder names a process that is gone.
    let partial = dir.path().join("backups/.backup_x_20260101_000000.partial");
    std::fs::create_dir_all(&partial).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir.path().join("backups"), std::fs::Permissions::from_mode(0o700)).unwrap();
    let mut child = std::process::Command::new("true").spawn().unwrap();
    let pid = child.id();
    child.wait().unwrap();
    let host = dbguard_backup::leftovers::Maker::current().host;
    std::fs::write(partial.join(".maker"), format!("{pid}_1_{host}")).unwrap();

    let (_, report) = levels(dir.path(), &url);
    assert_eq!(level_of(&report, "leftovers"), "WARNING", "{report}");
    let list = dbguard(dir.path(), &url)
        .args(["backup", "list"])
        .output()
        .unwrap();
    let list = String::from_utf8_lossy(&list.stdout);
    assert!(
        list.contains("unfinished backup") && list.contains("which is gone"),
        "{list}"
    );
    let doctor = dbguard(dir.path(), &url).arg("doctor").output().unwrap();
    let doctor_text = String::from_utf8_lossy(&doctor.stdout);
    assert!(doctor_text.contains("✗ leftovers"), "{doctor_text}");

    dbguard(dir.path(), &url)
        .args(["backup", "create"])
        .assert()
        .success();
    assert!(!partial.exists(), "the next backup swept it");
    let (_, report) = levels(dir.path(), &url);
    assert_eq!(level_of(&report, "leftovers"), "OK", "{report}");
}
