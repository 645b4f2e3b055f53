//! Shell command lines: parsed with a real shell-word parser, unwrapped
//! (`sudo`, `env`, `npx`, `bash -c`, npm scripts, …) and classified by what
//! each program does to a database.

pub mod ast;
mod braces;
pub mod opts;
pub mod parse;
mod tools;
mod walk;

use std::path::PathBuf;

use crate::files::FileSource;
use crate::rules::Rule;
use crate::sql::SqlOptions;
use crate::verdict::{Finding, Span, Verdict};

/// The most shell text analysed for one verdict (the line, and the scripts
/// and npm scripts it runs); more is high risk unread.
pub const MAX_LINE_BYTES: usize = 256 * 1024;

/// Where a command line runs and what the classifier may read.
pub struct ShellContext<'a> {
    /// The working folder (for package.json, scripts and SQL files).
    pub cwd: PathBuf,
    /// How files are read.
    pub files: &'a dyn FileSource,
    /// What is known about the database, for the SQL the line runs.
    pub sql: SqlOptions,
}

/// Classifies a shell command line.
pub fn classify_shell(line: &str, ctx: &ShellContext<'_>) -> Verdict {
    if line.len() > MAX_LINE_BYTES {
        let finding = Finding::new(
            Rule::InputTooLarge,
            format!("{} bytes, over the {MAX_LINE_BYTES}-byte limit", line.len()),
            line,
        )
        .at(Span::locate(line, 0, line.len()));
        return Verdict::from_findings(vec![finding]);
    }
    crate::guard_panics(line, || {
        let mut walker = walk::Walker::new(ctx, line);
        walker.line();
        Verdict::from_collector(walker.findings)
    })
}
