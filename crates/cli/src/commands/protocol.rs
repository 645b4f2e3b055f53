//! The terminal end of the safety protocol (`dbguard_guard::protocol`):
//! the block on standard error, `YES` on standard input, the approver's
//! passphrase read from the terminal without echo.

use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;

use dbguard_guard::approver::ApproverDir;
use dbguard_guard::protocol::{Execute, Person, Protocol};
use dbguard_pg::{DbUrl, Settings};
use dbguard_risk::Verdict;
use zeroize::Zeroizing;

pub use dbguard_guard::protocol::{take_backup, Operation};

/// A person (or not) at this process's terminal.
pub struct Terminal;

impl Person for Terminal {
    fn present(&self) -> bool {
        std::io::stdin().is_terminal() && dbguard_guard::agent::detected().is_none()
    }

    fn confirm(&mut self, block: &str) -> std::io::Result<Option<Zeroizing<String>>> {
        eprint!("{block}");
        std::io::stderr().flush().ok();
        let mut answer = String::new();
        std::io::stdin().lock().read_line(&mut answer)?;
        if answer.trim_end_matches(['\n', '\r']) != "YES" {
            return Ok(None);
        }
        match passphrase("Approver passphrase: ") {
            Ok(secret) => Ok(Some(secret)),
            Err(e) => {
                eprintln!("No passphrase was typed ({e}).");
                Ok(None)
            }
        }
    }

    fn tell(&mut self, message: &str) {
        eprintln!("{message}");
    }

    fn agent(&self) -> Option<String> {
        dbguard_guard::agent::detected()
    }
}

/// Reads a passphrase from the terminal without echo.
pub fn passphrase(prompt: &str) -> std::io::Result<Zeroizing<String>> {
    rpassword::prompt_password(prompt).map(Zeroizing::new)
}

/// Where the approver lives, from the environment.
pub fn approver_dir() -> anyhow::Result<ApproverDir> {
    Ok(ApproverDir::from_env()?)
}

/// Runs `op` through the protocol; `execute` gets the target.
pub fn run(
    settings: &Settings,
    op: &Operation,
    verdict: &Verdict,
    target: Result<DbUrl, String>,
    execute: &mut dyn FnMut(Option<&DbUrl>) -> anyhow::Result<i32>,
) -> anyhow::Result<ExitCode> {
    run_approved(settings, op, verdict, target, &mut |url, _| execute(url))
}

/// Runs `op` through the protocol; `execute` also gets the approval that
/// let it run, when a person gave one.
pub fn run_approved(
    settings: &Settings,
    op: &Operation,
    verdict: &Verdict,
    target: Result<DbUrl, String>,
    execute: &mut Execute,
) -> anyhow::Result<ExitCode> {
    protocol(settings, false)?
        .run(op, verdict, target, execute)
        .map(exit)
}

/// Runs `op`, which takes and verifies its own backup first, through the protocol.
pub fn run_backing_itself_up(
    settings: &Settings,
    op: &Operation,
    verdict: &Verdict,
    url: DbUrl,
    execute: &mut dyn FnMut(&DbUrl) -> anyhow::Result<i32>,
) -> anyhow::Result<ExitCode> {
    protocol(settings, true)?
        .run(op, verdict, Ok(url), &mut |url, _| match url {
            Some(url) => execute(url),
            None => anyhow::bail!("no target database"),
        })
        .map(exit)
}

fn protocol(settings: &Settings, backs_itself_up: bool) -> anyhow::Result<Protocol<'_>> {
    Ok(Protocol {
        settings,
        approver_dir: approver_dir()?,
        person: Box::new(Terminal),
        backs_itself_up,
    })
}

fn exit(outcome: dbguard_guard::protocol::Outcome) -> ExitCode {
    ExitCode::from(outcome.exit_code())
}
