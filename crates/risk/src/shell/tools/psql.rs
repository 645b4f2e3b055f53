//! `psql`: the SQL it runs, from `-c`, `-f`, or standard input (a pipe, a
//! file, a here-document or here-string), is read and classified, including
//! the files its `\i` meta-commands include, its start-up file (`~/.psqlrc`
//! or `$PSQLRC`, unless `-X`), and the shell commands it runs: `\!`, and the
//! pipes its output goes to (`-o '|cmd'`, `\o |cmd`, `\g |cmd`, `\w |cmd`).

use super::super::ast::Word;
use super::super::opts::{read, Item, Spec};
use super::super::walk::{Input, InputText, Invocation, Scope, Walker};
use crate::rules::Rule;

const SPEC: Spec = Spec {
    short_values: "cdfhpUvPoLTFR",
    long_values: &[
        "command",
        "dbname",
        "file",
        "host",
        "port",
        "username",
        "set",
        "variable",
        "pset",
        "output",
        "log-file",
        "table-attr",
        "field-separator",
        "record-separator",
    ],
};

/// Classifies a `psql …` command.
pub fn classify(w: &mut Walker, inv: &Invocation, scope: &Scope) {
    let (items, _) = read(inv.args(), &SPEC, false);
    let mut ran_something = false;
    let mut lists_only = false;
    for item in &items {
        match item {
            Item::Value(name, sql) if name == "-c" || name == "--command" => {
                ran_something = true;
                command(w, sql, inv, scope);
            }
            Item::Value(name, file) if name == "-f" || name == "--file" => {
                ran_something = true;
                if file.text == "-" {
                    stdin(w, inv, scope);
                } else {
                    script_file(w, file, inv, scope, "psql runs");
                }
            }
            Item::Value(name, file)
                if name == "-o" || name == "--output" || name == "-L" || name == "--log-file" =>
            {
                output_pipe(w, &file.text, "psql -o", scope)
            }
            Item::Flag(name)
                if matches!(
                    name.as_str(),
                    "-l" | "--list" | "-V" | "--version" | "-?" | "--help"
                ) =>
            {
                lists_only = true
            }
            _ => {}
        }
    }
    let no_rc = items
        .iter()
        .any(|item| matches!(item, Item::Flag(name) if name == "-X" || name == "--no-psqlrc"));
    if !no_rc && !lists_only {
        user_startup_file(w, inv, scope);
    }
    if !ran_something && !lists_only {
        stdin(w, inv, scope);
    }
}

/// An output target that is a pipe (`|command`): psql runs the command,
/// which reads the query results, text only known at run time.
fn output_pipe(w: &mut Walker, target: &str, via: &str, scope: &Scope) {
    if let Some(command) = target.trim_start().strip_prefix('|') {
        let results = Input::Unknown("the results of psql's queries".to_string());
        w.nested_shell_with_input(command, format!("{via} |"), scope, results);
    } else if !target.trim().is_empty() {
        written_file(w, target, via, scope);
    }
}

/// psql writes its results over `file` (`\o FILE`, `\g FILE`, `\copy … TO
/// FILE`): judged as `tee FILE`, so a backup written over is high.
fn written_file(w: &mut Walker, file: &str, via: &str, scope: &Scope) {
    let file = file.trim().trim_matches(['\'', '"']);
    let inv = Invocation {
        words: vec![Word::literal("tee"), Word::literal(file)],
        stdin: Input::Unknown(format!("the results of {via}")),
        text: format!("{via} {file}"),
    };
    w.invocation(&inv, scope);
}

/// The start-up file psql reads before anything else: `$PSQLRC` or
/// `~/.psqlrc` of the user running the check (the agent's own).
fn user_startup_file(w: &mut Walker, inv: &Invocation, scope: &Scope) {
    let file = std::env::var_os("PSQLRC")
        .map(std::path::PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| std::path::Path::new(&home).join(".psqlrc")));
    if let Some(file) = file.filter(|f| f.is_absolute()) {
        let word = Word::literal(file.to_string_lossy());
        if let Ok((text, name)) = w.read_file(&word, scope) {
            if w.enter(&name, &inv.text) {
                psql_script(w, &text, inv, scope);
                w.leave();
            }
        }
    }
}

/// `PSQLRC=FILE` before a command: psql will run FILE first; one that
/// cannot be read is treated as the worst SQL it could hold.
pub fn startup_file(w: &mut Walker, file: &Word, text: &str, scope: &Scope) {
    let inv = Invocation {
        words: vec![Word::literal("psql")],
        stdin: Input::Terminal,
        text: text.to_string(),
    };
    script_file(w, file, &inv, scope, "PSQLRC names as psql's start-up file");
}

/// One `-c` argument: SQL, or a single backslash command.
fn command(w: &mut Walker, sql: &Word, inv: &Invocation, scope: &Scope) {
    if sql.dynamic {
        w.add(
            Rule::SqlUnreadable,
            format!("psql -c runs SQL only known at run time: {}", sql.text),
            &inv.text,
        );
    } else {
        psql_script(w, &sql.text, inv, scope);
    }
}

fn stdin(w: &mut Walker, inv: &Invocation, scope: &Scope) {
    if let Input::Dump { clean, origin } = &inv.stdin {
        return dump(w, inv, *clean, origin);
    }
    match w.read_input(&inv.stdin, scope) {
        InputText::Interactive => w.add(
            Rule::InteractiveSession,
            "psql opens an interactive session",
            &inv.text,
        ),
        InputText::Text(text, origin) => {
            if w.enter(&format!("psql reading {origin}"), &inv.text) {
                psql_script(w, &text, inv, scope);
                w.leave();
            }
        }
        InputText::Unreadable(why) => w.add(
            Rule::SqlUnreadable,
            format!("psql reads SQL that cannot be read: {why}"),
            &inv.text,
        ),
    }
}

/// `pg_dump … | psql TARGET`: a dump without `--clean` only creates and
/// fills objects, so loading it into a database this line just created is
/// low; with `--clean`, or into a database that may hold tables, it is high.
fn dump(w: &mut Walker, inv: &Invocation, clean: bool, origin: &str) {
    let (items, _) = read(inv.args(), &SPEC, false);
    let target = items
        .iter()
        .find_map(|item| match item {
            Item::Value(name, db) if name == "-d" || name == "--dbname" => Some(db.text.clone()),
            Item::Operand(db) => Some(db.text.clone()),
            _ => None,
        })
        .unwrap_or_default();
    if clean {
        let message = format!("`{origin}` emits a DROP for every object, run in {target}");
        return w.add(Rule::PgRestoreClean, message, &inv.text);
    }
    if !w.memory.created_databases.contains(&target) {
        let message = format!("psql loads `{origin}` into {target}, which may already hold the same tables");
        w.add(Rule::SqlUnreadable, message, &inv.text);
    }
}

/// Reads `file` and classifies it as a psql script; `what` names the way it
/// was reached, for the finding when it cannot be read.
fn script_file(w: &mut Walker, file: &Word, inv: &Invocation, scope: &Scope, what: &str) {
    match w.read_file(file, scope) {
        Ok((text, name)) => {
            if w.enter(&name, &inv.text) {
                psql_script(w, &text, inv, scope);
                w.leave();
            }
        }
        Err(why) => w.add(
            Rule::SqlUnreadable,
            format!("{what} a file that cannot be read: {why}"),
            &inv.text,
        ),
    }
}

/// A psql script: SQL with backslash meta-commands, each on its own line or
/// at the end of one.
fn psql_script(w: &mut Walker, text: &str, inv: &Invocation, scope: &Scope) {
    let mut sql = String::new();
    for line in text.lines() {
        let (code, meta) = split_meta(line);
        sql.push_str(code);
        sql.push('\n');
        if let Some(meta) = meta {
            meta_command(w, meta, inv, scope);
        }
    }
    if !sql.trim().is_empty() {
        w.nested_sql(&sql, None);
    }
}

/// Splits a line into its SQL and a trailing backslash command, ignoring
/// backslashes inside quotes.
fn split_meta(line: &str) -> (&str, Option<&str>) {
    let mut quote: Option<char> = None;
    for (i, c) in line.char_indices() {
        match (quote, c) {
            (None, '\'' | '"') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, '\\') => return (&line[..i], Some(&line[i + 1..])),
            _ => {}
        }
    }
    (line, None)
}

/// The backquoted parts of a meta-command's arguments, outside single
/// quotes: psql runs each as a shell command (`\\set x `cmd``); one left
/// open runs to the end of the line.
fn backquoted(args: &str) -> Vec<&str> {
    let mut commands = Vec::new();
    let mut quoted = false;
    let mut open = None;
    for (i, c) in args.char_indices() {
        match (c, open) {
            ('`', Some(start)) => {
                commands.push(&args[start..i]);
                open = None;
            }
            ('`', None) if !quoted => open = Some(i + 1),
            ('\'', None) => quoted = !quoted,
            _ => {}
        }
    }
    commands.extend(open.map(|start| &args[start..]));
    commands
}

fn meta_command(w: &mut Walker, meta: &str, inv: &Invocation, scope: &Scope) {
    let (name, rest) = meta.split_once(char::is_whitespace).unwrap_or((meta, ""));
    let rest = rest.trim();
    if name != "!" {
        for command in backquoted(rest) {
            w.nested_shell(command, format!("psql \\{name} backquote"), scope);
        }
    }
    match name {
        "i" | "ir" | "include" | "include_relative" => {
            let file = Word::literal(rest.trim_matches('\''));
            script_file(w, &file, inv, scope, &format!("\\{name} includes"));
        }
        "!" => w.nested_shell(rest, "psql \\!".to_string(), scope),
        "o" | "out" | "g" | "gx" | "w" | "write" => output_pipe(w, rest, &format!("psql \\{name}"), scope),
        "gexec" => w.add(
            Rule::DynamicSql,
            "\\gexec runs the results of a query as SQL",
            &inv.text,
        ),
        "copy" if rest.to_lowercase().contains(" program ") => w.add(
            Rule::CopyProgram,
            "\\copy … program runs a shell command",
            &inv.text,
        ),
        // `\copy (…) TO 'file'`: the file is written over.
        "copy" => {
            let lower = rest.to_lowercase();
            let target = lower
                .rfind(" to ")
                .map(|at| rest[at + 4..].split_whitespace().next().unwrap_or_default());
            if let Some(file) =
                target.filter(|f| !matches!(f.to_lowercase().as_str(), "stdout" | "pstdout" | ""))
            {
                written_file(w, file, "psql \\copy … to", scope);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::split_meta;

    #[test]
    fn backquotes_outside_single_quotes() {
        assert_eq!(
            super::backquoted("x `dropdb a` 'b `c`' `d"),
            vec!["dropdb a", "d"]
        );
    }

    #[test]
    fn meta_commands_are_split_outside_quotes() {
        assert_eq!(split_meta("\\i x.sql"), ("", Some("i x.sql")));
        assert_eq!(split_meta("SELECT 1 \\gexec"), ("SELECT 1 ", Some("gexec")));
        assert_eq!(split_meta("SELECT E'\\n'"), ("SELECT E'\\n'", None));
    }
}
