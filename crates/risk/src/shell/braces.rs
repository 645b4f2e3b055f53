//! Brace expansion, as bash does it before running a command:
//! `{dropdb,farm}` is the two words `dropdb farm`, `x{a,b}` is `xa xb`,
//! `{1..3}` is `1 2 3`. It works on a word's source text, outside quotes
//! and not after `$` (`${var}`); each alternative is then parsed as a word
//! again, so quoting inside the braces keeps its meaning.

/// The most words one word may expand to; past it the word is left as it
/// is (and a command built from it is not guessed at).
const MAX_WORDS: usize = 256;

/// The source texts `raw` expands to, or `None` when it has no brace
/// expansion (or expands past [`MAX_WORDS`]).
pub fn expand(raw: &str) -> Option<Vec<String>> {
    let mut words = vec![raw.to_string()];
    let mut expanded = false;
    loop {
        let mut next = Vec::new();
        let mut changed = false;
        for word in &words {
            match expand_first(word) {
                Some(parts) => {
                    changed = true;
                    next.extend(parts);
                }
                None => next.push(word.clone()),
            }
            if next.len() > MAX_WORDS {
                return None;
            }
        }
        if !changed {
            break;
        }
        expanded = true;
        words = next;
    }
    expanded.then_some(words)
}

/// Expands the first brace group of `raw` that is an expansion.
fn expand_first(raw: &str) -> Option<Vec<String>> {
    let bytes = raw.as_bytes();
    let mut quote: Option<u8> = None;
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        match (quote, c) {
            (_, b'\\') if quote != Some(b'\'') => i += 1,
            (None, b'\'' | b'"') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, b'{') if i == 0 || bytes[i - 1] != b'$' => {
                if let Some((close, commas)) = group(bytes, i) {
                    let (prefix, body, suffix) = (&raw[..i], &raw[i + 1..close], &raw[close + 1..]);
                    let alternatives: Vec<String> = if commas.is_empty() {
                        sequence(body)?
                    } else {
                        let mut parts = Vec::new();
                        let mut from = i + 1;
                        for &comma in &commas {
                            parts.push(raw[from..comma].to_string());
                            from = comma + 1;
                        }
                        parts.push(raw[from..close].to_string());
                        parts
                    };
                    return Some(
                        alternatives
                            .into_iter()
                            .map(|alt| format!("{prefix}{alt}{suffix}"))
                            .collect(),
                    );
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// The `}` closing the `{` at `open`, and the top-level commas between,
/// when the group is an expansion (a comma, or a `..` sequence).
fn group(bytes: &[u8], open: usize) -> Option<(usize, Vec<usize>)> {
    let mut depth = 0;
    let mut quote: Option<u8> = None;
    let mut commas = Vec::new();
    let mut i = open + 1;
    while i < bytes.len() {
        let c = bytes[i];
        match (quote, c) {
            (_, b'\\') if quote != Some(b'\'') => i += 1,
            (None, b'\'' | b'"') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, b'{') => depth += 1,
            (None, b'}') if depth > 0 => depth -= 1,
            (None, b'}') => {
                let body = std::str::from_utf8(&bytes[open + 1..i]).ok()?;
                return (!commas.is_empty() || sequence(body).is_some()).then_some((i, commas));
            }
            (None, b',') if depth == 0 => commas.push(i),
            _ => {}
        }
        i += 1;
    }
    None
}

/// `1..5`, `5..1`, `a..e`, with an optional `..step`.
fn sequence(body: &str) -> Option<Vec<String>> {
    let parts: Vec<&str> = body.split("..").collect();
    let (from, to, step) = match parts.as_slice() {
        [from, to] => (*from, *to, 1),
        [from, to, step] => (*from, *to, step.parse::<i64>().ok()?.unsigned_abs().max(1) as i64),
        _ => return None,
    };
    if let (Ok(a), Ok(b)) = (from.parse::<i64>(), to.parse::<i64>()) {
        let count = (a - b).unsigned_abs() / step as u64 + 1;
        if count as usize > MAX_WORDS {
            return None;
        }
        let dir = if b >= a { step } else { -step };
        return Some((0..count as i64).map(|k| (a + k * dir).to_string()).collect());
    }
    let (a, b) = (single_char(from)?, single_char(to)?);
    let (lo, hi) = (a.min(b) as u32, a.max(b) as u32);
    let mut chars: Vec<String> = (lo..=hi)
        .step_by(step as usize)
        .filter_map(char::from_u32)
        .map(String::from)
        .collect();
    if a > b {
        chars.reverse();
    }
    Some(chars)
}

fn single_char(text: &str) -> Option<char> {
    let mut chars = text.chars();
    let c = chars.next().filter(char::is_ascii_alphabetic)?;
    chars.next().is_none().then_some(c)
}

#[cfg(test)]
mod tests {
    use super::expand;

    #[test]
    fn words_expand_as_bash_expands_them() {
        assert_eq!(expand("{dropdb,v1}").unwrap(), ["dropdb", "v1"]);
        assert_eq!(expand("x{dropdb,}").unwrap(), ["xdropdb", "x"]);
        assert_eq!(expand("file{,.bak}").unwrap(), ["file", "file.bak"]);
        assert_eq!(expand("{a,b}{1,2}").unwrap(), ["a1", "a2", "b1", "b2"]);
        assert_eq!(expand("{a,{b,c}}").unwrap(), ["a", "b", "c"]);
        assert_eq!(
            expand("{psql,-c,'DROP TABLE t'}").unwrap(),
            ["psql", "-c", "'DROP TABLE t'"]
        );
        assert_eq!(expand("v{1..3}").unwrap(), ["v1", "v2", "v3"]);
        assert_eq!(expand("{c..a}").unwrap(), ["c", "b", "a"]);
        assert_eq!(expand("{a}"), None);
        assert_eq!(expand("${HOME}"), None);
        assert_eq!(expand("'{a,b}'"), None);
        assert_eq!(expand("\\{a,b}"), None);
        assert_eq!(expand("{1..100000}"), None);
    }
}
