//! `cargo xtask dist [--target TRIPLE] [--out DIR]`: builds the binary users
//! download (the `dist` profile: LTO, no debug info, stripped) and writes
//! the npm package folders around it, launcher and platform package with
//! the workspace's version.

use std::path::PathBuf;
use std::process::{Command, ExitCode};

use xtask::npm::{self, Platform};

/// Builds and packages; prints what to pack and publish.
pub fn run(args: &[String]) -> Result<ExitCode, String> {
    let mut target = None;
    let mut out = None;
    let mut words = args.iter();
    while let Some(word) = words.next() {
        match word.as_str() {
            "--target" => target = words.next().cloned(),
            "--out" => out = words.next().map(PathBuf::from),
            other => {
                return Err(format!(
                    "dist: unknown argument {other} (--target TRIPLE, --out DIR)"
                ))
            }
        }
    }
    let host = host_target()?;
    let target = target.unwrap_or(host.clone());
    let platform = Platform::for_target(&target).ok_or_else(|| {
        let known: Vec<&str> = npm::PLATFORMS.iter().map(|p| p.target).collect();
        format!(
            "dbguard has no npm package for {target}; it has: {}",
            known.join(", ")
        )
    })?;
    let root = xtask::workspace_root();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let mut build = Command::new(&cargo);
    build
        .args(["build", "--profile", "dist", "--locked", "--package", "dbguard"])
        .current_dir(&root);
    let mut binary = root.join("target");
    if target != host {
        build.args(["--target", &target]);
        binary.push(&target);
    }
    binary.push("dist/dbguard");
    let status = build.status().map_err(|e| format!("cannot run {cargo}: {e}"))?;
    if !status.success() {
        return Err(format!(
            "the dist build failed ({status}); no package was written"
        ));
    }
    let out = out.unwrap_or_else(|| root.join("target/npm"));
    let launcher = npm::write_launcher(&out)?;
    let package = npm::write_platform(&out, platform, &binary)?;
    let size = std::fs::metadata(&binary)
        .map_err(|e| format!("cannot read {}: {e}", binary.display()))?
        .len();
    println!("binary    {} ({:.1} MB)", binary.display(), size as f64 / 1e6);
    println!(
        "packages  {} and {} (version {})",
        package.display(),
        launcher.display(),
        npm::VERSION
    );
    println!(
        "publish   `npm publish` in each platform package's folder first, then in the launcher's; \
         `npm pack` in a folder makes its tarball"
    );
    Ok(ExitCode::SUCCESS)
}

/// The target this machine builds for by default.
fn host_target() -> Result<String, String> {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_string());
    let out = Command::new(&rustc)
        .arg("-vV")
        .output()
        .map_err(|e| format!("cannot run {rustc}: {e}"))?;
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("host: "))
        .map(str::to_string)
        .ok_or_else(|| format!("{rustc} -vV names no host target"))
}
