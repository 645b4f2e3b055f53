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
pub fn classify(w: &mut Walker, name: &str, inv: &Invocation, scope: &Scope) {
    let readings = inv.subcommand_readings(value_options(name));
    // `gcloud alpha|beta sql …`: a release track before the service.
    let subcommands = readings.iter().map(|words| match (name, words.as_slice()) {
        ("gcloud", ["alpha" | "beta" | "preview", rest @ ..]) => rest,
        (_, all) => all,
    });
    for words in subcommands.clone() {
        if super::cloud_payloads::classify(w, name, words, inv, scope) {
            return;
        }
    }
    let message = subcommands.clone().find_map(|words| deletion(name, words, inv));
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
        (
            "aws",
            [service @ ("redshift" | "docdb" | "neptune" | "lightsail" | "backup" | "dynamodb" | "memorydb"
            | "elasticache"), action, ..],
        ) if action.starts_with("delete-") => Some(format!(
            "aws {service} {action} deletes a database, cluster, snapshot or backup"
        )),
        ("aws", ["ec2", action @ ("delete-snapshot" | "delete-volume"), ..]) => Some(format!(
            "aws ec2 {action} deletes a disk or its snapshot, with the data on it"
        )),
        ("aws", ["cloudformation", "delete-stack", ..]) => Some(
            "aws cloudformation delete-stack deletes every resource of the stack, databases among them"
                .to_string(),
        ),
        ("gcloud", ["projects", "delete", ..]) => {
            Some("gcloud projects delete deletes the project with every database in it".to_string())
        }
        ("gcloud", ["alloydb", _, "delete", ..])
        | ("gcloud", ["compute", "disks" | "snapshots", "delete", ..])
        | ("gcloud", ["container", "clusters", "delete", ..]) => Some(format!(
            "gcloud {} {} delete deletes a database, disk or cluster with the data on it",
            words[0], words[1]
        )),
        ("az", ["group", "delete", ..]) => {
            Some("az group delete deletes the resource group and every database in it".to_string())
        }
        ("az", ["sql" | "mysql" | "storage", _, "delete", ..])
        | ("az", ["cosmosdb" | "disk" | "snapshot" | "redis", "delete", ..]) => Some(format!(
            "az {} deletes a database, storage account, disk or snapshot",
            words[..words.len().min(3)].join(" ")
        )),
        ("doctl", ["kubernetes" | "k8s", "cluster", "delete" | "rm" | "d", ..])
        | ("doctl", ["compute", "volume" | "snapshot", "delete" | "rm" | "d", ..]) => {
            Some("doctl deletes a cluster, volume or snapshot with the data on it".to_string())
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
    if readings
        .iter()
        .any(|words| matches!(words.as_slice(), ["postgres" | "pg" | "mpg", "connect", ..]))
    {
        return super::cloud_payloads::psql(w, inv, scope);
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

/// Hosting platforms' own CLIs (besides Fly, Heroku, Neon and Supabase).
const PLATFORMS: &[&str] = &[
    "railway",
    "render",
    "avn",
    "aiven",
    "linode-cli",
    "scw",
    "cb",
    "sam",
];

/// Whether `name` is a hosting platform's CLI of [`platform`].
pub fn handles(name: &str) -> bool {
    PLATFORMS.contains(&name)
}

/// Railway (`down`, `delete`, `service|volume delete`, `connect`), Render
/// (`… delete`), Aiven (`service terminate|database-delete`), Linode
/// (`databases …-delete`), Scaleway (`rdb … delete`), Crunchy Bridge
/// (`cluster destroy`) and AWS SAM (`delete`).
pub fn platform(w: &mut Walker, name: &str, inv: &Invocation, scope: &Scope) {
    const VALUES: &[&str] = &[
        "--auth-token",
        "--project",
        "-p",
        "--environment",
        "-e",
        "--service",
        "-s",
        "--stack-name",
        "--region",
        "--profile",
        "-o",
        "--output",
    ];
    let readings = inv.subcommand_readings(VALUES);
    if name == "railway" && readings.iter().any(|r| r.first() == Some(&"connect")) {
        return super::cloud_payloads::psql(w, inv, scope);
    }
    let destroys = readings.iter().any(|words| match (name, words.as_slice()) {
        ("railway", ["down" | "delete", ..])
        | ("railway", ["service" | "volume" | "environment", "delete", ..]) => true,
        ("render", [_, "delete", ..]) => true,
        ("avn" | "aiven", ["service", "terminate" | "database-delete", ..]) => true,
        ("linode-cli", ["databases", action, ..]) => action.ends_with("-delete"),
        ("scw", ["rdb", _, "delete", ..]) => true,
        ("cb", ["cluster", "destroy" | "delete", ..]) => true,
        ("sam", ["delete", ..]) => true,
        _ => false,
    });
    if destroys {
        w.add(
            Rule::HostedDatabaseDelete,
            format!("{name} deletes a service, database or stack with the data in it"),
            &inv.text,
        );
    }
}
