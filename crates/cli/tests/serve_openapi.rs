//! The API's OpenAPI document checked against the live server by a
//! property-based tester (schemathesis, every check): generated requests,
//! valid and invalid, and every response against its schema, on a project
//! with approvals, an audit log, a backup, an incident and a database to
//! validate.

mod support;

use std::process::Command;

use support::{config_home, person_env, serve, set_up_approver};

#[test]
fn the_live_api_conforms_to_its_openapi_document() {
    let db = dbguard_testkit::server().fresh_db();
    let dir = dbguard_testkit::project_dir("dbguard-openapi-");
    set_up_approver(&config_home(dir.path()));
    let url = db.url.expose().to_string();
    let env = [("DATABASE_URL", url.as_str())];
    db.client()
        .batch_execute(
            "CREATE TABLE notes (id int PRIMARY KEY); INSERT INTO notes SELECT generate_series(1, 10);",
        )
        .unwrap();
    let dbguard = |args: &[&str], extra: &[(&str, &str)]| {
        let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("dbguard"));
        cmd.current_dir(dir.path()).args(args);
        person_env(&mut cmd, dir.path(), &env);
        cmd.envs(extra.iter().copied()).output().unwrap()
    };
    assert!(dbguard(&["backup", "create"], &[]).status.success());
    let inline = db.inline_url();
    let out = dbguard(
        &["run", "--", "psql", &inline, "-c", "TRUNCATE notes"],
        &[("CLAUDECODE", "1")],
    );
    assert_eq!(out.status.code(), Some(4), "a pending approval and audit entries");
    assert!(
        dbguard(
            &["incident", "start", "--title", "notes lost", "--no-freeze"],
            &[]
        )
        .status
        .success(),
        "an open incident"
    );

    let serving = serve(dir.path(), &env);
    // In the project's folder: schemathesis keeps a cache where it runs.
    let out = Command::new(dbguard_testkit::web::schemathesis())
        .current_dir(dir.path())
        .args(["run", &format!("{}/api/openapi.json", serving.base)])
        .args(["--header", &format!("Authorization: Bearer {}", serving.token)])
        .args(["--checks", "all", "--max-examples", "30", "--no-color"])
        .env("SCHEMATHESIS_HOOKS", "")
        .output()
        .expect("schemathesis runs");
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{report}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        report.contains("Selected: 8/8") && report.contains("Tested: 8"),
        "every operation but the document itself was tested: {report}"
    );
    assert!(!report.contains(&serving.token), "the token is not echoed");
}
