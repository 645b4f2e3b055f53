//! `dbguard tenancy audit`.

use std::process::ExitCode;

use dbguard_farm::audit::{audit, Finding};
use dbguard_farm::reach::{reachable, Reachable};
use dbguard_pg::Settings;
use serde::Serialize;

use crate::args::Format;
use crate::output::{emit, Report};

#[derive(Serialize)]
struct AuditReport {
    isolated: bool,
    findings: Vec<Finding>,
    /// Everything the application role can reach (sequences included: fine to use, but listed).
    reachable: Vec<Reachable>,
}

impl AuditReport {
    /// "farm_app reaches 15 tables, 1 sequence (a, b), …".
    fn reach_line(&self) -> String {
        let mut kinds: Vec<(&str, Vec<&str>)> = Vec::new();
        for r in &self.reachable {
            match kinds.iter_mut().find(|(k, _)| *k == r.kind) {
                Some((_, objects)) => objects.push(&r.object),
                None => kinds.push((r.kind, vec![&r.object])),
            }
        }
        let parts: Vec<String> = kinds
            .iter()
            .map(|(kind, objects)| match *kind {
                "table" => format!("{} table(s)", objects.len()),
                _ => format!("{} {kind}(s): {}", objects.len(), objects.join(", ")),
            })
            .collect();
        format!("{} reaches {}\n", dbguard_farm::APP_ROLE, parts.join("; "))
    }
}

impl Report for AuditReport {
    fn text(&self) -> String {
        if self.isolated {
            return format!(
                "every table with tenant data is isolated, and everything else {} can reach keeps to the farm boundary\n{}",
                dbguard_farm::APP_ROLE,
                self.reach_line()
            );
        }
        let mut text = String::new();
        for f in &self.findings {
            text.push_str(&format!(
                "{:<22} {:<36} {}\n{:<22} fix: {}\n",
                f.object, f.check, f.message, "", f.fix
            ));
        }
        text.push_str(&format!("{} finding(s)\n", self.findings.len()));
        text.push_str(&self.reach_line());
        text
    }
}

/// Audits the target database; exit 1 on any finding.
pub fn run(format: Format, settings: &Settings) -> anyhow::Result<ExitCode> {
    let url = super::target_url(settings)?;
    let mut client = dbguard_pg::connect(&url, settings.pool.timeout())?;
    let describe = |e: postgres::Error| anyhow::anyhow!("{}", dbguard_pg::connect::describe(&e));
    let findings = audit(&mut client).map_err(describe)?;
    let reachable = reachable(&mut client).map_err(describe)?;
    let isolated = findings.is_empty();
    emit(
        format,
        &AuditReport {
            isolated,
            findings,
            reachable,
        },
    );
    Ok(if isolated {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Writes the adoption migrations into the project's migrations folder.
pub fn adopt(settings: &Settings, owner: &str, farm_name: &str) -> anyhow::Result<ExitCode> {
    let url = super::target_url(settings)?;
    let mut client = dbguard_pg::connect(&url, settings.pool.timeout())?;
    let describe = |e: postgres::Error| anyhow::anyhow!("{}", dbguard_pg::connect::describe(&e));
    let farms: bool = client
        .query_one("SELECT to_regclass('public.farms') IS NOT NULL", &[])
        .map_err(describe)?
        .get(0);
    anyhow::ensure!(
        farms,
        "adopting needs the farms and users tables of the farm schema; apply them first"
    );
    let tables = dbguard_farm::adopt::tables_to_adopt(&mut client).map_err(describe)?;
    if tables.is_empty() {
        println!("every table already belongs to a farm; nothing to adopt");
        return Ok(ExitCode::SUCCESS);
    }
    let dir = super::migrate::migrations_dir(settings);
    // Starting the folder: keep the farm schema's own migration in it, so the history stays whole.
    if !dir.is_dir() && super::migrate::farm_schema_by_default(settings) {
        for m in dbguard_farm::migrations() {
            let folder = dir.join(&m.name);
            std::fs::create_dir_all(&folder)?;
            std::fs::write(folder.join("migration.sql"), &m.sql)?;
        }
    }
    let now = chrono::Utc::now();
    for (i, (name, sql)) in dbguard_farm::adopt::migrations(&tables, owner, farm_name)
        .into_iter()
        .enumerate()
    {
        let at = now + chrono::Duration::seconds(i as i64);
        let folder = dir.join(format!("{}_{name}", at.format("%Y%m%d%H%M%S")));
        std::fs::create_dir_all(&folder)?;
        std::fs::write(folder.join("migration.sql"), sql)?;
        println!("wrote {}", folder.join("migration.sql").display());
    }
    println!(
        "adopting {} table(s): {}\nreview the migrations, then run `dbguard migrate deploy` (the backfill needs a person's approval).\n\
         Primary keys and unique constraints stay single-column: `dbguard tenancy audit` lists them with the fix.",
        tables.len(),
        tables.join(", ")
    );
    Ok(ExitCode::SUCCESS)
}
