//! Lint output: text with the source line underlined, `gcc`
//! (`file:line:col: level: rule message`), JSON, and GitHub annotations.

use dbguard_risk::Risk;
use serde::Serialize;

use super::Diagnostic;

/// The diagnostics of one file.
#[derive(Debug, Clone, Serialize)]
pub struct FileReport {
    /// The file (or `-` for standard input).
    pub file: String,
    /// Its diagnostics.
    pub diagnostics: Vec<Diagnostic>,
}

fn level(risk: Risk) -> &'static str {
    match risk {
        Risk::High => "error",
        Risk::Medium => "warning",
        Risk::Low => "note",
    }
}

/// Text for people: each finding with its source line underlined and the safe alternative.
pub fn text(report: &FileReport, source: &str) -> String {
    let lines: Vec<&str> = source.lines().collect();
    let mut out = String::new();
    for d in &report.diagnostics {
        out.push_str(&format!(
            "{}:{}:{}: {} [{}] {}\n",
            report.file,
            d.line,
            d.column,
            d.risk.upper(),
            d.rule,
            d.message
        ));
        if let Some(line) = lines.get(d.line - 1) {
            let gutter = d.line.to_string().len();
            let underline = line.chars().count().saturating_sub(d.column - 1).max(1);
            out.push_str(&format!("{:>gutter$} | {line}\n", d.line));
            out.push_str(&format!(
                "{:>gutter$} | {}{}\n",
                "",
                " ".repeat(d.column - 1),
                "^".repeat(underline)
            ));
        }
        out.push_str(&format!("  = help: {}\n\n", d.help));
    }
    out
}

/// `file:line:col: level: rule message`, one per line.
pub fn gcc(report: &FileReport) -> String {
    report
        .diagnostics
        .iter()
        .map(|d| {
            format!(
                "{}:{}:{}: {}: {} {}\n",
                report.file,
                d.line,
                d.column,
                level(d.risk),
                d.rule,
                d.message
            )
        })
        .collect()
}

/// GitHub Actions workflow commands (`::error file=…,line=…,col=…,title=…::…`).
pub fn github(report: &FileReport) -> String {
    report
        .diagnostics
        .iter()
        .map(|d| {
            let kind = match d.risk {
                Risk::High => "error",
                Risk::Medium => "warning",
                Risk::Low => "notice",
            };
            let message = format!("{} ({})", d.message, d.help)
                .replace('%', "%25")
                .replace('\n', "%0A");
            format!(
                "::{kind} file={},line={},col={},title={}::{message}\n",
                report.file, d.line, d.column, d.rule
            )
        })
        .collect()
}
