//! The real Prisma CLI (6.19.3, installed from the npm registry by the test
//! kit on first use) beside dbguard: the migration history both ways, and
//! an agent's destructive Prisma commands held until a person approves,
//! then run with Prisma's own AI checkpoint satisfied for that child only.

mod support;

use std::path::Path;
use std::process::Output;

use assert_cmd::Command;
use dbguard_testkit::{prisma, TestDb};
use support::{config_home, set_up_approver};

const SCHEMA: &str = r#"datasource db {
  provider = "postgresql"
  url      = env("DATABASE_URL")
}

model Team {
  id   Int     @id @default(autoincrement())
  name String
  note String?
}
"#;

const INIT: &str = "CREATE TABLE \"Team\" (\"id\" SERIAL NOT NULL, \"name\" TEXT NOT NULL, CONSTRAINT \"Team_pkey\" PRIMARY KEY (\"id\"));\n";
const ADD_NOTE: &str = "ALTER TABLE \"Team\" ADD COLUMN \"note\" TEXT;\n";

/// The database's URL with its password inline, as Prisma needs it.
fn prisma_url(db: &TestDb) -> String {
    db.inline_url()
}

fn migration(dir: &Path, name: &str, sql: &str) {
    let folder = dir.join("prisma/migrations").join(name);
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(folder.join("migration.sql"), sql).unwrap();
}

/// A Prisma project on `db` with an approver set up.
fn project(db: &TestDb) -> (tempfile::TempDir, String) {
    let dir = dbguard_testkit::project_dir("dbguard-prisma-");
    prisma::project(dir.path(), SCHEMA);
    set_up_approver(&config_home(dir.path()));
    (dir, prisma_url(db))
}

fn clean(cmd: &mut std::process::Command, dir: &Path, url: &str) {
    for (key, _) in std::env::vars() {
        if ["CLAUDECODE", "CURSOR_AGENT", "GEMINI_CLI", prisma_consent()].contains(&key.as_str())
            || key.starts_with("CODEX_")
            || key.starts_with("PG")
        {
            cmd.env_remove(key);
        }
    }
    cmd.current_dir(dir)
        .env("DATABASE_URL", url)
        .env("XDG_CONFIG_HOME", config_home(dir))
        .envs(prisma::ENV.iter().copied());
}

fn prisma_consent() -> &'static str {
    dbguard_guard::protocol::PRISMA_CONSENT
}

/// `npx prisma ARGS` as the agent would run it.
fn npx(dir: &Path, url: &str, args: &[&str], agent: bool) -> Output {
    let mut cmd = std::process::Command::new("npx");
    cmd.arg("prisma").args(args);
    clean(&mut cmd, dir, url);
    if agent {
        cmd.env("CLAUDECODE", "1");
    }
    cmd.output().expect("npx (Node.js 20)")
}

fn dbguard(dir: &Path, url: &str, agent: bool) -> Command {
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("dbguard"));
    clean(&mut cmd, dir, url);
    if agent {
        cmd.env("CLAUDECODE", "1");
    }
    Command::from_std(cmd)
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn teams(db: &TestDb) -> i64 {
    db.client()
        .query_one("SELECT count(*) FROM \"Team\"", &[])
        .unwrap()
        .get(0)
}

fn approve(dir: &Path, url: &str) {
    support::approve_pending(dir, &[("DATABASE_URL", url)]);
}

/// A project whose two migrations dbguard has applied.
fn deployed() -> (TestDb, tempfile::TempDir, String) {
    let db = dbguard_testkit::server().fresh_db();
    let (dir, url) = project(&db);
    migration(dir.path(), "20260101000000_init", INIT);
    migration(dir.path(), "20260102000000_note", ADD_NOTE);
    dbguard(dir.path(), &url, false)
        .args(["migrate", "deploy"])
        .assert()
        .success();
    (db, dir, url)
}

#[test]
fn the_migration_history_is_shared_both_ways() {
    let db = dbguard_testkit::server().fresh_db();
    let (dir, url) = project(&db);
    migration(dir.path(), "20260101000000_init", INIT);
    dbguard(dir.path(), &url, false)
        .args(["migrate", "deploy"])
        .assert()
        .success();
    let out = npx(dir.path(), &url, &["migrate", "status"], false);
    assert!(
        text(&out).contains("Database schema is up to date"),
        "{}",
        text(&out)
    );

    migration(dir.path(), "20260102000000_note", ADD_NOTE);
    let out = npx(dir.path(), &url, &["migrate", "deploy"], false);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("20260102000000_note"), "{}", text(&out));
    assert!(
        !text(&out).contains("20260101000000_init/"),
        "nothing applied twice: {}",
        text(&out)
    );
    dbguard(dir.path(), &url, false)
        .args(["migrate", "status"])
        .assert()
        .success();
    // Both tools wrote the same checksum (SHA-256 of the file) and step count.
    let rows = db
        .client()
        .query(
            "SELECT migration_name, checksum, applied_steps_count FROM _prisma_migrations ORDER BY 1",
            &[],
        )
        .unwrap();
    for (row, sql) in rows.iter().zip([INIT, ADD_NOTE]) {
        use sha2::Digest;
        let expected: String = sha2::Sha256::digest(sql.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(row.get::<_, String>(1), expected, "{}", row.get::<_, String>(0));
        assert_eq!(row.get::<_, i32>(2), 1);
    }
}

#[test]
fn an_agents_prisma_reset_waits_for_a_person_then_runs_past_prisma_s_own_check() {
    let (db, dir, url) = deployed();
    db.client()
        .batch_execute("INSERT INTO \"Team\" (name) SELECT 'team ' || g FROM generate_series(1, 500) g")
        .unwrap();
    let reset = ["run", "--", "npx", "prisma", "migrate", "reset", "--force"];

    // Prisma's own check stops an agent, and dbguard stops it before Prisma runs.
    let out = npx(dir.path(), &url, &["migrate", "reset", "--force"], true);
    assert!(text(&out).contains("invoked by Claude Code"), "{}", text(&out));
    let out = dbguard(dir.path(), &url, true).args(reset).output().unwrap();
    assert_eq!(out.status.code(), Some(4), "{}", text(&out));
    assert!(
        text(&out).contains("\"Team\"") || text(&out).contains("Team (500 rows)"),
        "{}",
        text(&out)
    );
    assert_eq!(teams(&db), 500);

    // A person approves; the agent's same command then runs to completion.
    approve(dir.path(), &url);
    let out = dbguard(dir.path(), &url, true).args(reset).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(!text(&out).contains("invoked by Claude Code"), "{}", text(&out));
    assert_eq!(teams(&db), 0, "reset re-created the table empty");

    // The verified backup it took first restores the rows.
    let listed = dbguard(dir.path(), &url, false)
        .args(["--format", "json", "backup", "list"])
        .output()
        .unwrap();
    let listed: serde_json::Value = serde_json::from_slice(&listed.stdout).unwrap();
    let id = listed["backups"][0]["id"].as_str().unwrap().to_string();
    let copy = format!("{}_before_reset", db.name);
    dbguard(dir.path(), &url, false)
        .args(["restore", &id, "--into", &copy])
        .assert()
        .success();
    let mut restored = dbguard_pg::connect(
        &db.url.with_database(&copy).unwrap(),
        dbguard_testkit::CONNECT_TIMEOUT,
    )
    .unwrap();
    let rows: i64 = restored
        .query_one("SELECT count(*) FROM \"Team\"", &[])
        .unwrap()
        .get(0);
    assert_eq!(rows, 500);
    drop(restored);
    db.client()
        .batch_execute(&format!("DROP DATABASE \"{copy}\" WITH (FORCE)"))
        .unwrap();
}

#[test]
fn db_push_accept_data_loss_is_held_until_a_person_approves() {
    let (db, dir, url) = deployed();
    db.client()
        .batch_execute("INSERT INTO \"Team\" (name, note) VALUES ('a', 'keep me')")
        .unwrap();
    // The schema loses the column: Prisma 6.19.3 under an agent does not object.
    std::fs::write(
        dir.path().join("prisma/schema.prisma"),
        SCHEMA.replace("  note String?\n", ""),
    )
    .unwrap();
    let push = [
        "run",
        "--",
        "npx",
        "prisma",
        "db",
        "push",
        "--accept-data-loss",
        "--skip-generate",
    ];
    let has_note = |db: &TestDb| {
        db.client()
            .query_opt(
                "SELECT 1 FROM information_schema.columns WHERE table_name = 'Team' AND column_name = 'note'",
                &[],
            )
            .unwrap()
            .is_some()
    };
    let out = dbguard(dir.path(), &url, true).args(push).output().unwrap();
    assert_eq!(out.status.code(), Some(4), "{}", text(&out));
    assert!(has_note(&db));
    approve(dir.path(), &url);
    let out = dbguard(dir.path(), &url, true).args(push).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(!has_note(&db));
}

#[test]
fn an_inherited_consent_variable_never_reaches_the_child() {
    let db = dbguard_testkit::server().fresh_db();
    let (dir, url) = project(&db);
    let out = dbguard(dir.path(), &url, false)
        .env(prisma_consent(), "the agent says the user said yes")
        .args(["run", "--", "printenv", prisma_consent()])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "printenv finds nothing: {}",
        text(&out)
    );
}

/// With `dbguard protect` on, a plain `npx prisma migrate reset --force`
/// outside dbguard is refused by the database itself (a consent variable
/// set by the agent does not help), while the approved reset through
/// dbguard passes the guards in its window.
#[test]
fn on_a_protected_database_only_the_approved_prisma_reset_passes() {
    let (db, dir, url) = deployed();
    db.client()
        .batch_execute("INSERT INTO \"Team\" (name) SELECT 'team ' || g FROM generate_series(1, 50) g")
        .unwrap();
    dbguard(dir.path(), &url, false).arg("protect").assert().success();

    let mut plain = std::process::Command::new("npx");
    plain.args(["prisma", "migrate", "reset", "--force", "--skip-generate"]);
    clean(&mut plain, dir.path(), &url);
    let out = plain
        .env("CLAUDECODE", "1")
        .env(prisma_consent(), "the user said yes")
        .output()
        .unwrap();
    assert!(!out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("dbguard refused"),
        "the database refused it: {}",
        text(&out)
    );
    assert_eq!(teams(&db), 50);

    let reset = [
        "run",
        "--",
        "npx",
        "prisma",
        "migrate",
        "reset",
        "--force",
        "--skip-generate",
    ];
    dbguard(dir.path(), &url, true).args(reset).assert().code(4);
    approve(dir.path(), &url);
    let out = dbguard(dir.path(), &url, true).args(reset).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(teams(&db), 0);
}
