//! Builds the row guard (`src/guard_rows.c`) as a PostgreSQL loadable
//! module, once for every PostgreSQL major version whose server headers
//! this machine has (Debian's `postgresql-server-dev-N`, found through each
//! version's `pg_config`, or `PG_CONFIG`), and writes `libraries.rs`: the
//! modules' bytes, by major version. A machine without the headers builds
//! no module; dbguard then guards rows in PL/pgSQL everywhere, and says so.

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

const SOURCE: &str = "src/guard_rows.c";

fn main() {
    println!("cargo:rerun-if-changed={SOURCE}");
    println!("cargo:rerun-if-env-changed=PG_CONFIG");
    println!("cargo:rerun-if-changed=/usr/lib/postgresql");
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let mut entries = Vec::new();
    let mut skipped = Vec::new();
    for pg_config in pg_configs() {
        match build(&pg_config, &out) {
            Ok((major, library)) if !entries.iter().any(|(m, _)| *m == major) => {
                entries.push((major, library))
            }
            Ok(_) => {}
            Err(why) => skipped.push(format!("{}: {why}", pg_config.display())),
        }
    }
    for why in &skipped {
        println!("cargo:warning=dbguard's C row guard not built for {why}");
    }
    if entries.is_empty() {
        println!(
            "cargo:warning=dbguard's C row guard was not built: no PostgreSQL server headers \
             (Debian: postgresql-server-dev-all; cargo xtask setup installs it)"
        );
    }
    let mut code = String::from("&[\n");
    for (major, library) in &entries {
        code.push_str(&format!(
            "    Library {{ major: {major}, bytes: include_bytes!({:?}) }},\n",
            library.display().to_string()
        ));
    }
    code.push(']');
    std::fs::write(out.join("libraries.rs"), code).expect("OUT_DIR is writable");
}

/// Every `pg_config` to build for: `PG_CONFIG` alone when set, else each
/// installed version's (Debian's layout), else the one on `PATH`.
fn pg_configs() -> Vec<PathBuf> {
    if let Some(path) = env::var_os("PG_CONFIG") {
        return vec![PathBuf::from(path)];
    }
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.path().join("bin/pg_config"))
                .filter(|p| p.is_file())
                .collect()
        })
        .unwrap_or_default();
    found.sort();
    if found.is_empty() {
        found.push(PathBuf::from("pg_config"));
    }
    found
}

/// Compiles the module against `pg_config`'s server headers; its major
/// version and the module's path.
fn build(pg_config: &Path, out: &Path) -> Result<(u32, PathBuf), String> {
    let ask = |flag: &str| -> Result<String, String> {
        let output = Command::new(pg_config)
            .arg(flag)
            .output()
            .map_err(|e| format!("cannot run it ({e})"))?;
        if !output.status.success() {
            return Err(format!("{flag} failed"));
        }
        Ok(String::from_utf8_lossy(&output.stdout).trim().to_string())
    };
    let version = ask("--version")?;
    let major: u32 = version
        .strip_prefix("PostgreSQL ")
        .and_then(|v| v.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|m| m.parse().ok())
        .ok_or_else(|| format!("unreadable version {version:?}"))?;
    let include = PathBuf::from(ask("--includedir-server")?);
    if !include.join("postgres.h").is_file() {
        return Err(format!("no server headers in {}", include.display()));
    }
    let library = out.join(format!("dbguard_guard_{major}.so"));
    let compiler = cc::Build::new()
        .opt_level(2)
        .warnings(false)
        .extra_warnings(false)
        .get_compiler();
    let output = compiler
        .to_command()
        .args(["-shared", "-fPIC", "-Wall", "-Werror", "-fvisibility=default"])
        // The server's headers are not ours to keep warning-free.
        .arg("-isystem")
        .arg(&include)
        .arg("-o")
        .arg(&library)
        .arg(SOURCE)
        .output()
        .map_err(|e| format!("cannot run the C compiler ({e})"))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return Err(format!(
            "the C compiler failed: {}",
            stderr.trim().replace('\n', " | ")
        ));
    }
    Ok((major, library))
}
