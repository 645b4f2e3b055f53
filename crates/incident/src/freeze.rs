//! Freezing the live database: `ALTER DATABASE … SET
//! default_transaction_read_only = on`, so every new session is read-only,
//! then ending the sessions already open (which keep their settings until
//! they reconnect). Undone by [`unfreeze`], which puts back the setting the
//! database had.
//!
//! What this stops is the application's ordinary writes; a session may set
//! read-only off again for itself (dbguard's do, see [`crate::session`]),
//! so it does not replace `dbguard protect`, whose guards keep refusing
//! destructive statements meanwhile.

use chrono::{DateTime, Utc};
use dbguard_pg::local::quote_ident;
use dbguard_risk::{Finding, Rule, Verdict};
use serde::{Deserialize, Serialize};

/// One session of another client on the database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    /// The backend's process id.
    pub pid: i32,
    /// Its role.
    pub user: String,
    /// Its `application_name`.
    pub application: String,
    /// The client's address (empty over a local socket).
    pub client: String,
    /// `active`, `idle`, `idle in transaction`, …
    pub state: String,
    /// When the session started.
    pub since: DateTime<Utc>,
}

impl Session {
    /// One line for people.
    pub fn describe(&self) -> String {
        let app = match self.application.as_str() {
            "" => String::new(),
            app => format!(" ({app})"),
        };
        let from = match self.client.as_str() {
            "" => "local socket".to_string(),
            addr => addr.to_string(),
        };
        format!(
            "pid {} {}{app} from {from}, {} since {}",
            self.pid,
            self.user,
            self.state,
            self.since.format("%Y-%m-%d %H:%M:%S UTC")
        )
    }
}

/// What a freeze did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Freeze {
    /// When.
    pub at: DateTime<Utc>,
    /// The database frozen.
    pub database: String,
    /// The database's own `default_transaction_read_only` before (`None`: not set).
    pub previous: Option<String>,
    /// The sessions ended.
    pub ended: Vec<Session>,
    /// When it was undone.
    pub lifted_at: Option<DateTime<Utc>>,
}

impl Freeze {
    /// How to undo it by hand, were dbguard unavailable.
    pub fn undo_sql(&self) -> String {
        match &self.previous {
            Some(value) => format!(
                "ALTER DATABASE {} SET default_transaction_read_only = {value}",
                quote_ident(&self.database)
            ),
            None => format!(
                "ALTER DATABASE {} RESET default_transaction_read_only",
                quote_ident(&self.database)
            ),
        }
    }
}

/// The other clients' sessions on the database `client` is connected to.
pub fn sessions(client: &mut postgres::Client) -> anyhow::Result<Vec<Session>> {
    Ok(client
        .query(
            "SELECT pid, coalesce(usename::text, ''), coalesce(application_name, ''),
                    coalesce(host(client_addr), ''), coalesce(state, ''), backend_start
               FROM pg_stat_activity
              WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'
              ORDER BY backend_start",
            &[],
        )?
        .iter()
        .map(|r| Session {
            pid: r.get(0),
            user: r.get(1),
            application: r.get(2),
            client: r.get(3),
            state: r.get(4),
            since: r.get(5),
        })
        .collect())
}

/// The verdict a freeze goes through the protocol with, naming the
/// sessions it will end.
pub fn verdict(database: &str, sessions: &[Session], text: &str) -> Verdict {
    let shown: Vec<String> = sessions.iter().take(20).map(Session::describe).collect();
    let more = match sessions.len() > shown.len() {
        true => format!("; and {} more", sessions.len() - shown.len()),
        false => String::new(),
    };
    let ended = match sessions.is_empty() {
        true => "no other session is open".to_string(),
        false => format!("these sessions will be ended: {}{more}", shown.join("; ")),
    };
    Verdict::from_findings(vec![Finding::new(
        Rule::IncidentFreeze,
        format!(
            "freezing {database} makes every new session read-only, so the application's writes stop; {ended}"
        ),
        text,
    )])
}

/// What a freeze of the database `client` is connected to will undo to:
/// its setting now. Recorded before [`apply`], so a freeze rerun after a
/// crash still knows the setting from before the first attempt.
pub fn prepare(client: &mut postgres::Client) -> anyhow::Result<Freeze> {
    let database: String = client.query_one("SELECT current_database()::text", &[])?.get(0);
    Ok(Freeze {
        at: Utc::now(),
        database,
        previous: previous_setting(client)?,
        ended: Vec::new(),
        lifted_at: None,
    })
}

/// Freezes the database: new sessions read-only, the open ones ended.
/// Running it again does the same (the setting stays, sessions opened
/// meanwhile are ended too).
pub fn apply(client: &mut postgres::Client, freeze: &mut Freeze) -> anyhow::Result<()> {
    client.batch_execute(&format!(
        "ALTER DATABASE {} SET default_transaction_read_only = on",
        quote_ident(&freeze.database)
    ))?;
    for session in sessions(client)? {
        let done: bool = client
            .query_one("SELECT pg_terminate_backend($1)", &[&session.pid])?
            .get(0);
        if done
            && !freeze
                .ended
                .iter()
                .any(|s| s.pid == session.pid && s.since == session.since)
        {
            freeze.ended.push(session);
        }
    }
    freeze.at = Utc::now();
    Ok(())
}

/// Whether the database `client` is connected to is frozen (its own
/// `default_transaction_read_only` is on).
pub fn is_frozen(client: &mut postgres::Client) -> anyhow::Result<bool> {
    Ok(previous_setting(client)?.is_some_and(|v| v == "on" || v == "true"))
}

/// Undoes `freeze`: the database's setting as it was.
pub fn unfreeze(client: &mut postgres::Client, freeze: &mut Freeze) -> anyhow::Result<()> {
    client.batch_execute(&freeze.undo_sql())?;
    freeze.lifted_at = Some(Utc::now());
    Ok(())
}

/// The database's own `default_transaction_read_only`, when it has one.
fn previous_setting(client: &mut postgres::Client) -> anyhow::Result<Option<String>> {
    let row = client.query_opt(
        "SELECT split_part(s, '=', 2)
           FROM pg_db_role_setting d, unnest(d.setconfig) s
          WHERE d.setdatabase = (SELECT oid FROM pg_database WHERE datname = current_database())
            AND d.setrole = 0 AND s LIKE 'default_transaction_read_only=%'",
        &[],
    )?;
    Ok(row.map(|r| r.get(0)))
}
