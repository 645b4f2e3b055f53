//! Comparing one table of the side database (the backup) with the live
//! one, row by row by primary key, without holding rows in memory: each
//! database sends its keys, its tenant and a hash of the row's text, sorted
//! by key, and the two sorted streams are merged. A key only in the backup
//! is a row lost; only in the live database, a row added since; in both with
//! another hash, a row changed since. Only the columns both tables have,
//! with the same type, are hashed (the key's are compared as the key).
//!
//! Both databases are read at once, each with a binary `COPY` on a thread
//! of its own ([`crate::stream`]): the two servers sort and hash in
//! parallel, and no row is decoded beyond the bytes the merge compares.
//! Before that, a pre-pass ([`crate::buckets`]) sums up both tables by
//! farm (or by a hash of the key) without sorting: the rows of the buckets
//! that agree are counted, not sent; only the others are merged.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::collections::BTreeMap;

use dbguard_pg::local::quote_ident;
use serde::{Deserialize, Serialize};

use crate::buckets::{Buckets, Found};
use crate::catalog::{KeyColumn, KeyOrder, Table};
use crate::stream::{Row, Stream};

/// Each side is sorted by a sort, never read through its primary key's
/// index: a key whose order is not the rows' order on disk (a tenant
/// first, a random uuid) makes the index visit a page per row, measured
/// twice as slow as reading the table and sorting it on 1.2 M rows, and
/// the planner does not see it. Set on dbguard's own sessions only.
const SORTED_BY_SORTING: &str = "SET enable_indexscan = off; SET enable_indexonlyscan = off";

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

/// Adds one to the `kind` count of the farm of `row`.
fn tally(
    farms: &mut BTreeMap<String, Counts>,
    query: &Query,
    row: Row<'_>,
    kind: fn(&mut Counts) -> &mut u64,
) {
    let farm = query.farm(row);
    match farms.get_mut(farm.as_ref()) {
        Some(counts) => *kind(counts) += 1,
        None => *kind(farms.entry(farm.into_owned()).or_default()) += 1,
    }
}

/// The query of one side and where its rows hold what ([`stream_sql`]):
/// the key fields first, then the farm unless it is a key field, then the hash.
struct Query {
    sql: String,
    fields: usize,
    /// The farm's field and whether it is a uuid (sent as its 16 bytes).
    farm: Option<(usize, bool)>,
    hash: usize,
}

impl Query {
    /// The farm of `row` as text (`""`: of no farm).
    fn farm<'a>(&self, row: Row<'a>) -> Cow<'a, str> {
        match self.farm.and_then(|(i, uuid)| Some((row.field(i)?, uuid))) {
            None => Cow::Borrowed(""),
            Some((value, true)) => Cow::Owned(uuid_text(value)),
            Some((value, false)) => String::from_utf8_lossy(value),
        }
    }
}

/// Moves `stream` on, checking that its rows come in strictly increasing
/// key order as [`compare_keys`] sees it: were the server's order ever
/// another, the merge would miscount, so it stops instead.
fn step(stream: &mut Stream, key: &[KeyColumn], last: &mut Vec<u8>) -> anyhow::Result<()> {
    if let Some(row) = stream.row() {
        last.clear();
        last.extend_from_slice(row.0);
    }
    stream.advance()?;
    if let Some(row) = stream.row() {
        if !last.is_empty() && compare_keys(key, Row(last).fields(), row.fields()) != Ordering::Less {
            anyhow::bail!("the rows did not come in the order of their keys; nothing was counted");
        }
    }
    Ok(())
}

/// Compares `backup` (on `side`) with `live` (on `live_client`, `None` when
/// the live database no longer has the table): the buckets that agree
/// counted by the pre-pass, the rows of the others merged one by one.
pub fn compare(
    side: &mut postgres::Client,
    backup: &Table,
    live_client: &mut postgres::Client,
    live: Option<&Table>,
) -> anyhow::Result<TableDiff> {
    compare_rows(side, backup, live_client, live, true)
}

/// [`compare`] without the pre-pass, every row merged one by one: the
/// reference the pre-pass must agree with.
pub fn compare_every_row(
    side: &mut postgres::Client,
    backup: &Table,
    live_client: &mut postgres::Client,
    live: Option<&Table>,
) -> anyhow::Result<TableDiff> {
    compare_rows(side, backup, live_client, live, false)
}

fn compare_rows(
    side: &mut postgres::Client,
    backup: &Table,
    live_client: &mut postgres::Client,
    live: Option<&Table>,
    prepass: bool,
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
        && backup.key.iter().all(|k| {
            live.key.iter().any(|l| l.name == k.name)
                && live.column_type(&k.name) == backup.column_type(&k.name)
        });
    if !key_in_live {
        diff.not_compared = Some(match backup.key.is_empty() {
            true => "the table has no primary key; every row is counted as lost and added".into(),
            false => "the live table has another primary key (or a key column of another type); every row is counted as lost and added".into(),
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
    // The key columns are compared as the key, exactly: hashing them too
    // would find nothing more.
    let common: Vec<&str> = backup
        .columns
        .iter()
        .filter(|(name, ty)| {
            live.column_type(name) == Some(ty.as_str()) && !backup.key.iter().any(|k| &k.name == name)
        })
        .map(|(name, _)| name.as_str())
        .collect();
    let tenant_live = backup.tenant.as_deref().filter(|t| live.column_type(t).is_some());
    let tenant = |table: &Table, column: Option<&str>| {
        column.map(|c| (c.to_string(), table.column_type(c) == Some("uuid")))
    };
    let found = match prepass {
        true => Buckets::new(backup, live, backup.tenant.as_deref(), &common).find(
            side,
            backup,
            live_client,
            live,
        )?,
        false => Found::default(),
    };
    diff.backup_rows += found.same_rows;
    diff.live_rows += found.same_rows;
    if found.all_same {
        return Ok(diff);
    }
    let filter = found.filter.as_deref();
    let old_query = stream_sql(backup, &common, tenant(backup, backup.tenant.as_deref()), filter);
    let new_query = stream_sql(backup, &common, tenant(live, tenant_live), filter);
    let key = &backup.key;
    for client in [&mut *side, &mut *live_client] {
        client.batch_execute(SORTED_BY_SORTING)?;
    }
    std::thread::scope(|scope| -> anyhow::Result<()> {
        let mut old = Stream::spawn(scope, side, old_query.sql.clone(), old_query.fields);
        let mut new = Stream::spawn(scope, live_client, new_query.sql.clone(), new_query.fields);
        let (mut old_last, mut new_last) = (Vec::new(), Vec::new());
        step(&mut old, key, &mut old_last)?;
        step(&mut new, key, &mut new_last)?;
        loop {
            let order = match (old.row(), new.row()) {
                (None, None) => break,
                (Some(_), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
                (Some(x), Some(y)) => compare_keys(key, x.fields(), y.fields()),
            };
            match order {
                Ordering::Less => {
                    let row = old.row().expect("a row");
                    diff.backup_rows += 1;
                    diff.counts.lost += 1;
                    tally(&mut diff.farms, &old_query, row, |c| &mut c.lost);
                    sample(&mut diff.samples.lost, key, row);
                    step(&mut old, key, &mut old_last)?;
                }
                Ordering::Greater => {
                    let row = new.row().expect("a row");
                    diff.live_rows += 1;
                    diff.counts.added += 1;
                    tally(&mut diff.farms, &new_query, row, |c| &mut c.added);
                    sample(&mut diff.samples.added, key, row);
                    step(&mut new, key, &mut new_last)?;
                }
                Ordering::Equal => {
                    let (x, y) = (old.row().expect("a row"), new.row().expect("a row"));
                    diff.backup_rows += 1;
                    diff.live_rows += 1;
                    if x.field(old_query.hash) != y.field(new_query.hash) {
                        diff.counts.changed += 1;
                        tally(&mut diff.farms, &old_query, x, |c| &mut c.changed);
                        sample(&mut diff.samples.changed, key, x);
                    }
                    step(&mut old, key, &mut old_last)?;
                    step(&mut new, key, &mut new_last)?;
                }
            }
        }
        Ok(())
    })?;
    diff.farms.retain(|_, c| c.any());
    Ok(diff)
}

/// `SELECT key…, farm, hash(row) FROM table [WHERE filter] ORDER BY key…`
/// (`filter`: the buckets to compare, on `t`): integer keys
/// as `bigint` (compared as numbers), uuids as their 16 bytes (whose order
/// is the uuid order), the others as text (compared by their bytes, as
/// they are sorted: see [`KeyColumn::order_by`]). The farm (`tenant`, its
/// column and whether it is a uuid) is not sent again when it is a key
/// column. Narrow rows: the server sorts less, the client reads less.
///
/// The hash is `hashtextextended` of the row's text (the columns both
/// tables have with the same type, but the key's, in the backup's order):
/// PostgreSQL's own 64-bit hash of the exact text, so
/// any change of any hashed value changes its input. A change goes
/// unnoticed only if the new text hashes to the same 64 bits as the old
/// one, about 2^-64 for a change (one in 18 billion billion): even a
/// billion rows changed leave odds of one in 18 billion that one of them is
/// missed. It is not a cryptographic hash; a change crafted to collide on
/// purpose is not what an incident's scope guards against (lost and added
/// rows are found by key, with no hash involved). It costs a fraction of
/// MD5's time, whose 128 bits would be computed, printed in hex and sent
/// for every row of both databases.
fn stream_sql(table: &Table, common: &[&str], tenant: Option<(String, bool)>, filter: Option<&str>) -> Query {
    let mut fields: Vec<String> = table
        .key
        .iter()
        .map(|k| {
            let column = format!("t.{}", quote_ident(&k.name));
            match (k.order, k.uuid) {
                (KeyOrder::Integer, _) => format!("{column}::int8"),
                (KeyOrder::Bytes, true) => column,
                (KeyOrder::Bytes, false) => format!("{column}::text"),
            }
        })
        .collect();
    let farm = tenant.map(
        |(column, uuid)| match table.key.iter().position(|k| k.name == column) {
            Some(i) => (i, table.key[i].uuid),
            None => {
                let column = format!("t.{}", quote_ident(&column));
                fields.push(match uuid {
                    true => column,
                    false => format!("{column}::text"),
                });
                (fields.len() - 1, uuid)
            }
        },
    );
    let columns: Vec<String> = common.iter().map(|c| format!("t.{}", quote_ident(c))).collect();
    fields.push(match columns.is_empty() {
        true => "0::int8".to_string(),
        false => format!("hashtextextended(ROW({})::text, 0)", columns.join(", ")),
    });
    let order: Vec<String> = table.key.iter().map(|k| k.order_by("t")).collect();
    Query {
        sql: format!(
            "SELECT {} FROM {} t {}ORDER BY {}",
            fields.join(", "),
            table.quoted(),
            filter.map(|f| format!("WHERE {f} ")).unwrap_or_default(),
            order.join(", ")
        ),
        fields: fields.len(),
        farm,
        hash: fields.len() - 1,
    }
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

/// The order PostgreSQL sorted by ([`KeyColumn::order_by`]), on the key
/// fields of two rows ([`stream_sql`]).
fn compare_keys<'a>(
    columns: &[KeyColumn],
    a: impl Iterator<Item = Option<&'a [u8]>>,
    b: impl Iterator<Item = Option<&'a [u8]>>,
) -> Ordering {
    for ((column, x), y) in columns.iter().zip(a).zip(b) {
        let order = match (x, y) {
            (Some(x), Some(y)) => match column.order {
                KeyOrder::Integer => integer(x).cmp(&integer(y)),
                KeyOrder::Bytes => x.cmp(y),
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

/// A uuid's 16 bytes as PostgreSQL prints it.
fn uuid_text(bytes: &[u8]) -> String {
    let mut text = String::with_capacity(36);
    for (i, byte) in bytes.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            text.push('-');
        }
        text.push_str(&format!("{byte:02x}"));
    }
    text
}

/// A `bigint` as binary COPY sends it.
fn integer(field: &[u8]) -> i64 {
    field.try_into().map(i64::from_be_bytes).unwrap_or(i64::MIN)
}

fn sample(samples: &mut Vec<String>, columns: &[KeyColumn], row: Row<'_>) {
    if samples.len() < SAMPLES {
        samples.push(
            columns
                .iter()
                .zip(row.fields())
                .map(|(c, v)| {
                    let value = match (v, c.order) {
                        (None, _) => "NULL".to_string(),
                        (Some(v), KeyOrder::Integer) => integer(v).to_string(),
                        (Some(v), KeyOrder::Bytes) if c.uuid => uuid_text(v),
                        (Some(v), KeyOrder::Bytes) => String::from_utf8_lossy(v).into_owned(),
                    };
                    format!("{}={value}", c.name)
                })
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
        let n = |v: i64| Some(v.to_be_bytes().to_vec());
        let s = |v: &str| Some(v.as_bytes().to_vec());
        let cmp = |columns: &[KeyColumn], a: &[Option<Vec<u8>>], b: &[Option<Vec<u8>>]| {
            compare_keys(
                columns,
                a.iter().map(|v| v.as_deref()),
                b.iter().map(|v| v.as_deref()),
            )
        };
        let (int, text) = (std::slice::from_ref(&int), std::slice::from_ref(&text));
        assert_eq!(cmp(int, &[n(9)], &[n(10)]), Ordering::Less);
        assert_eq!(
            cmp(int, &[n(-1)], &[n(0)]),
            Ordering::Less,
            "negative numbers first"
        );
        assert_eq!(cmp(text, &[s("9")], &[s("10")]), Ordering::Greater);
        assert_eq!(cmp(text, &[s("B")], &[s("a")]), Ordering::Less);
        assert_eq!(
            cmp(text, &[s("é")], &[s("z")]),
            Ordering::Greater,
            "bytes, as in \"C\""
        );
        let both = [int[0].clone(), text[0].clone()];
        assert_eq!(cmp(&both, &[n(1), s("b")], &[n(1), s("a")]), Ordering::Greater);
    }
}
