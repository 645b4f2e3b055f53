//! PostgreSQL's own programs and service managers.

use super::super::opts::{read, Items, Spec};
use super::super::walk::{Invocation, Walker};
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

/// Classifies PostgreSQL server and client programs.
pub fn classify(w: &mut Walker, name: &str, inv: &Invocation) {
    let text = &inv.text;
    let args: Vec<&str> = inv.args().iter().map(|a| a.text.as_str()).collect();
    match name {
        "dropdb" => {
            let target = args.iter().rev().find(|a| !a.starts_with('-')).unwrap_or(&"?");
            w.add(Rule::Dropdb, format!("dropdb deletes database {target}"), text);
        }
        "dropuser" => w.add(Rule::PermissionChange, "dropuser removes a role", text),
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
        "pg_resetwal" | "pg_resetxlog" => w.add(
            Rule::DestroyCluster,
            format!("{name} rewrites the write-ahead log and can corrupt data"),
            text,
        ),
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
