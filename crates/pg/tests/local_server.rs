//! The local server's life cycle against the real PostgreSQL programs:
//! first start, second start, stop, and recovery from a stale pid file.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::Duration;

use dbguard_pg::{Discovery, LocalServer, ServerOptions, ServerState};

fn project() -> tempfile::TempDir {
    dbguard_testkit::project_dir("dbguard-local-")
}

fn open(dir: &Path) -> LocalServer {
    LocalServer::open(
        &dir.join(".dbguard"),
        &Discovery::system(),
        ServerOptions { durable: false },
    )
    .unwrap_or_else(|e| panic!("PostgreSQL is needed for this test: {e}"))
}

/// Stops the server even when an assertion fails, so no server outlives the test.
struct StopOnDrop(LocalServer);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        let _ = self.0.stop();
    }
}

fn select_one(server: &LocalServer) -> i32 {
    let url = server.url("postgres").unwrap();
    let mut client = dbguard_pg::connect(&url, Duration::from_secs(20)).unwrap();
    client.query_one("SELECT 1", &[]).unwrap().get(0)
}

#[test]
fn start_twice_then_stop() {
    let dir = project();
    let server = StopOnDrop(open(dir.path()));
    assert_eq!(server.0.status().unwrap().state, ServerState::NotInitialized);

    let (status, started) = server.0.start().unwrap();
    assert!(started);
    assert_eq!(status.state, ServerState::Running);
    assert_eq!(select_one(&server.0), 1);
    let first_pid = status.pid.unwrap();

    let (again, started_again) = server.0.start().unwrap();
    assert!(!started_again, "a second start must reuse the running server");
    assert_eq!(again.pid, Some(first_pid));

    let meta = std::fs::metadata(dir.path().join(".dbguard/local.pgpass")).unwrap();
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);

    assert!(server.0.stop().unwrap());
    assert_eq!(server.0.status().unwrap().state, ServerState::Stopped);
    assert!(!server.0.stop().unwrap(), "stopping a stopped server is a no-op");
}

#[test]
fn recovers_from_a_crash_and_a_reused_pid() {
    let dir = project();
    let server = StopOnDrop(open(dir.path()));
    let (status, _) = server.0.start().unwrap();
    let pid = status.pid.unwrap() as i32;

    // A crash: the postmaster dies without removing postmaster.pid.
    unsafe { libc::kill(pid, libc::SIGKILL) };
    wait_until_gone(pid);
    let pid_file = server.0.data_dir().join("postmaster.pid");
    assert!(pid_file.exists(), "kill -9 leaves the pid file behind");
    assert_eq!(server.0.status().unwrap().state, ServerState::Stopped);
    let (status, started) = server.0.start().unwrap();
    assert!(started);
    assert_eq!(select_one(&server.0), 1);

    // The pid in the file now belongs to an unrelated live process (this
    // test), as after a reboot: PostgreSQL alone would refuse to start.
    server.0.stop().unwrap();
    assert!(!pid_file.exists(), "a clean stop removes the pid file");
    let fake = format!("{}\n{}\n", std::process::id(), server.0.data_dir().display());
    std::fs::write(&pid_file, fake).unwrap();
    assert_eq!(server.0.status().unwrap().state, ServerState::Stopped);
    let (restarted, started) = server.0.start().unwrap();
    assert!(started);
    assert_ne!(restarted.pid, status.pid);
    assert_eq!(select_one(&server.0), 1);
}

fn wait_until_gone(pid: i32) {
    for _ in 0..100 {
        if unsafe { libc::kill(pid, 0) } != 0 {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("postmaster {pid} did not exit");
}

/// The server loads dbguard's C module from beside its cluster, into every
/// session as it starts; one that an older dbguard started without it gets
/// it at the next `start`, with no restart.
#[test]
fn the_c_module_is_on_the_servers_library_path_even_when_started_without_it() {
    let dir = project();
    let server = StopOnDrop(open(dir.path()));
    let (status, _) = server.0.start().unwrap();
    let library_path = || -> String {
        let url = server.0.url("postgres").unwrap();
        let mut client = dbguard_pg::connect(&url, Duration::from_secs(20)).unwrap();
        client.query_one("SHOW dynamic_library_path", &[]).unwrap().get(0)
    };
    let preloaded = || -> String {
        let url = server.0.url("postgres").unwrap();
        let mut client = dbguard_pg::connect(&url, Duration::from_secs(20)).unwrap();
        client
            .query_one("SHOW session_preload_libraries", &[])
            .unwrap()
            .get(0)
    };
    let lib = dir.path().join(".dbguard/postgres/lib");
    let module = lib.join(format!("{}.so", dbguard_native::MODULE));
    assert!(
        module.is_file(),
        "dbguard-native built no module for this server's major version (PostgreSQL's server headers, \
         Debian's postgresql-server-dev-all, are needed to build it)"
    );
    assert_eq!(
        std::fs::metadata(&module).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert!(
        library_path().ends_with(&format!(":{}", lib.display())),
        "{}",
        library_path()
    );
    assert_eq!(preloaded(), dbguard_native::MODULE);
    // Starting a running server again rewrites nothing that is as it should be…
    let conf = dir.path().join(".dbguard/postgres/data/dbguard.conf");
    let modified = |path: &Path| std::fs::metadata(path).unwrap().modified().unwrap();
    let (conf_at, module_at) = (modified(&conf), modified(&module));
    server.0.start().unwrap();
    assert_eq!((modified(&conf), modified(&module)), (conf_at, module_at));
    // …and puts back a module someone changed.
    // (Replaced, not written over: sessions map the module they loaded.)
    let changed = lib.join("changed.so");
    std::fs::write(&changed, b"not a module").unwrap();
    std::fs::rename(&changed, &module).unwrap();
    server.0.start().unwrap();
    let library = dbguard_native::library_for(server.0.installation().major).unwrap();
    assert!(
        std::fs::read(&module).unwrap() == library.bytes,
        "the module is this build's again"
    );
    // As an older dbguard left it: no module, no library path, nothing preloaded.
    let text = std::fs::read_to_string(&conf).unwrap();
    let older: String = text
        .lines()
        .filter(|l| !l.starts_with("dynamic_library_path") && !l.starts_with("session_preload_libraries"))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&conf, older).unwrap();
    let url = server.0.url("postgres").unwrap();
    let mut client = dbguard_pg::connect(&url, Duration::from_secs(20)).unwrap();
    client.batch_execute("SELECT pg_reload_conf()").unwrap();
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(library_path(), "$libdir");
    assert_eq!(preloaded(), "");
    std::fs::remove_file(&module).unwrap();
    let (again, started) = server.0.start().unwrap();
    assert!(!started);
    assert_eq!(again.pid, status.pid, "no restart");
    assert!(module.is_file());
    // The reload is asynchronous: the postmaster rereads on SIGHUP.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while library_path() == "$libdir" && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(
        library_path().ends_with(&format!(":{}", lib.display())),
        "{}",
        library_path()
    );
    assert_eq!(preloaded(), dbguard_native::MODULE);
}
