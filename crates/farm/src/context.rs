//! The tenant context: a transaction for one farm. The farm is set with
//! `set_config('app.current_farm_id', $1, true)` — a bind parameter, local to
//! the transaction — so it can never outlive it or leak to the next user of
//! a pooled connection (the guide's session `SET … = ${farmId}` does both).
//! The user it acts for is set the same way (`app.current_user_id`), and
//! must be an active member of the farm; otherwise nothing runs.

use postgres::{GenericClient, Transaction};

use crate::records::Record;

/// Why a farm context could not be opened or used.
#[derive(Debug, thiserror::Error)]
pub enum ContextError {
    /// The user is not an active member of the farm.
    #[error("user {user} is not an active member of farm {farm}")]
    NotMember {
        /// The farm.
        farm: String,
        /// The user.
        user: String,
    },
    /// The database refused.
    #[error("{}", dbguard_pg::connect::describe(.0))]
    Database(#[from] postgres::Error),
    /// A row did not match its Rust type.
    #[error("a row of {table} does not match its type: {source}")]
    Decode {
        /// The table read.
        table: String,
        /// What did not match.
        source: serde_json::Error,
    },
}

/// A transaction scoped to one farm.
pub struct FarmTx<'a> {
    tx: Transaction<'a>,
    farm: String,
}

impl<'a> FarmTx<'a> {
    /// Opens a transaction for `farm` on behalf of `user`, checking that the
    /// user is an active member (the membership row is itself only visible
    /// inside the farm's context).
    pub fn begin(
        client: &'a mut postgres::Client,
        farm: &str,
        user: &str,
    ) -> Result<FarmTx<'a>, ContextError> {
        let mut tx = client.transaction()?;
        tx.execute(
            "SELECT set_config('app.current_farm_id', $1, true), set_config('app.current_user_id', $2, true)",
            &[&farm, &user],
        )?;
        let active: Option<bool> = tx
            .query_opt(
                "SELECT is_active FROM farm_users WHERE farm_id = $1::text::uuid AND user_id = $2",
                &[&farm, &user],
            )?
            .map(|r| r.get(0));
        if active != Some(true) {
            return Err(ContextError::NotMember {
                farm: farm.to_string(),
                user: user.to_string(),
            });
        }
        Ok(FarmTx {
            tx,
            farm: farm.to_string(),
        })
    }

    /// The farm of this context.
    pub fn farm(&self) -> &str {
        &self.farm
    }

    /// The transaction, for queries (row-level security scopes them to the farm).
    pub fn client(&mut self) -> &mut Transaction<'a> {
        &mut self.tx
    }

    /// Rows of `table` as JSON objects, in primary-key order.
    pub fn rows(&mut self, table: &str) -> Result<Vec<serde_json::Value>, ContextError> {
        let sql = format!("SELECT row_to_json(t)::text FROM {} t ORDER BY 1", quote(table));
        let rows = self.tx.query(&sql, &[])?;
        rows.iter()
            .map(|r| decode(table, &r.get::<_, String>(0)))
            .collect()
    }

    /// Every row of `R`'s table in this farm, typed.
    pub fn list<R: Record>(&mut self) -> Result<Vec<R>, ContextError> {
        self.rows(R::TABLE)?
            .into_iter()
            .map(|row| serde_json::from_value(row).map_err(|source| decode_error(R::TABLE, source)))
            .collect()
    }

    /// Inserts `record` into this farm; returns it as stored (with its id and defaults).
    pub fn add<R: Record>(&mut self, record: &R) -> Result<R, ContextError> {
        let row = serde_json::to_value(record).map_err(|source| decode_error(R::TABLE, source))?;
        let stored = self.insert(R::TABLE, &row)?;
        serde_json::from_value(stored).map_err(|source| decode_error(R::TABLE, source))
    }

    /// Inserts a row into `table` from a JSON object (its `farm_id` is this
    /// farm's); returns the new row.
    pub fn insert(
        &mut self,
        table: &str,
        row: &serde_json::Value,
    ) -> Result<serde_json::Value, ContextError> {
        let mut row = row.clone();
        if let Some(object) = row.as_object_mut() {
            object.insert("farm_id".into(), serde_json::Value::String(self.farm.clone()));
        }
        let columns: Vec<String> = row
            .as_object()
            .map(|o| o.keys().map(|k| quote(k)).collect())
            .unwrap_or_default();
        let columns = columns.join(", ");
        let sql = format!(
            "INSERT INTO {t} ({columns}) SELECT {columns} FROM json_populate_record(NULL::{t}, $1::text::json)
             RETURNING row_to_json({t})::text",
            t = quote(table)
        );
        let text: String = self.tx.query_one(&sql, &[&row.to_string()])?.get(0);
        decode(table, &text)
    }

    /// The farm's members (never their password hashes).
    pub fn members(&mut self) -> Result<Vec<crate::accounts::User>, ContextError> {
        crate::accounts::members(&mut self.tx)
    }

    /// Adds the user with `email` to this farm with `role` (a `farm_role`
    /// other than `OWNER`); the acting user must be an owner or manager here.
    /// Returns the member's id.
    pub fn add_member(&mut self, email: &str, role: &str) -> Result<String, ContextError> {
        crate::accounts::add_member(&mut self.tx, email, role)
    }

    /// Commits.
    pub fn commit(self) -> Result<(), ContextError> {
        self.tx.commit()?;
        Ok(())
    }
}

fn decode_error(table: &str, source: serde_json::Error) -> ContextError {
    ContextError::Decode {
        table: table.to_string(),
        source,
    }
}

fn decode(table: &str, text: &str) -> Result<serde_json::Value, ContextError> {
    serde_json::from_str(text).map_err(|source| decode_error(table, source))
}

fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Whether `client` currently sees row-level security applied to `table`.
pub fn row_security_active(client: &mut impl GenericClient, table: &str) -> Result<bool, postgres::Error> {
    Ok(client
        .query_one("SELECT row_security_active($1::text::regclass)", &[&table])?
        .get(0))
}
