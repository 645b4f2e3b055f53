//! How long the dashboard takes to answer with a large project: 1,000
//! backups, 100,000 audit entries and 100 incidents, page by page over
//! HTTP, against the same pages of an empty project in the same run (the
//! reference); then the audit page after one more entry, against reading
//! and verifying the whole log from its start (what `dbguard audit verify`
//! does, in process).
//! `cargo bench -p dbguard-serve --bench pages` (add `--profile dev` for an
//! unoptimised build).

use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use dbguard_guard::approver::ApproverDir;
use dbguard_guard::protocol::{project_log, read_project_log};
use dbguard_guard::Entry;
use dbguard_incident::{Incident, Incidents};
use dbguard_pg::health::Check;
use dbguard_pg::{DbUrl, Settings};
use dbguard_serve::{Dashboard, Server, Sources};
use sha2::{Digest, Sha256};

const BACKUPS: usize = 1_000;
const ENTRIES: usize = 100_000;
const INCIDENTS: usize = 100;
const ROUNDS: usize = 10;
const PAGES: &[&str] = &[
    "/approvals",
    "/backups",
    "/audit",
    "/audit?risk=high",
    "/api/audit",
    "/api/backups",
    "/incidents",
    "/api/incidents",
];

/// No database: the pages measured read only the project's files.
struct Offline;

impl Sources for Offline {
    fn target(&self) -> anyhow::Result<DbUrl> {
        anyhow::bail!("no database in this benchmark")
    }

    fn health(&self) -> Vec<Check> {
        Vec::new()
    }
}

fn backups(dir: &Path) {
    for i in 0..BACKUPS {
        let id = format!("backup_farm_2026{:04}", i);
        let folder = dir.join("backups").join(&id);
        std::fs::create_dir_all(&folder).unwrap();
        let at = chrono::Utc::now() - chrono::Duration::minutes(i as i64 * 30);
        let manifest = serde_json::json!({
            "format": 1, "id": id, "label": format!("before: psql -c 'TRUNCATE t{i}'"),
            "dbguard_version": "0.1.0", "pg_dump_version": "17.0", "server_version": "17.0", "server_major": 17,
            "source": { "system_identifier": "1", "database": "farm", "host": "127.0.0.1", "port": 5432, "user": "app" },
            "started_at": at, "finished_at": at,
            "tables": [ { "schema": "public", "name": "orders", "rows": 1000 } ],
            "files": [ { "name": "db.dump.zst", "role": "database", "bytes": 123456, "uncompressed_bytes": 999999,
                         "sha256": "00", "compression": "zstd" } ],
            "globals_skipped": null,
            "verification": { "level": if i % 3 == 0 { "full" } else { "read" }, "checked_at": at,
                              "last_failure": null, "restore_bytes_per_second": 25e6 }
        });
        std::fs::write(folder.join("manifest.json"), manifest.to_string()).unwrap();
    }
}

/// A chained log, written directly (appending one by one rereads the file each time).
fn audit(dir: &Path) {
    let state = dir.join(".dbguard");
    std::fs::create_dir_all(&state).unwrap();
    let mut file = std::io::BufWriter::new(std::fs::File::create(state.join("audit.log")).unwrap());
    let mut prev = "0".repeat(64);
    for seq in 1..=ENTRIES {
        let risk = ["low", "medium", "high"][seq % 3];
        let entry = serde_json::json!({
            "seq": seq, "time": chrono::Utc::now(), "os_user": "alice",
            "agent": if seq % 2 == 0 { Some("CLAUDECODE") } else { None },
            "kind": "shell", "operation": format!("psql -c 'DELETE FROM orders WHERE id = {seq}'"),
            "cwd": "/p", "target": "postgresql://app@127.0.0.1/farm", "risk": risk, "rules": ["sql/delete"],
            "approval": null, "backup": null, "outcome": "executed", "exit_code": 0, "duration_ms": 12, "prev": prev,
        });
        let line = entry.to_string();
        writeln!(file, "{line}").unwrap();
        prev = Sha256::digest(line.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
    }
    // The head, and its copy in the approver's folder, as dbguard keeps them.
    let head = serde_json::json!({ "lines": ENTRIES, "last": prev }).to_string();
    let mirror = approver_dir(dir).project(&state);
    std::fs::create_dir_all(&mirror).unwrap();
    for folder in [state, mirror] {
        std::fs::write(folder.join("audit.head"), &head).unwrap();
    }
}

/// Closed incidents, each with a few steps.
fn incidents(dir: &Path) {
    let incidents = Incidents::new(&dir.join(".dbguard"));
    for i in 0..INCIDENTS {
        let at = chrono::Utc::now() - chrono::Duration::days(i as i64);
        let mut incident = Incident::opened(
            incidents.new_id(at),
            format!("orders of farm {i} lost"),
            (at, "alice".into()),
            "postgresql://app@127.0.0.1/farm".into(),
            "farm".into(),
        );
        incident.closed_at = Some(at);
        for step in ["start", "scope", "recover", "verify", "close"] {
            incident.step(step, format!("{step} of incident {i}"));
        }
        incidents.save(&incident).unwrap();
    }
}

fn approver_dir(project: &Path) -> ApproverDir {
    ApproverDir::at(project.join("approver"))
}

fn serve(project: &Path) -> (String, String) {
    let settings = Settings::resolve(
        Some("postgresql://app@127.0.0.1:1/farm"),
        &std::collections::HashMap::<String, String>::new(),
        project,
    )
    .unwrap();
    let dashboard = Dashboard {
        settings,
        approver_dir: approver_dir(project),
        sources: Box::new(Offline),
    };
    let server = Server::bind(dashboard, 0).unwrap();
    let base = format!("http://127.0.0.1:{}", server.port());
    let token = server.url().split("token=").nth(1).unwrap().to_string();
    std::thread::spawn(move || server.run());
    (base, token)
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

/// The body of `path`.
fn get(base: &str, token: &str, path: &str) -> String {
    ureq::get(&format!("{base}{path}"))
        .set("Authorization", &format!("Bearer {token}"))
        .call()
        .unwrap()
        .into_string()
        .unwrap()
}

/// The first answer's time (right after the start), the median of the
/// next rounds, and the answer's size.
fn measure(base: &str, token: &str, path: &str) -> (Duration, Duration, usize) {
    let get = || get(base, token, path);
    let started = Instant::now();
    let size = get().len();
    let first = started.elapsed();
    let times = (0..ROUNDS)
        .map(|_| {
            let started = Instant::now();
            get();
            started.elapsed()
        })
        .collect();
    (first, median(times), size)
}

fn main() {
    let empty = tempfile::tempdir().unwrap();
    let large = tempfile::tempdir().unwrap();
    let started = Instant::now();
    backups(large.path());
    audit(large.path());
    incidents(large.path());
    eprintln!(
        "made {BACKUPS} backups, {ENTRIES} audit entries and {INCIDENTS} incidents in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let (empty_base, empty_token) = serve(empty.path());
    let (large_base, large_token) = serve(large.path());
    println!("| page | empty | large | large, first | large KB |");
    println!("| --- | ---: | ---: | ---: | ---: |");
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    assert!(get(&large_base, &large_token, "/api/audit/verify").contains("\"intact\":true"));
    let (large_base, large_token) = serve(large.path());
    for path in PAGES {
        let (_, reference, _) = measure(&empty_base, &empty_token, path);
        let (first, time, size) = measure(&large_base, &large_token, path);
        println!(
            "| `{path}` | {:.1} | {:.1} | {:.1} | {} |",
            ms(reference),
            ms(time),
            ms(first),
            size / 1024
        );
    }

    // A person opens the URL a few seconds after the start: the log was read
    // at the start, and the first page does not read it again.
    let (later_base, later_token) = serve(large.path());
    std::thread::sleep(Duration::from_secs(3));
    let (first, settled, _) = measure(&later_base, &later_token, "/audit");
    println!(
        "\nthe first `/audit` 3 s after the start: {:.1} ms, then {:.1} ms",
        ms(first),
        ms(settled)
    );
    // The log grows by one entry: the page reads only that entry.
    let log = project_log(&large.path().join(".dbguard"), &approver_dir(large.path()));
    let grown: Vec<Duration> = (0..ROUNDS)
        .map(|i| {
            log.append(Entry::new("shell", &format!("psql -c 'SELECT {i}'"), "executed"))
                .unwrap();
            let started = Instant::now();
            let page = get(&large_base, &large_token, "/audit");
            assert!(page.contains("the log is intact"), "{page}");
            started.elapsed()
        })
        .collect();
    let whole: Vec<Duration> = (0..ROUNDS)
        .map(|_| {
            let started = Instant::now();
            let (_, verification) = read_project_log(
                &large.path().join(".dbguard"),
                &approver_dir(large.path()),
                Default::default(),
            )
            .unwrap();
            assert!(verification.intact);
            started.elapsed()
        })
        .collect();
    println!(
        "`/audit` after one more entry: {:.1} ms; reading and verifying the whole log from its start: {:.1} ms (medians of {ROUNDS})",
        ms(median(grown)),
        ms(median(whole))
    );
}
