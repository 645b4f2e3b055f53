//! dbguard's own sessions during an incident. A frozen database makes every
//! new session read-only (`default_transaction_read_only` set on the
//! database); dbguard's sessions, and the programs it runs (`pg_dump`,
//! `pg_restore`, `psql`), set it off for themselves through `PGOPTIONS`,
//! which [`dbguard_pg::connect`] and libpq both read.

use std::time::Duration;

use dbguard_pg::DbUrl;

/// The option that lifts read-only for one session.
const WRITABLE: &str = "-c default_transaction_read_only=off";

/// Adds the option lifting read-only to this process's `PGOPTIONS`, so
/// every session dbguard opens from now on, and every program it starts,
/// may write although the database is frozen. Called once, at the start of
/// an incident command; dbguard runs one command per process.
pub fn lift_read_only_for_this_process() {
    let current = std::env::var("PGOPTIONS").unwrap_or_default();
    if current.contains(WRITABLE) {
        return;
    }
    let options = match current.trim() {
        "" => WRITABLE.to_string(),
        existing => format!("{existing} {WRITABLE}"),
    };
    std::env::set_var("PGOPTIONS", options);
}

/// A session of dbguard on `url` with the settings the comparison relies on:
/// values print the same way in both databases (UTC, ISO dates, exact floats).
pub fn connect(url: &DbUrl, timeout: Duration, application: &str) -> anyhow::Result<postgres::Client> {
    let mut config = url.client_config()?;
    config.application_name(application);
    config.connect_timeout(timeout);
    let mut client = dbguard_pg::connect::connect_config(url, config)?;
    client.batch_execute(
        "SET default_transaction_read_only = off; SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD';
         SET IntervalStyle = 'postgres'; SET extra_float_digits = 3; SET bytea_output = 'hex';
         SET statement_timeout = 0; SET lock_timeout = 0",
    )?;
    Ok(client)
}
