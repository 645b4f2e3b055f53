//! What each known program does to a database, one module per family.

mod containers;
mod files;
mod frameworks;
mod interpreters;
mod packages;
mod postgres;
mod prisma;
mod psql;
mod wrappers;

use super::opts;
use super::walk::{Invocation, Scope, Walker};

/// The families of programs dbguard knows.
#[derive(Clone, Copy)]
enum Family {
    Wrapper,
    Interpreter,
    PackageManager,
    Prisma,
    Psql,
    Postgres,
    Containers,
    Files,
    Frameworks,
    Dbguard,
}

fn family(name: &str) -> Option<Family> {
    Some(match name {
        "env" | "sudo" | "doas" | "command" | "exec" | "nice" | "nohup" | "time" | "timeout" | "stdbuf"
        | "ionice" | "xargs" | "npx" | "bunx" | "dotenv" | "watch" | "doppler" | "op" | "infisical"
        | "bundle" => Family::Wrapper,
        "bash" | "sh" | "zsh" | "dash" | "ksh" | "ash" | "eval" | "su" | "ssh" | "source" | "."
        | "script" => Family::Interpreter,
        "npm" | "pnpm" | "yarn" | "bun" => Family::PackageManager,
        "prisma" => Family::Prisma,
        "psql" => Family::Psql,
        "dropdb" | "dropuser" | "pg_restore" | "pg_ctl" | "pg_ctlcluster" | "pg_dropcluster"
        | "pg_resetwal" | "pg_resetxlog" | "systemctl" | "service" => Family::Postgres,
        "supabase" | "docker" | "docker-compose" | "podman" | "podman-compose" | "kubectl" => {
            Family::Containers
        }
        "rm" | "find" | "shred" | "unlink" | "truncate" | "git" => Family::Files,
        "drizzle-kit"
        | "sequelize"
        | "sequelize-cli"
        | "knex"
        | "typeorm"
        | "typeorm-ts-node-commonjs"
        | "typeorm-ts-node-esm"
        | "rails"
        | "rake"
        | "python"
        | "python3"
        | "django-admin" => Family::Frameworks,
        "dbguard" => Family::Dbguard,
        _ => return None,
    })
}

/// Whether dbguard has rules for the program `name`.
pub fn is_known(name: &str) -> bool {
    family(&program_name(name)).is_some()
}

/// Hands an invocation to the rules of its program.
pub fn dispatch(w: &mut Walker, inv: &Invocation, scope: &Scope) {
    let name = program_name(&inv.words[0].text);
    match family(&name) {
        Some(Family::Wrapper) => wrappers::unwrap(w, &name, inv, scope),
        Some(Family::Interpreter) => interpreters::run(w, &name, inv, scope),
        Some(Family::PackageManager) => packages::run(w, &name, inv, scope),
        Some(Family::Prisma) => prisma::classify(w, inv, scope),
        Some(Family::Psql) => psql::classify(w, inv, scope),
        Some(Family::Postgres) => postgres::classify(w, &name, inv),
        Some(Family::Containers) => containers::classify(w, &name, inv, scope),
        Some(Family::Files) => files::classify(w, &name, inv),
        Some(Family::Frameworks) => frameworks::classify(w, &name, inv),
        Some(Family::Dbguard) => dbguard(w, inv),
        None if inv.words[0].text.contains('/') => interpreters::program_file(w, inv, scope),
        None => {}
    }
}

/// dbguard itself: its commands are low (those that change data run the
/// safety protocol themselves), but approvals never come from a command
/// line, and a restore over the live database is high.
fn dbguard(w: &mut Walker, inv: &Invocation) {
    let spec = opts::Spec {
        short_values: "",
        long_values: &["format", "database-url", "into"],
    };
    let (items, _) = opts::read(inv.args(), &spec, false);
    let operands = opts::Items::operands(items.as_slice());
    // `dbguard run -- dbguard approve …` is an approval on a command line too.
    let nested_approve = inv
        .words
        .windows(2)
        .skip(1)
        .any(|pair| program_name(&pair[0].text) == "dbguard" && pair[1].text == "approve");
    match operands.first().map(|w| w.text.as_str()) {
        _ if nested_approve => w.add(
            crate::rules::Rule::ApprovalFromCommand,
            "`dbguard approve` must be run by a person in their own terminal",
            &inv.text,
        ),
        Some("approve") => w.add(
            crate::rules::Rule::ApprovalFromCommand,
            "`dbguard approve` must be run by a person in their own terminal",
            &inv.text,
        ),
        Some("restore") if !opts::Items::has(items.as_slice(), &["--into"]) => w.add(
            crate::rules::Rule::RestoreOverLive,
            "dbguard restore without --into replaces the live database",
            &inv.text,
        ),
        _ => {}
    }
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
