//! `validate` on a real server: clean on seeded data, and every check
//! finds a violation planted for it (constraints that would prevent one are
//! removed first, as in schemas that lack them).

use std::collections::BTreeSet;

use dbguard_farm::seed::{development, DevSize};
use dbguard_farm::validate::validate;

#[test]
fn seeded_data_is_clean_and_every_check_finds_its_planted_violation() {
    let db = dbguard_testkit::server().fresh_db();
    let mut client = db.client();
    dbguard_migrate::runner::deploy(&mut client, &dbguard_farm::migrations(), &mut |_| Ok(())).unwrap();
    development(&mut client, DevSize { farms: 2, scale: 1 }).unwrap();

    let clean = validate(&mut client).unwrap();
    assert!(clean.findings.is_empty(), "{:?}", clean.findings);
    assert!(clean.failures.is_empty(), "{:?}", clean.failures);

    client
        .batch_execute(
            "DROP INDEX users_email_key;
             INSERT INTO users (id, email, name) VALUES ('dup', 'ADMIN@example.com', 'Shadow');
             ALTER TABLE users ALTER COLUMN role DROP DEFAULT, ALTER COLUMN role TYPE text;
             INSERT INTO users (id, email, name, role) VALUES ('bad-role', 'x@example.com', 'X', 'SUPERUSER');
             UPDATE users SET role = 'MANAGER', roles = '{MANAGER,MANAGER}' WHERE email = 'manager@example.com';
             UPDATE users SET role = 'TEAM_LEAD', roles = '{ADMIN,TEAM_LEAD}' WHERE email = 'lead@example.com';
             UPDATE orders SET total_cents = total_cents + 1 WHERE id = (SELECT id FROM orders ORDER BY id LIMIT 1);
             UPDATE batches SET harvested_at = sown_at - interval '1 day' WHERE id = (SELECT id FROM batches WHERE harvested_at IS NOT NULL ORDER BY id LIMIT 1);
             UPDATE farm_users SET is_active = false WHERE (farm_id, user_id) = (SELECT id, owner_id FROM farms ORDER BY id LIMIT 1);
             CREATE TABLE notes (id int, farm_id uuid, batch_ref uuid);
             INSERT INTO notes SELECT -1, id, gen_random_uuid() FROM farms LIMIT 1;
             ALTER TABLE notes ADD CONSTRAINT notes_batch_fkey FOREIGN KEY (farm_id, batch_ref) REFERENCES batches (farm_id, id) NOT VALID;
             ALTER TABLE notes ADD CONSTRAINT notes_id_positive CHECK (id > 0) NOT VALID;
             CREATE UNIQUE INDEX customers_id_key ON customers (id);
             CREATE TABLE legacy_links (id int PRIMARY KEY, farm_id uuid, customer_id uuid REFERENCES customers (id));
             INSERT INTO legacy_links SELECT 1, f.id, c.id FROM farms f, customers c WHERE c.farm_id <> f.id LIMIT 1;
             CREATE TABLE delivery_notes (id int PRIMARY KEY, farm_id uuid, order_id uuid);
             INSERT INTO delivery_notes SELECT 7, id, gen_random_uuid() FROM farms LIMIT 1;
             ALTER TABLE tasks DROP CONSTRAINT tasks_assignee_member_fkey;
             ALTER TABLE quality_checks DROP CONSTRAINT quality_checks_checker_member_fkey;
             INSERT INTO users (id, email, name, role) VALUES ('outsider', 'outsider@example.com', 'Outsider', 'TEAM_MEMBER');
             INSERT INTO tasks (farm_id, id, title, assignee_id) SELECT id, '00000000-0000-0000-0000-0000000000aa', 'outsourced', 'outsider' FROM farms LIMIT 1;
             UPDATE quality_checks SET checked_by = 'outsider' WHERE id = (SELECT id FROM quality_checks ORDER BY id LIMIT 1);
             ALTER TABLE order_items DROP CONSTRAINT order_items_quantity_check;
             UPDATE order_items SET quantity = -1 WHERE id = (SELECT id FROM order_items ORDER BY id DESC LIMIT 1);",
        )
        .unwrap();
    let report = validate(&mut client).unwrap();
    assert!(report.failures.is_empty(), "{:?}", report.failures);
    let found: BTreeSet<&str> = report.findings.iter().map(|f| f.check.as_str()).collect();
    let every: BTreeSet<&str> = [
        "duplicate-emails",
        "invalid-roles",
        "duplicate-roles",
        "role-mismatch",
        "order-total",
        "harvest-before-sowing",
        "owner-not-member",
        "not-valid-constraint",
        "cross-farm-reference",
        "unenforced-reference",
        "negative-amount",
        "non-member-reference",
    ]
    .into();
    assert_eq!(found, every);
    let ids = |check: &str| -> Vec<Vec<String>> {
        report
            .findings
            .iter()
            .filter(|f| f.check == check)
            .map(|f| f.ids.clone())
            .collect()
    };
    assert_eq!(
        ids("duplicate-emails").concat().len(),
        2,
        "both users sharing the address"
    );
    assert!(ids("invalid-roles").concat().contains(&"bad-role".to_string()));
    assert_eq!(
        ids("not-valid-constraint").len(),
        2,
        "the foreign key and the check"
    );
    assert_eq!(ids("cross-farm-reference"), [vec!["1".to_string()]]);
    assert_eq!(ids("unenforced-reference"), [vec!["7".to_string()]]);
    let non_members = ids("non-member-reference");
    assert_eq!(
        non_members.len(),
        2,
        "tasks.assignee_id and quality_checks.checked_by"
    );
    assert!(non_members.contains(&vec!["00000000-0000-0000-0000-0000000000aa".to_string()]));
}

#[test]
fn offending_ids_are_capped_but_the_total_is_exact() {
    let db = dbguard_testkit::server().fresh_db();
    let mut client = db.client();
    dbguard_migrate::runner::deploy(&mut client, &dbguard_farm::migrations(), &mut |_| Ok(())).unwrap();
    development(&mut client, DevSize { farms: 1, scale: 3 }).unwrap();
    client
        .batch_execute("UPDATE orders SET total_cents = total_cents + 1")
        .unwrap();
    let report = validate(&mut client).unwrap();
    let totals = &report.findings[0];
    assert_eq!(totals.check, "order-total");
    assert_eq!(totals.total, 30);
    assert_eq!(totals.ids.len() as i64, dbguard_farm::validate::MAX_IDS);
}
