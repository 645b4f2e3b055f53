//! What `protect status` reports: the policy, which tables carry the
//! guards, whether the event triggers are on, who can still drop the
//! database or switch the guards off, and the recorded refusals.

use postgres::Client;

use super::error::{db, Result};
use super::install::{RowGuard, EVENT_TRIGGERS};

/// Who can do what the guards cannot stop.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct DropRights {
    /// The database's owner (can `DROP DATABASE`).
    pub owner: String,
    /// Login roles that are members of the owner (can act as it).
    pub owner_members: Vec<String>,
    /// Superusers (can drop the database and switch event triggers off).
    pub superusers: Vec<String>,
    /// Roles with CREATEDB (can create databases and drop the ones they own).
    pub createdb: Vec<String>,
    /// Roles with CREATEROLE (can take over other non-superuser roles,
    /// the guard role included).
    pub createrole: Vec<String>,
}

/// The state of the guards in one database.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Status {
    /// Whether `dbguard protect` was installed.
    pub installed: bool,
    /// The covered schemas.
    pub schemas: Vec<String>,
    /// Rows one command may delete or update.
    pub max_rows: Option<i32>,
    /// How rows are guarded (None: not installed).
    pub row_guard: Option<RowGuard>,
    /// The C row guard is in use but sessions do not load its module as
    /// they start (`session_preload_libraries`): each session's first
    /// command that deletes or updates guarded rows is refused.
    pub loaded_late: bool,
    /// Tables of the covered schemas with all three guards, intact and
    /// ENABLE ALWAYS.
    pub protected_tables: i64,
    /// Tables of the covered schemas missing a guard (or with one switched
    /// off or changed), or under a parent the guards do not cover.
    pub unprotected_tables: Vec<String>,
    /// dbguard's event triggers that are missing or not ENABLE ALWAYS.
    pub event_triggers_off: Vec<String>,
    /// The approver's key (None: no window can be opened).
    pub approver: Option<String>,
    /// Whether refusals are recorded in `dbguard.refusals`.
    pub recording: bool,
    /// Windows open now.
    pub open_windows: i64,
    /// The role this connection uses.
    pub current_role: String,
    /// Whether it is a superuser (who can switch event triggers off).
    pub current_is_superuser: bool,
    /// Who can still drop the database or switch the guards off.
    pub drop_rights: DropRights,
}

/// Reads the guards' state from the database `client` is connected to.
pub fn status(client: &mut Client) -> Result<Status> {
    let me = client
        .query_one(
            "SELECT current_user::text, rolsuper FROM pg_roles WHERE rolname = current_user",
            &[],
        )
        .map_err(db("reading the current role"))?;
    let installed = client
        .query_one("SELECT to_regclass('dbguard.config') IS NOT NULL", &[])
        .map_err(db("looking for dbguard's schema"))?
        .get::<_, bool>(0);
    let config = if installed {
        client
            .query_opt(
                "SELECT schemas, max_rows, approver, recording FROM dbguard.config",
                &[],
            )
            .map_err(db("reading dbguard.config"))?
    } else {
        None
    };
    let (schemas, max_rows, approver, recording) = match &config {
        Some(row) => (
            row.get::<_, Vec<String>>(0),
            Some(row.get::<_, i32>(1)),
            row.get(2),
            row.get(3),
        ),
        None => (Vec::new(), None, None, false),
    };
    let tables = if config.is_none() {
        Vec::new()
    } else {
        client
        .query(
            "SELECT format('%I.%I', n.nspname, c.relname),
                    (SELECT count(*) FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid
                      WHERE t.tgrelid = c.oid AND t.tgenabled = 'A' AND p.pronamespace::regnamespace::text = 'dbguard'
                        AND t.tgname IN ('dbguard_truncate', 'dbguard_delete', 'dbguard_update')
                        AND dbguard.trigger_intact(t.oid)) = 3
                    AND c.oid NOT IN (SELECT child FROM dbguard.exposed_tables())
               FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE c.relkind IN ('r', 'p')
                AND (n.nspname = ANY ($1)
                     OR (c.relispartition AND (SELECT rn.nspname FROM pg_class r JOIN pg_namespace rn ON rn.oid = r.relnamespace
                                                WHERE r.oid = pg_partition_root(c.oid)) = ANY ($1)))
              ORDER BY 1",
            &[&schemas],
        )
        .map_err(db("reading the table guards"))?
    };
    let row_guard = if config.is_none() {
        None
    } else {
        client
            .query_opt(
                "SELECT l.lanname::text FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
                  WHERE p.oid = to_regprocedure('dbguard.guard_rows()')",
                &[],
            )
            .map_err(db("reading the row guard"))?
            .and_then(|r| RowGuard::from_language(&r.get::<_, String>(0)))
    };
    let loaded_late = row_guard == Some(RowGuard::C)
        && !client
            .query_one(
                "SELECT $1 = ANY (string_to_array(replace(current_setting('session_preload_libraries'), ' ', ''), ','))",
                &[&dbguard_native::MODULE],
            )
            .map_err(db("reading session_preload_libraries"))?
            .get::<_, bool>(0);
    let protected_tables = tables.iter().filter(|r| r.get::<_, bool>(1)).count() as i64;
    let unprotected_tables = tables
        .iter()
        .filter(|r| !r.get::<_, bool>(1))
        .map(|r| r.get(0))
        .collect();
    let on: Vec<String> = client
        .query(
            "SELECT evtname::text FROM pg_event_trigger WHERE evtenabled = 'A'",
            &[],
        )
        .map_err(db("reading the event triggers"))?
        .iter()
        .map(|r| r.get(0))
        .collect();
    let event_triggers_off = EVENT_TRIGGERS
        .iter()
        .map(|(name, ..)| name.to_string())
        .filter(|name| !on.contains(name))
        .collect();
    let open_windows = if installed {
        client
            .query_one(
                "SELECT count(*) FROM dbguard.windows WHERE closed_at IS NULL AND expires_at > now()",
                &[],
            )
            .map(|r| r.get(0))
            .unwrap_or(0)
    } else {
        0
    };
    Ok(Status {
        installed: config.is_some(),
        schemas,
        max_rows,
        row_guard,
        loaded_late,
        protected_tables,
        unprotected_tables,
        event_triggers_off,
        approver,
        recording,
        open_windows,
        current_role: me.get(0),
        current_is_superuser: me.get(1),
        drop_rights: drop_rights(client)?,
    })
}

/// Who can drop the database `client` is connected to, or switch guards off.
pub fn drop_rights(client: &mut Client) -> Result<DropRights> {
    let row = client
        .query_one(
            "SELECT pg_get_userbyid(d.datdba)::text,
                    ARRAY(SELECT r.rolname::text FROM pg_roles r
                           WHERE r.rolcanlogin AND r.oid <> d.datdba AND pg_has_role(r.oid, d.datdba, 'USAGE')
                             AND NOT r.rolsuper ORDER BY 1),
                    ARRAY(SELECT rolname::text FROM pg_roles WHERE rolsuper ORDER BY 1),
                    ARRAY(SELECT rolname::text FROM pg_roles WHERE rolcreatedb AND NOT rolsuper ORDER BY 1),
                    ARRAY(SELECT rolname::text FROM pg_roles WHERE rolcreaterole AND NOT rolsuper ORDER BY 1)
               FROM pg_database d WHERE d.datname = current_database()",
            &[],
        )
        .map_err(db("reading who can drop the database"))?;
    Ok(DropRights {
        owner: row.get(0),
        owner_members: row.get(1),
        superusers: row.get(2),
        createdb: row.get(3),
        createrole: row.get(4),
    })
}

/// One refusal recorded inside the database.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Refusal {
    /// When (UTC, RFC 3339).
    pub at: String,
    /// The login role.
    pub session_role: Option<String>,
    /// The role set with SET ROLE, when another.
    pub acting_role: Option<String>,
    /// The client's application_name.
    pub application_name: Option<String>,
    /// The client's address (None: a Unix socket).
    pub client_addr: Option<String>,
    /// The command that was refused (first 4000 characters).
    pub statement: Option<String>,
    /// The rule, e.g. `protect/truncate`.
    pub rule: String,
    /// What it would have done.
    pub detail: String,
}

/// The newest `limit` refusals, newest first (none when not protected).
pub fn refusals(client: &mut Client, limit: i64) -> Result<Vec<Refusal>> {
    let installed: bool = client
        .query_one("SELECT to_regclass('dbguard.refusals') IS NOT NULL", &[])
        .map_err(db("looking for dbguard.refusals"))?
        .get(0);
    if !installed {
        return Ok(Vec::new());
    }
    let rows = client
        .query(
            "SELECT to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), session_role::text,
                    acting_role::text, application_name, host(client_addr), statement, rule, detail
               FROM dbguard.refusals ORDER BY id DESC LIMIT $1",
            &[&limit],
        )
        .map_err(db("reading dbguard.refusals"))?;
    Ok(rows
        .iter()
        .map(|r| Refusal {
            at: r.get(0),
            session_role: r.get(1),
            acting_role: r.get(2),
            application_name: r.get(3),
            client_addr: r.get(4),
            statement: r.get(5),
            rule: r.get(6),
            detail: r.get(7),
        })
        .collect())
}
