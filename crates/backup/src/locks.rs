//! Watching a restore for lock waits. A restore over the live database
//! needs exclusive locks; a session holding any lock on a table (an open
//! transaction that only read it) makes it wait — and every later reader
//! queues behind it. A watcher on its own connection sees the restore's
//! session waiting (`pg_stat_activity`, `pg_blocking_pids`), and past the
//! limit names the blocking sessions and cancels the restore, which then
//! rolls back whole.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use dbguard_pg::{connect, DbUrl};
use serde::Serialize;

/// How often the watcher looks.
const POLL: Duration = Duration::from_millis(200);

/// A session that held a lock the restore waited for.
#[derive(Debug, Clone, Serialize)]
pub struct Blocker {
    /// Its server process id.
    pub pid: i32,
    /// Its `application_name`.
    pub application_name: String,
    /// The client's address, when over TCP.
    pub client: Option<String>,
    /// Its role.
    pub user: Option<String>,
    /// `active`, `idle in transaction`, …
    pub state: Option<String>,
    /// When its current transaction started (UTC).
    pub xact_start: Option<String>,
    /// When its current (or last) query started (UTC).
    pub query_start: Option<String>,
}

impl std::fmt::Display for Blocker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let time = |t: &Option<String>| t.clone().unwrap_or_else(|| "unknown".to_string());
        write!(
            f,
            "pid {} (application \"{}\", user {}, client {}, {}, transaction started {}, query started {})",
            self.pid,
            self.application_name,
            self.user.as_deref().unwrap_or("unknown"),
            self.client.as_deref().unwrap_or("local socket"),
            self.state.as_deref().unwrap_or("unknown state"),
            time(&self.xact_start),
            time(&self.query_start),
        )
    }
}

/// A running watcher; [`LockWatch::stop`] ends it.
pub struct LockWatch {
    stop: Arc<AtomicBool>,
    found: Arc<Mutex<Option<Vec<Blocker>>>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl LockWatch {
    /// Watches the sessions named `application_name` on the server `url`
    /// names; one waiting for a lock longer than `limit` is cancelled.
    pub fn start(url: &DbUrl, application_name: &str, limit: Duration) -> LockWatch {
        let stop = Arc::new(AtomicBool::new(false));
        let found = Arc::new(Mutex::new(None));
        let (url, name) = (url.clone(), application_name.to_string());
        let thread = {
            let (stop, found) = (stop.clone(), found.clone());
            std::thread::spawn(move || watch(&url, &name, limit, &stop, &found))
        };
        LockWatch {
            stop,
            found,
            thread: Some(thread),
        }
    }

    /// Stops watching; the blocking sessions, when the watcher cancelled the restore.
    pub fn stop(mut self) -> Option<Vec<Blocker>> {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        self.found.lock().ok()?.take()
    }
}

impl Drop for LockWatch {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn watch(url: &DbUrl, name: &str, limit: Duration, stop: &AtomicBool, found: &Mutex<Option<Vec<Blocker>>>) {
    let Ok(mut client) = connect(url, Duration::from_secs(10)) else {
        return;
    };
    let limit_ms = limit.as_millis() as f64;
    while !stop.load(Ordering::Relaxed) {
        std::thread::sleep(POLL);
        let waiting = client.query_opt(
            "SELECT pid, pg_blocking_pids(pid) FROM pg_stat_activity
              WHERE application_name = $1 AND wait_event_type = 'Lock'
                AND (extract(epoch FROM clock_timestamp() - query_start) * 1000)::float8 > $2::float8
              LIMIT 1",
            &[&name, &limit_ms],
        );
        let Ok(Some(row)) = waiting else { continue };
        let (pid, blocking): (i32, Vec<i32>) = (row.get(0), row.get(1));
        let blockers = client
            .query(
                "SELECT pid, application_name::text, client_addr::text, usename::text, state::text,
                        to_char(xact_start AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS \"UTC\"'),
                        to_char(query_start AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS \"UTC\"')
                   FROM pg_stat_activity WHERE pid = ANY($1) ORDER BY pid",
                &[&blocking],
            )
            .map(|rows| {
                rows.iter()
                    .map(|r| Blocker {
                        pid: r.get(0),
                        application_name: r.get(1),
                        client: r.get(2),
                        user: r.get(3),
                        state: r.get(4),
                        xact_start: r.get(5),
                        query_start: r.get(6),
                    })
                    .collect()
            })
            .unwrap_or_default();
        if let Ok(mut slot) = found.lock() {
            *slot = Some(blockers);
        }
        let _ = client.execute("SELECT pg_cancel_backend($1)", &[&pid]);
        return;
    }
}

/// The message for a restore cancelled because of `blockers`.
pub fn describe(blockers: &[Blocker], limit: Duration) -> String {
    let sessions = if blockers.is_empty() {
        "a session that ended before it could be named".to_string()
    } else {
        blockers
            .iter()
            .map(Blocker::to_string)
            .collect::<Vec<_>>()
            .join("; ")
    };
    format!(
        "the restore waited more than {} s for a lock held by another session, and was cancelled and rolled back: \
         nothing was restored. Blocking: {sessions}. A person can wait for that session to finish its \
         transaction, ask whoever runs it to end it, or stop it (pg_terminate_backend(pid)) once sure its \
         work may be lost; then run the restore again",
        limit.as_secs_f64()
    )
}
