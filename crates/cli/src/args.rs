//! The command line: global options and subcommands.

use clap::{Parser, Subcommand, ValueEnum};

/// dbguard keeps a PostgreSQL database safe to work on: destructive
/// operations need a person's approval and a verified backup first.
#[derive(Debug, Parser)]
#[command(name = "dbguard", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    /// Output format.
    #[arg(long, global = true, value_enum, default_value_t = Format::Text)]
    pub format: Format,

    /// The database to work on (overrides DATABASE_URL and .env).
    #[arg(long, global = true, value_name = "URL")]
    pub database_url: Option<String>,

    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// How results are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Text for people.
    Text,
    /// One JSON object on standard output.
    Json,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Make the database ready: ensure a server (DATABASE_URL's, or dbguard's
    /// local one), connect, and print its status.
    Up,
    /// Manage dbguard's own local PostgreSQL server (under .dbguard/).
    #[command(subcommand)]
    Db(DbCommand),
    /// Show the effective configuration: target database, its source, pool and policy.
    Config,
}

/// `dbguard db …`
#[derive(Debug, Subcommand)]
pub enum DbCommand {
    /// Create the local server on first use and start it (fine if already running).
    Start,
    /// Stop the local server.
    Stop,
    /// Say whether the local server is set up and running.
    Status,
    /// Print a URL for the local server that psql accepts (no password in it).
    Url {
        /// The database (default: DATABASE_NAME, else `dbguard`).
        database: Option<String>,
    },
}
