//! What the backup tests share: a seeded database, a fingerprint of its
//! rows, a store in a temporary folder, and the common calls.

#![allow(dead_code)]

use dbguard_backup::restore::RestoreReport;
use dbguard_backup::verify::VerifyReport;
use dbguard_backup::{restore, verify, Backup, RestoreOptions, Store, Target, VerifyOptions};
use dbguard_testkit::TestDb;

/// A fresh database with a few tables in two schemas.
pub fn seeded() -> TestDb {
    let db = dbguard_testkit::server().fresh_db();
    db.client()
        .batch_execute(
            "CREATE TABLE farms (id int PRIMARY KEY, name text NOT NULL);
             CREATE TABLE batches (id int PRIMARY KEY, farm_id int REFERENCES farms, trays int, notes text);
             CREATE TABLE empty_table (x int);
             CREATE SCHEMA audit;
             CREATE TABLE audit.events (id bigserial PRIMARY KEY, body jsonb);
             INSERT INTO farms SELECT g, 'farm ' || g FROM generate_series(1, 50) g;
             INSERT INTO batches SELECT g, 1 + g % 50, g % 17, repeat('x', g % 100) FROM generate_series(1, 2000) g;
             INSERT INTO audit.events (body) SELECT jsonb_build_object('n', g) FROM generate_series(1, 300) g;",
        )
        .unwrap();
    db
}

/// A fingerprint of every row of every table.
pub fn fingerprint(db_url: &dbguard_pg::DbUrl) -> String {
    let mut client = dbguard_pg::connect(db_url, std::time::Duration::from_secs(10)).unwrap();
    let mut out = String::new();
    for table in ["farms", "batches", "empty_table", "audit.events"] {
        let row = client
            .query_one(&format!("SELECT count(*), coalesce(md5(string_agg(t::text, ',' ORDER BY t::text)), '') FROM {table} t"), &[])
            .unwrap();
        let (n, md5): (i64, String) = (row.get(0), row.get(1));
        out.push_str(&format!("{table}:{n}:{md5};"));
    }
    out
}

/// A store in a temporary folder.
pub fn store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::new(dir.path().join("backups"));
    (dir, store)
}

/// `verify --full` of `backup` on the server of `url`.
pub fn verify_full(backup: &mut Backup, url: &dbguard_pg::DbUrl) -> VerifyReport {
    verify(
        backup,
        &VerifyOptions {
            full: Some(url.clone()),
            ..Default::default()
        },
    )
    .unwrap()
}

/// A restore of `backup` over the database of `url`, which must succeed.
pub fn restore_live(
    store: &Store,
    backup: &Backup,
    url: &dbguard_pg::DbUrl,
    options: &RestoreOptions,
) -> RestoreReport {
    let report = restore(store, backup, url, &Target::Live, options).unwrap();
    assert!(report.counts.passed, "{}", report.counts.detail);
    report
}
