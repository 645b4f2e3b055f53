//! PostgreSQL's own programs and service managers.

use super::super::ast::Word;
use super::super::opts::{read, Items, Spec};
use super::super::walk::{Invocation, Scope, Walker};
use crate::rules::Rule;

const PG_RESTORE: Spec = Spec {
    short_values: "dfFIjLnNPsStTUhpW",
    long_values: &[
        "dbname",
        "file",
        "format",
        "index",
        "jobs",
        "use-list",
        "schema",
        "exclude-schema",
        "function",
        "table",
        "trigger",
        "superuser",
        "host",
        "port",
        "username",
        "role",
        "section",
        "filter",
    ],
};

/// The old data folder of `pg_upgrade` (`-d`, `--old-datadir`).
fn old_cluster(args: &[super::super::ast::Word]) -> Option<String> {
    let spec = Spec {
        short_values: "bBdDjoOpPsUr",
        long_values: &[
            "old-bindir",
            "new-bindir",
            "old-datadir",
            "new-datadir",
            "jobs",
            "old-options",
            "new-options",
            "old-port",
            "new-port",
            "socketdir",
            "username",
        ],
    };
    let (items, _) = read(args, &spec, false);
    items
        .values(&["-d", "--old-datadir"])
        .first()
        .map(|w| w.text.clone())
}

/// Whether the line starts a server on data folder `dir` (`pg_ctl -D DIR start`, `pg_ctlcluster … start`).
fn starts_cluster(line: &str, dir: &str) -> bool {
    line.split(['&', ';', '|', '\n']).any(|command| {
        command.contains("start")
            && command.contains(dir)
            && (command.contains("pg_ctl") || command.contains("postgres "))
    })
}

/// Classifies PostgreSQL server and client programs.
pub fn classify(w: &mut Walker, name: &str, inv: &Invocation, scope: &Scope) {
    let text = &inv.text;
    let args: Vec<&str> = inv.args().iter().map(|a| a.text.as_str()).collect();
    match name {
        "dropdb" => {
            let target = args.iter().rev().find(|a| !a.starts_with('-')).unwrap_or(&"?");
            w.add(Rule::Dropdb, format!("dropdb deletes database {target}"), text);
        }
        "dropuser" => w.add(Rule::PermissionChange, "dropuser removes a role", text),
        "createdb" => {
            let spec = Spec {
                short_values: "DEhlOpTU",
                long_values: &[
                    "tablespace",
                    "encoding",
                    "host",
                    "locale",
                    "owner",
                    "port",
                    "template",
                    "username",
                    "maintenance-db",
                    "lc-collate",
                    "lc-ctype",
                    "icu-locale",
                    "strategy",
                    "builtin-locale",
                    "icu-rules",
                    "locale-provider",
                ],
            };
            let (items, _) = read(inv.args(), &spec, false);
            if let Some(db) = items.operands().first() {
                w.memory.created_databases.push(db.text.clone());
            }
        }
        "pg_restore" => {
            let (items, _) = read(inv.args(), &PG_RESTORE, false);
            // Without a database, pg_restore writes a script (to -f or standard output).
            let into_database = items.has(&["-d", "--dbname"]) && !items.has(&["-l", "--list"]);
            if items.has(&["-c", "--clean"]) && into_database {
                w.add(
                    Rule::PgRestoreClean,
                    "pg_restore --clean drops every object of the archive before restoring it",
                    text,
                );
            } else if into_database {
                w.add(
                    Rule::PgRestore,
                    "pg_restore writes into an existing database",
                    text,
                );
            }
        }
        "pg_ctl"
            if args
                .iter()
                .any(|a| matches!(*a, "stop" | "restart" | "kill" | "promote")) =>
        {
            w.add(Rule::ServerControl, "pg_ctl stops or restarts a server", text)
        }
        "pg_ctlcluster" if args.iter().any(|a| matches!(*a, "stop" | "restart")) => w.add(
            Rule::ServerControl,
            "pg_ctlcluster stops or restarts a cluster",
            text,
        ),
        "pg_dropcluster" => w.add(
            Rule::DestroyCluster,
            "pg_dropcluster deletes a whole cluster",
            text,
        ),
        "pg_rewind" if !args.iter().any(|a| *a == "-n" || *a == "--dry-run") => w.add(
            Rule::PgRewind,
            "pg_rewind rewrites the target data folder, discarding what only it had",
            text,
        ),
        "pg_upgrade" if args.iter().any(|a| *a == "--link" || *a == "-k") => {
            if let Some(old) = old_cluster(inv.args()) {
                if starts_cluster(w.source_line(), &old) {
                    w.add(
                        Rule::PgUpgradeLink,
                        format!("pg_upgrade --link shares files with {old}, and this line starts that old cluster again"),
                        text,
                    );
                }
            }
        }
        "pg_basebackup" => {
            let (items, _) = read(
                inv.args(),
                &Spec {
                    short_values: "DFrTXcCdhpUSZtl",
                    long_values: &[
                        "pgdata",
                        "format",
                        "max-rate",
                        "tablespace-mapping",
                        "wal-method",
                        "checkpoint",
                        "label",
                        "dbname",
                        "host",
                        "port",
                        "username",
                        "slot",
                        "compress",
                        "target",
                        "waldir",
                    ],
                },
                false,
            );
            if let Some(dir) = items.values(&["-D", "--pgdata"]).first() {
                let lower = dir.text.to_lowercase();
                let data = lower.starts_with("/var/lib/postgresql")
                    || lower.contains("pgdata")
                    || dir.text.contains("$PGDATA")
                    || lower.contains("/data/postgres");
                if data && !lower.contains("backup") {
                    w.add(
                        Rule::BasebackupOverData,
                        format!("pg_basebackup writes into {}, a PostgreSQL data folder", dir.text),
                        text,
                    );
                }
            }
        }
        "pg_resetwal" | "pg_resetxlog" => w.add(
            Rule::DestroyCluster,
            format!("{name} rewrites the write-ahead log and can corrupt data"),
            text,
        ),
        "pgbench" => pgbench(w, inv, scope),
        // `pg_dump -f FILE`: a new dump over an existing one loses it.
        "pg_dump" | "pg_dumpall" => {
            let spec = Spec {
                short_values: "fFdhpUnNtTEjZSB",
                long_values: &[
                    "file",
                    "format",
                    "dbname",
                    "host",
                    "port",
                    "username",
                    "schema",
                    "table",
                    "encoding",
                    "jobs",
                    "compress",
                    "superuser",
                    "exclude-schema",
                    "exclude-table",
                ],
            };
            let (items, _) = read(inv.args(), &spec, false);
            for file in items.values(&["-f", "--file"]) {
                super::backups::new_dump_over(w, name, file, scope, text);
            }
        }
        // `pkill postgres`, `kill $(head -1 …/postmaster.pid)`: pg_ctl's
        // `stop` and `kill` by another name.
        "kill" | "pkill" | "killall"
            if args.iter().any(|a| names_server(a))
                || (inv.args().iter().any(|a| a.dynamic) && names_server(text)) =>
        {
            w.add(
                Rule::ServerControl,
                format!("{name} ends PostgreSQL server processes"),
                text,
            )
        }
        "systemctl" | "service" => {
            let stops = args
                .iter()
                .any(|a| matches!(*a, "stop" | "restart" | "kill" | "disable"));
            let postgres = args.iter().any(|a| a.starts_with("postgres"));
            if stops && postgres {
                w.add(
                    Rule::ServerControl,
                    "stops or restarts the PostgreSQL service",
                    text,
                );
            }
        }
        _ => {}
    }
}

/// Whether `text` names PostgreSQL's (or PgBouncer's) server processes or pid file.
fn names_server(text: &str) -> bool {
    let text = text.to_lowercase();
    ["postgres", "postmaster", "pgbouncer"]
        .iter()
        .any(|n| text.contains(n))
}

/// `pgbench -i` drops and creates pgbench's tables (medium); `-f FILE`
/// runs the file's SQL, many times over (`FILE@WEIGHT` too).
fn pgbench(w: &mut Walker, inv: &Invocation, scope: &Scope) {
    let spec = Spec {
        short_values: "cjTtsfbDhpUFRLPMS",
        long_values: &[
            "client",
            "jobs",
            "time",
            "transactions",
            "scale",
            "file",
            "builtin",
            "define",
            "host",
            "port",
            "username",
            "fillfactor",
            "rate",
            "latency-limit",
            "progress",
            "protocol",
            "init-steps",
            "partitions",
            "partition-method",
            "tablespace",
            "index-tablespace",
        ],
    };
    let (items, _) = read(inv.args(), &spec, false);
    if items.has(&["-i", "--initialize"]) {
        w.add(
            Rule::SchemaChange,
            "pgbench -i drops and creates pgbench's tables",
            &inv.text,
        );
    }
    for file in items.values(&["-f", "--file"]) {
        let path = file
            .text
            .rsplit_once('@')
            .map_or(file.text.as_str(), |(path, _)| path);
        let file = Word {
            text: path.to_string(),
            ..file.clone()
        };
        match w.read_file(&file, scope) {
            Ok((sql, origin)) => w.nested_sql(&sql, Some(format!("pgbench running {origin}"))),
            Err(why) => w.add(
                Rule::SqlUnreadable,
                format!("pgbench runs SQL that cannot be read: {why}"),
                &inv.text,
            ),
        }
    }
}
