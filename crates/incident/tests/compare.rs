//! The comparison on a real server: keys of every ordering kind (integers
//! that sort differently as text, text in mixed case, composite keys with a
//! uuid), rows lost, changed and added counted exactly, per farm; text keys
//! of a collation that
//! sorts otherwise than bytes, farms that are NULL, columns whose type
//! changed since the backup.

use dbguard_incident::catalog;
use dbguard_incident::compare::{compare, compare_every_row};

const SCHEMA: &str = "
    CREATE TABLE farms (id uuid PRIMARY KEY);
    INSERT INTO farms SELECT md5(f::text)::uuid FROM generate_series(0, 9) f;
    CREATE TABLE readings (farm_id uuid NOT NULL REFERENCES farms (id), id bigint NOT NULL, value float8,
                           PRIMARY KEY (farm_id, id));
    INSERT INTO readings SELECT md5((g % 10)::text)::uuid, g, g / 3.0 FROM generate_series(1, 5000) g;
    CREATE TABLE tags (name text PRIMARY KEY, note text);
    INSERT INTO tags SELECT chr(65 + g % 26) || lower(chr(65 + g % 7)) || g, 'n' FROM generate_series(1, 500) g;";

#[test]
fn lost_changed_and_added_rows_are_counted_exactly_for_every_key_kind() {
    let server = dbguard_testkit::server();
    let (old, new) = (server.fresh_db(), server.fresh_db());
    old.client().batch_execute(SCHEMA).unwrap();
    new.client().batch_execute(SCHEMA).unwrap();
    new.client()
        .batch_execute(
            "DELETE FROM readings WHERE farm_id = md5('7')::uuid AND id % 20 = 7;
             UPDATE readings SET value = -1 WHERE farm_id = md5('8')::uuid AND id < 1000;
             INSERT INTO readings SELECT md5('9')::uuid, g, 0 FROM generate_series(5001, 5100) g;
             DELETE FROM tags WHERE name LIKE 'B%';
             INSERT INTO tags VALUES ('aa', 'new'), ('ZZ', 'new');",
        )
        .unwrap();
    let (mut side, mut live) = (old.client(), new.client());
    let (a, b) = (
        catalog::own_tables(&mut side).unwrap(),
        catalog::own_tables(&mut live).unwrap(),
    );
    let readings = compare(
        &mut side,
        &a["public.readings"],
        &mut live,
        b.get("public.readings"),
    )
    .unwrap();
    let mut farm = |f: &str| -> String {
        live.query_one(&format!("SELECT md5('{f}')::uuid::text"), &[])
            .unwrap()
            .get(0)
    };
    assert_eq!(readings.counts.lost, 250, "{readings:?}");
    assert_eq!(readings.counts.changed, 100, "{readings:?}");
    assert_eq!(readings.counts.added, 100, "{readings:?}");
    assert_eq!(readings.farms[&farm("7")].lost, 250);
    assert_eq!(readings.farms[&farm("8")].changed, 100);
    assert_eq!(readings.farms[&farm("9")].added, 100);
    assert_eq!(readings.farms.len(), 3, "{:?}", readings.farms);
    assert_eq!(readings.tenant.as_deref(), Some("farm_id"));
    let farms = compare(&mut side, &a["public.farms"], &mut live, b.get("public.farms")).unwrap();
    assert_eq!(
        farms.tenant.as_deref(),
        Some("id"),
        "the farms table's key is its farm"
    );
    assert!(!farms.counts.any());
    let tags = compare(&mut side, &a["public.tags"], &mut live, b.get("public.tags")).unwrap();
    let lost_tags: i64 = side
        .query_one("SELECT count(*) FROM tags WHERE name LIKE 'B%'", &[])
        .unwrap()
        .get(0);
    assert_eq!(tags.counts.lost, lost_tags as u64, "{tags:?}");
    assert_eq!(tags.counts.added, 2, "{tags:?}");
    assert_eq!(tags.counts.changed, 0, "{tags:?}");
}

const EDGES: &str = "
    CREATE TABLE words (word text COLLATE \"en-x-icu\" PRIMARY KEY, farm_id text, n int, price numeric);
    INSERT INTO words
    SELECT w || g, CASE WHEN g % 3 = 0 THEN NULL ELSE 'farm' || g % 2 END, g, g
      FROM generate_series(1, 300) g, unnest(ARRAY['a', 'B', 'é', 'E', 'z', 'Z', '_x', 'œ']) w;
    CREATE TABLE codes (code int PRIMARY KEY, label text);
    INSERT INTO codes SELECT g, 'c' || g FROM generate_series(1, 50) g;";

#[test]
fn collated_text_keys_null_farms_and_retyped_columns_are_compared_exactly() {
    let server = dbguard_testkit::server();
    let (old, new) = (server.fresh_db(), server.fresh_db());
    old.client().batch_execute(EDGES).unwrap();
    new.client().batch_execute(EDGES).unwrap();
    new.client()
        .batch_execute(
            "DELETE FROM words WHERE word LIKE 'é%' OR word LIKE '\\_x%';
             UPDATE words SET n = -n WHERE word LIKE 'Z%';
             INSERT INTO words VALUES ('Éa', NULL, 0, 0), ('ÿ', 'farm1', 0, 0);
             ALTER TABLE words ALTER price TYPE float8;
             UPDATE words SET price = price + 1 WHERE word LIKE 'a%';
             ALTER TABLE codes ALTER code TYPE text;",
        )
        .unwrap();
    let (mut side, mut live) = (old.client(), new.client());
    let (a, b) = (
        catalog::own_tables(&mut side).unwrap(),
        catalog::own_tables(&mut live).unwrap(),
    );
    let direct = compare(&mut side, &a["public.words"], &mut live, b.get("public.words")).unwrap();
    // 600 lost; the 300 Z… rows changed in `n` (the price's change is
    // another type's, not compared); two added.
    assert_eq!(direct.counts.lost, 600, "{direct:?}");
    assert_eq!(direct.counts.changed, 300, "{direct:?}");
    assert_eq!(direct.counts.added, 2, "{direct:?}");
    assert_eq!(direct.backup_rows, 2400);
    assert_eq!(direct.live_rows, 1802);
    // Rows of no farm are counted under "".
    assert_eq!(direct.farms[""].lost, 200, "{:?}", direct.farms);
    assert_eq!(direct.farms[""].added, 1, "{:?}", direct.farms);
    assert_eq!(direct.farms["farm1"].added, 1, "{:?}", direct.farms);
    assert!(
        direct.samples.added.contains(&"word=Éa".to_string()),
        "{:?}",
        direct.samples
    );
    // A key column of another type: not compared row by row, every row counted.
    let codes = compare(&mut side, &a["public.codes"], &mut live, b.get("public.codes")).unwrap();
    assert!(codes.not_compared.is_some(), "{codes:?}");
    assert_eq!((codes.counts.lost, codes.counts.added), (50, 50));
}

const BUCKETS: &str = "
    CREATE TABLE readings (farm_id text NOT NULL, id bigint NOT NULL, value float8, PRIMARY KEY (farm_id, id));
    INSERT INTO readings SELECT 'farm' || g % 20, g, g / 3.0 FROM generate_series(1, 4000) g;
    CREATE TABLE batches (id bigint PRIMARY KEY, farm_id text, label text);
    INSERT INTO batches SELECT g, 'farm' || g % 20, 'b' || g FROM generate_series(1, 2000) g;
    CREATE TABLE tags (name text PRIMARY KEY, note text);
    INSERT INTO tags SELECT 't' || g, 'n' || g % 5 FROM generate_series(1, 3000) g;
    CREATE TABLE pairs (a int, b text, PRIMARY KEY (a, b));
    INSERT INTO pairs SELECT g, 'x' || g FROM generate_series(1, 1000) g;
    CREATE COLLATION ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false);
    CREATE TABLE vals (id int PRIMARY KEY, f float8, n numeric, s text COLLATE ci, at timestamptz);
    INSERT INTO vals SELECT g, 0, 1.0, 'a', '2026-01-01' FROM generate_series(1, 1000) g;";

/// Compares `name` with and without the pre-pass; the two must agree.
fn both(
    side: &mut postgres::Client,
    live: &mut postgres::Client,
    name: &str,
) -> dbguard_incident::compare::TableDiff {
    let (a, b) = (
        catalog::own_tables(side).unwrap(),
        catalog::own_tables(live).unwrap(),
    );
    let fast = compare(side, &a[name], live, b.get(name)).unwrap();
    let reference = compare_every_row(side, &a[name], live, b.get(name)).unwrap();
    assert_eq!(fast, reference, "{name}: the pre-pass changed the report");
    fast
}

#[test]
fn the_pre_pass_reports_exactly_what_the_row_by_row_comparison_does() {
    let server = dbguard_testkit::server();
    let (old, new) = (server.fresh_db(), server.fresh_db());
    old.client().batch_execute(BUCKETS).unwrap();
    new.client().batch_execute(BUCKETS).unwrap();
    new.client()
        .batch_execute(
            // One farm's bucket differs in readings; in batches a row moves
            // to another farm; in tags (no farm) a row is deleted and one
            // with the same note inserted under another key, one changed.
            "DELETE FROM readings WHERE farm_id = 'farm3' AND id % 7 = 0;
             UPDATE readings SET value = -1 WHERE farm_id = 'farm3' AND id < 500;
             INSERT INTO readings VALUES ('farm3', 9001, 0);
             UPDATE batches SET farm_id = 'farm5' WHERE id = 4;
             DELETE FROM tags WHERE name = 't10';
             INSERT INTO tags VALUES ('t10x', 'n0');
             UPDATE tags SET note = 'changed' WHERE name = 't2000';
             UPDATE vals SET f = '-0' WHERE id = 1;
             UPDATE vals SET n = 1.00 WHERE id = 2;
             UPDATE vals SET s = 'A' WHERE id = 3;",
        )
        .unwrap();
    let (mut side, mut live) = (old.client(), new.client());
    let readings = both(&mut side, &mut live, "public.readings");
    assert_eq!(readings.farms.len(), 1, "{:?}", readings.farms);
    let farm3 = readings.farms["farm3"];
    assert_eq!((farm3.lost, farm3.added), (29, 1), "{readings:?}");
    assert!(farm3.changed > 0, "{readings:?}");
    assert_eq!((readings.backup_rows, readings.live_rows), (4000, 3972));
    assert_eq!(readings.samples.lost.len(), 10, "samples of the differing rows");
    let batches = both(&mut side, &mut live, "public.batches");
    assert_eq!(batches.counts.changed, 1, "{batches:?}");
    assert_eq!(
        batches.farms["farm4"].changed, 1,
        "the backup's farm: {batches:?}"
    );
    assert_eq!(batches.samples.changed, ["id=4"]);
    // No farm: buckets of the key.
    let tags = both(&mut side, &mut live, "public.tags");
    assert_eq!(tags.tenant, None);
    assert_eq!(
        (tags.counts.lost, tags.counts.changed, tags.counts.added),
        (1, 1, 1),
        "{tags:?}"
    );
    assert_eq!((tags.backup_rows, tags.live_rows), (3000, 3000));
    assert_eq!(tags.samples.lost, ["name=t10"]);
    assert_eq!(tags.samples.added, ["name=t10x"]);
    // Values equal but printed otherwise are changed, as row by row.
    let vals = both(&mut side, &mut live, "public.vals");
    assert_eq!(vals.counts.changed, 3, "{vals:?}");
    // Equal tables: every row counted, nothing differs.
    let pairs = both(&mut side, &mut live, "public.pairs");
    assert!(!pairs.counts.any(), "{pairs:?}");
    assert!(pairs.farms.is_empty());
    assert_eq!((pairs.backup_rows, pairs.live_rows), (1000, 1000));
}
