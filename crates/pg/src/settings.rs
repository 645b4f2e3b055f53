//! Which database dbguard works on, and with which policy.
//!
//! Precedence: `--database-url`, then `DATABASE_URL` in the environment, then
//! `DATABASE_URL` in the nearest `.env`, then dbguard's own local server.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::dburl::DbUrl;
use crate::env::{lookup, DotEnv, Environment};
use crate::error::{Error, Result};
use crate::policy::Policy;
use crate::pool::PoolSettings;

/// The database the local server serves when `DATABASE_NAME` is not set.
pub const DEFAULT_LOCAL_DATABASE: &str = "dbguard";

/// Files and folders that mark a project's top folder.
const PROJECT_MARKERS: &[&str] = &[crate::policy::POLICY_FILE, ".dbguard", "package.json", ".git"];

/// Where the target database came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind", content = "path")]
pub enum TargetSource {
    /// The `--database-url` flag.
    Flag,
    /// `DATABASE_URL` in the process environment.
    Environment,
    /// `DATABASE_URL` in a `.env` file.
    DotEnv(PathBuf),
    /// dbguard's own local server.
    Local,
}

impl std::fmt::Display for TargetSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TargetSource::Flag => f.write_str("--database-url"),
            TargetSource::Environment => f.write_str("DATABASE_URL (environment)"),
            TargetSource::DotEnv(path) => write!(f, "DATABASE_URL ({})", path.display()),
            TargetSource::Local => f.write_str("local server"),
        }
    }
}

/// The database to work on.
#[derive(Debug, Clone)]
pub enum Target {
    /// A server named by a URL.
    Url(DbUrl),
    /// A database on dbguard's own local server, which may need starting.
    Local {
        /// The database name.
        database: String,
    },
}

/// Everything resolved from flags, environment, `.env` and `dbguard.toml`.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The project's top folder; `.dbguard/` and relative policy paths live here.
    pub project_dir: PathBuf,
    /// The database to work on.
    pub target: Target,
    /// Where the target came from.
    pub source: TargetSource,
    /// Connection-pool settings.
    pub pool: PoolSettings,
    /// The effective policy.
    pub policy: Policy,
    /// `NODE_ENV`, when set.
    pub node_env: Option<String>,
}

impl Settings {
    /// Resolves the settings for a command run in `cwd`.
    pub fn resolve(flag_url: Option<&str>, env: &dyn Environment, cwd: &Path) -> Result<Settings> {
        let dotenv = DotEnv::find(cwd)?;
        let project_dir = project_dir(cwd);
        let (target, source) = if let Some(flag) = flag_url {
            (Target::Url(DbUrl::parse(flag)?), TargetSource::Flag)
        } else if let Some(resolved) = lookup("DATABASE_URL", env, &dotenv) {
            let source = match &dotenv.path {
                Some(path) if env.var("DATABASE_URL").is_none() => TargetSource::DotEnv(path.clone()),
                _ => TargetSource::Environment,
            };
            (Target::Url(DbUrl::parse(&resolved.value)?), source)
        } else {
            let database = match lookup("DATABASE_NAME", env, &dotenv) {
                Some(name) => local_database_name(&name.value, &name.origin)?,
                None => DEFAULT_LOCAL_DATABASE.to_string(),
            };
            (Target::Local { database }, TargetSource::Local)
        };
        Ok(Settings {
            policy: Policy::load(&project_dir)?,
            pool: PoolSettings::resolve(env, &dotenv)?,
            node_env: lookup("NODE_ENV", env, &dotenv).map(|r| r.value),
            project_dir,
            target,
            source,
        })
    }

    /// The folder holding dbguard's own state (`<project>/.dbguard`).
    pub fn state_dir(&self) -> PathBuf {
        self.project_dir.join(".dbguard")
    }
}

/// The nearest ancestor of `cwd` that looks like a project's top folder, or `cwd`.
pub fn project_dir(cwd: &Path) -> PathBuf {
    cwd.ancestors()
        .find(|dir| PROJECT_MARKERS.iter().any(|m| dir.join(m).exists()))
        .unwrap_or(cwd)
        .to_path_buf()
}

/// Accepts database names that need no quoting anywhere they travel
/// (URLs, shell commands, file names).
fn local_database_name(name: &str, origin: &str) -> Result<String> {
    let ok = !name.is_empty()
        && name.len() <= 63
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if ok {
        Ok(name.to_string())
    } else {
        Err(Error::Config {
            origin: format!("DATABASE_NAME (from {origin})"),
            reason: format!("`{name}` is not a usable database name (letters, digits, `_` and `-`, at most 63)"),
        })
    }
}
