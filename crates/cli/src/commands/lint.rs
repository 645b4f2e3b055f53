//! `dbguard lint [PATHS…]`: the migration lint over files, folders or
//! standard input, as text, gcc, JSON or GitHub annotations.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use dbguard_migrate::lint::format::{self, FileReport};
use dbguard_migrate::lint::lint;
use dbguard_risk::{DiskFiles, FileSource, ReadError};

use crate::args::{Format, LintArgs};

/// Lints and prints; exit 4 when a finding is at or above `--fail-level`
/// (high by default).
pub fn run(format: Format, args: &LintArgs, cwd: &Path) -> anyhow::Result<ExitCode> {
    let output = args.output.clone().unwrap_or_else(|| match format {
        Format::Json => "json".to_string(),
        // Prometheus is refused before any command runs.
        Format::Text | Format::Prometheus => "text".to_string(),
    });
    let mut sources: Vec<(String, String)> = Vec::new();
    if args.paths.is_empty() || args.paths.iter().any(|p| p.as_os_str() == "-") {
        let mut bytes = Vec::new();
        std::io::stdin()
            .read_to_end(&mut bytes)
            .context("cannot read standard input")?;
        sources.push((
            "-".into(),
            String::from_utf8(bytes).context("standard input is not valid UTF-8")?,
        ));
    }
    for path in args.paths.iter().filter(|p| p.as_os_str() != "-") {
        for file in sql_files(&cwd.join(path))? {
            let text = DiskFiles.read(&file).map_err(|e| {
                let why = match e {
                    ReadError::NotFound => "no such file".to_string(),
                    ReadError::Unreadable(why) => why,
                };
                anyhow::anyhow!("cannot lint {}: {why}", file.display())
            })?;
            sources.push((
                file.strip_prefix(cwd).unwrap_or(&file).display().to_string(),
                text,
            ));
        }
    }
    let reports: Vec<(FileReport, &str)> = sources
        .iter()
        .map(|(file, text)| {
            let report = FileReport {
                file: file.clone(),
                diagnostics: lint(text),
            };
            (report, text.as_str())
        })
        .collect();
    let fails = args.fail_level.risk().is_some_and(|level| {
        reports
            .iter()
            .any(|(r, _)| r.diagnostics.iter().any(|d| d.risk >= level))
    });
    let printed = match output.as_str() {
        "json" => {
            serde_json::to_string_pretty(&reports.iter().map(|(r, _)| r).collect::<Vec<_>>())
                .expect("reports serialise")
                + "\n"
        }
        "gcc" => reports.iter().map(|(r, _)| format::gcc(r)).collect(),
        "github" => reports.iter().map(|(r, _)| format::github(r)).collect(),
        _ => {
            let mut text: String = reports
                .iter()
                .map(|(r, source)| format::text(r, source))
                .collect();
            let count: usize = reports.iter().map(|(r, _)| r.diagnostics.len()).sum();
            text.push_str(&format!("{count} finding(s) in {} file(s)\n", reports.len()));
            text
        }
    };
    print!("{printed}");
    Ok(if fails {
        ExitCode::from(4)
    } else {
        ExitCode::SUCCESS
    })
}

/// `path` itself, or the `.sql` files under it (sorted).
fn sql_files(path: &Path) -> anyhow::Result<Vec<PathBuf>> {
    if !path.is_dir() {
        anyhow::ensure!(path.exists(), "{}: no such file or folder", path.display());
        return Ok(vec![path.to_path_buf()]);
    }
    let mut files = Vec::new();
    for entry in std::fs::read_dir(path).with_context(|| format!("cannot read {}", path.display()))? {
        let entry = entry?;
        let p = entry.path();
        if p.is_dir() {
            files.extend(sql_files(&p)?);
        } else if p.extension().is_some_and(|e| e == "sql") {
            files.push(p);
        }
    }
    files.sort();
    Ok(files)
}
