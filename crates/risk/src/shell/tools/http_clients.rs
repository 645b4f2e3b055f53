//! Management APIs over HTTP: `curl`/`wget`/`http`/`xh` with method DELETE,
//! or a body naming a destructive GraphQL mutation (`projectDelete`,
//! `volumeDelete`, `serviceDestroy`, …), against a database provider's
//! management endpoint (Neon, Supabase, Heroku, Render, Railway,
//! DigitalOcean, Fly, Vercel, PlanetScale, AWS RDS, Cloud SQL, Azure) are
//! high; against another host, a destructive method on a database-like
//! path is medium. SQL sent in a request's body to a provider's API or an
//! endpoint whose path says it runs SQL (`/sql`, `/query`, `/rpc`, …) is
//! classified as SQL. Other requests are data.

use super::super::walk::{Invocation, Walker};
use crate::rules::Rule;

const NAMES: &[&str] = &["curl", "wget", "http", "https", "xh", "xhs"];

/// Hosts of database providers' management APIs.
const PROVIDERS: &[&str] = &[
    "api.neon.tech",
    "console.neon.tech",
    "api.supabase.com",
    "api.supabase.io",
    "api.heroku.com",
    "api.render.com",
    "backboard.railway.app",
    "backboard.railway.com",
    "api.digitalocean.com",
    "api.machines.dev",
    "api.fly.io",
    "api.vercel.com",
    "api.planetscale.com",
    "rds.amazonaws.com",
    "sqladmin.googleapis.com",
    "management.azure.com",
    "api.aiven.io",
    "api.crunchybridge.com",
    "api.tembo.io",
    "api.xata.io",
    "api.timescale.com",
    "api.nhost.io",
];

/// Path words of database resources.
const DATABASE_PATHS: &[&str] = &[
    "database", "/db", "branch", "project", "cluster", "instance", "backup", "snapshot", "volume", "addon",
    "postgres",
];

/// Whether `name` is one of these clients.
pub fn handles(name: &str) -> bool {
    NAMES.contains(&name)
}

/// Classifies an HTTP request.
pub fn classify(w: &mut Walker, name: &str, inv: &Invocation) {
    let args = inv.args();
    let texts: Vec<&str> = args.iter().map(|a| a.text.as_str()).collect();
    // The dashboard's approve form (`POST /approvals/ID/approve`) is a
    // person's, as `dbguard approve` is.
    if texts
        .iter()
        .any(|t| t.contains("/approvals/") && t.contains("/approve"))
    {
        w.add(
            Rule::ApprovalFromCommand,
            "it posts to dbguard's approve form; approvals must come from a person, in the dashboard or their own \
             terminal",
            &inv.text,
        );
    }
    let method = match name {
        "curl" => texts
            .windows(2)
            .find(|p| matches!(p[0], "-X" | "--request"))
            .map(|p| p[1].to_uppercase())
            .or_else(|| {
                texts.iter().find_map(|t| {
                    t.strip_prefix("-X")
                        .or_else(|| t.strip_prefix("--request="))
                        .filter(|m| !m.is_empty())
                        .map(str::to_uppercase)
                })
            }),
        "wget" => texts
            .iter()
            .find_map(|t| t.strip_prefix("--method=").map(str::to_uppercase))
            .or_else(|| {
                texts
                    .windows(2)
                    .find(|p| p[0] == "--method")
                    .map(|p| p[1].to_uppercase())
            }),
        _ => texts
            .iter()
            .find(|t| matches!(t.to_uppercase().as_str(), "DELETE" | "POST" | "PUT" | "PATCH"))
            .map(|t| t.to_uppercase()),
    };
    let urls: Vec<&str> = texts
        .iter()
        .copied()
        .filter(|t| t.contains("://") || t.contains(".com/") || t.contains(".tech/") || t.contains(".io/"))
        .collect();
    let provider = urls.iter().any(|u| PROVIDERS.iter().any(|p| u.contains(p)));
    let body = texts.join(" ").to_lowercase();
    let destructive_mutation = ["delete", "destroy", "drop", "purge", "wipe", "reset"]
        .iter()
        .any(|verb| {
            body.contains(&format!("{verb}("))
                || body.contains(&format!("{verb} ("))
                || body.contains(&format!("{verb}\\\""))
                || body.contains(&format!("{verb}\""))
        })
        && body.contains("mutation");
    let runs_sql = provider
        || urls.iter().any(|u| {
            let path = u.split_once("://").map_or(*u, |(_, rest)| rest).to_lowercase();
            let path = path.split_once('/').map_or("", |(_, p)| p);
            SQL_PATHS.iter().any(|p| path.contains(p))
        });
    if runs_sql {
        for sql in body_sql(name, &texts) {
            w.nested_sql(&sql, Some(format!("{name}'s request body")));
        }
    }
    let deletes = method.as_deref() == Some("DELETE") || destructive_mutation;
    if !deletes {
        return;
    }
    if provider {
        w.add(
            Rule::HostedDatabaseDelete,
            format!("{name} sends a destructive request to a database provider's management API"),
            &inv.text,
        );
    } else if urls
        .iter()
        .any(|u| DATABASE_PATHS.iter().any(|p| u.to_lowercase().contains(p)))
    {
        w.add(
            Rule::HttpDeleteUnknown,
            format!("{name} sends a destructive request to a database-like resource"),
            &inv.text,
        );
    }
}

/// Path words of endpoints that run the SQL they are sent.
const SQL_PATHS: &[&str] = &["sql", "query", "rpc", "database", "exec", "statement"];

/// Words SQL starts with, for telling SQL in a request body from other text.
const SQL_START: &[&str] = &[
    "select", "insert", "update", "delete", "drop", "truncate", "alter", "create", "with", "grant", "revoke",
    "merge", "do", "copy", "begin", "call", "reassign", "vacuum", "comment", "set",
];

/// The SQL in a request's body: SQL APIs over HTTP (Supabase's and Neon's
/// query endpoints, Hasura's `run_sql`, PostgREST functions) take it as the
/// body or as a string in a JSON body. Every string that starts like SQL
/// and parses as SQL is returned, to be classified as SQL.
fn body_sql(name: &str, texts: &[&str]) -> Vec<String> {
    let mut bodies: Vec<&str> = Vec::new();
    let mut words = texts.iter().peekable();
    while let Some(word) = words.next() {
        let value_flag = matches!(
            *word,
            "-d" | "--data"
                | "--data-raw"
                | "--data-binary"
                | "--data-ascii"
                | "--data-urlencode"
                | "--json"
                | "--raw"
        );
        if value_flag {
            if let Some(value) = words.next() {
                bodies.push(value);
            }
        } else if let Some(value) = [
            "--data=",
            "--data-raw=",
            "--json=",
            "--body-data=",
            "--post-data=",
            "--raw=",
        ]
        .iter()
        .find_map(|p| word.strip_prefix(p))
        {
            bodies.push(value);
        } else if name != "curl" && name != "wget" {
            // httpie and xh: `key=value` strings and `key:=json`.
            if let Some((_, value)) = word.split_once(":=").or_else(|| word.split_once('=')) {
                if !word.contains("://") {
                    bodies.push(value);
                }
            }
        }
    }
    let mut found = Vec::new();
    for body in bodies {
        match serde_json::from_str::<serde_json::Value>(body) {
            Ok(json) => strings(&json, &mut found),
            Err(_) => found.push(body.to_string()),
        }
    }
    found.retain(|text| {
        let first: String = text
            .trim_start_matches(|c: char| c.is_whitespace() || c == '(')
            .chars()
            .take_while(char::is_ascii_alphabetic)
            .collect::<String>()
            .to_lowercase();
        // Text that only starts like SQL ("delete me") is data.
        SQL_START.contains(&first.as_str()) && pg_query::parse(text, 0).is_ok()
    });
    found
}

/// Every string in `value`.
fn strings(value: &serde_json::Value, out: &mut Vec<String>) {
    match value {
        serde_json::Value::String(text) => out.push(text.clone()),
        serde_json::Value::Array(items) => items.iter().for_each(|v| strings(v, out)),
        serde_json::Value::Object(map) => map.values().for_each(|v| strings(v, out)),
        _ => {}
    }
}
