//! `dbguard seed`: the guide's seed, environment-aware and without its bugs.

use std::io::IsTerminal;
use std::process::ExitCode;

use dbguard_farm::seed::{self, DevSize, Inserted};
use dbguard_pg::{DbUrl, Settings};
use serde::Serialize;

use crate::args::{Format, SeedArgs, SeedEnv};
use crate::output::{emit, Report};

/// Where the production administrator's password may come from, besides a prompt.
pub const ADMIN_PASSWORD_VAR: &str = "DBGUARD_ADMIN_PASSWORD";

#[derive(Serialize)]
pub struct SeedReport {
    environment: &'static str,
    inserted: Inserted,
    seconds: f64,
}

impl Report for SeedReport {
    fn text(&self) -> String {
        let mut text = format!("seeded {} data in {:.2} s\n", self.environment, self.seconds);
        if self.inserted.0.is_empty() {
            text.push_str("nothing new: every seed row was already there\n");
        }
        for (table, rows) in &self.inserted.0 {
            text.push_str(&format!("  {table:<22} {rows:>10} rows\n"));
        }
        text
    }
}

/// The environment: the flag, else `NODE_ENV`, else development.
pub fn environment(settings: &Settings, flag: Option<SeedEnv>) -> SeedEnv {
    flag.unwrap_or(match settings.node_env.as_deref() {
        Some("production") => SeedEnv::Production,
        _ => SeedEnv::Development,
    })
}

/// A seed whose preconditions hold: the environment is allowed for the
/// target and the production password is in hand. Prepared before anything
/// changes, so `reset --seed` cannot drop the data and then refuse to seed.
pub struct Plan {
    /// The administrator's password for a production seed; `None` for development.
    password: Option<String>,
    size: DevSize,
}

impl Plan {
    /// Checks the environment against the target, and reads (and checks) the
    /// production password.
    pub fn prepare(settings: &Settings, args: &SeedArgs) -> anyhow::Result<Plan> {
        let environment = environment(settings, args.env);
        let size = DevSize {
            farms: args.farms.unwrap_or(DevSize::default().farms),
            scale: args.scale.unwrap_or(DevSize::default().scale),
        };
        let password = match environment {
            SeedEnv::Production => {
                anyhow::ensure!(
                    args.farms.is_none() && args.scale.is_none(),
                    "--farms and --scale make development data; production gets only the administrator"
                );
                Some(admin_password()?)
            }
            SeedEnv::Development => {
                if let dbguard_pg::Target::Url(url) = &settings.target {
                    anyhow::ensure!(
                        is_local(url),
                        "development data carries well-known passwords; dbguard seeds it only into a database on this machine, \
                         and {} is not",
                        url.redacted()
                    );
                }
                None
            }
        };
        Ok(Plan { password, size })
    }

    /// Seeds over `client`.
    pub fn apply(&self, client: &mut postgres::Client) -> anyhow::Result<SeedReport> {
        let describe = |e: postgres::Error| anyhow::anyhow!("{}", dbguard_pg::connect::describe(&e));
        let has_schema: bool = client
            .query_one(
                "SELECT to_regclass('public.farms') IS NOT NULL AND to_regclass('public.users') IS NOT NULL",
                &[],
            )
            .map_err(describe)?
            .get(0);
        anyhow::ensure!(
            has_schema,
            "the farm schema is not applied to this database; `dbguard up` (local) or `dbguard migrate deploy` applies it"
        );
        let started = std::time::Instant::now();
        let (environment, inserted) = match &self.password {
            Some(password) => ("production", seed::production(client, password)?),
            None => {
                let bar = dbguard_backup::progress::Progress::rows("seed");
                let seeded = seed::development_showing(client, self.size, &mut |table, rows| {
                    bar.set_message(table);
                    bar.advance(rows);
                });
                bar.finish();
                ("development", seeded?)
            }
        };
        Ok(SeedReport {
            environment,
            inserted,
            seconds: started.elapsed().as_secs_f64(),
        })
    }
}

/// Seeds the target database.
pub fn run(format: Format, settings: &Settings, args: &SeedArgs) -> anyhow::Result<ExitCode> {
    let plan = Plan::prepare(settings, args)?;
    let url = super::target_url(settings)?;
    let mut client = dbguard_pg::connect(&url, settings.pool.timeout())?;
    let report = plan.apply(&mut client)?;
    emit(format, &report);
    Ok(ExitCode::SUCCESS)
}

/// The administrator password, checked for strength: from the environment,
/// else typed twice at a terminal (checked before it is asked again).
fn admin_password() -> anyhow::Result<String> {
    if let Ok(password) = std::env::var(ADMIN_PASSWORD_VAR) {
        seed::check_password_strength(&password)?;
        return Ok(password);
    }
    anyhow::ensure!(
        std::io::stdin().is_terminal(),
        "the production seed needs the administrator's password: set {ADMIN_PASSWORD_VAR} or run it at a terminal"
    );
    let first = rpassword::prompt_password("administrator password: ")?;
    seed::check_password_strength(&first)?;
    let second = rpassword::prompt_password("again: ")?;
    anyhow::ensure!(first == second, "the two passwords differ; nothing was seeded");
    Ok(first)
}

/// Whether every host of `url` is on this machine (a socket or loopback).
fn is_local(url: &DbUrl) -> bool {
    let Ok(config) = url.client_config() else {
        return false;
    };
    config.get_hosts().iter().all(|host| match host {
        postgres::config::Host::Unix(_) => true,
        postgres::config::Host::Tcp(name) => {
            name == "localhost"
                || name
                    .trim_matches(|c| c == '[' || c == ']')
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback())
        }
    })
}
