//! What the benchmarks share.

use std::process::Command;
use std::time::{Duration, Instant};

/// Runs `cmd`, which must succeed, and returns how long it took.
pub fn timed(what: &str, cmd: &mut Command) -> Duration {
    let start = Instant::now();
    let out = cmd.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        out.status.success(),
        "{what} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    start.elapsed()
}

/// The row count a benchmark generates: `DBGUARD_BENCH_ROWS`, else `default`.
#[allow(dead_code)] // the farm data benchmark sizes its data by scale instead
pub fn rows(default: u64) -> u64 {
    std::env::var("DBGUARD_BENCH_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}
