//! The web tools of the dashboard's tests: a real browser (Debian's
//! Chromium, headless, driven by `playwright-core` from the npm registry,
//! installed like Prisma into `target/test-cache/`) and a property-based
//! API tester (schemathesis from PyPI, in a virtual environment there).
//! `cargo xtask test` installs Chromium on a machine that lacks it, or
//! prints the command; a test without a tool fails saying so.

use std::path::{Path, PathBuf};

/// The pinned driver.
pub const PLAYWRIGHT: &str = "playwright-core@1.65.1";

/// The flags Chromium needs here (as root, no GPU, nothing fetched from the
/// network), besides the fresh `--user-data-dir` each launch gets.
pub const FLAGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
];

/// Where Debian installs the browser itself (`/usr/bin/chromium` is a
/// shell wrapper around it).
const CHROMIUM: &[&str] = &["/usr/lib/chromium/chromium", "/usr/bin/chromium"];

/// The Chromium executable.
///
/// # Panics
/// When Chromium is not installed, with the command that installs it.
pub fn chromium() -> PathBuf {
    CHROMIUM
        .iter()
        .map(PathBuf::from)
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!(
                "the browser tests need Debian's Chromium: `cargo xtask test` installs it, or run \
                 `apt-get update && apt-get install -y chromium`"
            )
        })
}

/// The folder whose `node_modules` holds `playwright-core`.
pub fn playwright() -> PathBuf {
    crate::cache::npm("playwright-core-1.65.1", &[PLAYWRIGHT], "the browser tests")
}

/// The `playwright-core` module, for `require()`.
pub fn playwright_module() -> PathBuf {
    playwright().join("node_modules/playwright-core")
}

/// The pinned property-based API tester.
pub const SCHEMATHESIS: &str = "schemathesis==4.32.5";

/// The `schemathesis` program, from PyPI into `target/test-cache/`.
pub fn schemathesis() -> PathBuf {
    crate::cache::pip(
        "schemathesis-4.32.5",
        &[SCHEMATHESIS],
        "schemathesis",
        "the API tests",
    )
}

/// Whether `path` is a PNG file.
pub fn is_png(path: &Path) -> bool {
    std::fs::read(path).is_ok_and(|bytes| bytes.starts_with(b"\x89PNG\r\n\x1a\n"))
}
