//! Hostile input: inputs at the limits are answered (failing closed) rather
//! than hanging or crashing. Real-world SQL from the external corpus is read
//! by the separate `external_corpus` test (see `.ci/run`).

use std::path::PathBuf;

use dbguard_risk::{classify_shell, classify_sql, NoFiles, Risk, Rule, ShellContext, SqlOptions};
use proptest::prelude::*;

fn ctx() -> ShellContext<'static> {
    ShellContext {
        cwd: PathBuf::from("/project"),
        files: &NoFiles,
        sql: SqlOptions::default(),
    }
}

#[test]
fn oversized_input_is_high_unread() {
    let line = format!("echo {}", "a".repeat(1024 * 1024));
    let verdict = classify_shell(&line, &ctx());
    assert_eq!(
        (verdict.risk, verdict.findings[0].rule),
        (Risk::High, Rule::InputTooLarge)
    );
    let sql = "SELECT 1;".repeat(1024 * 1024 / 9);
    let verdict = classify_sql(&sql, &SqlOptions::default());
    assert_eq!(verdict.findings[0].rule, Rule::InputTooLarge);
}

#[test]
fn input_up_to_the_limit_is_analysed() {
    let line = "echo hello && ".repeat(18_000) + "dropdb farm";
    assert!(line.len() < dbguard_risk::shell::MAX_LINE_BYTES);
    let verdict = classify_shell(&line, &ctx());
    assert_eq!(verdict.risk, Risk::High);
    assert_eq!(verdict.findings.last().unwrap().rule, Rule::Dropdb);
}

#[test]
fn the_sql_budget_is_shared_by_the_whole_line() {
    let statement = format!("psql -c '{}' && ", "SELECT 1;".repeat(3_000));
    let verdict = classify_shell(&statement.repeat(4), &ctx());
    assert_eq!(verdict.risk, Risk::High);
    assert!(verdict.findings.iter().any(|f| f.rule == Rule::InputTooLarge));
    let one = format!("psql -c '{}'", "SELECT 1;".repeat(3_000));
    assert_eq!(classify_shell(&one, &ctx()).risk, Risk::Low);
}

#[test]
fn many_findings_keep_the_riskiest() {
    let line = "psql -c 'CREATE TABLE t (x int)'; ".repeat(150) + "dropdb farm";
    let verdict = classify_shell(&line, &ctx());
    assert_eq!(verdict.risk, Risk::High);
    assert_eq!(verdict.findings.len(), dbguard_risk::verdict::MAX_FINDINGS);
    assert_eq!(verdict.omitted, 51);
    assert!(verdict.findings.iter().any(|f| f.rule == Rule::Dropdb));
}

#[test]
fn deep_nesting_fails_closed() {
    for line in [
        format!("{}dropdb x{}", "$(".repeat(10_000), ")".repeat(10_000)),
        format!("{}ls{}", "( ".repeat(10_000), " )".repeat(10_000)),
        format!("{}ls{}", "{ ".repeat(10_000), "; }".repeat(10_000)),
        "bash -c \"".repeat(50) + "ls",
    ] {
        let verdict = classify_shell(&line, &ctx());
        assert_eq!(verdict.risk, Risk::High, "{}…", &line[..20]);
    }
    let nested = format!("SELECT {}1{}", "(".repeat(100_000), ")".repeat(100_000));
    assert_eq!(classify_sql(&nested, &SqlOptions::default()).risk, Risk::High);
    let mut deep_do = "DROP TABLE x".to_string();
    for _ in 0..20 {
        deep_do = format!("DO $x$ BEGIN EXECUTE {}; END $x$", quote(&deep_do));
    }
    assert_eq!(classify_sql(&deep_do, &SqlOptions::default()).risk, Risk::High);
}

fn quote(sql: &str) -> String {
    format!("'{}'", sql.replace('\'', "''"))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn shell_classification_never_panics(line in "\\PC{0,120}") {
        let verdict = classify_shell(&line, &ctx());
        prop_assert!(verdict.findings.iter().all(|f| f.rule != Rule::InternalError));
    }

    #[test]
    fn shell_syntax_soup_never_panics(line in "[a-z $'\"`\\\\(){};&|<>\\n#*=-]{0,120}") {
        let verdict = classify_shell(&line, &ctx());
        prop_assert!(verdict.findings.iter().all(|f| f.rule != Rule::InternalError));
    }

    #[test]
    fn sql_classification_never_panics(sql in "\\PC{0,120}") {
        let verdict = classify_sql(&sql, &SqlOptions::default());
        prop_assert!(verdict.findings.iter().all(|f| f.rule != Rule::InternalError));
    }
}
