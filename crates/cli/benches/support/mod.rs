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
