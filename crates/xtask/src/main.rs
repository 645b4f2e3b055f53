//! `cargo xtask up|test|setup|msrv`: the two commands a newcomer runs, and
//! what CI runs, on a fresh machine; `dist` and `hook-latency` for releases.
//!
//! A fresh Debian machine of this project's kind has Rust and PostgreSQL but
//! not libclang (which the build of PostgreSQL's own SQL parser, `pg_query`,
//! needs for its bindings) nor PgBouncer (which one isolation test runs
//! against). Rather than fail minutes into a build with advice to set
//! `LIBCLANG_PATH` (the wrong fix on Debian), `xtask` looks for them first,
//! installs them with the system's package manager when it may (as root, or
//! with password-less sudo), and otherwise prints the one exact command and
//! stops before building anything. It has no dependencies, so it builds in
//! seconds on a machine that lacks everything else.

mod dist;
mod latency;

use std::process::{Command, ExitCode};

use xtask::prerequisites::{self, Need, Prerequisite};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (task, rest) = match args.split_first() {
        Some((task, rest)) => (task.as_str(), rest),
        None => ("help", &[][..]),
    };
    let result = match task {
        "up" => ensure(Need::Run)
            .and_then(|()| cargo(&["run", "--release", "--package", "dbguard", "--", "up"], rest)),
        "test" => ensure(Need::Test).and_then(|()| cargo(&["test", "--workspace"], rest)),
        "setup" => ensure(Need::Test).map(|()| ExitCode::SUCCESS),
        "msrv" => prerequisites::check_rust_version().map(|()| ExitCode::SUCCESS),
        "dist" => ensure(Need::Build).and_then(|()| dist::run(rest)),
        "hook-latency" => latency::run(rest),
        _ => {
            eprintln!(
                "usage: cargo xtask up|test|setup|msrv|dist|hook-latency\n  \
                 up     install what is missing, build dbguard, run `dbguard up`\n  \
                 test   install what is missing, run every test\n  setup  install what is missing\n  \
                 msrv   check that rust-version is the locked dependencies' minimum\n  \
                 dist   [--target TRIPLE] [--out DIR]: build the release binary (profile dist) and its npm packages\n  \
                 hook-latency BINARY…: p50/p95 of each binary's `hook claude-code` against /bin/true"
            );
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(code) => code,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::from(1)
        }
    }
}

/// Finds what `need` requires, installs what is missing where it may, and
/// says exactly what to run where it may not.
fn ensure(need: Need) -> Result<(), String> {
    let missing: Vec<Prerequisite> = prerequisites::missing(need, &prerequisites::System::here());
    if missing.is_empty() {
        return Ok(());
    }
    let names: Vec<&str> = missing.iter().map(|p| p.what).collect();
    let packages: Vec<&str> = missing.iter().map(|p| p.debian_package).collect();
    eprintln!("xtask: missing {}", names.join(", "));
    let install = prerequisites::install_command(&packages);
    match prerequisites::privilege() {
        Some(prefix) => {
            for step in &install {
                let mut words: Vec<&str> = prefix.clone();
                words.extend(step.iter().map(String::as_str));
                eprintln!("xtask: running {}", words.join(" "));
                let status = Command::new(words[0])
                    .args(&words[1..])
                    .env("DEBIAN_FRONTEND", "noninteractive")
                    .status()
                    .map_err(|e| format!("cannot run {}: {e}", words[0]))?;
                if !status.success() {
                    return Err(format!(
                        "{} failed ({status}); nothing was built",
                        words.join(" ")
                    ));
                }
            }
            let still: Vec<&str> = prerequisites::missing(need, &prerequisites::System::here())
                .iter()
                .map(|p| p.what)
                .collect();
            if still.is_empty() {
                Ok(())
            } else {
                Err(format!(
                    "still missing after installing: {}; nothing was built",
                    still.join(", ")
                ))
            }
        }
        None => Err(format!(
            "not root and no password-less sudo, so nothing was installed and nothing was built; run:\n  {}",
            install
                .iter()
                .map(|step| format!("sudo {}", step.join(" ")))
                .collect::<Vec<_>>()
                .join(" && ")
        )),
    }
}

fn cargo(args: &[&str], extra: &[String]) -> Result<ExitCode, String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let status = Command::new(&cargo)
        .args(args)
        .args(extra)
        .status()
        .map_err(|e| format!("cannot run {cargo}: {e}"))?;
    Ok(ExitCode::from(status.code().unwrap_or(1).clamp(0, 255) as u8))
}
