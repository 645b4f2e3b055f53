//! Reads a command corpus and checks every line's verdict against its accepted levels.

use std::path::{Path, PathBuf};

use dbguard_risk::{classify_shell, NoFiles, Risk, ShellContext, SqlOptions};

fn corpus_lines(path: &Path) -> Vec<(usize, Vec<Risk>, String)> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| {
        panic!(
            "the command corpus {} is needed for this test: {e}",
            path.display()
        )
    });
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.starts_with('#') && !line.trim().is_empty())
        .map(|(n, line)| {
            let (levels, command) = line
                .split_once('\t')
                .unwrap_or_else(|| panic!("line {}: no TAB", n + 1));
            let levels = levels
                .split('|')
                .map(|l| match l {
                    "low" => Risk::Low,
                    "medium" => Risk::Medium,
                    "high" => Risk::High,
                    other => panic!("line {}: unknown level {other}", n + 1),
                })
                .collect();
            (n + 1, levels, command.replace("\\n", "\n").replace("\\t", "\t"))
        })
        .collect()
}

/// How many lines accept only high, and how many accept low.
#[allow(dead_code)]
pub fn counts(path: &Path) -> (usize, usize) {
    let lines = corpus_lines(path);
    let high = lines.iter().filter(|(_, l, _)| l == &[Risk::High]).count();
    let low = lines.iter().filter(|(_, l, _)| l.contains(&Risk::Low)).count();
    (high, low)
}

/// Checks every line of the corpus at `path`.
pub fn check(path: &Path) {
    let ctx = ShellContext {
        cwd: PathBuf::from("/nonexistent/project"),
        files: &NoFiles,
        sql: SqlOptions::default(),
    };
    let mut failures = Vec::new();
    let lines = corpus_lines(path);
    assert!(!lines.is_empty(), "{} has no cases", path.display());
    for (n, levels, command) in &lines {
        let verdict = classify_shell(command, &ctx);
        if !levels.contains(&verdict.risk) {
            let rules: Vec<&str> = verdict.findings.iter().map(|f| f.rule.id()).collect();
            failures.push(format!(
                "line {n}: {command:?} is {} {rules:?}, expected {levels:?}",
                verdict.risk
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} lines fail:\n{}",
        failures.len(),
        lines.len(),
        failures.join("\n")
    );
}
