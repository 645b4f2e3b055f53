//! `tenancy adopt` on a database with single-tenant tables: the generated
//! migrations lint as expected, apply, and leave the tables isolated.

use dbguard_farm::adopt::{migrations, tables_to_adopt, DEFAULT_FARM};
use dbguard_farm::audit::audit;
use dbguard_farm::context::FarmTx;
use dbguard_migrate::lint::lint;
use dbguard_migrate::Migration;

#[test]
fn single_tenant_tables_are_adopted_into_the_default_farm() {
    let db = dbguard_testkit::server().fresh_db();
    let mut client = db.client();
    dbguard_migrate::runner::deploy(&mut client, &dbguard_farm::migrations(), &mut |_| Ok(())).unwrap();
    client
        .batch_execute(
            "INSERT INTO users (id, email, name, role) VALUES ('admin', 'admin@example.com', 'Admin', 'ADMIN');
             CREATE TABLE legacy_notes (id serial PRIMARY KEY, body text);
             INSERT INTO legacy_notes (body) SELECT 'note ' || g FROM generate_series(1, 50) g;
             CREATE TABLE legacy_tags (id int PRIMARY KEY, name text);
             INSERT INTO legacy_tags SELECT g, 'tag ' || g FROM generate_series(1, 5) g;",
        )
        .unwrap();
    let tables = tables_to_adopt(&mut client).unwrap();
    assert_eq!(tables, ["legacy_notes", "legacy_tags"]);

    let generated = migrations(&tables, "admin", "Default Farm");
    let high: Vec<(&str, String)> = generated
        .iter()
        .flat_map(|(name, sql)| {
            lint(sql)
                .into_iter()
                .filter(|d| d.risk == dbguard_risk::Risk::High)
                .map(move |d| (*name, d.rule))
        })
        .collect();
    assert_eq!(
        high,
        [
            ("adopt_tenancy_backfill", "update-many-rows".to_string()),
            ("adopt_tenancy_backfill", "update-many-rows".to_string())
        ],
        "only the backfill is high risk (it goes through the protocol)"
    );
    assert!(generated
        .iter()
        .all(|(_, sql)| lint(sql).iter().all(|d| d.rule != "unused-ignore")));

    let to_apply: Vec<Migration> = generated
        .iter()
        .enumerate()
        .map(|(i, (name, sql))| Migration::from_text(&format!("2026020100000{i}_{name}"), sql))
        .collect();
    let done = dbguard_migrate::runner::deploy(&mut client, &to_apply, &mut |_| Ok(())).unwrap();
    assert!(done.failed.is_none(), "{:?}", done.failed);

    let findings: Vec<(String, &str)> = audit(&mut client)
        .unwrap()
        .into_iter()
        .map(|f| (f.object, f.check))
        .collect();
    assert!(
        findings
            .iter()
            .all(|(_, check)| *check == "unique-without-farm-id"),
        "adopted tables are isolated but for their single-column keys: {findings:?}"
    );
    assert!(findings.contains(&("legacy_notes".to_string(), "unique-without-farm-id")));

    client
        .batch_execute(&format!(
            "INSERT INTO farm_users (farm_id, user_id, role) VALUES ('{DEFAULT_FARM}', 'admin', 'OWNER')"
        ))
        .unwrap();
    let mut app = db.client();
    app.batch_execute("SET ROLE farm_app").unwrap();
    let unscoped: i64 = app
        .query_one("SELECT count(*) FROM legacy_notes", &[])
        .unwrap()
        .get(0);
    assert_eq!(unscoped, 0);
    let mut tx = FarmTx::begin(&mut app, DEFAULT_FARM, "admin").unwrap();
    assert_eq!(tx.rows("legacy_notes").unwrap().len(), 50);
    assert_eq!(tx.rows("legacy_tags").unwrap().len(), 5);
}
