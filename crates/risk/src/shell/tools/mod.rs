//! What each known program does to a database, one module per family.
//! A program dbguard does not know is searched for a database command it
//! runs ([`nested`]), so the next wrapper is caught without a code change.

mod aliases;
mod backup_tools;
mod backups;
mod builds;
mod cloud_payloads;
mod code;
mod containers;
mod dbguard;
mod env_loaders;
mod files;
mod git;
mod help;
mod hosting;
mod http_clients;
mod iac;
mod interpreters;
mod kubernetes;
mod launchers;
mod migrations;
mod nested;
mod object_storage;
mod packages;
mod parallel;
mod paths;
mod postgres;
mod prisma;
mod process_wrappers;
mod psql;
mod remote;
mod schedulers;
mod script_edits;
pub(crate) mod script_shell;
mod self_protection;
mod sql_clients;
mod startup_env;
mod task_runners;
mod text_tools;
mod wrappers;

use super::ast::{Redirect, Simple, Word};
use super::walk::{Invocation, Scope, Walker};

/// The families of programs dbguard knows.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Family {
    Wrapper,
    ProcessWrapper,
    EnvLoader,
    Scheduler,
    Parallel,
    Interpreter,
    Remote,
    Code,
    PackageManager,
    TaskRunner,
    Prisma,
    Psql,
    Postgres,
    Migrations,
    Containers,
    Files,
    Git,
    Backups,
    ObjectStorage,
    Iac,
    BackupTools,
    Helm,
    ScriptEdits,
    SqlClient,
    Http,
    TextTools,
    Launcher,
    Dbguard,
    Build,
    Hosting,
}

fn family(name: &str) -> Option<Family> {
    Some(match name {
        "env" | "sudo" | "doas" | "command" | "exec" | "nice" | "nohup" | "time" | "timeout" | "stdbuf"
        | "ionice" | "xargs" | "npx" | "bunx" | "watch" | "bundle" | "corepack" => Family::Wrapper,
        _ if process_wrappers::handles(name) => Family::ProcessWrapper,
        _ if launchers::handles(name) => Family::Launcher,
        _ if env_loaders::handles(name) => Family::EnvLoader,
        "at" | "batch" | "crontab" => Family::Scheduler,
        "parallel" => Family::Parallel,
        "bash" | "sh" | "zsh" | "dash" | "ksh" | "ash" | "fish" | "eval" | "su" | "source" | "."
        | "script" | "trap" => Family::Interpreter,
        "ssh" | "fly" | "flyctl" => Family::Remote,
        _ if code::handles(name) => Family::Code,
        "npm" | "pnpm" | "yarn" | "bun" => Family::PackageManager,
        _ if task_runners::handles(name) => Family::TaskRunner,
        "prisma" => Family::Prisma,
        "psql" => Family::Psql,
        "doctl" => Family::ObjectStorage,
        "dropdb" | "dropuser" | "createdb" | "pg_restore" | "pg_ctl" | "pg_ctlcluster" | "pg_dropcluster"
        | "pg_resetwal" | "pg_resetxlog" | "pg_rewind" | "pg_upgrade" | "pg_basebackup" | "systemctl"
        | "service" | "kill" | "pkill" | "killall" | "pgbench" | "pg_dump" | "pg_dumpall" => Family::Postgres,
        _ if migrations::handles(name) => Family::Migrations,
        "docker" | "docker-compose" | "podman" | "podman-compose" | "nerdctl" | "kubectl" | "oc" => {
            Family::Containers
        }
        "rm" | "find" | "shred" | "unlink" | "truncate" | "trash-put" | "trash" | "gio" => Family::Files,
        "git" => Family::Git,
        _ if backups::handles(name) => Family::Backups,
        _ if object_storage::handles(name) => Family::ObjectStorage,
        _ if iac::handles(name) => Family::Iac,
        _ if backup_tools::handles(name) => Family::BackupTools,
        "helm" => Family::Helm,
        "usql" | "pgcli" => Family::Psql,
        "duckdb" => Family::SqlClient,
        "sed" | "gsed" => Family::TextTools,
        "json" | "jq" => Family::ScriptEdits,
        _ if http_clients::handles(name) => Family::Http,
        // Another build of dbguard (`dbguard-dev`, `./target/debug/dbguard`) is dbguard.
        _ if name == "dbguard" || name.starts_with("dbguard-") => Family::Dbguard,
        _ if builds::handles(name) => Family::Build,
        _ if hosting::handles(name) => Family::Hosting,
        _ => return None,
    })
}

/// Whether dbguard has rules for the program `name`.
pub fn is_known(name: &str) -> bool {
    family(&program_name(name)).is_some()
}

/// Whether `name` is a program that acts on a database or its files by
/// itself (not a wrapper or shell), so that finding it among another
/// program's arguments means that program runs it.
fn is_database_tool(name: &str) -> bool {
    matches!(
        family(name),
        Some(
            Family::PackageManager
                | Family::Prisma
                | Family::Psql
                | Family::Migrations
                | Family::Containers
                | Family::Code
                | Family::ObjectStorage
                | Family::Iac
                | Family::BackupTools
                | Family::SqlClient
                | Family::Dbguard
        )
    ) || matches!(
        name,
        "dropdb"
            | "pg_restore"
            | "pg_dropcluster"
            | "pg_resetwal"
            | "pg_resetxlog"
            | "pg_ctl"
            | "rm"
            | "shred"
            | "npx"
            | "bunx"
    )
}

/// Hands an invocation to the rules of its program.
pub fn dispatch(w: &mut Walker, inv: &Invocation, scope: &Scope) {
    if aliases::expand(w, inv, scope) {
        return;
    }
    let name = program_name(&inv.words[0].text);
    if aliases::remember(w, &name, inv) {
        return;
    }
    self_protection::command(w, &name, inv, scope);
    startup_env::command(w, &name, inv);
    let family = family(&name);
    if help::only_asks_for_help(family, inv.args()) {
        return;
    }
    match family {
        Some(Family::Wrapper) => wrappers::unwrap(w, &name, inv, scope),
        Some(Family::ProcessWrapper) => process_wrappers::unwrap(w, &name, inv, scope),
        Some(Family::EnvLoader) => env_loaders::unwrap(w, &name, inv, scope),
        Some(Family::Scheduler) => schedulers::classify(w, &name, inv, scope),
        Some(Family::Parallel) => parallel::classify(w, inv, scope),
        Some(Family::Interpreter) => interpreters::run(w, &name, inv, scope),
        Some(Family::Remote) => remote::classify(w, &name, inv, scope),
        Some(Family::Code) => code::run(w, &name, inv, scope),
        Some(Family::PackageManager) => packages::run(w, &name, inv, scope),
        Some(Family::TaskRunner) => task_runners::run(w, &name, inv, scope),
        Some(Family::Prisma) => prisma::classify(w, inv, scope),
        Some(Family::Psql) => psql::classify(w, inv, scope),
        Some(Family::Postgres) => postgres::classify(w, &name, inv, scope),
        Some(Family::Migrations) => migrations::classify(w, &name, inv, scope),
        Some(Family::Containers) => containers::classify(w, &name, inv, scope),
        Some(Family::Files) => files::classify(w, &name, inv, scope),
        Some(Family::Git) => git::classify(w, inv, scope),
        Some(Family::Backups) => backups::classify(w, &name, inv),
        Some(Family::ObjectStorage) => object_storage::classify(w, &name, inv, scope),
        Some(Family::TextTools) => text_tools::classify(w, inv, scope),
        Some(Family::Iac) => iac::classify(w, &name, inv, scope),
        Some(Family::BackupTools) => backup_tools::classify(w, &name, inv),
        Some(Family::Helm) => kubernetes::helm(w, inv),
        Some(Family::ScriptEdits) => script_edits::edit(w, inv),
        Some(Family::SqlClient) => sql_clients::duckdb(w, inv, scope),
        Some(Family::Http) => http_clients::classify(w, &name, inv),
        Some(Family::Dbguard) => dbguard::classify(w, inv),
        Some(Family::Launcher) => launchers::classify(w, &name, inv, scope),
        Some(Family::Build) => builds::classify(w, &name, inv, scope),
        Some(Family::Hosting) => hosting::platform(w, &name, inv, scope),
        // A program run by path is read when it is a script, and its
        // arguments searched as any program's (`./vendor/bin/sail artisan …`).
        None if inv.words[0].text.contains('/') => {
            interpreters::program_file(w, inv, scope);
            nested::unknown(w, &name, inv, scope);
        }
        None => nested::unknown(w, &name, inv, scope),
    }
}

/// Redirections of a command (its `words`; none for a group such as
/// `{ …; } > FILE`): overwriting backups, or dbguard's own files.
pub fn redirect(w: &mut Walker, words: &[Word], redirect: &Redirect, scope: &Scope) {
    backups::redirect(w, words, redirect, scope);
    self_protection::redirect(w, words, redirect, scope);
}

/// `NAME=value` before a command.
pub fn environment(w: &mut Walker, simple: &Simple, scope: &Scope) {
    self_protection::assignments(w, simple, scope);
    git::environment(w, simple, scope);
    for assignment in &simple.assignments {
        let text = format!("{}={} …", assignment.name, assignment.value.text);
        startup_env::assignment(w, &assignment.name, &assignment.value.text, &text);
    }
    for assignment in simple
        .assignments
        .iter()
        .filter(|a| script_shell::is_variable(&a.name))
    {
        let text = format!("{}={}", assignment.name, assignment.value.text);
        script_shell::set(w, &assignment.value, &assignment.name, &text);
    }
    for assignment in simple.assignments.iter().filter(|a| a.name == "PSQLRC") {
        let text = format!("PSQLRC={}", assignment.value.text);
        psql::startup_file(w, &assignment.value, &text, scope);
    }
}

/// Whether the program `name` creates no file by itself (its redirections
/// are followed on their own): the readers, and shell builtins that only
/// change the shell.
pub fn writes_no_files(name: &str) -> bool {
    const BUILTINS: &[&str] = &[
        "true", "false", ":", "export", "unset", "set", "pwd", "cd", "pushd", "popd", "sleep", "hash",
        "alias", "chmod",
    ];
    nested::READERS.contains(&name) || BUILTINS.contains(&name)
}

/// Whether a task, script or file name says it works on the database
/// (`db:reset`, `scripts/seed.ts`, `cmd/migrate`): what cannot be resolved
/// under such a name fails closed as medium risk.
pub fn sounds_like_database(name: &str) -> bool {
    const WORDS: &[&str] = &[
        "db", "database", "migrat", "prisma", "seed", "reset", "drop", "truncate", "wipe", "restore",
        "schema", "sql", "purge", "flush", "fresh", "destroy", "nuke",
    ];
    let lower = name.to_lowercase();
    WORDS.iter().any(|w| lower.contains(w))
}

/// The program's name as the rules know it: the last path component
/// (`node_modules/.bin/prisma` -> `prisma`), without an npm version suffix
/// (`prisma@5` -> `prisma`).
pub fn program_name(text: &str) -> String {
    let base = text.rsplit('/').next().unwrap_or(text);
    match base.find('@') {
        Some(at) if at > 0 => base[..at].to_string(),
        _ => base.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::program_name;

    #[test]
    fn program_names() {
        assert_eq!(program_name("node_modules/.bin/prisma"), "prisma");
        assert_eq!(program_name("prisma@5.2.0"), "prisma");
        assert_eq!(program_name("/usr/lib/postgresql/15/bin/psql"), "psql");
        assert_eq!(program_name("."), ".");
    }
}
