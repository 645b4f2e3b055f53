//! What building, running and testing dbguard need from the system, found
//! without running anything, and how to install it on Debian or Ubuntu.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// What is about to happen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// Build dbguard only (`dist`).
    Build,
    /// Build dbguard and run `dbguard up`.
    Run,
    /// Build and run every test.
    Test,
}

/// One thing the system must have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Prerequisite {
    /// What it is, for people.
    pub what: &'static str,
    /// The Debian package that brings it.
    pub debian_package: &'static str,
}

const LIBCLANG: Prerequisite = Prerequisite {
    what: "libclang (building PostgreSQL's SQL parser needs it)",
    debian_package: "libclang-dev",
};
const POSTGRESQL: Prerequisite = Prerequisite {
    what: "the PostgreSQL server programs (initdb, pg_ctl, postgres)",
    debian_package: "postgresql",
};
const SERVER_HEADERS: Prerequisite = Prerequisite {
    what: "PostgreSQL's server headers (dbguard's C row guard for its own server is built against them)",
    debian_package: "postgresql-server-dev-all",
};
const PGBOUNCER: Prerequisite = Prerequisite {
    what: "PgBouncer (the connection-pool isolation test runs a real one)",
    debian_package: "pgbouncer",
};

const CHROMIUM: Prerequisite = Prerequisite {
    what: "Chromium (the dashboard's tests drive a real headless browser)",
    debian_package: "chromium",
};

/// Where to look: a root folder and the folders of `PATH`.
pub struct System {
    root: PathBuf,
    path: Vec<PathBuf>,
    libclang_path: Option<PathBuf>,
}

impl System {
    /// This machine.
    pub fn here() -> System {
        System {
            root: PathBuf::from("/"),
            path: std::env::var_os("PATH")
                .map(|p| std::env::split_paths(&p).collect())
                .unwrap_or_default(),
            libclang_path: std::env::var_os("LIBCLANG_PATH").map(PathBuf::from),
        }
    }

    /// A system whose files are under `root`, with `path` as its `PATH`.
    #[cfg(test)]
    pub fn at(root: &Path, path: Vec<PathBuf>) -> System {
        System {
            root: root.to_path_buf(),
            path,
            libclang_path: None,
        }
    }

    fn under(&self, path: &str) -> PathBuf {
        self.root.join(path.trim_start_matches('/'))
    }

    /// Files matching `dir/*/rest`-style patterns: every entry of `dir`
    /// (under the root) joined with `rest`, that exists.
    fn each(&self, dir: &str, prefix: &str, rest: &str) -> Vec<PathBuf> {
        let Ok(entries) = std::fs::read_dir(self.under(dir)) else {
            return Vec::new();
        };
        entries
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().starts_with(prefix))
            .map(|e| e.path().join(rest))
            .filter(|p| p.exists())
            .collect()
    }

    fn on_path(&self, program: &str) -> bool {
        self.path.iter().any(|dir| dir.join(program).is_file())
    }

    fn has_libclang(&self) -> bool {
        let is_libclang = |dir: &Path| {
            std::fs::read_dir(dir).is_ok_and(|entries| {
                entries.flatten().any(|e| {
                    e.file_name().to_string_lossy().starts_with("libclang")
                        && e.file_name().to_string_lossy().contains(".so")
                })
            })
        };
        if self.libclang_path.as_deref().is_some_and(is_libclang) {
            return true;
        }
        // libclang-dev: the library and clang's own headers beside it.
        let llvm = self.each("/usr/lib", "llvm-", "lib");
        llvm.iter()
            .any(|lib| is_libclang(lib) && !self.each_in(lib, "clang", "include/stddef.h").is_empty())
    }

    fn each_in(&self, lib: &Path, name: &str, rest: &str) -> Vec<PathBuf> {
        let Ok(entries) = std::fs::read_dir(lib.join(name)) else {
            return Vec::new();
        };
        entries
            .flatten()
            .map(|e| e.path().join(rest))
            .filter(|p| p.exists())
            .collect()
    }

    fn has_postgresql(&self) -> bool {
        !self.each("/usr/lib/postgresql", "", "bin/initdb").is_empty() || self.on_path("initdb")
    }

    fn has_server_headers(&self) -> bool {
        !self
            .each("/usr/include/postgresql", "", "server/postgres.h")
            .is_empty()
    }

    fn has_pgbouncer(&self) -> bool {
        self.under("/usr/sbin/pgbouncer").is_file() || self.on_path("pgbouncer")
    }

    fn has_chromium(&self) -> bool {
        self.under("/usr/lib/chromium/chromium").is_file() || self.on_path("chromium")
    }
}

/// What `system` lacks for `need`.
pub fn missing(need: Need, system: &System) -> Vec<Prerequisite> {
    let mut missing = Vec::new();
    if !system.has_libclang() {
        missing.push(LIBCLANG);
    }
    if need != Need::Build && !system.has_postgresql() {
        missing.push(POSTGRESQL);
    }
    if !system.has_server_headers() {
        missing.push(SERVER_HEADERS);
    }
    if need == Need::Test && !system.has_pgbouncer() {
        missing.push(PGBOUNCER);
    }
    if need == Need::Test && !system.has_chromium() {
        missing.push(CHROMIUM);
    }
    missing
}

/// The commands that install `packages`.
pub fn install_command(packages: &[&str]) -> Vec<Vec<String>> {
    let mut install: Vec<String> = ["apt-get", "install", "-y", "-qq"].map(String::from).to_vec();
    install.extend(packages.iter().map(|p| p.to_string()));
    vec![["apt-get", "update", "-qq"].map(String::from).to_vec(), install]
}

/// How this process may install packages: as root (no prefix), or with
/// password-less sudo; `None` when it may not (or there is no apt-get).
pub fn privilege() -> Option<Vec<&'static str>> {
    if !Path::new("/usr/bin/apt-get").exists() {
        return None;
    }
    let uid = Command::new("id").arg("-u").output().ok()?;
    if String::from_utf8_lossy(&uid.stdout).trim() == "0" {
        return Some(Vec::new());
    }
    let sudo = Command::new("sudo")
        .args(["-n", "true"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .ok()?;
    sudo.success().then(|| vec!["sudo", "-n"])
}

/// Checks that the workspace's `rust-version` is the highest `rust-version`
/// among the locked dependencies: the real minimum, since no older
/// toolchain can build them (dbguard's own code uses nothing newer; only
/// the one toolchain of the machine is there to check it with).
pub fn check_rust_version() -> Result<(), String> {
    let manifest =
        std::fs::read_to_string(crate::workspace_root().join("Cargo.toml")).map_err(|e| e.to_string())?;
    let declared = manifest
        .lines()
        .find_map(|l| l.strip_prefix("rust-version = "))
        .map(|v| v.trim_matches('"').to_string())
        .ok_or("the workspace declares no rust-version")?;
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let out = Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--locked"])
        .current_dir(crate::workspace_root())
        .output()
        .map_err(|e| format!("cannot run cargo metadata: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "cargo metadata failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let needed = highest_rust_version(&String::from_utf8_lossy(&out.stdout))
        .ok_or("no dependency declares a rust-version")?;
    if parse(&declared) != parse(&needed) {
        return Err(format!(
            "rust-version is {declared}, but the locked dependencies need {needed}: set rust-version = \"{needed}\""
        ));
    }
    println!("rust-version {declared} is the locked dependencies' minimum");
    Ok(())
}

fn parse(version: &str) -> Vec<u32> {
    let mut parts: Vec<u32> = version.split('.').map(|p| p.parse().unwrap_or(0)).collect();
    parts.resize(3, 0);
    parts
}

/// The highest `"rust_version":"…"` in `cargo metadata`'s output.
fn highest_rust_version(metadata: &str) -> Option<String> {
    metadata
        .split("\"rust_version\":\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .max_by_key(|v| parse(v))
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_machine_lacks_everything_and_gets_the_exact_command() {
        let root = tempfile::tempdir().unwrap();
        let system = System::at(root.path(), vec![]);
        assert_eq!(
            missing(Need::Test, &system),
            [LIBCLANG, POSTGRESQL, SERVER_HEADERS, PGBOUNCER, CHROMIUM]
        );
        assert_eq!(
            missing(Need::Run, &system),
            [LIBCLANG, POSTGRESQL, SERVER_HEADERS]
        );
        assert_eq!(missing(Need::Build, &system), [LIBCLANG, SERVER_HEADERS]);
        let packages: Vec<&str> = missing(Need::Test, &system)
            .iter()
            .map(|p| p.debian_package)
            .collect();
        assert_eq!(
            install_command(&packages),
            [
                vec!["apt-get", "update", "-qq"],
                vec![
                    "apt-get",
                    "install",
                    "-y",
                    "-qq",
                    "libclang-dev",
                    "postgresql",
                    "postgresql-server-dev-all",
                    "pgbouncer",
                    "chromium"
                ]
            ]
        );
    }

    #[test]
    fn a_machine_with_the_files_lacks_nothing() {
        let root = tempfile::tempdir().unwrap();
        let touch = |path: &str| {
            let file = root.path().join(path);
            std::fs::create_dir_all(file.parent().unwrap()).unwrap();
            std::fs::write(file, "").unwrap();
        };
        touch("usr/lib/llvm-14/lib/libclang-14.so.1");
        // The library alone (libclang1) is not enough: bindgen needs clang's headers.
        assert!(missing(Need::Run, &System::at(root.path(), vec![])).contains(&LIBCLANG));
        touch("usr/lib/llvm-14/lib/clang/14.0.6/include/stddef.h");
        touch("usr/lib/postgresql/15/bin/initdb");
        touch("usr/sbin/pgbouncer");
        assert!(missing(Need::Test, &System::at(root.path(), vec![])).contains(&SERVER_HEADERS));
        touch("usr/include/postgresql/15/server/postgres.h");
        assert_eq!(missing(Need::Test, &System::at(root.path(), vec![])), [CHROMIUM]);
        touch("usr/lib/chromium/chromium");
        assert_eq!(missing(Need::Test, &System::at(root.path(), vec![])), []);
    }

    #[test]
    fn the_highest_rust_version_is_found() {
        let metadata = r#"{"packages":[{"rust_version":"1.70"},{"rust_version":"1.89.0"},{"rust_version":"1.9"},{"rust_version":null}]}"#;
        assert_eq!(highest_rust_version(metadata).as_deref(), Some("1.89.0"));
    }
}
