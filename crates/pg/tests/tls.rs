//! TLS against a server of its own that accepts only TLS (`hostssl` alone in
//! `pg_hba.conf`), with a CA and certificates made here: every sslmode, a
//! wrong CA, a wrong host name, client certificates, bad files, a server
//! without TLS, and `psql` given the same settings.

use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Duration;

use dbguard_pg::{DbUrl, Discovery};
use dbguard_testkit::{TestCa, TestServer, TlsSetup};

const TIMEOUT: Duration = Duration::from_secs(10);
const CERT_ROLE: &str = "tls_cert_user";

struct Fixture {
    server: TestServer,
    dir: tempfile::TempDir,
}

impl Fixture {
    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

/// The TLS-only server, whose certificate names `localhost` only; files in
/// `dir`: `ca.pem` (its CA), `other_ca.pem` (a CA that signed nothing of
/// it), `client.crt`/`client.key` (for CERT_ROLE, by the CA).
fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let ca = TestCa::new("dbguard test CA");
        let other = TestCa::new("some other CA");
        let client = ca.client(CERT_ROLE);
        let dir = dbguard_testkit::project_dir("dbguard-tls-");
        let write = |name: &str, text: &str| {
            let path = dir.path().join(name);
            std::fs::write(&path, text).unwrap();
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        };
        write("ca.pem", &ca.cert_pem());
        write("other_ca.pem", &other.cert_pem());
        write("client.crt", &client.cert_pem);
        write("client.key", &client.key_pem);
        write("not_pem.pem", "this is not a certificate\n");
        let server = TestServer::start_tls(TlsSetup {
            server: ca.server(&["localhost"]),
            client_ca_pem: ca.cert_pem(),
            cert_roles: vec![CERT_ROLE.to_string()],
            plain_too: false,
        })
        .unwrap_or_else(|e| panic!("{e}"));
        Fixture { server, dir }
    })
}

/// A URL to the TLS server's `postgres` database at `host`, with `params`
/// (`&`-joined) instead of the testkit's `sslmode=require`.
fn url(host: &str, params: &str) -> DbUrl {
    let base = fixture().server.local().url("postgres").unwrap();
    let text = base.expose().replace("@127.0.0.1:", &format!("@{host}:"));
    let sep = if params.is_empty() { "" } else { "&" };
    DbUrl::parse(&format!("{text}{sep}{params}")).unwrap()
}

fn ca() -> String {
    fixture().path("ca.pem").display().to_string()
}

/// Whether the connection `url` opens uses TLS, as the server sees it.
fn uses_tls(url: &DbUrl) -> bool {
    let mut client = dbguard_pg::connect(url, TIMEOUT).unwrap_or_else(|e| panic!("{e}"));
    client
        .query_one("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()", &[])
        .unwrap()
        .get(0)
}

fn error(url: &DbUrl) -> String {
    match dbguard_pg::connect(url, TIMEOUT) {
        Ok(_) => panic!("connecting to {url} should fail"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn disable_is_refused_by_a_tls_only_server() {
    let err = error(&url("127.0.0.1", "sslmode=disable"));
    assert!(err.contains("no encryption"), "{err}");
}

#[test]
fn allow_prefer_and_require_use_tls_without_checking_the_certificate() {
    // The certificate names `localhost` and no CA is given: nothing is checked.
    for mode in ["allow", "prefer", "require"] {
        assert!(uses_tls(&url("127.0.0.1", &format!("sslmode={mode}"))), "{mode}");
    }
    assert!(uses_tls(&url("127.0.0.1", "")), "prefer is the default");
}

#[test]
fn verify_ca_checks_the_chain_but_not_the_host_name() {
    assert!(uses_tls(&url(
        "127.0.0.1",
        &format!("sslmode=verify-ca&sslrootcert={}", ca())
    )));
    let other = fixture().path("other_ca.pem");
    let err = error(&url(
        "127.0.0.1",
        &format!("sslmode=verify-ca&sslrootcert={}", other.display()),
    ));
    assert!(
        err.contains(&format!(
            "the server's certificate is not signed by the CA in {}",
            other.display()
        )),
        "{err}"
    );
}

#[test]
fn require_with_a_root_ca_checks_the_chain_as_libpq_does() {
    let other = fixture().path("other_ca.pem");
    let err = error(&url(
        "127.0.0.1",
        &format!("sslmode=require&sslrootcert={}", other.display()),
    ));
    assert!(err.contains("not signed by the CA in"), "{err}");
    assert!(uses_tls(&url(
        "127.0.0.1",
        &format!("sslmode=require&sslrootcert={}", ca())
    )));
}

#[test]
fn verify_full_checks_the_host_name() {
    assert!(uses_tls(&url(
        "localhost",
        &format!("sslmode=verify-full&sslrootcert={}", ca())
    )));
    let err = error(&url(
        "127.0.0.1",
        &format!("sslmode=verify-full&sslrootcert={}", ca()),
    ));
    assert!(
        err.contains("TLS (sslmode=verify-full): the server's certificate is not valid for the host name `127.0.0.1` (it names localhost)"),
        "{err}"
    );
}

#[test]
fn the_key_value_form_takes_the_same_parameters() {
    let port = fixture()
        .server
        .url("postgres")
        .client_config()
        .unwrap()
        .get_ports()[0];
    let passfile = fixture().server.root().join(".dbguard/local.pgpass");
    let text = format!(
        "host=localhost port={port} user=postgres dbname=postgres passfile='{}' sslmode=verify-full sslrootcert='{}'",
        passfile.display(),
        ca()
    );
    let url = DbUrl::parse(&text).unwrap_or_else(|e| panic!("{e}"));
    assert!(uses_tls(&url));
}

#[test]
fn require_against_a_server_without_tls_says_so() {
    let plain = dbguard_testkit::server().url("postgres");
    let err = error(&DbUrl::parse(&format!("{}&sslmode=require", plain.expose())).unwrap());
    assert!(
        err.contains("the server does not offer TLS, and sslmode=require requires it"),
        "{err}"
    );
    assert!(!uses_tls(&plain), "prefer falls back to plain text");
}

#[test]
fn a_client_certificate_logs_in_where_the_server_asks_for_one() {
    let f = fixture();
    let base = url("localhost", &format!("sslmode=verify-full&sslrootcert={}", ca()));
    let as_role = base.expose().replace("postgres@", &format!("{CERT_ROLE}@"));
    let with_cert = format!(
        "{as_role}&sslcert={}&sslkey={}",
        f.path("client.crt").display(),
        f.path("client.key").display()
    );
    assert!(uses_tls(&DbUrl::parse(&with_cert).unwrap()));
    let err = error(&DbUrl::parse(&as_role).unwrap());
    assert!(err.contains("certificate"), "{err}");
}

#[test]
fn unreadable_or_invalid_files_are_named() {
    let f = fixture();
    let missing = f.path("missing.pem");
    let err = error(&url(
        "localhost",
        &format!("sslmode=verify-full&sslrootcert={}", missing.display()),
    ));
    assert!(
        err.contains(&format!("sslrootcert {}: cannot read it", missing.display())),
        "{err}"
    );
    let not_pem = f.path("not_pem.pem");
    let err = error(&url(
        "localhost",
        &format!("sslmode=verify-full&sslrootcert={}", not_pem.display()),
    ));
    assert!(err.contains("holds no PEM certificate"), "{err}");
    let open_key = f.path("open.key");
    std::fs::copy(f.path("client.key"), &open_key).unwrap();
    std::fs::set_permissions(&open_key, std::fs::Permissions::from_mode(0o644)).unwrap();
    let err = error(&url(
        "localhost",
        &format!(
            "sslcert={}&sslkey={}",
            f.path("client.crt").display(),
            open_key.display()
        ),
    ));
    assert!(err.contains("group or world access"), "{err}");
}

#[test]
fn messages_never_show_the_password() {
    let base = url("127.0.0.1", &format!("sslmode=verify-full&sslrootcert={}", ca()));
    let with_password = base.expose().replace("postgres@", "postgres:Hunter2Secret@");
    let err = error(&DbUrl::parse(&with_password).unwrap());
    assert!(err.contains("not valid for the host name"), "{err}");
    assert!(!err.contains("Hunter2Secret"), "{err}");
}

/// `psql` given [`DbUrl::libpq`]'s parameters behaves as dbguard does.
#[test]
fn psql_children_get_the_same_settings() {
    let install = Discovery::system().client_for(0).expect("psql is installed");
    let psql = |url: &DbUrl| {
        let libpq = url.libpq();
        let mut cmd = std::process::Command::new(install.program("psql"));
        cmd.arg("--no-password")
            .arg(format!("--dbname={}", libpq.conninfo))
            .args(["-tAc", "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"]);
        libpq.apply_password(&mut cmd);
        cmd.output().unwrap()
    };
    let good = url("localhost", &format!("sslmode=verify-full&sslrootcert={}", ca()));
    assert!(
        good.libpq().conninfo.contains("sslmode='verify-full'"),
        "{:?}",
        good.libpq()
    );
    let out = psql(&good);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "t");
    let wrong_host = psql(&url(
        "127.0.0.1",
        &format!("sslmode=verify-full&sslrootcert={}", ca()),
    ));
    assert!(!wrong_host.status.success());
    let stderr = String::from_utf8_lossy(&wrong_host.stderr);
    assert!(stderr.contains("does not match host name"), "{stderr}");
}

/// libpq's `prefer` with a root CA: the chain is checked, and when the
/// handshake fails plain text is tried, which a TLS-only server refuses;
/// both reasons are given.
#[test]
fn prefer_with_a_wrong_ca_tries_plain_text_and_says_both() {
    let other = fixture().path("other_ca.pem");
    let err = error(&url(
        "127.0.0.1",
        &format!("sslmode=prefer&sslrootcert={}", other.display()),
    ));
    assert!(err.contains("not signed by the CA in"), "{err}");
    assert!(
        err.contains("; without TLS: ") && err.contains("no encryption"),
        "{err}"
    );
}
