//! Installing, re-installing (idempotent) and removing the guards.

use std::path::{Path, PathBuf};

use dbguard_pg::local::quote_ident;
use dbguard_pg::DbUrl;
use ed25519_dalek::VerifyingKey;
use postgres::{Client, GenericClient};

use super::credential;
use super::error::{db, Error, Result};
use super::status::{drop_rights, DropRights};

/// The NOLOGIN role that owns the `dbguard` schema and everything in it.
pub const OWNER_ROLE: &str = "dbguard_owner";

/// The guide's "affects multiple records": one row per command.
pub const DEFAULT_MAX_ROWS: u32 = 1;

/// The SQL of the guards (tables, functions), run as [`OWNER_ROLE`].
const GUARDS_SQL: &str = include_str!("guards.sql");

/// The event triggers, created by a superuser (PostgreSQL allows no one else).
pub(crate) const EVENT_TRIGGERS: &[(&str, &str, &str)] = &[
    (
        "dbguard_ddl_start",
        "ddl_command_start WHEN TAG IN ('ALTER TABLE')",
        "on_ddl_start",
    ),
    ("dbguard_sql_drop", "sql_drop", "on_sql_drop"),
    ("dbguard_table_rewrite", "table_rewrite", "on_table_rewrite"),
    ("dbguard_ddl_end", "ddl_command_end", "on_ddl_end"),
    ("dbguard_new_tables", "ddl_command_end", "on_create_table"),
];

/// How to protect a database.
pub struct Options<'a> {
    /// The schemas whose tables are guarded (default: `public`).
    pub schemas: Vec<String>,
    /// Rows one command may delete or update (at least 1).
    pub max_rows: u32,
    /// The approver's public key. Without one the guards are installed but
    /// no window can ever be opened.
    pub approver: Option<&'a VerifyingKey>,
    /// dbguard's state folder (`.dbguard`), where the sealed guard
    /// credential is written.
    pub state_dir: &'a Path,
    /// Whether to guard rows with the C function when the server can load
    /// it (dbguard's own server); `false` keeps the PL/pgSQL guard.
    pub native: bool,
}

impl<'a> Options<'a> {
    /// The defaults: `public`, one row, for `state_dir`.
    pub fn new(state_dir: &'a Path) -> Options<'a> {
        Options {
            schemas: vec!["public".to_string()],
            max_rows: DEFAULT_MAX_ROWS,
            approver: None,
            state_dir,
            native: true,
        }
    }
}

/// What `install` did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Installed {
    /// The database's identity (the sealed credential's file name).
    pub identity: String,
    /// Tables that carry the guards.
    pub tables: i64,
    /// The covered schemas.
    pub schemas: Vec<String>,
    /// Rows one command may delete or update.
    pub max_rows: u32,
    /// The role that alone can open windows.
    pub guard_role: String,
    /// Where its password is kept, sealed to the approver (None: no approver).
    pub sealed: Option<PathBuf>,
    /// Whether refusals are recorded in `dbguard.refusals`.
    pub recording: bool,
    /// How rows are guarded.
    pub row_guard: RowGuard,
    /// Why the C row guard is not in use, when it is not.
    pub native_unavailable: Option<String>,
    /// Who can still drop the database or switch the guards off.
    pub drop_rights: DropRights,
}

/// The implementation of `dbguard.guard_rows()`, the trigger function that
/// counts the rows of each command: the same rule either way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RowGuard {
    /// dbguard's C module (`dbguard-native`), on dbguard's own server.
    C,
    /// PL/pgSQL, on every other server.
    PlPgSql,
}

impl RowGuard {
    /// The language `pg_proc` names for `dbguard.guard_rows()`.
    pub fn from_language(language: &str) -> Option<RowGuard> {
        match language {
            "c" => Some(RowGuard::C),
            "plpgsql" => Some(RowGuard::PlPgSql),
            _ => None,
        }
    }
}

/// Installs (or re-installs, changing nothing twice but the guard role's
/// password) the guards into the database `client` is connected to, as a
/// superuser: PostgreSQL lets only superusers create event triggers.
/// `url` is the same connection's URL (for the database's identity).
pub fn install(client: &mut Client, url: &DbUrl, options: &Options) -> Result<Installed> {
    if options.max_rows < 1 {
        return Err(Error::Invalid("--max-rows must be at least 1".to_string()));
    }
    if options.schemas.is_empty() {
        return Err(Error::Invalid("protect needs at least one schema".to_string()));
    }
    require_superuser(client, "protect")?;
    let identity = crate::target::identity(client, url);
    let (guard_role, recorder_role) = role_names(client)?;
    let recorder_password = dbguard_pg::random::random_hex(24)?;
    let sealed_path = credential::sealed_path(options.state_dir, &identity);
    let (password_sql, pending) = match options.approver {
        Some(approver) => {
            let password = zeroize::Zeroizing::new(dbguard_pg::random::random_hex(24)?);
            let pending = credential::write_pending(&sealed_path, &credential::seal(approver, &password))?;
            (format!("PASSWORD '{}'", password.as_str()), Some(pending))
        }
        None => ("PASSWORD NULL".to_string(), None),
    };
    let schemas_sql = text_array(&options.schemas);

    let mut tx = client.transaction().map_err(db("starting the installation"))?;
    for (name, ..) in EVENT_TRIGGERS {
        run(
            &mut tx,
            "removing the old event triggers",
            &format!("DROP EVENT TRIGGER IF EXISTS {name}"),
        )?;
    }
    run(
        &mut tx,
        "creating dbguard's roles",
        &roles_sql(&guard_role, &recorder_role),
    )?;
    let role_options = "NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS NOREPLICATION NOINHERIT";
    run(
        &mut tx,
        "setting up the guard role",
        &format!(
            "ALTER ROLE {guard_role} LOGIN {role_options} {password_sql};
             ALTER ROLE {recorder_role} LOGIN {role_options} PASSWORD '{recorder_password}';"
        ),
    )?;
    let foreign_owner: Option<String> = tx
        .query_opt(
            "SELECT pg_get_userbyid(nspowner)::text FROM pg_namespace WHERE nspname = 'dbguard'",
            &[],
        )
        .map_err(db("reading the dbguard schema"))?
        .map(|r| r.get::<_, String>(0))
        .filter(|owner| owner != OWNER_ROLE);
    if let Some(owner) = foreign_owner {
        return Err(Error::NotProtected(format!(
            "a schema named dbguard exists and belongs to {owner}, not to {OWNER_ROLE}: it is not dbguard's; \
             a person must look at it and remove or rename it"
        )));
    }
    run(
        &mut tx,
        "creating the dbguard schema",
        &format!(
            "CREATE SCHEMA IF NOT EXISTS dbguard AUTHORIZATION {OWNER_ROLE};
             REVOKE ALL ON SCHEMA dbguard FROM PUBLIC;
             GRANT USAGE ON SCHEMA dbguard TO PUBLIC;"
        ),
    )?;
    let dblink = recorder(&mut tx, &recorder_role, &recorder_password)?;
    let guards = GUARDS_SQL
        .replace("__SCHEMAS__", &schemas_sql)
        .replace("__MAX_ROWS__", &options.max_rows.to_string())
        .replace("__DBLINK__", &literal(dblink.as_deref().unwrap_or("")));
    run(
        &mut tx,
        "installing the guards",
        &format!("SET LOCAL ROLE {OWNER_ROLE};\n{guards}\nRESET ROLE;"),
    )?;
    let native_unavailable = if options.native {
        native_row_guard(&mut tx)?
    } else {
        Some("the PL/pgSQL row guard was asked for".to_string())
    };
    run(
        &mut tx,
        "granting the guard and recorder roles their one right each",
        &format!(
            "GRANT INSERT (approval_id, kinds, tables, token_sha256, expires_at) ON dbguard.windows TO {guard_role};
             GRANT INSERT (session_role, acting_role, application_name, client_addr, backend_pid, statement, rule, detail)
               ON dbguard.refusals TO {recorder_role};"
        ),
    )?;
    let tables: i64 = tx
        .query_one(
            "SELECT count(dbguard.protect_table(t)) FROM dbguard.covered_tables() t",
            &[],
        )
        .map_err(db("adding the table guards"))?
        .get(0);
    let approver = options.approver.map(fingerprint);
    let max_rows = i32::try_from(options.max_rows).unwrap_or(i32::MAX);
    tx.execute(
        "INSERT INTO dbguard.config (identity, max_rows, schemas, guard_role, approver, recording)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (singleton) DO UPDATE SET identity = excluded.identity, max_rows = excluded.max_rows,
           schemas = excluded.schemas, guard_role = excluded.guard_role, approver = excluded.approver,
           recording = excluded.recording, installed_at = now()",
        &[
            &identity,
            &max_rows,
            &options.schemas,
            &guard_role,
            &approver,
            &dblink.is_some(),
        ],
    )
    .map_err(db("recording the policy"))?;
    for (name, event, function) in EVENT_TRIGGERS {
        run(
            &mut tx,
            "creating the event triggers",
            &format!(
                "CREATE EVENT TRIGGER {name} ON {event} EXECUTE FUNCTION dbguard.{function}();
                 ALTER EVENT TRIGGER {name} ENABLE ALWAYS;"
            ),
        )?;
    }
    tx.commit().map_err(db("committing the installation"))?;
    let sealed = match pending {
        Some(pending) => Some(pending.commit()?),
        None => {
            let _ = std::fs::remove_file(&sealed_path);
            None
        }
    };
    Ok(Installed {
        identity,
        tables,
        schemas: options.schemas.clone(),
        max_rows: options.max_rows,
        guard_role,
        sealed,
        recording: dblink.is_some(),
        row_guard: if native_unavailable.is_none() {
            RowGuard::C
        } else {
            RowGuard::PlPgSql
        },
        native_unavailable,
        drop_rights: drop_rights(client)?,
    })
}

/// Replaces the PL/pgSQL `dbguard.guard_rows()` with its C form when the
/// server can load dbguard's module (dbguard's own server puts it on
/// `dynamic_library_path`; PostgreSQL loads it to check the symbol before
/// declaring the function, and refuses a module of another major
/// version). Returns why not, when it cannot; the PL/pgSQL guard stays.
fn native_row_guard(tx: &mut postgres::Transaction) -> Result<Option<String>> {
    let mut attempt = tx.transaction().map_err(db("trying the C row guard"))?;
    let declared = attempt.batch_execute(&format!(
        "CREATE OR REPLACE FUNCTION dbguard.guard_rows() RETURNS trigger LANGUAGE c AS '{}', '{}'",
        dbguard_native::MODULE,
        dbguard_native::ROW_GUARD_SYMBOL
    ));
    match declared {
        Ok(()) => {
            attempt.commit().map_err(db("declaring the C row guard"))?;
            Ok(None)
        }
        Err(e) => {
            let why = e
                .as_db_error()
                .map(|d| d.message().to_string())
                .unwrap_or_else(|| e.to_string());
            attempt.rollback().map_err(db("trying the C row guard"))?;
            Ok(Some(format!("this server cannot load dbguard's C module: {why}")))
        }
    }
}

/// Removes every guard, the `dbguard` schema and this database's guard and
/// recorder roles, and the sealed credential. Only a superuser can (event
/// triggers belong to one); the caller has the person's approval.
pub fn unprotect(client: &mut Client, state_dir: &Path) -> Result<()> {
    require_superuser(client, "unprotect")?;
    let config = client
        .query_opt("SELECT identity, guard_role FROM dbguard.config", &[])
        .ok()
        .flatten()
        .map(|r| (r.get::<_, String>(0), r.get::<_, String>(1)));
    let mut tx = client.transaction().map_err(db("starting unprotect"))?;
    let mut sql: String = EVENT_TRIGGERS
        .iter()
        .map(|(name, ..)| format!("DROP EVENT TRIGGER IF EXISTS {name};\n"))
        .collect();
    sql.push_str("DROP SERVER IF EXISTS dbguard_loopback CASCADE;\nDROP SCHEMA IF EXISTS dbguard CASCADE;\n");
    tx.batch_execute(&sql).map_err(db("removing the guards"))?;
    let (guard_role, recorder_role) = role_names(&mut tx)?;
    tx.batch_execute(&format!(
        "DROP ROLE IF EXISTS {guard_role}; DROP ROLE IF EXISTS {recorder_role};"
    ))
    .map_err(db("removing the guard roles"))?;
    tx.commit().map_err(db("committing unprotect"))?;
    if let Some((identity, _)) = config {
        let _ = std::fs::remove_file(credential::sealed_path(state_dir, &identity));
    }
    Ok(())
}

/// This database's guard and recorder roles: roles belong to the whole
/// server, so each protected database has its own (named after its oid),
/// with its own password.
fn role_names(client: &mut impl GenericClient) -> Result<(String, String)> {
    let oid: u32 = client
        .query_one(
            "SELECT oid FROM pg_database WHERE datname = current_database()",
            &[],
        )
        .map_err(db("reading the database"))?
        .get(0);
    Ok((format!("dbguard_guard_{oid}"), format!("dbguard_recorder_{oid}")))
}

/// Runs `sql`; errors say `what` dbguard was doing.
fn run(client: &mut impl GenericClient, what: &str, sql: &str) -> Result<()> {
    client.batch_execute(sql).map_err(db(what))
}

/// `ed25519:<hex>` of the approver's public key.
fn fingerprint(key: &VerifyingKey) -> String {
    let hex: String = key.as_bytes().iter().map(|b| format!("{b:02x}")).collect();
    format!("ed25519:{hex}")
}

fn require_superuser(client: &mut Client, what: &str) -> Result<()> {
    let superuser: bool = client
        .query_one("SELECT rolsuper FROM pg_roles WHERE rolname = current_user", &[])
        .map_err(db("reading the current role"))?
        .get(0);
    if superuser {
        Ok(())
    } else {
        Err(Error::NotProtected(format!(
            "{what} needs a superuser connection: PostgreSQL lets only superusers create and drop event triggers"
        )))
    }
}

/// Creates the roles unless they exist (another database's protect may be
/// creating the shared owner role at the same moment).
fn roles_sql(guard: &str, recorder: &str) -> String {
    let create = |role: &str, login: &str| {
        format!(
            "BEGIN CREATE ROLE {role} {login}; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END;"
        )
    };
    format!(
        "DO $$ BEGIN {} {} {}
           IF EXISTS (SELECT FROM pg_roles WHERE rolname = '{OWNER_ROLE}'
                       AND (rolcanlogin OR rolsuper OR rolcreatedb OR rolcreaterole OR rolbypassrls)) THEN
             ALTER ROLE {OWNER_ROLE} NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS;
           END IF;
           -- A window binds to a backend's pid and start time, which
           -- pg_stat_activity shows other roles only with this role.
           IF NOT pg_has_role('{OWNER_ROLE}', 'pg_read_all_stats', 'MEMBER') THEN
             BEGIN GRANT pg_read_all_stats TO {OWNER_ROLE}; EXCEPTION WHEN unique_violation THEN NULL; END;
           END IF;
         END $$;",
        create(OWNER_ROLE, "NOLOGIN"),
        create(guard, "LOGIN"),
        create(recorder, "LOGIN"),
    )
}

/// Sets up recording through dblink (a loopback connection as the recorder
/// role, so a refusal's record survives the refused statement's rollback);
/// the schema holding dblink, or None when the extension is not available.
fn recorder(tx: &mut postgres::Transaction, role: &str, password: &str) -> Result<Option<String>> {
    let available = tx
        .query_opt("SELECT 1 FROM pg_available_extensions WHERE name = 'dblink'", &[])
        .map_err(db("looking for dblink"))?
        .is_some();
    if !available {
        tx.batch_execute("DROP SERVER IF EXISTS dbguard_loopback CASCADE")
            .map_err(db("removing the old recorder"))?;
        return Ok(None);
    }
    let existed = tx
        .query_opt("SELECT 1 FROM pg_extension WHERE extname = 'dblink'", &[])
        .map_err(db("looking for dblink"))?
        .is_some();
    if !existed {
        // Created here, dblink is only dbguard's: the application gets no
        // new way to open connections.
        tx.batch_execute(
            "CREATE EXTENSION dblink WITH SCHEMA dbguard;
             REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA dbguard FROM PUBLIC;",
        )
        .map_err(db("creating the dblink extension"))?;
    }
    let row = tx
        .query_one(
            "SELECT n.nspname::text, split_part(current_setting('unix_socket_directories'), ',', 1),
                    current_setting('port'), current_database()::text
               FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'dblink'",
            &[],
        )
        .map_err(db("reading the server's address"))?;
    let (schema, socket, port, database): (String, String, String, String) =
        (row.get(0), row.get(1), row.get(2), row.get(3));
    let host = match socket.trim() {
        "" => "localhost".to_string(),
        dir => dir.to_string(),
    };
    tx.batch_execute(&format!(
        "DROP SERVER IF EXISTS dbguard_loopback CASCADE;
         CREATE SERVER dbguard_loopback FOREIGN DATA WRAPPER dblink_fdw
           OPTIONS (host {}, port {}, dbname {}, application_name 'dbguard recorder');
         CREATE USER MAPPING FOR {OWNER_ROLE} SERVER dbguard_loopback OPTIONS (user '{role}', password '{password}');
         GRANT USAGE ON FOREIGN SERVER dbguard_loopback TO {OWNER_ROLE};
         GRANT EXECUTE ON FUNCTION {}.dblink_exec(text, text) TO {OWNER_ROLE};",
        literal(&host),
        literal(&port),
        literal(&database),
        quote_ident(&schema),
    ))
    .map_err(db("setting up the refusal recorder"))?;
    Ok(Some(schema))
}

/// A SQL string literal.
fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// A SQL `text[]` literal.
fn text_array(items: &[String]) -> String {
    let items: Vec<String> = items.iter().map(|s| literal(s)).collect();
    format!("ARRAY[{}]::text[]", items.join(", "))
}
