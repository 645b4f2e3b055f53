//! Hiding secrets in connection strings before anything is printed or logged.
//!
//! Redaction works on text that may not parse: a malformed URL is exactly the
//! kind of input that ends up in an error message, so the functions here never
//! need a successful parse and err on the side of hiding too much.

/// What replaces a secret.
pub const MASK: &str = "***";

/// Query or key=value parameters whose values are secrets.
const SECRET_KEYS: &[&str] = &["password", "sslpassword"];

/// Returns `text` with every password hidden, whether it is a URL
/// (`postgresql://user:secret@host/db?password=...`) or a libpq key=value
/// string (`host=h password=secret`).
pub fn redact(text: &str) -> String {
    let masked = match text.find("://") {
        Some(scheme_end) => redact_url_userinfo(text, scheme_end + 3),
        None => text.to_string(),
    };
    redact_key_values(&masked)
}

/// Masks the password in `scheme://user:password@...`. The userinfo ends at the
/// last `@`, so a password holding `@`, `/` or `:` is still hidden whole.
fn redact_url_userinfo(text: &str, start: usize) -> String {
    let rest = &text[start..];
    let Some(at) = rest.rfind('@') else {
        return text.to_string();
    };
    let userinfo = &rest[..at];
    match userinfo.find(':') {
        Some(colon) => format!("{}{}:{}{}", &text[..start], &userinfo[..colon], MASK, &rest[at..]),
        None => text.to_string(),
    }
}

/// Masks `password=value` in query strings and key=value connection strings,
/// including quoted values (`password='a b'`).
fn redact_key_values(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(value_start) = find_secret_value(rest) {
        out.push_str(&rest[..value_start]);
        out.push_str(MASK);
        let value = &rest[value_start..];
        rest = &value[secret_value_len(value)..];
    }
    out.push_str(rest);
    out
}

/// Finds the earliest `<secret key>=` that starts a parameter and returns the
/// index of its value (just past `=` and any spaces after it).
fn find_secret_value(text: &str) -> Option<usize> {
    let lower = text.to_ascii_lowercase();
    let mut best: Option<(usize, usize)> = None;
    for key in SECRET_KEYS {
        let mut from = 0;
        while let Some(pos) = lower[from..].find(key).map(|p| p + from) {
            from = pos + key.len();
            let starts_param = pos == 0
                || matches!(
                    lower.as_bytes()[pos - 1],
                    b'?' | b'&' | b' ' | b'\t' | b'\n' | b';'
                );
            let after = lower[from..].trim_start();
            if starts_param && after.starts_with('=') {
                let eq = lower.len() - after.len();
                let value_start = eq + 1 + (lower[eq + 1..].len() - lower[eq + 1..].trim_start().len());
                if best.is_none_or(|(b, _)| pos < b) {
                    best = Some((pos, value_start));
                }
                break;
            }
        }
    }
    best.map(|(_, value_start)| value_start)
}

/// Length of a parameter value: a quoted value up to its closing quote, or an
/// unquoted one up to the next separator.
fn secret_value_len(value: &str) -> usize {
    if let Some(quoted) = value.strip_prefix('\'') {
        let mut escaped = false;
        for (i, c) in quoted.char_indices() {
            match c {
                '\\' if !escaped => escaped = true,
                '\'' if !escaped => return i + 2,
                _ => escaped = false,
            }
        }
        return value.len();
    }
    value
        .find(|c: char| c == '&' || c == '#' || c.is_whitespace())
        .unwrap_or(value.len())
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
