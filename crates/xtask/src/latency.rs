//! `cargo xtask hook-latency BINARY…`: how long one agent tool call costs
//! with each binary's `hook claude-code` (a process per call, as Claude Code
//! runs it), against spawning `/bin/true` in the same run. The calls
//! alternate between the programs so that a busy machine slows all alike.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

/// Calls per program.
const ROUNDS: usize = 300;

/// A typical Claude Code `PreToolUse` call: a Prisma command in a project.
fn tool_call(cwd: &Path) -> Vec<u8> {
    format!(
        "{{\"session_id\":\"latency\",\"transcript_path\":\"{0}/transcript.jsonl\",\"cwd\":\"{0}\",\
         \"permission_mode\":\"default\",\"hook_event_name\":\"PreToolUse\",\"tool_name\":\"Bash\",\
         \"tool_input\":{{\"command\":\"npx prisma migrate status\",\"description\":\"Show the migration status\"}}}}",
        cwd.display()
    )
    .into_bytes()
}

/// Measures and prints p50 and p95 per program.
pub fn run(args: &[String]) -> Result<ExitCode, String> {
    if args.is_empty() {
        return Err("hook-latency: name one or more dbguard binaries".to_string());
    }
    let cwd = std::env::temp_dir().join(format!("dbguard-hook-latency-{}", std::process::id()));
    std::fs::create_dir_all(&cwd).map_err(|e| format!("cannot create {}: {e}", cwd.display()))?;
    let input = tool_call(&cwd);
    let mut programs: Vec<(PathBuf, Vec<&str>)> = Vec::new();
    for binary in args {
        // The calls run in their own folder: a relative path would not resolve there.
        let path = std::fs::canonicalize(binary).map_err(|e| format!("{binary}: {e}"))?;
        programs.push((path, vec!["hook", "claude-code"]));
    }
    programs.push((PathBuf::from("/bin/true"), vec![]));
    let mut samples: Vec<Vec<Duration>> = vec![Vec::with_capacity(ROUNDS); programs.len()];
    for round in 0..=ROUNDS {
        for ((program, words), times) in programs.iter().zip(&mut samples) {
            let took = call(program, words, &input, &cwd)?;
            // The first round only warms the page cache.
            if round > 0 {
                times.push(took);
            }
        }
    }
    let _ = std::fs::remove_dir_all(&cwd);
    println!("{ROUNDS} calls each, alternating");
    for ((program, _), mut times) in programs.iter().zip(samples) {
        times.sort();
        let size = std::fs::metadata(program).map(|m| m.len()).unwrap_or(0);
        println!(
            "{:<60} p50 {:>7.2} ms  p95 {:>7.2} ms  {:>6.1} MB",
            program.display(),
            percentile(&times, 0.50),
            percentile(&times, 0.95),
            size as f64 / 1e6
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn call(program: &Path, words: &[&str], input: &[u8], cwd: &Path) -> Result<Duration, String> {
    let start = Instant::now();
    let mut child = Command::new(program)
        .args(words)
        .current_dir(cwd)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot run {}: {e}", program.display()))?;
    let _ = child.stdin.take().map(|mut stdin| stdin.write_all(input));
    child
        .wait()
        .map_err(|e| format!("waiting for {}: {e}", program.display()))?;
    Ok(start.elapsed())
}

/// The `p` quantile of sorted `times`, in milliseconds.
fn percentile(times: &[Duration], p: f64) -> f64 {
    times[((times.len() - 1) as f64 * p).round() as usize].as_secs_f64() * 1e3
}
