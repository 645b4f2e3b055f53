//! Programs that run another program with a lock, a tracer, a terminal, a
//! user or a service around it: flock, chronic, strace, ltrace, unbuffer,
//! busybox, runuser, systemd-run, setsid, rlwrap, gosu, su-exec, chroot,
//! nsenter, xvfb-run, tini, dumb-init, caffeinate, taskset, numactl,
//! faketime, valgrind, firejail. Each has a table of the options that take a
//! value, so the wrapped command starts at the right word; `-c STRING`
//! forms (flock, runuser) are shell lines.

use super::super::ast::Word;
use super::super::opts::{read, Items, Spec};
use super::super::walk::{Invocation, Scope, Walker};
use super::wrappers::shell_text;

/// How one wrapper reads its arguments.
struct Launcher {
    /// Program names.
    names: &'static [&'static str],
    /// Options taking a value.
    spec: Spec,
    /// Operands before the wrapped command (a lock file, a user, a folder).
    skip: usize,
    /// Options whose value is a shell command line.
    command_options: &'static [&'static str],
    /// Options whose value is the folder the command runs in.
    chdir_options: &'static [&'static str],
    /// The command runs where this machine's files are not its files.
    elsewhere: Option<&'static str>,
}

const fn spec(short_values: &'static str, long_values: &'static [&'static str]) -> Spec {
    Spec {
        short_values,
        long_values,
    }
}

const LAUNCHERS: &[Launcher] = &[
    Launcher {
        names: &["flock"],
        spec: spec("wEc", &["timeout", "wait", "conflict-exit-code", "command"]),
        skip: 1,
        command_options: &["-c", "--command"],
        chdir_options: &[],
        elsewhere: None,
    },
    Launcher {
        names: &[
            "chronic",
            "unbuffer",
            "busybox",
            "setsid",
            "rlwrap",
            "dbus-run-session",
            "tini",
            "dumb-init",
            "proxychains",
            "proxychains4",
            "torsocks",
            "firejail",
            "catchsegv",
        ],
        spec: spec("", &[]),
        skip: 0,
        command_options: &[],
        chdir_options: &[],
        elsewhere: None,
    },
    Launcher {
        names: &["strace"],
        spec: spec(
            "abeEIoOpPsSuUX",
            &["output", "signal", "trace", "status", "user", "env"],
        ),
        skip: 0,
        command_options: &[],
        chdir_options: &[],
        elsewhere: None,
    },
    Launcher {
        names: &["ltrace"],
        spec: spec("aeEflnopsSuwxA", &["output", "library"]),
        skip: 0,
        command_options: &[],
        chdir_options: &[],
        elsewhere: None,
    },
    Launcher {
        names: &["caffeinate"],
        spec: spec("tw", &[]),
        skip: 0,
        command_options: &[],
        chdir_options: &[],
        elsewhere: None,
    },
    Launcher {
        names: &["valgrind", "xvfb-run", "numactl"],
        spec: spec(
            "snfeNmCpl",
            &["tool", "server-args", "auth-file", "error-file", "server-num"],
        ),
        skip: 0,
        command_options: &[],
        chdir_options: &[],
        elsewhere: None,
    },
    Launcher {
        names: &["runuser"],
        spec: spec(
            "ugGcsw",
            &[
                "user",
                "group",
                "supp-group",
                "command",
                "shell",
                "whitelist-environment",
            ],
        ),
        skip: 0,
        command_options: &["-c", "--command"],
        chdir_options: &[],
        elsewhere: None,
    },
    Launcher {
        names: &["systemd-run"],
        spec: spec(
            "upEMHs",
            &[
                "unit",
                "property",
                "description",
                "slice",
                "setenv",
                "uid",
                "gid",
                "nice",
                "machine",
                "host",
                "on-active",
                "on-boot",
                "on-startup",
                "on-unit-active",
                "on-unit-inactive",
                "on-calendar",
                "timer-property",
                "path-property",
                "socket-property",
                "service-type",
                "working-directory",
            ],
        ),
        skip: 0,
        command_options: &[],
        chdir_options: &["--working-directory"],
        elsewhere: None,
    },
    Launcher {
        names: &["gosu", "su-exec", "s6-setuidgid", "faketime", "taskset", "sg"],
        spec: spec("", &[]),
        skip: 1,
        command_options: &[],
        chdir_options: &[],
        elsewhere: None,
    },
    Launcher {
        names: &["chroot"],
        spec: spec("", &["userspec", "groups"]),
        skip: 1,
        command_options: &[],
        chdir_options: &[],
        elsewhere: Some("another root folder"),
    },
    Launcher {
        names: &["nsenter"],
        // `-m`, `-n`, `-r`, `-w`, … take a file only as `-mFILE` or `--mount=FILE`.
        spec: spec("tSG", &["target", "setuid", "setgid"]),
        skip: 0,
        command_options: &[],
        chdir_options: &[],
        elsewhere: Some("another process's namespaces"),
    },
];

fn launcher(name: &str) -> Option<&'static Launcher> {
    LAUNCHERS.iter().find(|l| l.names.contains(&name))
}

/// Whether `name` is a wrapper of this module.
pub fn handles(name: &str) -> bool {
    launcher(name).is_some()
}

/// Classifies what the wrapper `name` runs.
pub fn unwrap(w: &mut Walker, name: &str, inv: &Invocation, scope: &Scope) {
    let Some(launcher) = launcher(name) else { return };
    let args = inv.args();
    let (items, rest) = read(args, &launcher.spec, true);
    let mut inner = match launcher.elsewhere {
        Some(place) => scope.on(place),
        None => scope.clone(),
    };
    if let Some(dir) = items.values(launcher.chdir_options).first() {
        inner.cwd = w.resolve(&dir.text, scope).filter(|_| !dir.dynamic);
    }
    if let Some(command) = items.values(launcher.command_options).first() {
        return shell_text(w, command, &format!("{name} -c"), &inner);
    }
    // `runuser -u USER CMD` runs CMD; `runuser USER` (su-style) needs -c.
    let skip = if name == "runuser" && !items.has(&["-u", "--user"]) {
        1
    } else {
        launcher.skip
    };
    let Some(start) = rest else { return };
    let words: Vec<Word> = args.get(start + skip..).unwrap_or_default().to_vec();
    // `flock FILE -c CMD`: the option after the lock file.
    if words
        .first()
        .is_some_and(|w| matches!(w.text.as_str(), "-c" | "--command"))
    {
        if let Some(command) = words.get(1) {
            return shell_text(w, command, &format!("{name} -c"), &inner);
        }
        return;
    }
    if !words.is_empty() {
        w.invocation(&inv.with_words(words), &inner);
    }
}
