//! Interpreters running code: `node`/`tsx`/`ts-node`/`deno`/`bun`/`zx` (JS and
//! TS), `python`, `ruby`, `perl`, `php`, `lua`, `Rscript`, `julia`,
//! `osascript` and `elixir`, with code from `-e`/`-c`/`eval`,
//! a heredoc or pipe on standard input, or a script file (read through the
//! file source). The code's SQL literals are classified as SQL, its shell
//! command literals as shell, and destructive ORM calls by their own rules
//! ([`crate::code`]). Entry points of database tools run through an
//! interpreter (`node node_modules/prisma/build/index.js`, `python -m
//! alembic`, `python manage.py`, `php artisan`, `ruby bin/rails`) are
//! handed to those tools. Code that cannot be read is medium.

use super::super::ast::Word;
use super::super::opts::{read, Items, Spec};
use super::super::walk::{InputText, Invocation, Scope, Walker};
use super::nested::runs_known_program;
use super::{is_database_tool, program_name};
use crate::code::sinks::{self, Runs};
use crate::code::{file_calls, glued, orm, scan, sql_of, Lang, Literal};
use crate::rules::Rule;

const NAMES: &[&str] = &[
    "node",
    "nodejs",
    "tsx",
    "ts-node",
    "ts-node-esm",
    "deno",
    "zx",
    "python",
    "python2",
    "python3",
    "ruby",
    "perl",
    "php",
    "lua",
    "luajit",
    "Rscript",
    "R",
    "julia",
    "osascript",
    "elixir",
];

/// Whether `name` is an interpreter of this module.
pub fn handles(name: &str) -> bool {
    NAMES.contains(&name) || name.starts_with("python3.") || name.starts_with("lua5.")
}

fn language(name: &str) -> Lang {
    match name {
        // R comments and quotes as Python does.
        _ if name.starts_with("python") || name == "Rscript" || name == "R" => Lang::Python,
        // Elixir as Ruby: `#` comments, `"…#{x}…"`.
        "ruby" | "elixir" => Lang::Ruby,
        // Perl, PHP, Lua, AppleScript and Julia (whose `` `…` `` is a
        // command) quote like JavaScript closely enough for literals.
        _ => Lang::JavaScript,
    }
}

const NODE: Spec = Spec {
    short_values: "erpC",
    long_values: &[
        "eval",
        "print",
        "require",
        "import",
        "loader",
        "env-file",
        "conditions",
        "input-type",
        "experimental-loader",
        "tsconfig",
        "project",
    ],
};
const PYTHON: Spec = Spec {
    short_values: "cmWX",
    long_values: &["check-hash-based-pycs"],
};
const PHP: Spec = Spec {
    short_values: "rcdfBREFzt",
    long_values: &[
        "run",
        "define",
        "file",
        "process-begin",
        "process-code",
        "process-end",
        "process-file",
    ],
};
const RUBY: Spec = Spec {
    short_values: "erICE",
    long_values: &["encoding"],
};
/// Lua, R, Julia, AppleScript and Elixir: `-e CODE` (Julia's `-E` prints it).
const OTHERS: Spec = Spec {
    short_values: "eElLrptS",
    long_values: &[
        "eval", "print", "load", "file", "project", "threads", "erl", "require",
    ],
};

/// Classifies an interpreter invocation.
pub fn run(w: &mut Walker, name: &str, inv: &Invocation, scope: &Scope) {
    let lang = language(name);
    let args = inv.args();
    if name == "deno" {
        return deno(w, inv, scope);
    }
    let other = matches!(name, "Rscript" | "R" | "julia" | "osascript" | "elixir") || name.starts_with("lua");
    let spec = match lang {
        _ if other => &OTHERS,
        Lang::Python => &PYTHON,
        Lang::Ruby => &RUBY,
        Lang::JavaScript if name == "php" => &PHP,
        Lang::JavaScript => &NODE,
    };
    let (items, rest) = read(args, spec, true);
    let inline: Vec<&Word> = match lang {
        _ if other => items.values(&["-e", "-E", "--eval", "--print"]),
        Lang::Python => items.values(&["-c"]),
        _ if name == "php" => items.values(&["-r", "--run", "-B", "-R", "-E"]),
        _ => items.values(&["-e", "--eval", "-p", "--print"]),
    };
    if let Some(module) = items.values(&["-m"]).first() {
        let mut words = vec![Word::literal(module.text.clone())];
        words.extend(rest.map(|r| args[r..].to_vec()).unwrap_or_default());
        if is_database_tool(&module.text) || super::is_known(&module.text) {
            return w.invocation(&inv.with_words(words), scope);
        }
        return;
    }
    if !inline.is_empty() {
        for code in inline {
            source(
                w,
                &code.text,
                Origin::line(code),
                lang,
                &format!("{name} -e"),
                scope,
                inv,
            );
        }
        return;
    }
    match rest.map(|r| &args[r..]) {
        Some([file, tail @ ..]) if file.text != "-" => script(w, name, file, tail, lang, inv, scope),
        _ => match w.read_input(&inv.stdin, scope) {
            InputText::Interactive => {}
            InputText::Text(text, origin) => source(
                w,
                &text,
                Origin::Line,
                lang,
                &format!("{name} reading {origin}"),
                scope,
                inv,
            ),
            InputText::Unreadable(why) => w.add(
                Rule::CodeUnreadable,
                format!("{name} runs code that cannot be read: {why}"),
                &inv.text,
            ),
        },
    }
}

/// `deno run [opts] npm:prisma …` / `deno run file.ts` / `deno eval CODE`.
fn deno(w: &mut Walker, inv: &Invocation, scope: &Scope) {
    let args = inv.args();
    let Some((sub, rest)) = args.split_first() else {
        return;
    };
    let spec = Spec {
        short_values: "c",
        long_values: &["config", "import-map", "env-file", "location", "v8-flags", "lock"],
    };
    let (_, start) = read(rest, &spec, true);
    let rest = start.map(|s| &rest[s..]).unwrap_or_default();
    match (sub.text.as_str(), rest) {
        ("eval", [code, ..]) => source(
            w,
            &code.text,
            Origin::line(code),
            Lang::JavaScript,
            "deno eval",
            scope,
            inv,
        ),
        ("run" | "task", [target, tail @ ..]) => {
            if let Some(package) = target
                .text
                .strip_prefix("npm:")
                .or_else(|| target.text.strip_prefix("jsr:"))
            {
                let mut words = vec![Word::literal(program_name(
                    package.split('/').next().unwrap_or(package),
                ))];
                words.extend(tail.iter().cloned());
                return w.invocation(&inv.with_words(words), scope);
            }
            if sub.text == "run" {
                script(w, "deno", target, tail, Lang::JavaScript, inv, scope);
            } else {
                super::builds::unread(w, "deno", "task", std::slice::from_ref(target), inv);
            }
        }
        _ => {}
    }
}

/// A script file: a database tool's entry point, or code to read.
fn script(
    w: &mut Walker,
    name: &str,
    file: &Word,
    tail: &[Word],
    lang: Lang,
    inv: &Invocation,
    scope: &Scope,
) {
    if let Some(tool) = entry_point(&file.text) {
        let mut words = vec![Word::literal(tool)];
        words.extend(tail.iter().cloned());
        return w.invocation(&inv.with_words(words), scope);
    }
    match w.read_file(file, scope) {
        Ok((text, origin)) => {
            if w.enter(&origin, &inv.text) {
                source(w, &text, Origin::File, lang, &origin, scope, inv);
                w.leave();
            }
        }
        Err(why) => {
            let missing = why.ends_with("does not exist");
            if !missing || looks_like_database(&file.text) {
                w.add(
                    Rule::CodeUnreadable,
                    format!("{name} runs code that cannot be read: {why}"),
                    &inv.text,
                );
            }
        }
    }
}

/// The tool a script path is the entry point of (the innermost
/// `node_modules` names the package: pnpm nests them).
pub(super) fn entry_point(path: &str) -> Option<String> {
    let parts: Vec<&str> = path.split('/').collect();
    if let Some(i) = parts.iter().rposition(|p| *p == "node_modules") {
        let package = match parts.get(i + 1) {
            Some(&".bin") => parts.get(i + 2).copied(),
            Some(scope) if scope.starts_with('@') => parts.get(i + 2).copied(),
            other => other.copied(),
        }?;
        let tool = program_name(package);
        let tool = match tool.as_str() {
            "cli" | "sequelize-cli" => "sequelize".to_string(),
            _ => tool,
        };
        return super::is_known(&tool).then_some(tool);
    }
    let base = program_name(path);
    match base.as_str() {
        "manage.py"
        | "artisan"
        | "rails"
        | "rake"
        | "console"
        | "phinx"
        | "yii"
        | "doctrine"
        | "doctrine-migrations" => Some(base),
        _ => None,
    }
}

/// A code file's name says it works on the database (`scripts/clean.js`
/// too).
fn looks_like_database(path: &str) -> bool {
    super::sounds_like_database(path) || path.to_lowercase().contains("clean")
}

/// Where code comes from.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Origin {
    /// Written on the command line (`-e`, `-c`, a here-document).
    Line,
    /// On the command line, but only known at run time (`-e "$CODE"`).
    Unknown,
    /// A script file.
    File,
}

impl Origin {
    fn line(code: &Word) -> Origin {
        if code.dynamic {
            Origin::Unknown
        } else {
            Origin::Line
        }
    }
}

/// Classifies code text: its SQL literals, shell command literals and ORM
/// calls; in code written on the line, also commands, code and SQL it
/// builds at run time ([`crate::code::sinks`]).
fn source(
    w: &mut Walker,
    text: &str,
    origin: Origin,
    lang: Lang,
    via: &str,
    scope: &Scope,
    inv: &Invocation,
) {
    if origin == Origin::Unknown {
        w.add(
            Rule::CodeUnreadable,
            format!("{via} runs code only known at run time"),
            &inv.text,
        );
        return;
    }
    let (literals, code) = scan(text, lang);
    for (i, literal) in literals.iter().enumerate() {
        // Ruby's `` `…` `` runs its command even when the output is printed.
        let command = lang == Lang::Ruby && text.as_bytes().get(literal.start) == Some(&b'`');
        if printed(&code, literal.start) && !command {
            continue;
        }
        if let Some(sql) = sql_of(&literal.text) {
            if glued(&code, literal) {
                let verb = sql.split_whitespace().next().unwrap_or_default().to_uppercase();
                if verb != "SELECT" && verb != "INSERT" {
                    w.add(
                        Rule::DynamicSql,
                        format!("{via} builds `{verb} …` SQL by joining strings at run time"),
                        &literal.text,
                    );
                }
                continue;
            }
            w.nested_sql(&sql, Some(via.to_string()));
        } else if runs_known_program(&literal.text) {
            w.nested_shell(&literal.text, format!("{via} runs"), scope);
        } else if is_database_tool(&program_name(&literal.text)) && !literal.text.contains(' ') {
            // ["dropdb", "farm"], spawn('psql', ['-c', …]): the literals that follow.
            let mut words = vec![Word::literal(literal.text.clone())];
            let mut end = literal.end;
            for next in &literals[i + 1..] {
                // `spawn('psql', ['-c', …])`, `new Deno.Command('dropdb', { args: ['farm'] })`.
                let between = code.get(end..next.start).unwrap_or("x").replace("args", "");
                if !between
                    .chars()
                    .all(|c| c.is_whitespace() || matches!(c, ',' | '[' | '(' | '{' | ':' | '='))
                {
                    break;
                }
                words.push(Word::literal(next.text.clone()));
                end = next.end;
            }
            if words.len() > 1 {
                w.invocation(&inv.with_words(words), scope);
            }
        }
    }
    // `fs.rmSync('backups', …)`, `shutil.rmtree('backups')`: as `rm -rf PATH`;
    // `writeFileSync(PATH, …)` as `tee PATH`; `shutil.move(A, B)` as `mv A B`.
    let word = |literal: &Literal| Word {
        dynamic: literal.interpolated,
        ..Word::literal(literal.text.clone())
    };
    let mut commands: Vec<Vec<Word>> = Vec::new();
    for path in file_calls::deleted(&code, &literals) {
        commands.push(vec![Word::literal("rm"), Word::literal("-rf"), word(path)]);
    }
    for path in file_calls::overwritten(&code, &literals) {
        commands.push(vec![Word::literal("tee"), word(path)]);
    }
    for (from, to) in file_calls::moved(&code, &literals) {
        let to = to.map_or(
            Word {
                dynamic: true,
                ..Word::literal("a place only known at run time")
            },
            word,
        );
        commands.push(vec![Word::literal("mv"), word(from), to]);
    }
    for words in commands {
        w.invocation(&inv.with_words(words), scope);
    }
    super::self_protection::code(w, text, &code, via, inv);
    for call in orm::calls(&code, text, lang) {
        w.add(call.rule, format!("{via}: {}", call.message), &call.text);
    }
    if origin == Origin::Line {
        built_at_run_time(w, text, &code, &literals, lang, via);
    }
}

/// Code on the line that runs what it builds: commands, code or SQL from
/// joined strings, decoded text or arguments, and Prisma methods named by
/// computed members.
fn built_at_run_time(w: &mut Walker, text: &str, code: &str, literals: &[Literal], lang: Lang, via: &str) {
    for sink in sinks::dynamic(code, text, literals) {
        let (rule, what) = match sink.runs {
            Runs::Command => (Rule::DynamicCommand, "a command"),
            Runs::Code => (Rule::DynamicCommand, "code"),
            Runs::Sql => (Rule::DynamicSql, "SQL"),
        };
        let message = format!("{via}: {}() runs {what} built at run time", sink.name);
        w.add(rule, message, &sink.text);
    }
    let (dotted, computed_call) = sinks::members(code, text, literals);
    if let Some(dotted) = dotted {
        let (_, dotted_code) = scan(&dotted, lang);
        for call in orm::calls(&dotted_code, &dotted, lang) {
            w.add(call.rule, format!("{via}: {}", call.message), &call.text);
        }
    }
    let prisma = text.contains("PrismaClient") || text.contains("@prisma/client");
    if computed_call && prisma {
        w.add(
            Rule::OrmDestructiveCall,
            format!("{via} calls a Prisma client method whose name is only known at run time"),
            text,
        );
    }
}

/// Whether the literal at `start` is only printed (`print(…)`, `console.log(…)`, `puts …`).
fn printed(code: &str, start: usize) -> bool {
    let before = code.get(..start).unwrap_or_default().trim_end();
    [
        "print(",
        "console.log(",
        "console.error(",
        "console.info(",
        "console.warn(",
        "puts",
        "echo",
        "println!(",
        "logger.info(",
        "log.info(",
        "print",
    ]
    .iter()
    .any(|p| before.ends_with(p))
}

/// Python code given to a tool (`manage.py shell -c CODE`).
pub fn python(w: &mut Walker, code: &Word, inv: &Invocation, scope: &Scope) {
    source(
        w,
        &code.text,
        Origin::line(code),
        Lang::Python,
        "python code",
        scope,
        inv,
    );
}

/// Ruby code or a Ruby file given to a tool (`rails runner …`).
pub fn ruby(w: &mut Walker, code: &Word, inv: &Invocation, scope: &Scope) {
    if code.text.ends_with(".rb") && !code.text.contains(char::is_whitespace) {
        return script(w, "rails runner", code, &[], Lang::Ruby, inv, scope);
    }
    source(
        w,
        &code.text,
        Origin::line(code),
        Lang::Ruby,
        "ruby code",
        scope,
        inv,
    );
}
