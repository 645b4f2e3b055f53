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

pub mod prisma;
pub mod secrets;

use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

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
        let mut admin = dbguard_pg::connect(
            &local.url("postgres").map_err(|e| e.to_string())?,
            CONNECT_TIMEOUT,
        )
        .map_err(|e| e.to_string())?;
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

    /// A URL for `database` on this server.
    pub fn url(&self, database: &str) -> DbUrl {
        self.local.url(database).expect("the server is initialised")
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
