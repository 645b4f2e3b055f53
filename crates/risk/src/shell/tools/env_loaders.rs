//! Programs that load environment variables or secrets and then run a
//! command: cross-env, cross-env-shell, env-cmd, dotenvx, dotenv (dotenv-cli),
//! direnv exec, doppler, 1Password `op`, infisical, railway run (locally,
//! with the environment's variables), aws-vault, chamber, envdir, sops
//! exec-env. The command comes after `--`, after the options and
//! assignments, or in a `--command` option; `direnv exec DIR` and `envdir`
//! also change the folder it runs in.

use super::super::ast::Word;
use super::super::opts::{read, Items, Spec};
use super::super::walk::{Invocation, Scope, Walker};
use super::wrappers::{is_assignment, joined, shell_text};

const NAMES: &[&str] = &[
    "cross-env",
    "cross-env-shell",
    "env-cmd",
    "dotenvx",
    "dotenv",
    "direnv",
    "doppler",
    "op",
    "infisical",
    "railway",
    "aws-vault",
    "chamber",
    "envdir",
    "sops",
];

/// Whether `name` is one of these loaders.
pub fn handles(name: &str) -> bool {
    NAMES.contains(&name)
}

/// Options that take a value, for all of them (they share most spellings).
const SPEC: Spec = Spec {
    short_values: "fecpvs",
    long_values: &[
        "file",
        "env-file",
        "environments",
        "rc-file",
        "env",
        "project",
        "config",
        "command",
        "service",
        "environment",
        "token",
        "vault",
        "account",
        "profile",
        "path",
        "output",
        "input-type",
    ],
};

/// Subcommands that introduce the command to run.
const RUN_WORDS: &[&str] = &["run", "exec", "exec-env"];

/// Classifies what the loader `name` runs.
pub fn unwrap(w: &mut Walker, name: &str, inv: &Invocation, scope: &Scope) {
    let args = inv.args();
    if name == "cross-env-shell" {
        let start = args
            .iter()
            .position(|a| !is_assignment(&a.text))
            .unwrap_or(args.len());
        return shell_text(w, &joined(&args[start..]), name, scope);
    }
    let (items, _) = read(args, &SPEC, false);
    if let Some(command) = items.values(&["--command"]).first() {
        return shell_text(w, command, &format!("{name} --command"), scope);
    }
    let mut inner = scope.clone();
    let words: Vec<Word> = match args.iter().position(|a| a.text == "--") {
        Some(dash) => args[dash + 1..].to_vec(),
        None => {
            let (_, rest) = read(args, &SPEC, true);
            let mut start = rest.unwrap_or(args.len());
            if args
                .get(start)
                .is_some_and(|a| RUN_WORDS.contains(&a.text.as_str()))
            {
                start += 1;
            } else if name == "railway" {
                // `railway down`, `railway connect`: the platform's own commands.
                return super::hosting::platform(w, name, inv, scope);
            } else if name != "cross-env" && name != "env-cmd" && name != "dotenv" && name != "envdir" {
                // `doppler secrets`, `op item get`, `railway up`: not a command run.
                return;
            }
            // The profile, service, folder or file named before the command.
            if matches!(name, "direnv" | "aws-vault" | "chamber" | "envdir" | "sops") {
                if let Some(dir) = args.get(start) {
                    if name == "direnv" {
                        inner.cwd = w.resolve(&dir.text, scope).filter(|_| !dir.dynamic);
                    }
                }
                start += 1;
            }
            let (_, after) = read(args.get(start..).unwrap_or_default(), &SPEC, true);
            start += after.unwrap_or(0);
            while args.get(start).is_some_and(|a| is_assignment(&a.text)) {
                start += 1;
            }
            args.get(start..).unwrap_or_default().to_vec()
        }
    };
    if name == "sops" && words.len() == 1 {
        return shell_text(w, &words[0], "sops exec-env", &inner);
    }
    if !words.is_empty() {
        w.invocation(&inv.with_words(words), &inner);
    }
}
