//! The farm schema against a real server: it audits clean, every audit
//! check catches a table built to break it, and the tenant context isolates
//! farms — also with random operations interleaved on shared connections.

use dbguard_farm::accounts::UserTx;
use dbguard_farm::audit::audit;
use dbguard_farm::context::{ContextError, FarmTx};
use dbguard_testkit::TestDb;
use proptest::prelude::*;

mod common;
use common::{as_app, deployed, hash, password};

const F1: &str = "11111111-1111-1111-1111-111111111111";
const F2: &str = "22222222-2222-2222-2222-222222222222";
const F3: &str = "33333333-3333-3333-3333-333333333333";

/// A database with the farm schema and three farms, each with one member.
fn farm_db() -> TestDb {
    let db = deployed();
    db.client()
        .batch_execute(&format!(
            "INSERT INTO users (id, email, name, role, password_hash) VALUES ('u1', 'a@example.com', 'A', 'ADMIN', '{}'), ('u2', 'b@example.com', 'B', 'MANAGER', '{}'), ('u3', 'c@example.com', 'C', 'TEAM_MEMBER', '{}');
             INSERT INTO farms (id, farm_name, owner_id) VALUES ('{F1}', 'One', 'u1'), ('{F2}', 'Two', 'u2'), ('{F3}', 'Three', 'u3');
             INSERT INTO farm_users (farm_id, user_id, role) VALUES ('{F1}', 'u1', 'OWNER'), ('{F2}', 'u2', 'OWNER'), ('{F3}', 'u3', 'OWNER');
             INSERT INTO seed_varieties (farm_id, name, days_to_harvest) SELECT f, 'pea', 10 FROM unnest(ARRAY['{F1}', '{F2}', '{F3}']::uuid[]) f;
             INSERT INTO batches (farm_id, variety_id, trays, sown_at)
               SELECT v.farm_id, v.id, g, now() FROM seed_varieties v, generate_series(1, 3) g;",
            hash("u1"),
            hash("u2"),
            hash("u3"),
        ))
        .unwrap();
    db
}

/// Fails unless every `(object, check)` of `expect` is among the audit's findings.
fn assert_found(found: &[(String, &'static str)], expect: &[(&str, &str)]) {
    for (object, check) in expect {
        assert!(
            found.iter().any(|(o, c)| o == object && c == check),
            "{check} on {object} not found in {found:?}"
        );
    }
}

fn checks(db: &TestDb) -> Vec<(String, &'static str)> {
    audit(&mut db.client())
        .unwrap()
        .into_iter()
        .map(|f| (f.object, f.check))
        .collect()
}

#[test]
fn the_schema_audits_clean() {
    let db = farm_db();
    assert_eq!(checks(&db), Vec::<(String, &str)>::new());
}

/// The guard `dbguard protect` installs (schema `dbguard`: a config table
/// readable by everyone, superuser-owned SECURITY DEFINER functions) is
/// listed among what the application role reaches, not reported.
#[test]
fn the_guard_schema_is_listed_not_reported() {
    let db = farm_db();
    db.client()
        .batch_execute(
            "CREATE SCHEMA dbguard; GRANT USAGE ON SCHEMA dbguard TO PUBLIC;
             CREATE TABLE dbguard.config (key text, value text); GRANT SELECT ON dbguard.config TO PUBLIC;
             CREATE FUNCTION dbguard.close_window(text) RETURNS void SECURITY DEFINER SET search_path = pg_catalog, pg_temp
               LANGUAGE sql AS 'SELECT NULL::void';",
        )
        .unwrap();
    assert_eq!(checks(&db), Vec::<(String, &str)>::new());
    let reach = dbguard_farm::reach::reachable(&mut db.client()).unwrap();
    assert!(reach.iter().any(|r| r.object == "dbguard.config"));
    assert!(reach.iter().any(|r| r.object == "dbguard.close_window(text)"));
}

#[test]
fn every_check_catches_a_table_built_to_break_it() {
    let db = farm_db();
    db.client()
        .batch_execute(
            "CREATE TABLE notes (id int);
             CREATE TABLE leaky (farm_id uuid, x int);
             CREATE POLICY anyone ON tasks AS PERMISSIVE FOR ALL TO farm_app USING (true);
             CREATE TABLE half (farm_id uuid NOT NULL REFERENCES farms ON DELETE CASCADE, id int, PRIMARY KEY (farm_id, id));
             ALTER TABLE half ENABLE ROW LEVEL SECURITY; ALTER TABLE half FORCE ROW LEVEL SECURITY;
             CREATE POLICY read_only ON half FOR SELECT TO farm_app USING (farm_id = NULLIF((SELECT current_setting('app.current_farm_id', true)), '')::uuid);
             CREATE UNIQUE INDEX customers_email_global ON customers (email);
             ALTER TABLE batches ADD CONSTRAINT batches_id_key UNIQUE (id);
             CREATE TABLE labels (farm_id uuid NOT NULL REFERENCES farms ON DELETE CASCADE, id int, batch_id uuid REFERENCES batches (id), made_by text REFERENCES users (id), PRIMARY KEY (farm_id, id));
             ALTER TABLE labels ENABLE ROW LEVEL SECURITY; ALTER TABLE labels FORCE ROW LEVEL SECURITY;
             CREATE POLICY tenant_isolation ON labels FOR ALL TO farm_app
               USING (farm_id = NULLIF((SELECT current_setting('app.current_farm_id', true)), '')::uuid)
               WITH CHECK (farm_id = NULLIF((SELECT current_setting('app.current_farm_id', true)), '')::uuid);
             GRANT TRUNCATE, REFERENCES ON equipment TO farm_app;
             ALTER TABLE inventory_items NO FORCE ROW LEVEL SECURITY;
             ALTER TABLE growing_environments OWNER TO farm_app;
             CREATE VIEW open_tasks AS SELECT * FROM tasks WHERE status = 'OPEN';
             CREATE MATERIALIZED VIEW batch_counts AS SELECT farm_id, count(*) FROM batches GROUP BY farm_id;",
        )
        .unwrap();
    let found = checks(&db);
    let expect = [
        ("notes", "no-farm-id"),
        ("leaky", "nullable-farm-id"),
        ("leaky", "no-cascading-farm-reference"),
        ("leaky", "rls-disabled"),
        ("leaky", "rls-not-forced"),
        ("leaky", "no-policy"),
        ("leaky", "no-farm-index"),
        ("leaky", "rls-inactive-for-app"),
        ("tasks", "extra-permissive-policy"),
        ("tasks", "policy-using-not-on-farm-context"),
        ("half", "policy-not-for-all"),
        ("half", "policy-check-not-on-farm-context"),
        ("customers", "unique-without-farm-id"),
        ("labels", "single-column-tenant-reference"),
        ("labels", "user-reference-outside-farm"),
        ("equipment", "app-can-truncate"),
        ("equipment", "app-can-reference"),
        ("inventory_items", "rls-not-forced"),
        ("growing_environments", "app-role-owns-table"),
        ("open_tasks", "view-without-security-invoker"),
        ("batch_counts", "materialized-view-with-tenant-data"),
    ];
    assert_found(&found, &expect);
}

/// Issue 14, item 2: the audit covers everything the application role can
/// reach — shared tables, other schemas, views, materialized views,
/// sequences, functions — not only the tables with `farm_id`.
#[test]
fn the_audit_reports_every_hole_the_app_role_can_reach() {
    let db = farm_db();
    db.client()
        .batch_execute(
            "CREATE SCHEMA reports; GRANT USAGE ON SCHEMA reports TO farm_app;
             CREATE TABLE reports.totals (farm_id uuid, total int); GRANT SELECT ON reports.totals TO farm_app;
             CREATE VIEW reports.people AS SELECT id, email FROM users; GRANT SELECT ON reports.people TO farm_app;
             CREATE MATERIALIZED VIEW reports.emails AS SELECT email FROM users; GRANT SELECT ON reports.emails TO farm_app;
             CREATE SEQUENCE reports.ticket; GRANT USAGE ON SEQUENCE reports.ticket TO farm_app;
             ALTER TABLE farms DISABLE ROW LEVEL SECURITY;
             ALTER TABLE users NO FORCE ROW LEVEL SECURITY;
             CREATE POLICY everyone ON users FOR SELECT TO farm_app USING (true);
             GRANT SELECT (password_hash) ON users TO farm_app;
             GRANT TRUNCATE ON farm_users TO farm_app;
             CREATE FUNCTION public.peek() RETURNS SETOF text SECURITY DEFINER LANGUAGE sql AS 'SELECT email FROM users';
             CREATE SCHEMA scratch; GRANT USAGE, CREATE ON SCHEMA scratch TO farm_app;
             SET ROLE farm_owner;
             CREATE FUNCTION app.count_members() RETURNS bigint SECURITY DEFINER SET search_path = pg_catalog, public
               LANGUAGE sql AS 'SELECT count(*) FROM farm_users';
             CREATE FUNCTION app.shadowed() RETURNS bigint SECURITY DEFINER SET search_path = scratch, pg_catalog, public, pg_temp
               LANGUAGE sql AS 'SELECT count(*) FROM farm_users';
             GRANT EXECUTE ON FUNCTION app.count_members(), app.shadowed() TO farm_app;
             RESET ROLE;",
        )
        .unwrap();
    let found = checks(&db);
    let expect = [
        ("reports.totals", "reachable-without-rls"),
        ("reports.totals", "rls-inactive-for-app"),
        ("reports.people", "view-without-security-invoker"),
        ("reports.emails", "reachable-without-rls"),
        ("farms", "reachable-without-rls"),
        ("users", "rls-not-forced"),
        ("users", "policy-not-on-farm-context"),
        ("users", "secret-column-readable"),
        ("farm_users", "app-can-truncate"),
        ("peek()", "definer-without-search-path"),
        ("peek()", "definer-owner-bypasses-rls"),
        ("app.count_members()", "definer-search-path-pg-temp"),
        ("app.shadowed()", "definer-search-path-writable"),
    ];
    assert_found(&found, &expect);
    assert!(
        !found.iter().any(|(object, _)| object == "reports.ticket"),
        "a sequence is fine to use: {found:?}"
    );
    let reach = dbguard_farm::reach::reachable(&mut db.client()).unwrap();
    let kind_of = |object: &str| reach.iter().find(|r| r.object == object).map(|r| r.kind);
    assert_eq!(kind_of("reports.ticket"), Some("sequence"), "but it is listed");
    assert_eq!(
        kind_of("app.sign_in(text,text)"),
        Some("security definer function")
    );
    assert_eq!(kind_of("users"), Some("table"));
}

#[test]
fn the_context_shows_one_farm_and_never_outlives_its_transaction() {
    let db = farm_db();
    let mut client = as_app(&db);
    let count = |c: &mut postgres::Client| -> i64 {
        c.query_one("SELECT count(*) FROM batches", &[]).unwrap().get(0)
    };
    assert_eq!(count(&mut client), 0, "no farm set: no rows");
    {
        let mut tx = FarmTx::begin(&mut client, F1, "u1").unwrap();
        let rows = tx.rows("batches").unwrap();
        assert_eq!(rows.len(), 3);
        assert!(rows.iter().all(|r| r["farm_id"] == F1));
        let variety = tx.rows("seed_varieties").unwrap()[0]["id"]
            .as_str()
            .unwrap()
            .to_string();
        let new = tx
            .insert(
                "batches",
                &serde_json::json!({"variety_id": variety, "trays": 4, "sown_at": "2026-01-01T00:00:00Z"}),
            )
            .unwrap();
        assert_eq!(new["farm_id"], F1);
        tx.commit().unwrap();
    }
    {
        // Writing into another farm is refused by WITH CHECK, and the transaction rolls back.
        let mut tx = FarmTx::begin(&mut client, F1, "u1").unwrap();
        tx.client().execute("DELETE FROM batches", &[]).unwrap();
        let other = tx.client().execute(
            &format!("INSERT INTO customers (farm_id, name) VALUES ('{F2}', 'intruder')"),
            &[],
        );
        let err = dbguard_farm::context::ContextError::from(other.unwrap_err()).to_string();
        assert!(err.contains("row-level security"), "{err}");
        let _ = tx.commit();
    }
    let f1_batches: i64 = db
        .client()
        .query_one(
            &format!("SELECT count(*) FROM batches WHERE farm_id = '{F1}'"),
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(f1_batches, 4, "the failed transaction changed nothing");
    let f2_batches: i64 = db
        .client()
        .query_one(
            &format!("SELECT count(*) FROM batches WHERE farm_id = '{F2}'"),
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(f2_batches, 3);
    assert_eq!(count(&mut client), 0, "the context ended with the transaction");
    let setting: Option<String> = client
        .query_one("SELECT current_setting('app.current_farm_id', true)", &[])
        .unwrap()
        .get(0);
    assert!(setting.unwrap_or_default().is_empty());

    assert!(matches!(
        FarmTx::begin(&mut client, F2, "u1"),
        Err(ContextError::NotMember { .. })
    ));
    assert!(
        client.execute("TRUNCATE batches", &[]).is_err(),
        "the application cannot TRUNCATE"
    );
}

/// As the superuser: a value from `farms` or `users`, to see what an attack changed.
fn scalar(db: &TestDb, sql: &str) -> String {
    db.client().query_one(sql, &[]).unwrap().get(0)
}

/// The attacks of issue 14, item 1, from farm one's context and from no
/// context: none reads farm two's user or any hash, renames farm two,
/// takes over farm two's user, or creates a farm for someone else.
#[test]
fn farms_and_users_are_out_of_reach_of_other_farms() {
    let db = farm_db();
    let mut client = as_app(&db);
    let visible = |c: &mut postgres::Transaction, sql: &str| -> i64 { c.query_one(sql, &[]).unwrap().get(0) };
    let mut tx = FarmTx::begin(&mut client, F1, "u1").unwrap();
    let c = tx.client();
    assert_eq!(
        visible(c, "SELECT count(*) FROM users WHERE id = 'u2'"),
        0,
        "farm two's user is visible"
    );
    assert_eq!(
        visible(c, "SELECT count(*) FROM users"),
        1,
        "only farm one's member"
    );
    assert_eq!(
        visible(c, &format!("SELECT count(*) FROM farms WHERE id <> '{F1}'")),
        0,
        "another farm is visible"
    );
    assert_eq!(visible(c, "SELECT count(*) FROM farms"), 1);
    assert_eq!(
        visible(c, "SELECT count(*) FROM farm_users"),
        1,
        "only farm one's memberships"
    );
    let attacks = [
        "SELECT password_hash FROM users".to_string(),
        "SELECT password_hash FROM users WHERE id = 'u1'".to_string(),
        "SELECT row_to_json(u)::text FROM users u".to_string(),
        format!("UPDATE farms SET farm_name = 'pwned' WHERE id = '{F2}'"),
        "UPDATE users SET email = 'attacker@evil.example' WHERE id = 'u2'".to_string(),
        "UPDATE users SET password_hash = 'x' WHERE id = 'u2'".to_string(),
        "UPDATE users SET email = 'attacker@evil.example' WHERE id = 'u1'".to_string(),
        "UPDATE users SET role = 'ADMIN' WHERE id = 'u1'".to_string(),
        "INSERT INTO farms (farm_name, owner_id) VALUES ('mine', 'u2')".to_string(),
        "INSERT INTO users (id, email, name) VALUES ('evil', 'evil@example.com', 'Evil')".to_string(),
        format!("INSERT INTO farm_users (farm_id, user_id, role) VALUES ('{F1}', 'u2', 'TEAM_MEMBER')"),
        "UPDATE farm_users SET user_id = 'u2'".to_string(),
        format!("DELETE FROM farms WHERE id = '{F2}'"),
    ];
    for (i, attack) in attacks.iter().enumerate() {
        c.batch_execute(&format!("SAVEPOINT a{i}")).unwrap();
        match c.execute(attack.as_str(), &[]) {
            Err(_) | Ok(0) => {}
            Ok(n) => panic!("{attack}: {n} row(s)"),
        }
        c.batch_execute(&format!("ROLLBACK TO SAVEPOINT a{i}")).unwrap();
    }
    tx.commit().unwrap();
    // No context at all: nothing.
    for table in ["users", "farms", "farm_users"] {
        let n: i64 = client
            .query_one(&format!("SELECT count(*) FROM {table}"), &[])
            .unwrap()
            .get(0);
        assert_eq!(n, 0, "{table} without a farm context");
    }
    assert!(client.query("SELECT password_hash FROM users", &[]).is_err());
    assert!(client
        .execute(
            &format!("UPDATE farms SET farm_name = 'pwned' WHERE id = '{F2}'"),
            &[]
        )
        .map_or(true, |n| n == 0));
    assert_eq!(
        scalar(&db, &format!("SELECT farm_name FROM farms WHERE id = '{F2}'")),
        "Two"
    );
    assert_eq!(
        scalar(
            &db,
            "SELECT email || ' ' || left(password_hash, 4) FROM users WHERE id = 'u2'"
        ),
        "b@example.com $2b$"
    );
    assert_eq!(scalar(&db, "SELECT count(*)::text FROM farms"), "3");
    assert_eq!(
        scalar(
            &db,
            "SELECT string_agg(user_id, ',' ORDER BY user_id) FROM farm_users"
        ),
        "u1,u2,u3"
    );
}

#[test]
fn a_row_cannot_point_into_another_farm() {
    let db = farm_db();
    let mut client = as_app(&db);
    let f2_variety: String = db
        .client()
        .query_one(
            &format!("SELECT id::text FROM seed_varieties WHERE farm_id = '{F2}'"),
            &[],
        )
        .unwrap()
        .get(0);
    let mut tx = FarmTx::begin(&mut client, F1, "u1").unwrap();
    let err = tx
        .insert(
            "batches",
            &serde_json::json!({"variety_id": f2_variety, "trays": 1, "sown_at": "2026-01-01T00:00:00Z"}),
        )
        .unwrap_err();
    assert!(err.to_string().contains("foreign key"), "{err}");
}

/// Issue 14, item 3: a task's assignee and a quality check's checker are
/// members of the row's farm; removing a member clears them.
#[test]
fn references_to_users_point_at_members_of_the_same_farm() {
    let db = farm_db();
    let mut client = as_app(&db);
    let mut tx = FarmTx::begin(&mut client, F1, "u1").unwrap();
    let batch = tx.rows("batches").unwrap()[0]["id"].as_str().unwrap().to_string();
    let attempts = [
        "INSERT INTO tasks (farm_id, title, assignee_id) VALUES ($1::text::uuid, 'work for another farm', 'u2')".to_string(),
        format!("INSERT INTO quality_checks (farm_id, batch_id, score, checked_by) VALUES ($1::text::uuid, '{batch}', 3, 'u2')"),
    ];
    for (i, sql) in attempts.iter().enumerate() {
        tx.client().batch_execute(&format!("SAVEPOINT s{i}")).unwrap();
        let err = tx.client().execute(sql.as_str(), &[&F1]).map(|_| ()).unwrap_err();
        assert!(
            ContextError::from(err).to_string().contains("foreign key"),
            "{sql}"
        );
        tx.client()
            .batch_execute(&format!("ROLLBACK TO SAVEPOINT s{i}"))
            .unwrap();
    }
    tx.client()
        .execute(
            "INSERT INTO tasks (farm_id, title, assignee_id) VALUES ($1::text::uuid, 'own work', 'u1')",
            &[&F1],
        )
        .unwrap();
    tx.client()
        .execute(
            &format!("INSERT INTO quality_checks (farm_id, batch_id, score, checked_by) VALUES ($1::text::uuid, '{batch}', 4, 'u1')"),
            &[&F1],
        )
        .unwrap();
    tx.commit().unwrap();
    // u1 leaves farm one: the task and the check stay, with no one on them.
    let mut admin = db.client();
    admin
        .execute(
            "DELETE FROM farm_users WHERE farm_id = $1::text::uuid AND user_id = 'u1'",
            &[&F1],
        )
        .unwrap();
    let left: (i64, i64) = {
        let r = admin
            .query_one(
                "SELECT (SELECT count(*) FROM tasks WHERE title = 'own work' AND assignee_id IS NULL),
                        (SELECT count(*) FROM quality_checks WHERE score = 4 AND checked_by IS NULL)",
                &[],
            )
            .unwrap();
        (r.get(0), r.get(1))
    };
    assert_eq!(left, (1, 1));
    // A user still assigned somewhere is not deleted (the older reference to
    // users, kept, refuses it as before); removed from the farm first, they are.
    admin
        .batch_execute(&format!(
            "INSERT INTO farm_users (farm_id, user_id, role) VALUES ('{F1}', 'u3', 'TEAM_MEMBER');
             INSERT INTO tasks (farm_id, title, assignee_id) VALUES ('{F1}', 'for u3', 'u3');"
        ))
        .unwrap();
    let refused =
        admin.batch_execute("DELETE FROM farms WHERE owner_id = 'u3'; DELETE FROM users WHERE id = 'u3'");
    assert!(refused.is_err(), "an assigned user was deleted");
    admin
        .batch_execute(&format!(
            "DELETE FROM farm_users WHERE farm_id = '{F1}' AND user_id = 'u3';
             DELETE FROM farms WHERE owner_id = 'u3'; DELETE FROM users WHERE id = 'u3';"
        ))
        .unwrap();
    assert_eq!(
        scalar(
            &db,
            "SELECT count(*)::text FROM tasks WHERE title = 'for u3' AND assignee_id IS NULL"
        ),
        "1"
    );
    // Deleting a farm still cascades through memberships and tasks alike.
    admin
        .execute("DELETE FROM farms WHERE id = $1::text::uuid", &[&F1])
        .unwrap();
}

#[test]
fn typed_records_round_trip_within_their_farm() {
    use dbguard_farm::records::*;
    let db = farm_db();
    let mut client = as_app(&db);
    let sown: chrono::DateTime<chrono::Utc> = "2026-03-01T08:30:00Z".parse().unwrap();
    let mut tx = FarmTx::begin(&mut client, F1, "u1").unwrap();
    let variety = tx
        .add(&SeedVariety {
            id: None,
            name: "radish".into(),
            days_to_harvest: 8,
            seed_grams_per_tray: 30,
            price_cents_per_tray: 450,
        })
        .unwrap();
    let variety_id = variety.id.expect("the database gives the id");
    let batch = tx
        .add(&Batch {
            id: None,
            variety_id,
            environment_id: None,
            status: None,
            trays: 4,
            sown_at: sown,
            harvested_at: None,
            yield_grams: None,
        })
        .unwrap();
    assert_eq!(
        batch.status,
        Some(BatchStatus::Growing),
        "the column default comes back"
    );
    assert_eq!(batch.sown_at, sown);
    let customer = tx
        .add(&Customer {
            id: None,
            name: "Bistro".into(),
            email: Some("chef@bistro.example".into()),
        })
        .unwrap();
    let order = tx
        .add(&Order {
            id: None,
            customer_id: customer.id.unwrap(),
            status: Some(OrderStatus::Confirmed),
            delivery_date: Some("2026-03-09".parse().unwrap()),
            total_cents: 1800,
        })
        .unwrap();
    tx.add(&OrderItem {
        id: None,
        order_id: order.id.unwrap(),
        variety_id,
        quantity: 4,
        unit_price_cents: 450,
    })
    .unwrap();
    tx.add(&Task {
        id: None,
        title: "harvest".into(),
        assignee_id: Some("u1".into()),
        batch_id: batch.id,
        status: None,
        due_at: Some(sown),
    })
    .unwrap();
    assert_eq!(
        tx.list::<SeedVariety>().unwrap().len(),
        2,
        "pea from the fixture and radish"
    );
    assert_eq!(tx.list::<Batch>().unwrap().len(), 4);
    assert_eq!(tx.list::<Order>().unwrap(), std::slice::from_ref(&order));
    assert_eq!(tx.list::<Task>().unwrap()[0].status, Some(TaskStatus::Open));
    tx.commit().unwrap();

    let mut tx = FarmTx::begin(&mut client, F2, "u2").unwrap();
    assert!(
        tx.list::<Order>().unwrap().is_empty(),
        "farm two sees none of farm one's orders"
    );
    assert!(tx.list::<Customer>().unwrap().is_empty());
    let err = tx
        .add(&Order {
            id: None,
            customer_id: customer.id.unwrap(),
            status: None,
            delivery_date: None,
            total_cents: 0,
        })
        .unwrap_err();
    assert!(matches!(err, ContextError::Database(_)), "{err}");
}

/// Who acts in an operation: the farm's owner half of the time, else any of the four users.
fn actor(farm: usize, pick: usize) -> usize {
    if pick < 4 {
        farm
    } else {
        pick - 4
    }
}

#[derive(Debug, Clone)]
enum Op {
    Read {
        conn: usize,
        farm: usize,
    },
    Insert {
        conn: usize,
        farm: usize,
    },
    InsertElsewhere {
        conn: usize,
        farm: usize,
        target: usize,
    },
    NoContextRead {
        conn: usize,
    },
    NoContextWrite {
        conn: usize,
        farm: usize,
    },
    CrossReference {
        conn: usize,
        farm: usize,
        target: usize,
    },
    Truncate {
        conn: usize,
        farm: usize,
    },
    NotMember {
        conn: usize,
        farm: usize,
        who: usize,
    },
    ReadShared {
        conn: usize,
        farm: usize,
        who: usize,
    },
    TamperElsewhere {
        conn: usize,
        farm: usize,
        who: usize,
        target_farm: usize,
        target_user: usize,
    },
    SignIn {
        conn: usize,
        user: usize,
        correct: bool,
    },
    CreateFarm {
        conn: usize,
        who: usize,
        for_other: usize,
    },
    AddMember {
        conn: usize,
        farm: usize,
        who: usize,
        target: usize,
    },
    ForgeMembership {
        conn: usize,
        farm: usize,
        who: usize,
        target: usize,
    },
    Assign {
        conn: usize,
        farm: usize,
        who: usize,
        target: usize,
    },
}

fn op() -> impl Strategy<Value = Op> {
    let other = |farm: usize, d: usize| (farm + d) % 3;
    prop_oneof![
        (0..3usize, 0..3usize).prop_map(|(conn, farm)| Op::Read { conn, farm }),
        (0..3usize, 0..3usize).prop_map(|(conn, farm)| Op::Insert { conn, farm }),
        (0..3usize, 0..3usize, 1..3usize).prop_map(move |(conn, farm, d)| Op::InsertElsewhere {
            conn,
            farm,
            target: other(farm, d)
        }),
        (0..3usize).prop_map(|conn| Op::NoContextRead { conn }),
        (0..3usize, 0..3usize).prop_map(|(conn, farm)| Op::NoContextWrite { conn, farm }),
        (0..3usize, 0..3usize, 1..3usize).prop_map(move |(conn, farm, d)| Op::CrossReference {
            conn,
            farm,
            target: other(farm, d)
        }),
        (0..3usize, 0..3usize).prop_map(|(conn, farm)| Op::Truncate { conn, farm }),
        (0..3usize, 0..3usize, 0..4usize).prop_map(|(conn, farm, who)| Op::NotMember { conn, farm, who }),
        (0..3usize, 0..3usize, 0..8usize).prop_map(|(conn, farm, pick)| Op::ReadShared {
            conn,
            farm,
            who: actor(farm, pick)
        }),
        (0..3usize, 0..3usize, 0..8usize, 1..3usize, 0..4usize).prop_map(
            move |(conn, farm, pick, d, target_user)| {
                Op::TamperElsewhere {
                    conn,
                    farm,
                    who: actor(farm, pick),
                    target_farm: other(farm, d),
                    target_user,
                }
            }
        ),
        (0..3usize, 0..4usize, any::<bool>()).prop_map(|(conn, user, correct)| Op::SignIn {
            conn,
            user,
            correct
        }),
        (0..3usize, 0..4usize, 0..4usize).prop_map(|(conn, who, for_other)| Op::CreateFarm {
            conn,
            who,
            for_other
        }),
        (0..3usize, 0..3usize, 0..8usize, 0..4usize).prop_map(|(conn, farm, pick, target)| Op::AddMember {
            conn,
            farm,
            who: actor(farm, pick),
            target
        }),
        (0..3usize, 0..3usize, 0..8usize, 0..4usize).prop_map(|(conn, farm, pick, target)| {
            Op::ForgeMembership {
                conn,
                farm,
                who: actor(farm, pick),
                target,
            }
        }),
        (0..3usize, 0..3usize, 0..8usize, 0..4usize).prop_map(|(conn, farm, pick, target)| Op::Assign {
            conn,
            farm,
            who: actor(farm, pick),
            target
        }),
    ]
}

/// `sql` under a savepoint, rolled back: whatever it did is undone, its outcome returned.
fn attempt(tx: &mut postgres::Transaction, sql: &str) -> Result<u64, postgres::Error> {
    tx.batch_execute("SAVEPOINT attempt").unwrap();
    let outcome = tx.execute(sql, &[]);
    tx.batch_execute("ROLLBACK TO SAVEPOINT attempt").unwrap();
    outcome
}

/// What the database must hold: each farm's members and their roles, and
/// how many farms each user created.
struct Model {
    members: [std::collections::BTreeMap<usize, &'static str>; 3],
    created: [usize; 4],
}

impl Model {
    fn role(&self, farm: usize, user: usize) -> Option<&'static str> {
        self.members[farm].get(&user).copied()
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]

    /// Random operations for three farms and four users (u4 belongs to no
    /// farm), interleaved on three shared connections of the application
    /// role: every read returns exactly the context farm's rows, members and
    /// farm; writes and references into another farm fail; no context sees
    /// and changes nothing; TRUNCATE is denied; no password hash is ever
    /// readable; sign-in succeeds only with the right password; nobody
    /// creates a farm for someone else, renames another farm, changes
    /// another user, forges a membership or adds members without the right;
    /// tasks go only to members; strangers get no context.
    #[test]
    fn interleaved_operations_never_cross_farms(ops in proptest::collection::vec(op(), 1..250)) {
        let db = farm_db();
        db.client()
            .execute(
                "INSERT INTO users (id, email, name, role, password_hash) VALUES ('u4', 'd@example.com', 'D', 'TEAM_MEMBER', $1)",
                &[&hash("u4")],
            )
            .unwrap();
        let farms = [F1, F2, F3];
        let users = ["u1", "u2", "u3", "u4"];
        let emails = ["a@example.com", "b@example.com", "c@example.com", "d@example.com"];
        let credentials = scalar(&db, "SELECT string_agg(id || email || name || role || password_hash, ',' ORDER BY id) FROM users");
        let mut model = Model {
            members: [0, 1, 2].map(|f| [(f, "OWNER")].into_iter().collect()),
            created: [0; 4],
        };
        let mut conns: Vec<postgres::Client> = (0..3).map(|_| as_app(&db)).collect();
        let mut expected = [3i64, 3, 3];
        let ids: Vec<String> = farms
            .iter()
            .map(|f| db.client().query_one("SELECT id::text FROM seed_varieties WHERE farm_id = $1::text::uuid", &[f]).unwrap().get(0))
            .collect();
        let variety_ids: Vec<&str> = ids.iter().map(String::as_str).collect();
        for op in ops {
            match op {
                Op::Read { conn, farm } => {
                    let mut tx = FarmTx::begin(&mut conns[conn], farms[farm], users[farm]).unwrap();
                    let rows = tx.rows("batches").unwrap();
                    prop_assert_eq!(rows.len() as i64, expected[farm]);
                    prop_assert!(rows.iter().all(|r| r["farm_id"] == farms[farm]));
                    tx.commit().unwrap();
                }
                Op::Insert { conn, farm } => {
                    let mut tx = FarmTx::begin(&mut conns[conn], farms[farm], users[farm]).unwrap();
                    let variety = tx.rows("seed_varieties").unwrap()[0]["id"].as_str().unwrap().to_string();
                    tx.insert("batches", &serde_json::json!({"variety_id": variety, "trays": 2, "sown_at": "2026-02-01T00:00:00Z"})).unwrap();
                    tx.commit().unwrap();
                    expected[farm] += 1;
                }
                Op::InsertElsewhere { conn, farm, target } => {
                    let mut tx = FarmTx::begin(&mut conns[conn], farms[farm], users[farm]).unwrap();
                    let sql = format!("INSERT INTO equipment (farm_id, name, kind) VALUES ('{}', 'x', 'y')", farms[target]);
                    prop_assert!(tx.client().execute(&sql, &[]).is_err());
                }
                Op::NoContextRead { conn } => {
                    for table in ["batches", "users", "farms", "farm_users"] {
                        let n: i64 = conns[conn].query_one(&format!("SELECT count(*) FROM {table}"), &[]).unwrap().get(0);
                        prop_assert_eq!(n, 0, "{}", table);
                    }
                    prop_assert!(conns[conn].query("SELECT password_hash FROM users", &[]).is_err());
                }
                Op::NoContextWrite { conn, farm } => {
                    let changed = conns[conn].execute("UPDATE batches SET trays = trays + 1", &[]).unwrap();
                    prop_assert_eq!(changed, 0);
                    let sql = format!("INSERT INTO equipment (farm_id, name, kind) VALUES ('{}', 'x', 'y')", farms[farm]);
                    prop_assert!(conns[conn].execute(&sql, &[]).is_err());
                    let rename = format!("UPDATE farms SET farm_name = 'pwned' WHERE id = '{}'", farms[farm]);
                    prop_assert_eq!(conns[conn].execute(&rename, &[]).unwrap(), 0);
                    prop_assert_eq!(conns[conn].execute("UPDATE users SET name = 'pwned'", &[]).unwrap(), 0);
                }
                Op::CrossReference { conn, farm, target } => {
                    let mut tx = FarmTx::begin(&mut conns[conn], farms[farm], users[farm]).unwrap();
                    let foreign = variety_ids[target];
                    let sql = format!("INSERT INTO batches (variety_id, farm_id, trays, sown_at) VALUES ('{foreign}', '{}', 1, now())", farms[farm]);
                    prop_assert!(tx.client().execute(&sql, &[]).is_err());
                }
                Op::Truncate { conn, farm } => {
                    let mut tx = FarmTx::begin(&mut conns[conn], farms[farm], users[farm]).unwrap();
                    for table in ["batches", "users", "farms", "farm_users"] {
                        prop_assert!(attempt(tx.client(), &format!("TRUNCATE {table}")).is_err(), "{}", table);
                    }
                }
                Op::NotMember { conn, farm, who } => {
                    let member = model.role(farm, who).is_some();
                    prop_assert_eq!(FarmTx::begin(&mut conns[conn], farms[farm], users[who]).is_ok(), member);
                }
                Op::ReadShared { conn, farm, who } => {
                    let Ok(mut tx) = FarmTx::begin(&mut conns[conn], farms[farm], users[who]) else {
                        prop_assert!(model.role(farm, who).is_none());
                        continue;
                    };
                    let seen: Vec<String> = tx.members().unwrap().into_iter().map(|u| u.id).collect();
                    let expect: Vec<String> = model.members[farm].keys().map(|u| users[*u].to_string()).collect();
                    prop_assert_eq!(seen, expect);
                    let seen_farms = tx.rows("farms").unwrap();
                    prop_assert_eq!(seen_farms.len(), 1);
                    prop_assert_eq!(&seen_farms[0]["id"], farms[farm]);
                    let memberships = tx.rows("farm_users").unwrap();
                    prop_assert_eq!(memberships.len(), model.members[farm].len());
                    prop_assert!(memberships.iter().all(|m| m["farm_id"] == farms[farm]));
                    prop_assert!(attempt(tx.client(), "SELECT password_hash FROM users").is_err());
                    prop_assert!(attempt(tx.client(), "SELECT row_to_json(u)::text FROM users u").is_err());
                }
                Op::TamperElsewhere { conn, farm, who, target_farm, target_user } => {
                    let Ok(mut tx) = FarmTx::begin(&mut conns[conn], farms[farm], users[who]) else {
                        prop_assert!(model.role(farm, who).is_none());
                        continue;
                    };
                    let c = tx.client();
                    let target = users[target_user];
                    let rename = format!("UPDATE farms SET farm_name = 'pwned' WHERE id = '{}'", farms[target_farm]);
                    prop_assert!(matches!(attempt(c, &rename), Err(_) | Ok(0)));
                    for column in ["email = 'pwned@evil.example'", "password_hash = 'pwned'", "role = 'ADMIN'", "roles = '{ADMIN}'"] {
                        let sql = format!("UPDATE users SET {column} WHERE id = '{target}'");
                        prop_assert!(attempt(c, &sql).is_err(), "{}", sql);
                    }
                    if target_user != who {
                        let sql = format!("UPDATE users SET name = 'pwned' WHERE id = '{target}'");
                        prop_assert!(matches!(attempt(c, &sql), Err(_) | Ok(0)), "{}", sql);
                    }
                    prop_assert!(attempt(c, "UPDATE farms SET owner_id = 'u4'").is_err());
                    let delete = format!("DELETE FROM farms WHERE id = '{}'", farms[target_farm]);
                    prop_assert!(attempt(c, &delete).is_err());
                }
                Op::SignIn { conn, user, correct } => {
                    let pw = if correct { password(users[user]) } else { format!("{} ", password(users[user])) };
                    let signed = dbguard_farm::accounts::sign_in(&mut conns[conn], emails[user], &pw).unwrap();
                    prop_assert_eq!(signed.map(|u| u.id), correct.then(|| users[user].to_string()));
                }
                Op::CreateFarm { conn, who, for_other } => {
                    let mut tx = UserTx::begin(&mut conns[conn], users[who]).unwrap();
                    let forged = format!("INSERT INTO farms (farm_name, owner_id) VALUES ('forged', '{}')", users[for_other]);
                    prop_assert!(attempt(tx.client(), &forged).is_err());
                    let farm = tx.create_farm("created", None).unwrap();
                    let mine = tx.farms().unwrap();
                    prop_assert!(mine.iter().any(|m| m.farm_id == farm && m.role == "OWNER"));
                    tx.commit().unwrap();
                    model.created[who] += 1;
                }
                Op::AddMember { conn, farm, who, target } => {
                    let Ok(mut tx) = FarmTx::begin(&mut conns[conn], farms[farm], users[who]) else {
                        prop_assert!(model.role(farm, who).is_none());
                        continue;
                    };
                    let allowed = matches!(model.role(farm, who), Some("OWNER" | "FARM_MANAGER"));
                    let added = tx.add_member(emails[target], "TEAM_MEMBER");
                    prop_assert_eq!(added.is_ok(), allowed);
                    if allowed {
                        tx.commit().unwrap();
                        model.members[farm].entry(target).or_insert("TEAM_MEMBER");
                    }
                }
                Op::ForgeMembership { conn, farm, who, target } => {
                    let Ok(mut tx) = FarmTx::begin(&mut conns[conn], farms[farm], users[who]) else {
                        prop_assert!(model.role(farm, who).is_none());
                        continue;
                    };
                    for f in farms {
                        let sql = format!("INSERT INTO farm_users (farm_id, user_id, role) VALUES ('{f}', '{}', 'FARM_MANAGER')", users[target]);
                        prop_assert!(attempt(tx.client(), &sql).is_err(), "{}", sql);
                    }
                    let sql = format!("UPDATE farm_users SET user_id = '{}'", users[target]);
                    prop_assert!(attempt(tx.client(), &sql).is_err());
                }
                Op::Assign { conn, farm, who, target } => {
                    let Ok(mut tx) = FarmTx::begin(&mut conns[conn], farms[farm], users[who]) else {
                        prop_assert!(model.role(farm, who).is_none());
                        continue;
                    };
                    let sql = format!("INSERT INTO tasks (farm_id, title, assignee_id) VALUES ('{}', 'work', '{}')", farms[farm], users[target]);
                    prop_assert_eq!(attempt(tx.client(), &sql).is_ok(), model.role(farm, target).is_some());
                }
            }
        }
        // As the superuser: nothing was renamed or taken over, and memberships and owners are as modelled.
        prop_assert_eq!(scalar(&db, "SELECT count(*)::text FROM farms WHERE farm_name IN ('pwned', 'forged')"), "0");
        prop_assert_eq!(scalar(&db, "SELECT string_agg(id || email || name || role || password_hash, ',' ORDER BY id) FROM users"), credentials);
        for (f, farm) in farms.iter().enumerate() {
            let found = scalar(&db, &format!("SELECT string_agg(user_id || ':' || role, ',' ORDER BY user_id) FROM farm_users WHERE farm_id = '{farm}'"));
            let expect: Vec<String> = model.members[f].iter().map(|(u, r)| format!("{}:{r}", users[*u])).collect();
            prop_assert_eq!(found, expect.join(","));
        }
        for (u, user) in users.iter().enumerate() {
            let owned = scalar(&db, &format!("SELECT count(*)::text FROM farms f JOIN farm_users m ON m.farm_id = f.id AND m.user_id = f.owner_id AND m.role = 'OWNER' WHERE f.owner_id = '{user}'"));
            prop_assert_eq!(owned, (model.created[u] + usize::from(u < 3)).to_string());
        }
    }
}

/// A PgBouncer in transaction mode in front of `db`, as `farm_app`, with
/// one server connection shared by every client. Stopped when dropped.
struct Bouncer {
    child: std::process::Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Drop for Bouncer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn pgbouncer(db: &TestDb, password: &str) -> Bouncer {
    use std::os::unix::fs::PermissionsExt;
    use std::os::unix::process::CommandExt;
    let program = [
        "/usr/sbin/pgbouncer",
        "/usr/bin/pgbouncer",
        "/usr/local/bin/pgbouncer",
    ]
    .into_iter()
    .find(|p| std::path::Path::new(p).is_file())
    .expect("PgBouncer is needed for this test: install it (`apt-get install pgbouncer`)");
    let dir = dbguard_testkit::project_dir("dbguard-pgbouncer-");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let server_port = db.url.client_config().unwrap().get_ports()[0];
    let config = format!(
        "[databases]\nfarm = host=127.0.0.1 port={server_port} dbname={} user=farm_app password={password}\n\
         [pgbouncer]\nlisten_addr = 127.0.0.1\nlisten_port = {port}\nunix_socket_dir =\nauth_type = any\n\
         pool_mode = transaction\ndefault_pool_size = 1\nmax_client_conn = 20\nlogfile = {dir}/pgbouncer.log\n\
         pidfile = {dir}/pgbouncer.pid\nignore_startup_parameters = extra_float_digits,options\n",
        db.name,
        dir = dir.path().display()
    );
    let file = dir.path().join("pgbouncer.ini");
    std::fs::write(&file, config).unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let mut cmd = std::process::Command::new(program);
    cmd.arg(&file)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    // PgBouncer, like PostgreSQL, refuses to run as root.
    if let Some(user) = dbguard_pg::osuser::server_user().unwrap() {
        std::os::unix::fs::chown(dir.path(), Some(user.uid), Some(user.gid)).unwrap();
        cmd.uid(user.uid).gid(user.gid);
    }
    let child = cmd.spawn().expect("starting pgbouncer");
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    Bouncer {
        child,
        port,
        _dir: dir,
    }
}

#[test]
fn through_pgbouncer_in_transaction_mode_the_context_never_leaks() {
    let db = farm_db();
    let password = "dbguard-pgbouncer-test";
    db.client()
        .batch_execute(&format!("ALTER ROLE farm_app PASSWORD '{password}'"))
        .unwrap();
    let bouncer = pgbouncer(&db, password);
    let url = dbguard_pg::DbUrl::parse(&format!(
        "postgresql://farm_app:{password}@127.0.0.1:{}/farm",
        bouncer.port
    ))
    .unwrap();
    let connect = || {
        dbguard_pg::connect(&url, std::time::Duration::from_secs(10)).expect("connecting through pgbouncer")
    };
    let (mut a, mut b) = (connect(), connect());
    let count = |c: &mut postgres::Client| -> i64 {
        c.query_one("SELECT count(*) FROM batches", &[]).unwrap().get(0)
    };

    for round in 0..20 {
        let (client, farm, user) = if round % 2 == 0 {
            (&mut a, F1, "u1")
        } else {
            (&mut b, F2, "u2")
        };
        let mut tx = FarmTx::begin(client, farm, user).unwrap();
        let rows = tx.rows("batches").unwrap();
        assert_eq!(rows.len(), 3);
        assert!(rows.iter().all(|r| r["farm_id"] == farm));
        tx.commit().unwrap();
        // The next client on the same server connection sees nothing.
        let other = if round % 2 == 0 { &mut b } else { &mut a };
        assert_eq!(count(other), 0, "round {round}: the farm context leaked");
    }

    // The guide's session SET does leak: another client inherits the farm.
    a.batch_execute(&format!("SET app.current_farm_id = '{F1}'"))
        .unwrap();
    assert_eq!(
        count(&mut b),
        3,
        "expected the guide's SET to leak through the shared connection"
    );
    a.batch_execute("RESET app.current_farm_id").unwrap();
}
