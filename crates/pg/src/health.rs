//! Health checks of a server and its database, with check_postgres's levels
//! and exit codes. Each check is one catalog query; a query that fails
//! makes its check UNKNOWN with the reason, never OK.

use std::time::{Duration, Instant};

use serde::Serialize;

/// How healthy one aspect is. The order is the severity used to combine them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Level {
    /// Fine.
    Ok,
    /// Needs attention soon.
    Warning,
    /// Could not be checked (check_postgres: exit 3).
    Unknown,
    /// Needs attention now.
    Critical,
}

impl Level {
    /// check_postgres's exit code for this level.
    pub fn exit_code(self) -> u8 {
        match self {
            Level::Ok => 0,
            Level::Warning => 1,
            Level::Critical => 2,
            Level::Unknown => 3,
        }
    }

    /// The level's name, as printed.
    pub fn name(self) -> &'static str {
        match self {
            Level::Ok => "OK",
            Level::Warning => "WARNING",
            Level::Unknown => "UNKNOWN",
            Level::Critical => "CRITICAL",
        }
    }
}

/// The result of one check.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    /// Stable identifier, e.g. `connections`.
    pub name: &'static str,
    /// The level.
    pub level: Level,
    /// One line for people.
    pub summary: String,
    /// The measured value, for monitoring (`None` when there is none).
    pub value: Option<f64>,
}

impl Check {
    /// A check with a level decided by `value` against warning and critical thresholds
    /// (`higher_is_worse` says which way they point).
    pub fn graded(
        name: &'static str,
        value: f64,
        (warning, critical): (f64, f64),
        higher_is_worse: bool,
        summary: String,
    ) -> Check {
        let beyond = |limit: f64| {
            if higher_is_worse {
                value >= limit
            } else {
                value <= limit
            }
        };
        let level = if beyond(critical) {
            Level::Critical
        } else if beyond(warning) {
            Level::Warning
        } else {
            Level::Ok
        };
        Check {
            name,
            level,
            summary,
            value: Some(value),
        }
    }

    /// A check that could not be made.
    pub fn unknown(name: &'static str, reason: impl Into<String>) -> Check {
        Check {
            name,
            level: Level::Unknown,
            summary: reason.into(),
            value: None,
        }
    }

    /// A check with a level given directly.
    pub fn new(name: &'static str, level: Level, summary: String, value: Option<f64>) -> Check {
        Check {
            name,
            level,
            summary,
            value,
        }
    }
}

/// What `dbguard health --format json` prints: the worst level and every check.
#[derive(Debug, Clone, Serialize)]
pub struct HealthReport {
    /// The worst level of `checks`.
    pub status: Level,
    /// Every check, in order.
    pub checks: Vec<Check>,
}

impl HealthReport {
    /// The report of `checks`.
    pub fn new(checks: Vec<Check>) -> HealthReport {
        HealthReport {
            status: overall(&checks),
            checks,
        }
    }

    /// The Prometheus text exposition of the checks.
    pub fn prometheus(&self) -> String {
        let mut text = String::from(
            "# HELP dbguard_health_status Level of each check: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.\n\
             # TYPE dbguard_health_status gauge\n",
        );
        for c in &self.checks {
            text.push_str(&format!(
                "dbguard_health_status{{check=\"{}\"}} {}\n",
                c.name,
                c.level.exit_code()
            ));
        }
        text.push_str(
            "# HELP dbguard_health_value The value each check measured.\n# TYPE dbguard_health_value gauge\n",
        );
        for c in &self.checks {
            if let Some(value) = c.value {
                text.push_str(&format!("dbguard_health_value{{check=\"{}\"}} {value}\n", c.name));
            }
        }
        text
    }
}

/// The worst level of `checks` (OK when there are none).
pub fn overall(checks: &[Check]) -> Level {
    checks.iter().map(|c| c.level).max().unwrap_or(Level::Ok)
}

/// Thresholds of the server checks (check_postgres's defaults where it has one).
const CONNECTIONS: (f64, f64) = (0.80, 0.95);
const LONG_QUERY_SECS: (f64, f64) = (300.0, 1800.0);
const IDLE_IN_TX_SECS: (f64, f64) = (60.0, 600.0);
const WRAPAROUND_AGE: (f64, f64) = (1_300_000_000.0, 1_400_000_000.0);
const HIT_RATIO: (f64, f64) = (0.90, 0.80);
const SEQUENCE_USED: (f64, f64) = (0.75, 0.90);
const REPLICATION_LAG_SECS: (f64, f64) = (60.0, 600.0);

/// Runs the server checks over `client`; `connected_in` is how long the connection took.
/// `exact` counts every table's rows instead of using the planner's estimates.
pub fn server_checks(client: &mut postgres::Client, connected_in: Duration, exact: bool) -> Vec<Check> {
    let mut checks = vec![connection(client, connected_in)];
    type Probe = fn(&mut postgres::Client) -> Result<Check, postgres::Error>;
    let probes: [(&'static str, Probe); 10] = [
        ("version", version),
        ("database-size", database_size),
        ("connections", connections),
        ("long-queries", long_queries),
        ("idle-in-transaction", idle_in_transaction),
        ("blocked-locks", blocked_locks),
        ("wraparound", wraparound),
        ("cache-hit-ratio", cache_hit_ratio),
        ("invalid-indexes", invalid_indexes),
        ("sequences", sequences),
    ];
    for (name, probe) in probes {
        checks.push(probe(client).unwrap_or_else(|e| Check::unknown(name, crate::connect::describe(&e))));
    }
    let rows = if exact {
        exact_rows(client)
    } else {
        estimated_rows(client)
    };
    checks.push(rows.unwrap_or_else(|e| Check::unknown("rows", crate::connect::describe(&e))));
    checks.push(
        replication(client).unwrap_or_else(|e| Check::unknown("replication", crate::connect::describe(&e))),
    );
    checks
}

fn connection(client: &mut postgres::Client, connected_in: Duration) -> Check {
    let start = Instant::now();
    match client.simple_query("SELECT 1") {
        Ok(_) => {
            let round_trip = start.elapsed().as_secs_f64() * 1000.0;
            Check::graded(
                "connection",
                round_trip,
                (100.0, 1000.0),
                true,
                format!(
                    "connected in {:.1} ms, round trip {round_trip:.2} ms",
                    connected_in.as_secs_f64() * 1000.0
                ),
            )
        }
        Err(e) => Check::new("connection", Level::Critical, crate::connect::describe(&e), None),
    }
}

fn version(client: &mut postgres::Client) -> Result<Check, postgres::Error> {
    let row = client.query_one(
        "SELECT current_setting('server_version'), current_setting('server_version_num')::float8",
        &[],
    )?;
    Ok(Check::new(
        "version",
        Level::Ok,
        format!("PostgreSQL {}", row.get::<_, String>(0)),
        Some(row.get(1)),
    ))
}

fn database_size(client: &mut postgres::Client) -> Result<Check, postgres::Error> {
    let row = client.query_one(
        "SELECT current_database()::text, pg_database_size(current_database())::float8, \
                pg_size_pretty(pg_database_size(current_database()))",
        &[],
    )?;
    Ok(Check::new(
        "database-size",
        Level::Ok,
        format!("{} is {}", row.get::<_, String>(0), row.get::<_, String>(2)),
        Some(row.get(1)),
    ))
}

fn connections(client: &mut postgres::Client) -> Result<Check, postgres::Error> {
    let row = client.query_one(
        "SELECT (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend')::float8, \
                current_setting('max_connections')::float8",
        &[],
    )?;
    let (used, max): (f64, f64) = (row.get(0), row.get(1));
    Ok(Check::graded(
        "connections",
        used / max,
        CONNECTIONS,
        true,
        format!("{used} of {max} connections in use"),
    ))
}

/// The oldest session of this database matching `state_filter` (a trusted SQL fragment)
/// and its age in seconds.
fn oldest_session(
    client: &mut postgres::Client,
    state_filter: &str,
    since: &str,
) -> Result<(f64, i64), postgres::Error> {
    let row = client.query_one(
        &format!(
            "SELECT coalesce(max(extract(epoch FROM now() - {since})), 0)::float8, count(*) \
               FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND datname = current_database() AND {state_filter}"
        ),
        &[],
    )?;
    Ok((row.get(0), row.get(1)))
}

fn long_queries(client: &mut postgres::Client) -> Result<Check, postgres::Error> {
    let (age, count) = oldest_session(
        client,
        "state = 'active' AND backend_type = 'client backend'",
        "query_start",
    )?;
    Ok(Check::graded(
        "long-queries",
        age,
        LONG_QUERY_SECS,
        true,
        format!("{count} active queries, the longest running for {age:.0} s"),
    ))
}

fn idle_in_transaction(client: &mut postgres::Client) -> Result<Check, postgres::Error> {
    let (age, count) = oldest_session(client, "state LIKE 'idle in transaction%'", "state_change")?;
    Ok(Check::graded(
        "idle-in-transaction",
        age,
        IDLE_IN_TX_SECS,
        true,
        format!("{count} sessions idle in a transaction, the oldest for {age:.0} s"),
    ))
}

fn blocked_locks(client: &mut postgres::Client) -> Result<Check, postgres::Error> {
    let blocked: i64 = client
        .query_one(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND cardinality(pg_blocking_pids(pid)) > 0",
            &[],
        )?
        .get(0);
    Ok(Check::new(
        "blocked-locks",
        if blocked > 0 { Level::Warning } else { Level::Ok },
        format!("{blocked} sessions waiting for a lock another session holds"),
        Some(blocked as f64),
    ))
}

fn wraparound(client: &mut postgres::Client) -> Result<Check, postgres::Error> {
    let age: f64 = client
        .query_one("SELECT max(age(datfrozenxid))::float8 FROM pg_database", &[])?
        .get(0);
    Ok(Check::graded(
        "wraparound",
        age,
        WRAPAROUND_AGE,
        true,
        format!("oldest transaction ID age {age:.0} (wraparound at 2,147,483,647)"),
    ))
}

fn cache_hit_ratio(client: &mut postgres::Client) -> Result<Check, postgres::Error> {
    let row = client.query_one(
        "SELECT blks_hit::float8, (blks_hit + blks_read)::float8 FROM pg_stat_database WHERE datname = current_database()",
        &[],
    )?;
    let (hit, total): (f64, f64) = (row.get(0), row.get(1));
    if total < 10_000.0 {
        return Ok(Check::new(
            "cache-hit-ratio",
            Level::Ok,
            format!("too few block reads to judge ({total:.0})"),
            None,
        ));
    }
    let ratio = hit / total;
    Ok(Check::graded(
        "cache-hit-ratio",
        ratio,
        HIT_RATIO,
        false,
        format!("{:.1}% of block reads from the cache", ratio * 100.0),
    ))
}

fn invalid_indexes(client: &mut postgres::Client) -> Result<Check, postgres::Error> {
    let names: Vec<String> = client
        .query(
            "SELECT i.indexrelid::regclass::text FROM pg_index i WHERE NOT i.indisvalid ORDER BY 1",
            &[],
        )?
        .iter()
        .map(|r| r.get(0))
        .collect();
    let summary = if names.is_empty() {
        "no invalid indexes".to_string()
    } else {
        format!(
            "invalid (a failed CREATE INDEX CONCURRENTLY? drop and rebuild): {}",
            names.join(", ")
        )
    };
    Ok(Check::new(
        "invalid-indexes",
        if names.is_empty() {
            Level::Ok
        } else {
            Level::Warning
        },
        summary,
        Some(names.len() as f64),
    ))
}

fn sequences(client: &mut postgres::Client) -> Result<Check, postgres::Error> {
    let row = client.query_opt(
        "SELECT schemaname || '.' || sequencename, \
                (CASE WHEN increment_by > 0 THEN (last_value - min_value)::float8 / (max_value - min_value)::float8 \
                      ELSE (max_value - last_value)::float8 / (max_value - min_value)::float8 END) AS used \
           FROM pg_sequences WHERE last_value IS NOT NULL ORDER BY used DESC LIMIT 1",
        &[],
    )?;
    Ok(match row {
        None => Check::new("sequences", Level::Ok, "no sequence used yet".into(), Some(0.0)),
        Some(row) => {
            let (name, used): (String, f64) = (row.get(0), row.get(1));
            Check::graded(
                "sequences",
                used,
                SEQUENCE_USED,
                true,
                format!(
                    "the most used sequence, {name}, has used {:.4}% of its range",
                    used * 100.0
                ),
            )
        }
    })
}

fn estimated_rows(client: &mut postgres::Client) -> Result<Check, postgres::Error> {
    let row = client.query_one(
        "SELECT count(*), coalesce(sum(greatest(c.reltuples, 0)), 0)::float8 FROM pg_class c \
           JOIN pg_namespace n ON n.oid = c.relnamespace \
          WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema') \
            AND n.nspname NOT LIKE 'pg_toast%'",
        &[],
    )?;
    let (tables, rows): (i64, f64) = (row.get(0), row.get(1));
    Ok(Check::new(
        "rows",
        Level::Ok,
        format!("{tables} tables, about {rows:.0} rows (planner estimates; --exact counts)"),
        Some(rows),
    ))
}

fn exact_rows(client: &mut postgres::Client) -> Result<Check, postgres::Error> {
    let tables: Vec<String> = client
        .query(
            "SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c \
               JOIN pg_namespace n ON n.oid = c.relnamespace \
              WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema') \
                AND n.nspname NOT LIKE 'pg_toast%' AND NOT c.relispartition",
            &[],
        )?
        .iter()
        .map(|r| r.get(0))
        .collect();
    let mut rows = 0i64;
    for table in &tables {
        rows += client
            .query_one(&format!("SELECT count(*) FROM {table}"), &[])?
            .get::<_, i64>(0);
    }
    Ok(Check::new(
        "rows",
        Level::Ok,
        format!("{} tables, {rows} rows (counted)", tables.len()),
        Some(rows as f64),
    ))
}

fn replication(client: &mut postgres::Client) -> Result<Check, postgres::Error> {
    let row = client.query_one(
        "SELECT count(*), coalesce(max(extract(epoch FROM replay_lag)), 0)::float8 FROM pg_stat_replication",
        &[],
    )?;
    let (replicas, lag): (i64, f64) = (row.get(0), row.get(1));
    if replicas == 0 {
        return Ok(Check::new("replication", Level::Ok, "no replicas".into(), None));
    }
    Ok(Check::graded(
        "replication",
        lag,
        REPLICATION_LAG_SECS,
        true,
        format!("{replicas} replicas, the furthest {lag:.1} s behind"),
    ))
}

/// `--deep`: checks every B-tree index with amcheck's `bt_index_check`
/// when the extension is installed (dbguard does not install it).
pub fn amcheck(client: &mut postgres::Client) -> Check {
    let run = |client: &mut postgres::Client| -> Result<Check, postgres::Error> {
        let installed: bool = client
            .query_one(
                "SELECT EXISTS (SELECT FROM pg_extension WHERE extname = 'amcheck')",
                &[],
            )?
            .get(0);
        if !installed {
            return Ok(Check::unknown(
                "amcheck",
                "the amcheck extension is not installed in this database; a database owner can add it with CREATE EXTENSION amcheck",
            ));
        }
        let indexes: Vec<String> = client
            .query(
                "SELECT c.oid::regclass::text FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid \
                   JOIN pg_am a ON a.oid = c.relam JOIN pg_namespace n ON n.oid = c.relnamespace \
                  WHERE a.amname = 'btree' AND i.indisvalid AND i.indisready \
                    AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'",
                &[],
            )?
            .iter()
            .map(|r| r.get(0))
            .collect();
        let mut corrupt = Vec::new();
        for index in &indexes {
            if let Err(e) = client.execute("SELECT bt_index_check($1::text::regclass)", &[index]) {
                corrupt.push(format!("{index} ({})", crate::connect::describe(&e)));
            }
        }
        Ok(if corrupt.is_empty() {
            Check::new(
                "amcheck",
                Level::Ok,
                format!("{} B-tree indexes checked", indexes.len()),
                Some(0.0),
            )
        } else {
            Check::new(
                "amcheck",
                Level::Critical,
                format!("corrupt: {}", corrupt.join(", ")),
                Some(corrupt.len() as f64),
            )
        })
    };
    run(client).unwrap_or_else(|e| Check::unknown("amcheck", crate::connect::describe(&e)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_grade_in_either_direction() {
        let level = |value, higher| {
            Check::graded(
                "x",
                value,
                if higher { (10.0, 20.0) } else { (0.9, 0.8) },
                higher,
                String::new(),
            )
            .level
        };
        assert_eq!(level(9.9, true), Level::Ok);
        assert_eq!(level(10.0, true), Level::Warning);
        assert_eq!(level(25.0, true), Level::Critical);
        assert_eq!(level(0.95, false), Level::Ok);
        assert_eq!(level(0.85, false), Level::Warning);
        assert_eq!(level(0.5, false), Level::Critical);
    }

    #[test]
    fn the_worst_level_decides_and_critical_outranks_unknown() {
        let at = |level| Check::new("x", level, String::new(), None);
        assert_eq!(overall(&[]), Level::Ok);
        assert_eq!(overall(&[at(Level::Ok), at(Level::Warning)]), Level::Warning);
        assert_eq!(overall(&[at(Level::Unknown), at(Level::Warning)]), Level::Unknown);
        assert_eq!(
            overall(&[at(Level::Unknown), at(Level::Critical)]),
            Level::Critical
        );
        assert_eq!(
            [Level::Ok, Level::Warning, Level::Critical, Level::Unknown].map(Level::exit_code),
            [0, 1, 2, 3]
        );
    }
}
