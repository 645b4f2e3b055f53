//! npm packages for tests, installed once from the npm registry into a
//! cache folder under `target/test-cache/`, shared by every test process
//! (a lock file keeps two from installing at once); offline after the first
//! run.

use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The folder `target/test-cache/NAME` holding `node_modules` with the
/// pinned `packages`; `what` names the tests that need them.
///
/// # Panics
/// When npm is missing or the registry cannot be reached on the first run;
/// the message says which.
pub fn installed(name: &str, packages: &[&str], what: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../target/test-cache")
        .join(name);
    std::fs::create_dir_all(&dir).expect("the npm cache folder");
    let lock = std::fs::File::create(dir.join(".lock")).expect("the npm cache lock");
    // SAFETY: the descriptor is valid while `lock` lives.
    unsafe { libc::flock(lock.as_raw_fd(), libc::LOCK_EX) };
    let marker = dir.join(".installed");
    if !marker.exists() {
        std::fs::write(
            dir.join("package.json"),
            format!(r#"{{"name":"{name}-cache","version":"1.0.0","private":true}}"#),
        )
        .expect("package.json");
        let out = Command::new("npm")
            .args(["install", "--ignore-scripts", "--no-audit", "--no-fund"])
            .args(packages)
            .current_dir(&dir)
            .output()
            .unwrap_or_else(|e| panic!("{what} need npm (Node.js 20): {e}"));
        assert!(
            out.status.success(),
            "npm could not install {packages:?} (is the npm registry reachable?): {}",
            String::from_utf8_lossy(&out.stderr)
        );
        std::fs::write(&marker, "").expect("the install marker");
    }
    dir
}
