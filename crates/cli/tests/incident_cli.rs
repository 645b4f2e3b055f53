//! `dbguard incident` end to end on a real server: a seeded farm database,
//! a verified backup, rows written after it, one farm's batches and tasks
//! deleted by an approved operation; start freezes, scope finds exactly the
//! rows lost by table and farm, recover --farm puts them back without
//! touching newer rows or other farms, verify is clean, close writes the
//! report. And a recovery killed midway changes nothing; rerun, it finishes.

mod support;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use assert_cmd::Command;
use serde_json::Value;

/// The tables the loss reaches: batches and tasks deleted, their quality
/// checks by `ON DELETE CASCADE`.
const LOST_TABLES: [&str; 3] = ["batches", "tasks", "quality_checks"];

/// Every tenant table of the farm schema.
const TENANT_TABLES: [&str; 12] = [
    "farm_users",
    "seed_varieties",
    "growing_environments",
    "batches",
    "customers",
    "orders",
    "order_items",
    "equipment",
    "inventory_items",
    "financial_records",
    "quality_checks",
    "tasks",
];

fn dbguard(dir: &Path, url: &str) -> Command {
    let mut cmd = Command::cargo_bin("dbguard").unwrap();
    cmd.current_dir(dir)
        .env("DATABASE_URL", url)
        .env("XDG_CONFIG_HOME", support::config_home(dir))
        .env_remove("PGOPTIONS");
    for agent in ["CLAUDECODE", "CURSOR_AGENT", "GEMINI_CLI"] {
        cmd.env_remove(agent);
    }
    cmd
}

/// Runs `args`, which need a person's approval: refused and left pending
/// first (exit 3 for medium risk, 4 for high), approved at a terminal, then run again; its output.
fn approved(dir: &Path, url: &str, args: &[&str]) -> Vec<u8> {
    let out = dbguard(dir, url).args(args).output().unwrap();
    assert!(
        matches!(out.status.code(), Some(3 | 4)),
        "{args:?} did not wait for a person: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    support::approve_pending(dir, &[("DATABASE_URL", url)]);
    let out = dbguard(dir, url).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Opens an incident without freezing and scopes it (with `scope_args`).
fn start_and_scope(dir: &Path, url: &str, scope_args: &[&str]) {
    dbguard(dir, url)
        .args(["incident", "start", "--no-freeze"])
        .assert()
        .success();
    dbguard(dir, url)
        .args(["incident", "scope"])
        .args(scope_args)
        .assert()
        .success();
}

/// A database with the farm schema and three seeded farms; their ids.
fn seeded() -> (dbguard_testkit::TestDb, Vec<String>) {
    let db = dbguard_testkit::server().fresh_db();
    let mut client = db.client();
    dbguard_migrate::runner::deploy(&mut client, &dbguard_farm::migrations(), &mut |_| Ok(())).unwrap();
    dbguard_farm::seed::development(&mut client, dbguard_farm::seed::DevSize { farms: 3, scale: 1 }).unwrap();
    let farms = client
        .query("SELECT id::text FROM farms ORDER BY farm_name", &[])
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    (db, farms)
}

/// A verified backup of `url`; its id.
fn verified_backup(dir: &Path, url: &str) -> String {
    dbguard(dir, url).args(["backup", "create"]).assert().success();
    let out = dbguard(dir, url)
        .args(["--format", "json", "backup", "list"])
        .output()
        .unwrap();
    let list: Value = serde_json::from_slice(&out.stdout).unwrap();
    let id = list["backups"][0]["id"].as_str().unwrap().to_string();
    dbguard(dir, url)
        .args(["backup", "verify", &id])
        .assert()
        .success();
    id
}

/// MD5 of the rows of `table` matching `filter`, in key order.
fn digest(client: &mut postgres::Client, table: &str, filter: &str) -> String {
    client
        .query_one(
            &format!(
                "SELECT coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '') FROM {table} t WHERE {filter}"
            ),
            &[],
        )
        .unwrap()
        .get(0)
}

fn count(client: &mut postgres::Client, table: &str, filter: &str) -> u64 {
    client
        .query_one(&format!("SELECT count(*) FROM {table} WHERE {filter}"), &[])
        .unwrap()
        .get::<_, i64>(0) as u64
}

fn json(out: &[u8]) -> Value {
    serde_json::from_slice(out).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(out)))
}

#[test]
fn an_incident_from_start_to_report_puts_one_farms_rows_back_and_nothing_else() {
    let (db, farms) = seeded();
    let (lost_farm, other) = (&farms[0], &farms[1]);
    let dir = dbguard_testkit::project_dir("dbguard-incident-");
    support::set_up_approver(&support::config_home(dir.path()));
    let url = db.url.expose();
    let mut client = db.client();
    verified_backup(dir.path(), url);

    // Written after the backup, before the loss: one farm's new batch and task
    // (lost with the rest), another farm's new task.
    client
        .batch_execute(&format!(
            "INSERT INTO batches (farm_id, id, variety_id, trays, sown_at)
               SELECT farm_id, md5('new batch')::uuid, variety_id, 2, now() FROM batches WHERE farm_id = '{lost_farm}' LIMIT 1;
             INSERT INTO tasks (farm_id, id, title, batch_id) VALUES ('{lost_farm}', md5('new task')::uuid, 'water', md5('new batch')::uuid);
             INSERT INTO tasks (farm_id, id, title) VALUES ('{other}', md5('other task')::uuid, 'harvest');"
        ))
        .unwrap();
    let of_lost = format!("farm_id = '{lost_farm}'");
    let before: BTreeMap<&str, (u64, String)> = LOST_TABLES
        .iter()
        .map(|t| {
            (
                *t,
                (count(&mut client, t, &of_lost), digest(&mut client, t, &of_lost)),
            )
        })
        .collect();
    assert!(before.values().all(|(n, _)| *n > 0), "{before:?}");

    // The loss: one farm's tasks and batches deleted, approved by a person.
    let delete = format!(
        "DELETE FROM tasks WHERE farm_id = '{lost_farm}'; DELETE FROM batches WHERE farm_id = '{lost_farm}'"
    );
    approved(dir.path(), url, &["sql", &delete]);
    assert_eq!(count(&mut client, "batches", &of_lost), 0);

    // Written after the loss: a new batch of the farm that lost its rows, and
    // a change to another farm's task; both must stay as they are.
    client
        .batch_execute(&format!(
            "INSERT INTO batches (farm_id, id, variety_id, trays, sown_at)
               SELECT farm_id, md5('after the loss')::uuid, id, 3, now() FROM seed_varieties WHERE farm_id = '{lost_farm}' LIMIT 1;
             UPDATE tasks SET title = 'harvest today' WHERE farm_id = '{other}' AND id = md5('other task')::uuid;"
        ))
        .unwrap();
    let after_loss = "id = md5('after the loss')::uuid";
    let newer = digest(&mut client, "batches", after_loss);
    let not_lost = format!("farm_id <> '{lost_farm}'");
    let others: Vec<String> = TENANT_TABLES
        .iter()
        .map(|t| digest(&mut client, t, &not_lost))
        .collect();

    // start: freezing waits for a person; then new sessions cannot write.
    approved(
        dir.path(),
        url,
        &["incident", "start", "--title", "farm lost its batches"],
    );
    let refused = db.client().batch_execute(
        "INSERT INTO tasks (farm_id, id, title) VALUES (gen_random_uuid(), gen_random_uuid(), 'x')",
    );
    let refused = refused.unwrap_err();
    assert_eq!(
        refused.code(),
        Some(&postgres::error::SqlState::READ_ONLY_SQL_TRANSACTION),
        "{refused:?}"
    );

    // scope: exactly the rows lost, by table and farm, and the cause.
    let out = dbguard(dir.path(), url)
        .args(["--format", "json", "incident", "scope"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let scope = json(&out.stdout);
    for table in scope["tables"].as_array().unwrap() {
        let name = table["table"].as_str().unwrap().trim_start_matches("public.");
        let expected = before.get(name).map(|(n, _)| *n).unwrap_or(0);
        assert_eq!(table["counts"]["lost"], expected, "{name}: {table}");
        let farms = table["farms"].as_object().unwrap();
        let lost_by_farm: BTreeMap<&str, u64> = farms
            .iter()
            .filter(|(_, c)| c["lost"].as_u64().unwrap() > 0)
            .map(|(f, c)| (f.as_str(), c["lost"].as_u64().unwrap()))
            .collect();
        match expected {
            0 => assert!(lost_by_farm.is_empty(), "{name}: {table}"),
            n => assert_eq!(lost_by_farm, BTreeMap::from([(lost_farm.as_str(), n)]), "{name}"),
        }
    }
    let table = |name: &str| -> &Value {
        let name = format!("public.{name}");
        scope["tables"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["table"] == name.as_str())
            .unwrap()
    };
    let batches = table("batches");
    assert_eq!(batches["farms"][lost_farm]["added"], 1, "{batches}");
    let tasks = table("tasks");
    assert_eq!(tasks["farms"][other]["changed"], 1, "{tasks}");
    assert_eq!(tasks["counts"]["changed"], 1, "{tasks}");
    let cause = &scope["cause"];
    assert!(
        cause["operation"]
            .as_str()
            .unwrap()
            .contains("DELETE FROM batches"),
        "{cause}"
    );
    assert!(cause["approval"].is_string(), "{cause}");
    assert_eq!(
        scope["backup"]["id"], cause["backup"],
        "the backup taken just before the loss"
    );
    // The side database holds the backup's tables and rows and nothing of
    // its post-data section (the farm schema's indexes, keys, triggers and
    // policies): the keys the comparison above went by came from the archive.
    let side_url = db
        .url
        .with_database(scope["side_database"].as_str().unwrap())
        .unwrap();
    let mut side = dbguard_pg::connect(&side_url, std::time::Duration::from_secs(10)).unwrap();
    let built: Vec<(String, i64)> = side
        .query(
            "SELECT 'indexes', count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
               JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public'
             UNION ALL SELECT 'constraints', count(*) FROM pg_constraint c
               JOIN pg_namespace n ON n.oid = c.connamespace WHERE n.nspname = 'public' AND c.contype IN ('p', 'f', 'u')
             UNION ALL SELECT 'triggers', count(*) FROM pg_trigger WHERE NOT tgisinternal
             UNION ALL SELECT 'policies', count(*) FROM pg_policy",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert!(built.iter().all(|(_, n)| *n == 0), "{built:?}");
    let side_rows: i64 = side
        .query_one("SELECT count(*) FROM batches", &[])
        .unwrap()
        .get(0);
    assert!(side_rows > 0, "the side database holds the backup's rows");
    // Without its policies the copy must not be readable by the tenants'
    // role, which the backup's grants name.
    let tenant_read = side.batch_execute("SET ROLE farm_app; SELECT count(*) FROM batches");
    let refused = tenant_read.expect_err("farm_app reads every farm's rows in the side database");
    assert_eq!(
        refused.code(),
        Some(&postgres::error::SqlState::INSUFFICIENT_PRIVILEGE),
        "{refused:?}"
    );
    drop(side);

    // recover --farm: the lost rows are back, as they were.
    let out = approved(
        dir.path(),
        url,
        &["--format", "json", "incident", "recover", "--farm", lost_farm],
    );
    let recovery = json(&out);
    let inserted: u64 = recovery["tables"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["inserted"].as_u64().unwrap())
        .sum();
    assert_eq!(
        inserted,
        before.values().map(|(n, _)| n).sum::<u64>(),
        "{recovery}"
    );
    let mut client = db.client();
    client
        .batch_execute("SET default_transaction_read_only = off")
        .unwrap();
    for (table, (n, sum)) in &before {
        let old_rows = format!("{of_lost} AND NOT ({after_loss})");
        assert_eq!(count(&mut client, table, &old_rows), *n, "{table}");
        assert_eq!(&digest(&mut client, table, &old_rows), sum, "{table}");
    }
    assert_eq!(
        digest(&mut client, "batches", after_loss),
        newer,
        "the row written after the loss"
    );
    for (table, sum) in TENANT_TABLES.iter().zip(&others) {
        assert_eq!(
            &digest(&mut client, table, &not_lost),
            sum,
            "{table} of the other farms"
        );
    }

    // Recovering again finds nothing left to put back.
    let out = approved(
        dir.path(),
        url,
        &["--format", "json", "incident", "recover", "--farm", lost_farm],
    );
    let again: u64 = json(&out)["tables"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["inserted"].as_u64().unwrap())
        .sum();
    assert_eq!(again, 0);

    // verify: clean.
    let out = dbguard(dir.path(), url)
        .args(["--format", "json", "incident", "verify"])
        .output()
        .unwrap();
    let verified = json(&out.stdout);
    assert!(out.status.success(), "{verified}");
    assert_eq!(verified["clean"], true, "{verified}");

    // close: the checklist must be complete; then unfrozen, and the report names the cause.
    let out = dbguard(dir.path(), url)
        .args(["incident", "close", "--done", "data-restored"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("not answered"));
    let mut close = dbguard(dir.path(), url);
    close.args([
        "--format",
        "json",
        "incident",
        "close",
        "--done",
        "data-restored:farm 1 recovered",
    ]);
    for item in [
        "application-verified",
        "incident-documented",
        "root-cause",
        "prevention",
        "debriefing",
    ] {
        close.args(["--done", item]);
    }
    close.args(["--na", "users-notified:caught before users saw it"]);
    let out = close.output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let closed = json(&out.stdout);
    let report_path = closed["report"].as_str().unwrap();
    let report = std::fs::read_to_string(report_path).unwrap();
    let seq = cause["seq"].as_u64().unwrap();
    let cause_line = report
        .lines()
        .find(|l| l.contains(&format!("audit #{seq} ")))
        .unwrap_or_else(|| panic!("{report}"));
    assert!(
        cause_line.contains("most likely cause") && cause_line.contains("DELETE FROM batches"),
        "{cause_line}"
    );
    assert!(report.contains("caught before users saw it"), "{report}");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(report_path).unwrap().permissions().mode() & 0o777,
        0o600
    );
    db.client()
        .batch_execute(&format!(
            "UPDATE tasks SET title = 'writable' WHERE farm_id = '{other}' AND id = md5('other task')::uuid"
        ))
        .expect("unfrozen after close");
    let side: i64 = client
        .query_one(
            "SELECT count(*) FROM pg_database WHERE datname = $1",
            &[&scope["side_database"].as_str().unwrap()],
        )
        .unwrap()
        .get(0);
    assert_eq!(side, 0, "the side database is dropped");
}

#[test]
fn a_recovery_killed_midway_changes_nothing_and_a_rerun_finishes_it() {
    let (db, farms) = seeded();
    let farm = &farms[1];
    let dir = dbguard_testkit::project_dir("dbguard-incident-kill-");
    support::set_up_approver(&support::config_home(dir.path()));
    let url = db.url.expose();
    let mut client = db.client();
    verified_backup(dir.path(), url);
    let of_farm = format!("farm_id = '{farm}'");
    let before: Vec<String> = LOST_TABLES
        .iter()
        .map(|t| digest(&mut client, t, &of_farm))
        .collect();
    let task: String = client
        .query_one(
            &format!("SELECT id::text FROM tasks WHERE {of_farm} ORDER BY id LIMIT 1"),
            &[],
        )
        .unwrap()
        .get(0);
    client
        .batch_execute(&format!(
            "DELETE FROM tasks WHERE {of_farm}; DELETE FROM batches WHERE {of_farm}"
        ))
        .unwrap();
    start_and_scope(dir.path(), url, &[]);

    // Another session is inserting a row with the key of a lost task and has
    // not committed: the recovery waits for it once its batches are in.
    let mut blocker = db.client();
    let mut holding = blocker.transaction().unwrap();
    holding
        .batch_execute(&format!(
            "INSERT INTO tasks (farm_id, id, title) VALUES ('{farm}', '{task}', 'in the way')"
        ))
        .unwrap();
    let args = ["incident", "recover", "--farm", farm.as_str()];
    let out = dbguard(dir.path(), url).args(args).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    support::approve_pending(dir.path(), &[("DATABASE_URL", url)]);
    let mut recover = std::process::Command::new(assert_cmd::cargo::cargo_bin("dbguard"));
    recover
        .current_dir(dir.path())
        .env("DATABASE_URL", url)
        .env("XDG_CONFIG_HOME", support::config_home(dir.path()))
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    let mut child = recover.spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let waiting: i64 = client
            .query_one(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'dbguard incident recover'
                    AND wait_event_type = 'Lock' AND query LIKE 'INSERT INTO%tasks%'",
                &[],
            )
            .unwrap()
            .get(0);
        if waiting > 0 {
            break;
        }
        assert!(Instant::now() < deadline, "the recovery never reached the tasks");
        assert!(
            child.try_wait().unwrap().is_none(),
            "the recovery ended before it was killed"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    // Killed with its batches inserted but not committed: nothing is there.
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(count(&mut client, "batches", &of_farm), 0);
    holding.rollback().unwrap();
    assert_eq!(count(&mut client, "batches", &of_farm), 0);
    assert_eq!(count(&mut client, "tasks", &of_farm), 0);

    // Rerun, it finishes: every lost row back as it was.
    approved(dir.path(), url, &args);
    let after: Vec<String> = LOST_TABLES
        .iter()
        .map(|t| digest(&mut client, t, &of_farm))
        .collect();
    assert_eq!(after, before);
}

#[test]
fn a_whole_restore_recovers_through_the_protocol_and_verifies() {
    let (db, farms) = seeded();
    let dir = dbguard_testkit::project_dir("dbguard-incident-whole-");
    support::set_up_approver(&support::config_home(dir.path()));
    let url = db.url.expose();
    let mut client = db.client();
    let backup = verified_backup(dir.path(), url);
    let all = "true";
    let before: Vec<String> = TENANT_TABLES
        .iter()
        .map(|t| digest(&mut client, t, all))
        .collect();
    client
        .batch_execute(&format!("DELETE FROM tasks WHERE farm_id = '{}'", farms[2]))
        .unwrap();
    start_and_scope(dir.path(), url, &["--backup", &backup]);
    let out = approved(dir.path(), url, &["incident", "recover", "--whole"]);
    assert!(String::from_utf8_lossy(&out).contains(&format!("restored backup {backup}")));
    let after: Vec<String> = TENANT_TABLES
        .iter()
        .map(|t| digest(&mut client, t, all))
        .collect();
    assert_eq!(after, before);
    let out = dbguard(dir.path(), url)
        .args(["--format", "json", "incident", "verify"])
        .output()
        .unwrap();
    assert_eq!(
        json(&out.stdout)["clean"],
        true,
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}
