//! `dbguard check`: classify a command line or SQL and say why.

use std::io::Read;
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use dbguard_pg::redact::redact;
use dbguard_risk::{classify_shell, classify_sql, DiskFiles, ShellContext, SqlOptions, Verdict};
use serde::Serialize;

use crate::args::{CheckArgs, Format};
use crate::output::{emit, Report};

#[derive(Serialize)]
struct CheckReport {
    kind: &'static str,
    input: String,
    #[serde(flatten)]
    verdict: Verdict,
}

impl Report for CheckReport {
    fn text(&self) -> String {
        let mut text = format!("{}  {}\n", self.verdict.risk.upper(), self.input.trim());
        for f in &self.verdict.findings {
            text.push_str(&format!(
                "  {:<6} {:<24} {}\n",
                f.risk.as_str(),
                f.rule.id(),
                f.message
            ));
            if f.text != self.input.trim() {
                text.push_str(&format!("         in: {}\n", f.text.replace('\n', " ")));
            }
            if !f.via.is_empty() {
                text.push_str(&format!("         via: {}\n", f.via.join(" → ")));
            }
        }
        text
    }
}

/// Classifies and reports; the exit code carries the risk.
pub fn run(format: Format, args: &CheckArgs, cwd: &Path) -> anyhow::Result<ExitCode> {
    let cwd = match &args.cwd {
        Some(dir) => cwd.join(dir),
        None => cwd.to_path_buf(),
    };
    anyhow::ensure!(cwd.is_dir(), "--cwd {}: not a folder", cwd.display());
    let report = match &args.sql {
        Some(sql) => {
            let sql = if sql == "-" { read_stdin()? } else { sql.clone() };
            CheckReport {
                kind: "sql",
                verdict: classify_sql(&sql, &SqlOptions::default()),
                input: sql,
            }
        }
        None => {
            let line = match args.words.as_slice() {
                [line] => line.clone(),
                words => dbguard_hooks::join_words(&words.iter().map(String::as_str).collect::<Vec<_>>()),
            };
            let ctx = ShellContext {
                cwd,
                files: &DiskFiles,
                sql: SqlOptions::default(),
            };
            CheckReport {
                kind: "shell",
                verdict: classify_shell(&line, &ctx),
                input: line,
            }
        }
    };
    let report = report.redacted();
    emit(format, &report);
    Ok(super::risk_exit_code(report.verdict.risk))
}

impl CheckReport {
    /// The report with every password hidden in the input and the findings.
    /// Spans point into the input as given; when redaction changed it they
    /// would point at the wrong text, so they are left out.
    fn redacted(mut self) -> CheckReport {
        let input = redact(&self.input);
        let changed = input != self.input;
        self.input = input;
        for f in &mut self.verdict.findings {
            f.message = redact(&f.message);
            f.text = redact(&f.text);
            f.via.iter_mut().for_each(|v| *v = redact(v));
            if changed {
                f.span = None;
            }
        }
        self
    }
}

fn read_stdin() -> anyhow::Result<String> {
    let mut bytes = Vec::new();
    std::io::stdin()
        .take(dbguard_risk::sql::MAX_SQL_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .context("cannot read standard input")?;
    // Over the limit, the classifier answers `input-too-large`; not UTF-8 is an error.
    String::from_utf8(bytes).context("standard input is not valid UTF-8")
}
