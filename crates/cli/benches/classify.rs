//! Benchmark of the classifier as agents meet it.
//!
//! - `dbguard hook claude-code` latency per process (p50, p99, max) over the
//!   command corpora, against spawning `/bin/true` (the floor of any
//!   process-per-call hook) in the same run;
//! - in-process classifications per second over the same lines;
//! - the worst cases: a 1 MB line and deeply nested input.
//!
//! Run: `cargo bench -p dbguard --bench classify`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use dbguard_risk::{classify_shell, classify_sql, NoFiles, ShellContext, SqlOptions};

const ROUNDS: usize = 5;

fn corpus() -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let files = [
        dbguard_testkit::external_corpus().join("commands.tsv"),
        root.join("../risk/tests/corpus/commands.tsv"),
    ];
    files
        .iter()
        .map(|f| std::fs::read_to_string(f).unwrap_or_else(|e| panic!("{}: {e}", f.display())))
        .flat_map(|text| {
            text.lines()
                .filter(|l| !l.starts_with('#') && l.contains('\t'))
                .map(|l| {
                    l.split_once('\t')
                        .unwrap()
                        .1
                        .replace("\\n", "\n")
                        .replace("\\t", "\t")
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn summary(name: &str, mut samples: Vec<Duration>) {
    samples.sort();
    println!(
        "{name:<34} n={:<5} p50 {:>8.3} ms   p99 {:>8.3} ms   max {:>8.3} ms",
        samples.len(),
        percentile(&samples, 0.50).as_secs_f64() * 1e3,
        percentile(&samples, 0.99).as_secs_f64() * 1e3,
        samples.last().unwrap().as_secs_f64() * 1e3
    );
}

fn spawn_with_input(program: &Path, args: &[&str], input: &[u8]) -> Duration {
    let start = Instant::now();
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let _ = child.stdin.take().unwrap().write_all(input);
    child.wait().expect("wait");
    start.elapsed()
}

fn main() {
    let lines = corpus();
    assert!(!lines.is_empty(), "no corpus found");
    let exe = PathBuf::from(env!("CARGO_BIN_EXE_dbguard"));
    let cwd = std::env::temp_dir();
    println!("corpus: {} command lines, {ROUNDS} rounds\n", lines.len());

    let inputs: Vec<Vec<u8>> = lines
        .iter()
        .map(|line| {
            serde_json::json!({"tool_name": "Bash", "tool_input": {"command": line}, "cwd": cwd, "permission_mode": "default"})
                .to_string()
                .into_bytes()
        })
        .collect();
    // Warm the page cache.
    spawn_with_input(&exe, &["hook", "claude-code"], &inputs[0]);
    let mut hook = Vec::new();
    let mut floor = Vec::new();
    for _ in 0..ROUNDS {
        for input in &inputs {
            hook.push(spawn_with_input(&exe, &["hook", "claude-code"], input));
            floor.push(spawn_with_input(Path::new("/bin/true"), &[], input));
        }
    }
    summary("dbguard hook claude-code", hook);
    summary("reference: /bin/true", floor);

    let ctx = ShellContext {
        cwd: cwd.clone(),
        files: &NoFiles,
        sql: SqlOptions::default(),
    };
    let start = Instant::now();
    let mut count = 0u64;
    while start.elapsed() < Duration::from_secs(2) {
        for line in &lines {
            std::hint::black_box(classify_shell(line, &ctx));
            count += 1;
        }
    }
    let rate = count as f64 / start.elapsed().as_secs_f64();
    println!(
        "\nin-process classify_shell          {rate:>10.0} lines/s ({:.1} µs per line)",
        1e6 / rate
    );

    println!("\nworst cases (one run each):");
    let worst: Vec<(&str, String, bool)> = vec![
        (
            "1 MB line (over the limit)",
            "echo hello && ".repeat(74_000) + "dropdb farm",
            false,
        ),
        (
            "256 KiB line of `echo hello &&`",
            "echo hello && ".repeat(18_700) + "dropdb farm",
            false,
        ),
        (
            "256 KiB line, one quoted word",
            format!("echo '{}'", "x".repeat(262_000)),
            false,
        ),
        (
            "64 KiB of SQL through psql -c",
            format!("psql -c '{}'", "SELECT 1;".repeat(7_200)),
            false,
        ),
        (
            "10,000 nested $(",
            format!("{}x{}", "$(".repeat(10_000), ")".repeat(10_000)),
            false,
        ),
        (
            "10,000 nested ( ",
            format!("{}x{}", "( ".repeat(10_000), ")".repeat(10_000)),
            false,
        ),
        ("1 MB of SQL (over the limit)", "SELECT 1;".repeat(116_000), true),
        ("64 KiB of `SELECT 1;`", "SELECT 1;".repeat(7_200), true),
        (
            "64 KiB of INSERT … VALUES",
            "INSERT INTO t (a, b) VALUES (1, 'text');\n".repeat(1_500),
            true,
        ),
        (
            "100,000 nested SQL parentheses",
            format!("SELECT {}1{}", "(".repeat(100_000), ")".repeat(100_000)),
            true,
        ),
    ];
    for (name, input, is_sql) in worst {
        let start = Instant::now();
        let verdict = if is_sql {
            classify_sql(&input, &SqlOptions::default())
        } else {
            classify_shell(&input, &ctx)
        };
        println!(
            "  {name:<32} {:>8.2} ms  -> {} ({} bytes)",
            start.elapsed().as_secs_f64() * 1e3,
            verdict.risk,
            input.len()
        );
    }
}
