//! Any text as a shell command line: never a panic, never an internal error.
#![no_main]

use dbguard_risk::{classify_shell, NoFiles, Rule, ShellContext, SqlOptions};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(line) = std::str::from_utf8(data) else { return };
    let ctx = ShellContext {
        cwd: "/project".into(),
        files: &NoFiles,
        sql: SqlOptions::default(),
    };
    let verdict = classify_shell(line, &ctx);
    assert!(verdict.findings.iter().all(|f| f.rule != Rule::InternalError), "{line:?}");
});
