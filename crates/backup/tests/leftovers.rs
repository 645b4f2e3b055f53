//! Leftovers of interrupted runs: temporary databases and `.partial`
//! folders carry the process that made them; the stale ones are reported,
//! then swept by the next run, and a `restore --into` only ever shows its
//! target complete. A test binary of its own, its tests one at a time:
//! sweeping is server-wide, and every test here counts what is left.

use std::sync::Mutex;

use dbguard_backup::leftovers::{self, Liveness, Maker, DATABASE_PREFIX};
use dbguard_backup::{create, restore, CreateOptions, RestoreOptions, Target};
use dbguard_testkit::TestDb;

mod common;

use common::{fingerprint, store, verify_full};

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// The seeded database, and the right to count what is left on the server.
fn seeded() -> (std::sync::MutexGuard<'static, ()>, TestDb) {
    let guard = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    (guard, common::seeded())
}

/// A maker that has exited: a child process, reaped.
fn dead_maker() -> Maker {
    let mut child = std::process::Command::new("true").spawn().unwrap();
    let pid = child.id();
    child.wait().unwrap();
    Maker {
        pid,
        start: 1,
        ..Maker::current()
    }
}

#[test]
fn leftovers_of_a_killed_run_are_reported_then_swept_and_live_ones_kept() {
    let (_one, db) = seeded();
    let (_tmp, store) = store();
    let mut backup = create(&store, &db.url, &CreateOptions::default()).unwrap();
    let dead = dead_maker();
    let stale_db = format!("{DATABASE_PREFIX}verify_{}_0", dead.tag());
    let live_db = format!("{DATABASE_PREFIX}restore_{}_999", Maker::current().tag());
    for name in [&stale_db, &live_db] {
        db.client()
            .batch_execute(&format!("CREATE DATABASE \"{name}\""))
            .unwrap();
    }
    let stale_dir = store.dir().join(".backup_x_20260101_000000.partial");
    std::fs::create_dir(&stale_dir).unwrap();
    std::fs::write(stale_dir.join(".maker"), dead.tag()).unwrap();
    let found = leftovers::databases(&mut db.client()).unwrap();
    let state = |name: &str| found.iter().find(|l| l.name == name).map(|l| l.liveness);
    assert_eq!(state(&stale_db), Some(Liveness::Gone));
    assert_eq!(state(&live_db), Some(Liveness::Running));
    let partials = store.partials();
    assert_eq!(partials.len(), 1);
    assert_eq!(partials[0].liveness, Liveness::Gone);
    assert_eq!(partials[0].maker.as_ref(), Some(&dead));

    // The next full verification sweeps the stale database, the next backup the folder.
    let full = verify_full(&mut backup, &db.url);
    assert!(full.passed, "{:?}", full.checks);
    let names: Vec<String> = leftovers::databases(&mut db.client())
        .unwrap()
        .into_iter()
        .map(|l| l.name)
        .collect();
    assert_eq!(names, std::slice::from_ref(&live_db), "only the live one is left");
    create(&store, &db.url, &CreateOptions::default()).unwrap();
    assert!(store.partials().is_empty(), "the stale partial folder was swept");
    db.client()
        .batch_execute(&format!("DROP DATABASE \"{live_db}\""))
        .unwrap();
}

#[test]
fn restore_into_writes_a_temporary_database_and_renames_it_only_when_verified() {
    let (_one, db) = seeded();
    let before = fingerprint(&db.url);
    let (_tmp, store) = store();
    let mut backup = create(&store, &db.url, &CreateOptions::default()).unwrap();
    let copy = format!("{}_into", db.name);
    // A manifest that does not match what the archive holds: the restore
    // completes but does not verify, and leaves nothing behind.
    backup.manifest.tables[1].rows += 1;
    let err = restore(
        &store,
        &backup,
        &db.url,
        &Target::NewDatabase(copy.clone()),
        &RestoreOptions::default(),
    )
    .unwrap_err();
    assert!(err.to_string().contains("failed verification"), "{err}");
    let exists = |name: &str| -> bool {
        db.client()
            .query_opt("SELECT 1 FROM pg_database WHERE datname = $1", &[&name])
            .unwrap()
            .is_some()
    };
    assert!(!exists(&copy));
    assert!(
        leftovers::databases(&mut db.client()).unwrap().is_empty(),
        "no temporary database left"
    );
    backup.manifest.tables[1].rows -= 1;
    let report = restore(
        &store,
        &backup,
        &db.url,
        &Target::NewDatabase(copy.clone()),
        &RestoreOptions::default(),
    )
    .unwrap();
    assert!(report.counts.passed);
    assert_eq!(fingerprint(&db.url.with_database(&copy).unwrap()), before);
    assert!(leftovers::databases(&mut db.client()).unwrap().is_empty());
    db.client()
        .batch_execute(&format!("DROP DATABASE \"{copy}\" WITH (FORCE)"))
        .unwrap();
}
