//! What the guards inside PostgreSQL cost: pgbench TPS on two copies of
//! the same database, one protected (`dbguard protect`) and one not, on the
//! same server in the same run, alternating (and swapping which goes first
//! each round) so drift hits both alike.
//!
//! Scripts: the builtin `tpcb-like` (three single-row UPDATEs per
//! transaction, each firing an AFTER UPDATE statement trigger with a
//! transition table) and a read-heavy mix (`select-only@19` +
//! `simple-update@1`). Goals: at most 5% TPS lost on tpcb-like, 1% on reads.
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

/// `pgbench` against `url` with `args`; the TPS it reports.
fn pgbench(url: &DbUrl, args: &[&str]) -> f64 {
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
    stdout
        .lines()
        .find(|l| l.starts_with("tps = "))
        .and_then(|l| l["tps = ".len()..].split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no tps in pgbench's output: {stdout}"))
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
    let scripts: [(&str, Vec<&str>, f64); 2] = [
        ("tpcb-like", vec!["-b", "tpcb-like"], 5.0),
        (
            "read-heavy",
            vec!["-b", "select-only@19", "-b", "simple-update@1"],
            1.0,
        ),
    ];
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
                let tps = pgbench(url, &args);
                if is_protected {
                    protected.push(tps);
                } else {
                    unprotected.push(tps);
                }
            }
        }
        let (u, p) = (median(&mut unprotected), median(&mut protected));
        let loss = (u - p) / u * 100.0;
        println!(
            "{name:<11} unprotected {u:>9.1} tps  protected {p:>9.1} tps  loss {loss:>5.2}%  (goal <= {goal}%: {})",
            if loss <= *goal { "met" } else { "NOT met" }
        );
    }
}
