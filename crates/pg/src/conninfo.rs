//! libpq's key=value connection strings (`host=h dbname='my db'`): split
//! into pairs and written back, so that dbguard can take out the parameters
//! the driver does not handle the way libpq does (the TLS ones).

/// Splits `text` into its `key=value` pairs, in order. Values may be
/// single-quoted; a backslash escapes the next character, as in libpq.
pub fn parse(text: &str) -> Result<Vec<(String, String)>, String> {
    let mut pairs = Vec::new();
    let mut chars = text.chars().peekable();
    loop {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        if chars.peek().is_none() {
            return Ok(pairs);
        }
        let mut key = String::new();
        while let Some(c) = chars.next_if(|c| *c != '=' && !c.is_whitespace()) {
            key.push(c);
        }
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        if chars.next() != Some('=') {
            // Not quoted: a stray word may be part of an unquoted password.
            return Err("a word is not followed by `=` and a value (quote values with spaces)".into());
        }
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        let mut value = String::new();
        if chars.next_if_eq(&'\'').is_some() {
            loop {
                match chars.next() {
                    None => return Err(format!("the value of `{key}` has no closing quote")),
                    Some('\'') => break,
                    Some('\\') => value.extend(chars.next()),
                    Some(c) => value.push(c),
                }
            }
        } else {
            while let Some(c) = chars.next_if(|c| !c.is_whitespace()) {
                if c == '\\' {
                    value.extend(chars.next());
                } else {
                    value.push(c);
                }
            }
        }
        pairs.push((key, value));
    }
}

/// `key='value'` with quotes and backslashes escaped.
pub fn pair(key: &str, value: &str) -> String {
    format!("{key}='{}'", value.replace('\\', "\\\\").replace('\'', "\\'"))
}

/// The pairs written back as one string.
pub fn join<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    pairs
        .into_iter()
        .map(|(k, v)| pair(k, v))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_escaped_and_spaced_values_round_trip() {
        let text = r"host=h  port = 5432 dbname='my \'db\'' password=a\ b sslmode=verify-full";
        let pairs = parse(text).unwrap();
        let expected = [
            ("host", "h"),
            ("port", "5432"),
            ("dbname", "my 'db'"),
            ("password", "a b"),
            ("sslmode", "verify-full"),
        ];
        let got: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        assert_eq!(got, expected);
        let again = parse(&join(got.iter().copied())).unwrap();
        assert_eq!(again, pairs);
    }

    #[test]
    fn broken_strings_are_errors() {
        assert!(parse("host").unwrap_err().contains("not followed by `=`"));
        assert!(!parse("password=a secret").unwrap_err().contains("secret"));
        assert!(parse("dbname='open").unwrap_err().contains("closing quote"));
    }
}
