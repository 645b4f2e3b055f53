//! Managed PostgreSQL CLIs: deleting an instance, cluster, database,
//! replica, snapshot or backup, setting backup retention to zero, or
//! restoring over a live instance is high — AWS (`aws rds`), Google Cloud
//! SQL (`gcloud sql`), Azure (`az postgres`), DigitalOcean (`doctl
//! databases`) and Fly (`fly postgres|volumes|apps destroy`; `fly ssh
//! console -C` runs on the machine). Describe, list, get and
//! create-snapshot forms stay low. (Heroku, Neon and Supabase are in
//! [`super::migrations`].)

use super::super::walk::{Invocation, Scope, Walker};
use crate::rules::Rule;

/// Global options of each CLI that take a value, which may stand before
/// the service (`aws --profile p rds …`, `gcloud --project p sql …`).
pub(super) fn value_options(name: &str) -> &'static [&'static str] {
    match name {
        "aws" => &[
            "--profile",
            "--region",
            "--output",
            "--endpoint-url",
            "--query",
            "--cli-input-json",
            "--cli-input-yaml",
            "--ca-bundle",
            "--color",
            "--cli-read-timeout",
            "--cli-connect-timeout",
            "--cli-binary-format",
        ],
        "gcloud" => &[
            "--project",
            "--account",
            "--configuration",
            "--format",
            "--verbosity",
            "--impersonate-service-account",
            "--billing-project",
            "--flags-file",
            "--flatten",
            "--trace-token",
        ],
        "az" => &["--subscription", "--output", "-o", "--query"],
        "gsutil" => &["-o", "-u", "-h", "-p"],
        "rclone" => &[
            "--config",
            "--log-file",
            "--log-level",
            "--transfers",
            "--checkers",
            "--bwlimit",
            "--include",
            "--exclude",
            "--filter",
            "--min-age",
            "--max-age",
        ],
        "s3cmd" => &[
            "-c",
            "--config",
            "--access_key",
            "--secret_key",
            "--host",
            "--region",
        ],
        "mc" => &["-C", "--config-dir"],
        "azcopy" => &["--log-level", "--output-type"],
        _ => &[
            "--context",
            "--access-token",
            "-t",
            "--output",
            "-o",
            "--config",
            "-c",
        ],
    }
}

/// Classifies the database commands of a cloud CLI (`aws`, `gcloud`, `az`, `doctl`).
pub fn classify(w: &mut Walker, name: &str, inv: &Invocation) {
    let message = inv
        .subcommand_readings(value_options(name))
        .iter()
        .find_map(|words| {
            // `gcloud alpha|beta sql …`: a release track before the service.
            let words = match (name, words.as_slice()) {
                ("gcloud", ["alpha" | "beta" | "preview", rest @ ..]) => rest,
                (_, all) => all,
            };
            deletion(name, words, inv)
        });
    if let Some(message) = message {
        w.add(Rule::HostedDatabaseDelete, message, &inv.text);
    }
}

/// What the subcommand `words` of `name` delete, if anything.
fn deletion(name: &str, words: &[&str], inv: &Invocation) -> Option<String> {
    let flag = |f: &str| {
        inv.args()
            .iter()
            .any(|a| a.text == f || a.text.starts_with(&format!("{f}=")))
    };
    let value = |f: &str| {
        let args = inv.args();
        args.iter()
            .position(|a| a.text == f)
            .and_then(|i| args.get(i + 1))
            .map(|v| v.text.clone())
            .or_else(|| {
                args.iter()
                    .find_map(|a| a.text.strip_prefix(&format!("{f}=")).map(str::to_string))
            })
    };
    match (name, words) {
        ("aws", ["rds", action, ..]) if action.starts_with("delete-") => Some(format!(
            "aws rds {action} deletes a database, cluster, snapshot or backup"
        )),
        ("aws", ["rds", "modify-db-instance" | "modify-db-cluster", ..])
            if value("--backup-retention-period").as_deref() == Some("0") =>
        {
            Some("aws rds sets backup retention to 0, deleting the automated backups".to_string())
        }
        (
            "aws",
            ["rds", action @ ("restore-db-cluster-to-point-in-time" | "restore-db-instance-from-db-snapshot"), ..],
        ) if flag("--source-db-instance-identifier")
            && value("--target-db-instance-identifier") == value("--source-db-instance-identifier") =>
        {
            Some(format!("aws rds {action} over the same instance"))
        }
        ("gcloud", ["sql", "instances" | "databases" | "backups" | "users" | "ssl", "delete", ..]) => {
            Some("gcloud sql deletes an instance, database or backup".to_string())
        }
        ("gcloud", ["sql", "instances", "patch", ..])
            if flag("--no-backup") || value("--retained-backups-count").as_deref() == Some("0") =>
        {
            Some("gcloud sql instances patch turns automated backups off".to_string())
        }
        ("gcloud", ["sql", "instances", "restore-backup" | "clone", ..])
            if words.get(2) == Some(&"restore-backup") =>
        {
            Some("gcloud sql instances restore-backup overwrites the instance's data".to_string())
        }
        ("gcloud", ["sql", "import", ..]) => {
            Some("gcloud sql import runs a dump or SQL file into a live database".to_string())
        }
        ("az", ["postgres", kind, "delete", ..]) if matches!(*kind, "server" | "flexible-server" | "db") => {
            Some("az postgres deletes a server or database".to_string())
        }
        ("az", ["postgres", _, "db" | "replica" | "backup", "delete", ..]) => {
            Some("az postgres deletes a database, replica or backup".to_string())
        }
        ("doctl", ["databases" | "database" | "db" | "d", "delete" | "rm" | "d", ..]) => {
            Some("doctl deletes a database cluster".to_string())
        }
        (
            "doctl",
            ["databases" | "database" | "db" | "d", "db" | "replica" | "pool" | "user", "delete" | "rm" | "d", ..],
        ) => Some("doctl deletes a database, replica or pool".to_string()),
        _ => None,
    }
}

/// Fly: `postgres|pg|mpg destroy`, `volumes destroy|delete`, `apps destroy`,
/// and `ssh console -C CMD` (run on the machine).
pub fn fly(w: &mut Walker, inv: &Invocation, scope: &Scope) {
    const VALUES: &[&str] = &[
        "-a",
        "--app",
        "-c",
        "--config",
        "-o",
        "--org",
        "-r",
        "--region",
        "-t",
        "--access-token",
    ];
    let readings = inv.subcommand_readings(VALUES);
    if readings
        .iter()
        .any(|words| matches!(words.as_slice(), ["ssh", "console", ..] | ["console", ..]))
    {
        return super::remote::command_option(w, inv, &["-C", "--command"], "a Fly machine", scope);
    }
    let destroys = readings.iter().any(|words| {
        matches!(
            words.as_slice(),
            ["postgres" | "pg" | "mpg", "destroy" | "delete", ..]
                | ["volumes" | "volume" | "vol", "destroy" | "delete" | "rm", ..]
                | ["apps" | "app", "destroy" | "delete", ..]
                | ["destroy", ..]
        )
    });
    if destroys {
        w.add(
            Rule::HostedDatabaseDelete,
            "fly destroys a Postgres app, a volume or an app, with the data on it",
            &inv.text,
        );
    }
}
