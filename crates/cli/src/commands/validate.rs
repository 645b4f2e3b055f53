//! `dbguard validate`: the integrity checks; exit 1 when anything is found
//! or a check could not run (then the data is not known to be valid).

use std::process::ExitCode;

use dbguard_backup::progress::Progress;
use dbguard_farm::validate::{run as run_checks, Validated};
use dbguard_pg::Settings;

use crate::args::Format;
use crate::output::{emit, Report};

impl Report for Validated {
    fn text(&self) -> String {
        let v = &self.validation;
        let mut text = String::new();
        for f in &v.findings {
            let more = if f.total > f.ids.len() as i64 {
                format!(" … ({} in all)", f.total)
            } else {
                String::new()
            };
            text.push_str(&format!(
                "{:<22} {} row(s): {}\n{:<22} {}{more}\n",
                f.check,
                f.total,
                f.message,
                "",
                f.ids.join(", ")
            ));
        }
        for f in &v.failures {
            text.push_str(&format!("{:<22} could not check: {}\n", f.check, f.reason));
        }
        text.push_str(&match self.valid {
            true => format!("{} checks passed in {:.2} s\n", v.checks, self.seconds),
            false => format!(
                "{} of {} checks found problems, {} could not run ({:.2} s)\n",
                v.findings.len(),
                v.checks,
                v.failures.len(),
                self.seconds
            ),
        });
        text
    }
}

/// Validates the target database.
pub fn run(format: Format, settings: &Settings) -> anyhow::Result<ExitCode> {
    let url = super::target_url(settings)?;
    let mut client = dbguard_pg::connect(&url, settings.pool.timeout())?;
    let bar = Progress::steps("validate", "checks");
    let report = run_checks(&mut client, &mut |done, total| {
        bar.set_total(total as u64);
        bar.advance(u64::from(done > 0));
    });
    bar.finish();
    let report = report.map_err(|e| anyhow::anyhow!("{}", dbguard_pg::connect::describe(&e)))?;
    let valid = report.valid;
    emit(format, &report);
    Ok(if valid {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
