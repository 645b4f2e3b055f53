//! What an interrupted dbguard leaves behind, and how it is found and swept.
//!
//! Every temporary thing dbguard makes — a scratch database for `backup
//! verify --full`, the database a `restore --into` writes before it is
//! renamed, a backup's hidden `.partial` folder — carries the identity of
//! the process that made it: its pid, its start time (so a reused pid is
//! not mistaken for it) and a tag of the machine. A leftover whose maker is
//! gone is stale: the next `backup create`, `verify`, `restore` or `prune`
//! sweeps it, and until then `backup list`, `health` and `doctor` show it.

use std::sync::atomic::{AtomicU32, Ordering};

use dbguard_pg::local::quote_ident;
use dbguard_pg::{connect, DbUrl};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// Every temporary database's name starts with this.
pub const DATABASE_PREFIX: &str = "dbguard_tmp_";

/// The process that made a temporary thing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Maker {
    /// Its process id.
    pub pid: u32,
    /// When it started, in clock ticks after boot (`/proc/PID/stat`).
    pub start: u64,
    /// A short tag of the machine it ran on.
    pub host: String,
}

/// Whether a maker still runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Liveness {
    /// It still runs: the thing is in use.
    Running,
    /// It is gone: the thing is stale and may be swept.
    Gone,
    /// It ran on another machine, where dbguard cannot look: shown, never swept.
    Elsewhere,
}

impl Maker {
    /// This process.
    pub fn current() -> Maker {
        let pid = std::process::id();
        Maker {
            pid,
            start: start_time(pid).unwrap_or(0),
            host: host_tag(),
        }
    }

    /// `PID_START_HOST`, the form kept in names and markers.
    pub fn tag(&self) -> String {
        format!("{}_{}_{}", self.pid, self.start, self.host)
    }

    /// Reads a tag written by [`Maker::tag`].
    pub fn parse(tag: &str) -> Option<Maker> {
        let mut parts = tag.trim().splitn(3, '_');
        let pid = parts.next()?.parse().ok()?;
        let start = parts.next()?.parse().ok()?;
        let host = parts.next()?.to_string();
        (host.len() == HOST_TAG_LEN && host.bytes().all(|b| b.is_ascii_hexdigit())).then_some(Maker {
            pid,
            start,
            host,
        })
    }

    /// Whether the maker still runs.
    pub fn liveness(&self) -> Liveness {
        if self.host != host_tag() {
            return Liveness::Elsewhere;
        }
        match start_time(self.pid) {
            Some(start) if start == self.start => Liveness::Running,
            _ => Liveness::Gone,
        }
    }
}

const HOST_TAG_LEN: usize = 6;

/// A short, stable tag of this machine: from `/etc/machine-id`, else the host name.
fn host_tag() -> String {
    let id = std::fs::read_to_string("/etc/machine-id")
        .or_else(|_| std::fs::read_to_string("/proc/sys/kernel/hostname"))
        .unwrap_or_default();
    Sha256::digest(id.trim().as_bytes())
        .iter()
        .take(HOST_TAG_LEN / 2)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Field 22 of `/proc/PID/stat`: the process's start time after boot.
fn start_time(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) is in parentheses and may hold spaces.
    let after_name = &stat[stat.rfind(')')? + 1..];
    after_name.split_whitespace().nth(19)?.parse().ok()
}

/// A temporary database found on the server.
#[derive(Debug, Clone, Serialize)]
pub struct Leftover {
    /// The database's name.
    pub name: String,
    /// What it was for (`verify`, `restore`).
    pub purpose: String,
    /// Who made it, when the name says.
    pub maker: Option<Maker>,
    /// Whether its maker still runs.
    pub liveness: Liveness,
}

/// Every temporary database dbguard made on the server `client` is connected to.
pub fn databases(client: &mut postgres::Client) -> Result<Vec<Leftover>> {
    let rows = client
        .query(
            "SELECT datname::text FROM pg_database WHERE starts_with(datname, $1) ORDER BY 1",
            &[&DATABASE_PREFIX],
        )
        .map_err(dbguard_pg::connect::query_error(
            "listing dbguard's temporary databases",
        ))?;
    Ok(rows
        .iter()
        .map(|row| {
            let name: String = row.get(0);
            let rest = &name[DATABASE_PREFIX.len()..];
            let (purpose, tag) = rest.split_once('_').unwrap_or((rest, ""));
            // The tag is followed by `_N`, a counter within the process.
            let maker = tag.rsplit_once('_').and_then(|(tag, _)| Maker::parse(tag));
            let liveness = maker.as_ref().map_or(Liveness::Gone, Maker::liveness);
            Leftover {
                purpose: purpose.to_string(),
                name,
                maker,
                liveness,
            }
        })
        .collect())
}

/// Drops every temporary database whose maker is gone; returns them.
pub fn sweep_databases(admin: &DbUrl, timeout: std::time::Duration) -> Result<Vec<Leftover>> {
    let mut client = connect(admin, timeout)?;
    let stale: Vec<Leftover> = databases(&mut client)?
        .into_iter()
        .filter(|l| l.liveness == Liveness::Gone)
        .collect();
    for leftover in &stale {
        drop_database(&mut client, &leftover.name)?;
    }
    Ok(stale)
}

/// A temporary database of this process, dropped when the value is
/// dropped unless it was kept under a final name.
pub struct TempDatabase {
    admin: DbUrl,
    name: String,
    /// A URL for it.
    pub url: DbUrl,
    done: bool,
}

impl TempDatabase {
    /// Creates `dbguard_tmp_<purpose>_<pid>_<start>_<host>_<n>` on the server of `admin`.
    pub fn create(admin: &DbUrl, purpose: &str, timeout: std::time::Duration) -> Result<TempDatabase> {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let name = format!("{DATABASE_PREFIX}{purpose}_{}_{n}", Maker::current().tag());
        let mut client = connect(admin, timeout)?;
        client
            .batch_execute(&format!("CREATE DATABASE {}", quote_ident(&name)))
            .map_err(|e| {
                Error::Refused(format!(
                    "cannot create the temporary database {name}: {}",
                    dbguard_pg::connect::describe(&e)
                ))
            })?;
        Ok(TempDatabase {
            url: admin.with_database(&name)?,
            admin: admin.clone(),
            name,
            done: false,
        })
    }

    /// Its name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Renames it to `name`, which must not exist; it is no longer temporary.
    pub fn keep_as(mut self, name: &str, timeout: std::time::Duration) -> Result<()> {
        let mut client = connect(&self.admin, timeout)?;
        client
            .batch_execute(&format!(
                "ALTER DATABASE {} RENAME TO {}",
                quote_ident(&self.name),
                quote_ident(name)
            ))
            .map_err(dbguard_pg::connect::query_error(format!(
                "renaming the restored database {} to {name}",
                self.name
            )))?;
        self.done = true;
        Ok(())
    }

    /// Drops it now.
    pub fn drop_now(mut self) -> Result<()> {
        self.done = true;
        let mut client = connect(&self.admin, std::time::Duration::from_secs(10))?;
        drop_database(&mut client, &self.name)
    }
}

impl Drop for TempDatabase {
    fn drop(&mut self) {
        if !self.done {
            if let Ok(mut client) = connect(&self.admin, std::time::Duration::from_secs(10)) {
                let _ = drop_database(&mut client, &self.name);
            }
        }
    }
}

/// Drops `name`, disconnecting its sessions.
pub fn drop_database(client: &mut postgres::Client, name: &str) -> Result<()> {
    client
        .batch_execute(&format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            quote_ident(name)
        ))
        .map_err(dbguard_pg::connect::query_error(format!(
            "dropping database {name}"
        )))?;
    Ok(())
}

/// Everything left behind that dbguard knows of: unfinished backup folders
/// and temporary databases (when a server could be asked).
#[derive(Debug, Clone, Serialize)]
pub struct Found {
    /// Unfinished backup folders.
    pub partial_folders: Vec<crate::layout::PartialFolder>,
    /// Temporary databases; `None` when no server could be asked.
    pub databases: Option<Vec<Leftover>>,
}

impl Found {
    /// What `store` holds, and the server `client` reaches (when given).
    pub fn gather(store: &crate::layout::Store, client: Option<&mut postgres::Client>) -> Found {
        Found {
            partial_folders: store.partials(),
            databases: client.and_then(|c| databases(c).ok()),
        }
    }

    /// The leftovers whose maker is gone (swept by the next run).
    pub fn stale(&self) -> usize {
        self.lines().iter().filter(|(l, _)| *l == Liveness::Gone).count()
    }

    /// One line for each leftover, with its maker's liveness.
    pub fn lines(&self) -> Vec<(Liveness, String)> {
        let who = |maker: &Option<Maker>, liveness: Liveness| {
            let by = maker
                .as_ref()
                .map_or("an unknown process".to_string(), |m| format!("process {}", m.pid));
            match liveness {
                Liveness::Running => format!("in use by {by}"),
                Liveness::Gone => format!(
                    "left by {by}, which is gone; the next backup, verify, restore or prune sweeps it"
                ),
                Liveness::Elsewhere => format!("made by {by} on another machine; not swept from here"),
            }
        };
        let mut lines: Vec<(Liveness, String)> = self
            .partial_folders
            .iter()
            .map(|p| {
                (
                    p.liveness,
                    format!(
                        "unfinished backup {}: {}",
                        p.path.display(),
                        who(&p.maker, p.liveness)
                    ),
                )
            })
            .collect();
        lines.extend(self.databases.iter().flatten().map(|d| {
            (
                d.liveness,
                format!(
                    "temporary database {} ({}): {}",
                    d.name,
                    d.purpose,
                    who(&d.maker, d.liveness)
                ),
            )
        }));
        lines
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_runs_and_a_dead_or_reused_pid_is_gone() {
        let me = Maker::current();
        assert!(me.start > 0);
        assert_eq!(Maker::parse(&me.tag()), Some(me.clone()));
        assert_eq!(me.liveness(), Liveness::Running);
        let reused = Maker {
            start: me.start + 1,
            ..me.clone()
        };
        assert_eq!(reused.liveness(), Liveness::Gone);
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        let start = start_time(pid);
        child.wait().unwrap();
        let dead = Maker {
            pid,
            start: start.unwrap_or(1),
            host: me.host.clone(),
        };
        assert_eq!(dead.liveness(), Liveness::Gone);
        let elsewhere = Maker {
            host: "000000".into(),
            ..me
        };
        assert_eq!(elsewhere.liveness(), Liveness::Elsewhere);
        assert_eq!(Maker::parse("12_34_nothex"), None);
    }
}
