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
    Url(Box<DbUrl>),
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
            (Target::Url(Box::new(DbUrl::parse(flag)?)), TargetSource::Flag)
        } else if let Some(resolved) = lookup("DATABASE_URL", env, &dotenv) {
            let source = match &dotenv.path {
                Some(path) if env.var("DATABASE_URL").is_none() => TargetSource::DotEnv(path.clone()),
                _ => TargetSource::Environment,
            };
            let url = DbUrl::parse(&resolved.value)?;
            match own_server_database(&url, &project_dir.join(".dbguard")) {
                Some(database) => (Target::Local { database }, source),
                None => (Target::Url(Box::new(url)), source),
            }
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

/// The database a URL names on the project's own local server (kept in
/// `state_dir`), if it names that server: loopback, the server's port. Such
/// a URL is usually the application's (`dbguard db url`, `.env`), whose
/// role can neither back up every row under row-level security nor run
/// migrations; dbguard then works on that database with its own
/// connection instead, as when no URL is set.
fn own_server_database(url: &DbUrl, state_dir: &Path) -> Option<String> {
    let port = crate::local::LocalServer::recorded_port(state_dir)?;
    let database = url.database().unwrap_or(DEFAULT_LOCAL_DATABASE);
    url.is_on_this_machine(Some(port))
        .then(|| local_database_name(database, "the URL").ok())
        .flatten()
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
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if ok {
        Ok(name.to_string())
    } else {
        Err(Error::Config {
            origin: format!("DATABASE_NAME (from {origin})"),
            reason: format!(
                "`{name}` is not a usable database name (letters, digits, `_` and `-`, at most 63)"
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn url_of(settings: &Settings) -> String {
        match &settings.target {
            Target::Url(url) => url.redacted(),
            Target::Local { database } => format!("local:{database}"),
        }
    }

    const FLAG: &str = "postgresql://flag@h/flagdb";
    const ENV: &str = "postgresql://env:envsecret@h/envdb";
    const DOTENV: &str = "DATABASE_URL=\"postgresql://dot:dotsecret@h/dotdb\"\nDATABASE_NAME=named\nNODE_ENV=\"production\"\nDATABASE_POOL_MIN=5\nDATABASE_POOL_MAX=20\nDATABASE_POOL_TIMEOUT=30000\n";

    #[test]
    fn flag_beats_environment_beats_dotenv_beats_local() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(".env"), DOTENV).unwrap();
        let with_env = env(&[("DATABASE_URL", ENV)]);

        let s = Settings::resolve(Some(FLAG), &with_env, dir.path()).unwrap();
        assert_eq!((url_of(&s), s.source), (FLAG.to_string(), TargetSource::Flag));

        let s = Settings::resolve(None, &with_env, dir.path()).unwrap();
        assert_eq!(url_of(&s), "postgresql://env:***@h/envdb");
        assert_eq!(s.source, TargetSource::Environment);

        let s = Settings::resolve(None, &env(&[]), dir.path()).unwrap();
        assert_eq!(url_of(&s), "postgresql://dot:***@h/dotdb");
        assert_eq!(s.source, TargetSource::DotEnv(dir.path().join(".env")));

        let empty = tempfile::tempdir().unwrap();
        let s = Settings::resolve(None, &env(&[]), empty.path()).unwrap();
        assert_eq!(url_of(&s), "local:dbguard");
        assert_eq!(s.source, TargetSource::Local);
    }

    #[test]
    fn the_application_s_url_for_the_own_server_is_worked_on_as_the_own_server() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join(".dbguard")).unwrap();
        std::fs::write(
            dir.path().join(".dbguard/local.json"),
            r#"{"port": 54987, "major": 15}"#,
        )
        .unwrap();
        let resolve = |url: &str| {
            let s = Settings::resolve(None, &env(&[("DATABASE_URL", url)]), dir.path()).unwrap();
            (url_of(&s), s.source)
        };
        assert_eq!(
            resolve("postgresql://farm_app:pw@127.0.0.1:54987/farm"),
            ("local:farm".to_string(), TargetSource::Environment)
        );
        assert_eq!(
            resolve("postgresql://app@localhost:54987/dbguard?passfile=/x").0,
            "local:dbguard"
        );
        // Another port, another host, or a name the local server would not use: as given.
        for other in [
            "postgresql://app:pw@127.0.0.1:5432/farm",
            "postgresql://app:pw@db.example.com:54987/farm",
            "postgresql://app:pw@127.0.0.1:54987/my%20db",
        ] {
            assert_eq!(
                resolve(other).0,
                DbUrl::parse(other).unwrap().redacted(),
                "{other}"
            );
        }
    }

    #[test]
    fn dotenv_in_a_parent_folder_is_found_and_maps_the_pool() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(".env"), DOTENV).unwrap();
        let nested = dir.path().join("apps/web");
        std::fs::create_dir_all(&nested).unwrap();
        let s = Settings::resolve(None, &env(&[]), &nested).unwrap();
        assert_eq!(url_of(&s), "postgresql://dot:***@h/dotdb");
        assert_eq!(s.node_env.as_deref(), Some("production"));
        assert_eq!(
            s.pool,
            PoolSettings {
                min: 5,
                max: 20,
                timeout_ms: 30_000
            }
        );
    }

    #[test]
    fn environment_overrides_single_dotenv_variables() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join(".env"),
            "DATABASE_NAME=fromfile\nDATABASE_POOL_MAX=20\n",
        )
        .unwrap();
        let s = Settings::resolve(None, &env(&[("DATABASE_NAME", "fromenv")]), dir.path()).unwrap();
        assert_eq!(url_of(&s), "local:fromenv");
        assert_eq!(s.pool.max, 20);
    }

    #[test]
    fn bad_values_are_clear_errors_without_secrets() {
        let dir = tempfile::tempdir().unwrap();
        let cases: &[(&[(&str, &str)], &str)] = &[
            (
                &[("DATABASE_URL", "postgresql://u:sekrit@h:99999/db")],
                "invalid database URL",
            ),
            (&[("DATABASE_POOL_MAX", "lots")], "not a whole number"),
            (
                &[("DATABASE_POOL_MIN", "9"), ("DATABASE_POOL_MAX", "3")],
                "above the maximum",
            ),
            (&[("DATABASE_NAME", "x; drop")], "not a usable database name"),
        ];
        for (vars, expected) in cases {
            let err = Settings::resolve(None, &env(vars), dir.path())
                .unwrap_err()
                .to_string();
            assert!(err.contains(expected), "{err}");
            assert!(!err.contains("sekrit"), "{err}");
        }
    }

    #[test]
    fn broken_dotenv_is_an_error_that_does_not_quote_the_line() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join(".env"),
            "DATABASE_URL='postgresql://u:sekrit@h/db\n",
        )
        .unwrap();
        let err = Settings::resolve(None, &env(&[]), dir.path())
            .unwrap_err()
            .to_string();
        assert!(err.contains(".env"), "{err}");
        assert!(!err.contains("sekrit"), "{err}");
        std::fs::write(
            dir.path().join(".env"),
            "NODE_ENV=development\n# a comment\nDATABASE_NAME=x\nDATABASE_URL='postgresql://u:sekrit@h/db\n",
        )
        .unwrap();
        let err = Settings::resolve(None, &env(&[]), dir.path())
            .unwrap_err()
            .to_string();
        assert!(err.contains("line 4"), "{err}");
        assert!(!err.contains("sekrit"), "{err}");
        std::fs::write(dir.path().join(".env"), b"DATABASE_URL=\xff\xfe\n").unwrap();
        let err = Settings::resolve(None, &env(&[]), dir.path())
            .unwrap_err()
            .to_string();
        assert!(err.contains("UTF-8"), "{err}");
    }

    #[test]
    fn project_dir_is_the_nearest_marked_ancestor() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("package.json"), "{}").unwrap();
        let nested = dir.path().join("src/lib");
        std::fs::create_dir_all(&nested).unwrap();
        assert_eq!(project_dir(&nested), dir.path());
        let bare = tempfile::tempdir().unwrap();
        assert_eq!(project_dir(bare.path()), bare.path());
    }
}
