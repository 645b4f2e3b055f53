//! The dashboard in a real browser (Debian's headless Chromium driven by
//! playwright-core): an agent's `dbguard run` waits for a person; the
//! approvals page shows the block; a wrong passphrase approves nothing; a
//! person approves with YES and the passphrase; the same `dbguard run` then
//! proceeds; an incident opened on the loss is shown with its scope; every
//! page is photographed and its text checked. The PNGs are
//! kept in `target/screenshots/dashboard/`.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use dbguard_testkit::web as browser;
use serde_json::Value;
use support::{config_home, pending_id, person_env, serve, set_up_approver, Serving, PASS};

fn screenshots() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/screenshots/dashboard");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs the browser script's `step` against `serving`; the pages' text.
fn browse(serving: &Serving, step: &str, env: &[(&str, &str)]) -> Value {
    let profile = tempfile::tempdir().unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser/dashboard.cjs");
    let out = Command::new("node")
        .arg(script)
        .env("PLAYWRIGHT", browser::playwright_module())
        .env("CHROMIUM", browser::chromium())
        .env("CHROMIUM_FLAGS", serde_json::to_string(browser::FLAGS).unwrap())
        .env("USER_DATA_DIR", profile.path())
        .env("DASHBOARD_URL", &serving.url)
        .env("SHOTS", screenshots())
        .env("STEP", step)
        .envs(env.iter().copied())
        .output()
        .expect("node (Node.js 20) runs the browser script");
    assert!(
        out.status.success(),
        "the browser script failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let result: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(result["problems"], serde_json::json!([]), "console errors (CSP?)");
    result
}

fn text<'v>(result: &'v Value, page: &str) -> &'v str {
    let shot = screenshots().join(format!("{page}.png"));
    assert!(browser::is_png(&shot), "{} is not a PNG", shot.display());
    result["pages"][page]["text"]
        .as_str()
        .unwrap_or_else(|| panic!("no page {page}: {result}"))
}

fn has(text: &str, wanted: &[&str]) {
    for w in wanted {
        assert!(text.contains(w), "{w:?} is not on the page:\n{text}");
    }
}

#[test]
fn an_agents_operation_is_approved_in_the_browser_and_the_same_run_proceeds() {
    let db = dbguard_testkit::server().fresh_db();
    let dir = dbguard_testkit::project_dir("dbguard-browser-");
    set_up_approver(&config_home(dir.path()));
    let url = db.url.expose().to_string();
    let env = [("DATABASE_URL", url.as_str())];
    let dbguard = |extra: &[(&str, &str)]| {
        let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("dbguard"));
        cmd.current_dir(dir.path());
        person_env(&mut cmd, dir.path(), &env);
        cmd.envs(extra.iter().copied());
        cmd
    };
    // The farm's data, one order's total planted wrong; and a table to truncate.
    dbguard_migrate::runner::deploy(&mut db.client(), &dbguard_farm::migrations(), &mut |_| Ok(())).unwrap();
    assert!(dbguard(&[])
        .args(["seed", "--farms", "2"])
        .status()
        .unwrap()
        .success());
    let wrong: String = db
        .client()
        .query_one(
            "UPDATE orders SET total_cents = total_cents + 5 WHERE id = (SELECT id FROM orders ORDER BY id LIMIT 1) \
             RETURNING id::text",
            &[],
        )
        .unwrap()
        .get(0);
    db.client()
        .batch_execute(
            "CREATE TABLE harvest_notes (id int PRIMARY KEY); INSERT INTO harvest_notes SELECT generate_series(1, 100);",
        )
        .unwrap();

    // The agent asks; it waits for a person.
    let inline = db.inline_url();
    let truncate = [
        "run",
        "--",
        "psql",
        inline.as_str(),
        "-c",
        "TRUNCATE harvest_notes",
    ];
    let out = dbguard(&[("CLAUDECODE", "1")]).args(truncate).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(4),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let id = pending_id(dir.path(), &env);

    let serving = serve(dir.path(), &env);
    let approved = browse(&serving, "approve", &[("APPROVAL_ID", &id), ("PASSPHRASE", PASS)]);
    assert_eq!(
        approved["landed"], "/approvals",
        "the token leaves the address bar"
    );
    has(
        text(&approved, "approvals-pending"),
        &[
            &id,
            "DATABASE OPERATION REQUIRED",
            "TRUNCATE harvest_notes",
            "harvest_notes (100 rows)",
            "high risk",
            "Approve",
        ],
    );
    has(
        text(&approved, "approvals-wrong-passphrase"),
        &["Not approved", "wrong passphrase", &id],
    );
    has(
        text(&approved, "approvals"),
        &[&format!("Approved {id}"), "Nothing is waiting for a person"],
    );

    // The same run now proceeds: a verified backup, then the truncate.
    let out = dbguard(&[("CLAUDECODE", "1")]).args(truncate).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let left: i64 = db
        .client()
        .query_one("SELECT count(*) FROM harvest_notes", &[])
        .unwrap()
        .get(0);
    assert_eq!(left, 0);

    let copy = format!("{}_copy", db.name);
    let tour = browse(&serving, "tour", &[("RESTORE_INTO", &copy)]);
    has(text(&tour, "approvals"), &[&id, "used", "TRUNCATE harvest_notes"]);
    has(
        text(&tour, "backups"),
        &[
            "newest verified backup",
            "within 26 h",
            "read",
            "TRUNCATE harvest_notes",
            "verify --full",
            "restore --into",
        ],
    );
    has(
        text(&tour, "health"),
        &["Overall", "connections", "backup", "reloads every 15 s"],
    );
    has(text(&tour, "integrity"), &["INVALID", "order-total", &wrong]);
    has(
        text(&tour, "audit"),
        &[
            "the log is intact",
            "pending-approval",
            "approved",
            "approval-used",
            "executed",
            "CLAUDECODE",
        ],
    );
    // Four entries; the person's approval is the one without an agent.
    has(text(&tour, "audit"), &["(4 in all)"]);
    has(text(&tour, "audit-filtered"), &["(1 in all)", "approved"]);

    // The loss as an incident: opened and scoped at the terminal, shown read only.
    for args in [
        &[
            "incident",
            "start",
            "--title",
            "harvest notes truncated",
            "--no-freeze",
        ][..],
        &["incident", "scope"][..],
    ] {
        let out = dbguard(&[]).args(args).output().unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let incidents = browse(&serving, "incidents", &[]);
    has(
        text(&incidents, "incidents"),
        &[
            "harvest notes truncated",
            "open, scoped",
            "not frozen",
            "1 open incident(s) of 1",
            "Read only",
        ],
    );
    has(
        text(&incidents, "incident"),
        &[
            "Steps",
            "start",
            "scope",
            "Scope",
            "100 row(s) lost, 0 changed, 0 added",
            "public.harvest_notes",
            "Per farm",
            "Read only",
        ],
    );
    for page in tour["pages"]
        .as_object()
        .unwrap()
        .values()
        .chain(approved["pages"].as_object().unwrap().values())
        .chain(incidents["pages"].as_object().unwrap().values())
    {
        let shown = page.to_string();
        for secret in [db.password().as_str(), serving.token.as_str(), PASS] {
            assert!(!shown.contains(secret), "a page shows a secret: {shown}");
        }
    }
}
