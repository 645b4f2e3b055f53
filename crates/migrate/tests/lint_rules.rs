//! Every lint rule with a migration it catches and the safe version it
//! accepts, the text output snapshotted rule by rule, ignore comments, and
//! the real-world migrations of the external corpus.

use dbguard_migrate::lint::format::{self, FileReport};
use dbguard_migrate::lint::{lint, rules};

const SET: &str = "SET lock_timeout = '5s';\n";

/// (rule, bad migration, good migration).
fn cases() -> Vec<(&'static str, String, String)> {
    vec![
        ("index-not-concurrent", format!("{SET}CREATE INDEX idx_batches_farm ON batches (farm_id);"), "CREATE INDEX CONCURRENTLY idx_batches_farm ON batches (farm_id);".into()),
        (
            "foreign-key-not-valid",
            format!("{SET}ALTER TABLE batches ADD CONSTRAINT batches_variety_fk FOREIGN KEY (variety_id) REFERENCES seed_varieties (id);"),
            format!("{SET}ALTER TABLE batches ADD CONSTRAINT batches_variety_fk FOREIGN KEY (variety_id) REFERENCES seed_varieties (id) NOT VALID;"),
        ),
        (
            "check-not-valid",
            format!("{SET}ALTER TABLE orders ADD CONSTRAINT total_positive CHECK (total_cents >= 0);"),
            format!("{SET}ALTER TABLE orders ADD CONSTRAINT total_positive CHECK (total_cents >= 0) NOT VALID;\nALTER TABLE orders VALIDATE CONSTRAINT total_positive;"),
        ),
        ("set-not-null", format!("{SET}ALTER TABLE users ALTER COLUMN status SET NOT NULL;"), format!("{SET}ALTER TABLE users ADD CONSTRAINT status_nn CHECK (status IS NOT NULL) NOT VALID;")),
        (
            "add-column-not-null-without-default",
            format!("{SET}ALTER TABLE users ADD COLUMN timezone text NOT NULL;"),
            format!("{SET}ALTER TABLE users ADD COLUMN timezone text NOT NULL DEFAULT 'UTC';"),
        ),
        (
            "volatile-default",
            format!("{SET}ALTER TABLE tasks ADD COLUMN token uuid DEFAULT gen_random_uuid();"),
            format!("{SET}ALTER TABLE tasks ADD COLUMN created_at timestamptz DEFAULT now();"),
        ),
        ("missing-lock-timeout", "ALTER TABLE users ADD COLUMN phone varchar(20) DEFAULT '';".into(), format!("{SET}ALTER TABLE users ADD COLUMN phone varchar(20) DEFAULT '';")),
        ("drop-table", "DROP TABLE quality_checks;".into(), "CREATE TABLE scratch (x int);\nDROP TABLE scratch;".into()),
        ("drop-column", format!("{SET}ALTER TABLE users DROP COLUMN email;"), format!("{SET}ALTER TABLE users ADD COLUMN email_verified boolean DEFAULT false;")),
        ("alter-column-type", format!("{SET}ALTER TABLE users ALTER COLUMN id TYPE uuid;"), format!("{SET}ALTER TABLE users ADD COLUMN new_id uuid;")),
        ("rename", format!("{SET}ALTER TABLE users RENAME COLUMN name TO full_name;"), format!("{SET}ALTER TABLE users ADD COLUMN full_name text;")),
        ("truncate", "TRUNCATE sessions;".into(), "CREATE TABLE sessions_new (id int);".into()),
        ("delete-many-rows", "DELETE FROM tasks WHERE done;".into(), "DELETE FROM tasks WHERE id = 'seed-task';".into()),
        ("update-many-rows", "UPDATE orders SET status = 'OPEN';".into(), "UPDATE orders SET status = 'OPEN' WHERE id = 'o1';".into()),
        ("drop-constraint", format!("{SET}ALTER TABLE users DROP CONSTRAINT users_email_key;"), format!("{SET}ALTER TABLE users ADD CONSTRAINT users_email_check CHECK (email <> '') NOT VALID;")),
        ("drop-index", "DROP INDEX idx_users_email;".into(), "CREATE INDEX CONCURRENTLY idx_users_email ON users (email);".into()),
        ("sql-unparseable", "ALTER TABLE users ADD COLUM x int;".into(), format!("{SET}ALTER TABLE users ADD COLUMN x int;")),
        (
            "unused-ignore",
            "-- dbguard-ignore drop-table: this table was never used\nCREATE TABLE t (x int);".into(),
            "-- dbguard-ignore drop-table: replaced by batches_v2 long ago\nDROP TABLE batches_v1;".into(),
        ),
    ]
}

fn rule_ids(sql: &str) -> Vec<String> {
    lint(sql).into_iter().map(|d| d.rule).collect()
}

#[test]
fn every_rule_catches_its_bad_example_and_accepts_its_good_one() {
    for (rule, bad, good) in cases() {
        assert!(
            rule_ids(&bad).contains(&rule.to_string()),
            "{rule}: not found in\n{bad}\n{:?}",
            rule_ids(&bad)
        );
        assert!(
            !rule_ids(&good).contains(&rule.to_string()),
            "{rule}: found in the good example\n{good}\n{:?}",
            rule_ids(&good)
        );
    }
}

#[test]
fn every_own_rule_has_a_case() {
    let covered: Vec<&str> = cases().iter().map(|(rule, _, _)| *rule).collect();
    for rule in rules::OWN {
        assert!(covered.contains(&rule.id), "{} has no example", rule.id);
    }
}

#[test]
fn text_output_per_rule() {
    for (rule, bad, _) in cases() {
        let report = FileReport {
            file: "migration.sql".into(),
            diagnostics: lint(&bad),
        };
        insta::assert_snapshot!(rule, format::text(&report, &bad));
    }
}

#[test]
fn machine_formats() {
    let sql = format!("{SET}ALTER TABLE users DROP COLUMN email;");
    let report = FileReport {
        file: "prisma/migrations/20240101000000_x/migration.sql".into(),
        diagnostics: lint(&sql),
    };
    assert_eq!(
        format::gcc(&report),
        "prisma/migrations/20240101000000_x/migration.sql:2:1: error: drop-column drops column users.email and its data\n"
    );
    assert!(format::github(&report).starts_with(
        "::error file=prisma/migrations/20240101000000_x/migration.sql,line=2,col=1,title=drop-column::"
    ));
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["diagnostics"][0]["rule"], "drop-column");
    assert_eq!(json["diagnostics"][0]["risk"], "high");
}

#[test]
fn tables_created_in_the_same_migration_are_exempt() {
    let sql = "CREATE TABLE farms_new (id uuid PRIMARY KEY, name text);
               CREATE INDEX farms_new_name ON farms_new (name);
               ALTER TABLE farms_new ADD COLUMN code text NOT NULL;
               ALTER TABLE farms_new ADD CONSTRAINT code_check CHECK (code <> '');
               ALTER TABLE farms_new RENAME COLUMN name TO title;";
    assert_eq!(rule_ids(sql), Vec::<String>::new());
}

#[test]
fn ignore_comments_silence_their_statement_only() {
    let sql = "SET lock_timeout = '5s';\n-- dbguard-ignore drop-column: moved to profiles in 20240101\nALTER TABLE users DROP COLUMN bio;\nALTER TABLE users DROP COLUMN avatar;\n";
    let found = lint(sql);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!((found[0].rule.as_str(), found[0].line), ("drop-column", 4));
    let trailing =
        "SET lock_timeout = '5s';\nALTER TABLE users DROP COLUMN bio; -- dbguard-ignore drop-column: gone\n";
    assert!(lint(trailing).is_empty());
}
