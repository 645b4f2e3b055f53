//! Export and import on a real server: a farm's export holds that farm only,
//! and importing it into a new farm (same or another database) reproduces
//! every row.

use dbguard_farm::export::{export, import, Layout};
use dbguard_farm::seed::{development, DevSize};
use dbguard_testkit::TestDb;

fn seeded() -> TestDb {
    let db = dbguard_testkit::server().fresh_db();
    let mut client = db.client();
    dbguard_migrate::runner::deploy(&mut client, &dbguard_farm::migrations(), &mut |_| Ok(())).unwrap();
    development(&mut client, DevSize { farms: 3, scale: 1 }).unwrap();
    db
}

fn farm(db: &TestDb, n: u32) -> String {
    db.client()
        .query_one("SELECT md5('farm:' || $1::int)::uuid::text", &[&(n as i32)])
        .unwrap()
        .get(0)
}

/// A digest of a farm's rows in every tenant table, farm_id left out.
fn farm_digest(db: &TestDb, farm: &str) -> Vec<(String, i64, String)> {
    let mut client = db.client();
    let tenant: Vec<String> = client
        .query("SELECT table_name::text FROM information_schema.columns WHERE table_schema = 'public' AND column_name = 'farm_id' ORDER BY 1", &[])
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(tenant.len(), 12, "{tenant:?}");
    tenant
        .iter()
        .map(|t| {
            let row = client
                .query_one(
                    &format!(
                        "SELECT count(*), coalesce(md5(string_agg((to_jsonb(x) - 'farm_id')::text, '|' ORDER BY (to_jsonb(x) - 'farm_id')::text)), '') \
                           FROM {t} x WHERE farm_id::text = $1"
                    ),
                    &[&farm],
                )
                .unwrap();
            (t.to_string(), row.get(0), row.get(1))
        })
        .collect()
}

#[test]
fn a_farm_export_holds_only_that_farm_and_imports_into_a_new_farm_row_for_row() {
    let db = seeded();
    let (a, b) = (farm(&db, 1), farm(&db, 2));
    let mut out = Vec::new();
    let counts = export(
        &mut db.client(),
        Some(&a),
        &[],
        Layout::Json,
        false,
        &mut out,
        &mut |_| {},
    )
    .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(doc["farm"], a.as_str());
    assert!(doc["exportedAt"].is_string() && doc["version"].is_string());
    let text = String::from_utf8(out.clone()).unwrap();
    assert!(!text.contains(&b), "farm B's id appears in farm A's export");
    assert!(
        !text.contains("password_hash"),
        "password hashes are not exported"
    );
    for table in doc["tables"].as_array().unwrap() {
        let rows = table["rows"].as_array().unwrap();
        assert_eq!(table["count"].as_u64().unwrap(), rows.len() as u64);
        for row in rows {
            if let Some(f) = row.get("farm_id") {
                assert_eq!(f, a.as_str(), "{}", table["name"]);
            }
        }
    }
    let batches = counts.iter().find(|(t, _)| t == "batches").unwrap().1;
    assert_eq!(batches, 20);

    // Into a new farm of the same database: every row comes back.
    let c = "cccccccc-cccc-cccc-cccc-cccccccccccc";
    import(&mut db.client(), &mut out.as_slice(), c).unwrap();
    assert_eq!(farm_digest(&db, c), farm_digest(&db, &a));
    // Not twice.
    let again = import(&mut db.client(), &mut out.as_slice(), c).unwrap_err();
    assert!(again.to_string().contains("is not empty"), "{again}");
}

#[test]
fn ndjson_round_trips_into_another_database() {
    let db = seeded();
    let a = farm(&db, 2);
    let mut out = Vec::new();
    export(
        &mut db.client(),
        Some(&a),
        &[],
        Layout::Ndjson,
        false,
        &mut out,
        &mut |_| {},
    )
    .unwrap();
    assert!(String::from_utf8(out.clone()).unwrap().lines().count() > 100);

    let other = dbguard_testkit::server().fresh_db();
    dbguard_migrate::runner::deploy(&mut other.client(), &dbguard_farm::migrations(), &mut |_| Ok(()))
        .unwrap();
    import(&mut other.client(), &mut out.as_slice(), &a).unwrap();
    assert_eq!(farm_digest(&other, &a), farm_digest(&db, &a));

    let garbage = import(&mut other.client(), &mut b"not json\n".as_slice(), &a).unwrap_err();
    assert!(garbage.to_string().contains("not a dbguard export"), "{garbage}");
}

#[test]
fn csv_holds_one_table_of_one_farm_through_its_context() {
    let db = seeded();
    let (a, b) = (farm(&db, 1), farm(&db, 2));
    let csv = |farm: Option<&str>, tables: &[&str]| {
        let mut out = Vec::new();
        let tables: Vec<String> = tables.iter().map(|t| t.to_string()).collect();
        export(
            &mut db.client(),
            farm,
            &tables,
            Layout::Csv,
            false,
            &mut out,
            &mut |_| {},
        )
        .map(|counts| (counts, String::from_utf8(out).unwrap()))
    };
    let (counts, text) = csv(Some(&a), &["batches"]).unwrap();
    assert_eq!(counts, [("batches".to_string(), 20)]);
    assert_eq!(text.lines().count(), 21, "a header and the farm's 20 batches");
    assert!(text.starts_with("farm_id,id,variety_id"));
    assert!(!text.contains(&b));
    let (_, all) = csv(None, &["batches"]).unwrap();
    assert_eq!(all.lines().count(), 61, "without --farm, every farm's batches");
    assert!(csv(Some(&a), &["batches", "orders"]).is_err());
    assert!(csv(Some(&a), &["users"]).is_err());
}

#[test]
fn a_whole_database_export_has_no_password_hashes_unless_asked_for() {
    let db = seeded();
    let run = |layout, with_hashes| {
        let mut out = Vec::new();
        let tables = if layout == Layout::Csv {
            vec!["users".to_string()]
        } else {
            Vec::new()
        };
        export(
            &mut db.client(),
            None,
            &tables,
            layout,
            with_hashes,
            &mut out,
            &mut |_| {},
        )
        .unwrap();
        String::from_utf8(out).unwrap()
    };
    let hash: String = db
        .client()
        .query_one(
            "SELECT password_hash FROM users WHERE password_hash IS NOT NULL LIMIT 1",
            &[],
        )
        .unwrap()
        .get(0);
    for layout in [Layout::Json, Layout::Ndjson, Layout::Csv] {
        let text = run(layout, false);
        assert!(
            !text.contains(&hash),
            "{layout:?}: a bcrypt hash is in the export"
        );
        assert!(!text.contains("password_hash"), "{layout:?}");
        assert!(text.contains("email"), "{layout:?}: the users are still exported");
        assert!(
            run(layout, true).contains(&hash),
            "{layout:?}: asked for, the hashes are there"
        );
    }
}
