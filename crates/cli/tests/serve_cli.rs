//! `dbguard serve` over plain HTTP: a request without the token, with a
//! wrong CSRF token, from another origin or for another host is refused and
//! changes nothing; the token becomes an HttpOnly SameSite=Strict cookie;
//! every response carries the strict policy; the API prints what the cli's
//! `--format json` prints; no page holds a password or the token.

mod support;

use std::path::Path;

use dbguard_testkit::TestDb;
use serde_json::Value;
use support::{config_home, pending_id, person_env, serve, set_up_approver, Serving, PASS};

const CSP: &str =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; \
                   form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

fn dbguard(dir: &Path, env: &[(&str, &str)]) -> std::process::Command {
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("dbguard"));
    cmd.current_dir(dir);
    person_env(&mut cmd, dir, env);
    cmd
}

fn cli_json(dir: &Path, env: &[(&str, &str)], args: &[&str]) -> Value {
    let out = dbguard(dir, env)
        .args(["--format", "json"])
        .args(args)
        .output()
        .unwrap();
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{args:?}: {e}"))
}

/// A project whose agent asked to truncate a table: its pending approval.
fn pending(db: &TestDb, dir: &Path) -> String {
    db.client()
        .batch_execute(
            "CREATE TABLE batches (id int PRIMARY KEY); INSERT INTO batches SELECT generate_series(1, 10);",
        )
        .unwrap();
    let url = db.url.expose().to_string();
    let out = dbguard(dir, &[("DATABASE_URL", &url), ("CLAUDECODE", "1")])
        .args(["run", "--", "psql", &db.inline_url(), "-c", "TRUNCATE batches"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(4),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    pending_id(dir, &[("DATABASE_URL", &url)])
}

fn agent() -> ureq::Agent {
    ureq::AgentBuilder::new().redirects(0).build()
}

/// The status and body of `request` (with `form`), whatever the status.
fn call(request: ureq::Request, form: Option<&[(&str, &str)]>) -> (u16, String) {
    let result = match form {
        Some(form) => request.send_form(form),
        None => request.call(),
    };
    match result {
        Ok(response) => (response.status(), response.into_string().unwrap()),
        Err(ureq::Error::Status(status, response)) => (status, response.into_string().unwrap()),
        Err(e) => panic!("{e}"),
    }
}

struct Session<'s> {
    serving: &'s Serving,
    cookie: String,
}

impl Session<'_> {
    fn get(&self, path: &str) -> ureq::Request {
        agent()
            .get(&format!("{}{path}", self.serving.base))
            .set("Cookie", &self.cookie)
    }

    fn post(&self, path: &str, origin: Option<&str>) -> ureq::Request {
        let request = agent()
            .post(&format!("{}{path}", self.serving.base))
            .set("Cookie", &self.cookie);
        match origin {
            Some(origin) => request.set("Origin", origin),
            None => request,
        }
    }
}

fn csrf_of(page: &str) -> String {
    let at = page
        .find("name=\"csrf\" value=\"")
        .expect("a form with its CSRF token")
        + 19;
    page[at..at + 64].to_string()
}

#[test]
fn without_the_token_with_a_wrong_csrf_or_from_another_origin_nothing_is_shown_or_changed() {
    let db = dbguard_testkit::server().fresh_db();
    let dir = dbguard_testkit::project_dir("dbguard-serve-");
    set_up_approver(&config_home(dir.path()));
    let url = db.url.expose().to_string();
    let env = [("DATABASE_URL", url.as_str())];
    let id = pending(&db, dir.path());
    let serving = serve(dir.path(), &env);
    let base = &serving.base;

    // No token: refused, whatever is asked.
    for path in [
        "/",
        "/approvals",
        "/api/approvals",
        "/api/openapi.json",
        "/metrics",
        "/static/dashboard.css",
    ] {
        let (status, body) = call(agent().get(&format!("{base}{path}")), None);
        assert_eq!(status, 401, "{path}");
        assert!(!body.contains(&id), "{path}: {body}");
    }
    let (status, _) = call(agent().get(&format!("{base}/?token=0123")), None);
    assert_eq!(status, 401, "a wrong token");
    let (status, _) = call(
        agent().get(&format!("{base}/approvals")).set(
            "Cookie",
            &format!("dbguard_session_{}={}", &base[17..], serving.token),
        ),
        None,
    );
    assert_eq!(status, 401, "the URL's token is not the session cookie");

    // The token: a session cookie, and the same page without the token.
    let response = agent().get(&serving.url).call().unwrap();
    assert_eq!(response.status(), 303);
    assert_eq!(response.header("Location"), Some("/"));
    let set_cookie = response.header("Set-Cookie").unwrap().to_string();
    assert!(
        set_cookie.contains("HttpOnly") && set_cookie.contains("SameSite=Strict"),
        "{set_cookie}"
    );
    assert!(
        !set_cookie.contains(&serving.token),
        "the cookie is not the token"
    );
    let session = Session {
        serving: &serving,
        cookie: set_cookie.split(';').next().unwrap().to_string(),
    };
    let page = session.get("/approvals").call().unwrap();
    assert_eq!(page.header("Content-Security-Policy"), Some(CSP));
    assert_eq!(page.header("X-Frame-Options"), Some("DENY"));
    assert_eq!(page.header("Referrer-Policy"), Some("same-origin"));
    let page = page.into_string().unwrap();
    assert!(
        page.contains(&format!("id=\"approval-{id}\"")) && page.contains("TRUNCATE batches"),
        "{page}"
    );
    assert!(
        !page.contains("<script>") && !page.contains(" style="),
        "nothing inline"
    );
    let csrf = csrf_of(&page);

    // Another host (DNS rebinding), even with the cookie.
    let port = base.rsplit(':').next().unwrap();
    let (status, _) = call(
        session
            .get("/approvals")
            .set("Host", &format!("evil.example:{port}")),
        None,
    );
    assert_eq!(status, 421);

    // Changes: a wrong CSRF token, another origin, no origin, a wrong answer.
    let own = base.as_str();
    let approve = format!("/approvals/{id}/approve");
    let deny = format!("/approvals/{id}/deny");
    let refused: Vec<(u16, &str)> = vec![
        (
            call(
                session.post(&deny, Some(own)),
                Some(&[("csrf", "0".repeat(64).as_str())]),
            )
            .0,
            "deny, wrong csrf",
        ),
        (call(session.post(&deny, Some(own)), Some(&[])).0, "deny, no csrf"),
        (
            call(
                session.post(&deny, Some("http://evil.example")),
                Some(&[("csrf", &csrf)]),
            )
            .0,
            "deny, other origin",
        ),
        (
            call(session.post(&deny, None), Some(&[("csrf", &csrf)])).0,
            "deny, no origin",
        ),
        (
            call(
                session.post(&approve, Some(own)),
                Some(&[
                    ("csrf", "f".repeat(64).as_str()),
                    ("answer", "YES"),
                    ("passphrase", PASS),
                ]),
            )
            .0,
            "approve, wrong csrf",
        ),
        (
            call(
                session.post(&approve, Some("http://localhost.evil.example")),
                Some(&[("csrf", &csrf), ("answer", "YES"), ("passphrase", PASS)]),
            )
            .0,
            "approve, other origin",
        ),
        (
            call(
                agent().post(&format!("{base}{approve}")).set("Origin", own),
                Some(&[("csrf", &csrf), ("answer", "YES"), ("passphrase", PASS)]),
            )
            .0,
            "approve, no session",
        ),
        (
            call(
                session.post(&approve, Some(own)),
                Some(&[("csrf", &csrf), ("answer", "yes"), ("passphrase", PASS)]),
            )
            .0,
            "approve, not YES",
        ),
    ];
    for (status, what) in &refused {
        assert!([401, 403, 422].contains(status), "{what}: {status}");
    }
    let states = cli_json(dir.path(), &env, &["approvals"]);
    assert_eq!(
        states["approvals"][0]["state"], "pending",
        "nothing changed: {states}"
    );

    // Denied from the page itself: recorded, and the API says what the cli says.
    let (status, body) = call(session.post(&deny, Some(own)), Some(&[("csrf", &csrf)]));
    assert_eq!(status, 200, "{body}");
    assert!(body.contains(&format!("Denied {id}")), "{body}");
    let api = |path: &str| -> Value {
        agent()
            .get(&format!("{base}{path}"))
            .set("Authorization", &format!("Bearer {}", serving.token))
            .call()
            .unwrap()
            .into_json()
            .unwrap()
    };
    assert_eq!(api("/api/approvals"), cli_json(dir.path(), &env, &["approvals"]));
    assert_eq!(api("/api/approvals")["approvals"][0]["state"], "denied");
    assert_eq!(
        api("/api/audit/verify"),
        cli_json(dir.path(), &env, &["audit", "verify"])
    );
    let audit = api("/api/audit?outcome=denied");
    assert_eq!(audit["entries"].as_array().unwrap().len(), 1, "{audit}");
    let mut cli_audit = cli_json(dir.path(), &env, &["audit"]);
    cli_audit["entries"].as_array_mut().unwrap().reverse();
    assert_eq!(api("/api/audit"), cli_audit, "the same entries, newest first");
    let health = api("/api/health");
    let cli_health = cli_json(dir.path(), &env, &["health"]);
    let names = |v: &Value| -> Vec<Value> {
        v["checks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].clone())
            .collect()
    };
    assert_eq!(names(&health), names(&cli_health));

    // Every documented endpoint answers with JSON.
    let doc = api("/api/openapi.json");
    for path in doc["paths"].as_object().unwrap().keys() {
        if path.contains('{') {
            continue; // one incident: in the incidents test
        }
        let value = api(path);
        assert!(value.is_object(), "{path}: {value}");
    }
    let metrics = agent()
        .get(&format!("{base}/metrics"))
        .set("Authorization", &format!("Bearer {}", serving.token))
        .call()
        .unwrap()
        .into_string()
        .unwrap();
    assert!(
        metrics.contains("dbguard_health_status{check=\"connections\"}"),
        "{metrics}"
    );

    // No page holds the database password, the token or the passphrase.
    for path in [
        "/approvals",
        "/backups",
        "/health",
        "/integrity",
        "/audit",
        "/api/audit",
        "/api/approvals",
    ] {
        let body = session.get(path).call().unwrap().into_string().unwrap();
        for secret in [db.password().as_str(), serving.token.as_str(), PASS] {
            assert!(!body.contains(secret), "{path} shows a secret");
        }
    }
}

#[test]
fn incidents_are_shown_read_only_as_the_cli_prints_them() {
    let db = dbguard_testkit::server().fresh_db();
    let dir = dbguard_testkit::project_dir("dbguard-serve-");
    let url = db.url.expose().to_string();
    let env = [("DATABASE_URL", url.as_str())];
    let incident = |args: &[&str]| {
        let out = dbguard(dir.path(), &env)
            .arg("incident")
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    incident(&["start", "--title", "orders lost", "--no-freeze"]);
    let closed = cli_json(dir.path(), &env, &["incident", "status"]);
    let closed_id = closed["id"].as_str().unwrap().to_string();
    let mut close = vec!["close".to_string(), "--id".to_string(), closed_id.clone()];
    for item in dbguard_incident::close::CHECKLIST.map(|(id, _)| id) {
        close.extend(["--na".to_string(), format!("{item}:a drill")]);
    }
    incident(&close.iter().map(String::as_str).collect::<Vec<_>>());
    incident(&["start", "--title", "harvest notes <gone>", "--no-freeze"]);
    let open = cli_json(dir.path(), &env, &["incident", "status"]);
    let open_id = open["id"].as_str().unwrap().to_string();
    assert_ne!(open_id, closed_id);

    let serving = serve(dir.path(), &env);
    let base = &serving.base;
    for path in [
        "/incidents".to_string(),
        format!("/incidents/{open_id}"),
        "/api/incidents".to_string(),
        format!("/api/incidents/{open_id}"),
    ] {
        let (status, body) = call(agent().get(&format!("{base}{path}")), None);
        assert_eq!(status, 401, "{path}");
        assert!(!body.contains(&open_id), "{path}: {body}");
    }
    let get = |path: &str| {
        call(
            agent()
                .get(&format!("{base}{path}"))
                .set("Authorization", &format!("Bearer {}", serving.token)),
            None,
        )
    };
    let api = |path: &str| -> Value {
        let (status, body) = get(path);
        assert_eq!(status, 200, "{path}: {body}");
        serde_json::from_str(&body).unwrap()
    };

    // The API: what `incident status` prints, newest first, a page at a time.
    let closed = cli_json(dir.path(), &env, &["incident", "status", "--id", &closed_id]);
    assert_eq!(api(&format!("/api/incidents/{open_id}")), open);
    assert_eq!(api(&format!("/api/incidents/{closed_id}")), closed);
    assert_eq!(
        api("/api/incidents"),
        serde_json::json!({ "incidents": [open, closed] })
    );
    assert_eq!(
        api("/api/incidents?page=2&per_page=1"),
        serde_json::json!({ "incidents": [closed] })
    );
    let (status, body) = get("/api/incidents/inc_nothing");
    assert_eq!(status, 404);
    assert!(body.contains("\"error\""), "{body}");
    assert_eq!(get("/api/incidents?per_page=0").0, 400);

    // The pages: the list, each incident's steps, the closed one's report; no forms.
    let (status, list) = get("/incidents");
    assert_eq!(status, 200);
    for wanted in [
        open_id.as_str(),
        closed_id.as_str(),
        "orders lost",
        "harvest notes &lt;gone&gt;",
        "open, opened",
        "closed, closed",
        "not frozen",
        "1 open incident(s) of 2",
        "Read only",
    ] {
        assert!(list.contains(wanted), "{wanted:?} is not on the list:\n{list}");
    }
    assert!(!list.contains("<form"), "nothing to change here");
    let (_, page) = get(&format!("/incidents/{closed_id}"));
    let report = std::fs::read_to_string(
        dir.path()
            .join(".dbguard/incidents")
            .join(&closed_id)
            .join("report.md"),
    )
    .unwrap();
    let first_line = report.lines().next().unwrap();
    for wanted in [
        "Steps",
        "start",
        "close",
        "Post-incident checklist",
        "not applicable (a drill)",
        "Report",
        first_line,
    ] {
        assert!(page.contains(wanted), "{wanted:?} is not on the page:\n{page}");
    }
    let (_, page) = get(&format!("/incidents/{open_id}"));
    assert!(
        page.contains("start") && !page.contains("id=\"report\""),
        "{page}"
    );
    assert_eq!(get("/incidents/inc_nothing").0, 404);
    for path in ["/incidents", &format!("/incidents/{closed_id}"), "/api/incidents"] {
        let body = get(path).1;
        for secret in [db.password().as_str(), serving.token.as_str()] {
            assert!(!body.contains(secret), "{path} shows a secret");
        }
    }
}

#[test]
fn an_agent_cannot_start_the_dashboard() {
    let dir = dbguard_testkit::project_dir("dbguard-serve-");
    let out = dbguard(
        dir.path(),
        &[
            ("DATABASE_URL", "postgresql://u@127.0.0.1:1/x"),
            ("CLAUDECODE", "1"),
        ],
    )
    .args(["serve", "--port", "0"])
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(4));
    assert!(out.stdout.is_empty(), "no URL, no token");
    assert!(String::from_utf8_lossy(&out.stderr).contains("not for an AI agent"));
}
