//! `dbguard run -- <command line>`: the command runs unchanged (arguments,
//! environment, folder, terminal; its exit code becomes dbguard's), after
//! the protocol when it is medium or high risk.
//!
//! One variable is never passed through: Prisma's consent variable for
//! destructive commands run by an AI agent. The child gets it only when a
//! person approved this very run, worded as that approval.

use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Command, ExitCode};

use anyhow::Context;
use dbguard_pg::env::ProcessEnv;
use dbguard_pg::Settings;
use dbguard_risk::{classify_shell, DiskFiles, Risk, Rule, ShellContext, SqlOptions};

use dbguard_guard::protocol::{Approved, PRISMA_CONSENT};

use super::protocol::{self, Operation};
use crate::args::{Format, RunArgs};

/// Runs the command through the protocol.
pub fn run(_format: Format, settings: &Settings, args: &RunArgs, cwd: &Path) -> anyhow::Result<ExitCode> {
    let line = match args.words.as_slice() {
        [line] => line.clone(),
        words => dbguard_hooks::join_words(&words.iter().map(String::as_str).collect::<Vec<_>>()),
    };
    let ctx = ShellContext {
        cwd: cwd.to_path_buf(),
        files: &DiskFiles,
        sql: SqlOptions::default(),
    };
    let verdict = classify_shell(&line, &ctx);
    // A one-row write is low, but the protocol still looks at what a one-row
    // DELETE cascades into, so it needs the target too.
    let one_row = verdict.findings.iter().any(|f| f.rule == Rule::WriteOneRow);
    let target = match verdict.risk {
        Risk::Low if !one_row => Err(String::new()),
        _ => dbguard_guard::target::target_of(&line, cwd, &ProcessEnv),
    };
    let op = Operation {
        kind: "shell",
        text: line,
        cwd: cwd.to_path_buf(),
    };
    protocol::run_approved(settings, &op, &verdict, target, &mut |_, approved| {
        execute(&args.words, approved)
    })
}

/// Runs the words as a program (or one word as a shell line) in the
/// foreground; its exit code, or 128 + the signal that ended it.
fn execute(words: &[String], approved: Option<&Approved>) -> anyhow::Result<i32> {
    let mut cmd = match words {
        [line] => {
            let mut cmd = Command::new("sh");
            cmd.arg("-c").arg(line);
            cmd
        }
        [program, rest @ ..] => {
            let mut cmd = Command::new(program);
            cmd.args(rest);
            cmd
        }
        [] => anyhow::bail!("no command to run"),
    };
    cmd.env_remove(PRISMA_CONSENT);
    if let Some(approved) = approved {
        cmd.env(PRISMA_CONSENT, &approved.statement);
    }
    let status = cmd.status().with_context(|| format!("cannot run {}", words[0]))?;
    Ok(status
        .code()
        .unwrap_or_else(|| 128 + status.signal().unwrap_or(0)))
}
