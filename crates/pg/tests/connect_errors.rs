//! Bad connection input gives a clear error that never shows the password,
//! and the harness gives each test its own database.

use std::time::Duration;

use dbguard_pg::DbUrl;

const TIMEOUT: Duration = Duration::from_secs(10);

fn connect_error(url: &DbUrl) -> String {
    match dbguard_pg::connect(url, TIMEOUT) {
        Ok(_) => panic!("connecting to {url} should fail"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn wrong_password_is_reported_without_the_password() {
    let db = dbguard_testkit::server().fresh_db();
    let port = db.url.client_config().unwrap().get_ports()[0];
    let url = DbUrl::parse(&format!(
        "postgresql://postgres:WrongHorse42@127.0.0.1:{port}/{}",
        db.name
    ))
    .unwrap();
    let err = connect_error(&url);
    assert!(err.contains("password authentication failed"), "{err}");
    assert!(err.contains("postgres:***@127.0.0.1"), "{err}");
    assert!(!err.contains("WrongHorse42"), "{err}");
}

#[test]
fn unreachable_server_is_reported() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let url = DbUrl::parse(&format!("postgresql://app:Sekrit99@127.0.0.1:{port}/farm")).unwrap();
    let err = connect_error(&url);
    assert!(
        err.starts_with("cannot connect to postgresql://app:***@127.0.0.1"),
        "{err}"
    );
    assert!(err.to_lowercase().contains("refused"), "{err}");
    assert!(!err.contains("Sekrit99"), "{err}");
}

#[test]
fn missing_database_is_reported() {
    let db = dbguard_testkit::server().fresh_db();
    let url = dbguard_testkit::server().url(&format!("{}_missing", db.name));
    let err = connect_error(&url);
    assert!(err.contains("does not exist"), "{err}");
}

#[test]
fn fresh_databases_are_isolated_and_dropped() {
    let server = dbguard_testkit::server();
    let a = server.fresh_db();
    let b = server.fresh_db();
    a.client()
        .batch_execute("CREATE TABLE only_in_a (x int)")
        .unwrap();
    let seen: i64 = b
        .client()
        .query_one(
            "SELECT count(*) FROM pg_tables WHERE tablename = 'only_in_a'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(seen, 0);
    let name = a.name.clone();
    drop(a);
    let left: i64 = b
        .client()
        .query_one("SELECT count(*) FROM pg_database WHERE datname = $1", &[&name])
        .unwrap()
        .get(0);
    assert_eq!(left, 0, "a dropped TestDb removes its database");
}
