//! Accounts through the `app` functions, as the application role: signing
//! in (bcrypt checked inside the database, no hash ever returned), creating
//! farms, adding members and changing credentials only with the right.

use dbguard_farm::accounts::{sign_in, UserTx};
use dbguard_farm::context::FarmTx;
use dbguard_pg::connect::describe;
use dbguard_testkit::TestDb;

mod common;
use common::{as_app, deployed, hash, password};

const F1: &str = "11111111-1111-1111-1111-111111111111";
const F2: &str = "22222222-2222-2222-2222-222222222222";

/// Users u1 (owner of farm one), u2 (owner of farm two) and u3 (a team
/// member of farm one), with `$2b$` hashes as the seed writes them.
fn db() -> TestDb {
    let db = deployed();
    db.client()
        .batch_execute(&format!(
            "INSERT INTO users (id, email, name, password_hash) VALUES
               ('u1', 'One@Example.com', 'One', '{}'), ('u2', 'two@example.com', 'Two', '{}'), ('u3', 'three@example.com', 'Three', '{}');
             INSERT INTO farms (id, farm_name, owner_id) VALUES ('{F1}', 'Farm one', 'u1'), ('{F2}', 'Farm two', 'u2');
             INSERT INTO farm_users (farm_id, user_id, role) VALUES ('{F1}', 'u1', 'OWNER'), ('{F2}', 'u2', 'OWNER'), ('{F1}', 'u3', 'TEAM_MEMBER');",
            hash("u1"),
            hash("u2"),
            hash("u3")
        ))
        .unwrap();
    db
}

#[test]
fn sign_in_checks_the_password_and_never_returns_a_hash() {
    let db = db();
    let mut app = as_app(&db);
    let user = sign_in(&mut app, "one@EXAMPLE.com", &password("u1"))
        .unwrap()
        .expect("signed in");
    assert_eq!((user.id.as_str(), user.email.as_str()), ("u1", "One@Example.com"));
    assert_eq!(
        sign_in(&mut app, "one@example.com", "wrong password").unwrap(),
        None
    );
    assert_eq!(
        sign_in(&mut app, "nobody@example.com", &password("u1")).unwrap(),
        None
    );
    assert_eq!(sign_in(&mut app, "", "").unwrap(), None);
    let row = app
        .query_one(
            "SELECT row_to_json(s)::text FROM app.sign_in('two@example.com', $1) s",
            &[&password("u2")],
        )
        .unwrap();
    let text: String = row.get(0);
    assert!(text.contains("\"u2\"") && !text.contains("$2"), "{text}");
    // A user with no hash cannot sign in, whatever the password.
    db.client()
        .batch_execute("UPDATE users SET password_hash = NULL WHERE id = 'u3'")
        .unwrap();
    assert_eq!(sign_in(&mut app, "three@example.com", "").unwrap(), None);
    // The helpers behind it are not the application's to call.
    for sql in ["SELECT app.password_matches('x', 'y')", "SELECT app.actor()"] {
        let mut tx = app.transaction().unwrap();
        let denied = describe(&tx.query(sql, &[]).map(|_| ()).unwrap_err());
        assert!(denied.contains("permission denied"), "{sql}: {denied}");
    }
}

#[test]
fn a_farm_is_created_for_the_signed_in_user_only() {
    let db = db();
    let mut app = as_app(&db);
    let mut tx = UserTx::begin(&mut app, "u3").unwrap();
    let farm = tx.create_farm("Three's greens", Some("three")).unwrap();
    let mine = tx.farms().unwrap();
    assert_eq!(mine.len(), 2, "{mine:?}");
    assert!(mine.iter().any(|m| m.farm_id == farm && m.role == "OWNER"));
    tx.commit().unwrap();
    let owner: String = db
        .client()
        .query_one(
            "SELECT owner_id FROM farms WHERE id = $1::text::uuid",
            &[&farm.to_string()],
        )
        .unwrap()
        .get(0);
    assert_eq!(owner, "u3");
    // No signed-in user, or one that does not exist: no farm.
    let mut tx = app.transaction().unwrap();
    let err = describe(&tx.query_one("SELECT app.create_farm('orphan')", &[]).unwrap_err());
    assert!(err.contains("no signed-in user"), "{err}");
    drop(tx);
    let mut tx = UserTx::begin(&mut app, "ghost").unwrap();
    assert!(tx.create_farm("ghost farm", None).is_err());
}

#[test]
fn members_are_added_by_email_by_an_owner_or_manager_of_the_farm() {
    let db = db();
    let mut app = as_app(&db);
    // A team member may not add anyone.
    let mut tx = FarmTx::begin(&mut app, F1, "u3").unwrap();
    let err = tx.add_member("two@example.com", "TEAM_MEMBER").unwrap_err();
    assert!(err.to_string().contains("owner or manager"), "{err}");
    drop(tx);
    // u2 owns farm two, not farm one: no context in farm one, and a forged
    // context (farm one, acting as u2) gives no right there.
    assert!(FarmTx::begin(&mut app, F1, "u2").is_err());
    let mut tx = app.transaction().unwrap();
    tx.execute(
        "SELECT set_config('app.current_farm_id', $1, true), set_config('app.current_user_id', 'u2', true)",
        &[&F1],
    )
    .unwrap();
    assert!(tx
        .query_one("SELECT app.add_member('three@example.com', 'FARM_MANAGER')", &[])
        .is_err());
    drop(tx);
    // The owner adds u2; u2 then shows among farm one's members.
    for (email, role) in [
        ("nobody@example.com", "TEAM_MEMBER"),
        ("two@example.com", "OWNER"),
    ] {
        let mut tx = FarmTx::begin(&mut app, F1, "u1").unwrap();
        assert!(tx.add_member(email, role).is_err(), "{email} as {role}");
    }
    let mut tx = FarmTx::begin(&mut app, F1, "u1").unwrap();
    assert_eq!(tx.add_member("TWO@example.com", "TEAM_MEMBER").unwrap(), "u2");
    let ids: Vec<String> = tx.members().unwrap().into_iter().map(|u| u.id).collect();
    assert_eq!(ids, ["u1", "u2", "u3"]);
    tx.commit().unwrap();
}

#[test]
fn a_temporary_table_does_not_fool_the_functions() {
    let db = db();
    let mut app = as_app(&db);
    // Relations are looked up in pg_temp first unless the search path lists it last.
    app.batch_execute(&format!(
        "CREATE TEMP TABLE farm_users (farm_id uuid, user_id text, role farm_role, is_active boolean);
         INSERT INTO farm_users VALUES ('{F1}', 'u3', 'OWNER', true);
         CREATE TEMP TABLE users (id text, email text, password_hash text);
         INSERT INTO users VALUES ('u3', 'three@example.com', '{}');",
        bcrypt::hash("attacker's password", 4).unwrap()
    ))
    .unwrap();
    let mut tx = FarmTx::begin(&mut app, F1, "u3").unwrap();
    assert!(tx.add_member("two@example.com", "FARM_MANAGER").is_err());
    drop(tx);
    assert_eq!(
        sign_in(&mut app, "three@example.com", "attacker's password").unwrap(),
        None
    );
}

#[test]
fn credentials_change_only_for_the_signed_in_user_with_their_password() {
    let db = db();
    let mut app = as_app(&db);
    let mut tx = UserTx::begin(&mut app, "u1").unwrap();
    let err = tx.change_password("wrong", "a new long password 1").unwrap_err();
    assert!(err.to_string().contains("wrong"), "{err}");
    drop(tx);
    let mut tx = UserTx::begin(&mut app, "u1").unwrap();
    assert!(tx.change_password(&password("u1"), "short").is_err(), "too short");
    drop(tx);
    let mut tx = UserTx::begin(&mut app, "u1").unwrap();
    assert!(
        tx.change_email("two@EXAMPLE.com", &password("u1")).is_err(),
        "taken, in any case"
    );
    drop(tx);
    let mut tx = UserTx::begin(&mut app, "u1").unwrap();
    assert!(tx.change_email("new@example.com", "wrong").is_err());
    drop(tx);
    let mut tx = UserTx::begin(&mut app, "u1").unwrap();
    tx.change_email("new@example.com", &password("u1")).unwrap();
    tx.change_password(&password("u1"), "a new long password 1")
        .unwrap();
    tx.commit().unwrap();
    assert_eq!(
        sign_in(&mut app, "new@example.com", &password("u1")).unwrap(),
        None
    );
    let user = sign_in(&mut app, "new@example.com", "a new long password 1")
        .unwrap()
        .unwrap();
    assert_eq!(user.id, "u1");
    // Nobody else changed: u2 signs in as before.
    assert!(sign_in(&mut app, "two@example.com", &password("u2"))
        .unwrap()
        .is_some());
    // The hash pgcrypto wrote is one the Rust bcrypt crate (and bcryptjs) verifies.
    let hash: String = db
        .client()
        .query_one("SELECT password_hash FROM users WHERE id = 'u1'", &[])
        .unwrap()
        .get(0);
    assert!(hash.starts_with("$2a$12$"), "{hash}");
    assert!(bcrypt::verify("a new long password 1", &hash).unwrap());
}
