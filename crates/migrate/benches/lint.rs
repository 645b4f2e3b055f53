//! Lint speed over the external corpus (crates.io's migrations), against
//! parsing the same files with PostgreSQL's parser alone, in the same run.
//!
//! Run: `cargo bench -p dbguard-migrate --bench lint`.

use std::time::Instant;

const ROUNDS: usize = 5;

fn main() {
    let root = dbguard_testkit::external_corpus().join("external/crates.io-migrations");
    let mut files = Vec::new();
    for dir in std::fs::read_dir(&root).expect("the external corpus").flatten() {
        for name in ["up.sql", "down.sql"] {
            if let Ok(sql) = std::fs::read_to_string(dir.path().join(name)) {
                files.push(sql);
            }
        }
    }
    let bytes: usize = files.iter().map(String::len).sum();
    println!("{} files, {} KB, {ROUNDS} rounds", files.len(), bytes / 1000);

    let start = Instant::now();
    let mut findings = 0;
    for _ in 0..ROUNDS {
        for sql in &files {
            findings += std::hint::black_box(dbguard_migrate::lint::lint(sql)).len();
        }
    }
    let lint = start.elapsed().as_secs_f64();

    let start = Instant::now();
    for _ in 0..ROUNDS {
        for sql in &files {
            let _ = std::hint::black_box(pg_query::parse(sql, 0));
        }
    }
    let parse = start.elapsed().as_secs_f64();

    let n = (files.len() * ROUNDS) as f64;
    println!(
        "dbguard lint           {:>8.0} files/s ({:.1} µs per file, {} findings per round)",
        n / lint,
        lint / n * 1e6,
        findings / ROUNDS
    );
    println!(
        "reference: parse only  {:>8.0} files/s ({:.1} µs per file)",
        n / parse,
        parse / n * 1e6
    );
    println!("lint / parse: {:.2}x the time", lint / parse);
}
