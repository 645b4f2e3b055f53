//! Hiding secrets in connection strings and free text before anything is
//! printed, logged or stored.
//!
//! Redaction works on text that may not parse: a malformed URL is exactly the
//! kind of input that ends up in an error message, so the functions here never
//! need a successful parse and err on the side of hiding too much. Three
//! shapes are masked wherever they appear in the text:
//!
//! - a user and password before an `@` (`postgresql://app:pw@h`, and the
//!   malformed `postgres//app:pw@h`, `postgresql:/app:pw@h`, `app:pw@h/db`,
//!   `//app:pw@h`, `postgresql:app:pw@h`): everything from the first `:` of
//!   the userinfo to the `@` is hidden, percent-encoded or not;
//! - a key ending in `password` followed by `=` (`password=`, `PGPASSWORD=`,
//!   `--password=`, `sslpassword=`, `DB_PASSWORD=`), quoted or not;
//! - a `.pgpass` line (`host:port:database:user:password`): the password
//!   field, to the end of the line.

/// What replaces a secret.
pub const MASK: &str = "***";

/// Returns `text` with every password hidden (see the module documentation
/// for the shapes recognised).
pub fn redact(text: &str) -> String {
    let masked = redact_pgpass_lines(text);
    let masked = redact_userinfo(&masked);
    redact_key_values(&masked)
}

/// Redacts every string inside a JSON value, in place (keys stay as they are).
pub fn redact_json(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::String(s) => {
            let masked = redact(s);
            if masked != *s {
                *s = masked;
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(redact_json),
        serde_json::Value::Object(map) => map.values_mut().for_each(redact_json),
        _ => {}
    }
}

/// Masks `user:password@` in every whitespace-separated word holding an `@`.
/// The userinfo ends at the word's last `@`, so a password holding `@`, `/`
/// or `:` is hidden whole; it starts after the first `://` when there is one.
fn redact_userinfo(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while !rest.is_empty() {
        let word_end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        let (word, after) = rest.split_at(word_end);
        out.push_str(&mask_word_userinfo(word));
        let space_end = after.find(|c: char| !c.is_whitespace()).unwrap_or(after.len());
        out.push_str(&after[..space_end]);
        rest = &after[space_end..];
    }
    out
}

fn mask_word_userinfo(word: &str) -> String {
    let Some(at) = word.rfind('@') else {
        return word.to_string();
    };
    let before = &word[..at];
    // A `://` counts as the scheme's only when a scheme precedes it (letters
    // first, after the word's start, a quote or `=`): one in the password
    // (`postgres//u:pa://ss@h`) must not hide the user's colon.
    let start = before
        .find("://")
        .filter(|&i| {
            let scheme_chars = |c: char| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.');
            let from = before[..i].rfind(|c: char| !scheme_chars(c)).map_or(0, |p| p + 1);
            let scheme = &before[from..i];
            let preceded = before[..from].chars().next_back();
            scheme.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                && !matches!(preceded, Some(':' | '/' | '@'))
        })
        .map_or(0, |i| i + 3);
    match before[start..].find(':') {
        Some(colon) => {
            let cut = start + colon + 1;
            format!("{}{MASK}{}", &word[..cut], &word[at..])
        }
        None => word.to_string(),
    }
}

/// Masks the value of every `<key ending in password>=value`, including
/// quoted values (`password='a b'`, `PGPASSWORD="a b"`).
fn redact_key_values(text: &str) -> String {
    const KEY: &str = "password";
    let lower = text.to_ascii_lowercase();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut from = 0;
    while let Some(pos) = lower[from..].find(KEY).map(|p| p + from) {
        let after_key = pos + KEY.len();
        from = after_key;
        let gap = lower[after_key..].len() - lower[after_key..].trim_start_matches([' ', '\t']).len();
        if !lower[after_key + gap..].starts_with('=') {
            continue;
        }
        let eq = after_key + gap;
        let value_start =
            eq + 1 + (text[eq + 1..].len() - text[eq + 1..].trim_start_matches([' ', '\t']).len());
        let key_start = lower[..pos]
            .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
            .map_or(0, |i| i + 1);
        let in_query = matches!(lower[..key_start].chars().last(), Some('?' | '&'));
        let value_end = value_start + secret_value_len(&text[value_start..], in_query);
        out.push_str(&text[copied..value_start]);
        out.push_str(MASK);
        copied = value_end;
        from = value_end.max(from);
    }
    out.push_str(&text[copied..]);
    out
}

/// Length of a parameter value: a quoted value up to its closing quote, or an
/// unquoted one up to the next white space (or `&` in a URL's query, where a
/// password's own `&` is percent-encoded).
fn secret_value_len(value: &str, in_query: bool) -> usize {
    if let Some(quote) = value.chars().next().filter(|c| *c == '\'' || *c == '"') {
        let mut escaped = false;
        for (i, c) in value[1..].char_indices() {
            match c {
                '\\' if !escaped => escaped = true,
                c if c == quote && !escaped => return i + 2,
                _ => escaped = false,
            }
        }
        return value.len();
    }
    value
        .find(|c: char| (in_query && c == '&') || c.is_whitespace())
        .unwrap_or(value.len())
}

/// Masks the password field of `.pgpass` lines: a word of four
/// `:`-separated fields without white space, the second a port (digits or
/// `*`), then the password up to the end of the line.
fn redact_pgpass_lines(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let (body, newline) = match line.strip_suffix('\n') {
            Some(body) => (body, "\n"),
            None => (line, ""),
        };
        let mut masked = None;
        let mut word_start = 0;
        while word_start < body.len() {
            if let Some(cut) = pgpass_password_start(&body[word_start..]) {
                masked = Some(format!("{}{MASK}", &body[..word_start + cut]));
                break;
            }
            match body[word_start..].find(char::is_whitespace) {
                Some(space) => {
                    let next = word_start + space;
                    word_start = next + body[next..].len() - body[next..].trim_start().len();
                }
                None => break,
            }
        }
        out.push_str(masked.as_deref().unwrap_or(body));
        out.push_str(newline);
    }
    out
}

/// Where the password starts in `text` if it opens with `host:port:db:user:`.
fn pgpass_password_start(text: &str) -> Option<usize> {
    let mut fields = 0;
    let mut field_start = 0;
    let mut escaped = false;
    for (i, c) in text.char_indices() {
        if c.is_whitespace() {
            return None;
        }
        match c {
            '\\' if !escaped => escaped = true,
            ':' if !escaped => {
                let field = &text[field_start..i];
                let ok = match fields {
                    1 => field == "*" || (!field.is_empty() && field.bytes().all(|b| b.is_ascii_digit())),
                    _ => !field.is_empty(),
                };
                if !ok {
                    return None;
                }
                fields += 1;
                field_start = i + 1;
                if fields == 4 {
                    return (i + 1 < text.len()).then_some(i + 1);
                }
            }
            _ => escaped = false,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn url_password_is_masked() {
        assert_eq!(
            redact("postgresql://app:s3cret@db.example.com:5432/farm"),
            "postgresql://app:***@db.example.com:5432/farm"
        );
    }

    #[test]
    fn url_without_password_is_unchanged() {
        let url = "postgresql://app@localhost/farm?passfile=/x/pgpass";
        assert_eq!(redact(url), url);
    }

    #[test]
    fn password_with_at_and_slash_is_masked_whole() {
        let out = redact("postgres://u:p@ss/w:rd@host/db");
        assert_eq!(out, "postgres://u:***@host/db");
    }

    #[test]
    fn query_and_keyvalue_passwords_are_masked() {
        assert_eq!(
            redact("postgresql://h/db?sslmode=require&password=abc&x=1"),
            "postgresql://h/db?sslmode=require&password=***&x=1"
        );
        assert_eq!(
            redact("host=h password='a b\\' c' dbname=x"),
            "host=h password=*** dbname=x"
        );
        assert_eq!(redact("host=h PASSWORD = xyz"), "host=h PASSWORD = ***");
    }

    #[test]
    fn malformed_url_is_still_masked() {
        let out = redact("postgresql://app:hunter2@@:notaport/db");
        assert!(!out.contains("hunter2"), "{out}");
    }

    #[test]
    fn urls_without_a_scheme_separator_are_masked() {
        for (text, shown) in [
            ("postgres//app:pw1@host/db", "postgres//app:***@host/db"),
            ("postgresql:/app:pw1@host/db", "postgresql:***@host/db"),
            ("app:pw1@host/db", "app:***@host/db"),
            ("//app:pw1@host/db", "//app:***@host/db"),
            ("postgresql:app:pw1@host/db", "postgresql:***@host/db"),
        ] {
            assert_eq!(redact(text), shown);
        }
    }

    #[test]
    fn urls_inside_free_text_are_masked_one_by_one() {
        assert_eq!(
            redact("psql \"postgresql://app:pw1@h/db\" -c 'drop table x' # mail me@example.com"),
            "psql \"postgresql://app:***@h/db\" -c 'drop table x' # mail me@example.com"
        );
        assert_eq!(
            redact("label postgresql://a:p%40ss@h/db and mysql://b:q@h2"),
            "label postgresql://a:***@h/db and mysql://b:***@h2"
        );
    }

    #[test]
    fn password_assignments_and_flags_are_masked() {
        assert_eq!(redact("PGPASSWORD=pw1 psql -h h"), "PGPASSWORD=*** psql -h h");
        assert_eq!(redact("env PGPASSWORD='p w' psql"), "env PGPASSWORD=*** psql");
        assert_eq!(redact("X PGPASSWORD=\"p \\\" w\" y"), "X PGPASSWORD=*** y");
        assert_eq!(redact("tool --password=pw1 --db x"), "tool --password=*** --db x");
        assert_eq!(redact("DB_PASSWORD=pw1"), "DB_PASSWORD=***");
        assert_eq!(redact("passwordless=1"), "passwordless=1");
    }

    #[test]
    fn a_scheme_is_told_from_a_colon_slash_slash_in_a_password() {
        assert_eq!(
            redact("psql 'postgresql://me:pw@h/db' -c 'SELECT 1'"),
            "psql 'postgresql://me:***@h/db' -c 'SELECT 1'"
        );
        assert_eq!(
            redact("DATABASE_URL=postgres://me:pw@h/db"),
            "DATABASE_URL=postgres://me:***@h/db"
        );
        assert_eq!(redact("postgres//me:pa://ss@h/db"), "postgres//me:***@h/db");
    }

    #[test]
    fn pgpass_lines_are_masked() {
        assert_eq!(
            redact("localhost:5432:farm:app:s3 cret\n*:*:*:*:x\nnot:a:pgpass:line"),
            "localhost:5432:farm:app:***\n*:*:*:*:***\nnot:a:pgpass:line"
        );
        assert_eq!(
            redact("echo 'h:5432:db:u:p@ss' >> ~/.pgpass"),
            "echo 'h:5432:db:u:***"
        );
        assert_eq!(redact("at 12:30 ok"), "at 12:30 ok");
    }

    #[test]
    fn json_strings_are_masked_in_place() {
        let mut v = serde_json::json!({"reason": ["psql postgresql://a:pw1@h/db"], "n": 1});
        redact_json(&mut v);
        assert_eq!(
            v,
            serde_json::json!({"reason": ["psql postgresql://a:***@h/db"], "n": 1})
        );
    }

    proptest! {
        #[test]
        fn no_password_survives_in_a_url(
            user in "[a-z]{1,8}",
            password in "[!-~]{4,24}",
            host in "[a-z]{1,10}",
        ) {
            // A password made only of separators could coincide with the
            // surrounding text; require some letter or digit in it.
            prop_assume!(password.chars().any(|c| c.is_ascii_alphanumeric()));
            prop_assume!(!"postgresql://@:/db".contains(&password));
            let url = format!("postgresql://{user}:{password}@{host}/db");
            let out = redact(&url);
            prop_assert!(!out.contains(&format!(":{password}@")), "{}", out);
            prop_assert!(out.starts_with(&format!("postgresql://{user}:***@")), "{}", out);
        }

        #[test]
        fn no_password_survives_in_keyvalue(password in "[A-Za-z0-9]{6,24}") {
            let text = format!("host=localhost password={password} dbname=farm");
            prop_assert!(!redact(&text).contains(&password));
        }
    }
}
