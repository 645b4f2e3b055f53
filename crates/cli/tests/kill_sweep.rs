//! kill -9 at several moments of `backup create`, `backup verify --full`,
//! `restore --into` and `restore` over the live database, on a database of
//! more than 100 MB. Afterwards: no half database (a `--into` target is
//! absent or complete, the live database is as it was or as the backup),
//! every leftover is reported by `backup list` until the next run sweeps
//! it, and every listed backup verifies.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;

mod support;

/// When each run is killed, after it starts (`backup create`, `verify
/// --full`, `restore --into`; a restore over the live database first waits
/// for the approver's passphrase and takes a safety backup, so later).
const OFFSETS_MS: &[u64] = &[300, 1200, 2500];
const LIVE_OFFSETS_MS: &[u64] = &[1500, 4500, 7500];

fn dbguard_cmd(dir: &Path, url: &str) -> Command {
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("dbguard"));
    cmd.current_dir(dir)
        .env("DATABASE_URL", url)
        .env_remove("CLAUDECODE")
        .env_remove("CURSOR_AGENT")
        .env_remove("GEMINI_CLI")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    cmd
}

fn run_ok(dir: &Path, url: &str, args: &[&str]) -> String {
    let out = dbguard_cmd(dir, url)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "dbguard {args:?}: {text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    text
}

/// `restore ID` over the live database on a pseudo-terminal, a person
/// answering YES and the approver's passphrase; returns the `script`
/// process and the pid of dbguard under it.
fn restore_live_in_pty(dir: &Path, url: &str, id: &str) -> (Child, u32) {
    let exe = assert_cmd::cargo::cargo_bin("dbguard");
    let mut child = Command::new("script")
        .args([
            "-qec",
            &format!("exec '{}' restore {id}", exe.display()),
            "/dev/null",
        ])
        .current_dir(dir)
        .env("DATABASE_URL", url)
        .env("XDG_CONFIG_HOME", support::config_home(dir))
        .env_remove("CLAUDECODE")
        .env_remove("CURSOR_AGENT")
        .env_remove("GEMINI_CLI")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("`script` (util-linux) provides the pseudo-terminal");
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("YES\n{}\n", support::PASS).as_bytes())
        .unwrap();
    let children = format!("/proc/{0}/task/{0}/children", child.id());
    for _ in 0..500 {
        if let Some(pid) = std::fs::read_to_string(&children)
            .ok()
            .and_then(|t| t.split_whitespace().next().and_then(|p| p.parse().ok()))
        {
            return (child, pid);
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("dbguard did not start under script");
}

fn kill9(pid: u32) {
    // SAFETY: sending a signal has no memory-safety preconditions.
    unsafe {
        libc::kill(pid as i32, libc::SIGKILL);
    }
}

/// A digest of every row of the tables the test made.
fn fingerprint(url: &dbguard_pg::DbUrl) -> String {
    let mut client = dbguard_pg::connect(url, Duration::from_secs(30)).unwrap();
    let tables: Vec<String> = client
        .query(
            "SELECT relname::text FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind = 'r' ORDER BY 1",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    tables
        .iter()
        .map(|t| {
            let row = client
                .query_one(
                    &format!("SELECT count(*), coalesce(sum(hashtext(x::text)), 0)::text FROM {t} x"),
                    &[],
                )
                .unwrap();
            format!("{t}:{}:{};", row.get::<_, i64>(0), row.get::<_, String>(1))
        })
        .collect()
}

fn databases(db: &dbguard_testkit::TestDb, prefix: &str) -> Vec<String> {
    db.client()
        .query(
            "SELECT datname::text FROM pg_database WHERE starts_with(datname, $1) ORDER BY 1",
            &[&prefix],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

#[test]
fn kill_9_at_any_moment_leaves_nothing_half_done_or_unreported() {
    let db = dbguard_testkit::server().fresh_db();
    db.client()
        .batch_execute(
            "CREATE TABLE farms (id int PRIMARY KEY, name text);
             INSERT INTO farms SELECT g, 'farm ' || g FROM generate_series(1, 100) g;
             CREATE TABLE readings (id bigint PRIMARY KEY, farm_id int REFERENCES farms, body text);
             INSERT INTO readings SELECT g, 1 + g % 100, md5(g::text) || repeat(md5((g * 31)::text), 5)
               FROM generate_series(1, 420000) g;",
        )
        .unwrap();
    let size: i64 = db
        .client()
        .query_one("SELECT pg_database_size(current_database())", &[])
        .unwrap()
        .get(0);
    assert!(size > 100_000_000, "the database holds only {size} bytes");
    let dir = dbguard_testkit::project_dir("dbguard-kill-");
    let url = db.url.expose().to_string();
    let path = dir.path();
    support::set_up_approver(&support::config_home(path));

    run_ok(path, &url, &["backup", "create"]);
    let listed: Value =
        serde_json::from_str(&run_ok(path, &url, &["--format", "json", "backup", "list"])).unwrap();
    let base = listed["backups"][0]["id"].as_str().unwrap().to_string();
    let at_backup = fingerprint(&db.url);
    db.client()
        .batch_execute("DELETE FROM readings WHERE id % 10 = 0; CREATE TABLE made_later AS SELECT 1 AS x")
        .unwrap();
    let live = fingerprint(&db.url);
    assert_ne!(live, at_backup);

    let mut into_targets = Vec::new();
    for (round, offset) in OFFSETS_MS.iter().enumerate() {
        let wait = Duration::from_millis(*offset);
        let into = format!("{}_into_{round}", db.name);
        into_targets.push(into.clone());
        let runs: Vec<Vec<String>> = vec![
            vec!["backup".into(), "create".into()],
            vec!["backup".into(), "verify".into(), base.clone(), "--full".into()],
            vec!["restore".into(), base.clone(), "--into".into(), into.clone()],
        ];
        for args in runs {
            let mut child = dbguard_cmd(path, &url).args(&args).spawn().unwrap();
            std::thread::sleep(wait);
            kill9(child.id());
            let _ = child.wait();
        }
        let (mut script, pid) = restore_live_in_pty(path, &url, &base);
        std::thread::sleep(Duration::from_millis(LIVE_OFFSETS_MS[round]));
        kill9(pid);
        let _ = script.wait();

        // No half database: the live one is as it was, or (the kill came
        // after the commit) as the backup; a --into target absent or whole.
        let now = fingerprint(&db.url);
        assert!(
            now == live || now == at_backup,
            "round {round}: the live database is half restored"
        );
        if now == at_backup {
            db.client()
                .batch_execute(
                    "DELETE FROM readings WHERE id % 10 = 0; CREATE TABLE made_later AS SELECT 1 AS x",
                )
                .unwrap();
            assert_eq!(fingerprint(&db.url), live);
        }
        if databases(&db, &into).contains(&into) {
            assert_eq!(
                fingerprint(&db.url.with_database(&into).unwrap()),
                at_backup,
                "round {round}: {into} is half restored"
            );
        }

        // Every leftover is reported.
        let listed: Value =
            serde_json::from_str(&run_ok(path, &url, &["--format", "json", "backup", "list"])).unwrap();
        let leftovers = &listed["leftovers"];
        let reported: Vec<String> = leftovers["partial_folders"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["path"].as_str().unwrap().to_string())
            .chain(
                leftovers["databases"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|d| d["name"].as_str().unwrap().to_string()),
            )
            .collect();
        let on_disk: Vec<String> = std::fs::read_dir(path.join("backups"))
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().ends_with(".partial"))
            .map(|e| e.path().display().to_string())
            .collect();
        for leftover in on_disk.iter().chain(&databases(&db, "dbguard_tmp_")) {
            assert!(
                reported.contains(leftover),
                "round {round}: {leftover} is not reported: {leftovers}"
            );
        }
        for entry in leftovers["partial_folders"]
            .as_array()
            .unwrap()
            .iter()
            .chain(leftovers["databases"].as_array().unwrap())
        {
            assert_eq!(
                entry["liveness"], "gone",
                "round {round}: its maker was killed: {entry}"
            );
        }
    }

    // The next run sweeps everything; every listed backup verifies.
    run_ok(path, &url, &["backup", "prune"]);
    let listed: Value =
        serde_json::from_str(&run_ok(path, &url, &["--format", "json", "backup", "list"])).unwrap();
    assert!(
        listed["leftovers"]["partial_folders"]
            .as_array()
            .unwrap()
            .is_empty(),
        "{listed}"
    );
    assert!(
        listed["leftovers"]["databases"].as_array().unwrap().is_empty(),
        "{listed}"
    );
    assert!(databases(&db, "dbguard_tmp_").is_empty());
    for backup in listed["backups"].as_array().unwrap() {
        run_ok(path, &url, &["backup", "verify", backup["id"].as_str().unwrap()]);
    }
    for into in into_targets {
        let _ = db
            .client()
            .batch_execute(&format!("DROP DATABASE IF EXISTS \"{into}\" WITH (FORCE)"));
    }
}
