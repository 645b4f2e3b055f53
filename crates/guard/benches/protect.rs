//! What the guards inside PostgreSQL cost: pgbench TPS on three copies of
//! the same database, made the same way (`pgbench -i` once, then dump and
//! restore into each), on the same server in the same run: one not
//! protected, one protected with the C row guard (dbguard's own server) and
//! one with the PL/pgSQL row guard (every other server), alternating (and
//! rotating which goes first each round) so drift hits all alike; and
//! then each protected copy side by side with the unprotected one, both
//! at the same time, one client each, so that what other processes take
//! from the machine falls on both alike (the TPS ratio of simultaneous
//! runs, median over the rounds).
//!
//! Scripts: the builtin `tpcb-like` (three single-row UPDATEs per
//! transaction, each one statement the row guard counts), a read-heavy
//! mix (`select-only@19` + `simple-update@1`: one transaction in twenty
//! writes, but those take most of the time) and `select-only` (reads
//! alone, firing no guard: the noise between identical code paths). Goals: at most 5% TPS lost
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

use std::process::{Child, Command, Stdio};

use dbguard_guard::protect::{self, Options, RowGuard};
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

/// Starts `pgbench` against `url` with `args`.
fn start_pgbench(url: &DbUrl, args: &[&str]) -> Child {
    Command::new("pgbench")
        .args(args)
        .arg(url.expose())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("pgbench runs (it comes with PostgreSQL)")
}

/// Waits for a `pgbench` run; what it printed.
fn finish_pgbench(child: Child, args: &[&str]) -> String {
    let out = child.wait_with_output().expect("pgbench ends");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "pgbench {args:?} failed: {}{}",
        stdout,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// The number pgbench printed after `prefix`.
fn reported(stdout: &str, prefix: &str) -> f64 {
    stdout
        .lines()
        .find(|l| l.starts_with(prefix))
        .and_then(|l| l[prefix.len()..].split_whitespace().next())
        .and_then(|n| n.split('/').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no {prefix:?} in pgbench's output: {stdout}"))
}

/// `pgbench` against `url` with `args`.
fn pgbench(url: &DbUrl, args: &[&str], postmaster: u32) -> Run {
    let before = children_ticks(postmaster);
    let stdout = finish_pgbench(start_pgbench(url, args), args);
    // The backends are reaped just after pgbench disconnects.
    std::thread::sleep(std::time::Duration::from_millis(200));
    let ticks = children_ticks(postmaster) - before;
    // SAFETY: sysconf has no preconditions.
    let ticks_per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    Run {
        tps: reported(&stdout, "tps = "),
        cpu_us: ticks as f64 / ticks_per_second * 1e6
            / reported(&stdout, "number of transactions actually processed: "),
    }
}

/// `pgbench` against `plain` and `guarded` at the same time, one client
/// each (`guarded` started first when `guarded_first`): the guarded
/// copy's TPS as a fraction of the plain one's. Both runs meet the same
/// machine at the same moment, so what other processes take from it
/// (the noise that moves sequential runs by several per cent) falls on
/// both alike.
fn side_by_side(plain: &DbUrl, guarded: &DbUrl, args: &[&str], guarded_first: bool) -> f64 {
    let (first, second) = if guarded_first {
        (guarded, plain)
    } else {
        (plain, guarded)
    };
    let first = start_pgbench(first, args);
    let second = start_pgbench(second, args);
    let (first, second) = (finish_pgbench(first, args), finish_pgbench(second, args));
    let (plain, guarded) = if guarded_first {
        (second, first)
    } else {
        (first, second)
    };
    reported(&guarded, "tps = ") / reported(&plain, "tps = ")
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(|a, b| a.partial_cmp(b).unwrap());
    values[values.len() / 2]
}

fn main() {
    let seconds = env_number("DBGUARD_BENCH_SECONDS", 10).to_string();
    let rounds = env_number("DBGUARD_BENCH_ROUNDS", 3);
    let server = dbguard_testkit::server();
    let source = server.fresh_db();
    let status = Command::new("pgbench")
        .args(["-i", "-q", "-s", SCALE])
        .arg(source.url.expose())
        .output()
        .expect("pgbench -i");
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    let state = tempfile::tempdir().unwrap();
    // Three copies of the same data, made the same way (dump and restore):
    // one left alone, two protected.
    let copy = |guard: Option<RowGuard>| {
        let db = server.fresh_db();
        let dump = Command::new("sh")
            .arg("-c")
            .arg("pg_dump --no-owner \"$1\" | psql -q -X -v ON_ERROR_STOP=1 \"$2\" >/dev/null")
            .arg("copy")
            .arg(source.url.expose())
            .arg(db.url.expose())
            .output()
            .expect("pg_dump | psql");
        assert!(dump.status.success(), "{}", String::from_utf8_lossy(&dump.stderr));
        if let Some(guard) = guard {
            let mut options = Options::new(state.path());
            options.native = guard == RowGuard::C;
            let installed = protect::install(&mut db.client(), &db.url, &options).expect("protect");
            assert_eq!(installed.row_guard, guard, "{:?}", installed.native_unavailable);
        }
        db
    };
    let (plain, in_c, in_plpgsql) = (copy(None), copy(Some(RowGuard::C)), copy(Some(RowGuard::PlPgSql)));
    let tables = protect::status(&mut in_c.client())
        .expect("status")
        .protected_tables;
    let dbs = [
        ("unprotected", &plain),
        ("C guard", &in_c),
        ("PL/pgSQL guard", &in_plpgsql),
    ];
    for (_, db) in dbs {
        db.client().batch_execute("VACUUM ANALYZE").unwrap();
    }
    println!(
        "pgbench scale {SCALE}, {seconds} s per run, {rounds} rounds, 2 clients; protected copies: {tables} tables guarded"
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
            let mut runs: Vec<Vec<Run>> = dbs.iter().map(|_| Vec::new()).collect();
            for round in 0..rounds as usize {
                let mut args = vec!["-n", "-c", "2", "-j", "2", "-T", &seconds];
                args.extend(script.iter().copied());
                for i in 0..dbs.len() {
                    let which = (i + round) % dbs.len();
                    runs[which].push(pgbench(&dbs[which].1.url, &args, postmaster));
                }
            }
            let median_of = |runs: &[Run], value: fn(&Run) -> f64| {
                median(&mut runs.iter().map(value).collect::<Vec<_>>())
            };
            let (u, cu) = (median_of(&runs[0], |r| r.tps), median_of(&runs[0], |r| r.cpu_us));
            println!(
                "  {name:<11} {:<15} {u:>9.1} tps  server CPU {cu:>6.1} us/txn",
                dbs[0].0
            );
            for (i, (label, _)) in dbs.iter().enumerate().skip(1) {
                let (p, cp) = (median_of(&runs[i], |r| r.tps), median_of(&runs[i], |r| r.cpu_us));
                let loss = (u - p) / u * 100.0;
                println!(
                    "  {:<11} {label:<15} {p:>9.1} tps  server CPU {cp:>6.1} us/txn ({:+.1} us)  loss {loss:>5.2}%  (goal <= {goal}%: {})",
                    "",
                    cp - cu,
                    if loss <= *goal { "met" } else { "NOT met" }
                );
            }
            let mut args = vec!["-n", "-c", "1", "-j", "1", "-T", &seconds];
            args.extend(script.iter().copied());
            for (label, db) in dbs.iter().skip(1) {
                let mut losses: Vec<f64> = (0..rounds)
                    .map(|round| (1.0 - side_by_side(&plain.url, &db.url, &args, round % 2 == 1)) * 100.0)
                    .collect();
                let loss = median(&mut losses);
                println!(
                    "  {:<11} {label:<15} side by side with the unprotected copy, 1 client each: loss {loss:>5.2}%  (goal <= {goal}%: {})",
                    "",
                    if loss <= *goal { "met" } else { "NOT met" }
                );
            }
        }
    }
}
