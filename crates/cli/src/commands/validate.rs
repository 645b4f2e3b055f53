//! `dbguard validate`: the integrity checks; exit 1 when anything is found
//! or a check could not run (then the data is not known to be valid).

use std::process::ExitCode;

use dbguard_backup::progress::Progress;
use dbguard_farm::validate::{validate_showing, Report as Validation};
use dbguard_pg::Settings;
use serde::Serialize;

use crate::args::Format;
use crate::output::{emit, Report};

#[derive(Serialize)]
struct ValidateReport {
    valid: bool,
    seconds: f64,
    #[serde(flatten)]
    validation: Validation,
}

impl Report for ValidateReport {
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
    let started = std::time::Instant::now();
    let bar = Progress::steps("validate", "checks");
    let validation = validate_showing(&mut client, &mut |done, total| {
        bar.set_total(total as u64);
        bar.advance(u64::from(done > 0));
    });
    bar.finish();
    let validation = validation.map_err(|e| anyhow::anyhow!("{}", dbguard_pg::connect::describe(&e)))?;
    let valid = validation.findings.is_empty() && validation.failures.is_empty();
    emit(
        format,
        &ValidateReport {
            valid,
            seconds: started.elapsed().as_secs_f64(),
            validation,
        },
    );
    Ok(if valid {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
