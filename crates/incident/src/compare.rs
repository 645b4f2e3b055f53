//! Comparing one table of the side database (the backup) with the live
//! one, row by row by primary key, without holding rows in memory: each
//! database sends its keys, its tenant and an MD5 of the row's text, sorted
//! by key, and the two sorted streams are merged. A key only in the backup
//! is a row lost; only in the live database, a row added since; in both with
//! another hash, a row changed since. Only the columns both tables have,
//! with the same type, are hashed.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use dbguard_pg::local::quote_ident;
use postgres::fallible_iterator::FallibleIterator;
use serde::{Deserialize, Serialize};

use crate::catalog::{KeyColumn, KeyOrder, Table};

/// Keys kept as examples per kind of difference and table.
pub const SAMPLES: usize = 10;

/// Rows lost, changed and added.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    /// In the backup, not in the live database.
    pub lost: u64,
    /// In both, with other values now.
    pub changed: u64,
    /// In the live database only: written since the backup.
    pub added: u64,
}

impl Counts {
    /// Whether anything differs.
    pub fn any(&self) -> bool {
        self.lost + self.changed + self.added > 0
    }
}

/// Example keys of each kind (`column=value, …`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Samples {
    /// Keys of rows lost.
    pub lost: Vec<String>,
    /// Keys of rows changed.
    pub changed: Vec<String>,
    /// Keys of rows added.
    pub added: Vec<String>,
}

/// How one table differs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableDiff {
    /// `schema.name`.
    pub table: String,
    /// The tenant column, when the table belongs to a farm.
    pub tenant: Option<String>,
    /// Rows in the backup.
    pub backup_rows: u64,
    /// Rows in the live database.
    pub live_rows: u64,
    /// The totals.
    pub counts: Counts,
    /// The same by farm (the tenant column's value; `""` for rows of no farm).
    pub farms: BTreeMap<String, Counts>,
    /// Examples.
    pub samples: Samples,
    /// Why the rows could not be compared one by one, when they could not
    /// (no primary key, or a key the live table no longer has): then every
    /// row counts as differing, the most dangerous reading.
    pub not_compared: Option<String>,
}

/// One row of a stream: key values as text, the tenant, the row's hash
/// (read from the row in place, nothing copied).
struct Keyed(postgres::Row);

impl Keyed {
    fn key(&self) -> impl Iterator<Item = Option<&str>> {
        (0..self.0.len() - 2).map(|i| self.0.get(i))
    }

    fn farm(&self) -> &str {
        self.0.get(self.0.len() - 2)
    }

    fn hash(&self) -> &str {
        self.0.get(self.0.len() - 1)
    }
}

/// Adds one to the `kind` count of `farm`.
fn tally(farms: &mut BTreeMap<String, Counts>, farm: &str, kind: fn(&mut Counts) -> &mut u64) {
    match farms.get_mut(farm) {
        Some(counts) => *kind(counts) += 1,
        None => *kind(farms.entry(farm.to_string()).or_default()) += 1,
    }
}

/// Compares `backup` (on `side`) with `live` (on `live_client`, `None` when
/// the live database no longer has the table).
pub fn compare(
    side: &mut postgres::Client,
    backup: &Table,
    live_client: &mut postgres::Client,
    live: Option<&Table>,
) -> anyhow::Result<TableDiff> {
    let mut diff = TableDiff {
        table: backup.display(),
        tenant: backup.tenant.clone(),
        backup_rows: 0,
        live_rows: 0,
        counts: Counts::default(),
        farms: BTreeMap::new(),
        samples: Samples::default(),
        not_compared: None,
    };
    let Some(live) = live else {
        // Every row of the backup is lost.
        diff.not_compared = Some("the live database no longer has this table".into());
        for (farm, rows) in per_farm(side, backup)? {
            diff.backup_rows += rows;
            diff.counts.lost += rows;
            diff.farms.entry(farm).or_default().lost += rows;
        }
        return Ok(diff);
    };
    let key_in_live = !backup.key.is_empty()
        && backup
            .key
            .iter()
            .all(|k| live.key.iter().any(|l| l.name == k.name) && live.column_type(&k.name).is_some());
    if !key_in_live {
        diff.not_compared = Some(match backup.key.is_empty() {
            true => "the table has no primary key; every row is counted as lost and added".into(),
            false => "the live table has another primary key; every row is counted as lost and added".into(),
        });
        for (farm, rows) in per_farm(side, backup)? {
            diff.backup_rows += rows;
            diff.counts.lost += rows;
            diff.farms.entry(farm).or_default().lost += rows;
        }
        for (farm, rows) in per_farm(live_client, live)? {
            diff.live_rows += rows;
            diff.counts.added += rows;
            diff.farms.entry(farm).or_default().added += rows;
        }
        return Ok(diff);
    }
    let common: Vec<&str> = backup
        .columns
        .iter()
        .filter(|(name, ty)| live.column_type(name) == Some(ty.as_str()))
        .map(|(name, _)| name.as_str())
        .collect();
    let tenant_live = backup.tenant.as_deref().filter(|t| live.column_type(t).is_some());
    let mut old = side.query_raw(
        &stream_sql(backup, &common, backup.tenant.as_deref()),
        no_params(),
    )?;
    let mut new = live_client.query_raw(&stream_sql(backup, &common, tenant_live), no_params())?;
    let mut a = next(&mut old)?;
    let mut b = next(&mut new)?;
    loop {
        let order = match (&a, &b) {
            (None, None) => break,
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (Some(x), Some(y)) => compare_keys(&backup.key, x.key(), y.key()),
        };
        match order {
            Ordering::Less => {
                let row = a.take().expect("a row");
                diff.backup_rows += 1;
                diff.counts.lost += 1;
                tally(&mut diff.farms, row.farm(), |c| &mut c.lost);
                sample(&mut diff.samples.lost, &backup.key, row.key());
                a = next(&mut old)?;
            }
            Ordering::Greater => {
                let row = b.take().expect("a row");
                diff.live_rows += 1;
                diff.counts.added += 1;
                tally(&mut diff.farms, row.farm(), |c| &mut c.added);
                sample(&mut diff.samples.added, &backup.key, row.key());
                b = next(&mut new)?;
            }
            Ordering::Equal => {
                let (x, y) = (a.take().expect("a row"), b.take().expect("a row"));
                diff.backup_rows += 1;
                diff.live_rows += 1;
                if x.hash() != y.hash() {
                    diff.counts.changed += 1;
                    tally(&mut diff.farms, x.farm(), |c| &mut c.changed);
                    sample(&mut diff.samples.changed, &backup.key, x.key());
                }
                a = next(&mut old)?;
                b = next(&mut new)?;
            }
        }
    }
    diff.farms.retain(|_, c| c.any());
    Ok(diff)
}

fn no_params() -> std::iter::Empty<&'static (dyn postgres::types::ToSql + Sync)> {
    std::iter::empty()
}

/// `SELECT key…, tenant, md5(row) FROM table ORDER BY key…`.
fn stream_sql(table: &Table, common: &[&str], tenant: Option<&str>) -> String {
    let keys: Vec<String> = table
        .key
        .iter()
        .enumerate()
        .map(|(i, k)| format!("t.{}::text AS k{i}", quote_ident(&k.name)))
        .collect();
    let order: Vec<String> = table.key.iter().map(|k| k.order_by("t")).collect();
    let columns: Vec<String> = common.iter().map(|c| format!("t.{}", quote_ident(c))).collect();
    let hashed = match columns.is_empty() {
        true => "''".to_string(),
        false => format!("md5(ROW({})::text)", columns.join(", ")),
    };
    format!(
        "SELECT {}, {} AS farm, {hashed} AS hash FROM {} t ORDER BY {}",
        keys.join(", "),
        tenant_text(tenant.map(|c| format!("t.{}", quote_ident(c))).as_deref()),
        table.quoted(),
        order.join(", ")
    )
}

/// The tenant column (an SQL expression) as text (`''` for no farm).
fn tenant_text(tenant: Option<&str>) -> String {
    match tenant {
        Some(column) => format!("coalesce({column}::text, '')"),
        None => "''".to_string(),
    }
}

/// Rows by farm of `table`.
fn per_farm(client: &mut postgres::Client, table: &Table) -> anyhow::Result<Vec<(String, u64)>> {
    let farm = tenant_text(table.tenant.as_deref().map(quote_ident).as_deref());
    Ok(client
        .query(
            &format!("SELECT {farm}, count(*) FROM {} GROUP BY 1", table.quoted()),
            &[],
        )?
        .iter()
        .map(|r| (r.get::<_, String>(0), r.get::<_, i64>(1) as u64))
        .collect())
}

fn next(rows: &mut postgres::RowIter<'_>) -> anyhow::Result<Option<Keyed>> {
    Ok(rows.next()?.map(Keyed))
}

/// The order PostgreSQL sorted by ([`KeyColumn::order_by`]).
fn compare_keys<'a>(
    columns: &[KeyColumn],
    a: impl Iterator<Item = Option<&'a str>>,
    b: impl Iterator<Item = Option<&'a str>>,
) -> Ordering {
    for ((column, x), y) in columns.iter().zip(a).zip(b) {
        let order = match (x, y) {
            (Some(x), Some(y)) => match column.order {
                KeyOrder::Integer => x
                    .parse::<i64>()
                    .unwrap_or(i64::MIN)
                    .cmp(&y.parse::<i64>().unwrap_or(i64::MIN)),
                KeyOrder::Bytes => x.as_bytes().cmp(y.as_bytes()),
            },
            // Key columns are never NULL; sort NULLs last as PostgreSQL does.
            (None, None) => Ordering::Equal,
            (None, Some(_)) => Ordering::Greater,
            (Some(_), None) => Ordering::Less,
        };
        if order != Ordering::Equal {
            return order;
        }
    }
    Ordering::Equal
}

fn sample<'a>(samples: &mut Vec<String>, columns: &[KeyColumn], key: impl Iterator<Item = Option<&'a str>>) {
    if samples.len() < SAMPLES {
        samples.push(
            columns
                .iter()
                .zip(key)
                .map(|(c, v)| format!("{}={}", c.name, v.unwrap_or("NULL")))
                .collect::<Vec<_>>()
                .join(", "),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_compare_as_postgresql_sorted_them() {
        let int = KeyColumn {
            name: "id".into(),
            order: KeyOrder::Integer,
            uuid: false,
        };
        let text = KeyColumn {
            name: "name".into(),
            order: KeyOrder::Bytes,
            uuid: false,
        };
        let s = |v: &'static str| Some(v);
        assert_eq!(
            compare_keys(
                std::slice::from_ref(&int),
                [s("9")].into_iter(),
                [s("10")].into_iter()
            ),
            Ordering::Less
        );
        assert_eq!(
            compare_keys(
                std::slice::from_ref(&text),
                [s("9")].into_iter(),
                [s("10")].into_iter()
            ),
            Ordering::Greater
        );
        assert_eq!(
            compare_keys(
                std::slice::from_ref(&text),
                [s("B")].into_iter(),
                [s("a")].into_iter()
            ),
            Ordering::Less
        );
        assert_eq!(
            compare_keys(
                &[int, text],
                [s("1"), s("b")].into_iter(),
                [s("1"), s("a")].into_iter()
            ),
            Ordering::Greater
        );
    }
}
