//! dbguard's risk classifier: given a shell command line or SQL text, is it
//! **low**, **medium** or **high** risk, and exactly why?
//!
//! Pure: no database, no network; the only I/O is reading files the input
//! points at, through [`FileSource`]. Anything that cannot be parsed or
//! resolved is judged as the worst it could be, with a finding saying so.

pub mod code;
pub mod files;
pub mod protected;
pub mod rules;
pub mod shell;
pub mod sql;
pub mod verdict;

pub use files::{DiskFiles, FileSource, MemoryFiles, NoFiles, ReadError};
pub use rules::Rule;
pub use shell::{classify_shell, ShellContext};
pub use sql::{classify_sql, tables_written, SqlOptions};
pub use verdict::{Finding, Risk, Span, Verdict};

/// How deeply nested scripts, subshells, DO blocks and EXECUTEs are followed.
pub const MAX_DEPTH: usize = 8;

/// Runs `analyse`, turning a panic (a bug) into a high-risk finding.
pub(crate) fn guard_panics(input: &str, analyse: impl FnOnce() -> Verdict) -> Verdict {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(analyse)).unwrap_or_else(|_| {
        Verdict::from_findings(vec![Finding::new(
            Rule::InternalError,
            "dbguard failed while analysing this input; treated as the worst case",
            input,
        )])
    })
}
