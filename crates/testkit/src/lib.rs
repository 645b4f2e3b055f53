//! The test harness every dbguard crate uses: one throwaway PostgreSQL
//! server per test process, started with the same code as `dbguard db start`,
//! and a fresh database per test, cloned from a template so it is fast.
//!
//! Clean-up does not depend on the test process ending well: a small watchdog
//! process holds the read end of a pipe whose write end only this process
//! has. When the process exits for any reason (a panic, `process::exit`,
//! `kill -9`), the pipe closes and the watchdog stops the server and removes
//! its folder.
//!
//! A machine without PostgreSQL fails the test with the message saying what
//! to install; nothing is skipped.

pub mod cache;
pub mod prisma;
pub mod secrets;

use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

pub mod tls;
pub mod web;

pub use tls::{Issued, TestCa, TlsSetup};

use dbguard_pg::local::quote_ident;
use dbguard_pg::{DbUrl, Discovery, LocalServer, ServerOptions};

/// How long a test waits for a connection.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

/// The template every test database is cloned from.
const TEMPLATE: &str = "dbguard_test_template";

/// Stops the server and removes its folder once stdin closes.
const WATCHDOG: &str = r#"
read _ignored
pid=$(head -n 1 "$2/postmaster.pid" 2>/dev/null)
if [ -n "$pid" ]; then
  kill -QUIT "$pid" 2>/dev/null
  i=0
  while kill -0 "$pid" 2>/dev/null && [ "$i" -lt 100 ]; do sleep 0.1; i=$((i+1)); done
fi
rm -rf "$1"
"#;

/// The server of this test process.
pub struct TestServer {
    local: LocalServer,
    root: PathBuf,
    admin: Mutex<postgres::Client>,
    counter: AtomicUsize,
    tls_only: bool,
    _watchdog: ChildStdin,
}

/// The server of this test process, started on first use.
///
/// # Panics
/// When PostgreSQL is not installed or the server cannot start; the message says why.
pub fn server() -> &'static TestServer {
    static SERVER: OnceLock<TestServer> = OnceLock::new();
    SERVER.get_or_init(|| TestServer::start().unwrap_or_else(|e| panic!("dbguard test harness: {e}")))
}

impl TestServer {
    fn start() -> Result<TestServer, String> {
        TestServer::start_with(None)
    }

    /// A server of its own (not the shared one of [`server`]) that accepts
    /// TLS connections with the certificate of `setup`, and only those
    /// (`hostssl` lines alone in `pg_hba.conf`) unless `setup.plain_too`.
    /// Its [`url`](Self::url)s say `sslmode=require`.
    pub fn start_tls(setup: TlsSetup) -> Result<TestServer, String> {
        TestServer::start_with(Some(setup))
    }

    fn start_with(tls: Option<TlsSetup>) -> Result<TestServer, String> {
        let root = tempfile::Builder::new()
            .prefix("dbguard-test-")
            .tempdir()
            .map_err(|e| format!("cannot create a temporary folder: {e}"))?
            .keep();
        // The server may run as another OS user (when tests run as root),
        // which must be able to enter the folder.
        std::fs::set_permissions(&root, std::fs::Permissions::from_mode(0o711))
            .map_err(|e| format!("{}: {e}", root.display()))?;
        let state_dir = root.join(".dbguard");
        let watchdog = spawn_watchdog(&root, &state_dir.join("postgres/data"))?;
        let local = LocalServer::open(&state_dir, &Discovery::system(), ServerOptions { durable: false })
            .map_err(|e| format!("PostgreSQL is needed to run these tests: {e}"))?;
        local.start().map_err(|e| e.to_string())?;
        let plain = local.url("postgres").map_err(|e| e.to_string())?;
        let mut admin = dbguard_pg::connect(&plain, CONNECT_TIMEOUT).map_err(|e| e.to_string())?;
        let tls_only = tls.is_some();
        if let Some(setup) = tls {
            admin = tls_only_server(&local, admin, &setup)?;
        }
        admin
            .batch_execute(&format!(
                "CREATE DATABASE {} IS_TEMPLATE true STRATEGY FILE_COPY",
                quote_ident(TEMPLATE)
            ))
            .map_err(|e| format!("creating the template database: {e}"))?;
        Ok(TestServer {
            local,
            root,
            admin: Mutex::new(admin),
            counter: AtomicUsize::new(0),
            tls_only,
            _watchdog: watchdog,
        })
    }

    /// The local server (the same type `dbguard db start` manages).
    pub fn local(&self) -> &LocalServer {
        &self.local
    }

    /// The temporary folder holding the server.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// A URL for `database` on this server (with `sslmode=require` when the
    /// server accepts only TLS).
    pub fn url(&self, database: &str) -> DbUrl {
        let url = self.local.url(database).expect("the server is initialised");
        if self.tls_only {
            DbUrl::parse(&format!("{}&sslmode=require", url.expose())).expect("a valid URL")
        } else {
            url
        }
    }

    /// A new, empty database for one test, dropped when the value is dropped.
    pub fn fresh_db(&'static self) -> TestDb {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let name = format!("test_{}_{n}", std::process::id());
        self.admin()
            .batch_execute(&format!(
                "CREATE DATABASE {} TEMPLATE {} STRATEGY FILE_COPY",
                quote_ident(&name),
                quote_ident(TEMPLATE)
            ))
            .unwrap_or_else(|e| panic!("creating test database {name}: {e}"));
        TestDb {
            url: self.url(&name),
            name,
            server: self,
        }
    }

    fn admin(&self) -> std::sync::MutexGuard<'_, postgres::Client> {
        self.admin.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// A database that exists for one test.
pub struct TestDb {
    /// Its name.
    pub name: String,
    /// A URL for it (superuser, password in a password file).
    pub url: DbUrl,
    server: &'static TestServer,
}

impl TestDb {
    /// The superuser's password (read from the password file), for tests
    /// that must hand it over the way users do.
    pub fn password(&self) -> String {
        let config = self.url.client_config().expect("a valid test URL");
        String::from_utf8(config.get_password().expect("a password").to_vec()).expect("a text password")
    }

    /// Its port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.url.client_config().expect("a valid test URL").get_ports()[0]
    }

    /// A URL with the password inline (`postgresql://postgres:PW@127.0.0.1:PORT/NAME`),
    /// as Prisma and users who cannot read the password file need it.
    pub fn inline_url(&self) -> String {
        format!(
            "postgresql://postgres:{}@127.0.0.1:{}/{}",
            self.password(),
            self.port(),
            self.name
        )
    }

    /// A new connection to it.
    pub fn client(&self) -> postgres::Client {
        dbguard_pg::connect(&self.url, CONNECT_TIMEOUT).unwrap_or_else(|e| panic!("{e}"))
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", quote_ident(&self.name));
        // A failed drop only leaves a database behind in a server that is
        // about to be removed; never panic in drop.
        let _ = self.server.admin().batch_execute(&sql);
    }
}

/// A temporary project folder that the server's OS user can enter (tests
/// may run as root, and the local server then runs as `postgres`).
pub fn project_dir(prefix: &str) -> tempfile::TempDir {
    let dir = tempfile::Builder::new()
        .prefix(prefix)
        .tempdir()
        .expect("a temporary folder");
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o711)).expect("chmod");
    dir
}

/// Turns the plain server behind `admin` into a TLS-only one: writes the
/// certificate files into the data folder (the server's OS user's), turns
/// `ssl` on, replaces `pg_hba.conf` with `hostssl` lines only, reloads, and
/// returns an administrator connection over TLS.
fn tls_only_server(
    local: &LocalServer,
    mut admin: postgres::Client,
    setup: &TlsSetup,
) -> Result<postgres::Client, String> {
    let data = local.data_dir();
    let owner = dbguard_pg::osuser::server_user().map_err(|e| e.to_string())?;
    let write = |name: &str, text: &str| -> Result<(), String> {
        let path = data.join(name);
        std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))?;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))
            .map_err(|e| format!("{}: {e}", path.display()))?;
        if let Some(user) = &owner {
            std::os::unix::fs::chown(&path, Some(user.uid), Some(user.gid))
                .map_err(|e| format!("{}: {e}", path.display()))?;
        }
        Ok(())
    };
    write("server.crt", &setup.server.cert_pem)?;
    write("server.key", &setup.server.key_pem)?;
    write("client_ca.crt", &setup.client_ca_pem)?;
    let mut hba = String::from("# dbguard test server: TLS only.\nlocal all all scram-sha-256\n");
    for role in &setup.cert_roles {
        hba.push_str(&format!("hostssl all {role} 127.0.0.1/32 cert\n"));
        admin
            .batch_execute(&format!("CREATE ROLE {} LOGIN SUPERUSER", quote_ident(role)))
            .map_err(|e| format!("creating role {role}: {e}"))?;
    }
    hba.push_str("hostssl all all 127.0.0.1/32 scram-sha-256\nhostssl all all ::1/128 scram-sha-256\n");
    if setup.plain_too {
        hba.push_str("hostnossl all all 127.0.0.1/32 scram-sha-256\n");
    }
    write("pg_hba.conf", &hba)?;
    for setting in [
        "ssl = on",
        "ssl_cert_file = 'server.crt'",
        "ssl_key_file = 'server.key'",
        "ssl_ca_file = 'client_ca.crt'",
    ] {
        admin
            .batch_execute(&format!("ALTER SYSTEM SET {setting}"))
            .map_err(|e| format!("ALTER SYSTEM SET {setting}: {e}"))?;
    }
    admin
        .batch_execute("SELECT pg_reload_conf()")
        .map_err(|e| format!("reloading the configuration: {e}"))?;
    let url = local.url("postgres").map_err(|e| e.to_string())?;
    let url = DbUrl::parse(&format!("{}&sslmode=require", url.expose())).map_err(|e| e.to_string())?;
    // The reload is asynchronous: wait until the new settings serve.
    let deadline = std::time::Instant::now() + CONNECT_TIMEOUT;
    loop {
        match dbguard_pg::connect(&url, CONNECT_TIMEOUT) {
            Ok(client) => return Ok(client),
            Err(e) if std::time::Instant::now() > deadline => {
                return Err(format!("the TLS server does not serve: {e}"))
            }
            Err(_) => std::thread::sleep(Duration::from_millis(50)),
        }
    }
}

fn spawn_watchdog(root: &Path, data_dir: &Path) -> Result<ChildStdin, String> {
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(WATCHDOG)
        .arg("dbguard-test-watchdog")
        .arg(root)
        .arg(data_dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .map_err(|e| format!("cannot start the clean-up watchdog (sh): {e}"))?;
    Ok(child.stdin.take().expect("stdin was piped"))
}

/// The external corpora (`shared/corpus/` beside the repository, or the
/// folder `DBGUARD_CORPUS` names), read only by the `external_corpus` tests
/// that `.ci/run` runs as a step of their own.
///
/// # Panics
/// When the folder is missing, naming the path that was looked for.
pub fn external_corpus() -> PathBuf {
    let dir = std::env::var_os("DBGUARD_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus"));
    assert!(
        dir.is_dir(),
        "the external corpus folder {} is missing: these tests need the shared corpus beside the \
         repository, or DBGUARD_CORPUS naming it",
        dir.display()
    );
    dir
}
