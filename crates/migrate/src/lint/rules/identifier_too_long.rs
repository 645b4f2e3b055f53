//! Identifiers over 63 bytes: PostgreSQL truncates them with only a notice,
//! so the object gets a name other than the one written (and two long
//! names can collide).

use super::LintRule;
use crate::lint::context::Context;
use crate::lint::Diagnostic;

/// The rule.
pub const RULE: LintRule = LintRule {
    id: "identifier-too-long",
    risk: dbguard_risk::Risk::Medium,
    summary: "an identifier over 63 bytes is silently truncated, so the object gets another name than the one written",
    help: "use a name of at most 63 bytes",
};

/// The most bytes PostgreSQL keeps of an identifier (NAMEDATALEN - 1).
const MAX: usize = 63;

/// Whether the text has any run of more than [`MAX`] bytes that could be
/// one identifier: the cheap test before the scanner runs.
fn may_have_long(sql: &str) -> bool {
    let mut run = 0;
    let mut quoted = false;
    for b in sql.bytes() {
        if b == b'"' {
            quoted = !quoted;
        }
        if quoted || b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b == b'"' || b >= 0x80 {
            run += 1;
            if run > MAX {
                return true;
            }
        } else {
            run = 0;
        }
    }
    false
}

pub(crate) fn check(cx: &Context, out: &mut Vec<Diagnostic>) {
    if !may_have_long(cx.sql) {
        return;
    }
    let Ok(tokens) = pg_query::scan_tokens(cx.sql) else {
        return;
    };
    for t in tokens {
        if t.token != pg_query::protobuf::Token::Ident as i32 {
            continue;
        }
        let (start, end) = (t.start as usize, t.end as usize);
        let Some(text) = cx.sql.get(start..end) else {
            continue;
        };
        let name = match text.strip_prefix('"').and_then(|t| t.strip_suffix('"')) {
            Some(quoted) => quoted.replace("\"\"", "\""),
            None => text.to_lowercase(),
        };
        if name.len() > MAX {
            let Some(at) = cx.statement_at(start) else {
                continue;
            };
            let mut d = cx.diagnostic(
                RULE,
                at,
                format!(
                    "identifier {text} is {} bytes and will be truncated to {MAX}",
                    name.len()
                ),
            );
            let span = cx.lines.span(cx.sql, start, 0);
            (d.line, d.column) = (span.line, span.column);
            out.push(d);
        }
    }
}
