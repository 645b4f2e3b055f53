//! What the comparison and the recovery need to know of a database's
//! tables: columns and their types (from its catalogs), the primary key, the
//! tenant column, and the foreign keys between tables (for the order in
//! which lost rows go back: parents first), from [`Keys`].

use std::collections::{BTreeMap, BTreeSet};

use dbguard_pg::local::quote_ident;
use serde::{Deserialize, Serialize};

use crate::keys::Keys;

/// Column names that hold the tenant (the farm) in a table.
pub const TENANT_COLUMNS: &[&str] = &["farm_id", "farmId"];

/// Schemas never compared or recovered: PostgreSQL's and dbguard's own
/// (the guards of `dbguard protect`).
const SKIPPED_SCHEMAS: &str = "('pg_catalog', 'information_schema', 'dbguard', 'pg_toast')";

/// How values of a key column sort, the same way in PostgreSQL and here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum KeyOrder {
    /// Integers: sorted as numbers.
    Integer,
    /// Everything else: sorted by the bytes of the value's text in the "C"
    /// collation (uuids sort the same way natively).
    Bytes,
}

/// One key column.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyColumn {
    /// Its name.
    pub name: String,
    /// How it sorts.
    pub order: KeyOrder,
    /// Its type is uuid (sorts natively in the same order as its text).
    pub uuid: bool,
}

impl KeyColumn {
    /// The expression to sort by in SQL, matching [`KeyOrder`], on the
    /// table named `alias` in the query (qualified, so that it never means
    /// an output column of the same name).
    pub fn order_by(&self, alias: &str) -> String {
        let name = format!("{alias}.{}", quote_ident(&self.name));
        match (self.order, self.uuid) {
            (KeyOrder::Integer, _) | (_, true) => name,
            (KeyOrder::Bytes, false) => format!("({name}::text COLLATE \"C\")"),
        }
    }
}

/// One table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Table {
    /// Its schema.
    pub schema: String,
    /// Its name.
    pub name: String,
    /// Columns and their types (`format_type`), in order.
    pub columns: Vec<(String, String)>,
    /// The primary key, empty when there is none.
    pub key: Vec<KeyColumn>,
    /// The column naming the farm, when the table belongs to one: a tenant
    /// column, or the key column the tenant columns of other tables point at.
    pub tenant: Option<String>,
    /// Tables this one references (`schema.name`).
    pub parents: BTreeSet<String>,
}

impl Table {
    /// `schema.name` as shown.
    pub fn display(&self) -> String {
        format!("{}.{}", self.schema, self.name)
    }

    /// The quoted name for SQL.
    pub fn quoted(&self) -> String {
        format!("{}.{}", quote_ident(&self.schema), quote_ident(&self.name))
    }

    /// The type of `column`, if the table has it.
    pub fn column_type(&self, column: &str) -> Option<&str> {
        self.columns
            .iter()
            .find(|(name, _)| name == column)
            .map(|(_, ty)| ty.as_str())
    }
}

/// The ordinary tables of the database `client` is connected to, with its
/// own keys.
pub fn own_tables(client: &mut postgres::Client) -> anyhow::Result<BTreeMap<String, Table>> {
    let keys = Keys::of_database(client)?;
    tables(client, &keys)
}

/// The ordinary tables of the database `client` is connected to, by
/// `schema.name`, with `keys` (its own, or its backup's for a copy restored
/// without them). A primary key naming a column the table does not have is
/// an error.
pub fn tables(client: &mut postgres::Client, keys: &Keys) -> anyhow::Result<BTreeMap<String, Table>> {
    let mut tables = BTreeMap::new();
    let rows = client.query(
        &format!(
            "SELECT n.nspname::text, c.relname::text,
                    coalesce((SELECT array_agg(a.attname::text ORDER BY a.attnum) FROM pg_attribute a
                               WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped), '{{}}'),
                    coalesce((SELECT array_agg(format_type(a.atttypid, a.atttypmod) ORDER BY a.attnum) FROM pg_attribute a
                               WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped), '{{}}')
               FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
                AND n.nspname NOT IN {SKIPPED_SCHEMAS} AND n.nspname NOT LIKE 'pg_temp%'"
        ),
        &[],
    )?;
    for row in rows {
        let names: Vec<String> = row.get(2);
        let types: Vec<String> = row.get(3);
        let table = Table {
            schema: row.get(0),
            name: row.get(1),
            columns: names.into_iter().zip(types).collect(),
            key: Vec::new(),
            tenant: None,
            parents: BTreeSet::new(),
        };
        tables.insert(table.display(), table);
    }
    for (name, columns) in &keys.primary {
        let Some(table) = tables.get_mut(name) else {
            continue;
        };
        for column in columns {
            let ty = table.column_type(column).ok_or_else(|| {
                anyhow::anyhow!("the primary key of {name} names column {column}, which it does not have")
            })?;
            let key = KeyColumn {
                name: column.clone(),
                order: match ty {
                    "smallint" | "integer" | "bigint" => KeyOrder::Integer,
                    _ => KeyOrder::Bytes,
                },
                uuid: ty == "uuid",
            };
            table.key.push(key);
        }
    }
    // Foreign keys: the parents, and the columns tenant columns point at.
    let mut tenant_roots: Vec<(&str, &str)> = Vec::new();
    for fk in &keys.foreign {
        if !tables.contains_key(&fk.parent) {
            continue;
        }
        let Some(child) = tables.get_mut(&fk.child) else {
            continue;
        };
        if fk.child != fk.parent {
            child.parents.insert(fk.parent.clone());
        }
        if let ([from], [to]) = (fk.columns.as_slice(), fk.referenced.as_slice()) {
            if TENANT_COLUMNS.contains(&from.as_str()) {
                tenant_roots.push((&fk.parent, to));
            }
        }
    }
    for table in tables.values_mut() {
        table.tenant = table
            .columns
            .iter()
            .find(|(name, _)| TENANT_COLUMNS.contains(&name.as_str()))
            .map(|(name, _)| name.clone());
    }
    for (parent, column) in tenant_roots {
        if let Some(table) = tables.get_mut(parent) {
            table.tenant.get_or_insert(column.to_string());
        }
    }
    Ok(tables)
}

/// `names` ordered so that every table comes after the tables it
/// references (among `names`); cycles are broken by name order.
pub fn parents_first(tables: &BTreeMap<String, Table>, names: &BTreeSet<String>) -> Vec<String> {
    let mut done: Vec<String> = Vec::new();
    let mut left: BTreeSet<String> = names.clone();
    while !left.is_empty() {
        let ready: Vec<String> = left
            .iter()
            .filter(|name| {
                tables
                    .get(*name)
                    .is_none_or(|t| t.parents.iter().all(|p| !left.contains(p) || p == *name))
            })
            .cloned()
            .collect();
        // A cycle: take the first by name, its insert may still fail and roll everything back.
        let next = if ready.is_empty() {
            vec![left.iter().next().cloned().expect("not empty")]
        } else {
            ready
        };
        for name in next {
            left.remove(&name);
            done.push(name);
        }
    }
    done
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(name: &str, parents: &[&str]) -> Table {
        Table {
            schema: "public".into(),
            name: name.into(),
            columns: Vec::new(),
            key: Vec::new(),
            tenant: None,
            parents: parents.iter().map(|p| format!("public.{p}")).collect(),
        }
    }

    #[test]
    fn parents_come_before_their_children() {
        let tables: BTreeMap<String, Table> = [
            table("tasks", &["batches", "farms"]),
            table("batches", &["farms", "seed_varieties"]),
            table("seed_varieties", &["farms"]),
            table("farms", &[]),
        ]
        .into_iter()
        .map(|t| (t.display(), t))
        .collect();
        let names: BTreeSet<String> = ["public.tasks", "public.batches", "public.seed_varieties"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(
            parents_first(&tables, &names),
            ["public.seed_varieties", "public.batches", "public.tasks"]
        );
    }
}
