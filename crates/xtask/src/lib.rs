//! What `cargo xtask` knows, as a library: the system prerequisites, and
//! the npm packages dbguard is distributed in (also used by the tests that
//! install those packages).

pub mod npm;
pub mod prerequisites;

use std::path::{Path, PathBuf};

/// The repository's root folder.
pub fn workspace_root() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    std::fs::canonicalize(&root).unwrap_or(root)
}
