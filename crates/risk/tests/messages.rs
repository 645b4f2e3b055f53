//! Snapshot of the findings' messages: one example per rule, so a change of
//! wording or of a verdict shows up in review.

use std::collections::BTreeSet;
use std::path::PathBuf;

use dbguard_risk::{classify_shell, classify_sql, MemoryFiles, Rule, ShellContext, SqlOptions};
use serde_json::json;

/// (kind, input): `sql` inputs go to the SQL classifier, `sh` to the shell one.
const EXAMPLES: &[(&str, &str)] = &[
    ("sql", "DROP DATABASE farm"),
    ("sql", "ALTER EVENT TRIGGER dbguard_ddl_start DISABLE"),
    ("sql", "DROP SCHEMA public CASCADE"),
    ("sql", "DROP TABLE order_items, orders"),
    ("sql", "DROP OWNED BY app"),
    ("sql", "DROP TYPE role CASCADE"),
    ("sql", "DROP VIEW active_orders"),
    ("sql", "DROP INDEX idx_batches_farm"),
    ("sql", "ALTER TABLE customers DROP CONSTRAINT customers_email_key"),
    ("sql", "ALTER TABLE batches DROP COLUMN notes"),
    ("sql", "ALTER TABLE orders ALTER COLUMN total_cents TYPE integer"),
    ("sql", "ALTER TABLE users RENAME COLUMN name TO full_name"),
    ("sql", "TRUNCATE batches, tasks"),
    ("sql", "DELETE FROM customers WHERE farm_id = $1"),
    ("sql", "UPDATE orders SET status = 'CANCELLED'"),
    (
        "sql",
        "MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN DELETE",
    ),
    ("sql", "DELETE FROM tasks WHERE id = 42"),
    ("sql", "CREATE INDEX idx ON batches (farm_id)"),
    ("sql", "ALTER TABLE batches NO FORCE ROW LEVEL SECURITY"),
    ("sql", "GRANT ALL ON batches TO app"),
    ("sql", "CALL archive()"),
    ("sql", "SELECT dblink_exec('host=x', 'DROP TABLE y')"),
    ("sql", "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"),
    ("sql", "COPY tasks TO PROGRAM 'gzip > /tmp/x'"),
    (
        "sql",
        "DO $$ BEGIN EXECUTE 'TRUNCATE ' || quote_ident(tbl); END $$",
    ),
    ("sql", "SELEC 1"),
    ("sql", "ALTER ROLE farm_app BYPASSRLS"),
    ("sql", "DROP POLICY tenant_isolation ON batches"),
    ("sql", "ALTER POLICY tenant_isolation ON batches USING (true)"),
    ("sql", "SET session_replication_role = replica"),
    ("sql", "REASSIGN OWNED BY farm_app TO postgres"),
    ("sql", "UPDATE users SET admin = true FROM orgs WHERE orgs.id = 1"),
    ("sql", "ALTER TABLE orders SET UNLOGGED"),
    ("sql", "ALTER SYSTEM SET fsync = off"),
    ("sh", "npx prisma migrate reset --force"),
    ("sh", "npx prisma db push --force-reset"),
    ("sh", "LD_PRELOAD=/tmp/hook.so node server.js"),
    ("sh", "cat .dbguard/local.pgpass"),
    ("sh", "npx prisma db push --accept-data-loss"),
    ("sh", "npx prisma db push"),
    ("sh", "npx prisma migrate dev --name add_tasks"),
    ("sh", "npx prisma migrate deploy"),
    ("sh", "npx prisma migrate resolve --rolled-back 20240101_init"),
    ("sh", "npx prisma db seed"),
    ("sh", "sudo -u postgres dropdb farm"),
    ("sh", "pg_restore --clean -d farm farm.dump"),
    ("sh", "pg_restore -d farm farm.dump"),
    ("sh", "psql farm"),
    ("sh", "cat scripts/wipe.sql | psql farm"),
    ("sh", "pg_ctl stop -D data"),
    ("sh", "pg_dropcluster 15 main"),
    ("sh", "supabase db reset"),
    ("sh", "docker compose down -v"),
    ("sh", "rm -rf backups/"),
    ("sh", "rm -rf /var/lib/postgresql/15/main"),
    ("sh", "rm -rf \"$OUT\""),
    ("sh", "rails db:drop"),
    ("sh", "npx drizzle-kit push"),
    ("sh", "npx prisma frobnicate"),
    ("sh", "npm run db:reset"),
    ("sh", "eval \"$CMD\""),
    ("sh", "psql -c 'unterminated"),
    ("sh", "npm run loop"),
    ("sh", "bash -c 'psql -c \"TRUNCATE tasks\"'"),
    ("sh", "dbguard approve 7f3a"),
    ("sh", "neonctl branches delete preview-42"),
    ("sh", "cp /dev/null backups/farm.dump"),
    ("sh", "node -e \"await prisma.user.deleteMany()\""),
    (
        "sh",
        "node -e \"await prisma.task.deleteMany({ where: { farmId } })\"",
    ),
    ("sh", "node scripts/reset-db.js"),
    ("sh", "sed -i 's/null/\"alice\"/' .dbguard/approvals/7f3a.json"),
    ("sh", "script -qc 'dbguard approve 7f3a' /dev/null"),
    ("sh", "env -u CLAUDECODE dbguard run -- dropdb farm"),
    ("sh", "dbguard approver init"),
    (
        "sh",
        "PRISMA_USER_CONSENT_FOR_DANGEROUS_AI_ACTION=yes npx prisma migrate reset --force",
    ),
    ("sh", "ssh prod 'psql -f cleanup.sql'"),
    ("sh", "alembic downgrade base"),
    ("sh", "flock /tmp/db.lock make db-reset"),
    ("sh", "terraform destroy -target=aws_db_instance.main"),
    ("sh", "terraform destroy -target=aws_instance.web"),
    ("sh", "kubectl delete pvc data-postgres-0"),
    ("sh", "pgbackrest --stanza=main stanza-delete"),
    (
        "sh",
        "pg_rewind --target-pgdata=/var/lib/postgresql/15/main --source-server='host=primary'",
    ),
    (
        "sh",
        "pg_upgrade --link -d /old/data -D /new/data && pg_ctl -D /old/data start",
    ),
    ("sh", "pg_basebackup -D /var/lib/postgresql/15/main -h primary"),
    (
        "sh",
        "curl -X DELETE https://internal.example.invalid/api/databases/farm",
    ),
    ("sh", "pg_dump farm_prod | psql farm_dev"),
    ("sh", "dbguard restore backup_farm_20261124_223000"),
    ("sh", "dbguard incident start --title 'farm 2 lost its batches'"),
    (
        "sh",
        "dbguard incident recover --farm 0c9d5e2a-0000-4000-8000-000000000002",
    ),
];

fn ctx(files: &MemoryFiles) -> ShellContext<'_> {
    ShellContext {
        cwd: PathBuf::from("/project"),
        files,
        sql: SqlOptions::default(),
    }
}

fn files() -> MemoryFiles {
    MemoryFiles::default().with(
        "/project/package.json",
        r#"{"scripts": {"loop": "npm run loop"}}"#,
    )
}

#[test]
fn messages() {
    let files = files();
    let cases: Vec<_> = EXAMPLES
        .iter()
        .map(|(kind, input)| {
            let verdict = match *kind {
                "sql" => classify_sql(input, &SqlOptions::default()),
                _ => classify_shell(input, &ctx(&files)),
            };
            json!({ "input": input, "verdict": verdict })
        })
        .collect();
    insta::assert_json_snapshot!(cases);
}

#[test]
fn every_rule_has_an_example() {
    let files = files();
    let mut seen = BTreeSet::new();
    for (kind, input) in EXAMPLES {
        let verdict = match *kind {
            "sql" => classify_sql(input, &SqlOptions::default()),
            _ => classify_shell(input, &ctx(&files)),
        };
        seen.extend(verdict.findings.iter().map(|f| f.rule.id()));
    }
    let big = "x".repeat(dbguard_risk::shell::MAX_LINE_BYTES + 1);
    seen.extend(
        classify_shell(&big, &ctx(&files))
            .findings
            .iter()
            .map(|f| f.rule.id()),
    );
    let missing: Vec<&str> = Rule::ALL
        .iter()
        .map(|r| r.id())
        // internal-error needs a bug; migration-lint is raised by `migrate deploy` and the hook's
        // file writes, protected-file-write by the hook's file writes, cascade-delete by the
        // protocol on a live database: not by the classifier (their own tests cover them).
        .filter(|id| {
            !seen.contains(id)
                && ![
                    Rule::InternalError,
                    Rule::MigrationLint,
                    Rule::ProtectedFileWrite,
                    Rule::CascadeDelete,
                ]
                .iter()
                .any(|r| r.id() == *id)
        })
        .collect();
    assert!(missing.is_empty(), "rules without an example: {missing:?}");
}
