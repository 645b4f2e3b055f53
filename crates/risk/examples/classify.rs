//! Prints the verdict of each line of standard input (`\n` stands for a newline).

use std::io::BufRead;
use std::path::PathBuf;

use dbguard_risk::{classify_shell, DiskFiles, ShellContext, SqlOptions};

fn main() {
    let ctx = ShellContext {
        cwd: std::env::current_dir().unwrap_or_else(|_| PathBuf::from("/")),
        files: &DiskFiles,
        sql: SqlOptions::default(),
    };
    for line in std::io::stdin().lock().lines().map_while(Result::ok) {
        let command = line
            .split_once('\t')
            .map_or(line.as_str(), |(_, c)| c)
            .replace("\\n", "\n");
        let verdict = classify_shell(&command, &ctx);
        let reasons: Vec<String> = verdict
            .findings
            .iter()
            .map(|f| format!("{}: {}", f.rule.id(), f.message))
            .collect();
        println!(
            "{:<6} {:<70} {}",
            verdict.risk,
            command.replace('\n', "⏎"),
            reasons.join(" | ")
        );
    }
}
