//! `dbguard protect`, `protect status`, `unprotect` and `up` as people run
//! them: the local farm database is protected by `up`, stays usable for
//! the seed, and refuses a plain psql TRUNCATE; unprotect needs a person.

use std::path::Path;
use std::process::Command as Process;

use assert_cmd::Command;
use predicates::prelude::*;

fn dbguard(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("dbguard").unwrap();
    cmd.current_dir(dir)
        .env("XDG_CONFIG_HOME", support::config_home(dir));
    for var in ["DATABASE_URL", "DATABASE_NAME", "NODE_ENV", "PGOPTIONS"] {
        cmd.env_remove(var);
    }
    cmd
}

fn json(output: &[u8]) -> serde_json::Value {
    serde_json::from_slice(output)
        .unwrap_or_else(|e| panic!("not one JSON object ({e}): {}", String::from_utf8_lossy(output)))
}

/// `sql` through plain psql at `target`: (succeeded, stderr).
fn psql(target: &str, sql: &str) -> (bool, String) {
    let out = Process::new("psql")
        .arg(target)
        .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-c", sql])
        .env_remove("PGOPTIONS")
        .output()
        .expect("psql runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Stops the project's local server when the test ends, however it ends.
struct StopServer<'a>(&'a Path);

impl Drop for StopServer<'_> {
    fn drop(&mut self) {
        let _ = Command::cargo_bin("dbguard")
            .unwrap()
            .current_dir(self.0)
            .args(["db", "stop"])
            .output();
    }
}

#[test]
fn up_protects_the_local_farm_database_and_the_seed_keeps_working() {
    let dir = dbguard_testkit::project_dir("dbguard-protect-up-");
    let _stop = StopServer(dir.path());
    let out = dbguard(dir.path())
        .args(["--format", "json", "up"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let report = json(&out);
    let steps = report["steps"].as_array().unwrap();
    let protect = steps
        .iter()
        .find(|s| s["step"] == "protect")
        .expect("a protect step");
    assert!(
        protect["detail"]
            .as_str()
            .unwrap()
            .contains("table(s) guarded inside PostgreSQL (rows are counted by dbguard's C row guard)"),
        "{protect}"
    );
    assert!(
        protect["detail"]
            .as_str()
            .unwrap()
            .contains("dbguard approver init"),
        "{protect}"
    );
    // Idempotent, and the seed still inserts (and fixes totals by key).
    dbguard(dir.path()).arg("up").assert().success();
    dbguard(dir.path())
        .args(["seed", "--farms", "3"])
        .assert()
        .success();
    dbguard(dir.path())
        .args(["protect", "status"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "protected: 15 table(s) in public guarded",
        ))
        .stdout(predicate::str::contains(
            "rows are counted by dbguard's C row guard",
        ))
        .stdout(predicate::str::contains("the URL in use is the superuser"));
    // The guards hold for the superuser's own URL; the application's URL
    // cannot even try.
    let url_of = |args: &[&str]| {
        let out = dbguard(dir.path())
            .args(["db", "url"])
            .args(args)
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    };
    let admin = url_of(&["--admin"]);
    let (ok, stderr) = psql(&admin, "TRUNCATE tasks");
    assert!(!ok && stderr.contains("dbguard refused"), "{stderr}");
    let (ok, stderr) = psql(&admin, "DELETE FROM equipment");
    assert!(!ok && stderr.contains("protect/delete-many"), "{stderr}");
    let app = url_of(&[]);
    assert!(app.contains("farm_app@"), "{app}");
    let (ok, stderr) = psql(&app, "TRUNCATE tasks");
    assert!(!ok && stderr.contains("permission denied"), "{stderr}");
    dbguard(dir.path())
        .arg("doctor")
        .assert()
        .stdout(
            predicate::str::contains("database guards").and(predicate::str::contains(
                "protected (15 tables; rows counted by the C row guard)",
            )),
        );
}

#[test]
fn protect_a_url_with_an_app_role_and_unprotect_needs_a_person() {
    let db = dbguard_testkit::server().fresh_db();
    db.client()
        .batch_execute("CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t SELECT generate_series(1, 5);")
        .unwrap();
    let dir = dbguard_testkit::project_dir("dbguard-protect-url-");
    let url = db.url.expose();
    dbguard(dir.path())
        .args([
            "--database-url",
            url,
            "protect",
            "--app-role",
            "protect_cli_agent",
            "--max-rows",
            "2",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "protected: 1 table(s) in public guarded",
        ))
        .stdout(predicate::str::contains("more than 2 row(s) per command"))
        .stdout(predicate::str::contains(
            "no approver: destructive operations on this database cannot be approved",
        ))
        .stdout(predicate::str::contains(
            "application role protect_cli_agent: created",
        ))
        .stdout(predicate::str::contains("DROP DATABASE (by its owner"));
    let status = dbguard(dir.path())
        .args(["--format", "json", "--database-url", url, "protect", "status"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let status = json(&status);
    assert_eq!(status["installed"], true);
    assert_eq!(status["max_rows"], 2);
    let role: (bool, bool, bool, bool) = {
        let row = db
            .client()
            .query_one(
                "SELECT rolsuper, rolcreatedb, rolbypassrls, rolcanlogin FROM pg_roles WHERE rolname = 'protect_cli_agent'",
                &[],
            )
            .unwrap();
        (row.get(0), row.get(1), row.get(2), row.get(3))
    };
    assert_eq!(role, (false, false, false, true));
    let (ok, stderr) = psql(url, "DELETE FROM t WHERE id <= 2");
    assert!(ok, "two rows are within --max-rows 2: {stderr}");
    let (ok, stderr) = psql(url, "UPDATE t SET id = id");
    assert!(!ok && stderr.contains("protect/update-many"), "{stderr}");
    // unprotect is high risk: without a person's approval nothing changes.
    dbguard(dir.path())
        .args(["--database-url", url, "unprotect"])
        .env("CLAUDECODE", "1")
        .assert()
        .code(4)
        .stderr(predicate::str::contains("dbguard approve"));
    let (ok, _) = psql(url, "TRUNCATE t");
    assert!(!ok, "still protected");
}

mod support;

/// The whole path through a protected database: the agent's TRUNCATE waits;
/// a person's approval opens a window in the database; only the approved
/// run passes it (another session is refused meanwhile); afterwards the
/// window is closed and its token opens nothing.
#[test]
fn an_approval_opens_a_window_only_the_approved_run_passes() {
    let db = dbguard_testkit::server().fresh_db();
    db.client()
        .batch_execute(
            "CREATE TABLE batches (id int PRIMARY KEY, trays int);
             INSERT INTO batches SELECT g, g FROM generate_series(1, 40) g;",
        )
        .unwrap();
    let dir = dbguard_testkit::project_dir("dbguard-protect-window-");
    support::set_up_approver(&support::config_home(dir.path()));
    let url = db.url.expose().to_string();
    // dbguard as a person runs it here, and as the agent does.
    let person = || {
        let mut cmd = dbguard(dir.path());
        cmd.env("DATABASE_URL", &url)
            .env("XDG_CONFIG_HOME", support::config_home(dir.path()));
        cmd
    };
    let agent = || {
        let mut cmd = person();
        cmd.env("CLAUDECODE", "1");
        cmd
    };
    person().arg("protect").assert().success();
    let count = || -> i64 {
        db.client()
            .query_one("SELECT count(*) FROM batches", &[])
            .unwrap()
            .get(0)
    };
    let plain = url.clone();

    let truncate = ["run", "--", "psql", url.as_str(), "-X", "-c", "TRUNCATE batches"];
    agent().args(truncate).assert().code(4);
    let id = support::pending_id(dir.path(), &[("DATABASE_URL", &url)]);
    let shown = support::approve_pending(dir.path(), &[("DATABASE_URL", &url)]);
    assert!(shown.contains("opened its window"), "{shown}");

    // While the window is open, another session without its token is refused.
    let approval: serde_json::Value =
        json(&std::fs::read(dir.path().join(format!(".dbguard/approvals/{id}.json"))).unwrap());
    let token = approval["window"]
        .as_str()
        .expect("the window's token")
        .to_string();
    let (ok, err) = psql(&plain, "TRUNCATE batches");
    assert!(!ok && err.contains("protect/truncate"), "{err}");
    assert_eq!(count(), 40);
    // `dbguard audit` shows the database's refusal beside the protocol's entries.
    person()
        .arg("audit")
        .assert()
        .success()
        .stdout(predicate::str::contains("refused inside the database"))
        .stdout(predicate::str::contains("protect/truncate"))
        .stdout(predicate::str::contains("pending-approval"));

    let out = agent().args(truncate).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(count(), 0);

    // Closed now: the token opens nothing.
    db.client()
        .batch_execute("INSERT INTO batches SELECT g, g FROM generate_series(1, 5) g")
        .unwrap();
    let out = Process::new("psql")
        .arg(&plain)
        .args(["-X", "-q", "-c", "TRUNCATE batches"])
        .env("PGOPTIONS", format!("-c dbguard.window={token}"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert_eq!(count(), 5);

    // dbguard's own connections hold the window too (`dbguard sql`).
    agent().args(["sql", "DELETE FROM batches"]).assert().code(4);
    support::approve_pending(dir.path(), &[("DATABASE_URL", &url)]);
    let out = agent().args(["sql", "DELETE FROM batches"]).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(count(), 0);
}

/// `dbguard reset` on the local farm database that `up` protected: refused
/// by the guards until a person approves, then the approved reset passes
/// them in its window.
#[test]
fn a_protected_local_database_resets_after_approval() {
    let dir = dbguard_testkit::project_dir("dbguard-protect-reset-");
    let _stop = StopServer(dir.path());
    support::set_up_approver(&support::config_home(dir.path()));
    dbguard(dir.path()).arg("up").assert().success();
    // The superuser's URL: the guards hold even for it.
    let url = dbguard(dir.path())
        .args(["db", "url", "--admin"])
        .output()
        .unwrap();
    let url = String::from_utf8(url.stdout).unwrap().trim().to_string();
    let (ok, stderr) = psql(&url, "DROP SCHEMA public CASCADE");
    assert!(!ok, "the guards refuse a plain drop: {stderr}");
    dbguard(dir.path())
        .env("CLAUDECODE", "1")
        .arg("reset")
        .assert()
        .code(4);
    support::approve_pending(dir.path(), &[]);
    let out = dbguard(dir.path())
        .env("CLAUDECODE", "1")
        .arg("reset")
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (ok, _) = psql(&url, "SELECT count(*) FROM farms");
    assert!(ok, "the schema is back");
    let (ok, stderr) = psql(&url, "TRUNCATE tasks");
    assert!(
        !ok && stderr.contains("dbguard refused"),
        "still protected afterwards: {stderr}"
    );
}
