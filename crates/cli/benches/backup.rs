//! Backup benchmark on a generated database of at least 500 MB, every
//! figure measured in the same run on the same server:
//!
//! - `dbguard backup create` (snapshot, row counts, zstd, SHA-256, globals, fsync)
//!   vs the guide's script (`pg_dump URL > file.sql`, then `gzip`)
//!   vs raw `pg_dump -Fc -Z0`: time and size;
//! - `dbguard backup verify --full` vs a plain `pg_restore` of the raw dump.
//!
//! Run: `cargo bench -p dbguard --bench backup` (DBGUARD_BENCH_ROWS sets the
//! row count; the default makes about 600 MB).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

mod support;
use support::timed;

fn size_of(path: &Path) -> u64 {
    if path.is_dir() {
        std::fs::read_dir(path)
            .unwrap()
            .flatten()
            .map(|e| size_of(&e.path()))
            .sum()
    } else {
        std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
    }
}

fn mb(bytes: u64) -> f64 {
    bytes as f64 / 1e6
}

fn main() {
    let rows = support::rows(4_000_000);
    let server = dbguard_testkit::server();
    let db = server.fresh_db();
    let mut client = db.client();
    let start = Instant::now();
    client
        .batch_execute(&format!(
            "CREATE TABLE readings (id bigint PRIMARY KEY, farm_id uuid NOT NULL, recorded_at timestamptz NOT NULL,
                                    value double precision, note text);
             INSERT INTO readings
             SELECT g, md5((g % 100)::text)::uuid, now() - g * interval '1 second', random() * 100,
                    'sensor ' || md5(g::text) || ' ' || repeat('z', (g % 40)::int)
               FROM generate_series(1, {rows}) g;
             CREATE TABLE farms AS SELECT DISTINCT farm_id AS id FROM readings;"
        ))
        .unwrap();
    client.batch_execute("VACUUM ANALYZE").unwrap();
    let size: i64 = client
        .query_one("SELECT pg_database_size(current_database())", &[])
        .unwrap()
        .get(0);
    println!(
        "database: {:.0} MB, {rows} rows (generated in {:.1} s)",
        mb(size as u64),
        start.elapsed().as_secs_f64()
    );
    assert!(
        size >= 500_000_000 || std::env::var("DBGUARD_BENCH_ROWS").is_ok(),
        "the database must be at least 500 MB"
    );

    let install = dbguard_pg::Discovery::system().client_for(15).expect("pg_dump");
    let work = tempfile::tempdir().unwrap();
    let url = db.url.expose().to_string();
    let exe = PathBuf::from(env!("CARGO_BIN_EXE_dbguard"));

    // The guide's script: dump to a file, then gzip it.
    let sql = work.path().join("guide.sql");
    let guide = {
        let script = format!(
            "'{}' '{url}' > '{}' && gzip '{}'",
            install.program("pg_dump").display(),
            sql.display(),
            sql.display()
        );
        let mut cmd = Command::new("bash");
        cmd.args(["-c", &script]);
        timed("the guide's pg_dump | gzip", &mut cmd)
    };
    let guide_size = size_of(&sql.with_extension("sql.gz"));

    // Raw custom-format dump, no compression.
    let raw = work.path().join("raw.dump");
    let mut cmd = Command::new(install.program("pg_dump"));
    cmd.args(["-Fc", "-Z0", "-f"]).arg(&raw).arg(&url);
    let raw_time = timed("pg_dump -Fc -Z0", &mut cmd);
    let raw_size = size_of(&raw);

    // dbguard.
    let project = work.path().join("project");
    std::fs::create_dir_all(&project).unwrap();
    let mut cmd = Command::new(&exe);
    cmd.current_dir(&project)
        .env("DATABASE_URL", &url)
        .args(["backup", "create"]);
    let ours = timed("dbguard backup create", &mut cmd);
    let ours_size = size_of(&project.join("backups"));

    println!("\n{:<44} {:>9} {:>10}", "backup", "time", "size");
    println!(
        "{:<44} {:>7.2} s {:>7.0} MB",
        "guide: pg_dump > file.sql && gzip",
        guide.as_secs_f64(),
        mb(guide_size)
    );
    println!(
        "{:<44} {:>7.2} s {:>7.0} MB",
        "raw: pg_dump -Fc -Z0",
        raw_time.as_secs_f64(),
        mb(raw_size)
    );
    println!(
        "{:<44} {:>7.2} s {:>7.0} MB",
        "dbguard backup create",
        ours.as_secs_f64(),
        mb(ours_size)
    );
    println!(
        "dbguard / guide: {:.2}x the time, {:.2}x the size; dbguard / raw pg_dump: {:.2}x the time",
        ours.as_secs_f64() / guide.as_secs_f64(),
        ours_size as f64 / guide_size as f64,
        ours.as_secs_f64() / raw_time.as_secs_f64()
    );

    // Restores: plain pg_restore of the raw dump vs dbguard's full verification.
    let scratch = format!("{}_plain", db.name);
    client
        .batch_execute(&format!("CREATE DATABASE \"{scratch}\""))
        .unwrap();
    let mut cmd = Command::new(install.program("pg_restore"));
    cmd.arg("-d")
        .arg(db.url.with_database(&scratch).unwrap().expose())
        .arg(&raw);
    let plain = timed("pg_restore", &mut cmd);
    client
        .batch_execute(&format!("DROP DATABASE \"{scratch}\" WITH (FORCE)"))
        .unwrap();
    let mut cmd = Command::new(&exe);
    cmd.current_dir(&project)
        .env("DATABASE_URL", &url)
        .args(["backup", "verify", "--full"]);
    let full = timed("dbguard backup verify --full", &mut cmd);

    println!("\n{:<44} {:>9}", "restore", "time");
    println!(
        "{:<44} {:>7.2} s",
        "plain pg_restore -d of the raw dump",
        plain.as_secs_f64()
    );
    println!(
        "{:<44} {:>7.2} s",
        "dbguard backup verify --full",
        full.as_secs_f64()
    );
    println!(
        "dbguard verify --full / plain pg_restore: {:.2}x",
        full.as_secs_f64() / plain.as_secs_f64()
    );
}
