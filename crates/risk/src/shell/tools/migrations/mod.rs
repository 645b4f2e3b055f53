//! Migration tools, ORMs' CLIs and hosted databases, one module per tool:
//! each knows its documented drop, reset and clean commands (high), its
//! migrate, rollback and push commands (medium), and its dry runs (low).

mod alembic;
mod atlas;
mod db_migrate;
mod dbmate;
mod diesel;
mod django;
mod doctrine;
mod drizzle;
mod ecto;
mod ef_core;
mod flask;
mod flyway;
mod golang_migrate;
mod goose;
mod graphile_migrate;
mod hasura;
mod heroku;
mod jvm_plugins;
mod knex;
mod laravel;
mod liquibase;
mod mikro_orm;
mod neon;
mod php_migrations;
mod rails;
mod sea_orm;
mod sequelize;
mod small_tools;
mod sqitch;
mod sqlx;
mod supabase;
mod typeorm;
use super::super::ast::Word;
use super::super::opts::{read, Item, Spec};
use super::super::walk::{Invocation, Scope, Walker};
use crate::rules::Rule;

/// One tool: its program names and how to classify it.
struct Tool {
    names: &'static [&'static str],
    classify: fn(&mut Walker, &Invocation, &Scope),
}

const TOOLS: &[Tool] = &[
    Tool {
        names: doctrine::NAMES,
        classify: doctrine::classify,
    },
    Tool {
        names: flask::NAMES,
        classify: flask::classify,
    },
    Tool {
        names: hasura::NAMES,
        classify: hasura::classify,
    },
    Tool {
        names: jvm_plugins::NAMES,
        classify: jvm_plugins::classify,
    },
    Tool {
        names: php_migrations::NAMES,
        classify: php_migrations::classify,
    },
    Tool {
        names: sea_orm::NAMES,
        classify: sea_orm::classify,
    },
    Tool {
        names: small_tools::NAMES,
        classify: small_tools::classify,
    },
    Tool {
        names: alembic::NAMES,
        classify: alembic::classify,
    },
    Tool {
        names: atlas::NAMES,
        classify: atlas::classify,
    },
    Tool {
        names: db_migrate::NAMES,
        classify: db_migrate::classify,
    },
    Tool {
        names: dbmate::NAMES,
        classify: dbmate::classify,
    },
    Tool {
        names: diesel::NAMES,
        classify: diesel::classify,
    },
    Tool {
        names: django::NAMES,
        classify: django::classify,
    },
    Tool {
        names: drizzle::NAMES,
        classify: drizzle::classify,
    },
    Tool {
        names: ecto::NAMES,
        classify: ecto::classify,
    },
    Tool {
        names: ef_core::NAMES,
        classify: ef_core::classify,
    },
    Tool {
        names: flyway::NAMES,
        classify: flyway::classify,
    },
    Tool {
        names: golang_migrate::NAMES,
        classify: golang_migrate::classify,
    },
    Tool {
        names: goose::NAMES,
        classify: goose::classify,
    },
    Tool {
        names: graphile_migrate::NAMES,
        classify: graphile_migrate::classify,
    },
    Tool {
        names: heroku::NAMES,
        classify: heroku::classify,
    },
    Tool {
        names: knex::NAMES,
        classify: knex::classify,
    },
    Tool {
        names: laravel::NAMES,
        classify: laravel::classify,
    },
    Tool {
        names: liquibase::NAMES,
        classify: liquibase::classify,
    },
    Tool {
        names: mikro_orm::NAMES,
        classify: mikro_orm::classify,
    },
    Tool {
        names: neon::NAMES,
        classify: neon::classify,
    },
    Tool {
        names: rails::NAMES,
        classify: rails::classify,
    },
    Tool {
        names: sequelize::NAMES,
        classify: sequelize::classify,
    },
    Tool {
        names: sqitch::NAMES,
        classify: sqitch::classify,
    },
    Tool {
        names: sqlx::NAMES,
        classify: sqlx::classify,
    },
    Tool {
        names: supabase::NAMES,
        classify: supabase::classify,
    },
    Tool {
        names: typeorm::NAMES,
        classify: typeorm::classify,
    },
];

/// Whether `name` is one of these tools.
pub fn handles(name: &str) -> bool {
    TOOLS.iter().any(|t| t.names.contains(&name))
}

/// Classifies a migration tool's command.
pub fn classify(w: &mut Walker, name: &str, inv: &Invocation, scope: &Scope) {
    if let Some(tool) = TOOLS.iter().find(|t| t.names.contains(&name)) {
        (tool.classify)(w, inv, scope);
    }
}

/// A tool's arguments, read by its option table.
pub struct Args {
    items: Vec<Item>,
}

impl Args {
    /// Reads `inv`'s arguments by `spec`.
    pub fn read(inv: &Invocation, spec: &Spec) -> Args {
        let (items, _) = read(inv.args(), spec, false);
        Args { items }
    }

    /// The operands, in order.
    pub fn ops(&self) -> Vec<&str> {
        self.items
            .iter()
            .filter_map(|item| match item {
                Item::Operand(w) => Some(w.text.as_str()),
                _ => None,
            })
            .collect()
    }

    /// Whether an option (any of `names`, with or without a value) was given.
    pub fn has(&self, names: &[&str]) -> bool {
        self.items.iter().any(|item| match item {
            Item::Flag(n) | Item::Value(n, _) => names.contains(&n.as_str()),
            Item::Operand(_) => false,
        })
    }

    /// The value of an option.
    pub fn value(&self, names: &[&str]) -> Option<&Word> {
        self.items.iter().find_map(|item| match item {
            Item::Value(n, v) if names.contains(&n.as_str()) => Some(v),
            _ => None,
        })
    }

    /// Whether the command only shows what it would do.
    pub fn dry_run(&self) -> bool {
        self.has(&["--dry-run", "--pretend", "--dryrun", "--plan"])
    }
}

/// The operands of a Go program's arguments: flags are `-name` or
/// `--name`, `-name=value`, or `-name value` for the flags in `values`.
pub fn go_operands<'a>(inv: &'a Invocation, values: &[&str]) -> Vec<&'a str> {
    let mut operands = Vec::new();
    let mut words = inv.args().iter();
    while let Some(word) = words.next() {
        match word
            .text
            .strip_prefix("--")
            .or_else(|| word.text.strip_prefix('-'))
        {
            Some(flag) if !flag.is_empty() && !word.text.starts_with("-0") => {
                if !flag.contains('=') && values.contains(&flag) {
                    words.next();
                }
            }
            _ => operands.push(word.text.as_str()),
        }
    }
    operands
}

/// What a tool's command does, as a rule and a message.
pub type Judged = Option<(Rule, String)>;

/// A reset, drop or clean: high.
pub fn reset(message: impl Into<String>) -> Judged {
    Some((Rule::FrameworkReset, message.into()))
}

/// A migration run, rollback or push: medium.
pub fn change(message: impl Into<String>) -> Judged {
    Some((Rule::FrameworkSchemaChange, message.into()))
}

/// Deleting a hosted database, branch or project: high.
pub fn hosted(message: impl Into<String>) -> Judged {
    Some((Rule::HostedDatabaseDelete, message.into()))
}

/// Records the judgement, unless the command is a dry run.
pub fn report(w: &mut Walker, inv: &Invocation, args: &Args, judged: Judged) {
    if args.dry_run() {
        return;
    }
    if let Some((rule, message)) = judged {
        w.add(rule, message, &inv.text);
    }
}

/// SQL given on the command line (`typeorm query SQL`, `heroku pg:psql -c SQL`).
pub fn sql_argument(w: &mut Walker, inv: &Invocation, sql: Option<&Word>, via: &str) {
    match sql {
        Some(sql) if sql.dynamic => w.add(
            Rule::SqlUnreadable,
            format!("{via} runs SQL only known at run time"),
            &inv.text,
        ),
        Some(sql) => w.nested_sql(&sql.text, Some(via.to_string())),
        None => w.add(
            Rule::InteractiveSession,
            format!("{via} opens an interactive session"),
            &inv.text,
        ),
    }
}

/// An option table with no values.
pub const NO_VALUES: Spec = Spec {
    short_values: "",
    long_values: &[],
};
