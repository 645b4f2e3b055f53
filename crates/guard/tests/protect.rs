//! `dbguard protect` against the real server: every destructive path is
//! refused for every client (psql, the Rust driver, node-postgres), rows
//! counted before and after; single-row writes by key and inserts pass;
//! windows opened with the approver's key let exactly their holder through.

use std::path::Path;
use std::process::Command;
use std::sync::Once;
use std::time::Duration;

use dbguard_guard::protect::{self, Kind, Options, RowGuard, WindowSpec};
use dbguard_pg::DbUrl;
use dbguard_testkit::{server, TestDb};
use ed25519_dalek::SigningKey;
use postgres::error::SqlState;

/// Demo farm 1 of the development seed.
const FARM: &str = "md5('farm:1')::uuid";

/// A login role of the test server.
#[derive(Clone, Copy)]
struct Role {
    name: &'static str,
    password: &'static str,
}

/// The application: farm_app (DML, row-level security, no TRUNCATE).
const APP: Role = Role {
    name: "farm_app",
    password: "app-password-for-tests",
};
/// The test server's superuser (its password is in the URL's passfile):
/// the guards hold for it too, until it switches them off.
const SUPERUSER: Role = Role {
    name: "",
    password: "",
};
/// A login member of farm_owner: it can do what the tables' owner can
/// (TRUNCATE, DROP, ALTER), as an agent holding the owner's URL would.
const OWNER: Role = Role {
    name: "farm_schema_owner",
    password: "owner-password-for-tests",
};

struct Fixture {
    db: TestDb,
    state: tempfile::TempDir,
    approver: SigningKey,
}

impl Fixture {
    /// The farm schema, the development seed, and protect with an approver.
    fn new() -> Fixture {
        let fixture = Fixture::unprotected();
        fixture.protect(Some(&fixture.approver));
        fixture
    }

    /// The farm schema and the development seed, not protected.
    fn unprotected() -> Fixture {
        let db = server().fresh_db();
        let mut client = db.client();
        dbguard_migrate::runner::deploy(&mut client, &dbguard_farm::migrations(), &mut |_| Ok(()))
            .expect("the farm schema applies");
        dbguard_farm::seed::development(&mut client, Default::default()).expect("the seed applies");
        static ROLES: Once = Once::new();
        ROLES.call_once(|| {
            client
                .batch_execute(&format!(
                    "ALTER ROLE {app} PASSWORD '{app_pw}';
                     CREATE ROLE {owner} LOGIN PASSWORD '{owner_pw}' IN ROLE farm_owner;
                     GRANT SET ON PARAMETER session_replication_role TO {app};",
                    app = APP.name,
                    app_pw = APP.password,
                    owner = OWNER.name,
                    owner_pw = OWNER.password
                ))
                .expect("test roles");
        });
        Fixture {
            db,
            state: dbguard_testkit::project_dir("dbguard-protect-"),
            approver: SigningKey::generate(&mut rand_core::OsRng),
        }
    }

    fn protect(&self, approver: Option<&SigningKey>) -> protect::Installed {
        self.protect_with(approver, true)
    }

    /// `protect`, with the C row guard when the server can load it
    /// (`native`) or with the PL/pgSQL one.
    fn protect_with(&self, approver: Option<&SigningKey>, native: bool) -> protect::Installed {
        let key = approver.map(|k| k.verifying_key());
        let mut options = Options::new(self.state.path());
        options.approver = key.as_ref();
        options.native = native;
        protect::install(&mut self.db.client(), &self.db.url, &options).expect("protect installs")
    }

    fn port(&self) -> u16 {
        self.db.url.client_config().unwrap().get_ports()[0]
    }

    fn conninfo(&self, role: Role) -> String {
        format!(
            "host=127.0.0.1 port={} dbname={} user={} password={}",
            self.port(),
            self.db.name,
            role.name,
            role.password
        )
    }

    fn url(&self, role: Role) -> DbUrl {
        DbUrl::parse(&self.conninfo(role)).unwrap()
    }

    /// A driver connection (tokio-postgres underneath; not libpq) as `role`.
    fn connect(&self, role: Role, options: Option<&str>) -> postgres::Client {
        let mut config = self.url(role).client_config().unwrap();
        if let Some(options) = options {
            config.options(options);
        }
        config.connect(postgres::NoTls).expect("connects")
    }

    /// Runs `sql` through plain psql as `role`: (succeeded, stderr).
    fn psql(&self, role: Role, sql: &str) -> (bool, String) {
        let target = match role.name {
            "" => self.db.url.expose().to_string(),
            name => format!(
                "host=127.0.0.1 port={} dbname={} user={name}",
                self.port(),
                self.db.name
            ),
        };
        let out = Command::new("psql")
            .arg(target)
            .args([
                "-X",
                "-q",
                "-v",
                "ON_ERROR_STOP=1",
                "-v",
                "VERBOSITY=verbose",
                "-c",
                sql,
            ])
            .env("PGPASSWORD", role.password)
            .env_remove("PGOPTIONS")
            .output()
            .expect("psql runs");
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    /// Every table's row count.
    fn counts(&self) -> Vec<(String, i64)> {
        let mut client = self.db.client();
        let tables: Vec<String> = client
            .query(
                "SELECT tablename::text FROM pg_tables WHERE schemaname = 'public' ORDER BY 1",
                &[],
            )
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect();
        tables
            .into_iter()
            .map(|t| {
                let n: i64 = client
                    .query_one(&format!("SELECT count(*) FROM public.\"{t}\""), &[])
                    .unwrap()
                    .get(0);
                (t, n)
            })
            .collect()
    }
}

/// `sql` as the application, in demo farm 1's context.
fn in_farm(sql: &str) -> String {
    format!("SELECT set_config('app.current_farm_id', {FARM}::text, false); {sql}")
}

/// What the application and an owner's URL must not do, each with the rule
/// that refuses it.
fn destructive() -> Vec<(Role, String, &'static str)> {
    vec![
        (OWNER, "TRUNCATE tasks".into(), "protect/truncate"),
        (OWNER, "TRUNCATE farms CASCADE".into(), "protect/truncate"),
        (OWNER, "DROP TABLE tasks".into(), "protect/drop-object"),
        (SUPERUSER, "DROP SCHEMA public CASCADE".into(), "protect/drop-object"),
        (SUPERUSER, "TRUNCATE users CASCADE".into(), "protect/truncate"),
        (OWNER, "ALTER TABLE tasks DROP COLUMN title".into(), "protect/drop-column"),
        (OWNER, "ALTER TABLE orders ALTER COLUMN total_cents TYPE integer".into(), "protect/alter-column-type"),
        (OWNER, "ALTER TABLE orders DROP CONSTRAINT orders_farm_id_fkey".into(), "protect/drop-constraint"),
        (OWNER, "ALTER TABLE orders DISABLE ROW LEVEL SECURITY".into(), "protect/disable-rls"),
        (OWNER, "ALTER TABLE orders NO FORCE ROW LEVEL SECURITY".into(), "protect/no-force-rls"),
        (OWNER, "DROP POLICY tenant_isolation ON orders".into(), "protect/drop-object"),
        (OWNER, "DROP FUNCTION cuid() CASCADE".into(), "protect/drop-object"),
        (OWNER, "DROP TYPE farm_role CASCADE".into(), "protect/drop-object"),
        (OWNER, "DROP OWNED BY farm_owner CASCADE".into(), "protect/drop-object"),
        (OWNER, "DROP TRIGGER dbguard_truncate ON tasks".into(), "protect/guard-objects"),
        (OWNER, "ALTER TABLE tasks DISABLE TRIGGER USER".into(), "protect/guard-objects"),
        (OWNER, "ALTER TABLE tasks ENABLE REPLICA TRIGGER dbguard_delete".into(), "protect/guard-objects"),
        (OWNER, "ALTER TRIGGER dbguard_update ON tasks RENAME TO audit_update".into(), "protect/guard-objects"),
        // A guard replaced under its own name by one that never fires, or
        // fires with another limit, is no guard.
        (
            OWNER,
            "CREATE OR REPLACE TRIGGER dbguard_delete AFTER INSERT ON tasks REFERENCING NEW TABLE AS dbguard_old
               FOR EACH STATEMENT EXECUTE FUNCTION dbguard.guard_rows('1')"
                .into(),
            "protect/guard-objects",
        ),
        (
            OWNER,
            "CREATE OR REPLACE TRIGGER dbguard_delete AFTER DELETE ON tasks REFERENCING OLD TABLE AS dbguard_old
               FOR EACH STATEMENT EXECUTE FUNCTION dbguard.guard_rows('1000000')"
                .into(),
            "protect/guard-objects",
        ),
        (
            OWNER,
            "CREATE OR REPLACE TRIGGER dbguard_update AFTER UPDATE OF title ON tasks
               FOR EACH STATEMENT EXECUTE FUNCTION dbguard.guard_rows('1')"
                .into(),
            "protect/guard-objects",
        ),
        (
            OWNER,
            "CREATE OR REPLACE TRIGGER dbguard_update AFTER UPDATE ON tasks REFERENCING OLD TABLE AS dbguard_old
               FOR EACH STATEMENT WHEN (false) EXECUTE FUNCTION dbguard.guard_rows('1')"
                .into(),
            "protect/guard-objects",
        ),
        (
            OWNER,
            "CREATE OR REPLACE TRIGGER dbguard_truncate BEFORE INSERT ON tasks
               FOR EACH STATEMENT EXECUTE FUNCTION dbguard.guard_truncate()"
                .into(),
            "protect/guard-objects",
        ),
        (OWNER, format!("DELETE FROM farms WHERE id = {FARM}"), "protect/delete-many"),
        (APP, in_farm("DELETE FROM tasks"), "protect/delete-many"),
        (APP, in_farm("DELETE FROM batches WHERE trays > 1"), "protect/delete-many"),
        (APP, in_farm("UPDATE orders SET status = 'CANCELLED'"), "protect/update-many"),
        (
            APP,
            in_farm("SET session_replication_role = replica; DELETE FROM customers"),
            "protect/delete-many",
        ),
        (
            APP,
            in_farm(&format!("{FIRST_TASK}; {LAST_TASK}")),
            "protect/delete-many",
        ),
        (
            APP,
            in_farm(&format!("{FIRST_TASK}; SET TimeZone = 'Pacific/Kiritimati'; SET DateStyle = 'German'; {LAST_TASK}")),
            "protect/delete-many",
        ),
        (
            APP,
            in_farm(&format!("DO $$ BEGIN {FIRST_TASK}; {LAST_TASK}; END $$")),
            "protect/delete-many",
        ),
        (
            APP,
            in_farm(
                "SELECT set_config('dbguard.rows', extract(epoch FROM statement_timestamp())::text || '|-1000', true),
                        set_config('dbguard.rows', statement_timestamp()::text || '|-1000', false);
                 DELETE FROM tasks",
            ),
            "protect/delete-many",
        ),
        (
            APP,
            in_farm("MERGE INTO tasks t USING tasks s ON t.id = s.id WHEN MATCHED THEN DELETE"),
            "protect/delete-many",
        ),
        (
            APP,
            in_farm("WITH gone AS (DELETE FROM tasks RETURNING id) SELECT count(*) FROM gone"),
            "protect/delete-many",
        ),
        (
            SUPERUSER,
            "CREATE VIEW every_task AS SELECT * FROM tasks; UPDATE every_task SET title = 'x'".into(),
            "protect/update-many",
        ),
        // Every way the executor runs a statement counts its rows: a
        // WITH clause with or without RETURNING, EXPLAIN ANALYZE, a
        // prepared statement, a function, a rule's action, MERGE's
        // UPDATE, and the rows an upsert updates.
        (
            APP,
            in_farm("WITH gone AS (DELETE FROM tasks) SELECT 1"),
            "protect/delete-many",
        ),
        (
            APP,
            in_farm("WITH done AS (UPDATE orders SET status = 'CANCELLED') SELECT 1"),
            "protect/update-many",
        ),
        (APP, in_farm("EXPLAIN ANALYZE DELETE FROM tasks"), "protect/delete-many"),
        (
            APP,
            in_farm("PREPARE wipe AS DELETE FROM tasks WHERE farm_id = $1; EXECUTE wipe(md5('farm:1')::uuid)"),
            "protect/delete-many",
        ),
        (
            SUPERUSER,
            "CREATE FUNCTION wipe() RETURNS void LANGUAGE sql AS 'DELETE FROM tasks'; SELECT wipe()".into(),
            "protect/delete-many",
        ),
        (
            SUPERUSER,
            // (Its owner's rule: a rule's action runs with the rights of
            // the table's owner, for whom row-level security holds.)
            "CREATE TABLE inbox (note text); CREATE RULE wipe AS ON INSERT TO inbox DO ALSO DELETE FROM tasks;
             INSERT INTO inbox VALUES ('wipe')"
                .into(),
            "protect/delete-many",
        ),
        (
            APP,
            in_farm("MERGE INTO orders o USING orders s ON o.id = s.id WHEN MATCHED THEN UPDATE SET status = 'CANCELLED'"),
            "protect/update-many",
        ),
        (
            APP,
            in_farm("INSERT INTO tasks SELECT * FROM tasks ON CONFLICT (farm_id, id) DO UPDATE SET title = 'x'"),
            "protect/update-many",
        ),
        // An UPDATE that moves rows to another partition, whose insert
        // there a row trigger drops: the rows are gone, the command tag
        // says UPDATE 0 (red team).
        (
            SUPERUSER,
            "CREATE TABLE parts (k int, n int) PARTITION BY LIST (k);
             CREATE TABLE parts_1 PARTITION OF parts FOR VALUES IN (1);
             CREATE TABLE parts_sink PARTITION OF parts FOR VALUES IN (999);
             INSERT INTO parts SELECT 1, g FROM generate_series(1, 5) g;
             CREATE FUNCTION swallow() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NULL; END$$;
             CREATE TRIGGER swallow BEFORE INSERT ON parts_sink FOR EACH ROW EXECUTE FUNCTION swallow();
             UPDATE parts SET k = 999"
                .into(),
            "protect/update-many",
        ),
        (
            APP,
            in_farm(
                "WITH up AS (INSERT INTO tasks SELECT * FROM tasks ON CONFLICT (farm_id, id) DO UPDATE SET title = 'x' RETURNING 1)
                 SELECT count(*) FROM up",
            ),
            "protect/update-many",
        ),
        (
            SUPERUSER,
            format!(
                "CREATE SCHEMA hijack;
                 CREATE FUNCTION hijack.yes(bigint, integer) RETURNS boolean LANGUAGE sql AS 'SELECT true';
                 CREATE OPERATOR hijack.<= (LEFTARG = bigint, RIGHTARG = integer, FUNCTION = hijack.yes);
                 CREATE FUNCTION hijack.zero(bigint, bigint) RETURNS bigint LANGUAGE sql AS 'SELECT 0::bigint';
                 CREATE OPERATOR hijack.+ (LEFTARG = bigint, RIGHTARG = bigint, FUNCTION = hijack.zero);
                 CREATE FUNCTION hijack.current_setting(text, boolean) RETURNS text LANGUAGE sql AS 'SELECT NULL::text';
                 CREATE FUNCTION hijack.split_part(text, text, integer) RETURNS text LANGUAGE sql AS $$SELECT '0'$$;
                 SET search_path = hijack, pg_catalog, public;
                 SELECT set_config('app.current_farm_id', {FARM}::text, false);
                 DELETE FROM tasks"
            ),
            "protect/delete-many",
        ),
        // The state before an ALTER TABLE is out of the statement's reach:
        // clearing the setting it once lived in changes nothing.
        (
            OWNER,
            "ALTER TABLE equipment ALTER COLUMN purchased_on TYPE integer USING (length(set_config('dbguard.ddl_before', '', true)))".into(),
            "protect/alter-column-type",
        ),
        (
            OWNER,
            "ALTER TABLE equipment DISABLE ROW LEVEL SECURITY, NO FORCE ROW LEVEL SECURITY,
               ALTER COLUMN kind TYPE text USING (kind || left(set_config('dbguard.ddl_before', '', true), 0))"
                .into(),
            "protect/disable-rls",
        ),
        (
            OWNER,
            "ALTER TABLE equipment DISABLE ROW LEVEL SECURITY,
               ADD CONSTRAINT clears_the_snapshot CHECK (length(set_config('dbguard.ddl_before', '', true)) = 0)"
                .into(),
            "protect/disable-rls",
        ),
        // An ALTER TABLE whose before-state was not taken is refused, not skipped.
        (
            SUPERUSER,
            "ALTER EVENT TRIGGER dbguard_ddl_start DISABLE; ALTER TABLE tasks ADD COLUMN unchecked text".into(),
            "protect/alter-unchecked",
        ),
        (OWNER, "ALTER TABLE tasks SET UNLOGGED".into(), "protect/set-unlogged"),
        (OWNER, "ALTER TABLE equipment ALTER COLUMN kind TYPE text USING 'x'".into(), "protect/rewrite-column"),
        (OWNER, "ALTER TABLE equipment ALTER COLUMN cost_cents TYPE integer USING 0".into(), "protect/rewrite-column"),
        (
            OWNER,
            "ALTER TABLE equipment ALTER COLUMN purchased_on SET DATA TYPE date USING NULL".into(),
            "protect/rewrite-column",
        ),
        (
            OWNER,
            "ALTER TABLE equipment ADD COLUMN drawn float8 DEFAULT random(), ALTER COLUMN kind TYPE text USING 'x'".into(),
            "protect/rewrite-column",
        ),
        (
            OWNER,
            "ALTER POLICY tenant_isolation ON tasks USING (true) WITH CHECK (true)".into(),
            "protect/loosen-policy",
        ),
        (
            OWNER,
            "CREATE POLICY open ON tasks FOR ALL TO farm_app USING (true) WITH CHECK (true)".into(),
            "protect/loosen-policy",
        ),
        // Out of the covered schemas, a table would be out of the guards' reach.
        (
            SUPERUSER,
            "CREATE SCHEMA away; ALTER TABLE tasks SET SCHEMA away".into(),
            "protect/leave-coverage",
        ),
        (SUPERUSER, "ALTER SCHEMA public RENAME TO away".into(), "protect/leave-coverage"),
        // Under a parent the guards do not cover, a guarded table's rows
        // are one DELETE of the parent away (its statement triggers fire,
        // the child's do not).
        (
            OWNER,
            "CREATE TABLE app.everything (LIKE public.equipment); ALTER TABLE public.equipment INHERIT app.everything; DELETE FROM app.everything".into(),
            "protect/leave-coverage",
        ),
        (
            OWNER,
            "CREATE TABLE app.nothing (); ALTER TABLE public.tasks INHERIT app.nothing".into(),
            "protect/leave-coverage",
        ),
        (
            SUPERUSER,
            "CREATE TABLE app.pp (LIKE public.growing_environments) PARTITION BY LIST (farm_id);
             ALTER TABLE app.pp ATTACH PARTITION public.growing_environments DEFAULT"
                .into(),
            "protect/leave-coverage",
        ),
        (
            OWNER,
            "CREATE TABLE app.base (note text); CREATE TABLE public.notes (id int) INHERITS (app.base)".into(),
            "protect/leave-coverage",
        ),
    ]
}

/// Deletes one task of the farm, the first or the last by id.
const FIRST_TASK: &str = "DELETE FROM tasks WHERE id = (SELECT id FROM tasks ORDER BY id LIMIT 1)";
const LAST_TASK: &str = "DELETE FROM tasks WHERE id = (SELECT id FROM tasks ORDER BY id DESC LIMIT 1)";

#[test]
fn psql_as_the_application_or_the_owner_is_refused_every_destructive_way() {
    refuses_every_destructive_way(&Fixture::new());
}

/// The rows of each command counted by the PL/pgSQL row guard (every
/// server but dbguard's own runs it): refused and passed as by the C one
/// the other tests meet.
#[test]
fn the_plpgsql_row_guard_refuses_and_passes_the_same() {
    let f = Fixture::unprotected();
    let installed = f.protect_with(Some(&f.approver), false);
    assert_eq!(installed.row_guard, RowGuard::PlPgSql);
    assert_eq!(
        protect::status(&mut f.db.client()).unwrap().row_guard,
        Some(RowGuard::PlPgSql)
    );
    refuses_every_destructive_way(&f);
    single_row_writes_pass(&f);
    cascades_count(&f);
}

/// The test server is dbguard's own (`dbguard_pg::local`), as `dbguard up`'s
/// is: it loads dbguard's C module, and protect counts rows with it.
#[test]
fn dbguards_own_server_counts_rows_in_c() {
    let f = Fixture::new();
    let installed = f.protect(Some(&f.approver));
    assert_eq!(
        (installed.row_guard, installed.native_unavailable.as_deref()),
        (RowGuard::C, None),
        "dbguard's own server must run the C row guard; dbguard-native builds it only where \
         PostgreSQL's server headers are installed (Debian: postgresql-server-dev-all, which cargo xtask setup installs)"
    );
    assert_eq!(
        protect::status(&mut f.db.client()).unwrap().row_guard,
        Some(RowGuard::C)
    );
    // Its running count is out of SQL's reach: emptying the PL/pgSQL
    // guard's setting between two single-row statements of one command
    // changes nothing.
    let (ok, stderr) = f.psql(
        APP,
        &in_farm(&format!(
            "DO $$ BEGIN {FIRST_TASK}; PERFORM set_config('dbguard.rows', '', true); {LAST_TASK}; END $$"
        )),
    );
    assert!(!ok && stderr.contains("protect/delete-many"), "{stderr}");
    // A session that did not load the module as it started (a superuser
    // can say so) loads it when a guard first fires, too late for the
    // command running: that command is refused, single row or not, and
    // the session's later ones are counted.
    let mut config = f.db.url.client_config().unwrap();
    config.options("-c session_preload_libraries=");
    let mut lazy = config.connect(postgres::NoTls).expect("connects");
    lazy.batch_execute(&format!(
        "SELECT set_config('app.current_farm_id', {FARM}::text, false)"
    ))
    .unwrap();
    let mut refused = |sql: &str| {
        let e = lazy.batch_execute(sql).expect_err(sql);
        e.as_db_error().expect("a refusal").message().to_string()
    };
    let one_in_with = format!("WITH gone AS ({FIRST_TASK}) SELECT 1");
    let message = refused(&one_in_with);
    assert!(message.contains("loaded while this command ran"), "{message}");
    let message = refused("WITH gone AS (DELETE FROM tasks) SELECT 1");
    assert!(message.contains("DELETE on public.tasks"), "{message}");
    let message = refused("DELETE FROM tasks");
    assert!(message.contains("DELETE on public.tasks"), "{message}");
    lazy.batch_execute(&one_in_with).unwrap();
    // protect status says which sessions load it late.
    assert!(protect::status(&mut lazy).unwrap().loaded_late);
    assert!(!protect::status(&mut f.db.client()).unwrap().loaded_late);
    // Declared for the C guard without its limit, a trigger refuses
    // rather than guess one.
    let mut client = f.db.client();
    client
        .batch_execute(
            "ALTER EVENT TRIGGER dbguard_ddl_end DISABLE;
             CREATE OR REPLACE TRIGGER dbguard_update BEFORE UPDATE ON tasks
               FOR EACH STATEMENT EXECUTE FUNCTION dbguard.guard_rows();
             ALTER EVENT TRIGGER dbguard_ddl_end ENABLE ALWAYS;",
        )
        .unwrap();
    let (ok, stderr) = f.psql(
        APP,
        &in_farm("UPDATE tasks SET title = title WHERE id = (SELECT id FROM tasks ORDER BY id LIMIT 1)"),
    );
    assert!(!ok && stderr.contains("has no row limit"), "{stderr}");
    let status = protect::status(&mut client).unwrap();
    assert_eq!(
        status.unprotected_tables,
        ["public.tasks"],
        "a changed guard is reported"
    );
    // So is a guarded table put under an unguarded parent while the event
    // triggers were off.
    client
        .batch_execute(
            "ALTER EVENT TRIGGER dbguard_ddl_end DISABLE;
             CREATE TABLE app.hidden (); ALTER TABLE public.equipment INHERIT app.hidden;
             ALTER EVENT TRIGGER dbguard_ddl_end ENABLE ALWAYS;",
        )
        .unwrap();
    let status = protect::status(&mut client).unwrap();
    assert_eq!(
        status.unprotected_tables,
        ["public.equipment", "public.tasks"],
        "a table under an unguarded parent is reported"
    );
}

fn refuses_every_destructive_way(f: &Fixture) {
    let before = f.counts();
    for (role, sql, rule) in destructive() {
        let (ok, stderr) = f.psql(role, &sql);
        assert!(!ok, "{sql} as {} ran on a protected database", role.name);
        assert!(
            stderr.contains("42501") && stderr.contains("dbguard refused") && stderr.contains(rule),
            "{sql}: expected a 42501 refusal under {rule}, got: {stderr}"
        );
        assert!(
            stderr.contains("A person must approve this operation"),
            "{sql}: the refusal says what a person must do: {stderr}"
        );
    }
    assert_eq!(f.counts(), before, "no row was lost");
    let mut client = f.db.client();
    let columns: i64 = client
        .query_one(
            "SELECT count(*) FROM information_schema.columns WHERE table_schema = 'public' AND table_name = 'tasks'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(columns, 10, "tasks keeps every column");
}

#[test]
fn single_row_writes_by_key_and_inserts_pass() {
    single_row_writes_pass(&Fixture::new());
}

fn single_row_writes_pass(f: &Fixture) {
    let before = f.counts();
    let count = |table: &str| before.iter().find(|(t, _)| t == table).unwrap().1;
    let ok = |role, sql: &str| {
        let (ok, stderr) = f.psql(role, sql);
        assert!(ok, "{sql}: {stderr}");
    };
    ok(APP, &in_farm("DELETE FROM tasks WHERE farm_id = md5('farm:1')::uuid AND id = (SELECT id FROM tasks ORDER BY id LIMIT 1)"));
    ok(
        APP,
        &in_farm(
            "UPDATE orders SET status = 'CANCELLED' WHERE id = (SELECT id FROM orders ORDER BY id LIMIT 1)",
        ),
    );
    ok(
        APP,
        &in_farm("UPDATE orders SET status = 'CANCELLED' WHERE id IS NULL"),
    );
    ok(
        APP,
        &in_farm(
            "INSERT INTO customers (farm_id, name) SELECT md5('farm:1')::uuid, 'Bulk ' || g FROM generate_series(1, 50) g",
        ),
    );
    ok(
        APP,
        &in_farm("WITH gone AS (DELETE FROM tasks WHERE id = (SELECT id FROM tasks ORDER BY id LIMIT 1) RETURNING 1) SELECT count(*) FROM gone"),
    );
    ok(
        APP,
        &in_farm(
            "INSERT INTO tasks SELECT * FROM tasks WHERE id = (SELECT id FROM tasks ORDER BY id LIMIT 1)
             ON CONFLICT (farm_id, id) DO UPDATE SET title = 'upserted'",
        ),
    );
    ok(
        APP,
        &in_farm(
            "MERGE INTO orders o USING (SELECT id FROM orders ORDER BY id LIMIT 1) s ON o.id = s.id
             WHEN MATCHED THEN UPDATE SET status = 'CANCELLED'",
        ),
    );
    // Tables out of the covered schemas are not counted.
    ok(
        SUPERUSER,
        "CREATE TABLE app.scratch AS SELECT generate_series(1, 5) AS n; DELETE FROM app.scratch; DROP TABLE app.scratch",
    );
    let after = f.counts();
    let now = |table: &str| after.iter().find(|(t, _)| t == table).unwrap().1;
    assert_eq!(now("tasks"), count("tasks") - 2);
    assert_eq!(now("customers"), count("customers") + 50);
    // Separate commands by key, one row each, pass.
    for _ in 0..3 {
        ok(
            APP,
            &in_farm("DELETE FROM tasks WHERE id = (SELECT id FROM tasks ORDER BY id LIMIT 1)"),
        );
    }
    assert_eq!(
        f.counts().iter().find(|(t, _)| t == "tasks").unwrap().1,
        count("tasks") - 5
    );
}

#[test]
fn a_cascade_counts_every_row_it_deletes() {
    cascades_count(&Fixture::new());
}

fn cascades_count(f: &Fixture) {
    let mut client = f.db.client();
    // A farm with one row in one other table: each statement touches one row,
    // the command two.
    client
        .batch_execute(
            "INSERT INTO farms (id, farm_name, owner_id) SELECT md5('farm:lonely')::uuid, 'Lonely', id FROM users LIMIT 1;
             INSERT INTO equipment (farm_id, name, kind) VALUES (md5('farm:lonely')::uuid, 'Shelf', 'RACK');",
        )
        .unwrap();
    let (ok, stderr) = f.psql(OWNER, "DELETE FROM farms WHERE id = md5('farm:lonely')::uuid");
    assert!(!ok && stderr.contains("protect/delete-many"), "{stderr}");
    assert!(stderr.contains("2 with the rows of the same command"), "{stderr}");
    // Without the dependent row, deleting the farm is one row and passes.
    client
        .batch_execute("DELETE FROM equipment WHERE farm_id = md5('farm:lonely')::uuid")
        .unwrap();
    let (ok, stderr) = f.psql(OWNER, "DELETE FROM farms WHERE id = md5('farm:lonely')::uuid");
    assert!(ok, "{stderr}");
}

#[test]
fn a_table_created_after_protect_is_guarded() {
    let f = Fixture::new();
    let (ok, stderr) = f.psql(
        OWNER,
        "CREATE TABLE later (id int PRIMARY KEY); INSERT INTO later SELECT generate_series(1, 3);
         CREATE TABLE later_as AS SELECT generate_series(1, 3) AS id;",
    );
    assert!(ok, "{stderr}");
    for sql in [
        "TRUNCATE later",
        "DELETE FROM later",
        "UPDATE later_as SET id = id + 10",
        "DROP TABLE later",
    ] {
        let (ok, stderr) = f.psql(OWNER, sql);
        assert!(!ok && stderr.contains("dbguard refused"), "{sql}: {stderr}");
    }
    let n: i64 =
        f.db.client()
            .query_one("SELECT count(*) FROM later", &[])
            .unwrap()
            .get(0);
    assert_eq!(n, 3);
    // Schema changes that lose nothing pass: a volatile default rewrites
    // the table but keeps every value; a new table's first policy and
    // restrictive policies only narrow; SET LOGGED makes a table safer.
    let (ok, stderr) = f.psql(
        OWNER,
        "ALTER TABLE later ADD COLUMN note text; CREATE INDEX later_note ON later (note); DROP INDEX later_note;
         ALTER TABLE later ADD COLUMN drawn float8 DEFAULT random();
         ALTER TABLE later ENABLE ROW LEVEL SECURITY;
         CREATE POLICY first ON later USING (true);
         CREATE POLICY narrower ON later AS RESTRICTIVE USING (id > 1);
         ALTER TABLE tasks ADD COLUMN drawn float8 DEFAULT random();
         CREATE POLICY narrower ON tasks AS RESTRICTIVE USING (title <> '');
         CREATE UNLOGGED TABLE scratch (id int); ALTER TABLE scratch SET LOGGED;",
    );
    assert!(ok, "{stderr}");
    let (ok, stderr) = f.psql(OWNER, "CREATE POLICY wider ON later USING (true)");
    assert!(!ok && stderr.contains("protect/loosen-policy"), "{stderr}");
}

#[test]
fn a_partition_is_guarded_when_named_directly() {
    let f = Fixture::new();
    let (ok, stderr) = f.psql(
        OWNER,
        "CREATE TABLE readings (id int, k int, PRIMARY KEY (k, id)) PARTITION BY RANGE (k);
         CREATE TABLE readings_low PARTITION OF readings FOR VALUES FROM (0) TO (100);
         CREATE TABLE readings_high (id int, k int, PRIMARY KEY (k, id));
         ALTER TABLE readings ATTACH PARTITION readings_high FOR VALUES FROM (100) TO (200);
         INSERT INTO readings SELECT g, g FROM generate_series(1, 150) g;",
    );
    assert!(ok, "{stderr}");
    for sql in [
        "DELETE FROM readings_low",
        "UPDATE readings_high SET id = id + 1000",
        "TRUNCATE readings_low",
        "TRUNCATE readings_high",
        "DELETE FROM readings",
        "ALTER TABLE readings DETACH PARTITION readings_low; DELETE FROM readings_low",
    ] {
        let (ok, stderr) = f.psql(OWNER, sql);
        assert!(!ok && stderr.contains("dbguard refused"), "{sql}: {stderr}");
    }
    let n: i64 =
        f.db.client()
            .query_one("SELECT count(*) FROM readings", &[])
            .unwrap()
            .get(0);
    assert_eq!(n, 150);
    let (ok, stderr) = f.psql(OWNER, "DELETE FROM readings_low WHERE k = 1 AND id = 1");
    assert!(ok, "{stderr}");
}

#[test]
fn an_alter_window_lets_its_holder_rewrite_and_change_policies() {
    let f = Fixture::new();
    let token =
        protect::open_window(f.state.path(), &f.db.url, &f.approver, &window(vec![Kind::Alter])).unwrap();
    let mut holder = f.connect(OWNER, Some(&protect::window_options(&token)));
    holder
        .batch_execute(
            "ALTER TABLE equipment ALTER COLUMN kind TYPE text USING upper(kind);
             ALTER TABLE quality_checks SET UNLOGGED;
             ALTER POLICY tenant_isolation ON tasks USING (farm_id IS NOT NULL);",
        )
        .expect("the window allows alter");
    let persistence: String =
        f.db.client()
            .query_one(
                "SELECT relpersistence::text FROM pg_class WHERE oid = 'quality_checks'::regclass",
                &[],
            )
            .unwrap()
            .get(0);
    assert_eq!(persistence, "u");
    // The window does not open anything else: TRUNCATE stays refused.
    let err = holder
        .batch_execute("TRUNCATE tasks")
        .expect_err("not in the window");
    assert_eq!(err.code(), Some(&SqlState::INSUFFICIENT_PRIVILEGE));
}

/// An ALTER TABLE run inside another one's USING expression has its own
/// before-state; the outer one is still judged against its own.
#[test]
fn a_nested_alter_table_does_not_hide_the_outer_one() {
    let f = Fixture::new();
    let (ok, stderr) = f.psql(
        SUPERUSER,
        "CREATE FUNCTION nested_alter() RETURNS text LANGUAGE plpgsql VOLATILE AS
           $$BEGIN EXECUTE 'ALTER TABLE tasks ADD COLUMN IF NOT EXISTS nested text'; RETURN 'x'; END$$;
         GRANT EXECUTE ON FUNCTION nested_alter() TO farm_owner;",
    );
    assert!(ok, "{stderr}");
    for sql in [
        "ALTER TABLE equipment DISABLE ROW LEVEL SECURITY, ALTER COLUMN kind TYPE text USING (kind || left(nested_alter(), 0))",
        "ALTER TABLE equipment DISABLE ROW LEVEL SECURITY, ADD CONSTRAINT nests CHECK (nested_alter() = 'x')",
    ] {
        let (ok, stderr) = f.psql(OWNER, sql);
        assert!(
            !ok && stderr.contains("42501") && stderr.contains("protect/disable-rls"),
            "{sql}: {stderr}"
        );
    }
    let rls: bool =
        f.db.client()
            .query_one(
                "SELECT relrowsecurity FROM pg_class WHERE oid = 'equipment'::regclass",
                &[],
            )
            .unwrap()
            .get(0);
    assert!(rls);
}

#[test]
fn the_rust_driver_is_refused_the_same_way() {
    let f = Fixture::new();
    let before = f.counts();
    let mut owner = f.connect(OWNER, None);
    let mut app = f.connect(APP, None);
    app.batch_execute(&in_farm("")).unwrap();
    let refused = |client: &mut postgres::Client, sql: &str| {
        let err = client.batch_execute(sql).expect_err(sql);
        assert_eq!(
            err.code(),
            Some(&SqlState::INSUFFICIENT_PRIVILEGE),
            "{sql}: {err:?}"
        );
    };
    refused(&mut owner, "TRUNCATE orders CASCADE");
    refused(&mut owner, "DROP TABLE order_items");
    refused(&mut app, "DELETE FROM order_items");
    refused(&mut app, "UPDATE seed_varieties SET price_cents_per_tray = 0");
    let farm: String = app
        .query_one(&format!("SELECT {FARM}::text"), &[])
        .unwrap()
        .get(0);
    let mut tx = app.transaction().unwrap();
    // Prisma's deleteMany in an interactive transaction, with a bind parameter: refused too.
    let err = tx
        .execute(
            "DELETE FROM inventory_items WHERE farm_id = $1::text::uuid",
            &[&farm],
        )
        .expect_err("deleteMany");
    assert_eq!(err.code(), Some(&SqlState::INSUFFICIENT_PRIVILEGE), "{err:?}");
    drop(tx);
    app.execute(
        "DELETE FROM tasks WHERE farm_id = md5('farm:1')::uuid AND id = (SELECT id FROM tasks ORDER BY id LIMIT 1)",
        &[],
    )
    .expect("one row by key passes");
    let after = f.counts();
    assert_eq!(after.len(), before.len());
    for ((table, was), (_, now)) in before.iter().zip(&after) {
        let expected = if table == "tasks" { was - 1 } else { *was };
        assert_eq!(*now, expected, "{table}");
    }
}

/// A procedure that commits between its statements is still one client
/// command: its rows add up across its transactions, for either guard.
#[test]
fn a_procedure_committing_between_deletes_is_one_command() {
    for native in [true, false] {
        let f = Fixture::unprotected();
        f.protect_with(Some(&f.approver), native);
        f.db.client()
            .batch_execute(&format!(
                "CREATE PROCEDURE two_commits() LANGUAGE plpgsql AS $$ BEGIN {FIRST_TASK}; COMMIT; {LAST_TASK}; COMMIT; END $$"
            ))
            .unwrap();
        let tasks = |f: &Fixture| f.counts().iter().find(|(t, _)| t == "tasks").unwrap().1;
        let before = tasks(&f);
        for command in [
            "CALL two_commits()".to_string(),
            format!("DO $$ BEGIN {FIRST_TASK}; COMMIT; {LAST_TASK}; END $$"),
        ] {
            let (ok, stderr) = f.psql(SUPERUSER, &command);
            assert!(
                !ok && stderr.contains("protect/delete-many"),
                "{command} (C guard: {native}): {stderr}"
            );
        }
        // Each first DELETE was committed before the second was refused:
        // one row per command, as the limit allows.
        assert_eq!(tasks(&f), before - 2, "C guard: {native}");
    }
}

/// Re-created as it was, a guard stays ENABLE ALWAYS: replica mode does
/// not switch it off, for either guard.
#[test]
fn a_guard_replaced_by_itself_stays_always_on() {
    for (native, timing) in [
        (true, "BEFORE DELETE ON tasks"),
        (
            false,
            "AFTER DELETE ON tasks REFERENCING OLD TABLE AS dbguard_old",
        ),
    ] {
        let f = Fixture::unprotected();
        f.protect_with(Some(&f.approver), native);
        let (ok, stderr) = f.psql(
            OWNER,
            &format!(
                "CREATE OR REPLACE TRIGGER dbguard_delete {timing} FOR EACH STATEMENT EXECUTE FUNCTION dbguard.guard_rows('1')"
            ),
        );
        assert!(ok, "C guard: {native}: {stderr}");
        let enabled: String = f
            .db
            .client()
            .query_one(
                "SELECT tgenabled::text FROM pg_trigger WHERE tgrelid = 'tasks'::regclass AND tgname = 'dbguard_delete'",
                &[],
            )
            .unwrap()
            .get(0);
        assert_eq!(enabled, "A", "C guard: {native}");
        let (ok, stderr) = f.psql(
            APP,
            &in_farm("SET session_replication_role = replica; DELETE FROM tasks"),
        );
        assert!(
            !ok && stderr.contains("protect/delete-many"),
            "C guard: {native}: {stderr}"
        );
    }
}

#[test]
fn separate_single_row_statements_of_one_transaction_pass() {
    // Prisma and the seed update rows one by one inside a transaction; each
    // statement is one command of its own.
    let f = Fixture::new();
    let mut app = f.connect(APP, None);
    let mut tx = app.transaction().unwrap();
    tx.execute(
        "SELECT set_config('app.current_farm_id', md5('farm:1')::text, true)",
        &[],
    )
    .unwrap();
    let ids: Vec<String> = tx
        .query("SELECT id::text FROM orders ORDER BY id LIMIT 5", &[])
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    for id in &ids {
        tx.execute(
            "UPDATE orders SET status = 'CONFIRMED' WHERE id = $1::text::uuid",
            &[id],
        )
        .expect("one row by key");
    }
    tx.commit().unwrap();
}

#[test]
fn node_postgres_is_refused() {
    let f = Fixture::new();
    let before = f.counts();
    let dir = node_pg();
    let script = r#"
const { Client } = require('pg');
(async () => {
  const results = {};
  const client = new Client({ connectionString: process.env.DB });
  await client.connect();
  await client.query("SELECT set_config('app.current_farm_id', md5('farm:1'), false)");
  for (const [name, sql] of [
    ['deleteMany', 'DELETE FROM tasks WHERE farm_id = $1'],
    ['updateMany', 'UPDATE orders SET status = $2 WHERE farm_id = $1'],
  ]) {
    try {
      const params = name === 'deleteMany' ? [process.env.FARM] : [process.env.FARM, 'CANCELLED'];
      await client.query(sql, params);
      results[name] = 'ran';
    } catch (e) { results[name] = e.code + ' ' + e.message; }
  }
  console.log(JSON.stringify(results));
  await client.end();
})().catch((e) => { console.error(e); process.exit(1); });
"#;
    let farm: String =
        f.db.client()
            .query_one("SELECT md5('farm:1')::uuid::text", &[])
            .unwrap()
            .get(0);
    let out = Command::new("node")
        .arg("-e")
        .arg(script)
        .env("NODE_PATH", dir.join("node_modules"))
        .env(
            "DB",
            format!(
                "postgresql://{}:{}@127.0.0.1:{}/{}",
                APP.name,
                APP.password,
                f.port(),
                f.db.name
            ),
        )
        .env("FARM", farm)
        .output()
        .expect("node runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let results: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for name in ["deleteMany", "updateMany"] {
        let text = results[name].as_str().unwrap();
        assert!(text.starts_with("42501 dbguard refused"), "{name}: {text}");
    }
    assert_eq!(f.counts(), before);
}

/// node-postgres, installed once into a folder kept between runs.
fn node_pg() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join("dbguard-test-node-pg");
    if dir.join("node_modules/pg/package.json").is_file() {
        return dir;
    }
    std::fs::create_dir_all(&dir).unwrap();
    let out = Command::new("npm")
        .args(["install", "--no-audit", "--no-fund", "--prefix"])
        .arg(&dir)
        .arg("pg@8")
        .output()
        .expect("npm runs (node 20 and npm are needed for this test)");
    assert!(
        out.status.success(),
        "npm could not install node-postgres (is the npm registry reachable?): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    dir
}

fn window(kinds: Vec<Kind>) -> WindowSpec {
    WindowSpec {
        approval_id: "test-approval".into(),
        kinds,
        tables: None,
        ttl: Duration::from_secs(600),
    }
}

#[test]
fn a_window_lets_its_holder_through_and_no_one_else() {
    let f = Fixture::new();
    let token = protect::open_window(
        f.state.path(),
        &f.db.url,
        &f.approver,
        &window(vec![Kind::Truncate]),
    )
    .expect("the approver opens a window");
    let options = protect::window_options(&token);
    assert!(!format!("{token:?}").contains(token.expose()));
    let mut holder = f.connect(OWNER, Some(&options));
    let mut thief = f.connect(OWNER, Some(&options));
    let mut other = f.connect(OWNER, None);
    holder
        .batch_execute("TRUNCATE quality_checks")
        .expect("the holder truncates");
    for (client, who) in [
        (&mut thief, "another session with the token"),
        (&mut other, "a session without it"),
    ] {
        let err = client.batch_execute("TRUNCATE tasks").expect_err(who);
        assert_eq!(err.code(), Some(&SqlState::INSUFFICIENT_PRIVILEGE), "{who}");
    }
    // The window covers TRUNCATE only.
    let err = holder
        .batch_execute("DROP TABLE tasks")
        .expect_err("drop is not in the window");
    assert_eq!(err.code(), Some(&SqlState::INSUFFICIENT_PRIVILEGE));
    assert!(
        protect::close_window(&f.url(APP), &token).unwrap(),
        "anyone with the token may close it"
    );
    let err = holder.batch_execute("TRUNCATE tasks").expect_err("closed");
    assert_eq!(err.code(), Some(&SqlState::INSUFFICIENT_PRIVILEGE));
    let n: i64 =
        f.db.client()
            .query_one("SELECT count(*) FROM tasks", &[])
            .unwrap()
            .get(0);
    assert!(n > 0);
}

#[test]
fn an_expired_window_opens_nothing_and_tables_limit_a_window() {
    let f = Fixture::new();
    let mut spec = window(vec![Kind::Delete]);
    spec.tables = Some(vec!["tasks".into()]);
    let token = protect::open_window(f.state.path(), &f.db.url, &f.approver, &spec).unwrap();
    let mut holder = f.connect(APP, Some(&protect::window_options(&token)));
    holder.batch_execute(&in_farm("")).unwrap();
    let err = holder
        .batch_execute("DELETE FROM equipment")
        .expect_err("not its table");
    assert_eq!(err.code(), Some(&SqlState::INSUFFICIENT_PRIVILEGE));
    f.db.client()
        .batch_execute(
            "UPDATE dbguard.windows SET opened_at = now() - interval '2 hours', expires_at = now() - interval '1 hour'",
        )
        .unwrap();
    let err = holder.batch_execute("DELETE FROM tasks").expect_err("expired");
    assert_eq!(err.code(), Some(&SqlState::INSUFFICIENT_PRIVILEGE));
    f.db.client()
        .batch_execute("UPDATE dbguard.windows SET expires_at = now() + interval '1 minute'")
        .unwrap();
    holder
        .batch_execute("DELETE FROM tasks")
        .expect("open again, its table");
}

#[test]
fn application_credentials_cannot_open_a_window() {
    let f = Fixture::new();
    for role in [APP, OWNER] {
        let mut client = f.connect(role, None);
        let err = client
            .batch_execute(
                "INSERT INTO dbguard.windows (approval_id, kinds, token_sha256, expires_at)
                 VALUES ('mine', ARRAY['truncate'], encode(sha256('forged'), 'hex'), now() + interval '1 hour')",
            )
            .expect_err("no insert into windows");
        assert_eq!(
            err.code(),
            Some(&SqlState::INSUFFICIENT_PRIVILEGE),
            "{}",
            role.name
        );
        for call in [
            "SELECT dbguard.window_allows('truncate', NULL)",
            "SELECT dbguard.refuse('x', 'y')",
            "SELECT dbguard.record('x', 'y')",
            "SELECT dbguard.ddl_snapshot(true)",
            "DELETE FROM dbguard.ddl_snapshots",
            "INSERT INTO dbguard.ddl_snapshots (backend_pid, xact, state) VALUES (pg_backend_pid(), pg_current_xact_id(), '{}')",
        ] {
            let err = client.batch_execute(call).expect_err(call);
            assert_eq!(err.code(), Some(&SqlState::INSUFFICIENT_PRIVILEGE), "{call}");
        }
    }
    // A forged token opens nothing.
    let mut forger = f.connect(OWNER, Some("-c dbguard.window=forged"));
    let err = forger.batch_execute("TRUNCATE tasks").expect_err("forged");
    assert_eq!(err.code(), Some(&SqlState::INSUFFICIENT_PRIVILEGE));
    // Another approver's key does not unseal the guard credential.
    let other = SigningKey::generate(&mut rand_core::OsRng);
    let err = protect::open_window(f.state.path(), &f.db.url, &other, &window(vec![Kind::Truncate]))
        .expect_err("another key");
    assert!(err.to_string().contains("not sealed to this approver"), "{err}");
}

#[test]
fn without_an_approver_no_window_can_be_opened() {
    let f = Fixture::unprotected();
    let installed = f.protect(None);
    assert!(installed.sealed.is_none());
    let err = protect::open_window(
        f.state.path(),
        &f.db.url,
        &f.approver,
        &window(vec![Kind::Truncate]),
    )
    .expect_err("no credential");
    assert!(err.to_string().contains("cannot be read"), "{err}");
    let can_login: Option<String> =
        f.db.client()
            .query_one(
                "SELECT rolpassword FROM pg_authid WHERE rolname = $1",
                &[&installed.guard_role],
            )
            .unwrap()
            .get(0);
    assert!(can_login.is_none(), "the guard role has no password");
}

#[test]
fn refusals_are_recorded_and_status_tells_the_state() {
    let f = Fixture::new();
    let (ok, _) = f.psql(OWNER, "TRUNCATE tasks");
    assert!(!ok);
    let (ok, _) = f.psql(APP, &in_farm("DELETE FROM tasks"));
    assert!(!ok);
    let mut client = f.db.client();
    let refusals = protect::refusals(&mut client, 10).unwrap();
    let rules: Vec<&str> = refusals.iter().map(|r| r.rule.as_str()).collect();
    assert_eq!(rules, ["protect/delete-many", "protect/truncate"], "{refusals:?}");
    assert_eq!(refusals[1].session_role.as_deref(), Some(OWNER.name));
    assert_eq!(refusals[0].session_role.as_deref(), Some(APP.name));
    assert!(refusals[1]
        .statement
        .as_deref()
        .unwrap()
        .contains("TRUNCATE tasks"));
    assert_eq!(refusals[1].client_addr.as_deref(), Some("127.0.0.1"));
    let status = protect::status(&mut client).unwrap();
    assert!(status.installed && status.recording);
    assert_eq!(status.unprotected_tables, Vec::<String>::new());
    assert_eq!(status.protected_tables, f.counts().len() as i64);
    assert!(
        status.event_triggers_off.is_empty(),
        "{:?}",
        status.event_triggers_off
    );
    assert!(status.current_is_superuser, "the test URL is a superuser's");
    assert!(status.drop_rights.superusers.contains(&status.current_role));
    // The application cannot read or write the refusals itself.
    let mut app = f.connect(APP, None);
    for sql in [
        "SELECT * FROM dbguard.refusals",
        "INSERT INTO dbguard.refusals (rule, detail) VALUES ('x', 'y')",
    ] {
        let err = app.batch_execute(sql).expect_err(sql);
        assert_eq!(err.code(), Some(&SqlState::INSUFFICIENT_PRIVILEGE), "{sql}");
    }
}

/// Protect run again with the other row guard (dbguard's server gaining
/// or losing its C module) puts every table's guards in that guard's form:
/// the C guard's BEFORE triggers, the PL/pgSQL guard's AFTER triggers with
/// their transition table; none is left in a form no guard counts.
#[test]
fn protect_again_switches_every_table_to_the_other_row_guard() {
    let f = Fixture::unprotected();
    for native in [false, true, false, true] {
        let installed = f.protect_with(Some(&f.approver), native);
        let mut client = f.db.client();
        let status = protect::status(&mut client).unwrap();
        assert_eq!(status.row_guard, Some(installed.row_guard));
        assert!(
            status.unprotected_tables.is_empty() && status.protected_tables > 0,
            "C guard: {native}: {:?}",
            status.unprotected_tables
        );
        let timings: Vec<bool> = client
            .query(
                "SELECT DISTINCT (tgtype & 2) = 2 FROM pg_trigger WHERE tgname IN ('dbguard_delete', 'dbguard_update')",
                &[],
            )
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect();
        assert_eq!(timings, [native], "BEFORE for the C guard, AFTER for PL/pgSQL");
        let (ok, stderr) = f.psql(APP, &in_farm("DELETE FROM tasks"));
        assert!(
            !ok && stderr.contains("protect/delete-many"),
            "C guard: {native}: {stderr}"
        );
    }
}

#[test]
fn protect_twice_changes_nothing_and_the_seed_still_runs() {
    let f = Fixture::new();
    let again = f.protect(Some(&f.approver));
    let first = protect::status(&mut f.db.client()).unwrap();
    assert_eq!(again.tables, first.protected_tables);
    // The seed inserts, and updates the new orders' totals one by key.
    let mut client = f.db.client();
    let inserted =
        dbguard_farm::seed::development(&mut client, dbguard_farm::seed::DevSize { farms: 3, scale: 1 })
            .expect("the seed runs on a protected database");
    assert!(inserted.total() > 0);
    let report = dbguard_farm::validate::validate(&mut client).unwrap();
    assert!(
        report.findings.is_empty() && report.failures.is_empty(),
        "{report:?}"
    );
    // A window opened before the re-protect still works with the new credential.
    protect::open_window(f.state.path(), &f.db.url, &f.approver, &window(vec![Kind::Drop])).unwrap();
    assert!(Path::new(&again.sealed.unwrap()).is_file());
}

#[test]
fn unprotect_removes_every_guard() {
    let f = Fixture::new();
    let installed = f.protect(Some(&f.approver));
    protect::unprotect(&mut f.db.client(), f.state.path()).unwrap();
    assert!(!installed.sealed.unwrap().exists());
    let (ok, stderr) = f.psql(OWNER, "TRUNCATE quality_checks");
    assert!(ok, "{stderr}");
    let status = protect::status(&mut f.db.client()).unwrap();
    assert!(!status.installed);
    // And protect again works.
    f.protect(None);
}
