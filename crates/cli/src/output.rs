//! Printing results: text for people, one JSON object for programs.

use serde::Serialize;

use crate::args::Format;

/// A command's result, printable both ways.
pub trait Report: Serialize {
    /// The text shown to people.
    fn text(&self) -> String;

    /// Prometheus text exposition, for the reports that have one.
    fn prometheus(&self) -> Option<String> {
        None
    }
}

/// Prints `report` on standard output in `format`.
pub fn emit(format: Format, report: &impl Report) {
    match format {
        Format::Text => {
            let text = report.text();
            if text.ends_with('\n') {
                print!("{text}");
            } else {
                println!("{text}");
            }
        }
        Format::Json => println!(
            "{}",
            serde_json::to_string_pretty(report).expect("reports serialise")
        ),
        Format::Prometheus => match report.prometheus() {
            Some(text) => print!("{text}"),
            None => eprintln!("this command has no Prometheus output; use --format text or json"),
        },
    }
}

/// Prints an error: always on standard error, and as `{"error": …}` on
/// standard output in JSON mode so a program reading stdout sees it.
pub fn emit_error(format: Format, err: &anyhow::Error) {
    let message = format!("{err:#}");
    eprintln!("error: {message}");
    if format == Format::Json {
        println!("{}", serde_json::json!({ "error": { "message": message } }));
    }
}
