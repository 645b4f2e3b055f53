//! String literals of JavaScript/TypeScript, Python and Ruby source, with
//! the code around them blanked of strings and comments.
//!
//! A hand-written lexer rather than tree-sitter: the classifier only needs
//! each literal's text and whether it is glued to other text (`+`, `%`,
//! `.format`, a template hole), and tree-sitter's three grammars would add
//! several megabytes of generated C and a parse per language for the same
//! answer. The lexer is linear in the input and never fails: an unclosed
//! literal runs to the end of the text.

/// The source language, for its quoting rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// JavaScript and TypeScript: `'…'`, `"…"`, `` `…${x}…` ``, `//`, `/* */`.
    JavaScript,
    /// Python: `'…'`, `"…"`, triple quotes, `r`/`f`/`b` prefixes, `#`.
    Python,
    /// Ruby: `'…'`, `"…#{x}…"`, `` `…#{x}…` `` (a command), `%q(…)`, `%Q(…)`,
    /// heredocs not followed, `#`.
    Ruby,
}

/// One string literal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Literal {
    /// Its text, with interpolation holes (`${x}`, `{x}`, `#{x}`) as `$1`.
    pub text: String,
    /// It had interpolation holes.
    pub interpolated: bool,
    /// Byte offset of its opening quote in the source.
    pub start: usize,
    /// Byte offset after its closing quote.
    pub end: usize,
}

/// The literals of `source`, and the source with every literal's content and
/// every comment replaced by spaces (quotes kept), for finding calls.
pub fn scan(source: &str, lang: Lang) -> (Vec<Literal>, String) {
    let bytes = source.as_bytes();
    let mut code = bytes.to_vec();
    let mut literals = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        let comment_end = match (lang, c, bytes.get(i + 1)) {
            (Lang::JavaScript, b'/', Some(b'/')) | (Lang::Python | Lang::Ruby, b'#', _) => {
                Some(source[i..].find('\n').map_or(bytes.len(), |n| i + n))
            }
            (Lang::JavaScript, b'/', Some(b'*')) => {
                Some(source[i + 2..].find("*/").map_or(bytes.len(), |n| i + n + 4))
            }
            _ => None,
        };
        if let Some(end) = comment_end {
            blank(&mut code, i, end);
            i = end;
            continue;
        }
        let quote = match c {
            b'\'' | b'"' => Some(c),
            // JavaScript's template literals; Ruby's command literals.
            b'`' if lang != Lang::Python => Some(c),
            _ => None,
        };
        let Some(quote) = quote else {
            i += 1;
            continue;
        };
        let prefix = python_prefix(bytes, i, lang);
        let triple = lang == Lang::Python && bytes[i..].starts_with(&[quote, quote, quote]);
        let open = if triple { 3 } else { 1 };
        let holes = match lang {
            Lang::JavaScript => quote == b'`',
            Lang::Python => prefix.contains('f'),
            Lang::Ruby => quote != b'\'',
        };
        let raw = prefix.contains('r');
        let (literal, end) = read_literal(source, i + open, quote, triple, holes, raw, lang);
        blank(&mut code, i + open, end.saturating_sub(open).max(i + open));
        literals.push(Literal {
            interpolated: literal.1,
            text: literal.0,
            start: i,
            end,
        });
        i = end;
    }
    (literals, String::from_utf8_lossy(&code).into_owned())
}

fn blank(code: &mut [u8], start: usize, end: usize) {
    let len = code.len();
    for b in &mut code[start.min(len)..end.min(len)] {
        if *b != b'\n' {
            *b = b' ';
        }
    }
}

/// The letters before a Python quote (`f`, `rb`, …).
fn python_prefix(bytes: &[u8], quote: usize, lang: Lang) -> String {
    if lang != Lang::Python {
        return String::new();
    }
    let mut start = quote;
    while start > 0 && bytes[start - 1].is_ascii_alphabetic() && quote - start < 2 {
        start -= 1;
    }
    let before_ok = start == 0 || !(bytes[start - 1].is_ascii_alphanumeric() || bytes[start - 1] == b'_');
    match before_ok {
        true => String::from_utf8_lossy(&bytes[start..quote]).to_lowercase(),
        false => String::new(),
    }
}

/// Reads a literal's body from `start`; its text (holes as `$1`), whether it
/// had holes, and the offset after its closing quote.
fn read_literal(
    source: &str,
    start: usize,
    quote: u8,
    triple: bool,
    holes: bool,
    raw: bool,
    lang: Lang,
) -> ((String, bool), usize) {
    let bytes = source.as_bytes();
    let mut text = String::new();
    let mut had_holes = false;
    let mut i = start;
    while i < bytes.len() {
        let c = bytes[i];
        if c == b'\\' && !raw {
            if let Some(next) = source[i + 1..].chars().next() {
                text.push(match next {
                    'n' => '\n',
                    't' => '\t',
                    other => other,
                });
                i += 1 + next.len_utf8();
                continue;
            }
        }
        if c == quote && (!triple || bytes[i..].starts_with(&[quote, quote, quote])) {
            return ((text, had_holes), i + if triple { 3 } else { 1 });
        }
        if !triple && c == b'\n' && quote != b'`' && lang != Lang::Ruby {
            return ((text, had_holes), i);
        }
        let hole_open = match lang {
            Lang::JavaScript => bytes[i..].starts_with(b"${"),
            Lang::Python => c == b'{' && bytes.get(i + 1) != Some(&b'{'),
            Lang::Ruby => bytes[i..].starts_with(b"#{"),
        };
        if holes && hole_open {
            let open_at = source[i..].find('{').map_or(i, |n| i + n);
            let close = matching(bytes, open_at, usize::MAX).unwrap_or(bytes.len());
            text.push_str("$1");
            had_holes = true;
            i = (close + 1).min(bytes.len());
            continue;
        }
        let ch = source[i..].chars().next().unwrap_or(' ');
        text.push(ch);
        i += ch.len_utf8();
    }
    ((text, had_holes), bytes.len())
}

/// The offset of the byte closing the one at `open` (`{`→`}`, `(`→`)`),
/// nested pairs skipped; looks at most `limit` bytes ahead.
pub fn matching(bytes: &[u8], open: usize, limit: usize) -> Option<usize> {
    let (opener, closer) = match bytes.get(open)? {
        b'{' => (b'{', b'}'),
        b'(' => (b'(', b')'),
        b'[' => (b'[', b']'),
        _ => return None,
    };
    let mut depth = 0usize;
    for (offset, &b) in bytes[open..].iter().enumerate().take(limit) {
        if b == opener {
            depth += 1;
        } else if b == closer {
            depth -= 1;
            if depth == 0 {
                return Some(open + offset);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn javascript_literals_and_templates() {
        let (lits, code) = scan(
            "// 'no'\nq(`DELETE FROM t WHERE id = ${id}`); x = \"a\" + 'b'",
            Lang::JavaScript,
        );
        let texts: Vec<&str> = lits.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(texts, ["DELETE FROM t WHERE id = $1", "a", "b"]);
        assert!(lits[0].interpolated);
        assert!(!code.contains("no") && !code.contains("DELETE"));
    }

    #[test]
    fn python_prefixes_and_triple_quotes() {
        let (lits, _) = scan(
            "c.execute(f\"DELETE FROM t WHERE id = {i}\")\nq = '''DROP\nTABLE x'''\n# 'x'",
            Lang::Python,
        );
        let texts: Vec<&str> = lits.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(texts, ["DELETE FROM t WHERE id = $1", "DROP\nTABLE x"]);
    }

    #[test]
    fn ruby_interpolation() {
        let (lits, _) = scan("conn.execute(\"TRUNCATE #{t}\") # 'c'", Lang::Ruby);
        assert_eq!(lits[0].text, "TRUNCATE $1");
    }
}
