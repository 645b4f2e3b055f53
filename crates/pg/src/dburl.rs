//! A database URL that cannot leak its password: `Display` and `Debug` show
//! it redacted, and the raw text is only handed out where a connection needs it.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use crate::error::{Error, Result};
use crate::redact::redact;
use crate::tls::{SslMode, TlsParams, TlsSettings};

/// URL parameters that Prisma reads and libpq does not. They are accepted and
/// set aside so that a Prisma `DATABASE_URL` works unchanged.
const PRISMA_PARAMS: &[&str] = &[
    "schema",
    "connection_limit",
    "pool_timeout",
    "pgbouncer",
    "statement_cache_size",
    "socket_timeout",
    "sslaccept",
    "sslidentity",
];

/// A parsed PostgreSQL connection string (URL or libpq key=value form).
#[derive(Clone)]
pub struct DbUrl {
    raw: String,
    config: postgres::Config,
    passfile: Option<PathBuf>,
    schema: Option<String>,
    tls: TlsSettings,
}

impl DbUrl {
    /// Parses `text`; errors carry only the redacted text.
    pub fn parse(text: &str) -> Result<DbUrl> {
        let text = text.trim();
        // The driver's reasons may quote the text: they are redacted too.
        let invalid = |reason: String| Error::InvalidUrl {
            url: redact(text),
            reason: redact(&reason),
        };
        if text.is_empty() {
            return Err(invalid("it is empty".into()));
        }
        let is_url = text.starts_with("postgres://") || text.starts_with("postgresql://");
        if is_url && text.split('?').next().unwrap_or_default().matches('@').count() > 1 {
            // The driver would end the password at the first `@` and take the
            // rest of it for the host.
            return Err(invalid(
                "it holds more than one `@` before its parameters; percent-encode the password (`@` is %40)"
                    .into(),
            ));
        }
        let mut tls_params = TlsParams::default();
        let (libpq_text, passfile, schema) = if is_url {
            split_url_params(text, &mut tls_params).map_err(invalid)?
        } else if text.contains("://") {
            return Err(invalid(
                "only postgres:// and postgresql:// URLs are supported".into(),
            ));
        } else if !text.contains('=') {
            // `postgres//u:p@h/db`, `postgresql:/…`, `u:p@h/db`: a mistyped URL,
            // never a key=value string (which always has `=`).
            return Err(invalid(
                "it is neither a postgres:// or postgresql:// URL nor a key=value connection string".into(),
            ));
        } else {
            split_keyword_params(text, &mut tls_params).map_err(invalid)?
        };
        let home = std::env::var_os("HOME").map(PathBuf::from);
        let tls = tls_params
            .resolve(&crate::env::ProcessEnv, home.as_deref())
            .map_err(invalid)?;
        let mut config = postgres::Config::from_str(&libpq_text)
            .map_err(|e| invalid(unquote_input(&crate::connect::describe(&e))))?;
        if config.get_hosts().is_empty() {
            return Err(invalid("it names no host".into()));
        }
        config.ssl_mode(match tls.mode {
            SslMode::Disable | SslMode::Allow => postgres::config::SslMode::Disable,
            SslMode::Prefer => postgres::config::SslMode::Prefer,
            SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull => postgres::config::SslMode::Require,
        });
        Ok(DbUrl {
            raw: text.to_string(),
            config,
            passfile,
            schema,
            tls,
        })
    }

    /// The TLS settings (libpq's `sslmode`, `sslrootcert`, `sslcert`, `sslkey`).
    pub fn tls(&self) -> &TlsSettings {
        &self.tls
    }

    /// The URL with its password masked, safe to print.
    pub fn redacted(&self) -> String {
        redact(&self.raw)
    }

    /// The full text, password included. Only for handing to a connection or
    /// to a PostgreSQL tool; never print it.
    pub fn expose(&self) -> &str {
        &self.raw
    }

    /// The database name, when the URL names one.
    pub fn database(&self) -> Option<&str> {
        self.config.get_dbname()
    }

    /// Whether `other` names the same database on the same server: the
    /// same hosts, ports (5432 when none is named) and database (libpq's
    /// default, the user's name, when none is named), whatever else the
    /// two texts hold (a password or not, a `passfile`, other parameters).
    pub fn same_database(&self, other: &DbUrl) -> bool {
        let ports = |url: &DbUrl| match url.config.get_ports() {
            [] => vec![5432],
            ports => ports.to_vec(),
        };
        let database = |url: &DbUrl| url.database().or(url.user()).map(str::to_string);
        self.config.get_hosts() == other.config.get_hosts()
            && ports(self) == ports(other)
            && database(self) == database(other)
    }

    /// The user name, when the URL names one.
    pub fn user(&self) -> Option<&str> {
        self.config.get_user()
    }

    /// Whether every host the URL names is on this machine (loopback or a
    /// Unix socket; naming none means libpq's socket), and, with `port`, listens on that port (5432 when the
    /// URL names none).
    pub fn is_on_this_machine(&self, port: Option<u16>) -> bool {
        let local = self.config.get_hosts().iter().all(|host| match host {
            postgres::config::Host::Tcp(name) => matches!(name.as_str(), "127.0.0.1" | "localhost" | "::1"),
            postgres::config::Host::Unix(_) => true,
        });
        let ports = self.config.get_ports();
        local
            && port.is_none_or(|port| match ports {
                [] => port == 5432,
                ports => ports.iter().all(|p| *p == port),
            })
    }

    /// The Prisma `schema` parameter, when present.
    pub fn schema(&self) -> Option<&str> {
        self.schema.as_deref()
    }

    /// Parameters for libpq tools (`pg_dump`, `pg_restore`, `psql`): a
    /// key=value connection string without the password (command lines are
    /// visible to other users), and the password to pass as `PGPASSWORD`.
    pub fn libpq(&self) -> Libpq {
        let config = &self.config;
        let mut parts: Vec<(String, String)> = Vec::new();
        let hosts: Vec<String> = config
            .get_hosts()
            .iter()
            .map(|h| match h {
                postgres::config::Host::Tcp(name) => name.clone(),
                postgres::config::Host::Unix(path) => path.display().to_string(),
            })
            .collect();
        parts.push(("host".into(), hosts.join(",")));
        if !config.get_ports().is_empty() {
            let ports: Vec<String> = config.get_ports().iter().map(u16::to_string).collect();
            parts.push(("port".into(), ports.join(",")));
        }
        if let Some(user) = config.get_user() {
            parts.push(("user".into(), user.to_string()));
        }
        if let Some(db) = config.get_dbname() {
            parts.push(("dbname".into(), db.to_string()));
        }
        if let Some(options) = config.get_options() {
            parts.push(("options".into(), options.to_string()));
        }
        parts.extend(
            self.tls
                .libpq_params()
                .into_iter()
                .map(|(k, v)| (k.to_string(), v)),
        );
        if let Some(passfile) = &self.passfile {
            parts.push(("passfile".into(), passfile.display().to_string()));
        }
        let conninfo = crate::conninfo::join(parts.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        let password = config
            .get_password()
            .map(|p| String::from_utf8_lossy(p).into_owned());
        Libpq { conninfo, password }
    }

    /// The same server and credentials, another database.
    pub fn with_database(&self, database: &str) -> Result<DbUrl> {
        if self.raw.starts_with("postgres://") || self.raw.starts_with("postgresql://") {
            let mut url = url::Url::parse(&self.raw).map_err(|e| Error::InvalidUrl {
                url: self.redacted(),
                reason: e.to_string(),
            })?;
            url.path_segments_mut()
                .map_err(|_| Error::InvalidUrl {
                    url: self.redacted(),
                    reason: "it cannot name a database".into(),
                })?
                .clear()
                .push(database);
            DbUrl::parse(url.as_str())
        } else {
            DbUrl::parse(&format!(
                "{} dbname='{}'",
                self.raw,
                database.replace('\'', "\\'")
            ))
        }
    }

    /// A driver configuration with the password filled in from `passfile`
    /// when the URL names one and has no password of its own.
    pub fn client_config(&self) -> Result<postgres::Config> {
        let mut config = self.config.clone();
        if config.get_password().is_none() {
            if let Some(passfile) = &self.passfile {
                if let Some(password) = crate::pgpass::lookup(passfile, &config)? {
                    config.password(password);
                }
            }
        }
        Ok(config)
    }
}

/// Connection parameters for libpq programs.
#[derive(Clone)]
pub struct Libpq {
    /// `host='…' port='…' dbname='…' …`, without the password.
    pub conninfo: String,
    /// The password, to pass in the child's environment as `PGPASSWORD`.
    pub password: Option<String>,
}

impl Libpq {
    /// Sets up `cmd` to connect: `--dbname=<conninfo>` is added by the
    /// caller; this sets `PGPASSWORD` (or removes an inherited one).
    pub fn apply_password(&self, cmd: &mut std::process::Command) {
        match &self.password {
            Some(password) => cmd.env("PGPASSWORD", password),
            None => cmd.env_remove("PGPASSWORD"),
        };
    }
}

impl fmt::Debug for Libpq {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Libpq({})", self.conninfo)
    }
}

impl fmt::Display for DbUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl fmt::Debug for DbUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DbUrl({})", self.redacted())
    }
}

/// The driver quotes parts of the input in backticks (`` unknown option
/// `x` ``); a part that is not a plain option name may be a piece of a
/// password, so it is not shown.
fn unquote_input(reason: &str) -> String {
    let mut out = String::new();
    for (i, part) in reason.split('`').enumerate() {
        let plain = part.chars().all(|c| c.is_ascii_lowercase() || c == '_');
        match (i % 2 == 1, plain) {
            (true, true) => out.push_str(&format!("`{part}`")),
            (true, false) => out.push_str("`…` (not shown: it may hold a secret)"),
            (false, _) => out.push_str(part),
        }
    }
    out
}

type SplitUrl = (String, Option<PathBuf>, Option<String>);

/// Removes the parameters the driver does not know (Prisma's, and libpq's
/// `passfile`, which dbguard reads itself) and the TLS ones (into `tls`),
/// and returns the rest.
fn split_url_params(text: &str, tls: &mut TlsParams) -> std::result::Result<SplitUrl, String> {
    let mut url = url::Url::parse(text).map_err(|e| e.to_string())?;
    let mut passfile = None;
    let mut schema = None;
    let mut kept = Vec::new();
    for (key, value) in url.query_pairs() {
        match key.as_ref() {
            "passfile" => passfile = Some(PathBuf::from(value.as_ref())),
            "schema" => schema = Some(value.into_owned()),
            k if PRISMA_PARAMS.contains(&k) => {}
            k if tls.take(k, &value) => {}
            _ => kept.push((key.into_owned(), value.into_owned())),
        }
    }
    if kept.is_empty() {
        url.set_query(None);
    } else {
        url.query_pairs_mut().clear().extend_pairs(kept);
    }
    check_passfile(passfile.as_deref())?;
    Ok((url.to_string(), passfile, schema))
}

/// Takes the TLS parameters (into `tls`) and `passfile` out of a key=value
/// string and returns the rest for the driver.
fn split_keyword_params(text: &str, tls: &mut TlsParams) -> std::result::Result<SplitUrl, String> {
    let mut passfile = None;
    let mut kept = Vec::new();
    for (key, value) in crate::conninfo::parse(text)? {
        match key.as_str() {
            "passfile" => passfile = Some(PathBuf::from(value)),
            k if tls.take(k, &value) => {}
            _ => kept.push((key, value)),
        }
    }
    check_passfile(passfile.as_deref())?;
    let rest = crate::conninfo::join(kept.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    Ok((rest, passfile, None))
}

fn check_passfile(passfile: Option<&Path>) -> std::result::Result<(), String> {
    match passfile {
        Some(path) if !path.is_absolute() => {
            Err(format!("passfile `{}` must be an absolute path", path.display()))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prisma_url_is_accepted() {
        let url =
            DbUrl::parse("postgresql://app:pw@localhost:5432/mydb?schema=public&connection_limit=5").unwrap();
        assert_eq!(url.database(), Some("mydb"));
        assert_eq!(url.schema(), Some("public"));
        assert_eq!(url.user(), Some("app"));
    }

    #[test]
    fn display_and_debug_never_show_the_password() {
        let url = DbUrl::parse("postgresql://app:topsecret@localhost/mydb").unwrap();
        assert!(!url.to_string().contains("topsecret"));
        assert!(!format!("{url:?}").contains("topsecret"));
        assert_eq!(url.to_string(), "postgresql://app:***@localhost/mydb");
    }

    #[test]
    fn malformed_urls_are_rejected_without_the_password() {
        for text in [
            "postgresql://app:topsecret@localhost:notaport/db",
            "mysql://app:topsecret@localhost/db",
            "",
            "postgresql://app:topsecret@localhost/db?bogus_option=1",
            "postgres//app:topsecret@host/db",
            "postgresql:/app:topsecret@host/db",
            "app:topsecret@host/db",
            "//app:topsecret@host/db",
            "postgresql:app:topsecret@host/db",
            "host=h password=topsecret port=notaport",
            "host=h password=topsecret bogus",
        ] {
            let err = DbUrl::parse(text).unwrap_err().to_string();
            assert!(err.starts_with("invalid database URL"), "{err}");
            assert!(!err.contains("topsecret"), "{err}");
        }
    }

    #[test]
    fn libpq_parameters_never_hold_the_password() {
        let url =
            DbUrl::parse("postgresql://app:s3cret@db.example.com:6432/farm?schema=public&sslmode=require")
                .unwrap();
        let libpq = url.libpq();
        assert!(!libpq.conninfo.contains("s3cret"), "{}", libpq.conninfo);
        assert_eq!(libpq.password.as_deref(), Some("s3cret"));
        assert_eq!(
            libpq.conninfo,
            "host='db.example.com' port='6432' user='app' dbname='farm' sslmode='require'"
        );
        let other = url.with_database("farm_scratch").unwrap();
        assert_eq!(other.database(), Some("farm_scratch"));
        assert_eq!(
            other.redacted(),
            "postgresql://app:***@db.example.com:6432/farm_scratch?schema=public&sslmode=require"
        );
    }

    #[test]
    fn tls_parameters_reach_the_children_in_both_forms() {
        let url = DbUrl::parse(
            "postgresql://app:pw@db.example.com/farm?sslmode=verify-full&sslrootcert=/x/ca.pem&sslcert=/x/c.crt&sslkey=/x/c.key",
        )
        .unwrap();
        assert_eq!(
            url.libpq().conninfo,
            "host='db.example.com' port='5432' user='app' dbname='farm' sslmode='verify-full' sslrootcert='/x/ca.pem' \
             sslcert='/x/c.crt' sslkey='/x/c.key'"
        );
        let keywords =
            DbUrl::parse("host=db.example.com dbname=farm sslmode=verify-ca sslrootcert='/x/my ca.pem'")
                .unwrap();
        assert_eq!(
            keywords.libpq().conninfo,
            "host='db.example.com' dbname='farm' sslmode='verify-ca' sslrootcert='/x/my ca.pem'"
        );
        let err = DbUrl::parse("postgresql://app:pw@h/db?sslmode=verify-full")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("sslrootcert=<file>") && !err.contains(":pw@"),
            "{err}"
        );
    }

    #[test]
    fn relative_passfile_is_rejected() {
        let err = DbUrl::parse("postgresql://app@localhost/db?passfile=pgpass").unwrap_err();
        assert!(err.to_string().contains("absolute"), "{err}");
    }
}
