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
    /// Prometheus text exposition (`health` only).
    Prometheus,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Make the database ready: ensure a server (DATABASE_URL's, or dbguard's
    /// local one), connect, and print its status.
    Up,
    /// Set dbguard up in an existing (Next.js/Prisma) project: dbguard.toml,
    /// .gitignore, the db:* npm scripts, agent hooks and instructions, and
    /// DATABASE_URL in .env for the local server. Shows the changes and asks
    /// first; a second run changes nothing.
    Init {
        /// Apply without asking.
        #[arg(long)]
        yes: bool,
        /// Only show what would change.
        #[arg(long, conflicts_with = "yes")]
        dry_run: bool,
    },
    /// Manage dbguard's own local PostgreSQL server (under .dbguard/).
    #[command(subcommand)]
    Db(DbCommand),
    /// Show the effective configuration: target database, its source, pool and policy.
    Config,
    /// Classify a shell command line or SQL as low, medium or high risk, and say why.
    /// Exit code: 0 low, 3 medium, 4 high.
    Check(CheckArgs),
    /// Answer an AI coding agent's pre-tool hook on standard input, or install the hook.
    #[command(subcommand)]
    Hook(HookCommand),
    /// Check the installation: PostgreSQL, configuration, local server, agent hooks.
    Doctor,
    /// List the classifier's rules: id, risk and what each catches.
    Rules,
    /// Create, verify, list and prune backups (in ./backups unless dbguard.toml says otherwise).
    #[command(subcommand)]
    Backup(BackupCommand),
    /// Incident response after a data loss: freeze the database, scope the loss
    /// against a verified backup, recover the lost rows without overwriting
    /// newer ones, verify, close with a report.
    #[command(subcommand)]
    Incident(IncidentCommand),
    /// Run a command line through the safety protocol: low risk runs as is;
    /// medium and high risk need a person's approval and a verified backup first.
    Run(RunArgs),
    /// Run SQL through the safety protocol (in one transaction unless the SQL forbids it).
    Sql(SqlArgs),
    /// Approve a pending operation: a person, at their own terminal, typing YES
    /// and the approver's passphrase.
    Approve {
        /// The approval's id, as the refused command printed it.
        id: String,
    },
    /// List approvals: pending, approved, used, expired, denied (and "unsigned":
    /// files that claim an approval without the approver's signature).
    Approvals,
    /// A local web dashboard: approvals (approve with YES and the passphrase,
    /// or deny), backups, health, integrity, the audit log, a JSON API. It
    /// listens on 127.0.0.1 and prints one URL holding its access token.
    Serve {
        /// The port (0: any free port).
        #[arg(long, default_value_t = 8470)]
        port: u16,
    },
    /// The approver: the passphrase-sealed key that signs a person's approvals.
    #[command(subcommand)]
    Approver(ApproverCommand),
    /// Show the audit log, or check its hash chain (`audit verify`).
    Audit {
        /// `verify` checks that no line was edited, removed or reordered.
        #[arg(value_parser = ["verify"])]
        action: Option<String>,
    },
    /// Migrations in the Prisma layout: new, status, deploy, dev, resolve.
    #[command(subcommand)]
    Migrate(MigrateCommand),
    /// Lint migrations for dangerous patterns (files, folders, or standard input).
    /// Exit 4 when anything is high risk.
    Lint(LintArgs),
    /// Multi-tenant isolation of the farm database.
    #[command(subcommand)]
    Tenancy(TenancyCommand),
    /// Check the server and the project: connections, long and idle
    /// transactions, locks, wraparound, cache, indexes, sequences, replicas,
    /// backups, migrations, tenancy. Exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.
    Health(HealthArgs),
    /// Seed the farm database: development (the guide's users and demo farms;
    /// this machine only) or production (the administrator only, with a
    /// password from DBGUARD_ADMIN_PASSWORD or a prompt). A second run changes nothing.
    Seed(SeedArgs),
    /// Check the data's integrity: duplicate emails (any case), roles,
    /// orphans under unvalidated constraints, cross-farm references, order
    /// totals, negative amounts, harvests before sowing, owners not members.
    /// Exit 1 when anything is found or a check could not run.
    Validate,
    /// Export tables (of one farm with --farm, through its row-level
    /// security context) from one consistent snapshot, streamed.
    Export(ExportArgs),
    /// Load a farm export into an empty farm (same or another database), in one transaction.
    Import(ImportArgs),
    /// Drop and re-create the schema and re-apply every migration (high risk:
    /// a person's approval and a verified backup first).
    Reset {
        /// Seed afterwards, as `dbguard seed` would (checked before anything is dropped).
        #[arg(long)]
        seed: bool,
    },
    /// Install guards inside PostgreSQL that refuse TRUNCATE, DROP, mass
    /// DELETE/UPDATE and the like for every client unless an approval's
    /// window is open; `protect status` shows them.
    Protect(ProtectArgs),
    /// Remove the guards `protect` installed (high risk: a person's approval
    /// and a verified backup first).
    Unprotect,
    /// Restore a backup into a new database (--into), or over the live one
    /// (high risk: a person types YES at a terminal; a safety backup is taken first).
    Restore(RestoreArgs),
}

/// `dbguard protect`
#[derive(Debug, clap::Args)]
pub struct ProtectArgs {
    /// `status`: what is guarded, and who can still drop the database.
    #[command(subcommand)]
    pub action: Option<ProtectAction>,
    /// Create or fix this application/agent role: not owner, not superuser,
    /// no CREATEDB, CREATEROLE or BYPASSRLS, no TRUNCATE.
    #[arg(long, value_name = "NAME")]
    pub app_role: Option<String>,
    /// Rows one DELETE or UPDATE command may touch (default 1).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub max_rows: Option<u32>,
}

/// `dbguard protect …`
#[derive(Debug, Subcommand)]
pub enum ProtectAction {
    /// Show the guards' state.
    Status,
}

/// `dbguard backup …`
#[derive(Debug, Subcommand)]
pub enum BackupCommand {
    /// Dump the database: pg_dump streamed through zstd, checksummed, with a manifest.
    Create {
        /// A label kept in the manifest.
        #[arg(long)]
        label: Option<String>,
    },
    /// Check a backup: checksums and a full read of the archive, or with
    /// --full a restore into a scratch database with every row count compared.
    Verify {
        /// The backup (default: the newest).
        id: Option<String>,
        /// The newest backup.
        #[arg(long, conflicts_with = "id")]
        latest: bool,
        /// Restore into a scratch database and compare row counts.
        #[arg(long)]
        full: bool,
    },
    /// List backups, newest first.
    List,
    /// Delete old backups; the newest verified one is always kept.
    Prune {
        /// Keep backups younger than this many days (at least the policy's).
        #[arg(long)]
        keep_days: Option<u32>,
        /// Keep this many newest backups (at least the policy's).
        #[arg(long)]
        keep_last: Option<u32>,
        /// Say what would be deleted, delete nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

/// `dbguard migrate …`
#[derive(Debug, Subcommand)]
pub enum MigrateCommand {
    /// Create an empty migration folder (`<timestamp>_<name>/migration.sql`).
    New {
        /// The migration's name (letters, digits, `_`).
        name: String,
    },
    /// Applied, pending, failed, edited and missing migrations; exit 1 unless up to date.
    Status,
    /// Lint and apply pending migrations, after a verified backup (high-risk ones need approval).
    Deploy,
    /// The same on a development database, as a medium-risk operation (it needs permission).
    Dev,
    /// Record a failed migration as rolled back, or a migration finished by hand as applied.
    Resolve {
        /// The migration was finished by hand.
        #[arg(
            long,
            value_name = "NAME",
            conflicts_with = "rolled_back",
            required_unless_present = "rolled_back"
        )]
        applied: Option<String>,
        /// The migration was undone and may run again.
        #[arg(long, value_name = "NAME")]
        rolled_back: Option<String>,
    },
}

/// `dbguard tenancy …`
#[derive(Debug, Subcommand)]
pub enum TenancyCommand {
    /// Check, from the catalogs and as the application role, that every table with
    /// tenant data is isolated; one line per finding with the fix; exit 1 on any.
    Audit,
    /// Write the migrations that make single-tenant tables multi-tenant (add farm_id,
    /// default farm, backfill, NOT VALID references then validate, NOT NULL, RLS);
    /// review them, then `dbguard migrate deploy`.
    Adopt {
        /// The user (users.id) who owns the default farm.
        #[arg(long)]
        owner: String,
        /// The default farm's name.
        #[arg(long, default_value = "Default Farm")]
        farm_name: String,
    },
}

/// `dbguard lint`
#[derive(Debug, clap::Args)]
pub struct LintArgs {
    /// Files or folders (`*.sql` inside); none, or `-`, reads standard input.
    pub paths: Vec<std::path::PathBuf>,
    /// Output: text, gcc, json or github (default: the global --format).
    #[arg(long, value_parser = ["text", "gcc", "json", "github"])]
    pub output: Option<String>,
    /// Exit 4 when a finding is at or above this risk (`never`: only errors fail).
    #[arg(long, value_enum, default_value_t = FailLevel::High)]
    pub fail_level: FailLevel,
}

/// The lowest risk that makes `lint` fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailLevel {
    /// Any finding.
    Low,
    /// A medium or high finding.
    Medium,
    /// A high finding.
    High,
    /// No finding.
    Never,
}

impl FailLevel {
    /// The lowest risk that fails, if any does.
    pub fn risk(self) -> Option<dbguard_risk::Risk> {
        match self {
            FailLevel::Low => Some(dbguard_risk::Risk::Low),
            FailLevel::Medium => Some(dbguard_risk::Risk::Medium),
            FailLevel::High => Some(dbguard_risk::Risk::High),
            FailLevel::Never => None,
        }
    }
}

/// `dbguard run`
#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// The command: its words after `--`, or one argument holding a shell line.
    #[arg(
        trailing_var_arg = true,
        allow_hyphen_values = true,
        required = true,
        value_name = "COMMAND"
    )]
    pub words: Vec<String>,
}

/// `dbguard sql`
#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("input").required(true).args(["sql", "file"])))]
pub struct SqlArgs {
    /// The SQL.
    pub sql: Option<String>,
    /// Read the SQL from a file.
    #[arg(short = 'f', long, value_name = "FILE")]
    pub file: Option<std::path::PathBuf>,
}

/// `dbguard restore`
#[derive(Debug, clap::Args)]
pub struct RestoreArgs {
    /// The backup to restore.
    pub id: String,
    /// Restore into this new database; the live one is not touched.
    #[arg(long, value_name = "NEW_DB")]
    pub into: Option<String>,
    /// Over the live database: how long to wait for a lock another session
    /// holds before giving up (nothing is changed) and naming that session.
    #[arg(long, value_name = "SECONDS", default_value_t = 10)]
    pub lock_timeout: u64,
}

/// `dbguard check`
#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("input").required(true).args(["sql", "words"])))]
pub struct CheckArgs {
    /// The folder the command would run in (for package.json, scripts and SQL files).
    #[arg(long, value_name = "DIR")]
    pub cwd: Option<std::path::PathBuf>,
    /// Classify SQL instead of a command line (`-` reads standard input).
    #[arg(long, value_name = "SQL")]
    pub sql: Option<String>,
    /// The command line: one argument holding the whole line, or its words (after `--`).
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, value_name = "COMMAND")]
    pub words: Vec<String>,
}

/// `dbguard hook …`
#[derive(Debug, Subcommand)]
pub enum HookCommand {
    /// Claude Code's PreToolUse hook.
    ClaudeCode,
    /// Cursor's beforeShellExecution hook.
    Cursor,
    /// Gemini CLI's BeforeTool hook.
    Gemini,
    /// Codex's PreToolUse hook.
    Codex,
    /// Add dbguard's hook to a host's settings (other hooks are kept; running it twice changes nothing).
    Install {
        /// The host: claude-code, cursor, gemini or codex.
        #[arg(value_parser = ["claude-code", "cursor", "gemini", "codex"])]
        host: String,
        /// Install in the user's settings (~/.claude, ~/.cursor, …) instead of the project's.
        #[arg(long, conflicts_with = "shared")]
        user: bool,
        /// Install in the settings the team commits (.claude/settings.json), as plain
        /// `dbguard` found on PATH, instead of the local ones (.claude/settings.local.json).
        #[arg(long)]
        shared: bool,
    },
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
        /// A URL Prisma accepts (the password in it, since Prisma reads no
        /// password file): written into --env-file as DATABASE_URL, printed masked.
        #[arg(long)]
        prisma: bool,
        /// The .env file to write DATABASE_URL into (with --prisma); created
        /// if missing, mode 0600, other lines kept.
        #[arg(long, value_name = "FILE", requires = "prisma")]
        env_file: Option<std::path::PathBuf>,
        /// The superuser's URL, for a person's own use (its password file
        /// stays dbguard's; never for an application or an agent).
        #[arg(long, conflicts_with = "prisma")]
        admin: bool,
    },
}

/// Arguments of `dbguard health`.
#[derive(Debug, Default, clap::Args)]
pub struct HealthArgs {
    /// Count every table's rows instead of using the planner's estimates.
    #[arg(long)]
    pub exact: bool,
    /// Also the expensive checks: amcheck on every B-tree index (when the
    /// extension is installed) and exact row counts.
    #[arg(long)]
    pub deep: bool,
}

/// Which data `dbguard seed` creates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SeedEnv {
    /// The guide's users and demo farms.
    Development,
    /// The administrator only.
    Production,
}

/// Arguments of `dbguard seed`.
#[derive(Debug, Default, clap::Args)]
pub struct SeedArgs {
    /// The environment (default: NODE_ENV, else development).
    #[arg(long)]
    pub env: Option<SeedEnv>,
    /// Development: how many demo farms (default 2).
    #[arg(long)]
    pub farms: Option<u32>,
    /// Development: multiplies every business table's rows per farm (default 1).
    #[arg(long)]
    pub scale: Option<u32>,
}

/// How `dbguard export` writes rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportLayout {
    /// One JSON document.
    Json,
    /// One JSON object per line.
    Ndjson,
    /// One table (--tables) as CSV with a header line.
    Csv,
}

/// Arguments of `dbguard export`.
#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// Only this farm's data (its id).
    #[arg(long)]
    pub farm: Option<String>,
    /// Only these tables (comma-separated).
    #[arg(long, value_delimiter = ',')]
    pub tables: Vec<String>,
    /// The file layout (`--format` is the global output option).
    #[arg(long = "as", value_enum, default_value = "json")]
    pub r#as: ExportLayout,
    /// Write to this file (private, complete or absent) instead of standard output.
    #[arg(short, long)]
    pub output: Option<std::path::PathBuf>,
    /// Include users' password hashes (left out otherwise; a farm's export never has them).
    #[arg(long, conflicts_with = "farm")]
    pub with_password_hashes: bool,
}

/// Arguments of `dbguard import`.
#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// A file written by `dbguard export --farm`.
    pub file: std::path::PathBuf,
    /// The farm to load it into: new, or without any rows yet.
    #[arg(long)]
    pub farm: String,
}

/// `dbguard approver …`.
#[derive(Debug, Subcommand)]
pub enum ApproverCommand {
    /// Set up the approver once, at your own terminal: a passphrase typed twice
    /// seals the signing key in your config folder; the project pins it.
    Init,
    /// Replace the key and passphrase (needs the current passphrase); pins follow.
    Rotate,
    /// Show the approver, the project's pin, and any problem; exit 1 on one.
    Status,
}

/// `dbguard incident`
#[derive(Debug, Subcommand)]
pub enum IncidentCommand {
    /// Open an incident (or resume the open one) and freeze the database:
    /// new sessions are read-only, open ones are ended (a person confirms).
    Start {
        /// What happened.
        #[arg(long, default_value = "data loss")]
        title: String,
        /// Do not freeze the database.
        #[arg(long)]
        no_freeze: bool,
    },
    /// Restore the most recent verified backup from before the loss into a
    /// side database and compare: rows lost, changed and added, per table and farm.
    Scope {
        /// The incident (the open one when not given).
        #[arg(long)]
        id: Option<String>,
        /// Compare with this backup instead.
        #[arg(long, value_name = "BACKUP_ID")]
        backup: Option<String>,
    },
    /// Put the lost rows back in one transaction (a person confirms), never
    /// overwriting rows changed or added since; or restore the whole backup.
    Recover {
        /// The incident (the open one when not given).
        #[arg(long)]
        id: Option<String>,
        /// Only this table (repeatable); every table with lost rows when not given.
        #[arg(long, value_name = "TABLE")]
        table: Vec<String>,
        /// Only this farm's rows.
        #[arg(long, value_name = "FARM_ID")]
        farm: Option<String>,
        /// Restore the whole backup over the live database instead (as `dbguard restore`).
        #[arg(long, conflicts_with_all = ["table", "farm"])]
        whole: bool,
    },
    /// Integrity, tenant isolation, health and row counts after the recovery.
    Verify {
        /// The incident (the open one when not given).
        #[arg(long)]
        id: Option<String>,
    },
    /// Answer the post-incident checklist, unfreeze, and write report.md.
    Close {
        /// The incident (the open one when not given).
        #[arg(long)]
        id: Option<String>,
        /// An item done, with a note (repeatable): `root-cause:"a DELETE without WHERE"`.
        #[arg(long, value_name = "ITEM[:NOTE]")]
        done: Vec<String>,
        /// An item not applicable, with a note (repeatable).
        #[arg(long, value_name = "ITEM[:NOTE]")]
        na: Vec<String>,
    },
    /// Show an incident's state.
    Status {
        /// The incident (the open one when not given).
        #[arg(long)]
        id: Option<String>,
    },
}
