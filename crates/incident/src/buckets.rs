//! The pre-pass of a comparison: each database sums up its table per
//! bucket (the farm when the table has one, else a hash of the key modulo
//! [`KEY_BUCKETS`]), in one scan with a `HashAggregate` and no sort. A
//! bucket summed up the same on both sides holds the same rows; only the
//! rows of the other buckets are sorted, sent and merged one by one
//! ([`crate::compare`]).
//!
//! A bucket's summary is its row count, the sum and the exclusive or of a
//! 64-bit hash of each row (`hash_record_extended` of its values, key
//! included: a row deleted and another inserted with the same values under
//! another key changes it). Both are independent of the rows' order. Two
//! different sets of rows in a bucket summed up the same would hide their
//! differences: with the rows' hashes as good as random 64-bit values, the
//! sums of two different sets of as many rows differ by a sum of hashes
//! that is zero with a chance of about 2^-64, and the exclusive or, which
//! an equal sum does not constrain, agrees again with a chance of about
//! 2^-64: about 2^-128 per bucket that differs, nothing next to the 2^-64
//! of a row's change hidden by the row hash itself ([`crate::compare`]).
//! The sum is taken as PostgreSQL's `sum(bigint)`: exact (a `numeric`,
//! accumulated in 128 bits), never overflowing.
//!
//! The values are hashed as they are stored, not printed (printing the
//! rows as text is most of the cost of hashing them), but only where two
//! values printed differently are always stored differently, so that the
//! pre-pass never finds equal what the row-by-row comparison, which hashes
//! the text, finds changed ([`hashed`]); a bucket found different for
//! nothing only costs its rows' comparison.

use std::collections::BTreeMap;

use dbguard_pg::local::quote_ident;

use crate::catalog::Table;

/// Buckets of a table without a farm column.
pub const KEY_BUCKETS: u32 = 256;

/// Above this many buckets differing, the rows of all are compared (no
/// list of buckets in the query).
const MOST_BUCKETS: usize = 1000;

/// A bucket's rows summed up: count, sum and exclusive or of the row hashes.
type Summary = (i64, String, i64);

/// The bucket's value as text (`None`: NULL).
type Bucket = Option<String>;

/// Column `name` of type `ty` on `t`, as the pre-pass hashes it: integers,
/// uuids, booleans, dates and timestamps as they are (their text is a
/// function of their value), floats and text by their bytes (`-0` is not
/// `0`, a case-insensitive collation does not hide a change of case),
/// everything else as text (`1.0` is not `1.00`).
fn hashed(name: &str, ty: &str) -> String {
    let column = format!("t.{}", quote_ident(name));
    match ty {
        "smallint"
        | "integer"
        | "bigint"
        | "uuid"
        | "boolean"
        | "date"
        | "timestamp without time zone"
        | "timestamp with time zone" => column,
        "double precision" => format!("float8send({column})"),
        "real" => format!("float4send({column})"),
        "text" => format!("textsend({column})"),
        ty if ty.starts_with("character varying") => format!("textsend({column})"),
        _ => format!("{column}::text"),
    }
}

/// How the rows of a table fall into buckets, the same on both sides.
pub struct Buckets {
    /// The bucket of a row of `t`.
    expression: String,
    /// The row hashed (key and compared columns, [`hashed`]).
    row: String,
}

/// What the pre-pass found.
#[derive(Debug, Default)]
pub struct Found {
    /// The condition on `t` that keeps the rows of the buckets that differ
    /// (`None`: every row is to be compared).
    pub filter: Option<String>,
    /// Rows of the buckets that agree, in the backup and the live database
    /// alike (counted without being compared one by one).
    pub same_rows: u64,
    /// Whether every bucket agrees: then no row is to be compared.
    pub all_same: bool,
}

impl Buckets {
    /// The buckets of `backup` compared with `live`: by the farm `tenant`
    /// when both tables have it with the same type, else by the key;
    /// `common` are the columns compared (besides the key).
    pub fn new(backup: &Table, live: &Table, tenant: Option<&str>, common: &[&str]) -> Buckets {
        let column = |c: &str| hashed(c, backup.column_type(c).unwrap_or_default());
        let key: Vec<String> = backup.key.iter().map(|k| column(&k.name)).collect();
        let expression = match tenant
            .filter(|t| backup.column_type(t).is_some() && backup.column_type(t) == live.column_type(t))
        {
            Some(tenant) => format!("t.{}", quote_ident(tenant)),
            None => format!(
                "(hash_record_extended(ROW({}), 0) & {})",
                key.join(", "),
                KEY_BUCKETS - 1
            ),
        };
        let columns: Vec<String> = key.into_iter().chain(common.iter().map(|c| column(c))).collect();
        Buckets {
            expression,
            row: format!("ROW({})", columns.join(", ")),
        }
    }

    /// The summaries of `table`'s buckets.
    fn sql(&self, table: &Table) -> String {
        format!(
            "SELECT b::text, count(*), sum(h)::text, bit_xor(h) FROM \
             (SELECT {} AS b, hash_record_extended({}, 0) AS h FROM {} t) s GROUP BY b",
            self.expression,
            self.row,
            table.quoted()
        )
    }

    /// Sums up `backup` on `side` and `live` on `live_client`, both at
    /// once on a thread each, and compares the buckets.
    pub fn find(
        &self,
        side: &mut postgres::Client,
        backup: &Table,
        live_client: &mut postgres::Client,
        live: &Table,
    ) -> anyhow::Result<Found> {
        let (old_sql, new_sql) = (self.sql(backup), self.sql(live));
        let (old, new) = std::thread::scope(|scope| {
            let old = scope.spawn(|| summaries(side, &old_sql));
            let new = summaries(live_client, &new_sql);
            (old.join().expect("the pre-pass thread"), new)
        });
        let (old, new) = (old?, new?);
        let differing: Vec<&Bucket> = old
            .keys()
            .chain(new.keys().filter(|b| !old.contains_key(*b)))
            .filter(|b| old.get(*b) != new.get(*b))
            .collect();
        if differing.is_empty() {
            let rows = old.values().map(|s| s.0 as u64).sum();
            return Ok(Found {
                filter: None,
                same_rows: rows,
                all_same: true,
            });
        }
        if differing.len() > MOST_BUCKETS || differing.len() * 2 > old.len().max(new.len()) {
            return Ok(Found::default());
        }
        let same_rows = old
            .iter()
            .filter(|(b, s)| new.get(*b) == Some(*s))
            .map(|(_, s)| s.0 as u64)
            .sum();
        let list: Vec<String> = differing
            .iter()
            .filter_map(|b| b.as_deref().map(literal))
            .collect();
        let mut conditions = Vec::new();
        if !list.is_empty() {
            conditions.push(format!("{} IN ({})", self.expression, list.join(", ")));
        }
        if differing.contains(&&None) {
            conditions.push(format!("{} IS NULL", self.expression));
        }
        Ok(Found {
            filter: Some(format!("({})", conditions.join(" OR "))),
            same_rows,
            all_same: false,
        })
    }
}

/// The summaries of `sql`'s buckets, by bucket.
fn summaries(client: &mut postgres::Client, sql: &str) -> anyhow::Result<BTreeMap<Bucket, Summary>> {
    Ok(client
        .query(sql, &[])?
        .iter()
        .map(|r| (r.get(0), (r.get(1), r.get(2), r.get(3))))
        .collect())
}

/// `text` as an SQL string literal, whatever `standard_conforming_strings` says.
fn literal(text: &str) -> String {
    let quoted = text.replace('\'', "''");
    match text.contains('\\') {
        true => format!("E'{}'", quoted.replace('\\', "\\\\")),
        false => format!("'{quoted}'"),
    }
}

#[cfg(test)]
mod tests {
    use super::literal;

    #[test]
    fn literals_are_quoted() {
        assert_eq!(literal("farm 1"), "'farm 1'");
        assert_eq!(literal("o'k"), "'o''k'");
        assert_eq!(literal("a\\b'"), "E'a\\\\b'''");
    }
}
