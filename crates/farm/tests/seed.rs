//! Seeding on a real server: development data lands in every business
//! table and a second run changes nothing; production refuses weak
//! passwords, and its bcrypt hash verifies with PostgreSQL's pgcrypto.

use dbguard_farm::seed::{check_password_strength, development, production, DevSize};
use dbguard_testkit::TestDb;

fn schema_db() -> TestDb {
    let db = dbguard_testkit::server().fresh_db();
    dbguard_migrate::runner::deploy(&mut db.client(), &dbguard_farm::migrations(), &mut |_| Ok(())).unwrap();
    db
}

/// Every table's rows, as one digest per table: equal digests, equal data.
fn digests(db: &TestDb) -> Vec<(String, i64, String)> {
    let mut client = db.client();
    let tables = dbguard_farm::export::tables_in_dependency_order(&mut client).unwrap();
    assert_eq!(tables.len(), 14, "{tables:?}");
    tables
        .iter()
        .map(|t| {
            let row = client
                .query_one(
                    &format!("SELECT count(*), coalesce(md5(string_agg(x::text, '|' ORDER BY x::text)), '') FROM {t} x"),
                    &[],
                )
                .unwrap();
            (t.to_string(), row.get(0), row.get(1))
        })
        .collect()
}

#[test]
fn development_seed_fills_every_table_and_a_second_run_changes_nothing() {
    let db = schema_db();
    let first = development(&mut db.client(), DevSize { farms: 3, scale: 2 }).unwrap();
    let after_first = digests(&db);
    for (table, rows, _) in &after_first {
        assert!(*rows > 0, "{table} is empty after the development seed");
    }
    assert_eq!(
        first.total() as i64,
        after_first.iter().map(|(_, n, _)| n).sum::<i64>()
    );
    let second = development(&mut db.client(), DevSize { farms: 3, scale: 2 }).unwrap();
    assert_eq!(second.total(), 0, "{:?}", second.0);
    assert_eq!(digests(&db), after_first);

    // The data is consistent: totals are the sum of items, owners are members,
    // harvests come after sowing.
    let inconsistent: i64 = db
        .client()
        .query_one(
            "SELECT (SELECT count(*) FROM orders o WHERE total_cents <> (SELECT coalesce(sum(quantity * unit_price_cents), 0) FROM order_items i WHERE i.farm_id = o.farm_id AND i.order_id = o.id))
                  + (SELECT count(*) FROM farms f WHERE NOT EXISTS (SELECT FROM farm_users m WHERE m.farm_id = f.id AND m.user_id = f.owner_id AND m.is_active))
                  + (SELECT count(*) FROM batches WHERE harvested_at < sown_at)",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(inconsistent, 0);
}

fn admin_hash(db: &TestDb) -> String {
    db.client()
        .query_one(
            "SELECT password_hash FROM users WHERE email = 'admin@example.com'",
            &[],
        )
        .unwrap()
        .get(0)
}

#[test]
fn production_seed_creates_only_the_administrator_with_a_strong_password() {
    let db = schema_db();
    for weak in [
        "short1A!",
        "password1234ABC!",
        "alllowercaseletters",
        "Admin-2026-secret",
    ] {
        assert!(check_password_strength(weak).is_err(), "{weak} was accepted");
        assert!(production(&mut db.client(), weak).is_err());
    }
    let users: i64 = db
        .client()
        .query_one("SELECT count(*) FROM users", &[])
        .unwrap()
        .get(0);
    assert_eq!(users, 0, "a refused password seeds nothing");

    let password = "Tr4ys-of-Sunfl0wer";
    let inserted = production(&mut db.client(), password).unwrap();
    assert_eq!(inserted.0, [("users".to_string(), 1)]);
    let farms: i64 = db
        .client()
        .query_one("SELECT count(*) FROM farms", &[])
        .unwrap()
        .get(0);
    assert_eq!(farms, 0, "production gets no demo data");
    let hash = admin_hash(&db);
    assert!(hash.starts_with("$2b$12$"), "{hash}");

    // pgcrypto's crypt-blowfish (an independent implementation) reads $2a$,
    // which for passwords under 72 bytes is the same algorithm as $2b$:
    // the application signs the administrator in through app.sign_in.
    let mut app = db.client();
    app.batch_execute("SET ROLE farm_app").unwrap();
    let check = |app: &mut postgres::Client, pw: &str| -> bool {
        dbguard_farm::accounts::sign_in(app, dbguard_farm::seed::ADMIN_EMAIL, pw)
            .unwrap()
            .is_some()
    };
    assert!(check(&mut app, password));
    assert!(!check(&mut app, "Tr4ys-of-Sunfl0wes"));

    // A second run, even with another password, leaves the administrator alone.
    let again = production(&mut db.client(), "An0ther-Strong-Phrase").unwrap();
    assert_eq!(again.total(), 0);
    let unchanged = admin_hash(&db);
    assert_eq!(unchanged, hash);
}
