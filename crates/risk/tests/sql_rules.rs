//! Every SQL rule with a statement that triggers it and one that does not.

use dbguard_risk::{classify_sql, Risk, SqlOptions};

fn check(sql: &str) -> (Risk, Vec<&'static str>) {
    let verdict = classify_sql(sql, &SqlOptions::default());
    let rules = verdict.findings.iter().map(|f| f.rule.id()).collect();
    (verdict.risk, rules)
}

#[track_caller]
fn expect(sql: &str, risk: Risk, rule: Option<&str>) {
    let (got, rules) = check(sql);
    assert_eq!(got, risk, "{sql}: {rules:?}");
    if let Some(rule) = rule {
        assert!(rules.contains(&rule), "{sql}: expected {rule} in {rules:?}");
    }
}

#[test]
fn destructive_statements_are_high() {
    use Risk::High;
    expect("DROP DATABASE farm", High, Some("drop-database"));
    expect(
        "drop schema if exists public cascade; create schema public;",
        High,
        Some("drop-schema"),
    );
    expect("DROP TABLE order_items, orders", High, Some("drop-table"));
    expect("DROP/**/TABLE users", High, Some("drop-table"));
    expect("DROP OWNED BY app", High, Some("drop-owned"));
    expect("DROP TYPE role CASCADE", High, Some("drop-cascade"));
    expect("TRUNCATE batches RESTART IDENTITY", High, Some("truncate"));
    expect("TRUNCATE ONLY tasks", High, Some("truncate"));
    expect("DELETE FROM farms", High, Some("delete-many-rows"));
    expect(
        "DELETE FROM customers WHERE farm_id = '5b0e3c1e-8a55-4d5c-9a7e-0f5d3c2b1a00'",
        High,
        Some("delete-many-rows"),
    );
    expect(
        "delete from quality_checks where score < 3",
        High,
        Some("delete-many-rows"),
    );
    expect(
        "DELETE FROM inventory_items WHERE true",
        High,
        Some("delete-many-rows"),
    );
    expect(
        "DELETE FROM equipment WHERE 1 = 1",
        High,
        Some("delete-many-rows"),
    );
    expect(
        "update orders set status = 'CANCELLED' where delivery_date < current_date",
        High,
        Some("update-many-rows"),
    );
    expect("ALTER TABLE batches DROP COLUMN notes", High, Some("drop-column"));
    expect(
        "alter table orders alter column total_cents type integer",
        High,
        Some("alter-column-type"),
    );
    expect(
        "MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN DELETE",
        High,
        Some("merge"),
    );
    expect("COPY t TO PROGRAM 'rm -rf /'", High, Some("copy-program"));
    expect(
        "SELECT dblink_exec('host=x', 'DROP TABLE y')",
        High,
        Some("dangerous-function"),
    );
    expect("EXECUTE wipe(1)", High, Some("dynamic-sql"));
}

#[test]
fn every_statement_of_a_string_counts() {
    let (risk, rules) = check("SELECT 1; COMMIT; DROP SCHEMA public CASCADE;");
    assert_eq!(risk, Risk::High);
    assert_eq!(rules, vec!["drop-schema"]);
}

#[test]
fn writes_hidden_in_ctes_explain_prepare_and_do_blocks_count() {
    use Risk::High;
    expect(
        "WITH gone AS (DELETE FROM tasks RETURNING id) SELECT count(*) FROM gone",
        High,
        Some("delete-many-rows"),
    );
    expect(
        "EXPLAIN ANALYZE DELETE FROM orders",
        High,
        Some("delete-many-rows"),
    );
    expect(
        "EXPLAIN (ANALYZE true, COSTS OFF) UPDATE orders SET x = 1",
        High,
        Some("update-many-rows"),
    );
    expect(
        "PREPARE wipe AS DELETE FROM tasks; EXECUTE wipe",
        High,
        Some("delete-many-rows"),
    );
    expect(
        "DO $$ BEGIN EXECUTE 'DROP TABLE tasks'; END $$;",
        High,
        Some("drop-table"),
    );
    expect(
        "DO $$ BEGIN EXECUTE 'DROP ' || 'TABLE tasks'; END $$;",
        High,
        Some("drop-table"),
    );
    expect(
        "DO $$ BEGIN DELETE FROM tasks; END $$",
        High,
        Some("delete-many-rows"),
    );
    expect(
        "DO $$ DECLARE t text := 'tasks'; BEGIN EXECUTE 'TRUNCATE ' || t; END $$",
        High,
        Some("dynamic-sql"),
    );
    expect(
        "DO $$ BEGIN EXECUTE format('DROP TABLE %I', 'x'); END $$",
        High,
        Some("dynamic-sql"),
    );
    expect(
        "DO LANGUAGE plpython3u $$ plpy.execute('x') $$",
        High,
        Some("dynamic-sql"),
    );
    expect(
        "DO $$ BEGIN PERFORM dblink_exec('x', 'y'); END $$",
        High,
        Some("dangerous-function"),
    );
}

#[test]
fn unparseable_sql_is_high() {
    expect("DELET FROM x", Risk::High, Some("sql-unparseable"));
    expect("SELECT 'unterminated", Risk::High, Some("sql-unparseable"));
    expect("SELECT 1\0; DROP TABLE x", Risk::High, Some("sql-unparseable"));
}

#[test]
fn medium_statements() {
    use Risk::Medium;
    expect(
        "ALTER TABLE customers DROP CONSTRAINT customers_email_key",
        Medium,
        Some("drop-constraint"),
    );
    expect("DROP INDEX idx_batches_farm", Medium, Some("drop-index"));
    expect("DROP VIEW v", Medium, Some("drop-object"));
    expect("ALTER TABLE users RENAME TO people", Medium, Some("rename"));
    expect(
        "ALTER TABLE users RENAME COLUMN name TO full_name",
        Medium,
        Some("rename"),
    );
    expect(
        "ALTER TABLE users ADD COLUMN timezone text DEFAULT 'UTC'",
        Medium,
        Some("schema-change"),
    );
    expect(
        "CREATE INDEX CONCURRENTLY idx ON batches(farm_id)",
        Medium,
        Some("schema-change"),
    );
    expect("GRANT ALL ON batches TO app", Medium, Some("permission-change"));
    expect("CALL cleanup()", Medium, Some("call-procedure"));
    expect(
        "SELECT pg_terminate_backend(123)",
        Medium,
        Some("terminate-session"),
    );
}

#[test]
fn reads_and_single_row_writes_are_low() {
    use Risk::Low;
    expect(
        "select count(*) from batches where farm_id = '5b0e3c1e-8a55-4d5c-9a7e-0f5d3c2b1a00'",
        Low,
        None,
    );
    expect("EXPLAIN SELECT * FROM orders", Low, None);
    expect("EXPLAIN (COSTS OFF) DELETE FROM orders", Low, None);
    expect("EXPLAIN (ANALYZE false) DELETE FROM orders", Low, None);
    expect("DELETE FROM tasks WHERE id = 42", Low, Some("write-one-row"));
    expect(
        "UPDATE batches SET status = 'HARVESTED' WHERE id = $1",
        Low,
        Some("write-one-row"),
    );
    expect("INSERT INTO tasks (id) VALUES (1)", Low, None);
    expect(
        "BEGIN; SET lock_timeout = '1s'; SHOW search_path; COMMIT;",
        Low,
        None,
    );
    expect("COPY batches TO STDOUT", Low, None);
    expect("-- DROP TABLE users\nSELECT 1", Low, None);
    expect("SELECT 'DROP TABLE users'", Low, None);
    expect("", Low, None);
}

#[test]
fn supplied_keys_replace_the_default() {
    let mut options = SqlOptions::default();
    options
        .keys
        .insert("batches".into(), vec![vec!["farm_id".into(), "id".into()]]);
    let one = classify_sql("DELETE FROM batches WHERE farm_id = $1 AND id = $2", &options);
    assert_eq!(one.risk, Risk::Low);
    let many = classify_sql("DELETE FROM batches WHERE id = $2", &options);
    assert_eq!(many.risk, Risk::High);
}

#[test]
fn findings_point_at_their_statement() {
    let sql = "SELECT 1;\nSELECT 2;\n  TRUNCATE tasks;";
    let verdict = classify_sql(sql, &SqlOptions::default());
    let finding = &verdict.findings[0];
    let span = finding.span.unwrap();
    assert_eq!((span.line, span.column), (3, 3));
    assert_eq!(finding.text, "TRUNCATE tasks");
}

#[test]
fn one_row_means_a_key_of_the_table_written() {
    use Risk::{High, Low};
    // Another table's key pins nothing in the table written.
    expect(
        "UPDATE users SET admin = true FROM orgs WHERE orgs.id = 1",
        High,
        Some("update-many-rows"),
    );
    expect(
        "DELETE FROM tasks USING farms WHERE farms.id = 7 AND tasks.farm_id = farms.id",
        High,
        Some("delete-many-rows"),
    );
    // Unqualified columns are ambiguous once other tables are joined in.
    expect(
        "DELETE FROM tasks USING farms WHERE id = 7",
        High,
        Some("delete-many-rows"),
    );
    expect(
        "DELETE FROM tasks WHERE other.id = 7",
        High,
        Some("delete-many-rows"),
    );
    expect(
        "DELETE FROM tasks WHERE id IN (1, 2, 3)",
        High,
        Some("delete-many-rows"),
    );
    // The written table's own key, by name or alias, still pins one row.
    expect(
        "DELETE FROM tasks t USING farms f WHERE t.id = 5 AND t.farm_id = f.id",
        Low,
        Some("write-one-row"),
    );
    expect(
        "UPDATE tasks SET done = true WHERE tasks.id = 5",
        Low,
        Some("write-one-row"),
    );
    expect(
        "UPDATE public.tasks SET done = true WHERE public.tasks.id = 5",
        Low,
        Some("write-one-row"),
    );
}

#[test]
fn isolation_and_safety_switches_are_high() {
    use Risk::{High, Low, Medium};
    expect(
        "ALTER TABLE batches DISABLE ROW LEVEL SECURITY",
        High,
        Some("disable-row-security"),
    );
    expect("ALTER ROLE farm_app BYPASSRLS", High, Some("bypass-row-security"));
    expect(
        "CREATE ROLE helper LOGIN BYPASSRLS",
        High,
        Some("bypass-row-security"),
    );
    expect(
        "ALTER ROLE farm_app NOBYPASSRLS",
        Medium,
        Some("permission-change"),
    );
    expect(
        "DROP POLICY tenant_isolation ON batches",
        High,
        Some("drop-policy"),
    );
    expect(
        "INSERT INTO tasks SELECT * FROM tasks ON CONFLICT (id) DO UPDATE SET title = ''",
        High,
        Some("update-many-rows"),
    );
    expect(
        "WITH s AS (SELECT id FROM tasks) INSERT INTO tasks (id, title) SELECT id, '' FROM s ON CONFLICT (id) DO UPDATE SET title = excluded.title",
        High,
        Some("update-many-rows"),
    );
    expect(
        "INSERT INTO tasks (id, title) VALUES (1, 'a') ON CONFLICT (id) DO UPDATE SET title = excluded.title",
        Low,
        None,
    );
    expect(
        "INSERT INTO tasks SELECT * FROM staging ON CONFLICT DO NOTHING",
        Low,
        None,
    );
    expect(
        "SELECT pg_file_write('/tmp/x', 'y', false)",
        High,
        Some("dangerous-function"),
    );
    expect(
        "SELECT lo_export(16401, '/var/lib/postgresql/15/main/PG_VERSION')",
        High,
        Some("dangerous-function"),
    );
    expect(
        "CREATE POLICY everyone ON batches FOR SELECT USING (true)",
        High,
        Some("loosen-policy"),
    );
    expect(
        "create policy p on public.batches as permissive to farm_app using (farm_id is not null)",
        High,
        Some("loosen-policy"),
    );
    expect(
        "ALTER POLICY tenant_isolation ON batches USING (true)",
        High,
        Some("loosen-policy"),
    );
    expect(
        "CREATE POLICY narrower ON batches AS RESTRICTIVE USING (farm_id IS NOT NULL)",
        Medium,
        Some("schema-change"),
    );
    expect(
        "SET session_replication_role = replica",
        High,
        Some("disable-triggers"),
    );
    expect(
        "SET LOCAL session_replication_role TO 'replica'",
        High,
        Some("disable-triggers"),
    );
    expect("SET session_replication_role = DEFAULT", Low, None);
    expect("SET session_replication_role = origin", Low, None);
    expect(
        "ALTER TABLE orders DISABLE TRIGGER ALL",
        High,
        Some("disable-triggers"),
    );
    expect(
        "ALTER TABLE orders ENABLE TRIGGER ALL",
        Medium,
        Some("schema-change"),
    );
    expect(
        "REASSIGN OWNED BY farm_app TO postgres",
        High,
        Some("reassign-owned"),
    );
    expect("DROP OWNED BY farm_app", High, Some("drop-owned"));
    expect("COPY tasks FROM PROGRAM 'curl -s x'", High, Some("copy-program"));
    expect(
        "MERGE INTO tasks t USING done d ON t.id = d.id WHEN MATCHED THEN DELETE",
        High,
        Some("merge"),
    );
}

#[test]
fn switching_off_or_forging_the_guards_inside_the_database_is_high() {
    for sql in [
        "ALTER EVENT TRIGGER dbguard_ddl_start DISABLE",
        "ALTER EVENT TRIGGER dbguard_ddl_end ENABLE REPLICA",
        "DROP EVENT TRIGGER IF EXISTS dbguard_sql_drop",
        "DROP TRIGGER dbguard_truncate ON batches",
        "INSERT INTO dbguard.windows (approval_id, kinds) VALUES ('x', '{truncate}')",
        "UPDATE dbguard.config SET max_rows = 1000000",
        "DELETE FROM \"dbguard\".refusals",
        "ALTER FUNCTION dbguard.guard_truncate() OWNER TO app",
        "CREATE OR REPLACE FUNCTION dbguard.allowed() RETURNS boolean LANGUAGE sql AS 'SELECT true'",
    ] {
        expect(sql, Risk::High, Some("guard-tamper"));
    }
    // Reading dbguard's schema, and other triggers, are not tampering.
    expect(
        "SELECT rule, at FROM dbguard.refusals ORDER BY at DESC",
        Risk::Low,
        None,
    );
    let (_, rules) = check("DROP TRIGGER audit_changes ON batches");
    assert!(!rules.contains(&"guard-tamper"), "{rules:?}");
}

#[test]
fn functions_spelling_set_or_alter_sequence_are_caught() {
    expect(
        "SELECT set_config('session_replication_role', 'replica', false)",
        Risk::High,
        Some("disable-triggers"),
    );
    expect(
        "select SET_CONFIG('session_replication_role', 'replica', true) from pg_class limit 1",
        Risk::High,
        Some("disable-triggers"),
    );
    expect(
        "SELECT set_config('session_replication_role', 'origin', false)",
        Risk::Low,
        None,
    );
    expect("SELECT set_config('app.tenant_id', '5', true)", Risk::Low, None);
    expect(
        "SELECT setval('farms_id_seq', 1)",
        Risk::Medium,
        Some("schema-change"),
    );
    expect("SELECT nextval('farms_id_seq')", Risk::Low, None);
}

#[test]
fn temporary_tables_of_the_session_may_be_dropped() {
    expect("CREATE TEMP TABLE t AS SELECT 1; DROP TABLE t", Risk::Low, None);
    expect("DROP TABLE IF EXISTS pg_temp.t", Risk::Low, None);
    expect(
        "CREATE TEMPORARY TABLE x (i int); INSERT INTO x VALUES (1); DROP TABLE x",
        Risk::Low,
        None,
    );
    // Once the temporary one is gone, the name is the permanent table's.
    expect(
        "CREATE TEMP TABLE farms (i int); DROP TABLE farms; DROP TABLE farms",
        Risk::High,
        Some("drop-table"),
    );
    expect(
        "CREATE TEMP TABLE t (i int); DROP TABLE t, farms",
        Risk::High,
        Some("drop-table"),
    );
    // A permanent table made first may already have existed (psql goes on after an error).
    expect(
        "CREATE TABLE t (i int); DROP TABLE t",
        Risk::High,
        Some("drop-table"),
    );
}

#[test]
fn calls_and_roles_whose_effects_are_unseen_are_medium() {
    expect("SELECT purge_farms()", Risk::Medium, Some("call-procedure"));
    expect(
        "SELECT public.delete_tenant(5)",
        Risk::Medium,
        Some("call-procedure"),
    );
    expect("SELECT array_remove(ARRAY[1, 2], 1)", Risk::Low, None);
    expect("SELECT pg_stat_reset()", Risk::Low, None);
    expect("SELECT * FROM farms WHERE name = 'drop'", Risk::Low, None);
    expect("SET ROLE postgres", Risk::Medium, Some("permission-change"));
    expect(
        "SET SESSION AUTHORIZATION postgres",
        Risk::Medium,
        Some("permission-change"),
    );
    expect("SET ROLE NONE", Risk::Low, None);
    expect("RESET ROLE", Risk::Low, None);
}
