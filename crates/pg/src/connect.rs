//! Opening connections and describing driver errors in words a person can act on.

use std::error::Error as _;
use std::time::Duration;

use crate::dburl::DbUrl;
use crate::error::{Error, Result};

/// Connects to `url`, giving up after `timeout`. Errors name the redacted
/// target and the server's reason.
pub fn connect(url: &DbUrl, timeout: Duration) -> Result<postgres::Client> {
    let mut config = url.client_config()?;
    config.connect_timeout(timeout);
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
    config.connect(postgres::NoTls).map_err(|e| Error::Database {
        context: format!("cannot connect to {url}"),
        reason: describe(&e),
    })
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
