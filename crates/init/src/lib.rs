//! What `dbguard init` changes in an existing project (a Next.js/Prisma one
//! above all), planned before anything is written so that it can be shown
//! as diffs, asked about, or only shown (`--dry-run`):
//!
//! - `dbguard.toml` with the built-in policy, each value explained (only
//!   when the project has none);
//! - `.gitignore`: `.dbguard/` and the backups folder;
//! - `package.json`: the guide's `db:*` scripts call dbguard, what the
//!   project had is kept under `<name>:raw` ([`scripts`]);
//! - `AGENTS.md` / `CLAUDE.md`: how database work goes here ([`agents`]).
//!
//! The agent hooks and `DATABASE_URL` in `.env` are the caller's (they need
//! the hook installer and the local server). Planning twice on the result
//! plans nothing: every change is recognised once made.

pub mod agents;
pub mod gitignore;
pub mod policy_file;
pub mod scripts;

use std::path::{Path, PathBuf};

use dbguard_hooks::Host;

/// Why a plan could not be made; nothing was written.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file that cannot be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A file whose contents dbguard cannot change safely.
    #[error("{path}: {reason}; it was left untouched, and so was everything else")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// The project's policy file is invalid.
    #[error(transparent)]
    Policy(#[from] dbguard_pg::Error),
}

/// One file to create or replace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// The file.
    pub path: PathBuf,
    /// Its contents now; `None` when it does not exist.
    pub before: Option<String>,
    /// Its contents after the change.
    pub after: String,
    /// What the change is, in a few words.
    pub summary: String,
}

impl Change {
    /// A unified diff, with `display` as the file's name.
    pub fn diff(&self, display: &str) -> String {
        let before = self.before.as_deref().unwrap_or("");
        similar::TextDiff::from_lines(before, &self.after)
            .unified_diff()
            .context_radius(3)
            .header(
                &if self.before.is_some() {
                    format!("a/{display}")
                } else {
                    "/dev/null".into()
                },
                &format!("b/{display}"),
            )
            .to_string()
    }

    /// Writes the new contents: a temporary file beside it, renamed over it,
    /// with the old file's permissions.
    pub fn apply(&self) -> std::io::Result<()> {
        let name = self
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let tmp = self.path.with_file_name(format!(".{name}.dbguard-tmp"));
        std::fs::write(&tmp, &self.after)?;
        if let Ok(meta) = std::fs::metadata(&self.path) {
            std::fs::set_permissions(&tmp, meta.permissions())?;
        }
        std::fs::rename(&tmp, &self.path)
    }
}

/// What was found in the project folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detected {
    /// `package.json` exists.
    pub package_json: bool,
    /// `prisma/schema.prisma` exists.
    pub prisma_schema: bool,
    /// `.env` exists.
    pub dotenv: bool,
    /// The agents configured here (their folder or instructions file exists).
    pub agents: Vec<Host>,
}

/// Everything `init` would change in a project.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The project folder.
    pub dir: PathBuf,
    /// What was found.
    pub detected: Detected,
    /// The file changes, in the order they are applied.
    pub changes: Vec<Change>,
}

/// Plans `init` for the project in `dir`. A `package.json` that is not
/// valid JSON (or not shaped like one) is an error, and nothing is planned.
pub fn plan(dir: &Path) -> Result<Plan, Error> {
    let detected = Detected {
        package_json: dir.join("package.json").is_file(),
        prisma_schema: dir.join("prisma/schema.prisma").is_file(),
        dotenv: dir.join(".env").is_file(),
        agents: agents::configured(dir),
    };
    let policy = dbguard_pg::Policy::load(dir)?;
    let mut changes = Vec::new();
    changes.extend(policy_file::change(dir)?);
    changes.extend(gitignore::change(dir, &policy.backup_dir)?);
    if detected.package_json {
        changes.extend(scripts::change(&dir.join("package.json"))?);
    }
    changes.extend(agents::instructions(dir, &detected.agents)?);
    Ok(Plan {
        dir: dir.to_path_buf(),
        detected,
        changes,
    })
}

/// The file at `path`, or `None` when it does not exist.
fn read(path: &Path) -> Result<Option<String>, Error> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::Read {
            path: path.to_path_buf(),
            source: e,
        }),
    }
}
