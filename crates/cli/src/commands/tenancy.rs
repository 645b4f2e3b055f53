//! `dbguard tenancy audit`.

use std::process::ExitCode;

use dbguard_farm::audit::{audit, Finding};
use dbguard_pg::Settings;
use serde::Serialize;

use crate::args::Format;
use crate::output::{emit, Report};

#[derive(Serialize)]
struct AuditReport {
    isolated: bool,
    findings: Vec<Finding>,
}

impl Report for AuditReport {
    fn text(&self) -> String {
        if self.isolated {
            return "every table with tenant data is isolated\n".to_string();
        }
        let mut text = String::new();
        for f in &self.findings {
            text.push_str(&format!(
                "{:<22} {:<36} {}\n{:<22} fix: {}\n",
                f.object, f.check, f.message, "", f.fix
            ));
        }
        text.push_str(&format!("{} finding(s)\n", self.findings.len()));
        text
    }
}

/// Audits the target database; exit 1 on any finding.
pub fn run(format: Format, settings: &Settings) -> anyhow::Result<ExitCode> {
    let url = super::target_url(settings)?;
    let mut client = dbguard_pg::connect(&url, settings.pool.timeout())?;
    let findings =
        audit(&mut client).map_err(|e| anyhow::anyhow!("{}", dbguard_pg::connect::describe(&e)))?;
    let isolated = findings.is_empty();
    emit(format, &AuditReport { isolated, findings });
    Ok(if isolated {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
