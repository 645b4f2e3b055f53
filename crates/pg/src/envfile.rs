//! Setting one variable in a `.env` file: the other lines kept as they are,
//! the file replaced in one rename (never half-written), private (0600),
//! since the value may hold a password.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use serde::Serialize;

use crate::env::DotEnv;
use crate::error::{Error, Result};

/// What [`set_var`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum EnvUpdate {
    /// The variable was not in the file (or there was no file); it is now.
    Added,
    /// The variable had another value; its line now has the new one.
    Replaced,
    /// The variable already had this value.
    Unchanged,
}

/// Sets `key` to `value` in the `.env` file at `path`, creating the file if
/// needed. An existing different value is replaced only when
/// `may_replace(old)` says so; otherwise it is an error that does not show
/// the old value. A file that does not parse is left untouched.
pub fn set_var(path: &Path, key: &str, value: &str, may_replace: impl Fn(&str) -> bool) -> Result<EnvUpdate> {
    let bad = |reason: String| Error::Config {
        origin: path.display().to_string(),
        reason,
    };
    if value.contains(['\'', '\n', '\r']) {
        return Err(bad(format!(
            "the value for {key} cannot be written in single quotes"
        )));
    }
    let text = match fs::read_to_string(path) {
        Ok(text) => {
            DotEnv::read(path)?;
            text
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(Error::io(path, e)),
    };
    let line = format!("{key}='{value}'");
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let update = match lines.iter().position(|l| defines(l, key)) {
        Some(i) => {
            let old = DotEnv::read_str(&lines[i], path)?
                .get(key)
                .unwrap_or_default()
                .to_string();
            if old == value {
                EnvUpdate::Unchanged
            } else if may_replace(&old) {
                lines[i] = line;
                EnvUpdate::Replaced
            } else {
                return Err(bad(format!(
                    "{key} is already set there, to another server; dbguard does not replace it"
                )));
            }
        }
        None => {
            lines.push(line);
            EnvUpdate::Added
        }
    };
    if update == EnvUpdate::Unchanged {
        fs::set_permissions(path, fs::Permissions::from_mode(0o600)).map_err(|e| Error::io(path, e))?;
        return Ok(update);
    }
    let mut out = lines.join("\n");
    out.push('\n');
    crate::local::write_private_file(path, out.as_bytes(), None)?;
    Ok(update)
}

/// Whether `line` assigns `key` (`KEY=…`, `KEY = …`, `export KEY=…`).
fn defines(line: &str, key: &str) -> bool {
    let line = line.trim_start();
    let line = line.strip_prefix("export ").map_or(line, str::trim_start);
    line.strip_prefix(key)
        .is_some_and(|rest| rest.trim_start().starts_with('='))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mode(path: &Path) -> u32 {
        fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn adds_replaces_and_keeps_the_other_lines() {
        let dir = tempfile::tempdir().unwrap();
        let env = dir.path().join(".env");
        fs::write(
            &env,
            "# app\nNODE_ENV=development\nexport DATABASE_URL=\"postgresql://x@127.0.0.1/db\"\nOTHER=1\n",
        )
        .unwrap();
        fs::set_permissions(&env, fs::Permissions::from_mode(0o644)).unwrap();
        let set = |value: &str| set_var(&env, "DATABASE_URL", value, |old| old.contains("127.0.0.1"));
        assert_eq!(set("postgresql://y@127.0.0.1/db").unwrap(), EnvUpdate::Replaced);
        assert_eq!(
            fs::read_to_string(&env).unwrap(),
            "# app\nNODE_ENV=development\nDATABASE_URL='postgresql://y@127.0.0.1/db'\nOTHER=1\n"
        );
        assert_eq!(mode(&env), 0o600);
        assert_eq!(set("postgresql://y@127.0.0.1/db").unwrap(), EnvUpdate::Unchanged);

        let fresh = dir.path().join("new.env");
        assert_eq!(
            set_var(&fresh, "DATABASE_URL", "v", |_| false).unwrap(),
            EnvUpdate::Added
        );
        assert_eq!(fs::read_to_string(&fresh).unwrap(), "DATABASE_URL='v'\n");
        assert_eq!(mode(&fresh), 0o600);
    }

    #[test]
    fn another_server_is_not_replaced_nor_shown() {
        let dir = tempfile::tempdir().unwrap();
        let env = dir.path().join(".env");
        let before = "DATABASE_URL=postgresql://app:prodsecret@db.example.com/farm\n";
        fs::write(&env, before).unwrap();
        let err = set_var(&env, "DATABASE_URL", "postgresql://local", |old| {
            old.contains("127.0.0.1")
        })
        .unwrap_err()
        .to_string();
        assert!(err.contains("does not replace it"), "{err}");
        assert!(!err.contains("prodsecret"), "{err}");
        assert_eq!(fs::read_to_string(&env).unwrap(), before);
    }

    #[test]
    fn a_broken_file_is_left_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let env = dir.path().join(".env");
        let before = "DATABASE_URL='postgresql://u:sekrit@h/db\n";
        fs::write(&env, before).unwrap();
        let err = set_var(&env, "DATABASE_URL", "x", |_| true)
            .unwrap_err()
            .to_string();
        assert!(!err.contains("sekrit"), "{err}");
        assert_eq!(fs::read_to_string(&env).unwrap(), before);
    }
}
