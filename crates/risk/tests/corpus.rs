//! dbguard's own command corpus, `tests/corpus/commands.tsv`, and one
//! corpus per family of issue #13 in `tests/corpus/families/`. Each line is
//! `accepted levels<TAB>command line`; `\n` stands for a newline, `\t` for a
//! tab. The starter corpus beside the repository is read by the separate
//! `external_corpus` test (see `.ci/run`).

#[path = "corpus/check.rs"]
mod check;

use std::path::Path;

#[test]
fn our_corpus() {
    check::check(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/commands.tsv"));
}

/// Each family's corpus passes, and holds at least 15 lines with high-risk
/// lines and low-risk look-alikes both present.
#[test]
fn family_corpora() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/families");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "tsv"))
        .collect();
    files.sort();
    assert!(files.len() >= 9, "{files:?}");
    let mut failures = Vec::new();
    for file in &files {
        let (high, low) = check::counts(file);
        if high + low < 15 || high == 0 || low == 0 {
            failures.push(format!(
                "{}: only {high} high and {low} low lines",
                file.display()
            ));
        }
        if let Err(e) = std::panic::catch_unwind(|| check::check(file)) {
            failures.push(format!("{}: {:?}", file.display(), e.downcast_ref::<String>()));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
