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

/// GitHub Actions workflow commands (`::error file=…,line=…,col=…,title=…::…`),
/// escaped as the runner reads them: `%`, CR and LF in the message, and
/// also `:` and `,` in the properties (a file name may hold either).
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
            format!(
                "::{kind} file={},line={},col={},title={}::{}\n",
                github_property(&report.file),
                d.line,
                d.column,
                github_property(&d.rule),
                github_data(&format!("{} ({})", d.message, d.help))
            )
        })
        .collect()
}

fn github_data(text: &str) -> String {
    text.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

fn github_property(text: &str) -> String {
    github_data(text).replace(':', "%3A").replace(',', "%2C")
}
