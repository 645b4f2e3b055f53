//! Backups against a real server: create -> verify -> restore round trips,
//! damaged archives are caught, failures leave nothing that looks valid,
//! retention keeps the newest verified backup, restores are atomic.

use std::os::unix::fs::PermissionsExt;

use chrono::Utc;
use dbguard_backup::prune::{apply, plan};
use dbguard_backup::verify::compare_counts;
use dbguard_backup::{
    create, restore, verify, CreateOptions, Level, RestoreOptions, Retention, Store, Target, VerifyOptions,
};
mod common;

use common::{fingerprint, restore_live, seeded, store, verify_full};

fn mode(path: &std::path::Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn create_verify_and_restore_into_a_new_database_round_trip() {
    let db = seeded();
    let before = fingerprint(&db.url);
    let (_tmp, store) = store();
    let mut backup = create(&store, &db.url, &CreateOptions::default()).unwrap();

    assert!(
        backup.id().starts_with(&format!("backup_{}_", db.name)),
        "{}",
        backup.id()
    );
    assert_eq!(mode(store.dir()), 0o700);
    assert_eq!(mode(&backup.dir), 0o700);
    for file in ["dump.zst", "manifest.json"] {
        assert_eq!(mode(&backup.path(file)), 0o600, "{file}");
    }
    let counts: Vec<(String, i64)> = backup
        .manifest
        .tables
        .iter()
        .map(|t| (format!("{}.{}", t.schema, t.name), t.rows))
        .collect();
    assert_eq!(
        counts,
        vec![
            ("audit.events".into(), 300),
            ("public.batches".into(), 2000),
            ("public.empty_table".into(), 0),
            ("public.farms".into(), 50)
        ]
    );
    assert_eq!(store.list().unwrap().len(), 1);

    let read = verify(&mut backup, &VerifyOptions::default()).unwrap();
    assert!(read.passed, "{:?}", read.checks);
    assert_eq!(backup.manifest.verification.level, Level::Read);
    let full = verify_full(&mut backup, &db.url);
    assert!(full.passed, "{:?}", full.checks);
    let reread = Store::new(store.dir()).find(backup.id()).unwrap();
    assert_eq!(reread.manifest.verification.level, Level::Full);
    assert!(reread.manifest.verification.restore_bytes_per_second.unwrap() > 0.0);

    // The live database changes; restoring into a new one leaves it alone.
    db.client()
        .batch_execute("DELETE FROM batches WHERE id > 1000")
        .unwrap();
    let live_after_change = fingerprint(&db.url);
    let copy = format!("{}_copy", db.name);
    let report = restore(
        &store,
        &reread,
        &db.url,
        &Target::NewDatabase(copy.clone()),
        &RestoreOptions::default(),
    )
    .unwrap();
    assert!(report.counts.passed, "{}", report.counts.detail);
    assert_eq!(fingerprint(&db.url.with_database(&copy).unwrap()), before);
    assert_eq!(fingerprint(&db.url), live_after_change);
    let again = restore(
        &store,
        &reread,
        &db.url,
        &Target::NewDatabase(copy.clone()),
        &RestoreOptions::default(),
    );
    assert!(again.unwrap_err().to_string().contains("already exists"));
    let _ = db
        .client()
        .batch_execute(&format!("DROP DATABASE \"{copy}\" WITH (FORCE)"));
}

#[test]
fn truncated_and_bit_flipped_archives_fail_both_levels_and_are_not_restored() {
    let db = seeded();
    let (_tmp, store) = store();
    for damage in ["truncate", "flip"] {
        let mut backup = create(&store, &db.url, &CreateOptions::default()).unwrap();
        let path = backup.path("dump.zst");
        let mut bytes = std::fs::read(&path).unwrap();
        let middle = bytes.len() / 2;
        match damage {
            "truncate" => bytes.truncate(middle),
            _ => bytes[middle] ^= 0x01,
        }
        std::fs::write(&path, &bytes).unwrap();
        let read = verify(&mut backup, &VerifyOptions::default()).unwrap();
        assert!(!read.passed, "{damage}: read verification passed");
        assert_eq!(backup.manifest.verification.level, Level::None);
        assert!(backup.manifest.verification.last_failure.is_some());
        let full = verify_full(&mut backup, &db.url);
        assert!(!full.passed, "{damage}: full verification passed");
        let target = Target::NewDatabase(format!("{}_{damage}", db.name));
        let refused = restore(&store, &backup, &db.url, &target, &RestoreOptions::default()).unwrap_err();
        assert!(refused.to_string().contains("damaged"), "{refused}");
    }
}

#[test]
fn a_dump_of_a_missing_database_leaves_no_backup() {
    let db = dbguard_testkit::server().fresh_db();
    let (_tmp, store) = store();
    let missing = db.url.with_database("no_such_database").unwrap();
    let err = create(&store, &missing, &CreateOptions::default()).unwrap_err();
    assert!(err.to_string().contains("does not exist"), "{err}");
    assert!(store.list().unwrap().is_empty());
    assert!(store.partials().is_empty());
}

#[test]
fn prune_keeps_the_newest_verified_backup_even_when_everything_is_old() {
    let db = seeded();
    let (_tmp, store) = store();
    let mut made = Vec::new();
    for _ in 0..4 {
        made.push(create(&store, &db.url, &CreateOptions::default()).unwrap());
    }
    // The oldest is the only verified one; all are a month old.
    verify(&mut made[0], &VerifyOptions::default()).unwrap();
    for (age, backup) in made.iter().rev().enumerate() {
        let mut manifest = dbguard_backup::Manifest::read(&backup.dir).unwrap();
        manifest.started_at = Utc::now() - chrono::Duration::days(30 + age as i64);
        manifest.write(&backup.dir).unwrap();
    }
    let backups = store.list().unwrap();
    let held_by = |ids: &[&str]| -> std::collections::BTreeMap<String, String> {
        ids.iter()
            .map(|id| (id.to_string(), "open incident inc_1 works from it".to_string()))
            .collect()
    };
    let decide_holding = |keep_last, held: &[&str]| {
        plan(
            &backups,
            Retention {
                keep_days: 7,
                keep_last,
            },
            Utc::now(),
            Vec::new(),
            &held_by(held),
        )
    };
    let decide = |keep_last| decide_holding(keep_last, &[]);
    let kept = |decided: &dbguard_backup::prune::Plan| -> Vec<String> {
        decided
            .backups
            .iter()
            .filter(|d| d.keep)
            .map(|d| d.id.clone())
            .collect()
    };
    let decided = decide(1);
    assert_eq!(kept(&decided), [made[3].id(), made[0].id()]);
    assert_eq!(
        kept(&decide(0)),
        [made[0].id()],
        "the newest verified backup, kept by no count"
    );
    let holding = decide_holding(0, &[made[2].id()]);
    assert_eq!(
        kept(&holding),
        [made[2].id(), made[0].id()],
        "a backup an open incident works from is kept, however old"
    );
    let why = holding.backups.iter().find(|d| d.id == made[2].id()).unwrap();
    assert_eq!(why.reason, "open incident inc_1 works from it");
    apply(&decided).unwrap();
    let left: Vec<String> = store.list().unwrap().iter().map(|b| b.id().to_string()).collect();
    assert_eq!(left, vec![made[3].id().to_string(), made[0].id().to_string()]);
}

#[test]
fn restore_over_live_takes_a_safety_backup_and_rolls_back_on_error() {
    let db = seeded();
    let before = fingerprint(&db.url);
    let (_tmp, store) = store();
    let backup = create(&store, &db.url, &CreateOptions::default()).unwrap();

    db.client()
        .batch_execute("DELETE FROM batches; UPDATE farms SET name = 'changed'")
        .unwrap();
    let report = restore_live(&store, &backup, &db.url, &RestoreOptions::default());
    assert_eq!(fingerprint(&db.url), before);
    let safety = store.find(report.safety_backup.as_deref().unwrap()).unwrap();
    assert!(safety.manifest.label.as_deref().unwrap().contains(backup.id()));
    assert_eq!(safety.manifest.verification.level, Level::Read);
    let safety_batches = safety
        .manifest
        .tables
        .iter()
        .find(|t| t.name == "batches")
        .unwrap()
        .rows;
    assert_eq!(safety_batches, 0, "the safety backup holds the state it replaced");

    // A view outside the backup depends on a table the restore must drop:
    // the restore fails, and in one transaction nothing changes.
    db.client()
        .batch_execute("DELETE FROM batches WHERE id > 10; CREATE VIEW keep_me AS SELECT id FROM batches")
        .unwrap();
    let changed = fingerprint(&db.url);
    let err = restore(
        &store,
        &backup,
        &db.url,
        &Target::Live,
        &RestoreOptions::default(),
    )
    .unwrap_err();
    assert!(err.to_string().contains("rolled back"), "{err}");
    assert!(err.to_string().contains("other objects depend on it"), "{err}");
    assert_eq!(fingerprint(&db.url), changed);
}

#[test]
fn restore_over_live_replaces_tables_made_after_the_backup_and_compares_the_set() {
    let db = seeded();
    let before = fingerprint(&db.url);
    let (_tmp, store) = store();
    let backup = create(&store, &db.url, &CreateOptions::default()).unwrap();
    db.client()
        .batch_execute(
            "CREATE TABLE made_later (id int); INSERT INTO made_later VALUES (1), (2);
             CREATE SCHEMA later; CREATE TABLE later.t (x int); CREATE VIEW later.v AS SELECT * FROM later.t;
             DELETE FROM batches WHERE id > 5",
        )
        .unwrap();
    let lingering = compare_counts(&db.url, &backup.manifest.tables, None).unwrap();
    assert!(
        !lingering.passed,
        "a database with more tables than the backup does not match it"
    );
    assert!(
        lingering.detail.contains("public.made_later: not in the backup"),
        "{}",
        lingering.detail
    );

    let report = restore_live(&store, &backup, &db.url, &RestoreOptions::default());
    assert_eq!(report.dropped_tables, ["later.t", "public.made_later"]);
    assert_eq!(fingerprint(&db.url), before);
    let left: i64 = db
        .client()
        .query_one(
            "SELECT count(*) FROM pg_class WHERE relname IN ('made_later', 't', 'v')",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(
        left, 0,
        "the tables made after the backup (and the view on one) are gone"
    );
    let safety = store.find(report.safety_backup.as_deref().unwrap()).unwrap();
    assert!(safety
        .manifest
        .tables
        .iter()
        .any(|t| t.name == "made_later" && t.rows == 2));
}

#[test]
fn restore_over_live_gives_up_on_a_lock_and_names_the_session_holding_it() {
    let db = seeded();
    let (_tmp, store) = store();
    let backup = create(&store, &db.url, &CreateOptions::default()).unwrap();
    db.client()
        .batch_execute("DELETE FROM batches WHERE id > 5")
        .unwrap();
    let changed = fingerprint(&db.url);
    let mut config = db.url.client_config().unwrap();
    config.application_name("report-writer");
    let mut holder = config.connect(postgres::NoTls).unwrap();
    let holder_pid: i32 = holder.query_one("SELECT pg_backend_pid()", &[]).unwrap().get(0);
    let mut tx = holder.transaction().unwrap();
    tx.query("SELECT count(*) FROM farms", &[]).unwrap();

    let options = RestoreOptions {
        lock_timeout: Some(std::time::Duration::from_secs(1)),
        ..Default::default()
    };
    let err = restore(&store, &backup, &db.url, &Target::Live, &options)
        .unwrap_err()
        .to_string();
    assert!(err.contains(&format!("pid {holder_pid}")), "{err}");
    assert!(err.contains("application \"report-writer\""), "{err}");
    assert!(err.contains("query started 20"), "{err}");
    assert!(err.contains("nothing was restored"), "{err}");
    tx.rollback().unwrap();
    drop(holder);
    assert_eq!(fingerprint(&db.url), changed, "the cancelled restore rolled back");
    restore_live(&store, &backup, &db.url, &options);
}
