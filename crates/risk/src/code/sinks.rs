//! Calls that run a shell command, code or SQL given as their argument
//! (`execSync`, `os.system`, `subprocess.run`, `system`, `eval`, `exec`,
//! `Function`, `vm.runIn…`, `.query`, `.execute`, `$executeRaw…`), found in
//! code with its strings blanked, when that argument is not one plain
//! literal: the text is built at run time (`'drop'+'db x'`,
//! `['TRUN','CATE t'].join('')`, `Buffer.from(…, 'base64')`,
//! `process.argv[1]`), so what it runs cannot be read. And Prisma client
//! methods named by a computed property (`p.user['delete'+'Many']()`).
//! Meant for code written on the command line, where a built argument is
//! the spelling of a bypass rather than an application's normal code.

use super::literals::{matching, Literal};
use super::orm::method_calls;

/// What a sink runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Runs {
    /// A shell command or a program.
    Command,
    /// Code of the language itself.
    Code,
    /// SQL.
    Sql,
}

/// A sink called with an argument built at run time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sink {
    /// What it runs.
    pub runs: Runs,
    /// The function or method called.
    pub name: String,
    /// The call as written.
    pub text: String,
}

/// Functions and methods that run their first argument.
const SINKS: &[(&str, Runs)] = &[
    ("execSync", Runs::Command),
    ("exec", Runs::Command),
    ("execFile", Runs::Command),
    ("execFileSync", Runs::Command),
    ("spawn", Runs::Command),
    ("spawnSync", Runs::Command),
    ("system", Runs::Command),
    ("popen", Runs::Command),
    ("run", Runs::Command),
    ("call", Runs::Command),
    ("check_call", Runs::Command),
    ("check_output", Runs::Command),
    ("getoutput", Runs::Command),
    ("getstatusoutput", Runs::Command),
    ("Popen", Runs::Command),
    ("shell_exec", Runs::Command),
    ("passthru", Runs::Command),
    ("proc_open", Runs::Command),
    ("qx", Runs::Command),
    ("eval", Runs::Code),
    ("Function", Runs::Code),
    ("compile", Runs::Code),
    ("runInNewContext", Runs::Code),
    ("runInThisContext", Runs::Code),
    ("runInContext", Runs::Code),
    ("Script", Runs::Code),
    ("instance_eval", Runs::Code),
    ("class_eval", Runs::Code),
    ("query", Runs::Sql),
    ("execute", Runs::Sql),
    ("executemany", Runs::Sql),
    ("executescript", Runs::Sql),
    ("$executeRaw", Runs::Sql),
    ("$executeRawUnsafe", Runs::Sql),
    ("$queryRaw", Runs::Sql),
    ("$queryRawUnsafe", Runs::Sql),
    ("raw", Runs::Sql),
    ("unsafe", Runs::Sql),
];

/// Receivers of `run`/`call`, which are too common a name to be sinks on their own.
const RUN_RECEIVERS: &[&str] = &["subprocess.", "sp."];

/// The sinks of `code` (strings blanked; `source` unblanked) whose first
/// argument is not one plain literal.
pub fn dynamic(code: &str, source: &str, literals: &[Literal]) -> Vec<Sink> {
    let mut found = Vec::new();
    for (at, name, args) in method_calls(code) {
        let Some(&(_, runs)) = SINKS.iter().find(|(sink, _)| *sink == name) else {
            continue;
        };
        let before = &code[..at];
        if matches!(name, "run" | "call") && !RUN_RECEIVERS.iter().any(|r| before.ends_with(r)) {
            continue;
        }
        // `re.compile(…)`, `regex.exec(…)`-like methods of other objects are
        // not told apart; `x.compile` is only Python's builtin when bare.
        if name == "compile" && before.ends_with('.') {
            continue;
        }
        let open = at + name.len();
        let first = first_argument(code, open + 1, open + 1 + args.len());
        if plain(code, first, literals)
            || (runs == Runs::Sql
                && (visible_sql(first, literals) || statement_object(code, first, literals)))
        {
            continue;
        }
        found.push(Sink {
            runs,
            name: name.to_string(),
            text: source
                .get(at..open + args.len() + 2)
                .unwrap_or_default()
                .to_string(),
        });
    }
    found
}

/// The byte range of the first argument in `code[start..end]` (up to a
/// comma outside brackets), trimmed.
fn first_argument(code: &str, start: usize, end: usize) -> (usize, usize) {
    let bytes = code.as_bytes();
    let mut depth = 0usize;
    let mut stop = end;
    for (i, &b) in bytes.iter().enumerate().take(end).skip(start) {
        match b {
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            b',' if depth == 0 => {
                stop = i;
                break;
            }
            _ => {}
        }
    }
    let text = &code[start..stop];
    let lead = text.len() - text.trim_start().len();
    (start + lead, start + text.trim_end().len())
}

/// Whether the argument is a query builder's statement, which the ORM
/// rules judge (SQLAlchemy's `delete(Farm).where(…)`), or `text(…)` of one
/// plain literal, whose SQL is read as a literal.
fn statement_object(code: &str, (start, end): (usize, usize), literals: &[Literal]) -> bool {
    let argument = &code[start..end];
    let Some(open) = argument.find('(') else {
        return false;
    };
    let callee = argument[..open].trim_end();
    let name = callee.rsplit('.').next().unwrap_or_default();
    if !callee
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.'))
    {
        return false;
    }
    match name {
        "select" | "insert" => true,
        // A model class, as the ORM rules read it (`delete(Farm)`).
        "delete" | "update" => argument[open + 1..]
            .trim_start()
            .starts_with(|c: char| c.is_ascii_uppercase()),
        "text" => matching(code.as_bytes(), start + open, end - start - open).is_some_and(|close| {
            close == end - 1 && plain(code, first_argument(code, start + open + 1, close), literals)
        }),
        _ => false,
    }
}

/// Whether a literal in the argument is SQL whose statement is readable
/// (`'SELECT … WHERE id = ' + id`): joining strings is judged by its verb
/// elsewhere ([`super::glued`]).
fn visible_sql((start, end): (usize, usize), literals: &[Literal]) -> bool {
    literals
        .iter()
        .filter(|l| l.start >= start && l.end <= end)
        .any(|l| {
            let mut words = l.text.split_whitespace();
            let verb = words.next().unwrap_or_default().to_uppercase();
            words.next().is_some() && super::SHAPES.iter().any(|(k, _)| *k == verb)
        })
}

/// Whether `code[range]` is empty, one literal without holes, or a list of them.
fn plain(code: &str, (start, end): (usize, usize), literals: &[Literal]) -> bool {
    if start >= end {
        return true;
    }
    let single = |s: usize, e: usize| {
        literals
            .iter()
            .any(|l| l.start == s && l.end == e && !l.interpolated)
    };
    if single(start, end) {
        return true;
    }
    let bytes = code.as_bytes();
    if bytes[start] == b'[' && matching(bytes, start, end - start) == Some(end - 1) {
        let inside: Vec<&Literal> = literals
            .iter()
            .filter(|l| l.start > start && l.end < end)
            .collect();
        let mut rest = code[start + 1..end - 1].to_string();
        for literal in &inside {
            if literal.interpolated {
                return false;
            }
            let (s, e) = (literal.start - start - 1, literal.end - start - 1);
            rest.replace_range(s..e, &" ".repeat(e - s));
        }
        return rest.chars().all(|c| c.is_whitespace() || c == ',');
    }
    false
}

/// `source` with computed members named by a plain literal written as
/// dotted ones (`p['user']['deleteMany']()` → `p.user.deleteMany()`), and
/// whether a method is called through a member computed at run time
/// (`p.user['delete'+'Many']()`, `p.user[m]()`).
pub fn members(code: &str, source: &str, literals: &[Literal]) -> (Option<String>, bool) {
    let bytes = code.as_bytes();
    let mut dotted = source.to_string();
    let mut changed = false;
    let mut computed_call = false;
    // From the end, so earlier offsets stay valid.
    for (open, _) in code.match_indices('[').collect::<Vec<_>>().into_iter().rev() {
        let receiver = code[..open].trim_end();
        if !receiver.ends_with(|c: char| c.is_alphanumeric() || matches!(c, '_' | '$' | ']' | ')')) {
            continue;
        }
        let Some(close) = matching(bytes, open, 4096) else {
            continue;
        };
        let literal = literals
            .iter()
            .find(|l| l.start == open + 1 && l.end == close && !l.interpolated)
            .filter(|l| {
                !l.text.is_empty()
                    && l.text
                        .chars()
                        .all(|c| c.is_alphanumeric() || c == '_' || c == '$')
            });
        match literal {
            Some(literal) => {
                dotted.replace_range(open..=close, &format!(".{}", literal.text));
                changed = true;
            }
            None => computed_call |= code[close + 1..].trim_start().starts_with('('),
        }
    }
    (changed.then_some(dotted), computed_call)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::code::{scan, Lang};

    fn sinks(source: &str, lang: Lang) -> Vec<String> {
        let (literals, code) = scan(source, lang);
        dynamic(&code, source, &literals)
            .into_iter()
            .map(|s| s.name)
            .collect()
    }

    #[test]
    fn built_arguments_are_sinks() {
        let js = Lang::JavaScript;
        assert_eq!(
            sinks("execSync('npx prisma '+'migrate re'+'set')", js),
            ["execSync"]
        );
        assert_eq!(sinks("c.query(process.argv[1])", js), ["query"]);
        assert_eq!(sinks("c.query(['TRUN','CATE t'].join(''))", js), ["query"]);
        assert_eq!(sinks("os.system('drop'+'db x')", Lang::Python), ["system"]);
        assert_eq!(sinks("subprocess.run(cmd, shell=True)", Lang::Python), ["run"]);
        assert!(sinks("execSync('ls -l', {stdio: 'inherit'})", js).is_empty());
        assert!(sinks("subprocess.run(['ls', '-l'])", Lang::Python).is_empty());
        assert!(sinks("c.query('SELECT 1', [id])", js).is_empty());
        assert!(sinks("db.query('SELECT * FROM t WHERE id = ' + id)", js).is_empty());
        assert!(sinks("app.run(port)", Lang::Python).is_empty());
        assert!(sinks("re.compile(pattern)", Lang::Python).is_empty());
    }

    #[test]
    fn computed_members() {
        let source = "p['user']['deleteMany']()";
        let (literals, code) = scan(source, Lang::JavaScript);
        assert_eq!(
            members(&code, source, &literals),
            (Some("p.user.deleteMany()".to_string()), false)
        );
        let source = "p.user['delete'+'Many']()";
        let (literals, code) = scan(source, Lang::JavaScript);
        assert!(members(&code, source, &literals).1);
        let source = "x = a[i] + b['k']";
        let (literals, code) = scan(source, Lang::JavaScript);
        assert!(!members(&code, source, &literals).1);
    }
}
