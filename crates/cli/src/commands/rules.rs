//! `dbguard rules`: the rule catalogue.

use std::process::ExitCode;

use dbguard_risk::{Risk, Rule};
use serde::Serialize;

use crate::args::Format;
use crate::output::{emit, Report};

#[derive(Serialize)]
struct RuleEntry {
    id: &'static str,
    risk: Risk,
    summary: &'static str,
}

#[derive(Serialize)]
struct RulesReport {
    rules: Vec<RuleEntry>,
}

impl Report for RulesReport {
    fn text(&self) -> String {
        let mut text = String::from("| rule | risk | what it catches |\n|---|---|---|\n");
        for r in &self.rules {
            text.push_str(&format!(
                "| `{}` | {} | {} |\n",
                r.id,
                r.risk,
                r.summary.replace('|', "\\\\|")
            ));
        }
        text
    }
}

/// Prints every rule (as a Markdown table in text mode).
pub fn run(format: Format) -> ExitCode {
    let rules = Rule::ALL
        .iter()
        .map(|r| RuleEntry {
            id: r.id(),
            risk: r.risk(),
            summary: r.summary(),
        })
        .collect();
    emit(format, &RulesReport { rules });
    ExitCode::SUCCESS
}
