//! The TLS parameters of a connection string, with libpq's meaning.
//!
//! `postgres::Config` knows only `disable`, `prefer` and `require`, and never
//! verifies a certificate itself; dbguard takes `sslmode`, `sslrootcert`,
//! `sslcert` and `sslkey` out of the URL (or key=value string) before the
//! rest reaches it, and decides here what libpq would decide:
//!
//! | sslmode | TLS | certificate chain | host name |
//! |---|---|---|---|
//! | `disable` | never | – | – |
//! | `allow` | only when the server refuses plain text | when a root CA is given | no |
//! | `prefer` (default) | when the server offers it; plain text when the handshake fails | when a root CA is given | no |
//! | `require` | always | when a root CA is given (then as `verify-ca`) | no |
//! | `verify-ca` | always | always | no |
//! | `verify-full` | always | always | yes |
//!
//! `sslrootcert=system` uses the system's trusted roots; with it the default
//! mode is `verify-full` and a weaker one is refused (as libpq 16 does): any
//! certificate a public CA signs can be had for a name one controls. When a
//! parameter is not in the string, libpq's environment variables
//! (`PGSSLMODE`, `PGSSLROOTCERT`, `PGSSLCERT`, `PGSSLKEY`) and then its
//! default files (`~/.postgresql/root.crt`, `postgresql.crt`,
//! `postgresql.key`, used only when they exist) apply, so that dbguard and
//! the `pg_dump`/`psql` it runs see the same settings.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde::Serialize;

use crate::env::Environment;

/// The connection-string keys this module owns.
pub const TLS_KEYS: &[&str] = &["sslmode", "sslrootcert", "sslcert", "sslkey"];

/// libpq's `sslmode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SslMode {
    /// Never TLS.
    Disable,
    /// Plain text first; TLS when the server refuses it.
    Allow,
    /// TLS when the server offers it (the default).
    Prefer,
    /// Always TLS.
    Require,
    /// Always TLS, the chain checked against the root CA.
    VerifyCa,
    /// Always TLS, the chain and the host name checked.
    VerifyFull,
}

impl SslMode {
    /// The name libpq uses.
    pub fn as_str(self) -> &'static str {
        match self {
            SslMode::Disable => "disable",
            SslMode::Allow => "allow",
            SslMode::Prefer => "prefer",
            SslMode::Require => "require",
            SslMode::VerifyCa => "verify-ca",
            SslMode::VerifyFull => "verify-full",
        }
    }
}

impl FromStr for SslMode {
    type Err = String;

    fn from_str(text: &str) -> Result<SslMode, String> {
        Ok(match text {
            "disable" => SslMode::Disable,
            "allow" => SslMode::Allow,
            "prefer" => SslMode::Prefer,
            "require" => SslMode::Require,
            "verify-ca" => SslMode::VerifyCa,
            "verify-full" => SslMode::VerifyFull,
            other => {
                return Err(format!(
                    "sslmode `{other}` is not one of disable, allow, prefer, require, verify-ca, verify-full"
                ))
            }
        })
    }
}

impl fmt::Display for SslMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where the trusted root certificates come from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind", content = "path")]
pub enum RootCert {
    /// A PEM file of one or more CA certificates.
    File(PathBuf),
    /// The system's trusted roots (`sslrootcert=system`).
    System,
}

impl fmt::Display for RootCert {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RootCert::File(path) => write!(f, "{}", path.display()),
            RootCert::System => f.write_str("system"),
        }
    }
}

/// How much of the server's certificate is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verification {
    /// Nothing: any certificate is accepted (the handshake is still checked).
    None,
    /// The chain against the root CA, not the host name.
    Chain,
    /// The chain and the host name.
    Full,
}

/// The TLS settings of one connection string.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TlsSettings {
    /// The mode.
    pub mode: SslMode,
    /// The trusted roots, when any.
    pub root_cert: Option<RootCert>,
    /// The client certificate (PEM), when any.
    pub client_cert: Option<PathBuf>,
    /// The client certificate's private key (PEM), when any.
    pub client_key: Option<PathBuf>,
}

impl Default for TlsSettings {
    fn default() -> Self {
        TlsSettings {
            mode: SslMode::Prefer,
            root_cert: None,
            client_cert: None,
            client_key: None,
        }
    }
}

/// The raw TLS parameters found in a connection string (last one wins, as in libpq).
#[derive(Debug, Clone, Default)]
pub struct TlsParams {
    sslmode: Option<String>,
    sslrootcert: Option<String>,
    sslcert: Option<String>,
    sslkey: Option<String>,
}

impl TlsParams {
    /// Takes `key=value` when `key` is one of [`TLS_KEYS`]; `false` otherwise.
    pub fn take(&mut self, key: &str, value: &str) -> bool {
        let slot = match key {
            "sslmode" => &mut self.sslmode,
            "sslrootcert" => &mut self.sslrootcert,
            "sslcert" => &mut self.sslcert,
            "sslkey" => &mut self.sslkey,
            _ => return false,
        };
        *slot = Some(value.to_string());
        true
    }

    /// Resolves the parameters with libpq's environment variables and default
    /// files as fallbacks; `home` is the user's home folder.
    pub fn resolve(&self, env: &dyn Environment, home: Option<&Path>) -> Result<TlsSettings, String> {
        let given = |value: &Option<String>, var: &str| {
            value.clone().or_else(|| env.var(var)).filter(|v| !v.is_empty())
        };
        let default_file = |name: &str| {
            home.map(|h| h.join(".postgresql").join(name))
                .filter(|p| p.is_file())
        };
        let root_cert = match given(&self.sslrootcert, "PGSSLROOTCERT") {
            Some(v) if v == "system" => Some(RootCert::System),
            Some(v) => Some(RootCert::File(PathBuf::from(v))),
            None => default_file("root.crt").map(RootCert::File),
        };
        let mode = match given(&self.sslmode, "PGSSLMODE") {
            Some(text) => text.parse()?,
            None if root_cert == Some(RootCert::System) => SslMode::VerifyFull,
            None => SslMode::Prefer,
        };
        if root_cert == Some(RootCert::System) && mode != SslMode::VerifyFull {
            return Err(format!(
                "sslrootcert=system needs sslmode=verify-full (its default), not {mode}: anyone can get a \
                 certificate the system trusts for a name they control, so only the host name check protects"
            ));
        }
        if matches!(mode, SslMode::VerifyCa | SslMode::VerifyFull) && root_cert.is_none() {
            return Err(format!(
                "sslmode={mode} needs the CA that signed the server's certificate: add sslrootcert=<file>, \
                 or sslrootcert=system for the system's trusted roots"
            ));
        }
        let client_cert = given(&self.sslcert, "PGSSLCERT")
            .map(PathBuf::from)
            .or_else(|| default_file("postgresql.crt"));
        let client_key = given(&self.sslkey, "PGSSLKEY")
            .map(PathBuf::from)
            .or_else(|| client_cert.as_ref().and_then(|_| default_file("postgresql.key")));
        if client_key.is_some() && client_cert.is_none() {
            return Err("sslkey is given without sslcert (the client certificate it belongs to)".into());
        }
        if client_cert.is_some() && client_key.is_none() {
            return Err("sslcert is given without sslkey (the certificate's private key)".into());
        }
        Ok(TlsSettings {
            mode,
            root_cert,
            client_cert,
            client_key,
        })
    }
}

impl TlsSettings {
    /// How much of the server's certificate this mode checks: libpq checks
    /// the chain whenever a root CA is given, whatever the mode.
    pub fn verification(&self) -> Verification {
        match (self.mode, &self.root_cert) {
            (SslMode::VerifyFull, _) => Verification::Full,
            (SslMode::VerifyCa, _) | (_, Some(_)) => Verification::Chain,
            (_, None) => Verification::None,
        }
    }

    /// One line for people: `verify-full, CA /x/ca.pem, client certificate /x/c.pem`.
    pub fn describe(&self) -> String {
        let mut text = self.mode.to_string();
        match (&self.root_cert, self.mode) {
            (_, SslMode::Disable) => {}
            (Some(RootCert::System), _) => text.push_str(", the system's trusted roots"),
            (Some(RootCert::File(path)), _) => text.push_str(&format!(", CA {}", path.display())),
            (None, _) => text.push_str(", the server's certificate is not checked"),
        }
        if let (Some(cert), false) = (&self.client_cert, self.mode == SslMode::Disable) {
            text.push_str(&format!(", client certificate {}", cert.display()));
        }
        text
    }

    /// The libpq parameters for `pg_dump`, `pg_restore` and `psql`, always
    /// explicit so the children's environment cannot change them. `system`
    /// becomes the system's CA bundle file where one is found, since libpq
    /// before 16 reads `system` as a file name.
    pub fn libpq_params(&self) -> Vec<(&'static str, String)> {
        let mut params = vec![("sslmode", self.mode.to_string())];
        match &self.root_cert {
            Some(RootCert::File(path)) => params.push(("sslrootcert", path.display().to_string())),
            Some(RootCert::System) => {
                let bundle = openssl_probe::probe().cert_file;
                let value = bundle.map_or_else(|| "system".to_string(), |p| p.display().to_string());
                params.push(("sslrootcert", value));
            }
            None => {}
        }
        if let (Some(cert), Some(key)) = (&self.client_cert, &self.client_key) {
            params.push(("sslcert", cert.display().to_string()));
            params.push(("sslkey", key.display().to_string()));
        }
        params
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn resolve(
        pairs: &[(&str, &str)],
        env: &[(&str, &str)],
        home: Option<&Path>,
    ) -> Result<TlsSettings, String> {
        let mut params = TlsParams::default();
        for (k, v) in pairs {
            assert!(params.take(k, v));
        }
        let env: HashMap<String, String> = env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        params.resolve(&env, home)
    }

    #[test]
    fn prefer_is_the_default_and_checks_nothing() {
        let tls = resolve(&[], &[], None).unwrap();
        assert_eq!(tls, TlsSettings::default());
        assert_eq!(tls.verification(), Verification::None);
    }

    #[test]
    fn a_root_ca_makes_require_check_the_chain_as_libpq_does() {
        let tls = resolve(&[("sslmode", "require"), ("sslrootcert", "/ca.pem")], &[], None).unwrap();
        assert_eq!(tls.verification(), Verification::Chain);
        let tls = resolve(&[("sslmode", "require")], &[], None).unwrap();
        assert_eq!(tls.verification(), Verification::None);
        let tls = resolve(
            &[("sslmode", "verify-full"), ("sslrootcert", "/ca.pem")],
            &[],
            None,
        )
        .unwrap();
        assert_eq!(tls.verification(), Verification::Full);
    }

    #[test]
    fn system_roots_default_to_verify_full_and_refuse_weaker_modes() {
        let tls = resolve(&[("sslrootcert", "system")], &[], None).unwrap();
        assert_eq!(
            (tls.mode, tls.root_cert),
            (SslMode::VerifyFull, Some(RootCert::System))
        );
        for weaker in ["require", "verify-ca", "prefer"] {
            let err = resolve(&[("sslrootcert", "system"), ("sslmode", weaker)], &[], None).unwrap_err();
            assert!(err.contains("needs sslmode=verify-full"), "{err}");
        }
    }

    #[test]
    fn verifying_modes_need_a_root_ca() {
        let err = resolve(&[("sslmode", "verify-ca")], &[], None).unwrap_err();
        assert!(err.contains("sslrootcert=<file>"), "{err}");
        let err = resolve(&[("sslmode", "sure")], &[], None).unwrap_err();
        assert!(err.contains("not one of disable"), "{err}");
    }

    #[test]
    fn environment_and_default_files_fill_what_the_string_does_not_say() {
        let home = tempfile::tempdir().unwrap();
        let dir = home.path().join(".postgresql");
        std::fs::create_dir(&dir).unwrap();
        for name in ["root.crt", "postgresql.crt", "postgresql.key"] {
            std::fs::write(dir.join(name), "x").unwrap();
        }
        let tls = resolve(&[], &[("PGSSLMODE", "verify-ca")], Some(home.path())).unwrap();
        assert_eq!(tls.mode, SslMode::VerifyCa);
        assert_eq!(tls.root_cert, Some(RootCert::File(dir.join("root.crt"))));
        assert_eq!(tls.client_key, Some(dir.join("postgresql.key")));
        let tls = resolve(&[("sslmode", "disable")], &[("PGSSLMODE", "verify-ca")], None).unwrap();
        assert_eq!(tls.mode, SslMode::Disable, "the string beats the environment");
    }

    #[test]
    fn a_key_without_a_certificate_is_an_error() {
        let err = resolve(&[("sslkey", "/k.pem")], &[], None).unwrap_err();
        assert!(err.contains("without sslcert"), "{err}");
    }
}
