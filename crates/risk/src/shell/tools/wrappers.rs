//! Programs that only launch another: the launched command is classified
//! with the same standard input.

use super::super::ast::Word;
use super::super::opts::{read, Items, Spec};
use super::super::parse::parse;
use super::super::walk::{Input, Invocation, Scope, Walker};
use crate::rules::Rule;

/// Unwraps `name` and classifies what it runs.
pub fn unwrap(w: &mut Walker, name: &str, inv: &Invocation, scope: &Scope) {
    let args = inv.args();
    let spec = match name {
        "env" => return env(w, inv, scope),
        "watch" => return watch(w, inv, scope),
        "xargs" => return xargs(w, inv, scope),
        // `corepack pnpm …`, `corepack yarn@4 …`: the package manager it names.
        "corepack" => {
            if args
                .first()
                .is_some_and(|a| !a.text.starts_with('-') && super::is_known(&a.text))
            {
                w.invocation(&inv.with_words(args.to_vec()), scope);
            }
            return;
        }
        "bundle" => {
            if args.first().is_some_and(|a| a.text == "exec") {
                w.invocation(&inv.with_words(args[1..].to_vec()), scope);
            }
            return;
        }
        "sudo" => Spec {
            short_values: "ugpChDrtUT",
            long_values: &[
                "user",
                "group",
                "prompt",
                "close-from",
                "host",
                "chdir",
                "role",
                "type",
                "other-user",
                "command-timeout",
            ],
        },
        "doas" => Spec {
            short_values: "uC",
            long_values: &[],
        },
        "command" => {
            if args.first().is_some_and(|a| a.text == "-v" || a.text == "-V") {
                return;
            }
            Spec {
                short_values: "",
                long_values: &[],
            }
        }
        "exec" => Spec {
            short_values: "a",
            long_values: &[],
        },
        "nice" => Spec {
            short_values: "n",
            long_values: &["adjustment"],
        },
        "ionice" => Spec {
            short_values: "cnpPu",
            long_values: &["class", "classdata", "pid", "pgid", "uid"],
        },
        "stdbuf" => Spec {
            short_values: "ioe",
            long_values: &["input", "output", "error"],
        },
        "timeout" => Spec {
            short_values: "sk",
            long_values: &["signal", "kill-after"],
        },
        "npx" => Spec {
            short_values: "pc",
            long_values: &["package", "call", "cache", "userconfig", "registry"],
        },
        "bunx" => Spec {
            short_values: "p",
            long_values: &["package"],
        },
        _ => Spec {
            short_values: "",
            long_values: &[],
        },
    };
    let (items, rest) = read(args, &spec, true);
    if name == "npx" {
        if let Some(script) = items.values(&["-c", "--call"]).first() {
            return shell_text(w, script, "npx --call", scope);
        }
    }
    let Some(mut start) = rest else { return };
    if name == "timeout" {
        start += 1; // the duration
    }
    let mut inner_scope = scope.clone();
    if let Some(dir) = items.values(&["-D", "--chdir"]).first() {
        inner_scope.cwd = w.resolve(&dir.text, scope).filter(|_| !dir.dynamic);
    }
    let mut inner: Vec<Word> = args.get(start..).unwrap_or_default().to_vec();
    if matches!(name, "npx" | "bunx") {
        if let Some(bin) = inner.first().and_then(|p| package_bin(&p.text)) {
            inner[0] = Word::literal(bin);
        }
    }
    if !inner.is_empty() {
        w.invocation(&inv.with_words(inner), &inner_scope);
    }
}

/// npm packages whose command has another name (`npx @railway/cli down`
/// runs `railway down`), a version (`@3`) left out.
fn package_bin(package: &str) -> Option<&'static str> {
    let name = match package.get(1..).and_then(|rest| rest.find('@')) {
        Some(at) => &package[..at + 1],
        None => package,
    };
    const BINS: &[(&str, &str)] = &[
        ("node-flywaydb", "flyway"),
        ("@railway/cli", "railway"),
        ("hasura-cli", "hasura"),
        ("@mikro-orm/cli", "mikro-orm"),
        ("sequelize-cli", "sequelize"),
        ("kysely-ctl", "kysely"),
        ("@supabase/cli", "supabase"),
        ("@neondatabase/neonctl", "neonctl"),
        ("@aws-cdk/cli", "cdk"),
        ("aws-cdk", "cdk"),
        ("@pulumi/cli", "pulumi"),
        ("@liquibase/cli", "liquibase"),
    ];
    BINS.iter().find(|(p, _)| *p == name).map(|(_, bin)| *bin)
}

/// `env [-i] [-u NAME] [-C DIR] [-S STRING] [NAME=VALUE…] COMMAND…`
fn env(w: &mut Walker, inv: &Invocation, scope: &Scope) {
    let spec = Spec {
        short_values: "uCS",
        long_values: &["unset", "chdir", "split-string"],
    };
    let args = inv.args();
    let (items, rest) = read(args, &spec, true);
    let mut words: Vec<Word> = Vec::new();
    if let Some(split) = items.values(&["-S", "--split-string"]).first() {
        if split.dynamic {
            w.add(
                Rule::DynamicCommand,
                "env -S runs a command line only known at run time",
                &inv.text,
            );
            return;
        }
        words.extend(split_words(&split.text));
    }
    let mut start = rest.unwrap_or(args.len());
    while args.get(start).is_some_and(|a| is_assignment(&a.text)) {
        start += 1;
    }
    words.extend(args[start.min(args.len())..].iter().cloned());
    let mut inner_scope = scope.clone();
    if let Some(dir) = items.values(&["-C", "--chdir"]).first() {
        inner_scope.cwd = w.resolve(&dir.text, scope).filter(|_| !dir.dynamic);
    }
    if !words.is_empty() {
        w.invocation(&inv.with_words(words), &inner_scope);
    }
}

/// `watch [-n SECONDS] COMMAND…`: the words are joined and run by `sh -c`.
fn watch(w: &mut Walker, inv: &Invocation, scope: &Scope) {
    let spec = Spec {
        short_values: "nq",
        long_values: &["interval", "equexit"],
    };
    let (_, rest) = read(inv.args(), &spec, true);
    if let Some(start) = rest {
        let words = &inv.args()[start..];
        let joined = joined(words);
        shell_text(w, &joined, "watch", scope);
    }
}

/// `xargs [OPTIONS] COMMAND…`: the command gets arguments read from input,
/// which are unknown.
fn xargs(w: &mut Walker, inv: &Invocation, scope: &Scope) {
    // GNU's `--replace[=R]`, `--eof[=E]` and `--max-lines[=N]` take a
    // value only after `=`: `xargs --replace psql …` runs psql.
    let spec = Spec {
        short_values: "InPdLsEa",
        long_values: &[
            "max-args",
            "max-procs",
            "delimiter",
            "arg-file",
            "max-chars",
            "process-slot-var",
        ],
    };
    let (items, rest) = read(inv.args(), &spec, true);
    let mut words: Vec<Word> = match rest {
        Some(start) => inv.args()[start..].to_vec(),
        None => vec![Word::literal("echo")],
    };
    let replace = items
        .values(&["-I", "--replace"])
        .first()
        .map(|w| w.text.clone())
        .or_else(|| items.has(&["--replace", "-i"]).then(|| "{}".to_string()));
    if let Some(replace) = replace.filter(|r| !r.is_empty()) {
        return xargs_replacing(w, inv, scope, &words, &replace, items.has(&["-0", "--null"]));
    }
    // The arguments come from the input: known text gives known words; else
    // one word that says where they come from (`ls backups | xargs rm`).
    let origin = match &inv.stdin {
        Input::Text {
            text, dynamic: false, ..
        } if !text.trim().is_empty() => {
            words.extend(text.split_whitespace().map(Word::literal));
            None
        }
        Input::Unknown(origin) => Some(origin.clone()),
        _ => Some("standard input".to_string()),
    };
    if let Some(origin) = origin {
        words.push(Word {
            text: format!("…(arguments from {origin})"),
            dynamic: true,
            ..Word::default()
        });
    }
    let mut inner = inv.with_words(words);
    inner.stdin = Input::Unknown("the input xargs reads".to_string());
    w.invocation(&inner, scope);
}

/// `xargs -I REPL CMD…`: the command runs once per input item, with REPL
/// in its words replaced by the item (unknown input: those words are only
/// known at run time).
fn xargs_replacing(
    w: &mut Walker,
    inv: &Invocation,
    scope: &Scope,
    words: &[Word],
    replace: &str,
    null: bool,
) {
    let items: Option<Vec<String>> = match &inv.stdin {
        Input::Text {
            text, dynamic: false, ..
        } => Some(if null {
            text.split('\0')
                .map(str::to_string)
                .filter(|i| !i.is_empty())
                .collect()
        } else {
            text.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_string)
                .collect()
        }),
        _ => None,
    };
    let substituted = |item: Option<&str>| -> Vec<Word> {
        words
            .iter()
            .map(|word| match (word.text.contains(replace), item) {
                (false, _) => word.clone(),
                (true, Some(item)) => Word {
                    text: word.text.replace(replace, item),
                    ..word.clone()
                },
                (true, None) => Word {
                    text: word.text.replace(replace, "…(an input item)"),
                    dynamic: true,
                    ..word.clone()
                },
            })
            .collect()
    };
    let runs: Vec<Vec<Word>> = match &items {
        Some(items) => items.iter().map(|i| substituted(Some(i))).collect(),
        None => vec![substituted(None)],
    };
    for run in runs {
        let mut inner = inv.with_words(run);
        inner.stdin = Input::Unknown("the input xargs reads".to_string());
        w.invocation(&inner, scope);
    }
}

/// Words joined by spaces into one (dynamic when any of them is), as
/// programs that hand their arguments to a shell do.
pub fn joined(words: &[Word]) -> Word {
    Word {
        text: words
            .iter()
            .map(|w| w.text.as_str())
            .collect::<Vec<_>>()
            .join(" "),
        dynamic: words.iter().any(|w| w.dynamic),
        ..Word::default()
    }
}

/// Classifies `text` as a shell command line one level down.
pub fn shell_text(w: &mut Walker, text: &Word, via: &str, scope: &Scope) {
    if text.dynamic {
        w.add(
            Rule::DynamicCommand,
            format!("{via} runs a command line only known at run time: {}", text.text),
            &text.text,
        );
        return;
    }
    w.nested_shell(&text.text, via.to_string(), scope);
}

fn split_words(text: &str) -> Vec<Word> {
    let Ok(script) = parse(text) else {
        return vec![Word {
            text: text.to_string(),
            dynamic: true,
            ..Word::default()
        }];
    };
    script
        .list
        .pipelines
        .first()
        .and_then(|p| p.commands.first())
        .map(|c| match c {
            super::super::ast::Command::Simple(s) => s.words.clone(),
            super::super::ast::Command::Group { .. } => Vec::new(),
        })
        .unwrap_or_default()
}

/// Whether `text` is `NAME=value`.
pub fn is_assignment(text: &str) -> bool {
    text.split_once('=').is_some_and(|(name, _)| {
        !name.is_empty()
            && name
                .bytes()
                .next()
                .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
            && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
    })
}
