//! The README stays true: every rule is documented with its risk, and the
//! two newcomer commands are the ones CI runs.

use std::path::Path;

use dbguard_risk::Rule;

fn readme() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md")).unwrap()
}

#[test]
fn every_rule_is_in_the_readme_with_its_risk() {
    let readme = readme();
    for rule in Rule::ALL {
        let row = format!("| `{}` | {} |", rule.id(), rule.risk());
        assert!(readme.contains(&row), "README lacks the row for {}", rule.id());
    }
}

#[test]
fn every_lint_rule_is_in_the_readme_with_its_safe_alternative() {
    let readme = readme();
    for rule in dbguard_migrate::lint::rules::OWN {
        let row = format!(
            "| `{}` | {} | {} | {} |",
            rule.id, rule.risk, rule.summary, rule.help
        );
        assert!(readme.contains(&row), "README lacks the lint row for {}", rule.id);
    }
}

#[test]
fn the_quick_start_commands_are_the_ones_ci_runs() {
    let readme = readme();
    let start = readme.find("## Quick start").expect("a Quick start section");
    let block = &readme[start..];
    let block = &block[block.find("```sh").expect("a sh block") + 5..];
    let block = &block[..block.find("```").unwrap()];
    let commands: Vec<&str> = block
        .lines()
        .map(|l| l.split('#').next().unwrap().trim())
        .filter(|l| !l.is_empty())
        .collect();
    assert_eq!(commands, ["cargo xtask up", "cargo xtask test"]);
    let ci = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.ci/run")).unwrap();
    assert!(
        ci.lines().any(|l| l.trim() == "cargo xtask test"),
        "CI runs the README's test command"
    );
}
