//! `dbguard export` and `dbguard import`.

use std::io::{BufReader, BufWriter, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::process::ExitCode;

use dbguard_backup::progress::Progress;
use dbguard_farm::export::{export_with, import_tables, read_export, Counts, Layout, Secrets};
use dbguard_pg::Settings;

use crate::args::{ExportArgs, ExportLayout, ImportArgs};

fn print_counts(verb: &str, counts: &Counts, seconds: f64) {
    let rows: u64 = counts.iter().map(|(_, n)| n).sum();
    eprintln!(
        "{verb} {rows} rows from {} tables in {seconds:.2} s ({:.0} rows/s)",
        counts.len(),
        rows as f64 / seconds.max(1e-9)
    );
}

/// Exports to a file (written privately, renamed into place when complete) or standard output.
pub fn run_export(settings: &Settings, args: &ExportArgs) -> anyhow::Result<ExitCode> {
    let url = super::target_url(settings)?;
    let mut client = dbguard_pg::connect(&url, settings.pool.timeout())?;
    let layout = match args.r#as {
        ExportLayout::Json => Layout::Json,
        ExportLayout::Ndjson => Layout::Ndjson,
        ExportLayout::Csv => Layout::Csv,
    };
    let tables: Vec<String> = args.tables.clone();
    let started = std::time::Instant::now();
    let progress = Progress::rows("export");
    let mut write = |out: &mut dyn Write| {
        export_with(
            &mut client,
            args.farm.as_deref(),
            &tables,
            layout,
            if args.with_password_hashes {
                Secrets::Include
            } else {
                Secrets::Omit
            },
            &mut { out },
            &mut |n| progress.advance(n),
        )
    };
    let counts = match &args.output {
        None => write(&mut BufWriter::new(std::io::stdout().lock()))?,
        Some(path) => {
            let partial = path.with_extension("partial");
            let file = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&partial)
                .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", partial.display()))?;
            let mut out = BufWriter::new(file);
            let result = write(&mut out);
            let finished = result.and_then(|counts| {
                out.flush()?;
                out.get_ref().sync_all()?;
                Ok(counts)
            });
            match finished {
                Ok(counts) => {
                    std::fs::rename(&partial, path)?;
                    counts
                }
                Err(e) => {
                    let _ = std::fs::remove_file(&partial);
                    return Err(e.into());
                }
            }
        }
    };
    progress.finish();
    print_counts("exported", &counts, started.elapsed().as_secs_f64());
    Ok(ExitCode::SUCCESS)
}

/// Imports a farm export into an empty farm.
pub fn run_import(settings: &Settings, args: &ImportArgs) -> anyhow::Result<ExitCode> {
    let file = std::fs::File::open(&args.file)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", args.file.display()))?;
    let url = super::target_url(settings)?;
    let mut client = dbguard_pg::connect(&url, settings.pool.timeout())?;
    let started = std::time::Instant::now();
    let size = file.metadata().ok().map(|m| m.len());
    let reading = Progress::bytes("read", size, true);
    let tables = read_export(&mut BufReader::new(reading.reading(file)));
    reading.finish();
    let inserting = Progress::rows("import");
    let counts = import_tables(&mut client, tables?, &args.farm, &mut |table, rows| {
        inserting.set_message(table);
        inserting.advance(rows);
    });
    inserting.finish();
    let counts = counts?;
    print_counts("imported", &counts, started.elapsed().as_secs_f64());
    Ok(ExitCode::SUCCESS)
}
