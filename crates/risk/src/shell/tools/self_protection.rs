//! Commands that work around dbguard itself. Each is high risk, and each
//! message says only that a person must approve in their own terminal:
//!
//! - editing dbguard's state or configuration (`.dbguard/`, `dbguard.toml`,
//!   the approver's folder `~/.config/dbguard` or `$XDG_CONFIG_HOME/dbguard`)
//!   or the agents' hook settings (`.claude/settings*.json`,
//!   `.cursor/hooks.json`, `.gemini/settings.json`, `.codex/`) by any
//!   writing program, interpreter code or redirection (reading stays low,
//!   except for the credentials only dbguard uses: the local server's
//!   superuser password in `.dbguard/local.pgpass` and the window tokens in
//!   `.dbguard/approvals/`, by any program, `PGPASSFILE`, `passfile=` or `<`);
//! - driving `dbguard approve|run|approver|…` through a pseudo-terminal
//!   (`script`, `expect`, `unbuffer`, `socat … pty`, `tmux send-keys`,
//!   `python -c 'import pty…'`, a script file that does so);
//! - hiding the agent from dbguard (`env -u CLAUDECODE`, `unset`, `env -i …
//!   dbguard`, `CLAUDECODE= …`);
//! - setting up or rotating the approver (`dbguard approver init|rotate`);
//! - setting Prisma's consent variable, which only dbguard sets after a
//!   person approved.

use std::path::Path;

use super::super::ast::{Redirect, RedirectKind, Simple, Word};
use super::super::walk::{InputText, Invocation, Scope, Walker};
use super::nested::READERS;
use crate::rules::Rule;

/// The variables by which dbguard knows an agent runs the command.
const AGENT_MARKERS: &[&str] = &["CLAUDECODE", "CURSOR_AGENT", "GEMINI_CLI"];

/// Prisma's consent variable.
const PRISMA_CONSENT: &str = "PRISMA_USER_CONSENT_FOR_DANGEROUS_AI_ACTION";

/// The end of every message of this module.
const PERSON: &str = "a person must approve in their own terminal";

/// Programs that only read the files they are given.
/// Programs beside [`READERS`] that only read the files they are given.
const MORE_READERS: &[&str] = &["jq", "sha1sum", "dbguard", "find", "awk"];

/// Programs that drive another program through a pseudo-terminal.
const PTY_DRIVERS: &[&str] = &[
    "script", "expect", "unbuffer", "socat", "empty", "faketty", "pty", "tmux", "screen", "ptyrun", "winpty",
    "zpty",
];

/// dbguard subcommands that a pseudo-terminal could answer for a person.
const PERSON_COMMANDS: &[&str] = &["approve", "run", "approver", "restore", "reset", "sql", "migrate"];

fn is_marker(name: &str) -> bool {
    AGENT_MARKERS.contains(&name) || (name.starts_with("CODEX_") && name != "CODEX_HOME")
}

/// What protected file or folder `path` is, if any: the files of
/// [`crate::protected`], and the spellings a command line adds (the
/// approver's folder under `$XDG_CONFIG_HOME`, anything under `.codex/`).
pub fn protected(path: &str) -> Option<&'static str> {
    // Most words name none of these; only those that might are resolved
    // (which looks at the file system for links).
    let lower = path.to_lowercase();
    if ![
        ".dbguard",
        "dbguard",
        ".claude",
        ".cursor",
        ".gemini",
        ".codex",
        "backup_",
        ".psqlrc",
        "hooks",
        "rc",
        "profile",
        "zlogin",
        "zshenv",
        "config.fish",
    ]
    .iter()
    .any(|hint| lower.contains(hint))
    {
        return None;
    }
    if let Some(what) = crate::protected::protected_path(Path::new(path), Path::new("/"), None) {
        return Some(what);
    }
    let components: Vec<&str> = lower.split('/').filter(|c| !c.is_empty()).collect();
    if components
        .windows(2)
        .any(|w| w[1] == "dbguard" && w[0].contains("xdg_config_home"))
    {
        return Some("the approver's folder");
    }
    // The folder itself holds them: `rm -rf .claude`, `mv .cursor /tmp`.
    let folder = components
        .last()
        .is_some_and(|n| matches!(*n, ".claude" | ".cursor" | ".gemini" | ".codex"));
    let hook_settings = (components.contains(&".claude")
        && components
            .last()
            .is_some_and(|n| n.starts_with("settings") && n.ends_with(".json")))
        || components.contains(&".codex")
        || folder;
    hook_settings.then_some("an agent's hook settings")
}

/// The session settings through which dbguard's guards inside PostgreSQL
/// know a window (`dbguard.window`) and count a command's rows
/// (`dbguard.rows`): only dbguard sets them, for the process a person
/// approved. Naming one anywhere (`PGOPTIONS=-c dbguard.window=…`, a URL's
/// `options`, `SET`, a script) forges them.
const GUARD_SETTINGS: &[&str] = &["dbguard.window", "dbguard.rows"];

/// Whether `text` names one of [`GUARD_SETTINGS`] (any case, any quoting
/// of the dot's sides).
fn names_guard_setting(text: &str) -> bool {
    let lower = text.to_lowercase().replace(['"', '\''], "");
    GUARD_SETTINGS
        .iter()
        .any(|s| lower.contains(s) || lower.contains(&s.replace('.', "%2e")))
}

/// Whether `text` sets `session_replication_role` to `replica` for a
/// connection (`PGOPTIONS='-c session_replication_role=replica'`, a URL's
/// or conninfo's `options`): ordinary triggers, foreign-key checks and the
/// guards inside the database are off for it.
fn sets_replica_role(text: &str) -> bool {
    let lower = text.to_lowercase().replace("%3d", "=").replace(['"', '\''], "");
    lower.match_indices("session_replication_role").any(|(at, name)| {
        lower[at + name.len()..]
            .trim_start_matches([' ', '='])
            .starts_with("replica")
    })
}

fn replica_role(w: &mut Walker, text: &str) {
    w.add(
        Rule::DisableTriggers,
        "it connects with session_replication_role=replica, which switches off triggers, foreign-key checks and \
         dbguard's guards inside the database",
        text,
    );
}

fn guard_setting(w: &mut Walker, text: &str) {
    w.add(
        Rule::GuardTamper,
        "it sets one of the settings of dbguard's guards inside the database (a window, a row count); only \
         dbguard sets them, for an operation a person approved",
        text,
    );
}

/// Programs that look at a path without reading what the file holds.
const NAME_ONLY: &[&str] = &[
    "ls", "stat", "du", "mkdir", "test", "[", "realpath", "readlink", "dirname", "basename", "dbguard",
];

/// The first of dbguard's credentials ([`crate::protected::secret_path`])
/// that `text` names anywhere (a path argument, `PGPASSFILE=…`, a URL's
/// `passfile=`, a path inside inline code): what it is. Inside the
/// `.dbguard` folder (`scope`'s folder, after a `cd`), a relative path is
/// resolved against it as well.
fn names_secret(text: &str, scope: &Scope) -> Option<&'static str> {
    let ends = |c: char| c.is_whitespace() || "'\"`;&|<>(),".contains(c);
    // `/proc/$(pgrep …)/environ`: the process is only known at run time.
    if text
        .find("/proc/")
        .is_some_and(|at| text[at..].contains("/environ"))
    {
        return crate::protected::secret_path(Path::new("/proc/self/environ"), Path::new("/"));
    }
    let named = text.match_indices(".dbguard").find_map(|(at, _)| {
        let starts_a_name = text[..at]
            .chars()
            .next_back()
            .is_none_or(|c| c == '/' || c == '=' || ends(c));
        let rest = &text[at..];
        let path = &rest[..rest.find(ends).unwrap_or(rest.len())];
        starts_a_name
            .then(|| crate::protected::secret_path(Path::new(path), Path::new("/")))
            .flatten()
    });
    named
        .or_else(|| {
            let cwd = scope
                .cwd
                .as_ref()
                .filter(|c| c.to_string_lossy().contains(".dbguard"))?;
            let path = text.rsplit('=').next().unwrap_or(text);
            crate::protected::secret_path(Path::new(path), cwd)
        })
        // The password file's own name, wherever it stands (`find -name
        // local.pgpass`, `${dir}/local.pgpass`).
        .or_else(|| {
            text.contains("local.pgpass")
                .then(|| crate::protected::secret_path(Path::new("/.dbguard/local.pgpass"), Path::new("/")))
                .flatten()
        })
        .or_else(|| globbed_secret(text, scope))
}

/// Most files a glob is expanded to when looking for a secret among them.
const GLOB_MATCHES: usize = 200;

/// A glob (`.db*/local*`, `./.[d]bguard/*`) expanded as the shell would, in
/// `scope`'s folder: the first of dbguard's secrets among the files it names.
fn globbed_secret(text: &str, scope: &Scope) -> Option<&'static str> {
    let path = text.rsplit('=').next().unwrap_or(text);
    if !path.contains(['*', '?', '[']) || path.contains(char::is_whitespace) {
        return None;
    }
    let full = match Path::new(path).is_absolute() {
        true => Path::new(path).to_path_buf(),
        false => scope.cwd.as_ref()?.join(path),
    };
    // As the shell: a wildcard does not match a name's leading dot.
    let hidden_by_wildcard = |found: &Path| {
        full.components().zip(found.components()).any(|(pattern, name)| {
            name.as_os_str().to_string_lossy().starts_with('.')
                && !pattern.as_os_str().to_string_lossy().starts_with('.')
        })
    };
    glob::glob(full.to_str()?)
        .ok()?
        .flatten()
        .take(GLOB_MATCHES)
        .filter(|found| !hidden_by_wildcard(found))
        .find_map(|found| crate::protected::secret_path(&found, Path::new("/")))
}

fn secret_read(w: &mut Walker, what: &str, text: &str) {
    w.add(
        Rule::ReadDbguardSecret,
        format!("it reads {what}; {PERSON}"),
        text,
    );
}

/// Checks every command's words for the workarounds above.
pub fn command(w: &mut Walker, name: &str, inv: &Invocation, scope: &Scope) {
    let args = inv.args();
    if args.iter().any(|a| names_guard_setting(&a.text)) {
        guard_setting(w, &inv.text);
    }
    if args.iter().any(|a| sets_replica_role(&a.text)) {
        replica_role(w, &inv.text);
    }
    let lists_names = NAME_ONLY.contains(&name)
        || (name == "git"
            && args
                .first()
                .is_some_and(|a| matches!(a.text.as_str(), "status" | "ls-files")));
    if !lists_names {
        if let Some(what) = searched_paths(name, args).find_map(|a| names_secret(&a.text, scope)) {
            secret_read(w, what, &inv.text);
        }
    }
    if args
        .iter()
        .chain(&inv.words[..1])
        .any(|a| a.text.contains(&format!("{PRISMA_CONSENT}=")))
    {
        w.add(
            Rule::PrismaConsentVariable,
            format!("sets {PRISMA_CONSENT}, which stands for a person's consent: {PERSON}"),
            &inv.text,
        );
    }
    match name {
        "unset" if args.iter().any(|a| is_marker(&a.text)) => hides_agent(w, inv),
        "export" | "declare" | "typeset" | "readonly" if args.iter().any(|a| assigns_marker(&a.text)) => {
            hides_agent(w, inv)
        }
        "env" => env(w, inv),
        "dbguard" => approver(w, inv),
        _ => {}
    }
    if types_an_answer(name, args) {
        w.add(
            Rule::PtyDrivenApproval,
            format!("{name} types an answer into another terminal, where a person's approval prompt may wait; {PERSON}"),
            &inv.text,
        );
    }
    if PTY_DRIVERS.contains(&name) && drives_dbguard(&joined(args)) {
        w.add(
            Rule::PtyDrivenApproval,
            format!("{name} drives dbguard through a pseudo-terminal; {PERSON}"),
            &inv.text,
        );
    }
    if name == "patch"
        || (name == "git"
            && args
                .iter()
                .find(|a| !a.text.starts_with('-'))
                .is_some_and(|a| a.text == "apply" || a.text == "am"))
    {
        patched(w, name, inv, scope);
    }
    let awk_edits = matches!(name, "awk" | "gawk") && awk_edits(args);
    let reads = !awk_edits
        && (READERS.contains(&name)
            || MORE_READERS.contains(&name)
            || (name == "git" && git_reads(args))
            || (name == "sed" && !sed_edits(args)));
    // What is written: for a copy, only its destination (`cp dbguard.toml
    // /tmp/` reads dbguard.toml); for `sort -o FILE`, FILE; `vim -R` only reads.
    let written: Vec<&Word> = match name {
        "cp" | "rsync" | "scp" | "install" => {
            let operands: Vec<&Word> = args.iter().filter(|a| !a.text.starts_with('-')).collect();
            let target = args
                .windows(2)
                .find(|p| p[0].text == "-t" || p[0].text == "--target-directory")
                .map(|p| &p[1]);
            target
                .into_iter()
                .chain(operands.last().copied())
                .chain(args.iter().filter(|a| a.text.starts_with("--target-directory=")))
                .collect()
        }
        "sort" => args
            .windows(2)
            .filter(|p| p[0].text == "-o" || p[0].text == "--output")
            .map(|p| &p[1])
            .chain(args.iter().filter(|a| a.text.starts_with("--output=")))
            .collect(),
        "vim" | "vi" | "nvim" | "view" if name == "view" || args.iter().any(|a| a.text == "-R") => Vec::new(),
        _ => args.iter().collect(),
    };
    if !reads || name == "sort" {
        // After `cd .claude`, `settings.json` is the hook settings (only
        // after a `cd`: the line's own folder is what `protected` assumes).
        let moved = scope.cwd.as_deref() != Some(w.ctx.cwd.as_path());
        let resolved = |p: &str| -> Option<&'static str> {
            protected(p).or_else(|| {
                moved
                    .then(|| w.resolve(p, scope))
                    .flatten()
                    .and_then(|full| full.to_str().and_then(protected))
            })
        };
        if let Some((path, what)) = written
            .iter()
            .find_map(|a| argument_path(&a.text).and_then(|p| resolved(p).map(|w| (p, w))))
        {
            w.add(
                Rule::EditDbguardState,
                format!("{name} changes {path}, {what}; {PERSON}"),
                &inv.text,
            );
        }
    }
}

/// `tmux send-keys … YES Enter`, `screen -X stuff 'YES\n'`, `xdotool type
/// yes`: keys that answer a prompt, typed into another terminal.
fn types_an_answer(name: &str, args: &[Word]) -> bool {
    let sends = match name {
        "tmux" => args
            .iter()
            .any(|a| matches!(a.text.as_str(), "send-keys" | "send" | "set-buffer")),
        "screen" => args.iter().any(|a| a.text == "stuff"),
        "xdotool" | "ydotool" | "wtype" => true,
        _ => false,
    };
    sends
        && args.iter().any(|a| {
            a.text
                .split(|c: char| !c.is_ascii_alphabetic())
                .any(|word| matches!(word.to_lowercase().as_str(), "yes" | "y" | "approve" | "approved"))
        })
}

/// The arguments that may name files: for a search (`grep`, `rg`, `git
/// grep`), not its pattern (`rg ".dbguard" src/`) nor the folders it leaves
/// out (`--exclude-dir=.dbguard`).
fn searched_paths<'a>(name: &str, args: &'a [Word]) -> impl Iterator<Item = &'a Word> {
    let search = matches!(name, "grep" | "egrep" | "fgrep" | "rg" | "ag" | "ack")
        || (name == "git" && args.first().is_some_and(|a| a.text == "grep"));
    let explicit_pattern = args
        .iter()
        .any(|a| matches!(a.text.as_str(), "-e" | "-f" | "--regexp" | "--file"));
    let skip = if name == "git" { 1 } else { 0 };
    let pattern = (search && !explicit_pattern)
        .then(|| {
            args.iter()
                .enumerate()
                .skip(skip)
                .find(|(_, a)| !a.text.starts_with('-'))
                .map(|(i, _)| i)
        })
        .flatten();
    args.iter().enumerate().filter_map(move |(i, a)| {
        let excluded = search && (a.text.starts_with("--exclude") || a.text.starts_with("--glob=!"));
        (Some(i) != pattern && !excluded).then_some(a)
    })
}

/// The path in an argument: `of=PATH`, `--file=PATH` or the word itself;
/// none in a connection URL (its `passfile` is only read).
fn argument_path(text: &str) -> Option<&str> {
    if text.contains("://") {
        return None;
    }
    Some(match text.split_once('=') {
        Some((option, path)) if option.starts_with('-') || option == "of" => path,
        _ => text,
    })
}

fn git_reads(args: &[Word]) -> bool {
    let sub = args
        .iter()
        .find(|a| !a.text.starts_with('-'))
        .map(|a| a.text.as_str());
    matches!(
        sub,
        Some(
            "status"
                | "diff"
                | "log"
                | "show"
                | "blame"
                | "ls-files"
                | "grep"
                | "check-ignore"
                | "add"
                | "commit"
        )
    )
}

/// gawk's `-i inplace` (`-iinplace`, `--include=inplace`) rewrites its files.
fn awk_edits(args: &[Word]) -> bool {
    args.windows(2)
        .any(|pair| matches!(pair[0].text.as_str(), "-i" | "--include") && pair[1].text == "inplace")
        || args
            .iter()
            .any(|a| a.text == "-iinplace" || a.text == "--include=inplace")
}

/// `patch` and `git apply|am`: the files the patch names (read from its
/// file or standard input) are changed, dbguard's own among them. A patch
/// that cannot be read may change any file.
fn patched(w: &mut Walker, name: &str, inv: &Invocation, scope: &Scope) {
    let args = inv.args();
    // Dry runs and summaries change nothing.
    if args.iter().any(|a| {
        matches!(
            a.text.as_str(),
            "--check" | "--stat" | "--numstat" | "--summary" | "--dry-run"
        )
    }) {
        return;
    }
    let named = match name {
        "patch" => args.iter().enumerate().find_map(|(i, a)| match a.text.as_str() {
            "-i" | "--input" => args.get(i + 1).cloned(),
            t => t.strip_prefix("--input=").map(|v| Word {
                text: v.to_string(),
                ..a.clone()
            }),
        }),
        _ => args.iter().filter(|a| !a.text.starts_with('-')).nth(1).cloned(),
    };
    let text = match &named {
        Some(file) => w.read_file(file, scope).map(|(text, _)| text),
        None => match w.read_input(&inv.stdin, scope) {
            InputText::Text(text, _) => Ok(text),
            InputText::Interactive => Ok(String::new()),
            InputText::Unreadable(why) => Err(why),
        },
    };
    match text {
        Ok(text) => {
            let touched = text.lines().filter_map(|line| {
                let path = line
                    .strip_prefix("+++ ")
                    .or_else(|| line.strip_prefix("--- "))
                    .or_else(|| {
                        line.strip_prefix("diff --git ")
                            .and_then(|l| l.split_whitespace().last())
                    })?;
                let path = path.split('\t').next().unwrap_or(path).trim();
                Some(
                    path.strip_prefix("a/")
                        .or_else(|| path.strip_prefix("b/"))
                        .unwrap_or(path)
                        .to_string(),
                )
            });
            if let Some((path, what)) = touched
                .into_iter()
                .find_map(|p| protected(&p).map(|what| (p.clone(), what)))
            {
                w.add(
                    Rule::EditDbguardState,
                    format!("{name} patches {path}, {what}; {PERSON}"),
                    &inv.text,
                );
            }
        }
        Err(why) if !why.ends_with("does not exist") => w.add(
            Rule::ScriptUnresolved,
            format!(
                "{name} applies a patch that cannot be read, which may change dbguard's own files: {why}"
            ),
            &inv.text,
        ),
        Err(_) => {}
    }
}

fn sed_edits(args: &[Word]) -> bool {
    args.iter().any(|a| {
        a.text == "-i"
            || a.text.starts_with("--in-place")
            || (a.text.starts_with("-i") && !a.text.starts_with("--"))
            || (a.text.starts_with('-') && !a.text.starts_with("--") && a.text.contains('i'))
    })
}

fn joined(words: &[Word]) -> String {
    words
        .iter()
        .map(|w| w.text.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Whether text runs a dbguard command a person answers.
fn drives_dbguard(text: &str) -> bool {
    text.match_indices("dbguard").any(|(at, _)| {
        let rest = &text[at + "dbguard".len()..];
        rest.split(|c: char| c.is_whitespace() || matches!(c, '\'' | '"' | ',' | ']' | ')'))
            .filter(|w| !w.is_empty() && !w.starts_with('-'))
            .take(3)
            .any(|w| PERSON_COMMANDS.contains(&w))
    })
}

fn assigns_marker(text: &str) -> bool {
    text.split_once('=').is_some_and(|(name, _)| is_marker(name))
}

fn hides_agent(w: &mut Walker, inv: &Invocation) {
    w.add(
        Rule::UnsetAgentMarker,
        format!("hides the agent's marker from the commands that follow; {PERSON}"),
        &inv.text,
    );
}

/// `env -u MARKER`, `env MARKER=…`, `env -i … dbguard …`.
fn env(w: &mut Walker, inv: &Invocation) {
    let args = inv.args();
    let unsets = args
        .windows(2)
        .any(|p| matches!(p[0].text.as_str(), "-u" | "--unset") && is_marker(&p[1].text))
        || args.iter().any(|a| {
            a.text
                .strip_prefix("--unset=")
                .or_else(|| a.text.strip_prefix("-u"))
                .is_some_and(is_marker)
                || assigns_marker(&a.text)
        });
    let clears = args
        .iter()
        .any(|a| matches!(a.text.as_str(), "-i" | "--ignore-environment" | "-"))
        && args.iter().any(|a| a.text.contains("dbguard"));
    if unsets || clears {
        hides_agent(w, inv);
    }
}

/// `dbguard approver init|rotate`.
fn approver(w: &mut Walker, inv: &Invocation) {
    let operands: Vec<&str> = inv
        .args()
        .iter()
        .filter(|a| !a.text.starts_with('-'))
        .map(|a| a.text.as_str())
        .collect();
    if let ["approver", sub @ ("init" | "rotate" | "reset" | "import"), ..] = operands.as_slice() {
        w.add(
            Rule::ApproverSetup,
            format!("`dbguard approver {sub}` decides who can approve; {PERSON}"),
            &inv.text,
        );
    }
}

/// `NAME=value` before a command: a marker emptied or changed, or Prisma's consent.
pub fn assignments(w: &mut Walker, simple: &Simple, scope: &Scope) {
    let text = simple
        .words
        .iter()
        .map(|w| w.text.as_str())
        .collect::<Vec<_>>()
        .join(" ");
    for assignment in &simple.assignments {
        if names_guard_setting(&assignment.value.text) {
            guard_setting(w, &format!("{}=… {text}", assignment.name));
        }
        if sets_replica_role(&assignment.value.text) {
            replica_role(w, &format!("{}=… {text}", assignment.name));
        }
        if let Some(what) = names_secret(&assignment.value.text, scope) {
            secret_read(w, what, &format!("{}=… {text}", assignment.name));
        }
        if is_marker(&assignment.name) {
            w.add(
                Rule::UnsetAgentMarker,
                format!(
                    "changes the agent's marker {} for the command; {PERSON}",
                    assignment.name
                ),
                &format!("{}= {text}", assignment.name),
            );
        }
        if assignment.name == PRISMA_CONSENT {
            w.add(
                Rule::PrismaConsentVariable,
                format!("sets {PRISMA_CONSENT}, which stands for a person's consent: {PERSON}"),
                &format!("{PRISMA_CONSENT}=… {text}"),
            );
        }
    }
}

/// `> FILE`, `>> FILE`, `<> FILE` onto a protected file; `< FILE`, `<> FILE`
/// from one of dbguard's credentials.
pub fn redirect(w: &mut Walker, words: &[Word], redirect: &Redirect, scope: &Scope) {
    if matches!(redirect.kind, RedirectKind::Input | RedirectKind::ReadWrite) {
        if let Some(what) = names_secret(&redirect.target.text, scope) {
            let words: Vec<&str> = words.iter().map(|w| w.text.as_str()).collect();
            secret_read(
                w,
                what,
                &format!("{} < {}", words.join(" "), redirect.target.text),
            );
        }
    }
    if !matches!(
        redirect.kind,
        RedirectKind::Output | RedirectKind::Append | RedirectKind::ReadWrite
    ) {
        return;
    }
    if let Some(what) = protected(&redirect.target.text) {
        let words: Vec<&str> = words.iter().map(|w| w.text.as_str()).collect();
        w.add(
            Rule::EditDbguardState,
            format!("writes to {}, {what}; {PERSON}", redirect.target.text),
            &format!("{} > {}", words.join(" "), redirect.target.text),
        );
    }
}

/// Words in code that write, rename or delete files.
const CODE_WRITES: &[&str] = &[
    "'w'",
    "\"w\"",
    "'a'",
    "\"a\"",
    "'w+'",
    "'r+'",
    "\"r+\"",
    "write",
    "dump(",
    "unlink",
    "remove(",
    "rmtree",
    "rename",
    "replace(",
    "writefile",
    "rmsync",
    "rm(",
    "truncate",
    "chmod",
    "copyfile",
    "move(",
    "mkdir",
    "appendfile",
    "symlink",
];

/// Interpreter code that writes a protected file or drives dbguard through
/// a pseudo-terminal. `code` is `source` with strings blanked.
pub fn code(w: &mut Walker, source: &str, code: &str, via: &str, inv: &Invocation) {
    if names_guard_setting(source) {
        guard_setting(w, &inv.text);
    }
    let lower = source.to_lowercase();
    let code_lower = code.to_lowercase();
    if let Some(what) = lower
        .split(|c: char| c.is_whitespace() || matches!(c, '\'' | '"' | '`' | '(' | ')' | ','))
        .find_map(protected)
    {
        if CODE_WRITES.iter().any(|word| lower.contains(word)) {
            w.add(
                Rule::EditDbguardState,
                format!("{via} writes to {what}; {PERSON}"),
                &inv.text,
            );
        }
    }
    let pty = [
        "import pty",
        "from pty",
        "pty.fork",
        "pty.spawn",
        "pexpect",
        "ptyprocess",
        "node-pty",
        "openpty",
        "expect",
    ]
    .iter()
    .any(|p| lower.contains(p));
    if pty && drives_dbguard(source) {
        w.add(
            Rule::PtyDrivenApproval,
            format!("{via} drives dbguard through a pseudo-terminal; {PERSON}"),
            &inv.text,
        );
    }
    let removes_marker = AGENT_MARKERS.iter().any(|m| source.contains(m))
        && ["pop(", "del ", "unset", "delete "]
            .iter()
            .any(|d| code_lower.contains(d) || lower.contains(d));
    if removes_marker && source.contains("dbguard") {
        w.add(
            Rule::UnsetAgentMarker,
            format!("{via} removes the agent's marker before running dbguard; {PERSON}"),
            &inv.text,
        );
    }
    if sets_consent(source) {
        w.add(
            Rule::PrismaConsentVariable,
            format!("{via} sets {PRISMA_CONSENT}: {PERSON}"),
            &inv.text,
        );
    }
}

/// Whether code assigns Prisma's consent variable (`X=`, `["X"] =`, `X: "…"`).
fn sets_consent(source: &str) -> bool {
    source.match_indices(PRISMA_CONSENT).any(|(at, _)| {
        let rest = source[at + PRISMA_CONSENT.len()..].trim_start_matches(['\'', '"', ']', ' ', '`']);
        (rest.starts_with('=') && !rest.starts_with("==")) || rest.starts_with(':') || rest.starts_with(',')
    })
}

#[cfg(test)]
mod tests {
    use super::{drives_dbguard, protected, sets_consent};

    /// Globs are expanded in the command's folder as the shell would, and
    /// the password file's name counts wherever it stands.
    #[test]
    fn secrets_are_found_through_globs_and_their_name() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join(".dbguard/approvals")).unwrap();
        std::fs::write(dir.path().join(".dbguard/local.pgpass"), "*:*:*:postgres:x\n").unwrap();
        std::fs::write(dir.path().join(".dbguard/approvals/1a2b.json"), "{}").unwrap();
        std::fs::create_dir(dir.path().join("src")).unwrap();
        std::fs::write(dir.path().join("src/app.ts"), "").unwrap();
        let ctx = crate::ShellContext {
            cwd: dir.path().to_path_buf(),
            files: &crate::DiskFiles,
            sql: Default::default(),
        };
        let risk = |line: &str| crate::classify_shell(line, &ctx).risk;
        for line in [
            "cat .db*/local*",
            "cat ./.[d]bguard/loc?l.pgpass",
            "jq .window .d*/app*/*",
            "f=.dbg; cat ${f}uard/local.pgpass",
            "find . -name local.pgpass -exec cat {} +",
        ] {
            assert_eq!(risk(line), crate::Risk::High, "{line}");
        }
        for line in ["cat src/*.ts", "cat *", "wc -l src/*"] {
            assert_eq!(risk(line), crate::Risk::Low, "{line}");
        }
    }

    #[test]
    fn consent_is_set_not_read() {
        assert!(sets_consent(
            "os.environ['PRISMA_USER_CONSENT_FOR_DANGEROUS_AI_ACTION'] = 'yes'"
        ));
        assert!(sets_consent(
            "env: { PRISMA_USER_CONSENT_FOR_DANGEROUS_AI_ACTION: '1' }"
        ));
        assert!(!sets_consent(
            "print(os.environ.get('PRISMA_USER_CONSENT_FOR_DANGEROUS_AI_ACTION'))"
        ));
    }

    #[test]
    fn protected_paths() {
        assert!(protected(".dbguard/approvals/x.json").is_some());
        assert!(protected("/home/a/.config/dbguard/approver.key").is_some());
        assert!(protected("$XDG_CONFIG_HOME/dbguard/pub").is_some());
        assert!(protected(".claude/settings.local.json").is_some());
        assert!(protected(".cursor/hooks.json").is_some());
        assert!(protected("dbguard.toml").is_some());
        assert!(protected("src/dbguard.rs").is_none());
        assert!(protected(".claude/commands/x.md").is_none());
    }

    #[test]
    fn pty_targets() {
        assert!(drives_dbguard("dbguard approve 7f3a"));
        assert!(drives_dbguard("spawn('dbguard', ['run', '--', 'psql'])"));
        assert!(!drives_dbguard("dbguard status"));
    }
}
