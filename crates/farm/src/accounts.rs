//! Accounts: signing in, the signed-in user's farms, creating a farm and
//! changing one's email or password. The application role cannot read
//! password hashes nor write `farms`, `users` or memberships directly; it
//! calls the `SECURITY DEFINER` functions of schema `app`, which check the
//! caller's right. The caller is the user named per transaction in
//! `app.current_user_id` — the application is trusted to say which user it
//! acts for, as it is trusted to say the farm — and a credential change also
//! needs that user's current password.

use postgres::{GenericClient, Transaction};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::context::ContextError;

/// A user as the application sees one: never the password hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// The user's id (a cuid).
    pub id: String,
    /// Email, unique regardless of case.
    pub email: String,
    /// Display name.
    pub name: String,
    /// The legacy single role.
    pub role: String,
    /// Every role held.
    pub roles: Vec<String>,
}

/// The columns of `users` the application may read, as a [`User`].
pub(crate) const USER_COLUMNS: &str = "id, email, name, role::text, roles::text[]";

impl User {
    fn from_row(row: &postgres::Row) -> User {
        User {
            id: row.get(0),
            email: row.get(1),
            name: row.get(2),
            role: row.get(3),
            roles: row.get(4),
        }
    }
}

/// A farm the user is an active member of.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Membership {
    /// The farm.
    pub farm_id: Uuid,
    /// Its name.
    pub farm_name: String,
    /// The user's role in it.
    pub role: String,
}

/// The user whose `email` (any case) and `password` match, or `None` — the
/// same answer, after the same bcrypt work, for an unknown email as for a
/// wrong password.
pub fn sign_in(
    client: &mut impl GenericClient,
    email: &str,
    password: &str,
) -> Result<Option<User>, ContextError> {
    let row = client.query_opt(
        &format!("SELECT {USER_COLUMNS} FROM app.sign_in($1, $2)"),
        &[&email, &password],
    )?;
    Ok(row.as_ref().map(User::from_row))
}

/// A transaction acting for one signed-in user, outside any farm.
pub struct UserTx<'a> {
    tx: Transaction<'a>,
}

impl<'a> UserTx<'a> {
    /// Opens a transaction on behalf of `user` (set with
    /// `set_config('app.current_user_id', $1, true)`, local to it).
    pub fn begin(client: &'a mut postgres::Client, user: &str) -> Result<UserTx<'a>, ContextError> {
        let mut tx = client.transaction()?;
        tx.execute("SELECT set_config('app.current_user_id', $1, true)", &[&user])?;
        Ok(UserTx { tx })
    }

    /// The transaction, for queries on the user's behalf.
    pub fn client(&mut self) -> &mut Transaction<'a> {
        &mut self.tx
    }

    /// The farms the user is an active member of.
    pub fn farms(&mut self) -> Result<Vec<Membership>, ContextError> {
        self.tx
            .query(
                "SELECT farm_id::text, farm_name, role::text FROM app.my_farms()",
                &[],
            )?
            .iter()
            .map(|r| {
                Ok(Membership {
                    farm_id: uuid_of(r.get(0))?,
                    farm_name: r.get(1),
                    role: r.get(2),
                })
            })
            .collect()
    }

    /// Creates a farm owned by the user, who becomes its `OWNER` member.
    pub fn create_farm(&mut self, name: &str, subdomain: Option<&str>) -> Result<Uuid, ContextError> {
        uuid_of(
            self.tx
                .query_one("SELECT app.create_farm($1, $2)::text", &[&name, &subdomain])?
                .get(0),
        )
    }

    /// Changes the user's password after checking the current one.
    pub fn change_password(&mut self, current: &str, new: &str) -> Result<(), ContextError> {
        self.tx
            .execute("SELECT app.change_password($1, $2)", &[&current, &new])?;
        Ok(())
    }

    /// Changes the user's email after checking their password.
    pub fn change_email(&mut self, new_email: &str, password: &str) -> Result<(), ContextError> {
        self.tx
            .execute("SELECT app.change_email($1, $2)", &[&new_email, &password])?;
        Ok(())
    }

    /// Commits.
    pub fn commit(self) -> Result<(), ContextError> {
        self.tx.commit()?;
        Ok(())
    }
}

fn uuid_of(text: &str) -> Result<Uuid, ContextError> {
    Uuid::parse_str(text).map_err(|e| ContextError::Decode {
        table: "farms".into(),
        source: serde::de::Error::custom(e),
    })
}

/// The members of the current farm (what `users`' policy shows the application).
pub(crate) fn members(client: &mut impl GenericClient) -> Result<Vec<User>, ContextError> {
    Ok(client
        .query(&format!("SELECT {USER_COLUMNS} FROM users ORDER BY id"), &[])?
        .iter()
        .map(User::from_row)
        .collect())
}

/// Adds the user with `email` to the current farm with `role` (the acting
/// user must be an owner or manager of it); returns the member's id.
pub(crate) fn add_member(
    client: &mut impl GenericClient,
    email: &str,
    role: &str,
) -> Result<String, ContextError> {
    Ok(client
        .query_one("SELECT app.add_member($1, $2::text::farm_role)", &[&email, &role])?
        .get(0))
}
