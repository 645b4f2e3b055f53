//! dbguard's own command corpus, `tests/corpus/commands.tsv`. Each line is
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
