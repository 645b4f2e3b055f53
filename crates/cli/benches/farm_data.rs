//! Farm data benchmark, every figure in the same run on the same server:
//!
//! - `dbguard seed --farms 100 --scale K` (about 1.4 M rows at K = 150) vs
//!   loading the same rows with `COPY` into an empty copy of the schema;
//! - `dbguard validate` on that data (target: under 3 s);
//! - cheap `dbguard health` per process (target: under 50 ms) vs
//!   `psql -c 'SELECT 1'`;
//! - `dbguard export` rows per second vs `COPY (SELECT row_to_json(x) …)`.
//!
//! Run: `cargo bench -p dbguard --bench farm_data` (DBGUARD_BENCH_SCALE sets K).

use std::path::Path;
use std::process::Command;
use std::time::Instant;

/// The median wall time of `runs` runs; exit codes up to 1 (health's WARNING: the
/// benchmark database has no backup) count as having run.
mod support;
use support::timed;

fn median_ms(what: &str, runs: usize, mut make: impl FnMut() -> Command) -> f64 {
    let mut times: Vec<f64> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            let out = make().output().unwrap_or_else(|e| panic!("{what}: {e}"));
            assert!(
                matches!(out.status.code(), Some(0 | 1)),
                "{what}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            start.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[runs / 2]
}

fn main() {
    let scale: u32 = std::env::var("DBGUARD_BENCH_SCALE")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(150);
    let server = dbguard_testkit::server();
    let db = server.fresh_db();
    let reference = server.fresh_db();
    let install = server.local().installation().clone();
    let psql = install.program("psql");
    let exe = env!("CARGO_BIN_EXE_dbguard");
    let work = tempfile::tempdir().unwrap();
    let url = db.url.expose().to_string();
    let dbguard = |args: &[&str]| {
        let mut cmd = Command::new(exe);
        cmd.args(args).current_dir(work.path()).env("DATABASE_URL", &url);
        cmd
    };
    for target in [&db, &reference] {
        dbguard_migrate::runner::deploy(&mut target.client(), &dbguard_farm::migrations(), &mut |_| Ok(()))
            .unwrap();
    }

    let seed = timed(
        "seed",
        &mut dbguard(&["seed", "--farms", "100", "--scale", &scale.to_string()]),
    );
    let mut client = db.client();
    let tables = dbguard_farm::export::tables_in_dependency_order(&mut client).unwrap();
    let rows: i64 = tables
        .iter()
        .map(|t| {
            client
                .query_one(&format!("SELECT count(*) FROM {t}"), &[])
                .unwrap()
                .get::<_, i64>(0)
        })
        .sum();
    println!(
        "seed:     {rows} rows in {:.2} s ({:.0} rows/s)",
        seed.as_secs_f64(),
        rows as f64 / seed.as_secs_f64()
    );

    // The reference: the same rows, written out with COPY, loaded with COPY in one transaction.
    let files: Vec<(String, std::path::PathBuf)> = tables
        .iter()
        .map(|t| (t.clone(), work.path().join(format!("{t}.copy"))))
        .collect();
    for (t, file) in &files {
        timed(
            "copy out",
            Command::new(&psql).args([&url, "-qc", &format!("\\copy {t} TO '{}'", file.display())]),
        );
    }
    let script: String = std::iter::once("BEGIN;".to_string())
        .chain(
            files
                .iter()
                .map(|(t, f)| format!("\\copy {t} FROM '{}'", f.display())),
        )
        .chain(std::iter::once("COMMIT;".to_string()))
        .collect::<Vec<_>>()
        .join("\n");
    let script_file = work.path().join("load.sql");
    std::fs::write(&script_file, script).unwrap();
    let copy = timed(
        "copy in",
        Command::new(&psql)
            .args([reference.url.expose(), "-q", "-v", "ON_ERROR_STOP=1", "-f"])
            .arg(&script_file),
    );
    println!(
        "COPY:     the same rows in {:.2} s → seed is {:.2}× COPY",
        copy.as_secs_f64(),
        seed.as_secs_f64() / copy.as_secs_f64()
    );

    let validate = timed("validate", &mut dbguard(&["validate"]));
    println!("validate: {:.2} s (target < 3 s)", validate.as_secs_f64());

    let health = median_ms("health", 21, || dbguard(&["health"]));
    let select1 = median_ms("psql", 21, || {
        let mut cmd = Command::new(&psql);
        cmd.args([&url, "-Atc", "SELECT 1"]);
        cmd
    });
    println!(
        "health:   p50 {health:.1} ms per process (target < 50 ms); psql -c 'SELECT 1' p50 {select1:.1} ms"
    );

    let out = work.path().join("all.json");
    let export = timed(
        "export",
        &mut dbguard(&["export", "-o", &out.display().to_string()]),
    );
    let json_copy = Instant::now();
    for t in &tables {
        let file = work.path().join(format!("{t}.json"));
        timed(
            "copy json",
            Command::new(&psql).args([
                &url,
                "-qc",
                &format!(
                    "\\copy (SELECT row_to_json(x) FROM {t} x) TO '{}'",
                    file.display()
                ),
            ]),
        );
    }
    let json_copy = json_copy.elapsed();
    println!(
        "export:   {:.0} rows/s ({:.2} s, {:.0} MB); COPY row_to_json of the same tables {:.2} s",
        rows as f64 / export.as_secs_f64(),
        export.as_secs_f64(),
        size(&out) as f64 / 1e6,
        json_copy.as_secs_f64()
    );
}

fn size(path: &Path) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}
