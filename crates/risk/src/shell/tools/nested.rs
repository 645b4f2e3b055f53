//! The generic rule for programs dbguard does not know: when one's arguments
//! name a database tool (`psql`, `prisma`, `dropdb`, `rails`, `alembic`, …)
//! or hold a quoted shell line that runs a known program, that nested
//! command is what the wrapper will most likely run, and it is classified.
//! So `tmux new -d 'npx prisma migrate reset --force'`, `poetry run alembic
//! downgrade base` or `nodemon --exec "psql -f wipe.sql"` are caught
//! without a rule for tmux, poetry or nodemon.
//!
//! Programs whose arguments are only text or names (echo, grep, git
//! messages, editors, package installers, `man`) are left alone: text that
//! is only data is not an operation.

use super::super::ast::{Command, List, Word};
use super::super::parse::parse;
use super::super::walk::{Invocation, Scope, Walker};
use super::{is_database_tool, is_known, program_name};

/// Programs whose arguments are text, patterns, names or files to show.
/// Programs that only read or show the files and text they are given.
pub const READERS: &[&str] = &[
    "cat",
    "bat",
    "less",
    "more",
    "head",
    "tail",
    "grep",
    "egrep",
    "fgrep",
    "rg",
    "ag",
    "ls",
    "ll",
    "stat",
    "file",
    "wc",
    "yq",
    "diff",
    "cmp",
    "tree",
    "du",
    "md5sum",
    "sha256sum",
    "echo",
    "printf",
    "test",
    "[",
    "realpath",
    "readlink",
    "basename",
    "dirname",
    "column",
    "sort",
    "uniq",
    "cut",
    "xxd",
    "od",
    "hexdump",
    "strings",
    "man",
    "which",
    "type",
];

/// Other programs whose arguments are text, patterns, names or files to show
/// (editors, installers, shell builtins).
const OTHER_DATA_PROGRAMS: &[&str] = &[
    "ack",
    "info",
    "whereis",
    "whatis",
    "apropos",
    "tldr",
    "history",
    "tr",
    "gh",
    "glab",
    "hub",
    "touch",
    "mkdir",
    "open",
    "xdg-open",
    "code",
    "cursor",
    "nano",
    "emacs",
    "subl",
    "pgrep",
    "pkill",
    "killall",
    "kill",
    "ps",
    "lsof",
    "brew",
    "apt",
    "apt-get",
    "apt-cache",
    "dnf",
    "yum",
    "apk",
    "pacman",
    "pip",
    "pip3",
    "pipx",
    "gem",
    "alias",
    "export",
    "declare",
    "local",
    "readonly",
    "set",
    "read",
    "logger",
    "notify-send",
    "say",
    "wall",
    "sleep",
    "date",
    "true",
    "false",
    ":",
    "pwd",
    "tput",
    "clear",
    "exit",
    "return",
    "shift",
    "wait",
    "jobs",
    "fg",
    "bg",
    "disown",
    "umask",
    "ulimit",
    "hash",
    "help",
    "compgen",
    "complete",
    "bind",
    "shopt",
    "getopts",
    "let",
    "mktemp",
    "base64",
    "fmt",
    "fold",
    "nl",
    "paste",
    "join",
    "comm",
    "rev",
    "shuf",
    "seq",
    "yes",
    "cowsay",
    "figlet",
    "banner",
    "lolcat",
    "say",
    "hostname",
    "whoami",
    "id",
    "uname",
    "df",
    "free",
    "uptime",
    "top",
    "htop",
    "tig",
    "lazygit",
    "unset",
];

fn is_data_program(name: &str) -> bool {
    READERS.contains(&name) || OTHER_DATA_PROGRAMS.contains(&name)
}

/// Classifies the command an unknown program `name` runs, if its arguments show one.
pub fn unknown(w: &mut Walker, name: &str, inv: &Invocation, scope: &Scope) {
    // `pipx run [--spec S] APP …` runs the application it installs.
    let runs_app = name == "pipx" && inv.args().first().is_some_and(|a| a.text == "run");
    if is_data_program(name) && !runs_app {
        return;
    }
    let args = inv.args();
    for (i, arg) in args.iter().enumerate() {
        if arg.dynamic {
            continue;
        }
        if is_database_tool(&program_name(&arg.text)) {
            w.invocation(&inv.with_words(args[i..].to_vec()), scope);
            // After an option it may be that option's value (`uvx --from
            // alembic alembic downgrade base`): the tool may start later.
            let option_value = i > 0 && args[i - 1].text.starts_with('-') && !args[i - 1].text.contains('=');
            if !option_value {
                return;
            }
        }
        let text = option_value(&arg.text);
        if runs_known_program(text) {
            w.nested_shell(text, format!("{name} runs"), scope);
        }
    }
}

/// The value of `--opt=value`, or the whole word.
fn option_value(text: &str) -> &str {
    match text.split_once('=') {
        Some((option, value)) if option.starts_with('-') => value,
        _ => text,
    }
}

/// Whether `text` is a shell line (more than one word) whose commands
/// include a program dbguard knows.
pub fn runs_known_program(text: &str) -> bool {
    if !text.contains([' ', '\t', '\n', ';', '|', '&']) {
        return false;
    }
    let Ok(script) = parse(text) else {
        return false;
    };
    list_runs_known(&script.list)
}

fn list_runs_known(list: &List) -> bool {
    list.pipelines
        .iter()
        .flat_map(|p| &p.commands)
        .any(|command| match command {
            Command::Simple(simple) => simple.words.first().is_some_and(known_program_word),
            Command::Group { body, .. } => list_runs_known(body),
        })
}

fn known_program_word(word: &Word) -> bool {
    !word.dynamic && is_known(&word.text) && !is_data_program(&program_name(&word.text))
}
