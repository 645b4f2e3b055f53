//! The lint over real-world migrations beside the repository
//! (`corpus/external/crates.io-migrations`). Built only with the
//! `external-corpus` feature; `.ci/run` runs it as its own step.

use dbguard_migrate::lint::lint;

#[test]
fn the_external_corpus_lints_without_a_panic() {
    let root = dbguard_testkit::external_corpus().join("external/crates.io-migrations");
    let mut files = 0;
    let mut unparseable = Vec::new();
    for dir in std::fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("the external corpus {} cannot be read: {e}", root.display()))
        .flatten()
    {
        for name in ["up.sql", "down.sql"] {
            let path = dir.path().join(name);
            let Ok(sql) = std::fs::read_to_string(&path) else {
                continue;
            };
            files += 1;
            if lint(&sql).iter().any(|d| d.rule == "sql-unparseable") {
                unparseable.push(format!("{}/{name}", dir.file_name().to_string_lossy()));
            }
        }
    }
    assert!(files > 500, "{files} files");
    assert_eq!(unparseable, vec!["20170318181441_downloads_need_no_id/down.sql"]);
}
