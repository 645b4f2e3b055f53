//! Tools for tests from the package registries (npm, PyPI), installed once
//! into a cache folder under `target/test-cache/`, shared by every test
//! process (a lock file keeps two from installing at once); offline after
//! the first run.

use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::process::Command;

/// `target/test-cache/NAME`, after `install` (run in it) succeeded once;
/// `what` names the tests that need it, `program` what `install` runs.
fn installed(name: &str, what: &str, program: &str, install: impl FnOnce(&Path) -> Vec<Command>) -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../target/test-cache")
        .join(name);
    std::fs::create_dir_all(&dir).expect("the test cache folder");
    let lock = std::fs::File::create(dir.join(".lock")).expect("the test cache lock");
    // SAFETY: the descriptor is valid while `lock` lives.
    unsafe { libc::flock(lock.as_raw_fd(), libc::LOCK_EX) };
    let marker = dir.join(".installed");
    if !marker.exists() {
        for mut command in install(&dir) {
            let out = command
                .current_dir(&dir)
                .output()
                .unwrap_or_else(|e| panic!("{what} need {program}: {e}"));
            assert!(
                out.status.success(),
                "{what}: {command:?} failed (is the registry reachable?): {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::fs::write(&marker, "").expect("the install marker");
    }
    dir
}

/// The folder `target/test-cache/NAME` holding `node_modules` with the
/// pinned npm `packages`.
///
/// # Panics
/// When npm is missing or the registry cannot be reached on the first run;
/// the message says which.
pub fn npm(name: &str, packages: &[&str], what: &str) -> PathBuf {
    installed(name, what, "npm (Node.js 20)", |dir| {
        std::fs::write(
            dir.join("package.json"),
            format!(r#"{{"name":"{name}-cache","version":"1.0.0","private":true}}"#),
        )
        .expect("package.json");
        let mut install = Command::new("npm");
        install
            .args(["install", "--ignore-scripts", "--no-audit", "--no-fund"])
            .args(packages);
        vec![install]
    })
}

/// The program `bin` of a Python virtual environment
/// `target/test-cache/NAME` holding the pinned PyPI `packages`.
///
/// # Panics
/// When python3 (with venv) is missing or PyPI cannot be reached on the
/// first run; the message says which.
pub fn pip(name: &str, packages: &[&str], bin: &str, what: &str) -> PathBuf {
    let dir = installed(name, what, "python3 with venv", |dir| {
        let mut venv = Command::new("python3");
        venv.args(["-m", "venv", "venv"]);
        let mut install = Command::new(dir.join("venv/bin/pip"));
        install
            .args(["install", "--quiet", "--disable-pip-version-check"])
            .args(packages);
        vec![venv, install]
    });
    dir.join("venv/bin").join(bin)
}
