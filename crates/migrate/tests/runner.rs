//! The runner against a real server: deploy, status, edited and failed
//! migrations, resolve, concurrent deploys, and the history table in
//! Prisma's exact shape.

use std::path::Path;

use dbguard_migrate::layout::{create, load};
use dbguard_migrate::runner::{deploy, resolve, status, Resolution, State};
use dbguard_migrate::{history, Error};

fn write(dir: &Path, name: &str, sql: &str) {
    std::fs::create_dir_all(dir.join(name)).unwrap();
    std::fs::write(dir.join(name).join("migration.sql"), sql).unwrap();
}

fn folder() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "20240101000000_init",
        "CREATE TABLE farms (id uuid PRIMARY KEY, name text NOT NULL);",
    );
    write(
        dir.path(),
        "20240102000000_batches",
        "CREATE TABLE batches (id uuid PRIMARY KEY, farm_id uuid REFERENCES farms);",
    );
    write(
        dir.path(),
        "20240103000000_index",
        "CREATE INDEX CONCURRENTLY batches_farm ON batches (farm_id);\nCREATE INDEX CONCURRENTLY farms_name ON farms (name);",
    );
    dir
}

fn states(client: &mut postgres::Client, dir: &Path) -> Vec<(String, State)> {
    let migrations = load(dir).unwrap();
    status(&migrations, &history::rows(client).unwrap())
        .into_iter()
        .map(|e| (e.name, e.state))
        .collect()
}

fn nothing(_: &[&dbguard_migrate::Migration]) -> dbguard_migrate::Result<()> {
    Ok(())
}

#[test]
fn a_folder_deploys_and_the_history_is_prismas() {
    let db = dbguard_testkit::server().fresh_db();
    let mut client = db.client();
    let dir = folder();
    let migrations = load(dir.path()).unwrap();
    assert!(states(&mut client, dir.path())
        .iter()
        .all(|(_, s)| *s == State::Pending));
    let done = deploy(&mut client, &migrations, &mut nothing).unwrap();
    assert_eq!(done.applied.len(), 3);
    assert!(done.failed.is_none());
    assert!(states(&mut client, dir.path())
        .iter()
        .all(|(_, s)| *s == State::Applied));
    let index_valid: bool = client
        .query_one(
            "SELECT indisvalid FROM pg_index WHERE indexrelid = 'batches_farm'::regclass",
            &[],
        )
        .unwrap()
        .get(0);
    assert!(index_valid);

    // The table, column by column, as Prisma defines it.
    let columns: Vec<(String, String, String, Option<String>)> = client
        .query(
            "SELECT column_name::text, data_type::text, is_nullable::text, column_default::text
               FROM information_schema.columns WHERE table_name = '_prisma_migrations' ORDER BY ordinal_position",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
        .collect();
    let expected = [
        ("id", "character varying", "NO", None),
        ("checksum", "character varying", "NO", None),
        ("finished_at", "timestamp with time zone", "YES", None),
        ("migration_name", "character varying", "NO", None),
        ("logs", "text", "YES", None),
        ("rolled_back_at", "timestamp with time zone", "YES", None),
        ("started_at", "timestamp with time zone", "NO", Some("now()")),
        ("applied_steps_count", "integer", "NO", Some("0")),
    ];
    let expected: Vec<(String, String, String, Option<String>)> = expected
        .iter()
        .map(|(a, b, c, d)| (a.to_string(), b.to_string(), c.to_string(), d.map(String::from)))
        .collect();
    assert_eq!(columns, expected);
    // Each row as Prisma writes it after a successful apply.
    let rows = history::rows(&mut client).unwrap();
    for (row, migration) in rows.iter().zip(&migrations) {
        assert_eq!(row.migration_name, migration.name);
        assert_eq!(row.checksum, migration.checksum);
        assert_eq!(row.checksum.len(), 64);
        assert_eq!(row.id.len(), 36);
        assert!(row.finished_at.is_some() && row.logs.is_none() && row.rolled_back_at.is_none());
        assert_eq!(row.applied_steps_count, 1);
    }
    // A second deploy has nothing to do.
    assert!(deploy(&mut client, &migrations, &mut nothing)
        .unwrap()
        .applied
        .is_empty());
}

#[test]
fn edited_and_missing_migrations_are_reported() {
    let db = dbguard_testkit::server().fresh_db();
    let mut client = db.client();
    let dir = folder();
    deploy(&mut client, &load(dir.path()).unwrap(), &mut nothing).unwrap();
    std::fs::write(
        dir.path().join("20240101000000_init/migration.sql"),
        "CREATE TABLE farms (id uuid);",
    )
    .unwrap();
    std::fs::remove_dir_all(dir.path().join("20240103000000_index")).unwrap();
    let found = states(&mut client, dir.path());
    assert!(
        found.contains(&("20240101000000_init".into(), State::Edited)),
        "{found:?}"
    );
    assert!(
        found.contains(&("20240103000000_index".into(), State::MissingFromDisk)),
        "{found:?}"
    );
}

#[test]
fn a_failing_migration_stops_is_recorded_and_blocks_until_resolved() {
    let db = dbguard_testkit::server().fresh_db();
    let mut client = db.client();
    let dir = folder();
    write(
        dir.path(),
        "20240104000000_broken",
        "ALTER TABLE farms ADD COLUMN code text; ALTER TABLE nowhere ADD COLUMN x int;",
    );
    write(dir.path(), "20240105000000_after", "CREATE TABLE later (x int);");
    let done = deploy(&mut client, &load(dir.path()).unwrap(), &mut nothing).unwrap();
    assert_eq!(done.applied.len(), 3);
    let (name, why) = done.failed.unwrap();
    assert_eq!(name, "20240104000000_broken");
    assert!(why.contains("nowhere"), "{why}");
    let code_column: i64 = client
        .query_one("SELECT count(*) FROM information_schema.columns WHERE table_name = 'farms' AND column_name = 'code'", &[])
        .unwrap()
        .get(0);
    assert_eq!(code_column, 0, "the failed migration rolled back whole");
    let failed = history::rows(&mut client)
        .unwrap()
        .into_iter()
        .find(|r| r.migration_name == name)
        .unwrap();
    assert!(failed.finished_at.is_none() && failed.logs.unwrap().contains("nowhere"));
    assert!(client
        .query_one("SELECT to_regclass('later') IS NULL", &[])
        .unwrap()
        .get::<_, bool>(0));

    let blocked = deploy(&mut client, &load(dir.path()).unwrap(), &mut nothing).unwrap_err();
    assert!(
        matches!(blocked, Error::Invalid(ref m) if m.contains("failed and is not resolved")),
        "{blocked}"
    );

    write(
        dir.path(),
        "20240104000000_broken",
        "ALTER TABLE farms ADD COLUMN code text;",
    );
    let migrations = load(dir.path()).unwrap();
    assert!(resolve(
        &mut client,
        &migrations,
        "20240105000000_after",
        Resolution::RolledBack
    )
    .is_err());
    resolve(
        &mut client,
        &migrations,
        "20240104000000_broken",
        Resolution::RolledBack,
    )
    .unwrap();
    let done = deploy(&mut client, &migrations, &mut nothing).unwrap();
    assert_eq!(
        done.applied,
        vec!["20240104000000_broken", "20240105000000_after"]
    );
}

#[test]
fn resolve_applied_records_a_migration_finished_by_hand() {
    let db = dbguard_testkit::server().fresh_db();
    let mut client = db.client();
    let dir = folder();
    let migrations = load(dir.path()).unwrap();
    client
        .batch_execute("CREATE TABLE farms (id uuid PRIMARY KEY, name text NOT NULL)")
        .unwrap();
    resolve(
        &mut client,
        &migrations,
        "20240101000000_init",
        Resolution::Applied,
    )
    .unwrap();
    let row = history::rows(&mut client).unwrap().remove(0);
    assert_eq!((row.applied_steps_count, row.finished_at.is_some()), (0, true));
    let done = deploy(&mut client, &migrations, &mut nothing).unwrap();
    assert_eq!(done.applied.len(), 2);
}

#[test]
fn two_concurrent_deploys_apply_each_migration_once() {
    let db = dbguard_testkit::server().fresh_db();
    let dir = folder();
    let migrations = load(dir.path()).unwrap();
    let applied: Vec<usize> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..2)
            .map(|_| {
                let migrations = &migrations;
                let mut client = db.client();
                scope.spawn(move || {
                    deploy(&mut client, migrations, &mut nothing)
                        .unwrap()
                        .applied
                        .len()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(applied.iter().sum::<usize>(), 3, "{applied:?}");
    let rows: i64 = db
        .client()
        .query_one("SELECT count(*) FROM _prisma_migrations", &[])
        .unwrap()
        .get(0);
    assert_eq!(rows, 3);
}

#[test]
fn a_refusal_before_applying_applies_nothing() {
    let db = dbguard_testkit::server().fresh_db();
    let mut client = db.client();
    let dir = folder();
    let refused = deploy(&mut client, &load(dir.path()).unwrap(), &mut |pending| {
        assert_eq!(pending.len(), 3);
        Err(Error::Invalid("not approved".into()))
    });
    assert!(refused.is_err());
    assert!(states(&mut client, dir.path())
        .iter()
        .all(|(_, s)| *s == State::Pending));
}

#[test]
fn new_migrations_get_prismas_layout() {
    let dir = tempfile::tempdir().unwrap();
    let file = create(dir.path(), "add_tasks", chrono::Utc::now()).unwrap();
    assert!(file.ends_with("migration.sql"));
    let folder = file
        .parent()
        .unwrap()
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    assert!(
        folder.ends_with("_add_tasks") && folder.len() == "20240101000000_add_tasks".len(),
        "{folder}"
    );
    assert!(dir.path().join("migration_lock.toml").is_file());
    assert!(create(dir.path(), "bad name", chrono::Utc::now()).is_err());
}

#[test]
fn a_failed_migration_outside_a_transaction_says_what_stays_applied_and_cannot_be_marked_rolled_back() {
    let db = dbguard_testkit::server().fresh_db();
    let mut client = db.client();
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "20240101000000_half",
        "CREATE TABLE plots (id int, name text);\nCREATE INDEX CONCURRENTLY plots_name ON plots (name);\nCREATE INDEX CONCURRENTLY nope ON no_such_table (x);\nCREATE TABLE never (id int);",
    );
    let migrations = load(dir.path()).unwrap();
    let done = deploy(&mut client, &migrations, &mut |_| Ok(())).unwrap();
    let (name, why) = done.failed.clone().unwrap();
    assert_eq!(name, "20240101000000_half");
    assert_eq!(
        done.left_applied,
        [
            "CREATE TABLE plots (id int, name text)",
            "CREATE INDEX CONCURRENTLY plots_name ON plots (name)"
        ]
    );
    assert!(why.contains("the 2 statement(s) before it stay applied"), "{why}");

    let err = resolve(&mut client, &migrations, &name, Resolution::RolledBack)
        .unwrap_err()
        .to_string();
    assert!(err.contains("did not roll back"), "{err}");
    assert!(err.contains("plots (`DROP TABLE plots`)"), "{err}");
    assert!(
        err.contains("plots_name (`DROP INDEX CONCURRENTLY plots_name`)"),
        "{err}"
    );
    assert_eq!(
        states(&mut client, dir.path())[0].1,
        State::Failed,
        "nothing was recorded"
    );

    client
        .batch_execute("DROP INDEX plots_name; DROP TABLE plots")
        .unwrap();
    resolve(&mut client, &migrations, &name, Resolution::RolledBack).unwrap();
    assert_eq!(states(&mut client, dir.path())[0].1, State::Pending);
}

#[test]
fn migrations_made_in_the_same_second_sort_in_the_order_they_were_made() {
    let dir = tempfile::tempdir().unwrap();
    let now = chrono::Utc::now();
    let names: Vec<String> = ["zebra", "apple", "mango"]
        .iter()
        .map(|n| {
            let file = create(dir.path(), n, now).unwrap();
            file.parent()
                .unwrap()
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    let loaded: Vec<String> = load(dir.path()).unwrap().into_iter().map(|m| m.name).collect();
    assert_eq!(loaded, names, "load order is creation order");
    let stamps: std::collections::HashSet<&str> = names.iter().map(|n| &n[..14]).collect();
    assert_eq!(stamps.len(), 3, "{names:?}");
}

#[test]
fn a_deploy_waiting_for_the_lock_does_not_block_the_holders_concurrent_index() {
    let db = dbguard_testkit::server().fresh_db();
    let mut holder = db.client();
    holder
        .execute(
            "SELECT pg_advisory_lock($1)",
            &[&dbguard_migrate::runner::LOCK_KEY],
        )
        .unwrap();
    let dir = folder();
    let migrations = load(dir.path()).unwrap();
    std::thread::scope(|scope| {
        let waiting =
            scope.spawn(|| deploy(&mut db.client(), &migrations, &mut nothing).map(|d| d.applied.len()));
        std::thread::sleep(std::time::Duration::from_millis(500));
        // Waiting in pg_advisory_lock, the deploy's open transaction would make
        // this wait for it while it waits for the lock: a deadlock.
        holder.batch_execute("CREATE TABLE other (x int)").unwrap();
        holder
            .batch_execute("CREATE INDEX CONCURRENTLY other_x ON other (x)")
            .unwrap();
        holder
            .execute(
                "SELECT pg_advisory_unlock($1)",
                &[&dbguard_migrate::runner::LOCK_KEY],
            )
            .unwrap();
        assert_eq!(waiting.join().unwrap().unwrap(), 3);
    });
}
