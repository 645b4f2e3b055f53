//! Where variables come from: the process environment first, then the
//! project's `.env` file (the guide's variables), the way dotenv tools do it.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// A source of environment variables, so that resolution can be tested
/// without touching the process environment.
pub trait Environment {
    /// The value of `key`, if set.
    fn var(&self, key: &str) -> Option<String>;
}

/// The real process environment. A variable that is not valid UTF-8 counts as unset.
pub struct ProcessEnv;

impl Environment for ProcessEnv {
    fn var(&self, key: &str) -> Option<String> {
        std::env::var(key).ok()
    }
}

impl Environment for HashMap<String, String> {
    fn var(&self, key: &str) -> Option<String> {
        self.get(key).cloned()
    }
}

/// The variables of a `.env` file.
#[derive(Debug, Clone, Default)]
pub struct DotEnv {
    /// The file they were read from.
    pub path: Option<PathBuf>,
    vars: HashMap<String, String>,
}

impl DotEnv {
    /// Reads the first `.env` found in `dir` or one of its parents. No file is
    /// no error; a file that cannot be read or parsed is.
    pub fn find(dir: &Path) -> Result<DotEnv> {
        for candidate in dir.ancestors().map(|d| d.join(".env")) {
            if candidate.is_file() {
                return DotEnv::read(&candidate);
            }
        }
        Ok(DotEnv::default())
    }

    /// Reads `path`. Values are taken literally; nothing is put in the process
    /// environment.
    pub fn read(path: &Path) -> Result<DotEnv> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::Config {
            origin: path.display().to_string(),
            reason: dotenv_reason(dotenvy::Error::Io(e), ""),
        })?;
        DotEnv::read_str(&text, path)
    }

    /// Parses `text` as the contents of the `.env` file at `path` (which is
    /// only named in errors).
    pub fn read_str(text: &str, path: &Path) -> Result<DotEnv> {
        let bad = |reason: String| Error::Config {
            origin: path.display().to_string(),
            reason,
        };
        let mut vars = HashMap::new();
        for item in dotenvy::from_read_iter(text.as_bytes()) {
            let (key, value) = item.map_err(|e| bad(dotenv_reason(e, text)))?;
            vars.insert(key, value);
        }
        Ok(DotEnv {
            path: Some(path.to_path_buf()),
            vars,
        })
    }

    /// The value of `key` in the file.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.vars.get(key).map(String::as_str)
    }
}

/// dotenvy's parse errors quote the offending line, which may hold a
/// password; keep only the position: the line number (found by looking the
/// quoted text up in the file) and the column.
fn dotenv_reason(err: dotenvy::Error, text: &str) -> String {
    match err {
        dotenvy::Error::LineParse(line, index) => {
            let number = text
                .find(line.as_str())
                .map(|at| text[..at].matches('\n').count() + 1);
            let column = line[..index.min(line.len())]
                .rsplit('\n')
                .next()
                .map_or(0, |l| l.chars().count())
                + 1;
            let place = match number {
                Some(n) => format!("line {n}, column {column}"),
                None => format!("byte {index} of a line"),
            };
            format!("cannot parse {place} (the line is not shown: it may hold a secret)")
        }
        dotenvy::Error::Io(e) if e.kind() == std::io::ErrorKind::InvalidData => {
            "the file is not valid UTF-8".to_string()
        }
        other => other.to_string(),
    }
}

/// A variable as resolved: its value and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    /// The value.
    pub value: String,
    /// `environment`, or the `.env` file's path.
    pub origin: String,
}

/// Looks `key` up in `env`, then in `dotenv`.
pub fn lookup(key: &str, env: &dyn Environment, dotenv: &DotEnv) -> Option<Resolved> {
    if let Some(value) = env.var(key) {
        return Some(Resolved {
            value,
            origin: "environment".to_string(),
        });
    }
    let value = dotenv.get(key)?;
    Some(Resolved {
        value: value.to_string(),
        origin: dotenv
            .path
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_default(),
    })
}
