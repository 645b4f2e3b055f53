//! dbguard against a server that accepts only TLS, as a hosted database
//! does: `config` shows the settings, `backup create` and `backup verify`
//! run pg_dump and pg_restore over TLS, `health` connects with
//! `sslmode=verify-full`; a wrong host name is CRITICAL with the reason.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use assert_cmd::Command;
use dbguard_testkit::{TestCa, TestServer, TlsSetup};
use predicates::prelude::*;

fn dbguard(dir: &Path, url: &str) -> Command {
    let mut cmd = Command::cargo_bin("dbguard").unwrap();
    cmd.current_dir(dir).env("DATABASE_URL", url);
    cmd
}

#[test]
fn health_and_backups_work_against_a_tls_only_server_with_verify_full() {
    let ca = TestCa::new("dbguard test CA");
    let server: &'static TestServer = Box::leak(Box::new(
        TestServer::start_tls(TlsSetup {
            server: ca.server(&["localhost"]),
            client_ca_pem: ca.cert_pem(),
            cert_roles: Vec::new(),
            plain_too: false,
        })
        .unwrap_or_else(|e| panic!("{e}")),
    ));
    let db = server.fresh_db();
    db.client()
        .batch_execute("CREATE TABLE plots (id int PRIMARY KEY, name text); INSERT INTO plots VALUES (1, 'a'), (2, 'b');")
        .unwrap();
    let dir = dbguard_testkit::project_dir("dbguard-tls-cli-");
    let ca_file = dir.path().join("ca.pem");
    std::fs::write(&ca_file, ca.cert_pem()).unwrap();
    std::fs::set_permissions(&ca_file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let verify_full = format!("sslmode=verify-full&sslrootcert={}", ca_file.display());
    let url = db
        .url
        .expose()
        .replace("@127.0.0.1:", "@localhost:")
        .replace("sslmode=require", &verify_full);

    dbguard(dir.path(), &url)
        .arg("config")
        .assert()
        .success()
        .stdout(predicate::str::contains(format!(
            "TLS         verify-full, CA {}",
            ca_file.display()
        )));
    dbguard(dir.path(), &url)
        .args(["backup", "create"])
        .assert()
        .success();
    dbguard(dir.path(), &url)
        .args(["backup", "verify"])
        .assert()
        .success();
    dbguard(dir.path(), &url)
        .arg("health")
        .assert()
        .code(0)
        .stdout(predicate::str::contains("OK"));

    let wrong_host = url.replace("@localhost:", "@127.0.0.1:");
    dbguard(dir.path(), &wrong_host)
        .arg("health")
        .assert()
        .code(2)
        .stdout(predicate::str::contains(
            "the server's certificate is not valid for the host name `127.0.0.1`",
        ));
}
