//! `dbguard migrate`, `lint` and `reset` as people and CI run them.

use std::path::Path;
use std::process::Output;

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;

mod support;

use support::{config_home, in_pty, set_up_approver, PASS};

fn project() -> tempfile::TempDir {
    let dir = dbguard_testkit::project_dir("dbguard-migrate-");
    set_up_approver(&config_home(dir.path()));
    dir
}

/// A fresh database, an empty project, and the database's URL.
fn setup() -> (dbguard_testkit::TestDb, tempfile::TempDir, String) {
    let db = dbguard_testkit::server().fresh_db();
    let dir = project();
    let url = db.url.expose().to_string();
    (db, dir, url)
}

fn write(dir: &Path, name: &str, sql: &str) {
    let folder = dir.join("prisma/migrations").join(name);
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(folder.join("migration.sql"), sql).unwrap();
}

/// Writes migration `name` and deploys it.
fn deployed(dir: &Path, url: &str, name: &str, sql: &str) {
    write(dir, name, sql);
    dbguard(dir, url).args(["migrate", "deploy"]).assert().success();
}

fn dbguard(dir: &Path, url: &str) -> Command {
    let mut cmd = Command::cargo_bin("dbguard").unwrap();
    cmd.current_dir(dir)
        .env("DATABASE_URL", url)
        .env("XDG_CONFIG_HOME", config_home(dir))
        .env_remove("CLAUDECODE");
    cmd
}

/// `dbguard --format json ARGS`: its exit code and report.
fn json_report(dir: &Path, url: &str, args: &[&str]) -> (Option<i32>, Value) {
    let out = dbguard(dir, url)
        .args(["--format", "json"])
        .args(args)
        .output()
        .unwrap();
    (out.status.code(), serde_json::from_slice(&out.stdout).unwrap())
}

fn approve_in_pty(dir: &Path, url: &str) -> Output {
    let (_, list) = json_report(dir, url, &["approvals"]);
    let id = list["approvals"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["state"] == "pending")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    in_pty(
        dir,
        &format!("approve {id}"),
        &format!("YES\n{PASS}\n"),
        &[("DATABASE_URL", url)],
    )
}

fn tables(db: &dbguard_testkit::TestDb) -> Vec<String> {
    db.client()
        .query(
            "SELECT tablename::text FROM pg_tables WHERE schemaname = 'public' ORDER BY 1",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

#[test]
fn safe_migrations_deploy_after_a_backup_and_dangerous_ones_wait_for_approval() {
    let (db, dir, url) = setup();
    write(
        dir.path(),
        "20240101000000_init",
        "CREATE TABLE farms (id int PRIMARY KEY, name text);\nINSERT INTO farms VALUES (1, 'a');",
    );
    write(
        dir.path(),
        "20240102000000_tasks",
        "CREATE TABLE tasks (id int PRIMARY KEY);",
    );
    dbguard(dir.path(), &url)
        .args(["migrate", "status"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("pending"));
    dbguard(dir.path(), &url)
        .args(["migrate", "deploy"])
        .assert()
        .success()
        .stdout(predicate::str::contains("applied      20240102000000_tasks"))
        .stderr(predicate::str::contains("verified"));
    dbguard(dir.path(), &url)
        .args(["migrate", "status"])
        .assert()
        .success()
        .stdout(predicate::str::contains("up to date"));
    let backups: Value = serde_json::from_slice(
        &dbguard(dir.path(), &url)
            .args(["--format", "json", "backup", "list"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    assert_eq!(backups["backups"].as_array().unwrap().len(), 1);

    write(dir.path(), "20240103000000_drop", "DROP TABLE tasks;");
    dbguard(dir.path(), &url)
        .args(["migrate", "deploy"])
        .assert()
        .code(4)
        .stderr(predicate::str::contains("drop-table").and(predicate::str::contains("dbguard approve")));
    assert_eq!(tables(&db), ["_prisma_migrations", "farms", "tasks"]);
    assert_eq!(approve_in_pty(dir.path(), &url).status.code(), Some(0));
    dbguard(dir.path(), &url)
        .args(["migrate", "deploy"])
        .assert()
        .success();
    assert_eq!(tables(&db), ["_prisma_migrations", "farms"]);

    // Editing a pending migration after approval voids the approval.
    write(dir.path(), "20240104000000_drop2", "DROP TABLE farms;");
    dbguard(dir.path(), &url)
        .args(["migrate", "deploy"])
        .assert()
        .code(4);
    assert_eq!(approve_in_pty(dir.path(), &url).status.code(), Some(0));
    write(
        dir.path(),
        "20240104000000_drop2",
        "DROP TABLE farms; -- edited after approval",
    );
    dbguard(dir.path(), &url)
        .args(["migrate", "deploy"])
        .assert()
        .code(4);
    assert!(tables(&db).contains(&"farms".to_string()));
}

#[test]
fn migrate_dev_is_medium_risk() {
    let (db, dir, url) = setup();
    write(
        dir.path(),
        "20240101000000_init",
        "CREATE TABLE farms (id int PRIMARY KEY);",
    );
    dbguard(dir.path(), &url)
        .args(["migrate", "dev"])
        .assert()
        .code(3)
        .stderr(predicate::str::contains("MEDIUM"));
    assert_eq!(tables(&db), Vec::<String>::new());
}

#[test]
fn reset_drops_everything_and_reapplies_migrations_only_when_approved() {
    let (db, dir, url) = setup();
    deployed(
        dir.path(),
        &url,
        "20240101000000_init",
        "CREATE TABLE farms (id int PRIMARY KEY, name text);",
    );
    db.client()
        .batch_execute("INSERT INTO farms VALUES (1, 'kept until reset'); CREATE TABLE stray (x int);")
        .unwrap();
    dbguard(dir.path(), &url)
        .arg("reset")
        .assert()
        .code(4)
        .stderr(predicate::str::contains("farms (1 rows)").and(predicate::str::contains("stray (0 rows)")));
    assert_eq!(approve_in_pty(dir.path(), &url).status.code(), Some(0));
    dbguard(dir.path(), &url).arg("reset").assert().success();
    assert_eq!(tables(&db), ["_prisma_migrations", "farms"]);
    let rows: i64 = db
        .client()
        .query_one("SELECT count(*) FROM farms", &[])
        .unwrap()
        .get(0);
    assert_eq!(rows, 0);
}

#[test]
fn lint_speaks_every_format_and_fails_on_high() {
    let dir = project();
    write(
        dir.path(),
        "20240101000000_ok",
        "SET lock_timeout = '5s';\nCREATE INDEX CONCURRENTLY i ON t (x);\n",
    );
    write(
        dir.path(),
        "20240102000000_bad",
        "ALTER TABLE users DROP COLUMN email;\n",
    );
    let mut cmd = Command::cargo_bin("dbguard").unwrap();
    cmd.current_dir(dir.path()).args(["lint", "prisma/migrations"]);
    cmd.assert().code(4).stdout(
        predicate::str::contains("HIGH [drop-column]")
            .and(predicate::str::contains("^^^^"))
            .and(predicate::str::contains("= help:")),
    );
    let gcc = Command::cargo_bin("dbguard")
        .unwrap()
        .current_dir(dir.path())
        .args(["lint", "--output", "gcc", "prisma/migrations"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&gcc.stdout);
    assert!(
        text.contains("prisma/migrations/20240102000000_bad/migration.sql:1:1: error: drop-column"),
        "{text}"
    );
    let github = Command::cargo_bin("dbguard")
        .unwrap()
        .current_dir(dir.path())
        .args(["lint", "--output", "github", "prisma/migrations"])
        .output()
        .unwrap();
    let annotations = String::from_utf8_lossy(&github.stdout);
    assert!(annotations.contains("::error file=prisma/migrations/20240102000000_bad/migration.sql,line=1,col=1,title=drop-column::"), "{annotations}");
    assert!(annotations.contains("::warning file=prisma/migrations/20240102000000_bad/migration.sql,line=1,col=1,title=missing-lock-timeout::"), "{annotations}");
    // The fail level: the medium finding alone fails at medium, nothing at never.
    let medium_only = "prisma/migrations/20240103000000_add_column/migration.sql";
    write(
        dir.path(),
        "20240103000000_add_column",
        "ALTER TABLE users ADD COLUMN x text;\n",
    );
    for (level, code) in [("high", 0), ("medium", 4), ("low", 4)] {
        Command::cargo_bin("dbguard")
            .unwrap()
            .current_dir(dir.path())
            .args(["lint", "--fail-level", level, medium_only])
            .assert()
            .code(code)
            .stdout(predicate::str::contains("MEDIUM [missing-lock-timeout]"));
    }
    Command::cargo_bin("dbguard")
        .unwrap()
        .current_dir(dir.path())
        .args(["lint", "--fail-level", "never", "prisma/migrations"])
        .assert()
        .success()
        .stdout(predicate::str::contains("HIGH [drop-column]"));
    std::fs::remove_dir_all(dir.path().join("prisma/migrations/20240103000000_add_column")).unwrap();
    let json = Command::cargo_bin("dbguard")
        .unwrap()
        .current_dir(dir.path())
        .args(["--format", "json", "lint", "prisma/migrations"])
        .output()
        .unwrap();
    let reports: Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(reports.as_array().unwrap().len(), 2);
    Command::cargo_bin("dbguard")
        .unwrap()
        .current_dir(dir.path())
        .arg("lint")
        .write_stdin("SET lock_timeout = '1s';\nCREATE INDEX CONCURRENTLY i ON t (x);\n")
        .assert()
        .success()
        .stdout(predicate::str::contains("0 finding(s) in 1 file(s)"));
    Command::cargo_bin("dbguard")
        .unwrap()
        .current_dir(dir.path())
        .args(["migrate", "new", "add_tasks"])
        .assert()
        .success();
    assert!(std::fs::read_dir(dir.path().join("prisma/migrations"))
        .unwrap()
        .flatten()
        .any(|e| e.file_name().to_string_lossy().ends_with("_add_tasks")));
}

/// A project whose migrations folder holds dbguard's farm schema, deployed.
fn farm_project() -> (dbguard_testkit::TestDb, tempfile::TempDir, String) {
    let (db, dir, url) = setup();
    for m in dbguard_farm::migrations() {
        write(dir.path(), &m.name, &m.sql);
    }
    dbguard(dir.path(), &url)
        .args(["migrate", "deploy"])
        .assert()
        .success();
    (db, dir, url)
}

#[test]
fn tenancy_adopt_writes_migrations_that_deploy_after_approval() {
    let (db, dir, url) = farm_project();
    db.client()
        .batch_execute(
            "INSERT INTO users (id, email, name, role) VALUES ('admin', 'a@example.com', 'Admin', 'ADMIN');
             CREATE TABLE legacy_notes (id int PRIMARY KEY, body text);
             INSERT INTO legacy_notes SELECT g, 'note' FROM generate_series(1, 20) g;",
        )
        .unwrap();
    dbguard(dir.path(), &url)
        .args(["tenancy", "adopt", "--owner", "admin"])
        .assert()
        .success()
        .stdout(predicate::str::contains("adopting 1 table(s): legacy_notes"));
    let written = std::fs::read_dir(dir.path().join("prisma/migrations"))
        .unwrap()
        .count();
    assert_eq!(
        written,
        dbguard_farm::migrations().len() + 5,
        "the farm schema and five adoption steps"
    );

    // Nothing has touched the database yet; the backfill waits for a person.
    dbguard(dir.path(), &url)
        .args(["migrate", "deploy"])
        .assert()
        .code(4)
        .stderr(predicate::str::contains("update-many-rows"));
    let column = "SELECT is_nullable::text FROM information_schema.columns \
                  WHERE table_name = 'legacy_notes' AND column_name = 'farm_id'";
    let before = db.client().query(column, &[]).unwrap();
    assert!(before.is_empty() || before[0].get::<_, String>(0) == "YES");
    assert_eq!(approve_in_pty(dir.path(), &url).status.code(), Some(0));
    dbguard(dir.path(), &url)
        .args(["migrate", "deploy"])
        .assert()
        .success();
    let after: String = db.client().query_one(column, &[]).unwrap().get(0);
    assert_eq!(after, "NO");
    let forced: bool = db
        .client()
        .query_one(
            "SELECT relforcerowsecurity FROM pg_class WHERE oid = 'legacy_notes'::regclass",
            &[],
        )
        .unwrap()
        .get(0);
    assert!(forced);

    // A second run finds nothing left to adopt.
    dbguard(dir.path(), &url)
        .args(["tenancy", "adopt", "--owner", "admin"])
        .assert()
        .success()
        .stdout(predicate::str::contains("nothing to adopt"));
}

#[test]
fn reset_with_seed_reapplies_the_farm_schema_and_seeds_it_once_approved() {
    let (db, dir, url) = farm_project();
    dbguard(dir.path(), &url)
        .env_remove("NODE_ENV")
        .args(["seed", "--farms", "3"])
        .assert()
        .success();
    db.client()
        .batch_execute("INSERT INTO users (id, email, name) VALUES ('extra', 'extra@example.com', 'Extra')")
        .unwrap();

    dbguard(dir.path(), &url)
        .env_remove("NODE_ENV")
        .args(["reset", "--seed"])
        .assert()
        .code(4);
    assert_eq!(approve_in_pty(dir.path(), &url).status.code(), Some(0));
    // The approval is for `reset --seed`, not for a plain reset.
    dbguard(dir.path(), &url).arg("reset").assert().code(4);
    dbguard(dir.path(), &url)
        .env_remove("NODE_ENV")
        .args(["reset", "--seed"])
        .assert()
        .success()
        .stdout(predicate::str::contains("seeded development data"));
    let count = |sql: &str| -> i64 { db.client().query_one(sql, &[]).unwrap().get(0) };
    assert_eq!(
        count("SELECT count(*) FROM users"),
        4,
        "the extra user is gone, the seed's four are back"
    );
    assert_eq!(count("SELECT count(*) FROM farms"), 2, "the default seed size");
}

/// The rows of `_prisma_migrations` that count (not rolled back): name and finished or not.
fn history(db: &dbguard_testkit::TestDb) -> Vec<(String, bool)> {
    db.client()
        .query(
            "SELECT migration_name::text, finished_at IS NOT NULL FROM _prisma_migrations \
              WHERE rolled_back_at IS NULL ORDER BY started_at, migration_name",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect()
}

#[test]
fn resolve_applied_is_medium_and_high_for_a_dangerous_migration() {
    let (db, dir, url) = setup();
    deployed(
        dir.path(),
        &url,
        "20240101000000_init",
        "CREATE TABLE tasks (id int PRIMARY KEY);",
    );
    write(dir.path(), "20240102000000_drop", "DROP TABLE tasks;");
    write(dir.path(), "20240103000000_add", "CREATE TABLE notes (id int);");

    dbguard(dir.path(), &url)
        .args(["migrate", "resolve", "--applied", "20240102000000_drop"])
        .assert()
        .code(4)
        .stderr(predicate::str::contains("Risk Level: HIGH").and(predicate::str::contains("[drop-table]")));
    assert_eq!(
        history(&db),
        [("20240101000000_init".to_string(), true)],
        "nothing was recorded"
    );

    // Approved by a person, it is recorded (after a verified backup), and runs no SQL.
    assert_eq!(approve_in_pty(dir.path(), &url).status.code(), Some(0));
    dbguard(dir.path(), &url)
        .args(["migrate", "resolve", "--applied", "20240102000000_drop"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "recorded 20240102000000_drop as applied",
        ));
    assert_eq!(history(&db).len(), 2);
    assert_eq!(
        tables(&db),
        ["_prisma_migrations", "tasks"],
        "resolve runs no SQL"
    );

    dbguard(dir.path(), &url)
        .args(["migrate", "resolve", "--applied", "20240103000000_add"])
        .assert()
        .code(3)
        .stderr(
            predicate::str::contains("Risk Level: MEDIUM")
                .and(predicate::str::contains("[prisma-migrate-resolve]")),
        );
    assert_eq!(history(&db).len(), 2);
}

#[test]
fn deploy_warns_about_an_applied_migration_that_was_edited() {
    let (_db, dir, url) = setup();
    deployed(
        dir.path(),
        &url,
        "20240101000000_init",
        "CREATE TABLE tasks (id int PRIMARY KEY);",
    );
    write(
        dir.path(),
        "20240101000000_init",
        "CREATE TABLE tasks (id int PRIMARY KEY, title text);",
    );
    write(dir.path(), "20240102000000_next", "CREATE TABLE notes (id int);");
    dbguard(dir.path(), &url)
        .args(["migrate", "deploy"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "warning      20240101000000_init was edited after it was applied",
        ));
}

#[test]
fn a_failed_concurrent_index_migration_says_which_statements_stay_applied() {
    let (_db, dir, url) = setup();
    write(
        dir.path(),
        "20240101000000_half",
        "CREATE TABLE plots (id int);\nCREATE INDEX CONCURRENTLY plots_id ON plots (id);\nCREATE INDEX CONCURRENTLY nope ON missing (x);",
    );
    let out = dbguard(dir.path(), &url)
        .args(["migrate", "deploy"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("did NOT roll back: 2 statement(s) stay applied"),
        "{text}"
    );
    assert!(
        text.contains("CREATE INDEX CONCURRENTLY plots_id ON plots (id)"),
        "{text}"
    );
    assert!(!text.contains("it rolled back"), "{text}");
    dbguard(dir.path(), &url)
        .args(["migrate", "resolve", "--rolled-back", "20240101000000_half"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("DROP INDEX CONCURRENTLY plots_id"));
}

#[test]
fn lint_names_unreadable_files_in_words_and_states_its_size_limit() {
    let dir = project();
    let lint_errors = || {
        let out = Command::cargo_bin("dbguard")
            .unwrap()
            .current_dir(dir.path())
            .args(["lint", "prisma/migrations"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1));
        let text = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(!text.contains("Unreadable("), "{text}");
        text
    };
    write(dir.path(), "20240101000000_bin", "");
    let file = dir
        .path()
        .join("prisma/migrations/20240101000000_bin/migration.sql");
    std::fs::write(&file, b"\xff\xfe").unwrap();
    let text = lint_errors();
    assert!(
        text.contains("cannot lint ") && text.contains("20240101000000_bin/migration.sql: not valid UTF-8"),
        "{text}"
    );

    write(dir.path(), "20240101000000_bin", &"-- x\n".repeat(300_000));
    let text = lint_errors();
    assert!(text.contains("over the 1048576-byte limit"), "{text}");
}

/// Prisma's layout: quoted mixed-case tables ("Team") with rows.
fn prisma_teams(dir: &Path, extra_tables: usize) {
    let mut sql = String::from(
        "CREATE TABLE \"Team\" (\"id\" SERIAL NOT NULL, \"name\" TEXT NOT NULL, CONSTRAINT \"Team_pkey\" PRIMARY KEY (\"id\"));\n\
         INSERT INTO \"Team\" (\"name\") SELECT 'team ' || i FROM generate_series(1, 500) AS i;\n",
    );
    for i in 0..extra_tables {
        sql.push_str(&format!(
            "CREATE TABLE \"Member{i}\" (\"id\" TEXT NOT NULL PRIMARY KEY);\nINSERT INTO \"Member{i}\" VALUES ('m');\n"
        ));
    }
    write(dir, "20240101000000_init", &sql);
}

#[test]
fn the_block_counts_the_rows_of_quoted_mixed_case_tables_and_names_each_migration() {
    let (_db, dir, url) = setup();
    prisma_teams(dir.path(), 25);
    dbguard(dir.path(), &url)
        .args(["migrate", "deploy"])
        .assert()
        .success();
    let mut drop = String::from("-- DropTable\nDROP TABLE \"Team\";\n");
    for i in 0..25 {
        drop.push_str(&format!("DROP TABLE \"Member{i}\";\n"));
    }
    write(dir.path(), "20240102000000_drop_teams", &drop);
    let out = dbguard(dir.path(), &url)
        .args(["migrate", "deploy"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4));
    let block = String::from_utf8_lossy(&out.stderr);
    // 500 of them in "Team" (listed after the first 12 tables).
    assert!(block.contains("525 rows in 26 tables"), "{block}");
    assert!(block.contains("20240102000000_drop_teams line 2: "), "{block}");
    assert_eq!(block.matches("[drop-table]").count(), 20, "{block}");
    assert!(
        block.contains(
            "20240102000000_drop_teams: 6 more findings not shown; see them all with `dbguard lint "
        ),
        "{block}"
    );
}

#[test]
fn deploy_applies_the_safe_migrations_before_the_first_that_needs_approval() {
    let (db, dir, url) = setup();
    prisma_teams(dir.path(), 0);
    dbguard(dir.path(), &url)
        .args(["migrate", "deploy"])
        .assert()
        .success();
    write(dir.path(), "20240102000000_a", "CREATE TABLE a (id int);");
    write(dir.path(), "20240103000000_drop_team", "DROP TABLE \"Team\";");
    write(dir.path(), "20240104000000_c", "CREATE TABLE c (id int);");
    dbguard(dir.path(), &url)
        .args(["migrate", "deploy"])
        .assert()
        .code(4)
        .stdout(predicate::str::contains("applied      20240102000000_a"))
        .stdout(predicate::str::contains("not applied  20240103000000_drop_team"))
        .stderr(predicate::str::contains("\"Team\" (500 rows)"));
    assert_eq!(tables(&db), ["Team", "_prisma_migrations", "a"]);
    assert_eq!(approve_in_pty(dir.path(), &url).status.code(), Some(0));
    dbguard(dir.path(), &url)
        .args(["migrate", "deploy"])
        .assert()
        .success();
    assert_eq!(tables(&db), ["_prisma_migrations", "a", "c"]);
}

#[test]
fn a_first_deploy_into_an_empty_database_needs_no_person() {
    let (db, dir, url) = setup();
    for i in 0..400 {
        let sql = match i % 4 {
            0 => format!("CREATE TABLE \"T{i}\" (\"id\" TEXT NOT NULL PRIMARY KEY, \"old\" TEXT);"),
            1 => format!("ALTER TABLE \"T{}\" DROP COLUMN \"old\";", i - 1),
            2 => format!("DROP TABLE \"T{}\";\nDROP TABLE IF EXISTS \"Legacy{i}\";", i - 2),
            _ => format!("CREATE TABLE \"U{i}\" (\"id\" TEXT NOT NULL PRIMARY KEY);\nTRUNCATE \"U{i}\";"),
        };
        write(dir.path(), &format!("2024{:010}_m{i}", i), &sql);
    }
    dbguard(dir.path(), &url)
        .args(["migrate", "deploy"])
        .assert()
        .success()
        .stderr(predicate::str::contains("first deploy, nothing is at risk"));
    dbguard(dir.path(), &url)
        .args(["migrate", "status"])
        .assert()
        .success()
        .stdout(predicate::str::contains("up to date"));
    assert_eq!(tables(&db).len(), 1 + 100);

    // With rows present, the same kind of migration waits for a person.
    db.client()
        .batch_execute("INSERT INTO \"U3\" VALUES ('x')")
        .unwrap();
    write(dir.path(), "20250101000000_drop_u3", "DROP TABLE \"U3\";");
    dbguard(dir.path(), &url)
        .args(["migrate", "deploy"])
        .assert()
        .code(4);
}

/// `migrate status` as JSON: each migration's name, source and state.
fn status_entries(dir: &Path, url: &str) -> (Option<i32>, Vec<(String, String, String)>) {
    let (code, report) = json_report(dir, url, &["migrate", "status"]);
    let entries = report["migrations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let s = |k: &str| e[k].as_str().unwrap().to_string();
            (s("name"), s("source"), s("state"))
        })
        .collect();
    (code, entries)
}

/// A database that took dbguard's farm schema before the project had a
/// migrations folder: the built-in migrations stay listed as dbguard's own
/// (never "missing from disk"), the project's beside them, and health does
/// not warn.
#[test]
fn the_farm_schema_and_the_projects_own_migrations_live_together() {
    let (db, dir, url) = setup();
    dbguard_migrate::runner::deploy(&mut db.client(), &dbguard_farm::migrations(), &mut |_| Ok(())).unwrap();
    deployed(
        dir.path(),
        &url,
        "20270101000000_motto",
        r#"ALTER TABLE "farms" ADD COLUMN "motto" TEXT;"#,
    );
    let (code, entries) = status_entries(dir.path(), &url);
    let mut expected: Vec<(String, String, String)> = dbguard_farm::migrations()
        .iter()
        .map(|m| (m.name.clone(), "builtin".to_string(), "applied".to_string()))
        .collect();
    expected.push(("20270101000000_motto".into(), "project".into(), "applied".into()));
    assert_eq!(entries, expected);
    assert_eq!(code, Some(0), "up to date");
    dbguard(dir.path(), &url)
        .args(["migrate", "status"])
        .assert()
        .success()
        .stdout(predicate::str::contains("project migrations from"))
        .stdout(predicate::str::contains(
            "dbguard farm schema (built into dbguard, never on disk)\n  applied            20260101000000_farm_core",
        ));
    let (_, health) = json_report(dir.path(), &url, &["health"]);
    let ok = |c: &Value| c["name"] == "migrations" && c["level"] == "OK";
    assert!(health["checks"].as_array().unwrap().iter().any(ok), "{health}");

    // `up` says what it applied, what it skipped, and why.
    let out = dbguard(dir.path(), &url).arg("up").output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("project: up to date (1 migrations); dbguard farm schema: up to date (3 migrations)"),
        "{text}"
    );
    assert!(
        text.contains(
            "- tenancy   skipped: on a server a URL names, `up` leaves the audit to the health check"
        ),
        "{text}"
    );
    assert!(
        !text.contains("tenancy:"),
        "the health check audited, and found nothing: {text}"
    );
    assert!(
        text.contains("- seed      skipped: `up` seeds development data only on dbguard's own local server"),
        "{text}"
    );
}

/// A migration whose folder is gone can be cleared from the status, by a
/// person (high: nothing is undone); its history rows stay, marked.
#[test]
fn resolve_clears_a_migration_whose_folder_is_gone_once_approved() {
    let (db, dir, url) = setup();
    deployed(
        dir.path(),
        &url,
        "20240101000000_init",
        "CREATE TABLE tasks (id int PRIMARY KEY);",
    );
    deployed(
        dir.path(),
        &url,
        "20240102000000_notes",
        "CREATE TABLE notes (id int);",
    );
    std::fs::remove_dir_all(dir.path().join("prisma/migrations/20240102000000_notes")).unwrap();
    let (code, entries) = status_entries(dir.path(), &url);
    assert_eq!(code, Some(1));
    assert_eq!(
        entries[1],
        (
            "20240102000000_notes".to_string(),
            "project".to_string(),
            "missing-from-disk".to_string()
        )
    );

    let resolve = ["migrate", "resolve", "--rolled-back", "20240102000000_notes"];
    dbguard(dir.path(), &url).args(resolve).assert().code(4).stderr(
        predicate::str::contains("Risk Level: HIGH")
            .and(predicate::str::contains("without undoing anything")),
    );
    assert_eq!(history(&db).len(), 2, "nothing was recorded");
    assert_eq!(approve_in_pty(dir.path(), &url).status.code(), Some(0));
    dbguard(dir.path(), &url)
        .args(resolve)
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "recorded 20240102000000_notes as rolled back",
        ));
    assert_eq!(status_entries(dir.path(), &url).0, Some(0), "up to date again");
    assert_eq!(
        history(&db),
        [("20240101000000_init".to_string(), true)],
        "only the migration on disk counts"
    );
    let kept: i64 = db
        .client()
        .query_one(
            "SELECT count(*) FROM _prisma_migrations WHERE migration_name = '20240102000000_notes' AND rolled_back_at IS NOT NULL",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(kept, 1, "the row stays, marked rolled back");
    assert!(tables(&db).contains(&"notes".to_string()), "nothing is undone");
}
