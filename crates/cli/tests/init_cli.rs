//! `dbguard init` on a generated Next.js/Prisma project: `--dry-run` and a
//! run without a terminal write nothing; `--yes` writes the policy, the
//! ignore lines, the npm scripts (the old ones as `:raw`), the agent hook,
//! the agents' instructions and a working DATABASE_URL (0600); a second run
//! changes nothing; an invalid package.json stops it with nothing written.

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use dbguard_pg::env::DotEnv;
use dbguard_pg::DbUrl;
use predicates::prelude::*;
use serde_json::Value;

/// The guide's package.json scripts.
const PACKAGE_JSON: &str = r#"{
  "name": "farm-saas",
  "private": true,
  "scripts": {
    "dev": "next dev",
    "build": "next build",
    "db:generate": "npx prisma generate",
    "db:push": "npx prisma db push",
    "db:migrate": "npx prisma migrate dev",
    "db:migrate:prod": "npx prisma migrate deploy",
    "db:seed": "npx prisma db seed",
    "db:reset": "npx prisma migrate reset",
    "db:studio": "npx prisma studio",
    "db:backup": "./scripts/backup-database.sh",
    "db:restore": "./scripts/restore-database.sh",
    "db:health": "ts-node scripts/database-health-check.ts",
    "db:export": "ts-node scripts/export-data.ts",
    "db:validate": "ts-node scripts/validate-data-integrity.ts",
    "db:fresh": "npm run db:reset && npm run db:seed"
  },
  "dependencies": {
    "next": "14.2.0",
    "@prisma/client": "6.19.3"
  }
}
"#;

const SCHEMA: &str = "datasource db {\n  provider = \"postgresql\"\n  url      = env(\"DATABASE_URL\")\n}\n\nmodel Farm {\n  id   String @id @db.Uuid\n  name String\n}\n";

/// A Next.js/Prisma project as `create-next-app` and `prisma init` leave
/// it, with Claude Code configured.
fn nextjs_project() -> tempfile::TempDir {
    let dir = dbguard_testkit::project_dir("dbguard-init-");
    let p = dir.path();
    std::fs::write(p.join("package.json"), PACKAGE_JSON).unwrap();
    std::fs::create_dir_all(p.join("prisma")).unwrap();
    std::fs::write(p.join("prisma/schema.prisma"), SCHEMA).unwrap();
    std::fs::write(p.join(".env"), "NODE_ENV=development\nDATABASE_NAME=farm_dev\n").unwrap();
    std::fs::write(p.join(".gitignore"), "node_modules\n.next\n").unwrap();
    std::fs::write(p.join("next.config.js"), "module.exports = {};\n").unwrap();
    std::fs::create_dir_all(p.join(".claude")).unwrap();
    std::fs::create_dir_all(p.join("app")).unwrap();
    std::fs::write(
        p.join("app/page.tsx"),
        "export default function Page() { return null; }\n",
    )
    .unwrap();
    dir
}

fn dbguard(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("dbguard").unwrap();
    cmd.current_dir(dir)
        .env_remove("DATABASE_URL")
        .env_remove("DATABASE_NAME");
    cmd
}

/// Every file under `dir` (but the local server's folder) and its contents.
fn files(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    fn walk(base: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            if path.ends_with(".dbguard") {
                continue;
            }
            if path.is_dir() {
                walk(base, &path, out);
            } else {
                out.insert(
                    path.strip_prefix(base).unwrap().to_path_buf(),
                    std::fs::read(&path).unwrap(),
                );
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// Stops the local server `init` started, whatever the test's outcome.
struct StopServer(PathBuf);

impl Drop for StopServer {
    fn drop(&mut self) {
        let _ = dbguard(&self.0).args(["db", "stop"]).output();
    }
}

#[test]
fn init_sets_up_a_nextjs_prisma_project_once() {
    let project = nextjs_project();
    let dir = project.path();
    let _stop = StopServer(dir.to_path_buf());
    let before = files(dir);

    dbguard(dir)
        .args(["init", "--dry-run"])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("+    \"db:reset\": \"dbguard reset\",")
                .and(predicate::str::contains(
                    "+    \"db:reset:raw\": \"npx prisma migrate reset\",",
                ))
                .and(predicate::str::contains("the claude-code hook"))
                .and(predicate::str::contains(
                    ".env: DATABASE_URL for the local server",
                ))
                .and(predicate::str::contains("dry run: nothing was written")),
        );
    assert_eq!(files(dir), before, "--dry-run writes nothing");
    dbguard(dir)
        .arg("init")
        .assert()
        .code(1)
        .stdout(predicate::str::contains("there is no terminal to ask at"));
    assert_eq!(files(dir), before, "without a terminal nothing is written");

    dbguard(dir).args(["init", "--yes"]).assert().success();

    let policy = std::fs::read_to_string(dir.join("dbguard.toml")).unwrap();
    assert_eq!(policy, dbguard_init::policy_file::TEMPLATE);
    let gitignore = std::fs::read_to_string(dir.join(".gitignore")).unwrap();
    assert!(gitignore.starts_with("node_modules\n.next\n"), "{gitignore}");
    assert!(gitignore.contains("\n.dbguard/\n/backups/\n"), "{gitignore}");

    let package: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("package.json")).unwrap()).unwrap();
    let scripts = &package["scripts"];
    for (name, command) in dbguard_init::scripts::MAPPING {
        assert_eq!(scripts[*name], *command, "{name}");
    }
    assert_eq!(scripts["db:reset:raw"], "npx prisma migrate reset");
    assert_eq!(scripts["db:fresh:raw"], "npm run db:reset && npm run db:seed");
    assert_eq!(
        scripts["db:migrate"], "npx prisma migrate dev",
        "other scripts are kept"
    );
    assert_eq!(package["dependencies"]["next"], "14.2.0");

    let hook = std::fs::read_to_string(dir.join(".claude/settings.local.json")).unwrap();
    assert!(hook.contains("hook claude-code"), "{hook}");
    for name in ["AGENTS.md", "CLAUDE.md"] {
        let text = std::fs::read_to_string(dir.join(name)).unwrap();
        assert!(
            text.contains("A person approves in their own terminal"),
            "{name}: {text}"
        );
    }

    let env = dir.join(".env");
    assert_eq!(
        std::fs::metadata(&env).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let dotenv = DotEnv::read(&env).unwrap();
    assert_eq!(
        dotenv.get("NODE_ENV"),
        Some("development"),
        "other lines are kept"
    );
    let url = DbUrl::parse(dotenv.get("DATABASE_URL").unwrap()).unwrap();
    assert_eq!(url.database(), Some("farm_dev"));
    assert_eq!(url.schema(), Some("public"));
    dbguard_pg::connect(&url, std::time::Duration::from_secs(10)).expect("the URL written connects");

    let after = files(dir);
    dbguard(dir)
        .args(["init", "--yes"])
        .assert()
        .success()
        .stdout(predicate::str::contains("nothing to change"));
    assert_eq!(files(dir), after, "a second run changes nothing");
}

#[test]
fn an_invalid_package_json_stops_init_with_nothing_written() {
    let project = nextjs_project();
    let dir = project.path();
    std::fs::write(
        dir.join("package.json"),
        "{\n  \"scripts\": {\n    \"db:reset\": \"npx prisma migrate reset\",\n",
    )
    .unwrap();
    let before = files(dir);
    dbguard(dir).args(["init", "--yes"]).assert().code(1).stderr(
        predicate::str::contains("package.json: it is not valid JSON")
            .and(predicate::str::contains("left untouched")),
    );
    assert_eq!(files(dir), before);
}
