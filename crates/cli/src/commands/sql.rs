//! `dbguard sql "<SQL>"` / `dbguard sql -f FILE`: SQL through the protocol,
//! classified with the database's own unique keys, executed in one
//! transaction unless the SQL cannot run in one.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use dbguard_pg::Settings;
use dbguard_risk::{classify_sql, DiskFiles, FileSource, SqlOptions};

use super::protocol::{self, Operation};
use crate::args::{Format, SqlArgs};

/// Runs the SQL through the protocol.
pub fn run(_format: Format, settings: &Settings, args: &SqlArgs, cwd: &Path) -> anyhow::Result<ExitCode> {
    let sql = match (&args.sql, &args.file) {
        (Some(sql), _) => sql.clone(),
        (None, Some(file)) => DiskFiles
            .read(&cwd.join(file))
            .map_err(|e| anyhow::anyhow!("{}: {e:?}", file.display()))?,
        (None, None) => anyhow::bail!("no SQL given"),
    };
    let url = super::target_url(settings)?;
    let mut client = dbguard_pg::connect(&url, settings.pool.timeout())?;
    let keys = dbguard_guard::assess::unique_keys(&mut client)?;
    drop(client);
    let verdict = classify_sql(
        &sql,
        &SqlOptions {
            keys,
            ..SqlOptions::default()
        },
    );
    let op = Operation {
        kind: "sql",
        text: sql.clone(),
        cwd: cwd.to_path_buf(),
    };
    let timeout = settings.pool.timeout();
    protocol::run(settings, &op, &verdict, Ok(url), &mut |url| {
        let url = url.context("no target database")?;
        execute(url, &sql, timeout)
    })
}

/// SQLSTATE of "cannot run inside a transaction block".
const ACTIVE_SQL_TRANSACTION: &str = "25001";

fn execute(url: &dbguard_pg::DbUrl, sql: &str, timeout: std::time::Duration) -> anyhow::Result<i32> {
    let mut client = dbguard_pg::connect(url, timeout)?;
    let in_transaction = client.transaction().and_then(|mut tx| {
        tx.batch_execute(sql)?;
        tx.commit()
    });
    let outcome = match in_transaction {
        Err(e) if e.code().map(|c| c.code()) == Some(ACTIVE_SQL_TRANSACTION) => {
            dbguard_migrate::runner::execute_each(&mut client, sql)
        }
        other => other,
    };
    match outcome {
        Ok(()) => {
            eprintln!("SQL executed");
            Ok(0)
        }
        Err(e) => {
            eprintln!("error: {}", dbguard_pg::connect::describe(&e));
            Ok(1)
        }
    }
}
