//! Reading a libpq password file (`hostname:port:database:username:password`),
//! so that URLs with `?passfile=` work in dbguard as they do in `psql`.

use std::path::Path;

use crate::error::{Error, Result};

/// The password for `config`'s first host, port, database and user, if a line
/// of the password file matches (`*` matches anything).
pub fn lookup(path: &Path, config: &postgres::Config) -> Result<Option<String>> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let host = match config.get_hosts().first() {
        Some(postgres::config::Host::Tcp(h)) => h.clone(),
        Some(postgres::config::Host::Unix(p)) => p.display().to_string(),
        None => "localhost".to_string(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432).to_string();
    let user = config.get_user().unwrap_or_default();
    let dbname = config.get_dbname().unwrap_or(user);
    let wanted = [host.as_str(), port.as_str(), dbname, user];
    Ok(text
        .lines()
        .filter(|line| !line.trim_start().starts_with('#'))
        .map(split_fields)
        .find(|fields| {
            fields.len() == 5
                && fields[..4]
                    .iter()
                    .zip(wanted)
                    .all(|(field, want)| field == "*" || field == want)
        })
        .map(|mut fields| fields.remove(4)))
}

/// Splits a password-file line on unescaped `:` and removes `\` escapes.
fn split_fields(line: &str) -> Vec<String> {
    let mut fields = vec![String::new()];
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(next) = chars.next() {
                    fields.last_mut().expect("never empty").push(next);
                }
            }
            ':' => fields.push(String::new()),
            _ => fields.last_mut().expect("never empty").push(c),
        }
    }
    fields
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn finds_matching_line_with_wildcards_and_escapes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pgpass");
        std::fs::write(
            &path,
            "# comment\nother:*:*:*:nope\n127.0.0.1:*:*:postgres:a\\:b\\\\c\n",
        )
        .unwrap();
        let config = postgres::Config::from_str("postgresql://postgres@127.0.0.1:5999/x").unwrap();
        assert_eq!(lookup(&path, &config).unwrap().as_deref(), Some("a:b\\c"));
        let other = postgres::Config::from_str("postgresql://someone@127.0.0.1/x").unwrap();
        assert_eq!(lookup(&path, &other).unwrap(), None);
    }
}
