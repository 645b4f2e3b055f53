//! The external corpora beside the repository: the starter command corpus
//! (`corpus/commands.tsv`) and real-world migrations
//! (`corpus/external/crates.io-migrations`). Built only with the
//! `external-corpus` feature; `.ci/run` runs it as its own step.

use std::path::PathBuf;

use dbguard_risk::{classify_sql, Risk, Rule, SqlOptions};

#[path = "corpus/check.rs"]
mod check;

#[test]
fn starter_corpus() {
    check::check(&dbguard_testkit::external_corpus().join("commands.tsv"));
}

fn external_sql_files() -> Vec<PathBuf> {
    let root = dbguard_testkit::external_corpus().join("external/crates.io-migrations");
    let mut files = Vec::new();
    let entries = std::fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("the external corpus {} cannot be read: {e}", root.display()));
    for entry in entries {
        let dir = entry.unwrap().path();
        for name in ["up.sql", "down.sql"] {
            let file = dir.join(name);
            if file.is_file() {
                files.push(file);
            }
        }
    }
    files.sort();
    files
}

#[test]
fn every_external_migration_is_classified_and_only_the_broken_one_is_unparseable() {
    let files = external_sql_files();
    assert!(files.len() > 500, "only {} files found", files.len());
    let mut unparseable = Vec::new();
    for file in &files {
        let sql = std::fs::read_to_string(file).unwrap();
        let verdict = classify_sql(&sql, &SqlOptions::default());
        assert!(
            verdict.findings.iter().all(|f| f.rule != Rule::InternalError),
            "{}: internal error",
            file.display()
        );
        if verdict.findings.iter().any(|f| f.rule == Rule::SqlUnparseable) {
            assert_eq!(verdict.risk, Risk::High);
            unparseable.push(
                file.strip_prefix(file.parent().unwrap().parent().unwrap())
                    .unwrap()
                    .to_path_buf(),
            );
        }
    }
    assert_eq!(
        unparseable,
        vec![PathBuf::from("20170318181441_downloads_need_no_id/down.sql")]
    );
}
