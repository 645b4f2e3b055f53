//! One module per subcommand; `run` dispatches.

mod config;
mod db;
mod up;

use std::process::ExitCode;

use anyhow::Context;
use dbguard_pg::env::ProcessEnv;
use dbguard_pg::Settings;

use crate::args::{Cli, Command};

/// Runs the command line's subcommand.
pub fn run(cli: &Cli) -> anyhow::Result<ExitCode> {
    let cwd = std::env::current_dir().context("cannot read the working directory")?;
    let settings = Settings::resolve(cli.database_url.as_deref(), &ProcessEnv, &cwd)?;
    match &cli.command {
        Command::Up => up::run(cli.format, &settings),
        Command::Db(db) => db::run(cli.format, &settings, db),
        Command::Config => config::run(cli.format, &settings),
    }
}
