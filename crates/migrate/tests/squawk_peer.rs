//! The peer suite: dbguard's lint on the situations squawk's rules are
//! about. Each squawk rule in scope has a fixture of our own in
//! `fixtures/squawk/<squawk-rule>.sql`, written from the rule's description,
//! whose statements carry `-- expect: rule-id …` for every finding dbguard
//! must report on that line; the README's table maps every squawk rule to
//! dbguard's rule ids or says why it is out of scope.

use std::collections::BTreeMap;
use std::path::Path;

use dbguard_migrate::lint::{lint, rules};

/// Every rule squawk documents.
const SQUAWK_RULES: &[&str] = &[
    "adding-field-with-default",
    "adding-foreign-key-constraint",
    "adding-not-nullable-field",
    "adding-required-field",
    "adding-serial-primary-key-field",
    "ban-alter-domain-with-add-constraint",
    "ban-char-field",
    "ban-concurrent-index-creation-in-transaction",
    "ban-create-domain-with-constraint",
    "ban-drop-column",
    "ban-drop-database",
    "ban-drop-not-null",
    "ban-drop-table",
    "ban-duplicate-column-assignments",
    "ban-truncate-cascade",
    "ban-uncommitted-transaction",
    "changing-column-type",
    "constraint-missing-not-valid",
    "disallowed-unique-constraint",
    "identifier-too-long",
    "prefer-bigint-over-int",
    "prefer-bigint-over-smallint",
    "prefer-identity",
    "prefer-repack",
    "prefer-robust-stmts",
    "prefer-text-field",
    "prefer-timestamptz",
    "renaming-column",
    "renaming-table",
    "require-concurrent-index-creation",
    "require-concurrent-index-deletion",
    "require-concurrent-partition-detach",
    "require-concurrent-reindex",
    "require-enum-value-ordering",
    "require-lock-timeout",
    "require-statement-timeout",
    "require-table-schema",
    "require-timeout-settings",
    "syntax-error",
    "transaction-nesting",
];

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The README's squawk table: squawk rule -> the cell naming dbguard's rules.
fn readme_table() -> BTreeMap<String, String> {
    let readme = std::fs::read_to_string(root().join("../../README.md")).unwrap();
    let start = readme
        .find("| squawk rule | dbguard rule |")
        .expect("the README's squawk table");
    readme[start..]
        .lines()
        .skip(2)
        .take_while(|l| l.starts_with('|'))
        .map(|l| {
            let cells: Vec<&str> = l.trim_matches('|').split('|').map(str::trim).collect();
            (cells[0].trim_matches('`').to_string(), cells[1].to_string())
        })
        .collect()
}

/// The dbguard rule ids a table cell maps to (none when it is out of scope).
fn ids(cell: &str) -> Vec<String> {
    if cell.starts_with("out of scope") {
        return Vec::new();
    }
    cell.split('`').skip(1).step_by(2).map(String::from).collect()
}

fn known(id: &str) -> bool {
    rules::OWN.iter().any(|r| r.id == id) || dbguard_risk::Rule::ALL.iter().any(|r| r.id() == id)
}

/// (line, rule) pairs a fixture expects.
fn expected(sql: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for (i, line) in sql.lines().enumerate() {
        if let Some(at) = line.find("-- expect:") {
            for rule in line[at + "-- expect:".len()..].split_whitespace() {
                out.push((i + 1, rule.to_string()));
            }
        }
    }
    out
}

#[test]
fn the_readme_maps_every_squawk_rule() {
    let table = readme_table();
    for rule in SQUAWK_RULES {
        let cell = table
            .get(*rule)
            .unwrap_or_else(|| panic!("the README's squawk table lacks {rule}"));
        let named = ids(cell);
        if named.is_empty() {
            assert!(cell.starts_with("out of scope, because"), "{rule}: {cell}");
        }
        for id in named {
            assert!(known(&id), "{rule} maps to {id}, which is no dbguard rule");
        }
    }
    for rule in table.keys() {
        assert!(
            SQUAWK_RULES.contains(&rule.as_str()),
            "{rule} is not a squawk rule"
        );
    }
}

#[test]
fn every_squawk_situation_in_scope_is_caught() {
    let table = readme_table();
    let dir = root().join("tests/fixtures/squawk");
    let (mut expected_hits, mut hits) = (0, 0);
    let mut missed = Vec::new();
    for (rule, cell) in &table {
        let mapped = ids(cell);
        let path = dir.join(format!("{rule}.sql"));
        if mapped.is_empty() {
            assert!(!path.exists(), "{rule} is out of scope but has a fixture");
            continue;
        }
        let sql = std::fs::read_to_string(&path).unwrap_or_else(|_| panic!("{rule} has no fixture"));
        let want = expected(&sql);
        assert!(
            want.iter().any(|(_, id)| mapped.contains(id)),
            "{rule}'s fixture expects none of the rules the README maps it to"
        );
        let found = lint(&sql);
        for (line, id) in want {
            assert!(
                known(&id),
                "{rule}'s fixture expects {id}, which is no dbguard rule"
            );
            expected_hits += 1;
            if found.iter().any(|d| d.line == line && d.rule == id) {
                hits += 1;
            } else {
                missed.push(format!("{rule}.sql:{line} {id}"));
            }
        }
    }
    println!("squawk peer fixtures: {hits} of {expected_hits} expected hits");
    assert!(missed.is_empty(), "missed: {missed:#?}");
}
