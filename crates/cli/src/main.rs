//! The `dbguard` command.

mod args;
mod commands;
mod output;

use std::process::ExitCode;

use clap::Parser;

use args::Cli;

/// Exit code for any error (usage errors exit 2, from clap).
const EXIT_ERROR: u8 = 1;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match commands::run(&cli) {
        Ok(code) => code,
        Err(err) => {
            output::emit_error(cli.format, &err);
            ExitCode::from(EXIT_ERROR)
        }
    }
}
