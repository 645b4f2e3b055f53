//! Any text as SQL: never a panic, never an internal error.
#![no_main]

use dbguard_risk::{classify_sql, Rule, SqlOptions};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(sql) = std::str::from_utf8(data) else { return };
    let verdict = classify_sql(sql, &SqlOptions::default());
    assert!(verdict.findings.iter().all(|f| f.rule != Rule::InternalError), "{sql:?}");
});
