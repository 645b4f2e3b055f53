//! `dbguard seed` and `dbguard validate` as people run them: development
//! data only on this machine, production only with a password, a second run
//! that changes nothing, and seeded data that validates.

use std::path::Path;

use assert_cmd::Command;
use predicates::prelude::*;

fn dbguard(dir: &Path, url: &str) -> Command {
    let mut cmd = Command::cargo_bin("dbguard").unwrap();
    cmd.current_dir(dir)
        .env("DATABASE_URL", url)
        .env_remove("NODE_ENV")
        .env_remove("DBGUARD_ADMIN_PASSWORD");
    cmd
}

#[test]
fn development_data_goes_only_into_a_database_on_this_machine() {
    let dir = dbguard_testkit::project_dir("dbguard-seed-");
    dbguard(dir.path(), "postgresql://app:s3cret-pw@db.example.com:5432/farm")
        .arg("seed")
        .assert()
        .code(1)
        .stderr(
            predicate::str::contains("only into a database on this machine")
                .and(predicate::str::contains("s3cret-pw").not()),
        );
}

#[test]
fn seed_applies_by_environment_and_twice_changes_nothing() {
    let db = dbguard_testkit::server().fresh_db();
    let dir = dbguard_testkit::project_dir("dbguard-seed-");
    let url = db.url.expose().to_string();
    dbguard(dir.path(), &url)
        .arg("seed")
        .assert()
        .code(1)
        .stderr(predicate::str::contains("the farm schema is not applied"));
    dbguard_migrate::runner::deploy(&mut db.client(), &dbguard_farm::migrations(), &mut |_| Ok(())).unwrap();

    // NODE_ENV=production picks production; without a password and a terminal it refuses.
    dbguard(dir.path(), &url)
        .env("NODE_ENV", "production")
        .arg("seed")
        .assert()
        .code(1)
        .stderr(predicate::str::contains("DBGUARD_ADMIN_PASSWORD"));
    dbguard(dir.path(), &url)
        .args(["seed", "--farms", "2"])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("seeded development data").and(predicate::str::contains("order_items")),
        );
    dbguard(dir.path(), &url)
        .args(["seed", "--farms", "2"])
        .assert()
        .success()
        .stdout(predicate::str::contains("nothing new"));
    dbguard(dir.path(), &url)
        .args(["seed", "--env", "production"])
        .env("DBGUARD_ADMIN_PASSWORD", "G3rmination-Room")
        .assert()
        .success()
        .stdout(predicate::str::contains("nothing new"));
    dbguard(dir.path(), &url)
        .args(["tenancy", "audit"])
        .assert()
        .success();

    // The seeded data validates; a planted wrong total does not.
    dbguard(dir.path(), &url)
        .arg("validate")
        .assert()
        .success()
        .stdout(predicate::str::contains("checks passed"));
    db.client()
        .batch_execute("UPDATE orders SET total_cents = total_cents + 5 WHERE id = (SELECT id FROM orders ORDER BY id LIMIT 1)")
        .unwrap();
    dbguard(dir.path(), &url)
        .arg("validate")
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "order-total            1 row(s): orders whose total is not the sum of their items",
        ));
}

#[test]
fn export_writes_a_private_complete_file_and_import_loads_it_into_a_new_farm() {
    use std::os::unix::fs::PermissionsExt;
    let db = dbguard_testkit::server().fresh_db();
    let dir = dbguard_testkit::project_dir("dbguard-export-");
    let url = db.url.expose().to_string();
    dbguard_migrate::runner::deploy(&mut db.client(), &dbguard_farm::migrations(), &mut |_| Ok(())).unwrap();
    dbguard(dir.path(), &url).arg("seed").assert().success();
    let farm: String = db
        .client()
        .query_one("SELECT id::text FROM farms ORDER BY farm_name LIMIT 1", &[])
        .unwrap()
        .get(0);
    let file = dir.path().join("farm.json");
    dbguard(dir.path(), &url)
        .args(["export", "--farm", &farm, "-o"])
        .arg(&file)
        .assert()
        .success()
        .stderr(predicate::str::contains("exported"));
    assert_eq!(
        std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert!(!dir.path().join("farm.partial").exists());

    // An unknown farm: an error, and no file that looks like an export.
    let missing = dir.path().join("missing.json");
    dbguard(dir.path(), &url)
        .args(["export", "--farm", "00000000-0000-0000-0000-000000000000", "-o"])
        .arg(&missing)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("no farm"));
    assert!(!missing.exists() && !dir.path().join("missing.partial").exists());

    let new_farm = "eeeeeeee-eeee-eeee-eeee-eeeeeeeeeeee";
    dbguard(dir.path(), &url)
        .args(["import", "--farm", new_farm])
        .arg(&file)
        .assert()
        .success()
        .stderr(predicate::str::contains("imported"));
    let count = |f: &str| -> i64 {
        db.client()
            .query_one("SELECT count(*) FROM batches WHERE farm_id::text = $1", &[&f])
            .unwrap()
            .get(0)
    };
    assert_eq!(count(new_farm), count(&farm));
    dbguard(dir.path(), &url).arg("validate").assert().success();
}

mod support;

/// At a terminal the seed shows what it is filling and how many rows so
/// far; piped, it prints no progress.
#[test]
fn the_seed_shows_progress_at_a_terminal_only() {
    let db = dbguard_testkit::server().fresh_db();
    let dir = dbguard_testkit::project_dir("dbguard-seed-progress-");
    dbguard_migrate::runner::deploy(&mut db.client(), &dbguard_farm::migrations(), &mut |_| Ok(())).unwrap();
    let url = db.url.expose().to_string();
    let out = support::in_pty(
        dir.path(),
        "seed --farms 3 --scale 20",
        "",
        &[("DATABASE_URL", &url)],
    );
    let shown = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{shown}");
    // The counter's rate ("…/s") is in no line of the final report.
    assert!(shown.contains("/s"), "a row counter at the terminal: {shown}");
    let piped = dbguard(dir.path(), &url)
        .args(["seed", "--farms", "4"])
        .output()
        .unwrap();
    assert!(piped.status.success());
    assert!(
        !String::from_utf8_lossy(&piped.stderr).contains("/s"),
        "no progress when piped: {}",
        String::from_utf8_lossy(&piped.stderr)
    );
}

/// `validate` and `import` show progress at a terminal (checks done of all;
/// bytes read of the file, then rows inserted), and none when piped.
#[test]
fn validate_and_import_show_progress_at_a_terminal_only() {
    let db = dbguard_testkit::server().fresh_db();
    let dir = dbguard_testkit::project_dir("dbguard-long-progress-");
    dbguard_migrate::runner::deploy(&mut db.client(), &dbguard_farm::migrations(), &mut |_| Ok(())).unwrap();
    let url = db.url.expose().to_string();
    dbguard(dir.path(), &url)
        .args(["seed", "--farms", "2"])
        .assert()
        .success();
    let env = [("DATABASE_URL", url.as_str())];

    let piped = dbguard(dir.path(), &url)
        .args(["--format", "json", "validate"])
        .output()
        .unwrap();
    assert!(piped.status.success());
    assert!(
        !String::from_utf8_lossy(&piped.stderr).contains("checks"),
        "no progress when piped: {}",
        String::from_utf8_lossy(&piped.stderr)
    );
    let checks = serde_json::from_slice::<serde_json::Value>(&piped.stdout).unwrap()["checks"]
        .as_u64()
        .unwrap();
    let out = support::in_pty(dir.path(), "validate", "", &env);
    let shown = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{shown}");
    // The bar's "done/all checks"; the final report says "N checks passed".
    assert!(
        shown.contains(&format!("/{checks} checks")),
        "a check counter: {shown}"
    );

    let farm: String = db
        .client()
        .query_one("SELECT id::text FROM farms ORDER BY farm_name LIMIT 1", &[])
        .unwrap()
        .get(0);
    let file = dir.path().join("farm.ndjson");
    dbguard(dir.path(), &url)
        .args(["export", "--as", "ndjson", "--farm", &farm, "-o"])
        .arg(&file)
        .assert()
        .success();
    let piped = dbguard(dir.path(), &url)
        .args(["import", "--farm", "dddddddd-dddd-dddd-dddd-dddddddddddd"])
        .arg(&file)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&piped.stderr);
    assert!(piped.status.success(), "{said}");
    assert!(
        said.starts_with("imported ") && said.lines().count() == 1,
        "only the report when piped: {said}"
    );
    let out = support::in_pty(
        dir.path(),
        &format!(
            "import --farm eeeeeeee-eeee-eeee-eeee-eeeeeeeeeeee {}",
            file.display()
        ),
        "",
        &env,
    );
    let shown = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{shown}");
    // The byte bar's "read/size" ("… KiB/… KiB"), and the row counter's
    // "N rows 123.4/s" (the report says "N rows from …").
    assert!(shown.contains("B/"), "bytes read of the file: {shown}");
    let counter = shown
        .match_indices(" rows ")
        .any(|(i, m)| shown[i + m.len()..].starts_with(|c: char| c.is_ascii_digit()));
    assert!(counter, "a row counter: {shown}");
}
