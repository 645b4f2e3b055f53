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

use super::walk::{Invocation, Scope, Walker};

/// Hands an invocation to the rules of its program.
pub fn dispatch(w: &mut Walker, inv: &Invocation, scope: &Scope) {
    let name = program_name(&inv.words[0].text);
    match name.as_str() {
        "env" | "sudo" | "doas" | "command" | "exec" | "nice" | "nohup" | "time" | "timeout" | "stdbuf"
        | "ionice" | "xargs" | "npx" | "bunx" | "dotenv" | "watch" | "doppler" | "op" | "infisical" => {
            wrappers::unwrap(w, &name, inv, scope)
        }
        "bash" | "sh" | "zsh" | "dash" | "ksh" | "ash" | "eval" | "su" | "ssh" | "source" | "." => {
            interpreters::run(w, &name, inv, scope)
        }
        "npm" | "pnpm" | "yarn" | "bun" => packages::run(w, &name, inv, scope),
        "prisma" => prisma::classify(w, inv, scope),
        "psql" => psql::classify(w, inv, scope),
        "dropdb" | "dropuser" | "pg_restore" | "pg_ctl" | "pg_ctlcluster" | "pg_dropcluster"
        | "pg_resetwal" | "pg_resetxlog" | "systemctl" | "service" => postgres::classify(w, &name, inv),
        "supabase" | "docker" | "docker-compose" | "podman" | "podman-compose" | "kubectl" => {
            containers::classify(w, &name, inv, scope)
        }
        "rm" | "find" | "shred" | "unlink" | "truncate" | "git" => files::classify(w, &name, inv),
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
        | "django-admin" => frameworks::classify(w, &name, inv),
        _ if inv.words[0].text.contains('/') => interpreters::program_file(w, inv, scope),
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
