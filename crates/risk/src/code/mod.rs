//! Reading code that may run SQL: the string literals that are SQL (with
//! their placeholders made PostgreSQL parameters), literals glued to other
//! text at run time, and ORM calls that delete, empty or drop
//! ([`orm`]). The shell side (`python -c`, `node script.js`, heredocs into
//! an interpreter) is in the shell tools' `code` module.

pub mod file_calls;
pub mod literals;
pub mod orm;
pub mod sinks;

pub use literals::{scan, Lang, Literal};

/// Statement shapes: a first keyword, and the second words that make it SQL
/// (empty: any second word).
const SHAPES: &[(&str, &[&str])] = &[
    ("DELETE", &["FROM"]),
    ("UPDATE", &[]),
    ("INSERT", &["INTO"]),
    ("MERGE", &["INTO"]),
    ("TRUNCATE", &[]),
    (
        "DROP",
        &[
            "TABLE",
            "SCHEMA",
            "DATABASE",
            "VIEW",
            "INDEX",
            "OWNED",
            "POLICY",
            "FUNCTION",
            "TYPE",
            "EXTENSION",
            "SEQUENCE",
            "MATERIALIZED",
            "TRIGGER",
            "ROLE",
            "USER",
            "DOMAIN",
            "PROCEDURE",
        ],
    ),
    (
        "ALTER",
        &[
            "TABLE", "ROLE", "USER", "DATABASE", "SCHEMA", "SYSTEM", "SEQUENCE", "TYPE", "VIEW", "INDEX",
            "POLICY", "FUNCTION", "DEFAULT",
        ],
    ),
    (
        "CREATE",
        &[
            "TABLE",
            "INDEX",
            "UNIQUE",
            "SCHEMA",
            "DATABASE",
            "VIEW",
            "ROLE",
            "USER",
            "POLICY",
            "EXTENSION",
            "FUNCTION",
            "OR",
            "TRIGGER",
            "TYPE",
            "SEQUENCE",
            "MATERIALIZED",
        ],
    ),
    ("COPY", &[]),
    ("GRANT", &[]),
    ("REVOKE", &[]),
    ("REASSIGN", &["OWNED"]),
    ("DO", &["$$", "$DO$", "LANGUAGE"]),
    ("CALL", &[]),
    ("SET", &["SESSION_REPLICATION_ROLE", "ROLE", "SESSION"]),
    ("WITH", &[]),
    ("EXPLAIN", &["ANALYZE", "(ANALYZE"]),
    ("SELECT", &[]),
];

/// Functions whose call makes a SELECT worth reading.
const WATCHED_IN_SELECT: &[&str] = &[
    "dblink",
    "lo_unlink",
    "pg_terminate_backend",
    "pg_cancel_backend",
    "pg_file_unlink",
    "pg_drop_replication_slot",
    "set_config",
];

/// The SQL a literal holds, ready for PostgreSQL's parser (`%s`, `?`,
/// `:name` and holes as `$1`), or `None` when it is not SQL.
pub fn sql_of(literal: &str) -> Option<String> {
    let trimmed = literal.trim_start();
    let mut words = trimmed.split_whitespace();
    let first = words.next()?;
    let second = words.next().unwrap_or_default();
    let upper = first.to_uppercase();
    let (_, seconds) = SHAPES.iter().find(|(k, _)| *k == upper)?;
    // Prose ("Delete from cart", "Update your profile") is sentence-cased.
    let sentence_case = first.len() > 1
        && first.chars().next().is_some_and(char::is_uppercase)
        && first.chars().skip(1).all(char::is_lowercase)
        && second.chars().all(|c| !c.is_uppercase());
    if sentence_case || second.is_empty() {
        return None;
    }
    let second_upper = second.to_uppercase();
    if !seconds.is_empty() && !seconds.iter().any(|s| second_upper.starts_with(s)) {
        return None;
    }
    let lower = trimmed.to_lowercase();
    if upper == "UPDATE" && !lower.contains(" set ") {
        return None;
    }
    if upper == "SELECT" && !WATCHED_IN_SELECT.iter().any(|f| lower.contains(f)) && !lower.contains(';') {
        return None;
    }
    Some(placeholders(trimmed))
}

/// `%s`, `%(name)s`, `?` and `:name` placeholders as `$1`.
fn placeholders(sql: &str) -> String {
    let chars: Vec<char> = sql.chars().collect();
    let mut out = String::with_capacity(sql.len());
    let mut i = 0;
    let mut quote = false;
    while i < chars.len() {
        let c = chars[i];
        if c == '\'' {
            quote = !quote;
        }
        if !quote {
            if c == '%' && chars.get(i + 1) == Some(&'s') {
                out.push_str("$1");
                i += 2;
                continue;
            }
            if c == '%' && chars.get(i + 1) == Some(&'(') {
                if let Some(close) = chars[i..].iter().position(|&c| c == ')') {
                    out.push_str("$1");
                    i += close + 2;
                    continue;
                }
            }
            if c == '?'
                && chars.get(i + 1).is_none_or(|n| !n.is_alphanumeric())
                && i > 0
                && !chars[i - 1].is_alphanumeric()
            {
                out.push_str("$1");
                i += 1;
                continue;
            }
            let after_colon = chars
                .get(i + 1)
                .is_some_and(|n| n.is_ascii_alphabetic() || *n == '_');
            if c == ':' && after_colon && (i == 0 || chars[i - 1] != ':') && chars.get(i + 1) != Some(&':') {
                out.push_str("$1");
                i += 1;
                while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '_') {
                    i += 1;
                }
                continue;
            }
        }
        out.push(c);
        i += 1;
    }
    out
}

/// Whether the literal is joined to other text at run time (`"…" + x`,
/// `x + "…"`, `"…" % x`, `"…".format(x)`, `"…" || x`).
pub fn glued(code: &str, literal: &Literal) -> bool {
    let after = code.get(literal.end..).unwrap_or_default().trim_start();
    let before = code.get(..literal.start).unwrap_or_default().trim_end();
    after.starts_with('+')
        || (after.starts_with('%') && !after.starts_with("%>"))
        || after.starts_with(".format(")
        || after.starts_with("<<")
        || before.ends_with('+')
        || before.ends_with("+=")
}

#[cfg(test)]
mod tests {
    use super::sql_of;

    #[test]
    fn sql_is_told_from_prose() {
        assert_eq!(
            sql_of("DELETE FROM t WHERE id = %s").as_deref(),
            Some("DELETE FROM t WHERE id = $1")
        );
        assert_eq!(
            sql_of("update t set a = ? where id = ?").as_deref(),
            Some("update t set a = $1 where id = $1")
        );
        assert_eq!(
            sql_of("DELETE FROM t WHERE id = :id").as_deref(),
            Some("DELETE FROM t WHERE id = $1")
        );
        assert_eq!(sql_of("SELECT '12:30'::time").as_deref(), None);
        assert!(sql_of("Delete from cart").is_none());
        assert!(sql_of("Update your profile").is_none());
        assert!(sql_of("truncate").is_none());
        assert!(sql_of("TRUNCATE TABLE users").is_some());
    }
}
