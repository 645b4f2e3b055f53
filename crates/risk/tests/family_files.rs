//! The families of issue #13 that follow files: Makefile and justfile
//! recipes, workspace packages' scripts for turbo/nx/lerna/pnpm/yarn, code
//! files run by interpreters, remote commands that must not read local
//! files, and wrappers that change the folder files are read in.

use std::path::PathBuf;

use dbguard_risk::{classify_shell, MemoryFiles, Risk, ShellContext, SqlOptions, Verdict};

fn project() -> MemoryFiles {
    MemoryFiles::default()
        .with(
            "/project/package.json",
            r#"{"name": "farm", "workspaces": ["apps/*", "packages/db"], "scripts": {"build": "turbo run build"}}"#,
        )
        .with(
            "/project/apps/api/package.json",
            r#"{"name": "@farm/api", "scripts": {"db:reset": "prisma migrate reset --force", "build": "tsc"}}"#,
        )
        .with("/project/apps/web/package.json", r#"{"name": "@farm/web", "scripts": {"build": "next build"}}"#)
        .with(
            "/project/packages/db/package.json",
            r#"{"name": "@farm/db", "scripts": {"wipe": "psql -f wipe.sql"}}"#,
        )
        .with("/project/packages/db/wipe.sql", "TRUNCATE orders;\n")
        .with(
            "/project/apps/api/project.json",
            r#"{"targets": {"db-drop": {"executor": "nx:run-commands", "options": {"command": "dropdb farm"}}}}"#,
        )
        .with(
            "/project/Makefile",
            "DB ?= farm\n.PHONY: reset build\nreset: drop seed\n\t@echo resetting\ndrop:\n\tdropdb $(DB)\nseed:\n\tnode seed.js\nbuild:\n\tcargo build\n",
        )
        .with("/project/web/Makefile", "clean:\n\trm -rf backups/\n")
        .with("/project/justfile", "db := \"farm\"\n\nreset:\n    psql -c 'DROP DATABASE {{db}}'\n\nlint:\n    cargo clippy\n")
        .with("/project/scripts/wipe.js", "const { PrismaClient } = require('@prisma/client')\nconst prisma = new PrismaClient()\nawait prisma.order.deleteMany()\n")
        .with("/project/scripts/report.js", "const rows = await prisma.order.findMany()\nconsole.log(rows.length)\n")
        .with("/project/scripts/clean.py", "import psycopg\nwith psycopg.connect() as c:\n    c.execute(\"TRUNCATE tasks\")\n")
        .with(
            "/project/scripts/approve.py",
            "import os, pty\nos.environ.pop('CLAUDECODE', None)\npty.spawn(['dbguard', 'approve', '7f3a'])\n",
        )
        .with("/project/report.sql", "SELECT count(*) FROM orders;\n")
        .with("/elsewhere/report.sql", "DROP TABLE orders;\n")
        .with("/elsewhere/package.json", r#"{"scripts": {"db:reset": "dropdb farm"}}"#)
}

fn classify(line: &str) -> Verdict {
    let files = project();
    let ctx = ShellContext {
        cwd: PathBuf::from("/project"),
        files: &files,
        sql: SqlOptions::default(),
    };
    classify_shell(line, &ctx)
}

#[track_caller]
fn expect(line: &str, risk: Risk, rule: Option<&str>) {
    let verdict = classify(line);
    let rules: Vec<&str> = verdict.findings.iter().map(|f| f.rule.id()).collect();
    assert_eq!(verdict.risk, risk, "{line}: {rules:?}");
    if let Some(rule) = rule {
        assert!(rules.contains(&rule), "{line}: expected {rule} in {rules:?}");
    }
}

#[test]
fn make_and_just_run_their_recipes() {
    expect("make reset", Risk::High, Some("dropdb"));
    expect("make drop DB=other", Risk::High, Some("dropdb"));
    expect("make", Risk::High, Some("dropdb")); // the first target is reset
    expect("make build", Risk::Low, None);
    expect("make -n reset", Risk::Low, None);
    expect("make -C web clean", Risk::High, Some("delete-backups"));
    expect("just reset", Risk::High, Some("drop-database"));
    expect("just lint", Risk::Low, None);
    expect(
        "cd apps && make db-reset",
        Risk::Medium,
        Some("script-unresolved"),
    );
}

#[test]
fn workspace_runners_run_the_packages_scripts() {
    expect("turbo run db:reset", Risk::High, Some("prisma-migrate-reset"));
    expect(
        "turbo run db:reset --filter=@farm/api",
        Risk::High,
        Some("prisma-migrate-reset"),
    );
    expect("turbo run build --filter=web", Risk::Low, None);
    expect(
        "pnpm --filter api db:reset",
        Risk::High,
        Some("prisma-migrate-reset"),
    );
    expect("pnpm -F @farm/db wipe", Risk::High, Some("truncate"));
    expect("yarn workspace @farm/db wipe", Risk::High, Some("truncate"));
    expect(
        "yarn workspaces foreach -A run db:reset",
        Risk::High,
        Some("prisma-migrate-reset"),
    );
    expect("npm run wipe -w packages/db", Risk::High, Some("truncate"));
    expect(
        "lerna run db:reset --scope @farm/api",
        Risk::High,
        Some("prisma-migrate-reset"),
    );
    expect("nx run api:db-drop", Risk::High, Some("dropdb"));
    expect("npm-run-all build", Risk::Low, None);
    expect("concurrently npm:build", Risk::Low, None);
}

#[test]
fn code_files_are_read() {
    expect("node scripts/wipe.js", Risk::High, Some("orm-destructive-call"));
    expect(
        "npx tsx scripts/wipe.js",
        Risk::High,
        Some("orm-destructive-call"),
    );
    expect("node scripts/report.js", Risk::Low, None);
    // Bun and zx run script files as node does.
    for line in [
        "bun scripts/wipe.js",
        "bun run scripts/wipe.js",
        "bunx zx scripts/wipe.js",
        "zx scripts/wipe.js",
    ] {
        expect(line, Risk::High, Some("orm-destructive-call"));
    }
    expect("bun scripts/report.js", Risk::Low, None);
    expect("python3 scripts/clean.py", Risk::High, Some("truncate"));
    expect(
        "python3 scripts/approve.py",
        Risk::High,
        Some("pty-driven-approval"),
    );
    expect(
        "node scripts/missing-seed.js",
        Risk::Medium,
        Some("code-unreadable"),
    );
}

#[test]
fn remote_commands_never_read_local_files() {
    // The local report.sql is harmless; the remote one is unknown.
    expect("psql -f report.sql", Risk::Low, None);
    expect(
        "ssh prod 'psql -f report.sql'",
        Risk::High,
        Some("sql-unreadable"),
    );
    expect(
        "ssh prod psql -f /project/report.sql",
        Risk::High,
        Some("sql-unreadable"),
    );
    expect(
        "docker exec db psql -f report.sql",
        Risk::High,
        Some("sql-unreadable"),
    );
    expect(
        "kubectl exec pg-0 -- psql -f report.sql",
        Risk::High,
        Some("sql-unreadable"),
    );
    // What is fed on standard input is read here.
    expect("ssh prod psql < report.sql", Risk::Low, None);
    expect(
        "docker exec -i db psql < /elsewhere/report.sql",
        Risk::High,
        Some("drop-table"),
    );
}

#[test]
fn folder_options_move_where_files_are_read() {
    expect(
        "env -C /elsewhere psql -f report.sql",
        Risk::High,
        Some("drop-table"),
    );
    expect(
        "sudo -D /elsewhere psql -f report.sql",
        Risk::High,
        Some("drop-table"),
    );
    expect(
        "sudo --chdir=/elsewhere npm run db:reset",
        Risk::High,
        Some("dropdb"),
    );
    expect(
        "pushd /elsewhere && psql -f report.sql",
        Risk::High,
        Some("drop-table"),
    );
    expect("pushd /elsewhere && popd && psql -f report.sql", Risk::Low, None);
    expect(
        "direnv exec /elsewhere npm run db:reset",
        Risk::High,
        Some("dropdb"),
    );
    expect(
        "systemd-run --working-directory=/elsewhere psql -f report.sql",
        Risk::High,
        Some("drop-table"),
    );
}
