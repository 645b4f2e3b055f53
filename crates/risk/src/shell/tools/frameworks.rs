//! Database commands of other ORMs and frameworks: drizzle-kit, Sequelize,
//! Knex, TypeORM, Rails and Django.

use super::super::walk::{Invocation, Walker};
use crate::rules::Rule;

/// Classifies framework database commands.
pub fn classify(w: &mut Walker, name: &str, inv: &Invocation) {
    let words: Vec<&str> = inv.args().iter().map(|a| a.text.as_str()).collect();
    let sub = words
        .iter()
        .find(|a| !a.starts_with('-'))
        .copied()
        .unwrap_or_default();
    let has = |flag: &str| words.contains(&flag);
    let verdict = match name {
        "drizzle-kit" => match sub {
            "push" if has("--force") => Some((
                Rule::FrameworkReset,
                "drizzle-kit push --force applies data-losing changes without asking",
            )),
            "push" | "migrate" | "drop" => Some((
                Rule::FrameworkSchemaChange,
                "drizzle-kit changes the schema or its migrations",
            )),
            _ => None,
        },
        "sequelize" | "sequelize-cli" => match sub {
            "db:drop" | "db:migrate:undo:all" | "db:seed:undo:all" => Some((
                Rule::FrameworkReset,
                "Sequelize drops the database, all migrations or all seeded data",
            )),
            "db:migrate" | "db:migrate:undo" | "db:seed:undo" | "db:seed" | "db:seed:all" => Some((
                Rule::FrameworkSchemaChange,
                "Sequelize changes the schema or its data",
            )),
            _ => None,
        },
        "knex" => match sub {
            "migrate:rollback" if has("--all") => Some((
                Rule::FrameworkReset,
                "knex migrate:rollback --all undoes every migration",
            )),
            "migrate:rollback" | "migrate:down" | "migrate:latest" | "migrate:up" | "seed:run" => {
                Some((Rule::FrameworkSchemaChange, "knex changes the schema or its data"))
            }
            _ => None,
        },
        "typeorm" | "typeorm-ts-node-commonjs" | "typeorm-ts-node-esm" => match sub {
            "schema:drop" => Some((Rule::FrameworkReset, "typeorm schema:drop drops every table")),
            "schema:sync" | "migration:run" | "migration:revert" => {
                Some((Rule::FrameworkSchemaChange, "TypeORM changes the schema"))
            }
            "query" => {
                if let Some(sql) = inv.args().iter().skip_while(|a| a.text != "query").nth(1) {
                    if sql.dynamic {
                        w.add(
                            Rule::SqlUnreadable,
                            "typeorm query runs SQL only known at run time",
                            &inv.text,
                        );
                    } else {
                        w.nested_sql(&sql.text, Some("typeorm query".to_string()));
                    }
                }
                None
            }
            _ => None,
        },
        "rails" | "rake" => match sub {
            "db:drop" | "db:reset" | "db:purge" | "db:schema:load" | "db:structure:load"
            | "db:migrate:reset" | "db:truncate_all" | "db:drop:all" => Some((
                Rule::FrameworkReset,
                "Rails drops, empties or reloads the database",
            )),
            "db:migrate" | "db:rollback" | "db:migrate:down" | "db:migrate:redo" | "db:seed" | "db:setup" => {
                Some((
                    Rule::FrameworkSchemaChange,
                    "Rails changes the schema or its data",
                ))
            }
            "dbconsole" | "db" => Some((
                Rule::InteractiveSession,
                "rails dbconsole opens an interactive session",
            )),
            _ => None,
        },
        _ => {
            // python manage.py …, django-admin …
            let args: &[&str] = if name == "django-admin" {
                &words
            } else if words.first().is_some_and(|s| s.ends_with("manage.py")) {
                &words[1..]
            } else {
                &[]
            };
            match args {
                ["flush", ..] | ["reset_db", ..] => {
                    Some((Rule::FrameworkReset, "Django deletes every row of every table"))
                }
                ["migrate", _, "zero", ..] => Some((
                    Rule::FrameworkReset,
                    "Django unapplies every migration of the app, dropping its tables",
                )),
                ["migrate", ..] => Some((
                    Rule::FrameworkSchemaChange,
                    "Django applies or unapplies migrations",
                )),
                ["dbshell", ..] => Some((
                    Rule::InteractiveSession,
                    "Django's dbshell opens an interactive session",
                )),
                _ => None,
            }
        }
    };
    if let Some((rule, message)) = verdict {
        w.add(rule, message, &inv.text);
    }
}
