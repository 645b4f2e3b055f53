//! What the guards inside PostgreSQL cost: pgbench TPS on two copies of
//! the same database, one protected (`dbguard protect`) and one not, on the
//! same server in the same run, alternating (and swapping which goes first
//! each round) so drift hits both alike.
//!
//! Scripts: the builtin `tpcb-like` (three single-row UPDATEs per
//! transaction, each firing an AFTER UPDATE statement trigger with a
//! transition table), a read-heavy mix (`select-only@19` +
//! `simple-update@1`: one transaction in twenty writes, but those take most
//! of the time) and `select-only` (reads alone). Goals: at most 5% TPS lost
//! on tpcb-like, 1% on reads.
//!
//! Two server configurations, one after the other on the same server:
//! durable (PostgreSQL's defaults: `fsync`, `synchronous_commit` and
//! `full_page_writes` on, as `dbguard up`'s own server and every hosted
//! database run) and CPU-bound (all three off, as the test server runs),
//! where nothing hides the guards' CPU cost: the worst case.
//!
//! Run: `cargo bench -p dbguard-guard --bench protect`
//! (DBGUARD_BENCH_SECONDS per run, default 10; DBGUARD_BENCH_ROUNDS, default 3).

use std::process::Command;

use dbguard_guard::protect::{self, Options};
use dbguard_pg::DbUrl;

/// The pgbench scale (100 000 accounts per unit).
const SCALE: &str = "10";

fn env_number(name: &str, default: u32) -> u32 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// What one pgbench run did.
struct Run {
    /// Transactions per second, as pgbench reports them.
    tps: f64,
    /// Server CPU (user + system) per transaction, in microseconds: what the
    /// run's backends used, read from the postmaster's reaped-children
    /// counters after they exit. Unlike TPS it hardly moves when other
    /// processes compete for the machine.
    cpu_us: f64,
}

/// The CPU time (user + system, in clock ticks) of the postmaster's exited
/// children: fields 16 and 17 of `/proc/<pid>/stat`.
fn children_ticks(postmaster: u32) -> u64 {
    let stat =
        std::fs::read_to_string(format!("/proc/{postmaster}/stat")).expect("the postmaster's /proc stat");
    let fields: Vec<&str> = stat[stat.rfind(')').expect("a stat line") + 2..]
        .split_whitespace()
        .collect();
    // fields[0] is field 3 (state); cutime and cstime are fields 16 and 17.
    fields[13].parse::<u64>().unwrap() + fields[14].parse::<u64>().unwrap()
}

/// `pgbench` against `url` with `args`.
fn pgbench(url: &DbUrl, args: &[&str], postmaster: u32) -> Run {
    let before = children_ticks(postmaster);
    let out = Command::new("pgbench")
        .args(args)
        .arg(url.expose())
        .output()
        .expect("pgbench runs (it comes with PostgreSQL)");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "pgbench {args:?} failed: {}{}",
        stdout,
        String::from_utf8_lossy(&out.stderr)
    );
    // The backends are reaped just after pgbench disconnects.
    std::thread::sleep(std::time::Duration::from_millis(200));
    let ticks = children_ticks(postmaster) - before;
    let number = |prefix: &str| -> f64 {
        stdout
            .lines()
            .find(|l| l.starts_with(prefix))
            .and_then(|l| l[prefix.len()..].split_whitespace().next())
            .and_then(|n| n.split('/').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no {prefix:?} in pgbench's output: {stdout}"))
    };
    // SAFETY: sysconf has no preconditions.
    let ticks_per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    Run {
        tps: number("tps = "),
        cpu_us: ticks as f64 / ticks_per_second * 1e6 / number("number of transactions actually processed: "),
    }
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(|a, b| a.partial_cmp(b).unwrap());
    values[values.len() / 2]
}

fn main() {
    let seconds = env_number("DBGUARD_BENCH_SECONDS", 10).to_string();
    let rounds = env_number("DBGUARD_BENCH_ROUNDS", 3);
    let server = dbguard_testkit::server();
    let plain = server.fresh_db();
    let status = Command::new("pgbench")
        .args(["-i", "-q", "-s", SCALE])
        .arg(plain.url.expose())
        .output()
        .expect("pgbench -i");
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    let guarded = server.fresh_db();
    // The same data in the second database: dump and restore.
    let dump = Command::new("sh")
        .arg("-c")
        .arg("pg_dump --no-owner \"$1\" | psql -q -X -v ON_ERROR_STOP=1 \"$2\" >/dev/null")
        .arg("copy")
        .arg(plain.url.expose())
        .arg(guarded.url.expose())
        .output()
        .expect("pg_dump | psql");
    assert!(dump.status.success(), "{}", String::from_utf8_lossy(&dump.stderr));
    let state = tempfile::tempdir().unwrap();
    let installed =
        protect::install(&mut guarded.client(), &guarded.url, &Options::new(state.path())).expect("protect");
    for db in [&plain, &guarded] {
        db.client().batch_execute("VACUUM ANALYZE").unwrap();
    }
    println!(
        "pgbench scale {SCALE}, {seconds} s per run, {rounds} rounds, 2 clients; protected copy: {} tables guarded",
        installed.tables
    );
    let scripts: [(&str, Vec<&str>, f64); 3] = [
        ("tpcb-like", vec!["-b", "tpcb-like"], 5.0),
        (
            "read-heavy",
            vec!["-b", "select-only@19", "-b", "simple-update@1"],
            1.0,
        ),
        ("select-only", vec!["-b", "select-only"], 1.0),
    ];
    let postmaster = server
        .local()
        .status()
        .expect("the server's status")
        .pid
        .expect("the server runs");
    for (config, durable) in [("durable", "on"), ("CPU-bound", "off")] {
        let mut admin = plain.client();
        for setting in ["fsync", "synchronous_commit", "full_page_writes"] {
            admin
                .batch_execute(&format!("ALTER SYSTEM SET {setting} = {durable}"))
                .unwrap();
        }
        admin.batch_execute("SELECT pg_reload_conf()").unwrap();
        std::thread::sleep(std::time::Duration::from_millis(500));
        println!("{config} (fsync, synchronous_commit, full_page_writes {durable}):");
        for (name, script, goal) in &scripts {
            let (mut unprotected, mut protected) = (Vec::new(), Vec::new());
            for round in 0..rounds {
                let mut args = vec!["-n", "-c", "2", "-j", "2", "-T", &seconds];
                args.extend(script.iter().copied());
                let mut order = [(&plain.url, false), (&guarded.url, true)];
                if round % 2 == 1 {
                    order.reverse();
                }
                for (url, is_protected) in order {
                    let run = pgbench(url, &args, postmaster);
                    if is_protected {
                        protected.push(run);
                    } else {
                        unprotected.push(run);
                    }
                }
            }
            let median_of = |runs: &[Run], value: fn(&Run) -> f64| {
                median(&mut runs.iter().map(value).collect::<Vec<_>>())
            };
            let (u, p) = (
                median_of(&unprotected, |r| r.tps),
                median_of(&protected, |r| r.tps),
            );
            let (cu, cp) = (
                median_of(&unprotected, |r| r.cpu_us),
                median_of(&protected, |r| r.cpu_us),
            );
            let loss = (u - p) / u * 100.0;
            println!(
                "  {name:<11} unprotected {u:>9.1} tps  protected {p:>9.1} tps  loss {loss:>5.2}%  server CPU {cu:>6.1} vs {cp:>6.1} us/txn ({:+.1} us)  (goal <= {goal}%: {})",
                cp - cu,
                if loss <= *goal { "met" } else { "NOT met" }
            );
        }
    }
}
