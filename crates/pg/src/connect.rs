//! Opening connections and describing driver errors in words a person can act on.

use std::error::Error as _;
use std::time::Duration;

use postgres::config::SslMode;

use crate::dburl::DbUrl;
use crate::error::{Error, Result};
use crate::tls::{self, SslMode as TlsMode};

/// Connects to `url`, giving up after `timeout`, with TLS as its `sslmode`
/// says (libpq's rules, see [`crate::tls`]). Errors name the redacted target
/// and the server's reason, or exactly what was wrong with TLS.
pub fn connect(url: &DbUrl, timeout: Duration) -> Result<postgres::Client> {
    let mut config = url.client_config()?;
    config.connect_timeout(timeout);
    connect_config(url, config)
}

/// Connects with `config` (made from `url`'s, with another user, password
/// or options) and `url`'s TLS settings, as [`connect`] does.
pub fn connect_config(url: &DbUrl, mut config: postgres::Config) -> Result<postgres::Client> {
    if config.get_application_name().is_none() {
        config.application_name("dbguard");
    }
    // libpq's PGOPTIONS, which the Rust driver does not read by itself: the
    // protocol hands an approved operation its window this way.
    if config.get_options().is_none() {
        if let Some(options) = std::env::var("PGOPTIONS").ok().filter(|o| !o.trim().is_empty()) {
            config.options(&options);
        }
    }
    let tls = url.tls();
    let failed = |reason: String| Error::Database {
        context: format!("cannot connect to {url}"),
        reason,
    };
    let reason = |e: &postgres::Error| tls::explain(e, tls).unwrap_or_else(|| describe(e));
    let secure =
        |config: &mut postgres::Config, mode: SslMode| -> Result<Result<postgres::Client, postgres::Error>> {
            config.ssl_mode(mode);
            Ok(config.connect(tls::connector(tls)?))
        };
    let plain = |config: &mut postgres::Config| {
        config.ssl_mode(SslMode::Disable);
        config.connect(postgres::NoTls)
    };
    match tls.mode {
        TlsMode::Disable => plain(&mut config).map_err(|e| failed(reason(&e))),
        // libpq: plain text first; TLS when the server refused the login.
        TlsMode::Allow => match plain(&mut config) {
            Err(first) if first.as_db_error().is_some() => {
                secure(&mut config, SslMode::Require)?.map_err(|e| {
                    failed(format!(
                        "without TLS: {}; with TLS: {}",
                        reason(&first),
                        reason(&e)
                    ))
                })
            }
            other => other.map_err(|e| failed(reason(&e))),
        },
        // libpq: TLS when offered; plain text when the TLS handshake failed.
        TlsMode::Prefer => match secure(&mut config, SslMode::Prefer)? {
            Err(first) if tls::is_handshake_failure(&first) => plain(&mut config)
                .map_err(|e| failed(format!("{}; without TLS: {}", reason(&first), reason(&e)))),
            other => other.map_err(|e| failed(reason(&e))),
        },
        TlsMode::Require | TlsMode::VerifyCa | TlsMode::VerifyFull => {
            secure(&mut config, SslMode::Require)?.map_err(|e| failed(reason(&e)))
        }
    }
}

/// The most useful description of a driver error: the server's message with
/// its detail and hint, or the chain of causes for client-side failures.
pub fn describe(err: &postgres::Error) -> String {
    if let Some(db) = err.as_db_error() {
        let mut text = format!("{}: {}", db.severity(), db.message());
        if let Some(detail) = db.detail() {
            text.push_str(&format!(" ({detail})"));
        }
        if let Some(hint) = db.hint() {
            text.push_str(&format!("; hint: {hint}"));
        }
        return text;
    }
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

/// Wraps a query error with what dbguard was doing.
pub fn query_error(context: impl Into<String>) -> impl FnOnce(postgres::Error) -> Error {
    let context = context.into();
    move |e| Error::Database {
        context,
        reason: describe(&e),
    }
}
