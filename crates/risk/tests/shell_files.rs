//! Classification that follows files: package.json scripts, shell scripts,
//! SQL files and psql includes, read through an in-memory file source.

use std::path::PathBuf;

use dbguard_risk::{classify_shell, MemoryFiles, Risk, ShellContext, SqlOptions, Verdict};

const ROOT: &str = "/project";

fn project() -> MemoryFiles {
    MemoryFiles::default()
        .with(
            "/project/package.json",
            r#"{
              "scripts": {
                "db:reset": "npx prisma migrate reset",
                "db:fresh": "npm run db:reset -- --force && npm run db:seed",
                "db:seed": "node prisma/seed.js",
                "db:backup": "./scripts/backup-database.sh",
                "db:wipe": "psql -f scripts/wipe.sql",
                "lint": "eslint .",
                "predeploy": "npm run lint",
                "deploy": "next build",
                "postdeploy": "psql -c 'TRUNCATE sessions'",
                "loop": "npm run loop",
                "ping": "npm run pong",
                "pong": "npm run ping",
                "safe": "psql -f scripts/report.sql"
              }
            }"#,
        )
        .with(
            "/project/scripts/backup-database.sh",
            "#!/bin/bash\nset -e\npg_dump \"$DATABASE_URL\" > \"$BACKUP_DIR/backup_$(date +%s).sql\"\nfind $BACKUP_DIR -name \"backup_*.sql.gz\" -mtime +7 -delete\n",
        )
        .with("/project/scripts/wipe.sql", "BEGIN;\nDELETE FROM orders;\nCOMMIT;\n")
        .with("/project/scripts/report.sql", "\\set ON_ERROR_STOP on\nSELECT count(*) FROM orders;\n\\i scripts/more.sql\n")
        .with("/project/scripts/more.sql", "SELECT 2;\n")
        .with("/project/scripts/evil.sql", "\\i scripts/evil.sql\n")
        .with("/project/scripts/setup.sh", "echo setting up\n./scripts/nested.sh\n")
        .with("/project/scripts/nested.sh", "#!/bin/sh\ndropdb farm\n")
        .with("/project/web/package.json", r#"{"scripts": {"db:reset": "prisma db push --force-reset"}}"#)
        .with("/project/broken/package.json", "{ not json")
        .with("/project/backups/farm-2026-12-01.dump", "PGDMP")
        .with("/project/web/.dbguard/postgres/data/PG_VERSION", "15")
}

fn classify(line: &str) -> Verdict {
    let files = project();
    let ctx = ShellContext {
        cwd: PathBuf::from(ROOT),
        files: &files,
        sql: SqlOptions::default(),
    };
    classify_shell(line, &ctx)
}

fn rules(verdict: &Verdict) -> Vec<&'static str> {
    verdict.findings.iter().map(|f| f.rule.id()).collect()
}

#[track_caller]
fn expect(line: &str, risk: Risk, rule: &str) -> Verdict {
    let verdict = classify(line);
    assert_eq!(verdict.risk, risk, "{line}: {:?}", verdict.findings);
    assert!(
        rules(&verdict).contains(&rule),
        "{line}: expected {rule} in {:?}",
        rules(&verdict)
    );
    verdict
}

#[test]
fn npm_scripts_resolve_to_their_commands() {
    let v = expect("npm run db:reset", Risk::High, "prisma-migrate-reset");
    assert_eq!(v.findings[0].via, vec!["npm script `db:reset`"]);
    expect("npm run-script db:reset", Risk::High, "prisma-migrate-reset");
    expect("pnpm db:reset", Risk::High, "prisma-migrate-reset");
    expect("yarn db:reset", Risk::High, "prisma-migrate-reset");
    expect("bun run db:reset", Risk::High, "prisma-migrate-reset");
    assert_eq!(classify("npm run lint").risk, Risk::Low);
}

#[test]
fn nested_scripts_and_arguments_are_followed() {
    let v = expect("npm run db:fresh", Risk::High, "prisma-migrate-reset");
    assert_eq!(
        v.findings[0].via,
        vec!["npm script `db:fresh`", "npm script `db:reset`"]
    );
    assert!(v.findings[0].text.contains("--force"), "{:?}", v.findings[0]);
}

#[test]
fn pre_and_post_scripts_run_too() {
    expect("npm run deploy", Risk::High, "truncate");
}

#[test]
fn script_cycles_are_bounded() {
    expect("npm run loop", Risk::High, "nesting-too-deep");
    expect("npm run ping", Risk::High, "nesting-too-deep");
}

#[test]
fn the_guides_backup_script_deletes_backups() {
    let v = expect("npm run db:backup", Risk::High, "delete-backups");
    assert_eq!(
        v.findings[0].via,
        vec!["npm script `db:backup`", "./scripts/backup-database.sh"]
    );
    expect("./scripts/backup-database.sh", Risk::High, "delete-backups");
    expect("bash scripts/backup-database.sh", Risk::High, "delete-backups");
    expect("source scripts/backup-database.sh", Risk::High, "delete-backups");
    expect("bash scripts/setup.sh", Risk::High, "dropdb");
}

#[test]
fn sql_files_are_read() {
    let v = expect("npm run db:wipe", Risk::High, "delete-many-rows");
    assert_eq!(
        v.findings[0].via,
        vec!["npm script `db:wipe`", "scripts/wipe.sql"]
    );
    expect("psql -f scripts/wipe.sql", Risk::High, "delete-many-rows");
    expect("psql farm < scripts/wipe.sql", Risk::High, "delete-many-rows");
    expect("cat scripts/wipe.sql | psql", Risk::High, "delete-many-rows");
    expect(
        "npx prisma db execute --file scripts/wipe.sql",
        Risk::High,
        "delete-many-rows",
    );
    assert_eq!(classify("npm run safe").risk, Risk::Low);
    assert_eq!(classify("psql -f scripts/report.sql").risk, Risk::Low);
    expect("psql -f scripts/evil.sql", Risk::High, "nesting-too-deep");
}

#[test]
fn cd_changes_where_files_are_found() {
    expect("cd web && npm run db:reset", Risk::High, "prisma-force-reset");
    expect("(cd web; pnpm db:reset)", Risk::High, "prisma-force-reset");
    expect("npm --prefix web run db:reset", Risk::High, "prisma-force-reset");
    expect(
        "cd web/../web && npm run db:reset",
        Risk::High,
        "prisma-force-reset",
    );
    // After the subshell, the folder is the project again.
    expect("(cd web) && npm run db:reset", Risk::High, "prisma-migrate-reset");
    expect(
        "cd \"$APP\" && npm run db:reset",
        Risk::Medium,
        "script-unresolved",
    );
}

#[test]
fn a_broken_package_json_fails_closed() {
    expect("cd broken && npm run lint", Risk::Medium, "script-unresolved");
}

#[test]
fn git_clean_of_ignored_files_is_high_where_backups_or_the_local_cluster_are() {
    expect("git clean -fdx", Risk::High, "delete-backups");
    expect("git clean -fdX", Risk::High, "delete-backups");
    expect("cd web && git clean -ffdx", Risk::High, "delete-backups");
    // Where neither is, what is ignored is unknown.
    expect(
        "cd scripts && git clean -fdx",
        Risk::Medium,
        "delete-unseen-files",
    );
    assert_eq!(classify("git clean -fd").risk, Risk::Low);
    assert_eq!(classify("git clean -ndx").risk, Risk::Low);
}

#[test]
fn deletes_reach_backups_through_the_folder_they_run_in() {
    expect("cd backups && rm *", Risk::High, "delete-backups");
    expect(
        "cd scripts && cd ../backups && rm -f *",
        Risk::High,
        "delete-backups",
    );
    expect("rm -rf *", Risk::High, "delete-backups");
    expect("rm -rf ./*", Risk::High, "delete-backups");
    // `*` matches no dot files: web/ holds only `.dbguard`.
    expect("cd web && rm -rf .", Risk::High, "delete-database-files");
    expect("cd web && rm -rf *", Risk::Medium, "delete-unseen-files");
    assert_eq!(classify("cd scripts && rm wipe.sql").risk, Risk::Low);
    assert_eq!(classify("rm -f scripts/*").risk, Risk::Low);
}

#[test]
fn a_new_dump_over_an_existing_backup_is_high_and_a_new_name_low() {
    expect(
        "pg_dump farm -f backups/farm-2026-12-01.dump",
        Risk::High,
        "overwrite-backups",
    );
    expect(
        "pg_dump --file=backups/farm-2026-12-01.dump farm",
        Risk::High,
        "overwrite-backups",
    );
    expect(
        "pg_dump farm > backups/farm-2026-12-01.dump",
        Risk::High,
        "overwrite-backups",
    );
    assert_eq!(
        classify("pg_dump farm -f backups/farm-2026-12-03.dump").risk,
        Risk::Low
    );
    assert_eq!(
        classify("pg_dump farm > backups/farm-2026-12-03.dump").risk,
        Risk::Low
    );
}
