//! The `dbguard` binary end to end: exit codes, JSON output, configuration
//! precedence, bad input, and the local server's life cycle.

mod support;

use std::path::Path;

use assert_cmd::Command;
use predicates::prelude::*;

const CONFIG_VARS: &[&str] = &[
    "DATABASE_URL",
    "DATABASE_NAME",
    "NODE_ENV",
    "DATABASE_POOL_MIN",
    "DATABASE_POOL_MAX",
    "DATABASE_POOL_TIMEOUT",
    "DBGUARD_PG_BINDIR",
];

/// `dbguard` run in `dir` with none of the configuration variables of the
/// environment the tests run in.
fn dbguard(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("dbguard").unwrap();
    cmd.current_dir(dir)
        .env("XDG_CONFIG_HOME", support::config_home(dir));
    for var in CONFIG_VARS {
        cmd.env_remove(var);
    }
    cmd
}

fn project() -> tempfile::TempDir {
    dbguard_testkit::project_dir("dbguard-cli-")
}

fn json(output: &[u8]) -> serde_json::Value {
    serde_json::from_slice(output)
        .unwrap_or_else(|e| panic!("not one JSON object ({e}): {}", String::from_utf8_lossy(output)))
}

#[test]
fn version_help_and_usage_errors() {
    let dir = project();
    dbguard(dir.path())
        .arg("--version")
        .assert()
        .success()
        .stdout(predicate::str::starts_with("dbguard "));
    dbguard(dir.path())
        .arg("--help")
        .assert()
        .success()
        .stdout(predicate::str::contains("up"));
    dbguard(dir.path()).arg("no-such-command").assert().code(2);
    dbguard(dir.path())
        .args(["--format", "yaml", "config"])
        .assert()
        .code(2);
}

#[test]
fn up_reports_the_database_named_by_the_flag() {
    let db = dbguard_testkit::server().fresh_db();
    db.client()
        .batch_execute("CREATE TABLE batches (id int); CREATE TABLE farms (id int)")
        .unwrap();
    let dir = project();
    let out = dbguard(dir.path())
        .args(["--format", "json", "--database-url", db.url.expose(), "up"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let report = json(&out);
    assert_eq!(report["summary"]["database"], db.name.as_str());
    assert_eq!(
        report["summary"]["tables"], 2,
        "dbguard's farm schema never goes onto a server a URL names"
    );
    assert_eq!(
        report["steps"][2]["detail"],
        "no migrations folder; nothing to apply"
    );
    assert!(report["summary"]["server_major"].as_u64().unwrap() >= 10);
    assert!(report["summary"]["size_bytes"].as_i64().unwrap() > 0);
    dbguard(dir.path())
        .args(["--database-url", db.url.expose(), "up"])
        .assert()
        .success()
        .stdout(predicate::str::contains(format!(
            "database  {} (as postgres)",
            db.name
        )))
        .stdout(predicate::str::contains("tables    2"))
        .stdout(predicate::str::contains("! approver  no approver is set up"))
        .stdout(predicate::str::contains("dbguard approver init"));
    let approver = support::set_up_approver(&support::config_home(dir.path()));
    dbguard(dir.path())
        .args(["--database-url", db.url.expose(), "up"])
        .assert()
        .success()
        .stdout(predicate::str::contains(format!(
            "✓ approver  {}",
            approver.fingerprint()
        )));
}

#[test]
fn flag_wins_over_a_broken_environment_and_dotenv_is_used_without_either() {
    let db = dbguard_testkit::server().fresh_db();
    let dir = project();
    dbguard(dir.path())
        .env("DATABASE_URL", "postgresql://u:Sekrit@h:notaport/x")
        .args(["--database-url", db.url.expose(), "up"])
        .assert()
        .success();
    std::fs::write(
        dir.path().join(".env"),
        format!("DATABASE_URL=\"{}\"\n", db.url.expose()),
    )
    .unwrap();
    let nested = dir.path().join("apps/web");
    std::fs::create_dir_all(&nested).unwrap();
    let out = dbguard(&nested)
        .args(["--format", "json", "up"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    assert_eq!(json(&out)["summary"]["database"], db.name.as_str());
    dbguard(&nested)
        .arg("config")
        .assert()
        .success()
        .stdout(predicate::str::contains(format!(
            "DATABASE_URL ({})",
            dir.path().join(".env").display()
        )));
}

#[test]
fn bad_input_exits_1_with_a_clear_message_and_no_password() {
    let dir = project();
    let free_port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let db = dbguard_testkit::server().fresh_db();
    let port = db.url.client_config().unwrap().get_ports()[0];
    let cases = [
        (
            "postgresql://app:Sekrit77@localhost:notaport/farm".to_string(),
            "invalid database URL",
        ),
        (
            format!("postgresql://app:Sekrit77@127.0.0.1:{free_port}/farm"),
            "cannot connect to postgresql://app:***@127.0.0.1",
        ),
        (
            format!("postgresql://postgres:Sekrit77@127.0.0.1:{port}/{}", db.name),
            "password authentication failed",
        ),
    ];
    for (url, expected) in cases {
        for format in ["text", "json"] {
            let assert = dbguard(dir.path())
                .args(["--format", format, "--database-url", &url, "up"])
                .assert()
                .code(1)
                .stderr(predicate::str::contains(expected));
            let out = assert.get_output();
            let all = format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            assert!(!all.contains("Sekrit77"), "password leaked: {all}");
            if format == "json" {
                assert!(json(&out.stdout)["error"]["message"]
                    .as_str()
                    .unwrap()
                    .contains(expected));
            }
        }
    }
}

#[test]
fn missing_postgresql_programs_name_the_package() {
    let dir = project();
    dbguard(dir.path())
        .env("DBGUARD_PG_BINDIR", dir.path().join("nowhere"))
        .arg("up")
        .assert()
        .code(1)
        .stderr(predicate::str::contains("apt-get install postgresql"));
}

#[test]
fn unknown_policy_keys_are_errors() {
    let dir = project();
    std::fs::write(dir.path().join("dbguard.toml"), "[backup]\nkeep_dayz = 30\n").unwrap();
    dbguard(dir.path())
        .arg("config")
        .assert()
        .code(1)
        .stderr(predicate::str::contains("keep_dayz"));
}

/// The README's promise: `up` starts the local server, a second `up` reuses
/// it, `db url` prints a URL psql accepts, `db stop` stops it.
#[test]
fn local_server_life_cycle_through_the_cli() {
    let dir = project();
    let status = |dir: &Path| {
        let out = dbguard(dir)
            .args(["--format", "json", "db", "status"])
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        json(&out)
    };
    assert_eq!(status(dir.path())["state"], "not-initialized");

    dbguard(dir.path())
        .arg("up")
        .assert()
        .success()
        .stdout(predicate::str::contains("started on 127.0.0.1"))
        .stdout(predicate::str::contains("applied 20260101000000_farm_core"))
        .stdout(predicate::str::contains(
            "every table with tenant data is isolated",
        ))
        .stdout(predicate::str::contains(
            "app role  farm_app: not a superuser, owns nothing",
        ))
        .stdout(predicate::str::contains(
            "url       postgresql://farm_app@127.0.0.1",
        ))
        .stdout(predicate::str::contains(
            "admin     postgresql://postgres@127.0.0.1",
        ))
        .stdout(predicate::str::contains("✓ seed      development data: 240 rows"))
        .stdout(predicate::str::contains(
            "! health    WARNING backup: no verified backup of dbguard",
        ));
    let stopper = Stopper(dir.path().to_path_buf());
    dbguard(dir.path())
        .arg("up")
        .assert()
        .success()
        .stdout(predicate::str::contains("already running"))
        .stdout(predicate::str::contains(format!(
            "up to date ({} migrations)",
            dbguard_farm::migrations().len()
        )))
        .stdout(predicate::str::contains("development data already there"));
    dbguard(dir.path()).args(["tenancy", "audit"]).assert().success();
    assert_eq!(status(dir.path())["state"], "running");

    let url = String::from_utf8(
        dbguard(dir.path())
            .args(["db", "url"])
            .assert()
            .success()
            .get_output()
            .stdout
            .clone(),
    )
    .unwrap();
    let psql = dbguard_testkit::server().local().installation().program("psql");
    let out = std::process::Command::new(psql)
        .args([url.trim(), "-Atc", "SELECT current_database()"])
        .env_remove("PGPASSWORD")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "psql refused {url}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "dbguard");

    dbguard(dir.path())
        .args(["db", "stop"])
        .assert()
        .success()
        .stdout(predicate::str::contains("stopped now"));
    assert_eq!(status(dir.path())["state"], "stopped");
    drop(stopper);
}

/// The path: `up` applies dbguard's farm schema on the local
/// server, then the project starts its own migrations folder. The next `up`
/// applies the project's migration beside the farm schema, still audits
/// tenancy and seeds, and nothing stays "missing from disk".
#[test]
fn up_keeps_the_farm_schema_once_the_project_has_its_own_migrations() {
    let dir = project();
    let stopper = Stopper(dir.path().to_path_buf());
    dbguard(dir.path()).arg("up").assert().success();
    let folder = dir.path().join("prisma/migrations/20270101000000_motto");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(
        folder.join("migration.sql"),
        "ALTER TABLE \"farms\" ADD COLUMN \"motto\" TEXT;\n",
    )
    .unwrap();
    let out = dbguard(dir.path()).arg("up").output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains(&format!(
            "✓ migrate   project: applied 20270101000000_motto; dbguard farm schema: up to date ({} migrations)",
            dbguard_farm::migrations().len()
        )),
        "{text}"
    );
    assert!(
        text.contains("✓ tenancy   every table with tenant data is isolated"),
        "{text}"
    );
    assert!(
        text.contains("✓ seed      development data already there"),
        "{text}"
    );
    assert!(
        !text.contains("migrations:"),
        "health has no concern about migrations: {text}"
    );
    dbguard(dir.path())
        .args(["migrate", "status"])
        .assert()
        .success()
        .stdout(predicate::str::contains("missing").not());
    drop(stopper);
}

/// Stops the project's server if a test fails halfway.
struct Stopper(std::path::PathBuf);

impl Drop for Stopper {
    fn drop(&mut self) {
        let _ = dbguard(&self.0).args(["db", "stop"]).output();
    }
}
