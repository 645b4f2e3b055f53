//! Where a migration stops parsing. PostgreSQL's parser reports the token
//! it choked on ("syntax error at or near \"COLUM\"") but pg_query keeps
//! only the message, so the position is found again: the first statement
//! that does not parse alone, then the first occurrence of that token in it
//! at which the text before and including it no longer parses as a prefix.

/// The byte offset of the parse error `message` in `sql`.
pub(crate) fn error_offset(sql: &str, message: &str) -> usize {
    let Ok(pieces) = pg_query::split_with_scanner(sql) else {
        return near(message).and_then(|token| sql.find(token)).unwrap_or(0);
    };
    let base = sql.as_ptr() as usize;
    let Some(piece) = pieces.iter().find(|p| pg_query::parse(p, 0).is_err()) else {
        return 0;
    };
    let start = piece.as_ptr() as usize - base;
    let Some(token) = near(message) else {
        // "at end of input": the error is where the statement ends.
        return start + piece.trim_end().len();
    };
    let Ok(tokens) = pg_query::scan_tokens(piece) else {
        return start + piece.find(token).unwrap_or(0);
    };
    let candidates = tokens
        .iter()
        .filter(|t| piece.get(t.start as usize..t.end as usize) == Some(token));
    for t in candidates.clone() {
        let prefix = &piece[..t.end as usize];
        match pg_query::parse(prefix, 0) {
            Err(pg_query::Error::Parse(m)) if !m.contains("at end of input") => {
                return start + t.start as usize
            }
            _ => {}
        }
    }
    // Not in the statement: the token that ends it (`;`).
    start
        + candidates
            .map(|t| t.start as usize)
            .next()
            .unwrap_or(piece.trim_end().len())
}

/// The token of "… at or near \"TOKEN\"".
fn near(message: &str) -> Option<&str> {
    let rest = &message[message.find("at or near \"")? + "at or near \"".len()..];
    rest.rfind('"').map(|end| &rest[..end])
}
