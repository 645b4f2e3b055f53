//! Every lint rule with a migration it catches and the safe version it
//! accepts (inline, or `fixtures/rules/RULE.bad.sql` and `RULE.good.sql`),
//! the text output snapshotted rule by rule, ignore comments, and the rules
//! that used to miss or contradict their own advice.

use std::path::Path;

use dbguard_migrate::lint::format::{self, FileReport};
use dbguard_migrate::lint::{lint, rules};

const SET: &str = "SET lock_timeout = '5s';\n";

/// (rule, bad migration, good migration): the inline cases, then the fixtures.
fn cases() -> Vec<(String, String, String)> {
    let mut cases: Vec<(String, String, String)> = inline_cases()
        .into_iter()
        .map(|(rule, bad, good)| (rule.to_string(), bad, good))
        .collect();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/rules");
    let mut bad: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.to_string_lossy().ends_with(".bad.sql"))
        .collect();
    bad.sort();
    for path in bad {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let rule = name.trim_end_matches(".bad.sql").to_string();
        let good = dir.join(format!("{rule}.good.sql"));
        cases.push((
            rule,
            std::fs::read_to_string(&path).unwrap(),
            std::fs::read_to_string(&good).unwrap_or_else(|_| panic!("{} is missing", good.display())),
        ));
    }
    cases
}

fn inline_cases() -> Vec<(&'static str, String, String)> {
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
            rule_ids(&bad).contains(&rule),
            "{rule}: not found in\n{bad}\n{:?}",
            rule_ids(&bad)
        );
        assert!(
            !rule_ids(&good).contains(&rule),
            "{rule}: found in the good example\n{good}\n{:?}",
            rule_ids(&good)
        );
    }
}

#[test]
fn every_own_rule_has_a_case() {
    let covered: Vec<String> = cases().into_iter().map(|(rule, _, _)| rule).collect();
    for rule in rules::OWN {
        assert!(covered.iter().any(|c| c == rule.id), "{} has no example", rule.id);
    }
}

#[test]
fn text_output_per_rule() {
    for (rule, bad, _) in cases() {
        let report = FileReport {
            file: "migration.sql".into(),
            diagnostics: lint(&bad),
        };
        insta::assert_snapshot!(rule.as_str(), format::text(&report, &bad));
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
    let odd = FileReport {
        file: "migrations/a,b:c%/migration.sql".into(),
        diagnostics: report.diagnostics.clone(),
    };
    assert!(format::github(&odd)
        .starts_with("::error file=migrations/a%2Cb%3Ac%25/migration.sql,line=2,col=1,title=drop-column::"));
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

fn has(sql: &str, rule: &str) -> bool {
    rule_ids(sql).iter().any(|r| r == rule)
}

#[test]
fn missing_lock_timeout_covers_every_statement_that_waits_for_a_lock() {
    for sql in [
        "DROP TRIGGER farms_touch ON farms;",
        "CREATE TRIGGER farms_touch BEFORE UPDATE ON farms FOR EACH ROW EXECUTE FUNCTION touch();",
        "DROP VIEW farm_totals;",
        "DROP TABLE quality_checks;",
        "LOCK TABLE farms IN ACCESS EXCLUSIVE MODE;",
        "COMMENT ON TABLE farms IS 'tenants';",
        "REINDEX TABLE farms;",
        "ALTER TABLE farms RENAME TO tenants;",
    ] {
        assert!(has(sql, "missing-lock-timeout"), "{sql}: {:?}", rule_ids(sql));
        assert!(
            !has(&format!("{SET}{sql}"), "missing-lock-timeout"),
            "{sql} after SET lock_timeout"
        );
    }
    let new = "CREATE TABLE scratch (x int);\nCREATE TRIGGER scratch_touch BEFORE UPDATE ON scratch FOR EACH ROW EXECUTE FUNCTION touch();\nDROP TABLE scratch;";
    assert!(!has(new, "missing-lock-timeout"), "{:?}", rule_ids(new));
}

#[test]
fn volatile_default_fails_closed_on_functions_it_does_not_know() {
    let user = format!("{SET}ALTER TABLE tasks ADD COLUMN code text DEFAULT make_task_code();");
    let found = lint(&user);
    let d = found
        .iter()
        .find(|d| d.rule == "volatile-default")
        .expect("a user function is judged volatile");
    assert!(d.message.contains("make_task_code()"), "{}", d.message);
    assert!(!has(
        &format!("{SET}ALTER TABLE tasks ADD COLUMN at timestamptz DEFAULT now();"),
        "volatile-default"
    ));
    assert!(!has(
        &format!("{SET}ALTER TABLE tasks ADD COLUMN n int DEFAULT 0;"),
        "volatile-default"
    ));
}

#[test]
fn not_valid_then_validate_in_one_transaction_is_flagged() {
    let explicit = format!(
        "{SET}BEGIN;\nALTER TABLE batches ADD CONSTRAINT batches_variety_fk FOREIGN KEY (variety_id) REFERENCES seed_varieties (id) NOT VALID;\nALTER TABLE batches VALIDATE CONSTRAINT batches_variety_fk;\nCOMMIT;"
    );
    assert!(
        has(&explicit, "validate-in-same-transaction"),
        "{:?}",
        rule_ids(&explicit)
    );
}

#[test]
fn set_not_null_after_a_validated_check_is_not_flagged() {
    let proven = format!(
        "{SET}ALTER TABLE users ADD CONSTRAINT users_status_nn CHECK (status IS NOT NULL) NOT VALID;\n\
         ALTER TABLE users VALIDATE CONSTRAINT users_status_nn;\nALTER TABLE users ALTER COLUMN status SET NOT NULL;"
    );
    assert!(!has(&proven, "set-not-null"), "{:?}", rule_ids(&proven));
    let other_column = format!(
        "{SET}ALTER TABLE users ADD CONSTRAINT users_email_nn CHECK (email IS NOT NULL) NOT VALID;\n\
         ALTER TABLE users VALIDATE CONSTRAINT users_email_nn;\nALTER TABLE users ALTER COLUMN status SET NOT NULL;"
    );
    assert!(has(&other_column, "set-not-null"));
    let unvalidated = format!(
        "{SET}ALTER TABLE users ADD CONSTRAINT users_status_nn CHECK (status IS NOT NULL) NOT VALID;\n\
         ALTER TABLE users ALTER COLUMN status SET NOT NULL;"
    );
    assert!(has(&unvalidated, "set-not-null"));
}

#[test]
fn drop_index_concurrently_is_the_safe_drop() {
    assert!(!has("DROP INDEX CONCURRENTLY idx_users_email;", "drop-index"));
    assert!(has("DROP INDEX idx_users_email;", "drop-index"));
}

#[test]
fn parse_errors_point_at_the_real_line_and_column() {
    let found = lint("SET lock_timeout = '5s';\nALTER TABLE users ADD COLUM x int;\n");
    assert_eq!(
        (found[0].rule.as_str(), found[0].line, found[0].column),
        ("sql-unparseable", 2, 31)
    );
    let found = lint("SELECT 1;\nSELECT 2;\nALTER TABLE users ADD\n");
    assert_eq!((found[0].line, found[0].column), (3, 22), "{found:?}");
    let found = lint("SELECT 1;\nSELECT 'x' AS a FROM users WHERE WHERE id = 1;");
    assert_eq!((found[0].line, found[0].column), (2, 34), "{found:?}");
}

#[test]
fn a_table_dropped_and_created_again_loses_its_rows() {
    let sql = "DROP TABLE \"Team\";\nCREATE TABLE \"Team\" (id text PRIMARY KEY);";
    assert!(has(sql, "drop-table"), "{:?}", rule_ids(sql));
    assert!(has(sql, "drop-and-recreate"));
}

#[test]
fn binary_coercible_type_changes_are_not_rewrites() {
    let widen = format!(
        "{SET}ALTER TABLE orders ADD COLUMN note varchar(20);\nALTER TABLE orders ALTER COLUMN note TYPE varchar(200);\n\
         ALTER TABLE orders ADD COLUMN amount numeric(10, 2);\nALTER TABLE orders ALTER COLUMN amount TYPE numeric(12, 2);"
    );
    assert_eq!(rule_ids(&widen), Vec::<String>::new());
    for rewrite in [
        "ALTER TABLE orders ADD COLUMN note varchar(20);\nALTER TABLE orders ALTER COLUMN note TYPE varchar(10);",
        "ALTER TABLE orders ADD COLUMN amount numeric(10, 2);\nALTER TABLE orders ALTER COLUMN amount TYPE numeric(12, 3);",
        "ALTER TABLE orders ADD COLUMN n int;\nALTER TABLE orders ALTER COLUMN n TYPE bigint;",
        "ALTER TABLE orders ALTER COLUMN note TYPE text;",
        "ALTER TABLE orders ADD COLUMN note varchar(20);\nALTER TABLE orders ALTER COLUMN note TYPE text USING upper(note);",
    ] {
        let sql = format!("{SET}{rewrite}");
        assert!(has(&sql, "column-type-rewrite"), "{rewrite}: {:?}", rule_ids(&sql));
        assert!(has(&sql, "alter-column-type"), "{rewrite}");
    }
}

#[test]
fn a_migration_may_set_up_policies_but_changing_one_is_a_finding() {
    assert!(!has(
        "CREATE POLICY tenant_isolation ON batches FOR ALL TO farm_app USING (farm_id = current_setting('app.current_farm')::uuid);",
        "loosen-policy"
    ));
    assert!(has(
        "ALTER POLICY tenant_isolation ON batches USING (true);",
        "loosen-policy"
    ));
}
