//! Cloud CLI commands that carry SQL or a shell command in an option, or
//! open a database session: `aws rds-data execute-statement --sql`, `aws
//! ssm send-command --parameters commands=…`, `aws ecs execute-command
//! --command`, `az vm run-command invoke --scripts`, `az container exec
//! --exec-command`, `az postgres flexible-server execute|connect
//! --querytext|--file-path`, and `gcloud sql connect`, `railway connect`
//! and `fly postgres connect`, which run psql with this line's standard
//! input. The SQL is classified as SQL and the commands as shell, on the
//! machine they run on; what cannot be read fails closed.

use super::super::ast::Word;
use super::super::walk::{Invocation, Scope, Walker};
use super::remote::run_elsewhere;
use crate::rules::Rule;

/// The value of option `names` (`--sql X` or `--sql=X`).
fn value(inv: &Invocation, names: &[&str]) -> Option<Word> {
    let args = inv.args();
    args.iter().enumerate().find_map(|(i, a)| {
        if names.contains(&a.text.as_str()) {
            return args.get(i + 1).cloned();
        }
        names.iter().find_map(|n| {
            a.text.strip_prefix(&format!("{n}=")).map(|v| Word {
                text: v.to_string(),
                ..a.clone()
            })
        })
    })
}

/// Classifies the payload of cloud CLI `name` with subcommand `words`;
/// whether it was one.
pub fn classify(w: &mut Walker, name: &str, words: &[&str], inv: &Invocation, scope: &Scope) -> bool {
    match (name, words) {
        ("aws", ["rds-data", "execute-statement" | "batch-execute-statement", ..]) => {
            sql(w, inv, value(inv, &["--sql"]), "aws rds-data")
        }
        ("aws", ["ssm", "send-command" | "start-session", ..]) => {
            let place = "an EC2 instance";
            match value(inv, &["--parameters"]) {
                Some(parameters) => commands(w, inv, &parameters, place, scope),
                None if words[1] == "start-session" => interactive(w, inv, "aws ssm start-session"),
                None => {}
            }
        }
        ("aws", ["ecs", "execute-command", ..]) => {
            option_command(w, inv, &["--command"], "an ECS task", scope)
        }
        ("az", ["vm", "run-command", "invoke" | "create", ..]) => {
            option_command(w, inv, &["--scripts", "--script"], "an Azure VM", scope)
        }
        ("az", ["container", "exec", ..]) => {
            option_command(w, inv, &["--exec-command"], "an Azure container", scope)
        }
        ("az", ["postgres", "flexible-server" | "server", "execute" | "connect", ..]) => {
            let via = format!("az postgres {} {}", words[1], words[2]);
            match (
                value(inv, &["--querytext", "-q"]),
                value(inv, &["--file-path", "-f"]),
            ) {
                (Some(query), _) => sql(w, inv, Some(query), &via),
                (None, Some(file)) => match w.read_file(&file, scope) {
                    Ok((text, origin)) => w.nested_sql(&text, Some(format!("{via} reading {origin}"))),
                    Err(why) => w.add(
                        Rule::SqlUnreadable,
                        format!("{via} runs SQL that cannot be read: {why}"),
                        &inv.text,
                    ),
                },
                (None, None) => interactive(w, inv, &via),
            }
        }
        ("gcloud", ["sql", "connect", ..]) | ("gcloud", ["alloydb", "connect", ..]) => psql(w, inv, scope),
        _ => return false,
    }
    true
}

/// `railway connect`, `fly postgres connect`: psql, reading this line's input.
pub fn psql(w: &mut Walker, inv: &Invocation, scope: &Scope) {
    w.invocation(&inv.with_words(vec![Word::literal("psql")]), scope);
}

fn interactive(w: &mut Walker, inv: &Invocation, via: &str) {
    w.add(
        Rule::InteractiveSession,
        format!("{via} opens an interactive session"),
        &inv.text,
    );
}

/// SQL given in an option; none at all (a request file) cannot be read.
fn sql(w: &mut Walker, inv: &Invocation, sql: Option<Word>, via: &str) {
    match sql {
        Some(sql) if !sql.dynamic => w.nested_sql(&sql.text, Some(via.to_string())),
        Some(_) => w.add(
            Rule::SqlUnreadable,
            format!("{via} runs SQL only known at run time"),
            &inv.text,
        ),
        None => w.add(
            Rule::SqlUnreadable,
            format!("{via} runs SQL from a request dbguard does not read"),
            &inv.text,
        ),
    }
}

/// A command line given in option `names`, run in `place`; `@file` is a
/// local script.
fn option_command(w: &mut Walker, inv: &Invocation, names: &[&str], place: &str, scope: &Scope) {
    let Some(command) = value(inv, names) else { return };
    if let Some(file) = command.text.strip_prefix('@') {
        let file = Word {
            text: file.to_string(),
            ..command.clone()
        };
        return match w.read_file(&file, scope) {
            Ok((text, origin)) => {
                w.nested_shell(&text, format!("{place} running {origin}"), &scope.on(place))
            }
            Err(why) => w.add(
                Rule::DynamicCommand,
                format!("runs a script on {place} that cannot be read: {why}"),
                &inv.text,
            ),
        };
    }
    run_elsewhere(w, inv, vec![command], place, scope);
}

/// SSM's `--parameters`: `commands=["a","b"]`, `commands=a`,
/// `{"commands": […]}`, `command=…` (start-session), or `file://…`.
fn commands(w: &mut Walker, inv: &Invocation, parameters: &Word, place: &str, scope: &Scope) {
    let text = parameters.text.trim();
    let lines = if parameters.dynamic || text.starts_with("file://") {
        None
    } else if let Ok(json) = serde_json::from_str::<serde_json::Value>(text) {
        let list = json.get("commands").or_else(|| json.get("command")).cloned();
        list.map(|l| strings(&l))
    } else {
        text.split_once('=')
            .filter(|(key, _)| matches!(*key, "commands" | "command"))
            .map(
                |(_, value)| match serde_json::from_str::<serde_json::Value>(value) {
                    Ok(list) => strings(&list),
                    Err(_) => value
                        .trim_matches(['[', ']'])
                        .split(',')
                        .map(|c| c.trim().trim_matches('"').to_string())
                        .collect(),
                },
            )
    };
    match lines {
        Some(lines) => run_elsewhere(w, inv, vec![Word::literal(lines.join("\n"))], place, scope),
        None => w.add(
            Rule::DynamicCommand,
            format!(
                "runs commands on {place} that cannot be read: `{}`",
                parameters.text
            ),
            &inv.text,
        ),
    }
}

/// The strings of a JSON string or list of strings.
fn strings(value: &serde_json::Value) -> Vec<String> {
    match value {
        serde_json::Value::String(s) => vec![s.clone()],
        serde_json::Value::Array(items) => items.iter().flat_map(strings).collect(),
        _ => Vec::new(),
    }
}
