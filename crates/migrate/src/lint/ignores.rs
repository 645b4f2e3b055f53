//! `-- dbguard-ignore rule-id[, rule-id]: reason` on the line of a
//! statement, or the lines just before it, silences those rules for that
//! statement; an ignore comment that silences nothing is reported.

use super::context::Statement;
use super::rules::unused_ignore;
use super::Diagnostic;

/// Drops the findings silenced by `-- dbguard-ignore` comments, and reports
/// the comments that silenced nothing.
pub(crate) fn apply(sql: &str, statements: &[Statement], found: Vec<Diagnostic>) -> Vec<Diagnostic> {
    const MARK: &str = "-- dbguard-ignore";
    if !sql.contains(MARK) {
        return found;
    }
    let mut ignores: Vec<(usize, usize, Vec<String>, bool)> = Vec::new();
    for (i, text) in sql.lines().enumerate() {
        let Some(at) = text.find(MARK) else { continue };
        let rest = &text[at + MARK.len()..];
        let ids = rest.split(':').next().unwrap_or_default();
        let ids: Vec<String> = ids
            .split(',')
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect();
        let line = i + 1;
        let column = text[..at].chars().count() + 1;
        ignores.push((line, column, ids, false));
    }
    let statement_of = |line: usize| statements.iter().find(|s| s.line >= line).map(|s| s.offset);
    let mut kept = Vec::new();
    for diagnostic in found {
        let silenced = ignores.iter_mut().find(|(line, _, ids, _)| {
            statement_of(*line) == Some(diagnostic.offset) && ids.contains(&diagnostic.rule)
        });
        match silenced {
            Some(ignore) => ignore.3 = true,
            None => kept.push(diagnostic),
        }
    }
    for (line, column, ids, used) in ignores {
        if !used {
            kept.push(Diagnostic {
                rule: unused_ignore::RULE.id.into(),
                risk: unused_ignore::RULE.risk,
                message: format!("`dbguard-ignore {}` silences nothing here", ids.join(", ")),
                help: unused_ignore::RULE.help.into(),
                line,
                column,
                offset: usize::MAX,
                statement: String::new(),
            });
        }
    }
    kept
}
