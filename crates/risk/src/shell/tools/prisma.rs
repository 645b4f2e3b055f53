//! The Prisma CLI.

use super::super::opts::{read, Items, Spec};
use super::super::walk::{InputText, Invocation, Scope, Walker};
use crate::rules::Rule;

const SPEC: Spec = Spec {
    short_values: "np",
    long_values: &[
        "schema",
        "name",
        "file",
        "url",
        "applied",
        "rolled-back",
        "port",
        "browser",
        "from-url",
        "to-url",
        "from-schema-datamodel",
        "to-schema-datamodel",
        "from-schema-datasource",
        "to-schema-datasource",
        "from-migrations",
        "to-migrations",
        "shadow-database-url",
        "output",
        "config",
        "generator",
    ],
};

/// Classifies a `prisma …` command.
pub fn classify(w: &mut Walker, inv: &Invocation, scope: &Scope) {
    let (items, _) = read(inv.args(), &SPEC, false);
    let operands: Vec<&str> = items.operands().iter().map(|w| w.text.as_str()).collect();
    let text = &inv.text;
    match operands.as_slice() {
        [] => {}
        ["migrate", "reset", ..] => w.add(
            Rule::PrismaMigrateReset,
            "prisma migrate reset drops the database, re-applies every migration and runs the seed",
            text,
        ),
        ["migrate", "dev", ..] => w.add(
            Rule::PrismaMigrateDev,
            "prisma migrate dev applies migrations to the development database and may reset it",
            text,
        ),
        ["migrate", "deploy", ..] => w.add(
            Rule::PrismaMigrateDeploy,
            "prisma migrate deploy applies pending migrations that have not been linted",
            text,
        ),
        ["migrate", "resolve", ..] => w.add(
            Rule::PrismaMigrateResolve,
            "prisma migrate resolve rewrites the migration history",
            text,
        ),
        ["migrate", "status" | "diff", ..] => {}
        ["db", "push", ..] => {
            if items.has(&["--force-reset"]) {
                w.add(
                    Rule::PrismaForceReset,
                    "prisma db push --force-reset drops every table before pushing the schema",
                    text,
                );
            }
            if items.has(&["--accept-data-loss"]) {
                w.add(
                    Rule::PrismaAcceptDataLoss,
                    "prisma db push --accept-data-loss applies changes that delete data",
                    text,
                );
            }
            if !items.has(&["--force-reset", "--accept-data-loss"]) {
                w.add(
                    Rule::PrismaDbPush,
                    "prisma db push changes the schema without a migration",
                    text,
                );
            }
        }
        ["db", "execute", ..] => {
            if items.has(&["--stdin"]) {
                match w.read_input(&inv.stdin, scope) {
                    InputText::Text(sql, origin) => {
                        w.nested_sql(&sql, Some(format!("prisma db execute reading {origin}")))
                    }
                    InputText::Interactive => w.add(
                        Rule::SqlUnreadable,
                        "prisma db execute --stdin reads SQL typed at the terminal",
                        text,
                    ),
                    InputText::Unreadable(why) => w.add(
                        Rule::SqlUnreadable,
                        format!("prisma db execute --stdin reads SQL that cannot be read: {why}"),
                        text,
                    ),
                }
            }
            for file in items.values(&["--file"]) {
                match w.read_file(file, scope) {
                    Ok((sql, name)) => w.nested_sql(&sql, Some(name)),
                    Err(why) => w.add(
                        Rule::SqlUnreadable,
                        format!("prisma db execute --file: {why}"),
                        text,
                    ),
                }
            }
            if !items.has(&["--stdin", "--file"]) {
                w.add(
                    Rule::SqlUnreadable,
                    "prisma db execute without --stdin or --file: the SQL cannot be found",
                    text,
                );
            }
        }
        ["db", "seed", ..] => w.add(
            Rule::PrismaDbSeed,
            "prisma db seed runs the project's seed script, which dbguard does not read",
            text,
        ),
        ["db", "pull", ..] => {}
        ["generate" | "studio" | "format" | "validate" | "init" | "version" | "debug" | "help", ..] => {}
        other => w.add(
            Rule::UnknownSubcommand,
            format!(
                "`prisma {}` is a Prisma command dbguard does not know",
                other.join(" ")
            ),
            text,
        ),
    }
}
