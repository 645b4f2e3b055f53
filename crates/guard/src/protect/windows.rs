//! Windows: how an approved operation passes the guards, and only it.
//!
//! When a person has approved an operation on a protected database, the
//! protocol opens a window: a row in `dbguard.windows` naming the approval,
//! the kinds of destruction it allows, optionally its tables, and an
//! expiry. Only the guard role can write that row, and its password is
//! kept sealed to the approver, so opening one needs the approver's signing
//! key. The row holds the SHA-256 of a random token; the approved child gets
//! the token in the `dbguard.window` setting (`PGOPTIONS` or the
//! connection's `options`). The first session that uses the window binds it
//! (backend pid and start time); every other session is refused while it is
//! open. Closing it needs only the token.

use std::fmt;
use std::path::Path;
use std::time::Duration;

use dbguard_pg::DbUrl;
use ed25519_dalek::SigningKey;
use postgres::Client;
use zeroize::Zeroizing;

use super::credential;
use super::error::{db, Error, Result};

/// A kind of destruction a window allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// `TRUNCATE`.
    Truncate,
    /// `DELETE` of more rows than the policy allows.
    Delete,
    /// `UPDATE` of more rows than the policy allows.
    Update,
    /// Dropping tables, schemas, views, functions, types, policies, columns, constraints.
    Drop,
    /// Column type changes and column rewrites, `SET UNLOGGED`, turning
    /// row-level security off, loosening a table's policies.
    Alter,
    /// Changing or removing dbguard's own objects.
    Unprotect,
}

impl Kind {
    /// The kind named `name` (as [`Kind::as_str`] gives it).
    pub fn from_name(name: &str) -> Option<Kind> {
        [
            Kind::Truncate,
            Kind::Delete,
            Kind::Update,
            Kind::Drop,
            Kind::Alter,
            Kind::Unprotect,
        ]
        .into_iter()
        .find(|k| k.as_str() == name)
    }

    /// The name stored in `dbguard.windows.kinds`.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Truncate => "truncate",
            Kind::Delete => "delete",
            Kind::Update => "update",
            Kind::Drop => "drop",
            Kind::Alter => "alter",
            Kind::Unprotect => "unprotect",
        }
    }
}

/// What an approval lets through.
#[derive(Debug, Clone)]
pub struct WindowSpec {
    /// The approval's id (kept with the window, for the audit).
    pub approval_id: String,
    /// The kinds of destruction allowed.
    pub kinds: Vec<Kind>,
    /// Only these tables (`schema.table` or names the search path finds);
    /// None: any table. Applies to TRUNCATE, DELETE and UPDATE.
    pub tables: Option<Vec<String>>,
    /// How long the window stays open (at most a day).
    pub ttl: Duration,
}

/// The secret that opens a window; never printed (`Debug` hides it).
pub struct WindowToken(Zeroizing<String>);

impl WindowToken {
    /// The token kept with an approval.
    pub fn from_secret(secret: &str) -> WindowToken {
        WindowToken(Zeroizing::new(secret.to_string()))
    }

    /// The token itself, to hand to the approved child only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for WindowToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WindowToken(***)")
    }
}

/// Opens a window on `target` for `spec`: reads the database's guard
/// credential from `state_dir`, unseals it with the approver's key,
/// connects as the guard role and writes the window.
pub fn open_window(
    state_dir: &Path,
    target: &DbUrl,
    approver: &SigningKey,
    spec: &WindowSpec,
) -> Result<WindowToken> {
    if spec.kinds.is_empty() {
        return Err(Error::Invalid("a window needs at least one kind".to_string()));
    }
    let timeout = Duration::from_secs(30);
    let mut client = dbguard_pg::connect(target, timeout)?;
    let config = client
        .query_opt("SELECT identity, guard_role::text FROM dbguard.config", &[])
        .ok()
        .flatten()
        .ok_or_else(|| Error::NotProtected(format!("{target} is not protected (`dbguard protect`)")))?;
    let (identity, guard_role): (String, String) = (config.get(0), config.get(1));
    let tables = match &spec.tables {
        Some(names) => Some(resolve_tables(&mut client, names)?),
        None => None,
    };
    drop(client);
    let blob = credential::read(&credential::sealed_path(state_dir, &identity))?;
    let password = credential::unseal(approver, &blob)?;
    let mut config = target.client_config()?;
    config
        .user(&guard_role)
        .password(password.as_bytes())
        .application_name("dbguard guard")
        .connect_timeout(timeout);
    let mut guard = dbguard_pg::connect::connect_config(target, config).map_err(|e| {
        Error::Invalid(format!(
            "cannot connect to {target} as the guard role (run `dbguard protect` again if its credential is \
             stale): {e}"
        ))
    })?;
    let token = WindowToken(Zeroizing::new(dbguard_pg::random::random_hex(32)?));
    let kinds: Vec<&str> = spec.kinds.iter().map(|k| k.as_str()).collect();
    guard
        .execute(
            "INSERT INTO dbguard.windows (approval_id, kinds, tables, token_sha256, expires_at)
             VALUES ($1, $2, $3, encode(sha256(convert_to($4, 'UTF8')), 'hex'), now() + make_interval(secs => $5))",
            &[&spec.approval_id, &kinds, &tables, &token.expose(), &spec.ttl.as_secs_f64()],
        )
        .map_err(db("opening the window"))?;
    Ok(token)
}

/// The libpq `options` value that carries `token`: give it to the approved
/// child as `PGOPTIONS`, or to dbguard's own connections (see
/// [`connect_with_window`]).
pub fn window_options(token: &WindowToken) -> String {
    format!("-c dbguard.window={}", token.expose())
}

/// A connection to `target` that holds the window of `token`.
pub fn connect_with_window(target: &DbUrl, token: &WindowToken, timeout: Duration) -> Result<Client> {
    let mut config = target.client_config()?;
    let options = match config.get_options() {
        Some(existing) => format!("{existing} {}", window_options(token)),
        None => window_options(token),
    };
    config.options(&options).connect_timeout(timeout);
    if config.get_application_name().is_none() {
        config.application_name("dbguard");
    }
    Ok(dbguard_pg::connect::connect_config(target, config)?)
}

/// Closes the window of `token`; whether one was open.
pub fn close_window(target: &DbUrl, token: &WindowToken) -> Result<bool> {
    let mut client = dbguard_pg::connect(target, Duration::from_secs(30))?;
    let closed = client
        .query_one("SELECT dbguard.close_window($1)", &[&token.expose()])
        .map_err(db("closing the window"))?
        .get(0);
    Ok(closed)
}

/// `schema.table` as the guards name it, for each of `names`; a name that
/// does not resolve is an error (a window must not cover a guess).
fn resolve_tables(client: &mut Client, names: &[String]) -> Result<Vec<String>> {
    names
        .iter()
        .map(|name| {
            client
                .query_one(
                    "SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c
                       JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = to_regclass($1)",
                    &[name],
                )
                .map(|r| r.get(0))
                .map_err(|_| Error::Invalid(format!("the table {name} does not exist")))
        })
        .collect()
}
