//! `dbguard db url --prisma`: the password goes into a private `.env`, never
//! onto the screen; the URL written there connects, and the real Prisma CLI
//! accepts it; without `--env-file` the command refuses and says why.

use std::os::unix::fs::PermissionsExt;

use assert_cmd::Command;
use dbguard_pg::env::DotEnv;
use dbguard_pg::DbUrl;
use predicates::prelude::*;

/// dbguard in the test server's own project folder, whose `.dbguard/` holds
/// that (running) local server.
fn dbguard() -> Command {
    let mut cmd = Command::cargo_bin("dbguard").unwrap();
    cmd.current_dir(dbguard_testkit::server().root())
        .env_remove("DATABASE_URL");
    cmd
}

fn password() -> String {
    let pgpass = dbguard_testkit::server().root().join(".dbguard/local.pgpass");
    let text = std::fs::read_to_string(pgpass).unwrap();
    text.trim().rsplit(':').next().unwrap().to_string()
}

#[test]
fn the_prisma_url_is_written_into_the_env_file_and_printed_masked() {
    let db = dbguard_testkit::server().fresh_db();
    let dir = tempfile::tempdir().unwrap();
    let env = dir.path().join(".env");
    std::fs::write(&env, "# mine\nNODE_ENV=development\n").unwrap();
    std::fs::set_permissions(&env, std::fs::Permissions::from_mode(0o644)).unwrap();
    let run = || {
        dbguard()
            .args(["db", "url", &db.name, "--prisma", "--env-file"])
            .arg(&env)
            .output()
            .unwrap()
    };
    let out = run();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("postgresql://app:***@127.0.0.1:"), "{stdout}");
    assert!(stdout.contains("DATABASE_URL written into"), "{stdout}");
    assert!(!stdout.contains(&password()), "the password is never printed");
    assert_eq!(
        std::fs::metadata(&env).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let text = std::fs::read_to_string(&env).unwrap();
    assert!(
        text.starts_with("# mine\nNODE_ENV=development\nDATABASE_URL='postgresql://app:"),
        "{text}"
    );
    assert!(!text.contains("passfile"), "{text}");

    let written = DotEnv::read(&env)
        .unwrap()
        .get("DATABASE_URL")
        .unwrap()
        .to_string();
    let url = DbUrl::parse(&written).unwrap();
    let mut client = dbguard_pg::connect(&url, std::time::Duration::from_secs(10)).unwrap();
    let name: String = client.query_one("SELECT current_database()", &[]).unwrap().get(0);
    assert_eq!(name, db.name);

    let again = run();
    assert!(String::from_utf8_lossy(&again.stdout).contains("already up to date"));
    assert_eq!(std::fs::read_to_string(&env).unwrap(), text);
}

#[test]
fn without_an_env_file_it_refuses_and_explains() {
    dbguard()
        .args(["db", "url", "--prisma"])
        .assert()
        .code(2)
        .stdout(predicate::str::is_empty())
        .stderr(
            predicate::str::contains("Prisma cannot read a password file")
                .and(predicate::str::contains("--env-file")),
        );
}

#[test]
fn another_servers_url_is_not_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let env = dir.path().join(".env");
    let before = "DATABASE_URL=\"postgresql://app:prodsecret@db.example.com/farm\"\n";
    std::fs::write(&env, before).unwrap();
    dbguard()
        .args(["db", "url", "--prisma", "--env-file"])
        .arg(&env)
        .assert()
        .code(1)
        .stderr(
            predicate::str::contains("does not replace it").and(predicate::str::contains("prodsecret").not()),
        );
    assert_eq!(std::fs::read_to_string(&env).unwrap(), before);
}

/// The real Prisma CLI (the test kit's pinned 6.19.3) reads the database
/// through the URL `db url --prisma` wrote.
#[test]
fn prisma_itself_accepts_the_written_url() {
    let db = dbguard_testkit::server().fresh_db();
    let dir = dbguard_testkit::project_dir("dbguard-prisma-url-");
    dbguard_testkit::prisma::project(
        dir.path(),
        "datasource db {\n  provider = \"postgresql\"\n  url      = env(\"DATABASE_URL\")\n}\n",
    );
    let env = dir.path().join(".env");
    dbguard()
        .args(["db", "url", &db.name, "--prisma", "--env-file"])
        .arg(&env)
        .assert()
        .success();
    let url = DotEnv::read(&env)
        .unwrap()
        .get("DATABASE_URL")
        .unwrap()
        .to_string();
    let out = std::process::Command::new("npx")
        .args(["prisma", "migrate", "status"])
        .current_dir(dir.path())
        .env("DATABASE_URL", &url)
        .env_remove("CLAUDECODE")
        .envs(dbguard_testkit::prisma::ENV.iter().copied())
        .output()
        .expect("npx (Node.js)");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains(&format!("\"{}\", schema \"public\"", db.name)),
        "{text}"
    );
    assert!(text.contains("No migration found"), "{text}");
    assert!(!text.contains("External error"), "{text}");
}

/// The URL `db url` hands the application (and an agent beside it) is not
/// the superuser's: through it the guards inside the database cannot be
/// switched off, a window cannot be written and the database cannot be
/// dropped. Only `--admin` gives the superuser's, for a person.
#[test]
fn the_application_s_url_cannot_switch_the_guards_off() {
    let db = dbguard_testkit::server().fresh_db();
    db.client()
        .batch_execute(
            "CREATE TABLE notes (id int PRIMARY KEY, body text); INSERT INTO notes VALUES (1, 'a')",
        )
        .unwrap();
    let url_of = |extra: &[&str]| {
        let out = dbguard()
            .args(["--format", "json", "db", "url", &db.name])
            .args(extra)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        DbUrl::parse(json["url"].as_str().unwrap()).unwrap()
    };
    let connect = |url: &DbUrl| dbguard_pg::connect(url, std::time::Duration::from_secs(10)).unwrap();
    let mut app = connect(&url_of(&[]));
    let row = app
        .query_one(
            "SELECT current_user::text, rolsuper, rolcreatedb, rolcreaterole, rolbypassrls FROM pg_roles WHERE rolname = current_user",
            &[],
        )
        .unwrap();
    assert_eq!(row.get::<_, String>(0), "app");
    assert!(
        !row.get::<_, bool>(1) && !row.get::<_, bool>(2) && !row.get::<_, bool>(3) && !row.get::<_, bool>(4)
    );
    // The application's own work passes.
    app.batch_execute("INSERT INTO notes VALUES (2, 'b'); UPDATE notes SET body = 'c' WHERE id = 2")
        .unwrap();
    for sql in [
        "CREATE FUNCTION f() RETURNS event_trigger LANGUAGE plpgsql AS 'BEGIN END'",
        "ALTER EVENT TRIGGER dbguard_ddl_end DISABLE",
        "SET session_replication_role = replica",
        "TRUNCATE notes",
        "DROP TABLE notes",
        "CREATE DATABASE elsewhere",
        &format!("DROP DATABASE \"{}\"", db.name),
        "CREATE ROLE helper SUPERUSER",
        "COPY notes TO PROGRAM 'true'",
    ] {
        assert!(app.batch_execute(sql).is_err(), "{sql} passed as the application");
    }
    let admin = url_of(&["--admin"]);
    let user: String = connect(&admin)
        .query_one("SELECT current_user::text", &[])
        .unwrap()
        .get(0);
    assert_eq!(user, "postgres");
    // The password stays the same across calls (an application keeps working).
    let again = url_of(&[]);
    connect(&again).query_one("SELECT 1", &[]).unwrap();
}
