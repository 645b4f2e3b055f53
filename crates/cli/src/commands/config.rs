//! `dbguard config`: the effective configuration, with the password masked.

use std::path::PathBuf;
use std::process::ExitCode;

use dbguard_pg::pool::PoolSettings;
use dbguard_pg::tls::TlsSettings;
use dbguard_pg::{Policy, Settings, Target, TargetSource};
use serde::Serialize;

use crate::args::Format;
use crate::output::{emit, Report};

#[derive(Serialize)]
struct ConfigReport<'a> {
    project_dir: &'a PathBuf,
    target: String,
    source: &'a TargetSource,
    /// The TLS settings of the target URL; none for the local server (plain text on loopback).
    tls: Option<&'a TlsSettings>,
    node_env: Option<&'a str>,
    pool: &'a PoolSettings,
    policy: &'a Policy,
}

impl Report for ConfigReport<'_> {
    fn text(&self) -> String {
        let p = self.policy;
        format!(
            "project     {}\n\
             target      {}\n\
             source      {}\n\
             TLS         {}\n\
             NODE_ENV    {}\n\
             pool        min {}, max {}, timeout {} ms\n\
             policy      backups in {}, keep {} days and the last {}, verify before high risk: {}, approvals expire after {} min\n",
            self.project_dir.display(),
            self.target,
            self.source,
            self.tls
                .map(TlsSettings::describe)
                .unwrap_or_else(|| "none (the local server, on 127.0.0.1)".into()),
            self.node_env.unwrap_or("(not set)"),
            self.pool.min,
            self.pool.max,
            self.pool.timeout_ms,
            p.backup_dir.display(),
            p.keep_days,
            p.keep_last,
            p.verify_before_high,
            p.approval_expires_minutes,
        )
    }
}

/// Prints the configuration.
pub fn run(format: Format, settings: &Settings) -> anyhow::Result<ExitCode> {
    let target = match &settings.target {
        Target::Url(url) => url.redacted(),
        Target::Local { database } => format!("database `{database}` on the local server"),
    };
    emit(
        format,
        &ConfigReport {
            project_dir: &settings.project_dir,
            target,
            source: &settings.source,
            tls: match &settings.target {
                Target::Url(url) => Some(url.tls()),
                Target::Local { .. } => None,
            },
            node_env: settings.node_env.as_deref(),
            pool: &settings.pool,
            policy: &settings.policy,
        },
    );
    Ok(ExitCode::SUCCESS)
}
