//! A `DATABASE_URL` Prisma can use. Prisma reads no libpq password file, so
//! its URL must hold the password: this URL is only ever written into a
//! private `.env` file, and printed masked.

use std::path::Path;

use crate::dburl::DbUrl;
use crate::envfile::{set_var, EnvUpdate};
use crate::error::{Error, Result};

/// Why `db url --prisma` needs a file to write to.
pub const NEEDS_ENV_FILE: &str =
    "Prisma cannot read a password file (passfile=), so its DATABASE_URL must hold \
the password, and dbguard never prints a password; give --env-file .env to have the URL written into that \
file (mode 0600), where Prisma reads it";

/// `url` with the password (from the URL or its `passfile`) in it, the
/// `passfile` parameter dropped, and Prisma's `schema=public` unless a
/// schema is named.
pub fn prisma_url(url: &DbUrl) -> Result<DbUrl> {
    let invalid = |reason: &str| Error::InvalidUrl {
        url: url.redacted(),
        reason: reason.to_string(),
    };
    let password = url
        .client_config()?
        .get_password()
        .map(|p| String::from_utf8_lossy(p).into_owned())
        .ok_or_else(|| invalid("it has no password, in itself or in a password file"))?;
    let mut parsed =
        url::Url::parse(url.expose()).map_err(|_| invalid("Prisma needs a postgresql:// URL"))?;
    parsed
        .set_password(Some(&encode(&password)))
        .map_err(|()| invalid("it cannot hold a password"))?;
    let mut pairs: Vec<(String, String)> = parsed
        .query_pairs()
        .filter(|(k, _)| k != "passfile")
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    if !pairs.iter().any(|(k, _)| k == "schema") {
        pairs.push(("schema".into(), "public".into()));
    }
    parsed.query_pairs_mut().clear().extend_pairs(pairs);
    DbUrl::parse(parsed.as_str())
}

/// Writes `url` (with its password) as `DATABASE_URL` into the `.env` file
/// at `path`. An existing `DATABASE_URL` is replaced only when it names a
/// server on this machine (loopback); one for another server is an error.
pub fn write_database_url(path: &Path, url: &DbUrl) -> Result<EnvUpdate> {
    set_var(path, "DATABASE_URL", url.expose(), names_a_local_server)
}

/// Whether `text` is a database URL for a server on loopback.
fn names_a_local_server(text: &str) -> bool {
    DbUrl::parse(text).is_ok_and(|url| url.is_on_this_machine(None))
}

/// Percent-encodes everything but unreserved characters, so the password
/// needs no quoting in a URL or a `.env` line.
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_comes_from_the_passfile_and_the_passfile_goes() {
        let dir = tempfile::tempdir().unwrap();
        let passfile = dir.path().join("pgpass");
        std::fs::write(&passfile, "*:*:*:postgres:p@ss w'rd\n").unwrap();
        let url = DbUrl::parse(&format!(
            "postgresql://postgres@127.0.0.1:5999/farm?passfile={}",
            passfile.display()
        ))
        .unwrap();
        let prisma = prisma_url(&url).unwrap();
        assert_eq!(
            prisma.expose(),
            "postgresql://postgres:p%40ss%20w%27rd@127.0.0.1:5999/farm?schema=public"
        );
        assert_eq!(
            prisma.redacted(),
            "postgresql://postgres:***@127.0.0.1:5999/farm?schema=public"
        );
        let no_password = DbUrl::parse("postgresql://postgres@127.0.0.1/farm").unwrap();
        assert!(prisma_url(&no_password)
            .unwrap_err()
            .to_string()
            .contains("no password"));
    }

    #[test]
    fn only_loopback_urls_count_as_local() {
        assert!(names_a_local_server("postgresql://u:p@127.0.0.1:5432/db"));
        assert!(names_a_local_server("postgresql://u@localhost/db"));
        assert!(!names_a_local_server("postgresql://u:p@db.example.com/db"));
        assert!(!names_a_local_server("not a url"));
    }
}
