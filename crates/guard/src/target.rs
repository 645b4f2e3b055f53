//! Which database a command line targets: the connection arguments and
//! `PG*` variables of PostgreSQL's programs, `DATABASE_URL` on the line, in
//! the environment or the project's `.env`, and Prisma's datasource. When it
//! cannot be told, the protocol refuses rather than guess.

use std::collections::HashMap;
use std::path::Path;

use dbguard_pg::env::{lookup, DotEnv, Environment};
use dbguard_pg::DbUrl;
use dbguard_risk::shell::ast::{Command, List, Word};
use dbguard_risk::shell::parse::parse;

/// PostgreSQL programs whose connection arguments name the target.
const PG_PROGRAMS: &[&str] = &[
    "psql",
    "pg_dump",
    "pg_restore",
    "dropdb",
    "createdb",
    "vacuumdb",
    "reindexdb",
    "pg_dumpall",
];

/// The target of `line` run in `cwd` with `env`.
pub fn target_of(line: &str, cwd: &Path, env: &dyn Environment) -> Result<DbUrl, String> {
    let script = parse(line).map_err(|e| format!("the command line cannot be analysed ({})", e.message))?;
    let dotenv = DotEnv::find(cwd).map_err(|e| e.to_string())?;
    let mut targets: Vec<DbUrl> = Vec::new();
    let mut uses_database_url = false;
    walk(&script.list, &mut |assignments, words| {
        let mut vars: HashMap<String, String> = assignments.clone();
        let Some(start) = words
            .iter()
            .position(|w| PG_PROGRAMS.contains(&basename(&w.text)))
        else {
            uses_database_url = true;
            return;
        };
        // `env PGPASSWORD=… PGHOST=… psql`, `sudo PGUSER=… psql`: the
        // wrapper's NAME=value words are the program's environment.
        vars.extend(words[..start].iter().filter_map(|w| env_assignment(&w.text)));
        let get = |key: &str| vars.get(key).cloned().or_else(|| env.var(key));
        if let Some(url) = pg_tool_target(&words[start..], &get) {
            targets.push(url);
        }
    });
    if targets.is_empty() && uses_database_url {
        let url = assignment_in(&script.list, "DATABASE_URL")
            .or_else(|| lookup("DATABASE_URL", env, &dotenv).map(|r| r.value))
            .or_else(|| prisma_datasource(cwd, env, &dotenv));
        if let Some(url) = url {
            targets.push(DbUrl::parse(&url).map_err(|e| e.to_string())?);
        }
    }
    let mut identities: Vec<String> = targets.iter().map(|t| t.redacted()).collect();
    identities.dedup();
    match (targets.into_iter().next(), identities.len()) {
        (Some(url), 1) => Ok(url),
        (Some(_), _) => Err(format!("the command line targets more than one database ({})", identities.join(", "))),
        (None, _) => Err("dbguard cannot tell which database this command targets: name it on the command line or set DATABASE_URL".to_string()),
    }
}

type Visit<'a> = dyn FnMut(&HashMap<String, String>, &[Word]) + 'a;

fn walk(list: &List, visit: &mut Visit<'_>) {
    for pipeline in &list.pipelines {
        for command in &pipeline.commands {
            match command {
                Command::Simple(simple) => {
                    let assignments = simple
                        .assignments
                        .iter()
                        .map(|a| (a.name.clone(), a.value.text.clone()))
                        .collect();
                    if !simple.words.is_empty() {
                        visit(&assignments, &simple.words);
                    }
                    for sub in &simple.substitutions {
                        walk(&sub.list, visit);
                    }
                }
                Command::Group { body, .. } => walk(body, visit),
            }
        }
    }
}

fn assignment_in(list: &List, name: &str) -> Option<String> {
    let mut found = None;
    walk(list, &mut |assignments, words| {
        if found.is_none() {
            found = assignments.get(name).cloned().or_else(|| {
                // `env NAME=value cmd`
                words
                    .iter()
                    .skip(1)
                    .find_map(|w| w.text.strip_prefix(&format!("{name}=")).map(str::to_string))
            });
        }
    });
    found
}

/// `NAME=value` as a wrapper such as `env` takes it.
fn env_assignment(text: &str) -> Option<(String, String)> {
    let (name, value) = text.split_once('=')?;
    let valid = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    valid.then(|| (name.to_string(), value.to_string()))
}

fn basename(text: &str) -> &str {
    text.rsplit('/').next().unwrap_or(text)
}

/// The target of `psql …`, `dropdb …` and the like, from their arguments and `PG*` variables.
fn pg_tool_target(words: &[Word], get: &dyn Fn(&str) -> Option<String>) -> Option<DbUrl> {
    let program = basename(&words[0].text);
    let mut dbname = None;
    let mut host = get("PGHOST");
    let mut port = get("PGPORT");
    let mut user = get("PGUSER");
    let mut positional = Vec::new();
    let mut i = 1;
    while i < words.len() {
        let text = words[i].text.as_str();
        let value = || words.get(i + 1).map(|w| w.text.clone());
        match text {
            "-d" | "--dbname" => (dbname, i) = (value(), i + 1),
            "-h" | "--host" => (host, i) = (value(), i + 1),
            "-p" | "--port" => (port, i) = (value(), i + 1),
            "-U" | "--username" => (user, i) = (value(), i + 1),
            "-c" | "--command" | "-f" | "--file" | "-v" | "--set" | "-o" | "--output" | "-F" | "-P" => i += 1,
            _ if text.starts_with("--dbname=") => dbname = Some(text["--dbname=".len()..].to_string()),
            _ if text.starts_with('-') => {}
            _ => positional.push(text.to_string()),
        }
        i += 1;
    }
    // psql DBNAME USER; dropdb/createdb DBNAME; pg_dump DBNAME; pg_restore FILE (-d names the target).
    if dbname.is_none() && program != "pg_restore" {
        dbname = positional.first().cloned();
    }
    let dbname = dbname.or_else(|| get("PGDATABASE"));
    if let Some(name) = &dbname {
        if name.contains("://") || name.contains('=') {
            return DbUrl::parse(name).ok();
        }
    }
    let user = user.or_else(|| std::env::var("USER").ok())?;
    let mut text = format!(
        "host={} user={}",
        host.unwrap_or_else(|| "localhost".into()),
        user
    );
    if let Some(port) = port {
        text.push_str(&format!(" port={port}"));
    }
    text.push_str(&format!(" dbname={}", dbname.unwrap_or_else(|| user.clone())));
    if let Some(password) = get("PGPASSWORD") {
        text.push_str(&format!(" password='{}'", password.replace('\'', "\\'")));
    }
    DbUrl::parse(&text).ok()
}

/// The identity an approval is bound to: the cluster's system identifier
/// when the role may read it (else host and port), and the database.
pub fn identity(client: &mut postgres::Client, url: &DbUrl) -> String {
    let system = client
        .query_one("SELECT system_identifier::text FROM pg_control_system()", &[])
        .ok()
        .map(|r| r.get::<_, String>(0));
    let server = system.unwrap_or_else(|| {
        url.libpq()
            .conninfo
            .split(' ')
            .filter(|p| p.starts_with("host=") || p.starts_with("port="))
            .collect::<Vec<_>>()
            .join(" ")
    });
    format!("{server}/{}", url.database().unwrap_or_default())
}

/// `url = env("X")` or `url = "postgresql://…"` in `prisma/schema.prisma`.
fn prisma_datasource(cwd: &Path, env: &dyn Environment, dotenv: &DotEnv) -> Option<String> {
    let text = cwd
        .ancestors()
        .map(|d| d.join("prisma/schema.prisma"))
        .find_map(|p| std::fs::read_to_string(p).ok())?;
    let line = text.lines().map(str::trim).find(|l| l.starts_with("url"))?;
    let value = line.split_once('=')?.1.trim();
    if let Some(var) = value.strip_prefix("env(\"").and_then(|v| v.strip_suffix("\")")) {
        return lookup(var, env, dotenv).map(|r| r.value);
    }
    Some(value.trim_matches('"').to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn psql_arguments_and_pg_variables_name_the_target() {
        let cwd = tempfile::tempdir().unwrap();
        let none = env(&[("USER", "me")]);
        let t = target_of(
            "psql -h db.example.com -p 6432 -U app farm -c 'TRUNCATE x'",
            cwd.path(),
            &none,
        )
        .unwrap();
        assert_eq!((t.database(), t.user()), (Some("farm"), Some("app")));
        let t = target_of("psql postgresql://app:secret@h/farm2 -c 'x'", cwd.path(), &none).unwrap();
        assert_eq!(t.database(), Some("farm2"));
        let t = target_of("PGDATABASE=farm3 PGUSER=app psql -c 'x'", cwd.path(), &none).unwrap();
        assert_eq!(t.database(), Some("farm3"));
        let t = target_of(
            "sudo -u postgres dropdb --force farm4",
            cwd.path(),
            &env(&[("PGUSER", "postgres")]),
        )
        .unwrap();
        assert_eq!(t.database(), Some("farm4"));
        for line in [
            "env PGPASSWORD=s3cret PGHOST=db.example.com PGUSER=app psql farm5 -c 'drop table x'",
            "env -i PGPASSWORD=s3cret PGHOST=db.example.com PGUSER=app psql farm5",
        ] {
            let t = target_of(line, cwd.path(), &none).unwrap();
            assert_eq!((t.database(), t.user()), (Some("farm5"), Some("app")), "{line}");
            assert_eq!(t.libpq().password.as_deref(), Some("s3cret"), "{line}");
            assert!(t.libpq().conninfo.contains("host='db.example.com'"), "{line}");
            assert!(!t.redacted().contains("s3cret"));
        }
        let err = target_of("psql a -c x && psql b -c y", cwd.path(), &env(&[("PGUSER", "u")])).unwrap_err();
        assert!(err.contains("more than one database"), "{err}");
    }

    #[test]
    fn other_commands_use_database_url_or_prisma_s_datasource() {
        let cwd = tempfile::tempdir().unwrap();
        let err = target_of("npx prisma migrate reset --force", cwd.path(), &env(&[])).unwrap_err();
        assert!(err.contains("cannot tell which database"), "{err}");
        let t = target_of(
            "DATABASE_URL=postgresql://a@h/one npx prisma migrate reset",
            cwd.path(),
            &env(&[]),
        )
        .unwrap();
        assert_eq!(t.database(), Some("one"));
        let t = target_of(
            "npx prisma migrate reset",
            cwd.path(),
            &env(&[("DATABASE_URL", "postgresql://a@h/two")]),
        )
        .unwrap();
        assert_eq!(t.database(), Some("two"));
        std::fs::create_dir_all(cwd.path().join("prisma")).unwrap();
        std::fs::write(
            cwd.path().join("prisma/schema.prisma"),
            "datasource db {\n  provider = \"postgresql\"\n  url = env(\"FARM_DB\")\n}\n",
        )
        .unwrap();
        std::fs::write(cwd.path().join(".env"), "FARM_DB=postgresql://a@h/three\n").unwrap();
        let t = target_of("npx prisma migrate reset", cwd.path(), &env(&[])).unwrap();
        assert_eq!(t.database(), Some("three"));
    }
}
