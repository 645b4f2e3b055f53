//! dbguard's own PostgreSQL server, kept under `<project>/.dbguard/`.
//!
//! ```text
//! .dbguard/                  the invoking user's; 0700 (0711 when the server runs as another user)
//!   local.json               port and major version, written when initdb succeeded
//!   local.pgpass             the superuser's password, 0600, for dbguard's own connections
//!   app.pgpass               the application role's password, 0600, for `?passfile=` URLs
//!   local.lock               serialises start and stop
//!   postgres/                the server user's, 0700
//!     data/                  the cluster (initdb)
//!     run/                   the Unix socket
//!     lib/                   dbguard's C module for this major version (dbguard-native), on dynamic_library_path
//!     server.log             the server's log
//! ```
//!
//! The superuser is `postgres` with a random password (SCRAM), for dbguard
//! alone: a superuser can switch the guards inside the database off. The
//! application (and an agent beside it) gets the URL of a role without
//! those rights ([`LocalServer::app_url`]). URLs point to 127.0.0.1 and
//! carry `passfile=` instead of the password, so they can be printed and
//! `psql` accepts them as they are.

use std::fs;
use std::io::Write;
use std::net::TcpListener;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::dburl::DbUrl;
use crate::error::{Error, Result};
use crate::osuser::{server_user, OsUser};
use crate::tools::{Discovery, Installation};

/// The superuser created by initdb.
pub const SUPERUSER: &str = "postgres";

/// Longest Unix socket path the kernel accepts, less a margin.
const MAX_SOCKET_PATH: usize = 100;

/// How a local server is configured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerOptions {
    /// `false` for throwaway servers (tests): no fsync, faster but unsafe on power loss.
    pub durable: bool,
}

impl Default for ServerOptions {
    fn default() -> Self {
        ServerOptions { durable: true }
    }
}

/// Whether the server is set up and running.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ServerState {
    /// No cluster yet; `start` creates it.
    NotInitialized,
    /// Created but not running.
    Stopped,
    /// Running.
    Running,
}

/// What `db status` reports.
#[derive(Debug, Clone, Serialize)]
pub struct ServerStatus {
    /// Set up and running?
    pub state: ServerState,
    /// The postmaster's process id, when running.
    pub pid: Option<u32>,
    /// The TCP port on 127.0.0.1, once chosen.
    pub port: Option<u16>,
    /// The PostgreSQL version of the programs in use.
    pub version: String,
    /// The cluster folder.
    pub data_dir: PathBuf,
    /// The server's log file.
    pub log_file: PathBuf,
    /// The OS user the server runs as.
    pub os_user: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct LocalState {
    port: u16,
    major: u32,
}

/// A local server rooted at a `.dbguard` folder.
#[derive(Debug, Clone)]
pub struct LocalServer {
    state_dir: PathBuf,
    install: Installation,
    user: Option<OsUser>,
    options: ServerOptions,
}

impl LocalServer {
    /// Prepares to manage the server under `state_dir` (nothing is started):
    /// finds the programs (the data folder's version when it exists, else the
    /// newest) and the OS user to run as.
    pub fn open(state_dir: &Path, discovery: &Discovery, options: ServerOptions) -> Result<LocalServer> {
        let state_dir = absolute(state_dir)?;
        let data_major = fs::read_to_string(state_dir.join("postgres/data/PG_VERSION"))
            .ok()
            .and_then(|v| v.trim().parse().ok());
        let install = discovery.find(data_major)?;
        Ok(LocalServer {
            state_dir,
            install,
            user: server_user()?,
            options,
        })
    }

    /// The installation in use.
    pub fn installation(&self) -> &Installation {
        &self.install
    }

    /// The cluster folder.
    pub fn data_dir(&self) -> PathBuf {
        self.server_dir().join("data")
    }

    fn server_dir(&self) -> PathBuf {
        self.state_dir.join("postgres")
    }

    fn state_file(&self) -> PathBuf {
        self.state_dir.join("local.json")
    }

    fn passfile(&self) -> PathBuf {
        self.state_dir.join("local.pgpass")
    }

    fn app_passfile(&self) -> PathBuf {
        self.state_dir.join("app.pgpass")
    }

    /// The application role's password, when `role` is the one kept.
    pub fn app_password(&self, role: &str) -> Option<String> {
        let text = fs::read_to_string(self.app_passfile()).ok()?;
        let line = text.lines().next()?;
        let (kept, password) = line.strip_prefix("*:*:*:")?.split_once(':')?;
        (kept == role).then(|| password.replace("\\:", ":").replace("\\\\", "\\"))
    }

    /// Keeps `password` as the application role `role`'s (mode 0600).
    pub fn keep_app_password(&self, role: &str, password: &str) -> Result<()> {
        write_private_file(
            &self.app_passfile(),
            format!("*:*:*:{role}:{}\n", pgpass_escape(password)).as_bytes(),
            None,
        )
    }

    /// The application's URL for `database`: the role `up` keeps a password
    /// for (never the superuser), with `passfile=`.
    pub fn app_url(&self, database: &str) -> Result<DbUrl> {
        let role = fs::read_to_string(self.app_passfile())
            .ok()
            .and_then(|text| {
                let line = text.lines().next()?.strip_prefix("*:*:*:")?.to_string();
                Some(line.split(':').next()?.to_string())
            })
            .ok_or_else(|| {
                Error::LocalServer("it has no application role yet; `dbguard up` creates it".into())
            })?;
        self.url_as(&role, &self.app_passfile(), database)
    }

    /// The port a local server kept under `state_dir` listens on, when one was set up there.
    pub fn recorded_port(state_dir: &Path) -> Option<u16> {
        let text = fs::read_to_string(state_dir.join("local.json")).ok()?;
        serde_json::from_str::<LocalState>(&text).ok().map(|s| s.port)
    }

    fn log_file(&self) -> PathBuf {
        self.server_dir().join("server.log")
    }

    fn socket_dir(&self) -> PathBuf {
        self.server_dir().join("run")
    }

    fn read_state(&self) -> Option<LocalState> {
        let text = fs::read_to_string(self.state_file()).ok()?;
        serde_json::from_str(&text).ok()
    }

    fn initialized(&self) -> bool {
        self.read_state().is_some() && self.data_dir().join("PG_VERSION").is_file()
    }

    /// The current state, without changing anything.
    pub fn status(&self) -> Result<ServerStatus> {
        let state = self.read_state();
        let pid = self.running_pid();
        Ok(ServerStatus {
            state: match (self.initialized(), pid) {
                (false, _) => ServerState::NotInitialized,
                (true, None) => ServerState::Stopped,
                (true, Some(_)) => ServerState::Running,
            },
            pid,
            port: state.map(|s| s.port),
            version: self.install.version.clone(),
            data_dir: self.data_dir(),
            log_file: self.log_file(),
            os_user: self
                .user
                .as_ref()
                .map(|u| u.name.clone())
                .unwrap_or_else(crate::osuser::current_user_name),
        })
    }

    /// Creates the cluster if needed and starts the server if it is not
    /// running. Returns the status and whether this call started it.
    pub fn start(&self) -> Result<(ServerStatus, bool)> {
        self.prepare_dirs()?;
        let _lock = StateLock::acquire(&self.state_dir.join("local.lock"))?;
        if !self.initialized() {
            self.init()?;
        }
        if self.running_pid().is_some() {
            self.refresh_running_conf()?;
            return Ok((self.status()?, false));
        }
        self.remove_stale_pid_file()?;
        let port = self.choose_port()?;
        self.write_server_conf(port)?;
        self.pg_ctl_start()?;
        Ok((self.status()?, true))
    }

    /// Stops the server; `false` when it was not running.
    pub fn stop(&self) -> Result<bool> {
        if !self.state_dir.exists() {
            return Ok(false);
        }
        let _lock = StateLock::acquire(&self.state_dir.join("local.lock"))?;
        if self.running_pid().is_none() {
            return Ok(false);
        }
        let data = self.data_dir();
        let out = self.run_as_server(
            Command::new(self.install.program("pg_ctl"))
                .arg("stop")
                .arg("-D")
                .arg(&data)
                .args(["-m", "fast", "-w", "-t", "60", "-s"]),
        )?;
        if !out.status.success() {
            return Err(self.failure("pg_ctl stop", &out));
        }
        Ok(true)
    }

    /// A URL for `database` on the running server. It names the password
    /// file instead of holding the password.
    pub fn url(&self, database: &str) -> Result<DbUrl> {
        self.url_as(SUPERUSER, &self.passfile(), database)
    }

    fn url_as(&self, role: &str, passfile: &Path, database: &str) -> Result<DbUrl> {
        let state = self
            .read_state()
            .ok_or_else(|| Error::LocalServer("not initialised yet; run `dbguard db start`".into()))?;
        let mut url =
            url::Url::parse(&format!("postgresql://127.0.0.1:{}/", state.port)).expect("a constant URL");
        url.set_username(role)
            .map_err(|()| Error::LocalServer(format!("`{role}` cannot name a role in a URL")))?;
        url.path_segments_mut()
            .expect("has a path")
            .pop_if_empty()
            .push(database);
        url.set_query(Some(&format!(
            "passfile={}",
            query_escape(&passfile.to_string_lossy())
        )));
        DbUrl::parse(url.as_str())
    }

    fn prepare_dirs(&self) -> Result<()> {
        let shared = self.user.is_some();
        make_private_dir(&self.state_dir, if shared { 0o711 } else { 0o700 })?;
        let server_dir = self.server_dir();
        make_private_dir(&server_dir, 0o700)?;
        if let Some(user) = &self.user {
            chown(&server_dir, user)?;
            check_reachable(&server_dir, user)?;
        }
        Ok(())
    }

    fn init(&self) -> Result<()> {
        let data = self.data_dir();
        if data.exists() {
            // A folder without local.json is the remains of an interrupted
            // initdb: it never served, so it holds no data.
            fs::remove_dir_all(&data).map_err(|e| Error::io(&data, e))?;
        }
        let password = crate::random::random_hex(24)?;
        let pwfile = self.server_dir().join("initdb.pw");
        write_private_file(&pwfile, format!("{password}\n").as_bytes(), self.user.as_ref())?;
        let mut cmd = Command::new(self.install.program("initdb"));
        cmd.arg("-D")
            .arg(&data)
            .arg(format!("--username={SUPERUSER}"))
            .arg(format!("--pwfile={}", pwfile.display()))
            .args(["--auth-local=scram-sha-256", "--auth-host=scram-sha-256"])
            .args(["--encoding=UTF8", "--no-locale"]);
        if !self.options.durable {
            cmd.arg("--no-sync");
        }
        let out = self.run_as_server(&mut cmd);
        let _ = fs::remove_file(&pwfile);
        let out = out?;
        if !out.status.success() {
            return Err(self.failure("initdb", &out));
        }
        let conf = data.join("postgresql.conf");
        let mut file = fs::OpenOptions::new()
            .append(true)
            .open(&conf)
            .map_err(|e| Error::io(&conf, e))?;
        file.write_all(
            b"\n# Managed by dbguard: port, addresses and socket.\ninclude_if_exists = 'dbguard.conf'\n",
        )
        .map_err(|e| Error::io(&conf, e))?;
        write_private_file(
            &self.passfile(),
            format!("*:*:*:{SUPERUSER}:{}\n", pgpass_escape(&password)).as_bytes(),
            None,
        )?;
        let state = LocalState {
            port: free_port()?,
            major: self.install.major,
        };
        self.write_state(&state)
    }

    fn write_state(&self, state: &LocalState) -> Result<()> {
        let text = serde_json::to_vec_pretty(state).expect("plain data serialises");
        write_private_file(&self.state_file(), &text, None)
    }

    /// The stored port when it is still free, else a new free one.
    fn choose_port(&self) -> Result<u16> {
        let mut state = self
            .read_state()
            .ok_or_else(|| Error::LocalServer("state file missing after initdb".into()))?;
        if TcpListener::bind(("127.0.0.1", state.port)).is_err() {
            state.port = free_port()?;
            self.write_state(&state)?;
        }
        Ok(state.port)
    }

    /// A server already running, perhaps started by an older dbguard:
    /// writes this build's C module and, when the server's settings change
    /// with it (`dynamic_library_path`), writes them with the port it runs
    /// on and has it reload them, so `protect` can declare the C row guard
    /// without a restart.
    fn refresh_running_conf(&self) -> Result<()> {
        let Some(state) = self.read_state() else {
            return Ok(());
        };
        if !self.write_server_conf(state.port)? {
            return Ok(());
        }
        let out = self.run_as_server(
            Command::new(self.install.program("pg_ctl"))
                .arg("reload")
                .arg("-D")
                .arg(self.data_dir())
                .arg("-s"),
        )?;
        if !out.status.success() {
            return Err(self.failure("pg_ctl reload", &out));
        }
        Ok(())
    }

    /// Writes `dbguard.conf` (and the C module it names); whether the
    /// settings changed.
    fn write_server_conf(&self, port: u16) -> Result<bool> {
        let socket_dir = self.socket_dir();
        make_private_dir(&socket_dir, 0o700)?;
        let socket_path_len = socket_dir.as_os_str().len() + ".s.PGSQL.65535".len() + 1;
        let sockets = if socket_path_len <= MAX_SOCKET_PATH {
            conf_quote(&socket_dir.to_string_lossy())
        } else {
            // The path is too long for a Unix socket: TCP on loopback only.
            "''".to_string()
        };
        let mut conf =
            format!("listen_addresses = '127.0.0.1'\nport = {port}\nunix_socket_directories = {sockets}\n");
        if !self.options.durable {
            conf.push_str("fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n");
        }
        if let Some(dir) = self.write_native_module()? {
            // Every session loads the module as it starts, so its row
            // guard counts from the session's first statement (a session
            // that has not loaded it loads it when a guard trigger first
            // fires, and that command is refused).
            conf.push_str(&format!(
                "dynamic_library_path = {}\nsession_preload_libraries = {}\n",
                conf_quote(&format!("$libdir:{}", dir.display())),
                conf_quote(dbguard_native::MODULE)
            ));
        }
        let path = self.data_dir().join("dbguard.conf");
        let changed = write_if_changed(&path, conf.as_bytes(), self.user.as_ref())?;
        if let Some(user) = &self.user {
            chown(&socket_dir, user)?;
        }
        Ok(changed)
    }

    /// Writes dbguard's C module (the row guard) built for this server's
    /// major version into `postgres/lib/`; that folder, or None when this
    /// build has no module for the version (or the folder's path holds a
    /// `:`, which `dynamic_library_path` cannot say): `protect` then keeps
    /// the PL/pgSQL guard.
    fn write_native_module(&self) -> Result<Option<PathBuf>> {
        let Some(library) = dbguard_native::library_for(self.install.major) else {
            return Ok(None);
        };
        let dir = self.server_dir().join("lib");
        if dir.to_string_lossy().contains(':') {
            return Ok(None);
        }
        make_private_dir(&dir, 0o700)?;
        if let Some(user) = &self.user {
            chown(&dir, user)?;
        }
        let file = dir.join(format!("{}.so", dbguard_native::MODULE));
        write_if_changed(&file, library.bytes, self.user.as_ref())?;
        Ok(Some(dir))
    }

    fn pg_ctl_start(&self) -> Result<()> {
        // After a crash, orphaned backends may hold the old shared memory for
        // a moment; PostgreSQL refuses to start until they are gone.
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let out = self.run_as_server(
                Command::new(self.install.program("pg_ctl"))
                    .arg("start")
                    .arg("-D")
                    .arg(self.data_dir())
                    .arg("-l")
                    .arg(self.log_file())
                    .args(["-w", "-t", "60", "-s"]),
            )?;
            if out.status.success() {
                return Ok(());
            }
            let log = self.log_tail();
            if log.contains("shared memory block is still in use") && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(250));
                continue;
            }
            return Err(self.failure("pg_ctl start", &out));
        }
    }

    /// The postmaster's pid when `postmaster.pid` names a live server of this cluster.
    fn running_pid(&self) -> Option<u32> {
        let text = fs::read_to_string(self.data_dir().join("postmaster.pid")).ok()?;
        let pid: u32 = text.lines().next()?.trim().parse().ok()?;
        is_our_postmaster(pid, &self.data_dir()).then_some(pid)
    }

    /// Removes a `postmaster.pid` left by a server that is gone (a crash, a
    /// reboot); PostgreSQL itself refuses to start when the pid was reused.
    fn remove_stale_pid_file(&self) -> Result<()> {
        let path = self.data_dir().join("postmaster.pid");
        match fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(Error::io(path, e)),
        }
    }

    fn run_as_server(&self, cmd: &mut Command) -> Result<Output> {
        cmd.current_dir(self.server_dir())
            .stdin(Stdio::null())
            .env("LC_ALL", "C")
            .env_remove("PGDATA")
            .env_remove("PGPORT")
            .env_remove("PGHOST")
            .env_remove("PGOPTIONS");
        if let Some(user) = &self.user {
            cmd.uid(user.uid).gid(user.gid);
        }
        let program = cmd.get_program().to_string_lossy().into_owned();
        cmd.output()
            .map_err(|e| Error::LocalServer(format!("cannot run {program}: {e}")))
    }

    fn failure(&self, what: &str, out: &Output) -> Error {
        let mut text = format!("{what} failed ({})", out.status);
        let stderr = String::from_utf8_lossy(&out.stderr);
        if !stderr.trim().is_empty() {
            text.push_str(&format!(":\n{}", stderr.trim_end()));
        }
        let log = self.log_tail();
        if !log.is_empty() {
            text.push_str(&format!("\nlast lines of {}:\n{log}", self.log_file().display()));
        }
        Error::LocalServer(text)
    }

    fn log_tail(&self) -> String {
        let text = fs::read_to_string(self.log_file()).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(15)..].join("\n")
    }

    /// Creates `database` when it does not exist; `true` when it was created.
    pub fn ensure_database(&self, database: &str, timeout: Duration) -> Result<bool> {
        let mut client = crate::connect::connect(&self.url("postgres")?, timeout)?;
        let exists = client
            .query_opt("SELECT 1 FROM pg_database WHERE datname = $1", &[&database])
            .map_err(crate::connect::query_error("looking up the database"))?
            .is_some();
        if exists {
            return Ok(false);
        }
        client
            .batch_execute(&format!("CREATE DATABASE {}", quote_ident(database)))
            .map_err(crate::connect::query_error(format!(
                "creating database {database}"
            )))?;
        Ok(true)
    }
}

/// Quotes an SQL identifier.
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Quotes `table` or `schema.table` as the SQL parser gives it (unquoted
/// names already folded to lower case, quoted ones as written), so that
/// Prisma's `"Team"` is found as `Team`, not `team`.
pub fn quote_qualified(name: &str) -> String {
    match name.split_once('.') {
        Some((schema, table)) => format!("{}.{}", quote_ident(schema), quote_ident(table)),
        None => quote_ident(name),
    }
}

fn is_our_postmaster(pid: u32, data_dir: &Path) -> bool {
    let Ok(pid_t) = libc::pid_t::try_from(pid) else {
        return false;
    };
    // SAFETY: kill with signal 0 only checks for existence and permission.
    let alive = unsafe { libc::kill(pid_t, 0) } == 0
        || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM);
    if !alive {
        return false;
    }
    // On Linux the postmaster's working directory is its data folder; a pid
    // reused by any other process does not match.
    match fs::read_link(format!("/proc/{pid}/cwd")) {
        Ok(cwd) => data_dir.canonicalize().map(|d| d == cwd).unwrap_or(false),
        Err(_) => !Path::new("/proc/self").exists(),
    }
}

/// Serialises start and stop between processes with an exclusive `flock`.
struct StateLock(fs::File);

impl StateLock {
    fn acquire(path: &Path) -> Result<StateLock> {
        let file = fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .mode(0o600)
            .open(path)
            .map_err(|e| Error::io(path, e))?;
        use std::os::fd::AsRawFd;
        // SAFETY: the descriptor is valid while `file` lives.
        if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) } != 0 {
            return Err(Error::io(path, std::io::Error::last_os_error()));
        }
        Ok(StateLock(file))
    }
}

impl Drop for StateLock {
    fn drop(&mut self) {
        use std::os::fd::AsRawFd;
        // SAFETY: the descriptor is valid; unlocking cannot harm.
        unsafe { libc::flock(self.0.as_raw_fd(), libc::LOCK_UN) };
    }
}

fn absolute(path: &Path) -> Result<PathBuf> {
    if path.is_absolute() {
        return Ok(path.to_path_buf());
    }
    let cwd = std::env::current_dir().map_err(|e| Error::io(".", e))?;
    Ok(cwd.join(path))
}

fn make_private_dir(path: &Path, mode: u32) -> Result<()> {
    fs::DirBuilder::new()
        .recursive(true)
        .mode(mode)
        .create(path)
        .map_err(|e| Error::io(path, e))?;
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).map_err(|e| Error::io(path, e))
}

/// Writes `bytes` to `path` with mode 0600 (replacing it in one rename),
/// owned by `owner` when given.
pub(crate) fn write_private_file(path: &Path, bytes: &[u8], owner: Option<&OsUser>) -> Result<()> {
    let tmp = path.with_extension("tmp");
    let mut file = fs::OpenOptions::new()
        .create(true)
        .truncate(true)
        .write(true)
        .mode(0o600)
        .open(&tmp)
        .map_err(|e| Error::io(&tmp, e))?;
    // A temporary file left by an earlier crash keeps its mode when reopened.
    fs::set_permissions(&tmp, fs::Permissions::from_mode(0o600)).map_err(|e| Error::io(&tmp, e))?;
    file.write_all(bytes).map_err(|e| Error::io(&tmp, e))?;
    file.sync_all().map_err(|e| Error::io(&tmp, e))?;
    if let Some(user) = owner {
        chown(&tmp, user)?;
    }
    fs::rename(&tmp, path).map_err(|e| Error::io(path, e))
}

/// [`write_private_file`] unless `path` already holds exactly `bytes`
/// (every `db url` and `up` on a running server passes here); whether it
/// wrote.
fn write_if_changed(path: &Path, bytes: &[u8], owner: Option<&OsUser>) -> Result<bool> {
    if fs::read(path).is_ok_and(|held| held == bytes) {
        return Ok(false);
    }
    write_private_file(path, bytes, owner)?;
    Ok(true)
}

fn chown(path: &Path, user: &OsUser) -> Result<()> {
    std::os::unix::fs::chown(path, Some(user.uid), Some(user.gid)).map_err(|e| Error::io(path, e))
}

/// Checks that `user` can enter every folder above `dir`, and says which one
/// to open up when it cannot.
fn check_reachable(dir: &Path, user: &OsUser) -> Result<()> {
    for ancestor in dir.ancestors().skip(1) {
        let meta = fs::metadata(ancestor).map_err(|e| Error::io(ancestor, e))?;
        let mode = meta.permissions().mode();
        let can_enter = if meta.uid() == user.uid {
            mode & 0o100 != 0
        } else if meta.gid() == user.gid {
            mode & 0o010 != 0
        } else {
            mode & 0o001 != 0
        };
        if !can_enter {
            return Err(Error::LocalServer(format!(
                "the server runs as OS user `{}`, which cannot enter {} (mode {:o}); \
                 allow it (`chmod o+x {}`) or run dbguard as an ordinary user",
                user.name,
                ancestor.display(),
                mode & 0o7777,
                ancestor.display()
            )));
        }
    }
    Ok(())
}

fn free_port() -> Result<u16> {
    let listener = TcpListener::bind(("127.0.0.1", 0))
        .map_err(|e| Error::LocalServer(format!("cannot find a free port on 127.0.0.1: {e}")))?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(|e| Error::LocalServer(format!("cannot find a free port on 127.0.0.1: {e}")))
}

/// Percent-encodes a query value, leaving `/` readable as URLs allow.
fn query_escape(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn pgpass_escape(text: &str) -> String {
    text.replace('\\', "\\\\").replace(':', "\\:")
}

fn conf_quote(text: &str) -> String {
    format!("'{}'", text.replace('\\', "\\\\").replace('\'', "''"))
}
