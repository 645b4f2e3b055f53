//! Incident scope benchmark on at least 1 M rows, both figures measured in
//! the same run on the same server: `dbguard incident scope` (restore of the
//! verified backup into a side database, then the row-by-row comparison of
//! every table with the live one) vs a plain `pg_restore` of the same
//! backup's archive into a new database. Goal: scope ≤ 1.5 × restore.
//!
//! Run: `cargo bench -p dbguard --bench incident` (DBGUARD_BENCH_ROWS sets
//! the row count, 1.2 M by default).

use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

mod support;
use support::timed;

fn main() {
    let rows = support::rows(1_200_000);
    let server = dbguard_testkit::server();
    let db = server.fresh_db();
    let mut client = db.client();
    let start = Instant::now();
    client
        .batch_execute(&format!(
            "CREATE TABLE farms (id uuid PRIMARY KEY, name text NOT NULL);
             INSERT INTO farms SELECT md5(f::text)::uuid, 'farm ' || f FROM generate_series(0, 99) f;
             CREATE TABLE readings (farm_id uuid NOT NULL REFERENCES farms (id), id bigint NOT NULL,
                                    recorded_at timestamptz NOT NULL, value double precision, note text,
                                    PRIMARY KEY (farm_id, id));
             INSERT INTO readings
             SELECT md5((g % 100)::text)::uuid, g, now() - g * interval '1 second', random() * 100,
                    'sensor ' || md5(g::text)
               FROM generate_series(1, {rows}) g;"
        ))
        .unwrap();
    client.batch_execute("VACUUM ANALYZE").unwrap();
    println!(
        "database: {rows} rows (generated in {:.1} s)",
        start.elapsed().as_secs_f64()
    );

    let work = dbguard_testkit::project_dir("dbguard-bench-incident-");
    let url = db.url.expose().to_string();
    let exe = PathBuf::from(env!("CARGO_BIN_EXE_dbguard"));
    let dbguard = |args: &[&str]| {
        let mut cmd = Command::new(&exe);
        cmd.current_dir(work.path())
            .env("DATABASE_URL", &url)
            .env("XDG_CONFIG_HOME", work.path().join(".home"))
            .args(args);
        cmd
    };
    timed("backup create", &mut dbguard(&["backup", "create"]));
    let backups = work.path().join("backups");
    let id = std::fs::read_dir(&backups)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .find(|n| n.starts_with("backup_"))
        .unwrap();
    timed("backup verify", &mut dbguard(&["backup", "verify", &id]));

    // The loss: one farm's readings; and rows written since.
    client
        .batch_execute(&format!(
            "DELETE FROM readings WHERE farm_id = md5('7')::uuid;
             UPDATE readings SET value = -1 WHERE farm_id = md5('8')::uuid AND id < 5000;
             INSERT INTO readings SELECT md5('9')::uuid, g, now(), 0, 'new' FROM generate_series({rows} + 1, {rows} + 1000) g;"
        ))
        .unwrap();
    timed(
        "incident start",
        &mut dbguard(&["incident", "start", "--no-freeze"]),
    );

    // The reference: a plain pg_restore of the same archive (decompressed
    // beforehand, not timed) into a new database.
    let install = dbguard_pg::Discovery::system()
        .client_for(15)
        .expect("pg_restore");
    let archive = work.path().join("dump.custom");
    let decompressed = Command::new("zstd")
        .args(["-d", "-q", "-f", "-o"])
        .arg(&archive)
        .arg(backups.join(&id).join("dump.zst"))
        .status()
        .expect("zstd");
    assert!(decompressed.success());
    client
        .batch_execute("CREATE DATABASE bench_plain_restore")
        .unwrap();
    let plain = db.url.with_database("bench_plain_restore").unwrap();
    let mut pg_restore = Command::new(install.program("pg_restore"));
    pg_restore
        .arg("--no-owner")
        .arg("-d")
        .arg(plain.libpq().conninfo)
        .arg(&archive);
    plain.libpq().apply_password(&mut pg_restore);
    let restore = timed("pg_restore", &mut pg_restore);

    let start = Instant::now();
    let out = dbguard(&["--format", "json", "incident", "scope"])
        .output()
        .unwrap();
    let scope = start.elapsed();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        report["totals"]["lost"].as_u64().unwrap(),
        rows / 100,
        "{report:#}"
    );
    assert_eq!(report["totals"]["added"].as_u64().unwrap(), 1000, "{report:#}");
    println!(
        "plain pg_restore of the backup:  {:.2} s\n\
         dbguard incident scope:          {:.2} s ({:.2}x; restore into the side database {:.2} s, comparison {:.2} s)\n\
         goal: scope <= 1.5x restore: {}",
        restore.as_secs_f64(),
        scope.as_secs_f64(),
        scope.as_secs_f64() / restore.as_secs_f64(),
        report["restore_seconds"].as_f64().unwrap(),
        report["compare_seconds"].as_f64().unwrap(),
        if scope.as_secs_f64() <= 1.5 * restore.as_secs_f64() { "met" } else { "NOT met" }
    );
    client.batch_execute("DROP DATABASE bench_plain_restore").unwrap();
}
