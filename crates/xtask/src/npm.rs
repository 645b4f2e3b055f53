//! dbguard's npm packages: the launcher `dbguard` (the JavaScript under
//! `npm/dbguard` in the repository) and one package per platform holding
//! the native binary, all with the workspace's version. The launcher lists
//! every platform package as an optional dependency pinned to that version;
//! npm installs only the one whose `os`, `cpu` and `libc` match.

use std::path::{Path, PathBuf};

/// A platform dbguard is built for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Platform {
    /// Rust's target triple.
    pub target: &'static str,
    /// Node's `process.platform` (npm's `os`).
    pub os: &'static str,
    /// Node's `process.arch` (npm's `cpu`).
    pub cpu: &'static str,
    /// npm's `libc`, on Linux.
    pub libc: Option<&'static str>,
}

/// Every platform package the launcher knows; each is built on a machine
/// that has its target (`cargo xtask dist --target …`).
pub const PLATFORMS: &[Platform] = &[
    Platform {
        target: "x86_64-unknown-linux-gnu",
        os: "linux",
        cpu: "x64",
        libc: Some("glibc"),
    },
    Platform {
        target: "aarch64-unknown-linux-gnu",
        os: "linux",
        cpu: "arm64",
        libc: Some("glibc"),
    },
    Platform {
        target: "x86_64-apple-darwin",
        os: "darwin",
        cpu: "x64",
        libc: None,
    },
    Platform {
        target: "aarch64-apple-darwin",
        os: "darwin",
        cpu: "arm64",
        libc: None,
    },
];

/// The version of every package: the workspace's.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

impl Platform {
    /// The platform of Rust target `target`, if dbguard is packaged for it.
    pub fn for_target(target: &str) -> Option<Platform> {
        PLATFORMS.iter().copied().find(|p| p.target == target)
    }

    /// The package's folder name, `cli-linux-x64`.
    pub fn folder(&self) -> String {
        format!("cli-{}-{}", self.os, self.cpu)
    }

    /// The package's name, `@dbguard/cli-linux-x64`; the launcher builds
    /// the same name from `process.platform` and `process.arch`.
    pub fn package(&self) -> String {
        format!("@dbguard/{}", self.folder())
    }
}

/// The packages' licence: the workspace's.
const LICENSE: &str = "MIT OR Apache-2.0";

/// The launcher's sources in the repository.
fn launcher_sources() -> PathBuf {
    crate::workspace_root().join("npm/dbguard")
}

/// `value` as a JSON string (the values here are plain text).
fn quoted(value: &str) -> String {
    format!("\"{}\"", value.replace('\\', "\\\\").replace('"', "\\\""))
}

/// The launcher's `package.json`.
pub fn launcher_manifest() -> String {
    let optional: Vec<String> = PLATFORMS
        .iter()
        .map(|p| format!("    {}: {}", quoted(&p.package()), quoted(VERSION)))
        .collect();
    format!(
        "{{\n  \"name\": \"dbguard\",\n  \"version\": {},\n  \"description\": {},\n  \"license\": {},\n  \
         \"bin\": {{ \"dbguard\": \"bin/dbguard.js\" }},\n  \"files\": [\"bin/dbguard.js\"],\n  \
         \"engines\": {{ \"node\": \">=18\" }},\n  \"optionalDependencies\": {{\n{}\n  }}\n}}\n",
        quoted(VERSION),
        quoted("Makes a PostgreSQL database safe to work on, for people and for AI coding agents"),
        quoted(LICENSE),
        optional.join(",\n")
    )
}

/// The `package.json` of `platform`'s package.
pub fn platform_manifest(platform: Platform) -> String {
    let libc = platform
        .libc
        .map(|l| format!("  \"libc\": [{}],\n", quoted(l)))
        .unwrap_or_default();
    format!(
        "{{\n  \"name\": {},\n  \"version\": {},\n  \"description\": {},\n  \"license\": {},\n  \
         \"os\": [{}],\n  \"cpu\": [{}],\n{libc}  \"files\": [\"bin/dbguard\"],\n  \"preferUnplugged\": true\n}}\n",
        quoted(&platform.package()),
        quoted(VERSION),
        quoted(&format!("dbguard's binary for {} (installed by the dbguard package)", platform.target)),
        quoted(LICENSE),
        quoted(platform.os),
        quoted(platform.cpu),
    )
}

/// Writes the launcher package into `out/dbguard`; returns the folder.
pub fn write_launcher(out: &Path) -> Result<PathBuf, String> {
    let dir = out.join("dbguard");
    let sources = launcher_sources();
    for file in ["bin/dbguard.js", "README.md"] {
        copy(&sources.join(file), &dir.join(file))?;
    }
    write(&dir.join("package.json"), &launcher_manifest())?;
    Ok(dir)
}

/// Writes `platform`'s package, holding `binary`, into `out/cli-<os>-<cpu>`;
/// returns the folder.
pub fn write_platform(out: &Path, platform: Platform, binary: &Path) -> Result<PathBuf, String> {
    let dir = out.join(platform.folder());
    copy(binary, &dir.join("bin/dbguard"))?;
    write(&dir.join("package.json"), &platform_manifest(platform))?;
    write(
        &dir.join("README.md"),
        &format!(
            "# {}\n\nThe `dbguard` binary for {}. Install the `dbguard` package instead: it \
             depends on this one where it fits.\n",
            platform.package(),
            platform.target
        ),
    )?;
    Ok(dir)
}

fn copy(from: &Path, to: &Path) -> Result<(), String> {
    if let Some(dir) = to.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    std::fs::copy(from, to)
        .map(drop)
        .map_err(|e| format!("cannot copy {} to {}: {e}", from.display(), to.display()))
}

fn write(file: &Path, text: &str) -> Result<(), String> {
    if let Some(dir) = file.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    std::fs::write(file, text).map_err(|e| format!("cannot write {}: {e}", file.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_launcher_pins_every_platform_package_to_its_own_version() {
        let manifest = launcher_manifest();
        assert!(manifest.contains(&format!("\"version\": \"{VERSION}\"")));
        for platform in PLATFORMS {
            assert!(
                manifest.contains(&format!("\"{}\": \"{VERSION}\"", platform.package())),
                "{manifest}"
            );
            assert!(platform_manifest(*platform).contains(&format!("\"version\": \"{VERSION}\"")));
        }
        assert_eq!(
            Platform::for_target("x86_64-unknown-linux-gnu").map(|p| p.package()),
            Some("@dbguard/cli-linux-x64".to_string())
        );
        assert_eq!(Platform::for_target("x86_64-pc-windows-msvc"), None);
    }
}
